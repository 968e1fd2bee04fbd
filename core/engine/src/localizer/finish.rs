//! The solve sequence (first solve, re-matching, final solve) and the conversion of its
//! result into a [`Localization`]: ECEF pose, camera JSON, contradicted priors, confidence.

use std::time::Instant;

use lsar_geometry::absolute_pose::{AbsolutePoseEstimate, FocalMode};
use lsar_geometry::camera::focal_from_hfov_deg;
use lsar_geometry::camera_json::{CameraJson, JsonFrame};
use lsar_geometry::solvers::Gravity;
use lsar_geometry::{Camera, CameraPose, LocalFrame};
use lsar_pack::PackReader;
use nalgebra::Vector3;

use super::pose::{self, Correspondences, SolveSetup};
use super::priors::{FovSource, Priors, angle_diff_deg};
use super::query::QueryFeatures;
use super::result::{Localization, PriorKind, Reason, Timings, confidence};
use super::{Localizer, LocalizerOptions};
use crate::error::Result;

/// The chosen estimate, its number of correspondences and its threshold (pixels).
pub(crate) type Solved = (AbsolutePoseEstimate, usize, f64);

/// "Down" at `gps` (minus the ellipsoid normal) in the pack's ENU frame.
fn down_in_pack(pack: &PackReader, priors: &Priors) -> Vector3<f64> {
    let at_gps = LocalFrame::new(priors.gps);
    let down_ecef = at_gps.ecef_from_enu_rotation() * Vector3::new(0.0, 0.0, -1.0);
    pack.local_frame().enu_from_ecef_rotation() * down_ecef
}

/// First solve at `threshold_px`, guided re-matching over every view of the viewpoints that
/// own `top_views`, final solve at `final_threshold_px`; the first result stands if the final
/// solve fails.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_and_refine(
    loc: &Localizer,
    pack: &PackReader,
    viewpoints: &[u32],
    top_views: &[u32],
    features: &QueryFeatures,
    priors: &Priors,
    corr: &Correspondences,
    timings: &mut Timings,
) -> Result<std::result::Result<Solved, Reason>> {
    let o = &loc.options;
    let t = Instant::now();
    #[allow(clippy::cast_precision_loss)]
    let scale = f64::from(features.width.max(features.height)) / o.reference_side_px;
    let (focal, hfov) = match &priors.fov {
        Some(f) if f.source == FovSource::Exact => (FocalMode::Known, f.hfov_deg),
        Some(f) => (FocalMode::Prior { max_ratio: f.max_ratio }, f.hfov_deg),
        None => (FocalMode::Unknown, features.patch_hfov_deg),
    };
    let camera =
        Camera::new(features.width, features.height, focal_from_hfov_deg(features.width, hfov));
    let gravity = priors
        .gravity_unit()
        .map(|down_in_cam| Gravity { down_in_cam, down_in_world: down_in_pack(pack, priors) });
    let mut setup = SolveSetup {
        camera,
        focal,
        gravity,
        hfov_range_deg: o.hfov_range_deg,
        min_inliers: o.min_inliers,
        max_iterations: o.max_ransac_iterations,
        seed: o.seed,
    };
    let threshold = o.threshold_px * scale;
    let first = match pose::solve(corr, &setup, threshold)? {
        Ok(est) => est,
        Err(reason) => {
            timings.pose_ms += t.elapsed().as_secs_f64() * 1e3;
            return Ok(Err(reason));
        }
    };
    timings.pose_ms += t.elapsed().as_secs_f64() * 1e3;

    let t = Instant::now();
    let mut views = Vec::new();
    for &vp in viewpoints {
        let Ok(record) = pack.viewpoint(vp as usize) else { continue };
        let range = record.first_view..record.first_view.saturating_add(record.view_count);
        if top_views.iter().any(|v| range.contains(v)) {
            views.extend(range);
        }
    }
    let max_distance = pose::rematch_distance(corr, &first);
    let rematched = pose::rematch(pack, &views, features, &first, threshold, max_distance)?;
    setup.camera = first.camera;
    if focal != FocalMode::Known {
        setup.focal = FocalMode::Prior { max_ratio: o.final_focal_ratio };
    }
    let final_threshold = o.final_threshold_px * scale;
    let chosen = match pose::solve(&rematched, &setup, final_threshold)? {
        Ok(est) if est.num_inliers >= o.min_inliers => (est, rematched.len(), final_threshold),
        _ => (first, corr.len(), threshold),
    };
    timings.refine_ms += t.elapsed().as_secs_f64() * 1e3;
    Ok(Ok(chosen))
}

/// The public result of an estimate whose world is the pack's ENU frame.
pub(crate) fn localization(
    pack: &PackReader,
    features: &QueryFeatures,
    priors: &Priors,
    est: &AbsolutePoseEstimate,
    correspondences: usize,
    threshold_px: f64,
    o: &LocalizerOptions,
) -> Result<Localization> {
    let pose = CameraPose::new(est.cam_from_world).frame_to_ecef(&pack.local_frame());
    let camera = est.camera;
    let camera_json = CameraJson::from_parts(&camera, &pose, JsonFrame::Ecef);
    let q = pose.quaternion();
    let contradicted_priors = contradicted(&camera, &pose, priors);
    let conf = confidence(
        est.num_inliers,
        o.min_inliers,
        correspondences,
        est.rmse_px,
        threshold_px,
        !contradicted_priors.is_empty(),
    );
    Ok(Localization {
        localized: true,
        camera_json,
        quaternion_wxyz: [q.w, q.i, q.j, q.k],
        inliers: est.num_inliers,
        correspondences,
        reprojection_rmse_px: est.rmse_px,
        confidence: conf,
        solver: format!("{:?}", est.solver),
        patch_hfov_deg: features.patch_hfov_deg,
        views: Vec::new(),
        pack: 0,
        contradicted_priors,
        timings_ms: Timings::default(),
    })
}

/// The priors a pose (world = ECEF) disagrees with (see [`PriorKind`]).
fn contradicted(camera: &Camera, pose: &CameraPose, priors: &Priors) -> Vec<PriorKind> {
    let mut out = Vec::new();
    let at_gps = LocalFrame::new(priors.gps);
    let offset = at_gps.enu_from_ecef(&pose.center());
    if offset.x.hypot(offset.y) > (3.0 * priors.gps_accuracy_m).max(50.0) {
        out.push(PriorKind::Gps);
    }
    let angles = pose.angles_deg();
    if let Some(h) = &priors.heading
        && angle_diff_deg(angles.yaw_deg, h.yaw_deg).abs() > (3.0 * h.accuracy_deg).max(5.0)
    {
        out.push(PriorKind::Heading);
    }
    if let Some(prior) = priors.gravity_unit() {
        let at_cam = LocalFrame::new(pose.position());
        let down_ecef = at_cam.ecef_from_enu_rotation() * Vector3::new(0.0, 0.0, -1.0);
        let down_cam = pose.rotation() * down_ecef;
        if down_cam.angle(&prior).to_degrees() > 3.0 {
            out.push(PriorKind::Gravity);
        }
    }
    if let Some(f) = &priors.fov
        && f.source == FovSource::Exif
    {
        let ratio = camera.focal_px / focal_from_hfov_deg(camera.width, f.hfov_deg);
        if !(ratio <= f.max_ratio * 1.001 && ratio >= 1.0 / (f.max_ratio * 1.001)) {
            out.push(PriorKind::Fov);
        }
    }
    out
}
