//! Robust absolute pose from 2D-3D correspondences: [`estimate_absolute_pose`].
//!
//! Pipeline: validate; centre the world points on their centroid (so ECEF coordinates lose
//! no digits) and the pixels on the principal point; LO-RANSAC ([`crate::ransac`]) with the
//! minimal solver the options call for (P3P for a known focal length, P4Pf for an unknown
//! one, UP2P / UP3Pf when gravity is known, C2P / C2Pf when the centre is approximately known); then Levenberg-Marquardt ([`crate::refine`]) on
//! the inliers with a Cauchy loss (plus a gravity prior when gravity is known), twice if the
//! inlier set changes.

// Negated comparisons (`!(x > 0.0)`) are deliberate throughout: they also reject NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod estimator;
pub mod synth;

use std::time::{Duration, Instant};

use nalgebra::{Isometry3, Point3, Vector2, Vector3};

pub use estimator::MinimalSolver;

use crate::camera::Camera;
use crate::error::{GeometryError, Result};
use crate::ransac::{RansacOptions, RansacStats, lo_ransac};
use crate::refine::{
    CentrePrior, GravityPrior, LmStats, RefineOptions, RefineParams, RefinedCamera, refine_camera,
};
use crate::solvers::{FocalPose, Gravity};
use estimator::PoseEstimator;

/// What is known about the focal length. The value itself is the camera's `focal_px`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FocalMode {
    /// `camera.focal_px` is exact (P3P / UP2P; not refined).
    Known,
    /// Unknown (P4Pf / UP3Pf); `camera.focal_px` is ignored and the focal is bounded by
    /// [`AbsolutePoseOptions::hfov_range_deg`].
    #[default]
    Unknown,
    /// `camera.focal_px` is a prior good to a factor `max_ratio` (> 1): unknown-focal
    /// solvers, with models outside `[f / max_ratio, f * max_ratio]` rejected.
    Prior {
        /// Largest accepted ratio between the estimate and the prior.
        max_ratio: f64,
    },
}

/// Whether the final refinement also estimates `k1`, `k2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistortionMode {
    /// Keep the camera's `k1`, `k2` (observations are undistorted with them first).
    #[default]
    Fixed,
    /// Refine `k1`, `k2` in the final Levenberg-Marquardt, starting from the camera's.
    Refine,
}

/// Options of [`estimate_absolute_pose`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AbsolutePoseOptions {
    /// Focal length known, unknown or a prior.
    pub focal: FocalMode,
    /// Gravity in the camera and world frames, if known: 2- and 3-point upright solvers, and a
    /// prior on the rotation in the final refinement.
    pub gravity: Option<Gravity>,
    /// Approximate camera centre in the frame of the 3D points (a GPS fix), if known: the
    /// 2-point centre-known solvers ([`MinimalSolver::C2p`], [`MinimalSolver::C2pf`]) make
    /// the hypotheses, which need only a quarter of the all-inlier samples of P4Pf at a 25 %
    /// inlier ratio (`w^2` against `w^4`); the local optimisation and the final refinement
    /// estimate the full pose, so the centre is not held fixed. Takes precedence over
    /// `gravity` for the hypotheses (gravity still enters the final refinement's prior).
    pub centre: Option<Point3<f64>>,
    /// Standard deviation (metres, isotropic) of `centre` for a [`CentrePrior`] in the local
    /// optimisation and the final refinement; infinity (the default) refines without one.
    pub centre_sigma_m: f64,
    /// Standard deviation (degrees) of the gravity direction for the final refinement's prior
    /// ([`GravityPrior::new`]); infinity refines without the prior. A prior already set in
    /// `refine.gravity` takes precedence.
    pub gravity_sigma_deg: f64,
    /// Inlier threshold on the reprojection error, pixels.
    pub threshold_px: f64,
    /// Horizontal FOV range (degrees) accepted for an unknown focal length.
    pub hfov_range_deg: (f64, f64),
    /// Fewest inliers for a result.
    pub min_inliers: usize,
    /// RANSAC options (confidence, iterations, seed, sampling).
    pub ransac: RansacOptions,
    /// Final refinement (loss, iterations, tolerances); `params` is set from the focal and
    /// distortion modes.
    pub refine: RefineOptions,
    /// Distortion handling.
    pub distortion: DistortionMode,
}

impl Default for AbsolutePoseOptions {
    fn default() -> Self {
        Self {
            focal: FocalMode::Unknown,
            gravity: None,
            centre: None,
            centre_sigma_m: f64::INFINITY,
            gravity_sigma_deg: 1.0,
            threshold_px: 4.0,
            hfov_range_deg: (1.0, 170.0),
            min_inliers: 8,
            ransac: RansacOptions::default(),
            refine: RefineOptions::default(),
            distortion: DistortionMode::Fixed,
        }
    }
}

/// Result of [`estimate_absolute_pose`].
#[derive(Debug, Clone, PartialEq)]
pub struct AbsolutePoseEstimate {
    /// `cam_from_world` in the frame of the input 3D points.
    pub cam_from_world: Isometry3<f64>,
    /// The same pose as a rotation matrix, translation and focal length in pixels.
    pub pose: FocalPose,
    /// The camera with the estimated focal length (and `k1`, `k2` if refined).
    pub camera: Camera,
    /// Per correspondence: reprojection error below the threshold after refinement.
    pub inlier_mask: Vec<bool>,
    /// Number of inliers.
    pub num_inliers: usize,
    /// Per correspondence reprojection error in pixels (infinite behind the camera).
    pub reprojection_errors_px: Vec<f64>,
    /// Root mean square reprojection error of the inliers, pixels.
    pub rmse_px: f64,
    /// The minimal solver used.
    pub solver: MinimalSolver,
    /// RANSAC statistics.
    pub ransac: RansacStats,
    /// Statistics of the last refinement.
    pub refinement: LmStats,
    /// Total wall time.
    pub time: Duration,
}

/// Estimates the camera pose (and focal length) from pixel / world correspondences.
///
/// `points_2d` are pixels ((0, 0) = centre of the top-left pixel); `points_3d` are in any
/// right-handed Cartesian metric frame (ECEF, ENU, ...). `camera` gives the image size,
/// principal point, distortion and, per [`FocalMode`], the focal length.
///
/// # Errors
/// [`GeometryError::LengthMismatch`] for slices of different lengths;
/// [`GeometryError::NonFinite`] for a NaN or infinite coordinate;
/// [`GeometryError::InvalidCamera`] / [`GeometryError::OutOfRange`] for a bad camera,
/// threshold or option; [`GeometryError::TooFewCorrespondences`] for fewer correspondences
/// than the minimal sample (or `min_inliers`); [`GeometryError::NoConsensus`] if no model
/// reaches `min_inliers`.
///
/// # Panics
/// Never.
pub fn estimate_absolute_pose(
    points_2d: &[Vector2<f64>],
    points_3d: &[Point3<f64>],
    camera: &Camera,
    options: &AbsolutePoseOptions,
) -> Result<AbsolutePoseEstimate> {
    let start = Instant::now();
    validate(points_2d, points_3d, camera, options)?;
    let solver = match (options.focal, options.centre.is_some(), options.gravity.is_some()) {
        (FocalMode::Known, true, _) => MinimalSolver::C2p,
        (_, true, _) => MinimalSolver::C2pf,
        (FocalMode::Known, false, false) => MinimalSolver::P3p,
        (FocalMode::Known, false, true) => MinimalSolver::Up2p,
        (_, false, false) => MinimalSolver::P4pf,
        (_, false, true) => MinimalSolver::Up3pf,
    };
    let required = solver.sample_size().max(options.min_inliers);
    if points_2d.len() < required {
        return Err(GeometryError::TooFewCorrespondences { required, got: points_2d.len() });
    }
    #[allow(clippy::cast_precision_loss)]
    let n = points_3d.len() as f64;
    let centroid = points_3d.iter().fold(Vector3::zeros(), |a, p| a + p.coords) / n;
    let xw: Vec<Vector3<f64>> = points_3d.iter().map(|p| p.coords - centroid).collect();
    let raw: Vec<Vector2<f64>> = points_2d.iter().map(|p| p - camera.principal_point).collect();
    let undistort = camera.has_distortion() && options.distortion == DistortionMode::Fixed;
    let x: Vec<Vector2<f64>> = if undistort {
        let f = camera.focal_px;
        raw.iter()
            .map(|p| camera.undistort(&(p / f)).map_or(Vector2::repeat(f64::NAN), |n| n * f))
            .collect()
    } else {
        raw.clone()
    };
    let focal_range = match options.focal {
        FocalMode::Known => (0.0, f64::INFINITY),
        FocalMode::Unknown => {
            let (lo, hi) = options.hfov_range_deg;
            let w = f64::from(camera.width);
            (
                crate::camera::focal_from_hfov_deg(camera.width, hi).min(w),
                crate::camera::focal_from_hfov_deg(camera.width, lo),
            )
        }
        FocalMode::Prior { max_ratio } => {
            (camera.focal_px / max_ratio, camera.focal_px * max_ratio)
        }
    };
    // The centre prior lives in the centred frame of `xw`.
    let centre_prior =
        options.centre.and_then(|c| CentrePrior::new(c.coords - centroid, options.centre_sigma_m));
    let mut est = PoseEstimator {
        x: &x,
        xw: &xw,
        solver,
        focal: camera.focal_px,
        focal_range,
        threshold: options.threshold_px,
        gravity: options.gravity,
        centre: options.centre.map(|c| Point3::from(c.coords - centroid)),
        centre_prior,
        solutions: Vec::with_capacity(8),
        indices: Vec::with_capacity(x.len()),
    };
    let (best, ransac) = lo_ransac(&mut est, &options.ransac);
    let Some((model, score)) = best else {
        return Err(GeometryError::NoConsensus { inliers: 0, required });
    };
    if score.inliers < required {
        return Err(GeometryError::NoConsensus { inliers: score.inliers, required });
    }
    // Final refinement on the inliers, repeated once if the inlier set changes.
    let refine_distortion = options.distortion == DistortionMode::Refine;
    let params = match (solver.estimates_focal(), refine_distortion) {
        (_, true) => RefineParams::PoseFocalDistortion,
        (true, false) => RefineParams::PoseFocal,
        (false, false) => RefineParams::Pose,
    };
    let gravity_prior = options
        .refine
        .gravity
        .or_else(|| options.gravity.and_then(|g| GravityPrior::new(g, options.gravity_sigma_deg)));
    let lm_options = RefineOptions {
        params,
        gravity: gravity_prior,
        centre: options.refine.centre.or(centre_prior),
        ..options.refine
    };
    let (obs, k) =
        if refine_distortion { (&raw, (camera.k1, camera.k2)) } else { (&x, (0.0, 0.0)) };
    let mut cam = RefinedCamera { pose: model, k1: k.0, k2: k.1 };
    let mut errors = reprojection_errors(&cam, obs, &xw);
    let mut inliers = inlier_indices(&errors, options.threshold_px);
    let mut refinement = LmStats::default();
    for _ in 0..2 {
        refinement = refine_camera(obs, &xw, &inliers, &mut cam, &lm_options);
        errors = reprojection_errors(&cam, obs, &xw);
        let updated = inlier_indices(&errors, options.threshold_px);
        if updated == inliers {
            break;
        }
        inliers = updated;
    }
    if inliers.len() < required {
        return Err(GeometryError::NoConsensus { inliers: inliers.len(), required });
    }
    let pose = cam.pose.shifted_world(&centroid);
    let inlier_mask: Vec<bool> = errors.iter().map(|&e| e < options.threshold_px).collect();
    #[allow(clippy::cast_precision_loss)]
    let rmse_px =
        (inliers.iter().map(|&i| errors[i] * errors[i]).sum::<f64>() / inliers.len() as f64).sqrt();
    let mut out_camera = *camera;
    out_camera.focal_px = cam.pose.focal;
    if refine_distortion {
        out_camera.k1 = cam.k1;
        out_camera.k2 = cam.k2;
    }
    Ok(AbsolutePoseEstimate {
        cam_from_world: pose.cam_from_world(),
        pose,
        camera: out_camera,
        num_inliers: inliers.len(),
        inlier_mask,
        reprojection_errors_px: errors,
        rmse_px,
        solver,
        ransac,
        refinement,
        time: start.elapsed(),
    })
}

fn validate(
    points_2d: &[Vector2<f64>],
    points_3d: &[Point3<f64>],
    camera: &Camera,
    options: &AbsolutePoseOptions,
) -> Result<()> {
    if points_2d.len() != points_3d.len() {
        return Err(GeometryError::LengthMismatch {
            left: points_2d.len(),
            right: points_3d.len(),
        });
    }
    if !points_2d.iter().all(|p| p.iter().all(|v| v.is_finite())) {
        return Err(GeometryError::NonFinite { what: "points_2d" });
    }
    if !points_3d.iter().all(|p| p.iter().all(|v| v.is_finite())) {
        return Err(GeometryError::NonFinite { what: "points_3d" });
    }
    if options.centre.is_some_and(|c| !c.iter().all(|v| v.is_finite())) {
        return Err(GeometryError::NonFinite { what: "centre" });
    }
    if options.focal == FocalMode::Known || matches!(options.focal, FocalMode::Prior { .. }) {
        camera.validate()?;
    } else if camera.width == 0 || camera.height == 0 {
        return Err(GeometryError::InvalidCamera { reason: "zero image size" });
    }
    if !(options.threshold_px.is_finite() && options.threshold_px > 0.0) {
        return Err(GeometryError::OutOfRange { what: "threshold_px" });
    }
    if let FocalMode::Prior { max_ratio } = options.focal
        && !(max_ratio.is_finite() && max_ratio > 1.0)
    {
        return Err(GeometryError::OutOfRange { what: "focal prior max_ratio" });
    }
    let (lo, hi) = options.hfov_range_deg;
    if !(lo > 0.0 && hi < 180.0 && lo < hi) {
        return Err(GeometryError::OutOfRange { what: "hfov_range_deg" });
    }
    if !(options.centre_sigma_m > 0.0) {
        return Err(GeometryError::OutOfRange { what: "centre_sigma_m" });
    }
    if !(options.gravity_sigma_deg > 0.0) {
        return Err(GeometryError::OutOfRange { what: "gravity_sigma_deg" });
    }
    if !(options.ransac.confidence > 0.0 && options.ransac.confidence < 1.0) {
        return Err(GeometryError::OutOfRange { what: "ransac confidence" });
    }
    Ok(())
}

/// Reprojection error of every correspondence (infinite behind the camera).
fn reprojection_errors(cam: &RefinedCamera, x: &[Vector2<f64>], xw: &[Vector3<f64>]) -> Vec<f64> {
    x.iter()
        .zip(xw)
        .map(|(xi, wi)| {
            let p = cam.pose.transform(wi);
            if !(p.z > 0.0) {
                return f64::INFINITY;
            }
            let n = Vector2::new(p.x / p.z, p.y / p.z);
            let r2 = n.norm_squared();
            let d = n * (1.0 + cam.k1 * r2 + cam.k2 * r2 * r2);
            (d * cam.pose.focal - xi).norm()
        })
        .collect()
}

fn inlier_indices(errors: &[f64], threshold: f64) -> Vec<usize> {
    errors.iter().enumerate().filter(|(_, e)| **e < threshold).map(|(i, _)| i).collect()
}
