//! Seeded synthetic absolute-pose problems, shared by the tests, the criterion benches and
//! the `pose_problems` example (which writes them for `bench/pose_compare.py`).
//!
//! Public so that benches and other crates' tests can use it; not part of the localization
//! API. Scenes follow `/work/shared/reference/pose-anchors.md` section 3:
//! - [`Scene::Random`]: PoseLib's benchmark style, hFOV 70 deg, depth 0.1-10, random
//!   rotation, camera centre in a unit cube.
//! - [`Scene::Generic`]: hFOV 30-80 deg, depth log-uniform 50-5000 m, random rotation, camera
//!   centre within +-100 m.
//! - [`Scene::Terrain`]: upright camera (pitch +-10 deg, roll +-5 deg, any yaw) in a local
//!   ENU frame, hFOV 20-90 deg, depth log-uniform 0.3-40 km, altitude 500-3000 m.
//!
//! Outliers keep a correct 3D point but get a uniformly random pixel (wrong matches); inliers
//! get Gaussian pixel noise. A world offset (e.g. 6.4e6 m, an ECEF-sized coordinate) is added
//! to every world point and to the camera centre.

use nalgebra::{Matrix3, Point3, UnitQuaternion, Vector2, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::camera::{Camera, focal_from_hfov_deg};
use crate::pose::cam_from_enu_rotation;
use crate::solvers::FocalPose;

/// Kind of synthetic scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// PoseLib benchmark style: hFOV 70 deg, depth 0.1-10, random rotation.
    Random,
    /// hFOV 30-80 deg, depth 50-5000 m, random rotation.
    Generic,
    /// Upright camera, hFOV 20-90 deg, depth 0.3-40 km.
    Terrain,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProblemSpec {
    /// Scene kind.
    pub scene: Scene,
    /// Number of correspondences.
    pub num_points: usize,
    /// Share of outliers in `[0, 1]`.
    pub outlier_ratio: f64,
    /// Standard deviation of the pixel noise on inliers.
    pub noise_px: f64,
    /// Length of the offset added to all world coordinates (metres), along a fixed
    /// ECEF-like direction.
    pub world_offset: f64,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
}

impl ProblemSpec {
    /// A noise-free, outlier-free problem with `num_points` points of `scene`, 1920x1080.
    pub fn exact(scene: Scene, num_points: usize) -> Self {
        Self {
            scene,
            num_points,
            outlier_ratio: 0.0,
            noise_px: 0.0,
            world_offset: 0.0,
            width: 1920,
            height: 1080,
        }
    }
}

/// One generated problem with its ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The true camera (principal point at the image centre, no distortion).
    pub camera: Camera,
    /// The true `cam_from_world`, with `focal` in pixels.
    pub pose: FocalPose,
    /// Observed pixels.
    pub points_2d: Vec<Vector2<f64>>,
    /// World points.
    pub points_3d: Vec<Point3<f64>>,
    /// Which correspondences are inliers.
    pub is_inlier: Vec<bool>,
    /// Gravity ("down") in the world frame (`-z` of the scene frame).
    pub down_in_world: Vector3<f64>,
}

impl Problem {
    /// Gravity ("down") in the true camera frame.
    pub fn down_in_cam(&self) -> Vector3<f64> {
        self.pose.rotation * self.down_in_world
    }

    /// Pixels relative to the principal point.
    pub fn centred_pixels(&self) -> Vec<Vector2<f64>> {
        self.points_2d.iter().map(|p| p - self.camera.principal_point).collect()
    }

    /// Normalised image coordinates `(pixel - pp) / f` with the true focal.
    pub fn normalized(&self) -> Vec<Vector2<f64>> {
        self.centred_pixels().iter().map(|p| p / self.camera.focal_px).collect()
    }
}

/// A seeded RNG for problem number `seed`.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A standard normal sample (Box-Muller).
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A uniformly distributed random rotation matrix.
pub fn random_rotation(rng: &mut impl Rng) -> Matrix3<f64> {
    let q = nalgebra::Quaternion::new(normal(rng), normal(rng), normal(rng), normal(rng));
    UnitQuaternion::from_quaternion(q).to_rotation_matrix().into_inner()
}

fn log_uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

/// The fixed direction of [`ProblemSpec::world_offset`] (unit length, like an ECEF position
/// in the Alps).
pub fn offset_direction() -> Vector3<f64> {
    Vector3::new(0.66, 0.09, 0.745).normalize()
}

/// Generates one problem.
pub fn generate(spec: &ProblemSpec, rng: &mut impl Rng) -> Problem {
    let (hfov, rotation, centre) = match spec.scene {
        Scene::Random => {
            let c =
                Vector3::new(rng.random(), rng.random(), rng.random()) * 2.0 - Vector3::repeat(1.0);
            (70.0, random_rotation(rng), c)
        }
        Scene::Generic => {
            let c = Vector3::from_fn(|_, _| rng.random_range(-100.0..100.0));
            (rng.random_range(30.0..80.0), random_rotation(rng), c)
        }
        Scene::Terrain => {
            let r = cam_from_enu_rotation(
                rng.random_range(0.0..360.0),
                rng.random_range(-10.0..10.0),
                rng.random_range(-5.0..5.0),
            );
            let c = Vector3::new(
                rng.random_range(-1000.0..1000.0),
                rng.random_range(-1000.0..1000.0),
                rng.random_range(500.0..3000.0),
            );
            (rng.random_range(20.0..90.0), r, c)
        }
    };
    let camera = Camera::new(spec.width, spec.height, focal_from_hfov_deg(spec.width, hfov));
    let offset = offset_direction() * spec.world_offset;
    let centre_w = centre + offset;
    let pose = FocalPose { rotation, translation: -(rotation * centre_w), focal: camera.focal_px };
    let (w, h) = (f64::from(spec.width), f64::from(spec.height));
    let mut points_2d = Vec::with_capacity(spec.num_points);
    let mut points_3d = Vec::with_capacity(spec.num_points);
    let mut is_inlier = Vec::with_capacity(spec.num_points);
    for _ in 0..spec.num_points {
        let px = Vector2::new(rng.random_range(-0.5..w - 0.5), rng.random_range(-0.5..h - 0.5));
        let depth = match spec.scene {
            Scene::Random => rng.random_range(0.1..10.0),
            Scene::Generic => log_uniform(rng, 50.0, 5000.0),
            Scene::Terrain => log_uniform(rng, 300.0, 40_000.0),
        };
        let n = (px - camera.principal_point) / camera.focal_px;
        let point_in_cam = Vector3::new(n.x, n.y, 1.0) * depth;
        let world = rotation.transpose() * point_in_cam + centre_w;
        let inlier = rng.random::<f64>() >= spec.outlier_ratio;
        let observed = if inlier {
            px + Vector2::new(normal(rng), normal(rng)) * spec.noise_px
        } else {
            Vector2::new(rng.random_range(-0.5..w - 0.5), rng.random_range(-0.5..h - 0.5))
        };
        points_2d.push(observed);
        points_3d.push(Point3::from(world));
        is_inlier.push(inlier);
    }
    Problem {
        camera,
        pose,
        points_2d,
        points_3d,
        is_inlier,
        down_in_world: Vector3::new(0.0, 0.0, -1.0),
    }
}

/// Pose error of an estimate against the truth: `(rotation angle in degrees, camera-centre
/// distance, relative focal error)`.
pub fn pose_error(est: &FocalPose, truth: &FocalPose) -> (f64, f64, f64) {
    let dr = est.rotation * truth.rotation.transpose();
    let cos = ((dr.trace() - 1.0) / 2.0).clamp(-1.0, 1.0);
    let angle = cos.acos().to_degrees();
    let dc = (est.center() - truth.center()).norm();
    let df = (est.focal - truth.focal).abs() / truth.focal;
    (angle, dc, df)
}
