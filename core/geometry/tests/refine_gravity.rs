//! The gravity prior of the Levenberg-Marquardt refinement: on noisy, weakly constrained
//! problems (8 points, 5 px noise) a gravity measured to 0.02 degrees lowers the rotation
//! error; a strong prior that contradicts the data pulls the rotation onto it.
#![allow(clippy::unwrap_used)]

use lsar_geometry::absolute_pose::synth::{self, ProblemSpec, Scene};
use lsar_geometry::refine::{
    GravityPrior, RefineOptions, RefineParams, RefinedCamera, RobustLoss, refine_camera,
};
use lsar_geometry::solvers::{FocalPose, Gravity};
use nalgebra::{Rotation3, Vector3};

/// Rotation error (degrees) after refining from the true pose, without and with the prior,
/// and the angle between the measured and the true gravity in the camera.
fn errors(seed: u64, prior_sigma_deg: f64, gravity_error_deg: f64) -> (f64, f64, f64) {
    let spec = ProblemSpec { noise_px: 5.0, ..ProblemSpec::exact(Scene::Terrain, 8) };
    let mut rng = synth::rng(seed);
    let p = synth::generate(&spec, &mut rng);
    let n = p.points_3d.len() as f64;
    let centroid = p.points_3d.iter().fold(Vector3::zeros(), |a, x| a + x.coords) / n;
    let xw: Vec<Vector3<f64>> = p.points_3d.iter().map(|x| x.coords - centroid).collect();
    let x = p.centred_pixels();
    let truth = p.pose.shifted_world(&-centroid);
    // Measured gravity: the true one tilted by `gravity_error_deg` about a random axis.
    let axis = Vector3::new(synth::normal(&mut rng), synth::normal(&mut rng), 0.0).normalize();
    let tilt = Rotation3::new(axis * gravity_error_deg.to_radians());
    let gravity = Gravity { down_in_cam: tilt * p.down_in_cam(), down_in_world: p.down_in_world };
    let idx: Vec<usize> = (0..x.len()).collect();
    let base = RefineOptions {
        params: RefineParams::PoseFocal,
        loss: RobustLoss::Cauchy { scale: 5.0 },
        ..RefineOptions::default()
    };
    let run = |o: &RefineOptions| {
        let mut cam = RefinedCamera { pose: truth, k1: 0.0, k2: 0.0 };
        refine_camera(&x, &xw, &idx, &mut cam, o);
        synth::pose_error(&cam.pose, &truth).0
    };
    let with = RefineOptions { gravity: GravityPrior::new(gravity, prior_sigma_deg), ..base };
    assert!(with.gravity.is_some());
    let off = gravity.down_in_cam.angle(&p.down_in_cam()).to_degrees();
    (run(&base), run(&with), off)
}

#[test]
fn gravity_prior_lowers_the_rotation_error() {
    let (mut sum_without, mut sum_with, mut better) = (0.0, 0.0, 0);
    let seeds = 0..40u64;
    let count = seeds.clone().count();
    for seed in seeds {
        let (without, with, _) = errors(seed, 0.02, 0.02);
        sum_without += without;
        sum_with += with;
        better += usize::from(with < without);
    }
    let (mean_without, mean_with) = (sum_without / count as f64, sum_with / count as f64);
    println!(
        "rotation error, mean over {count}: {mean_without:.4} deg without, {mean_with:.4} deg with \
         the prior; better in {better}"
    );
    assert!(mean_with < 0.7 * mean_without, "{mean_with} vs {mean_without}");
    assert!(better * 4 >= count * 3, "better in only {better} of {count}");
}

#[test]
fn a_strong_contradicting_prior_pulls_the_rotation() {
    // Gravity tilted 5 degrees (about an axis in the image plane, so by up to 5 degrees in
    // the camera) with a 0.001 degree sigma: the refined rotation follows the prior, its error
    // is the tilt, far from the data's own fit.
    for seed in 0..5 {
        let (without, with, off) = errors(seed, 0.001, 5.0);
        assert!(off > 1.0 && without < 1.0, "seed {seed}: {off} {without}");
        assert!((with - off).abs() < 0.05 * off, "seed {seed}: {with} vs tilt {off}");
    }
}

#[test]
fn invalid_priors_are_refused() {
    let g = Gravity { down_in_cam: Vector3::y(), down_in_world: -Vector3::z() };
    assert!(GravityPrior::new(g, 0.0).is_none());
    assert!(GravityPrior::new(g, f64::INFINITY).is_none());
    assert!(GravityPrior::new(Gravity { down_in_cam: Vector3::zeros(), ..g }, 1.0).is_none());
    let nan = Gravity { down_in_world: Vector3::new(f64::NAN, 0.0, 1.0), ..g };
    assert!(GravityPrior::new(nan, 1.0).is_none());
    let _ = FocalPose::identity();
}
