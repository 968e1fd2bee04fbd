//! Pose from matches (pipeline step 5): 2D-3D correspondences, the robust solve through
//! [`estimate_absolute_pose`] (the only RANSAC loop), and one guided re-matching round.
//!
//! All 3D points are in the pack's local ENU frame (metres, f64 from the stored f32); the
//! pose is `cam_from_pack_enu` until the caller converts it to ECEF.
//!
//! Re-matching: every keypoint of the chosen views is projected with the first pose; each
//! query keypoint takes the descriptor-nearest projected point within `radius_px` whose
//! descriptor distance is at most the 95th percentile of the first solve's inlier distances
//! times 1.25; one match per 3D keypoint (the closest). The final solve then runs with a
//! tighter threshold (LandscapeAR: 10 px, then 8 px) and the first focal as a prior.

use lsar_geometry::absolute_pose::{AbsolutePoseEstimate, AbsolutePoseOptions, FocalMode};
use lsar_geometry::ransac::{RansacOptions, Sampling};
use lsar_geometry::solvers::Gravity;
use lsar_geometry::{Camera, GeometryError, estimate_absolute_pose};
use lsar_pack::PackReader;
use lsar_vision::Match;
use nalgebra::{Isometry3, Point3, Vector2};

use super::query::QueryFeatures;
use super::result::Reason;
use super::retrieval::ViewSet;
use crate::error::{CoreError, Result};

/// Correspondences sorted best first (ascending descriptor distance, for PROSAC).
#[derive(Debug, Default, Clone)]
pub(crate) struct Correspondences {
    /// Query pixels.
    pub pixels: Vec<Vector2<f64>>,
    /// Pack points, ENU metres of the pack origin.
    pub points: Vec<Point3<f64>>,
    /// Descriptor distances.
    pub distances: Vec<f32>,
}

impl Correspondences {
    pub(crate) fn len(&self) -> usize {
        self.pixels.len()
    }

    fn push(&mut self, pixel: Vector2<f64>, point: Point3<f64>, distance: f32) {
        self.pixels.push(pixel);
        self.points.push(point);
        self.distances.push(distance);
    }
}

fn point_of(pack: &PackReader, keypoint: u32) -> Option<Point3<f64>> {
    let k = pack.keypoints().get(keypoint as usize)?;
    let [x, y, z] = k.point_enu;
    Some(Point3::new(f64::from(x), f64::from(y), f64::from(z)))
}

/// Correspondences of descriptor matches (query rows into `set` rows), in match order.
pub(crate) fn from_matches(
    matches: &[Match],
    query: &QueryFeatures,
    set: &ViewSet,
    pack: &PackReader,
) -> Correspondences {
    let mut out = Correspondences::default();
    for m in matches {
        let pixel = query.keypoints.get(m.query);
        let point = set.keypoints.get(m.train).and_then(|&k| point_of(pack, k));
        if let (Some(pixel), Some(point)) = (pixel, point) {
            out.push(*pixel, point, m.distance);
        }
    }
    out
}

/// What the solver knows besides the correspondences.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SolveSetup {
    /// Image size, principal point and (per `focal`) focal length.
    pub camera: Camera,
    /// Focal known, unknown or a prior.
    pub focal: FocalMode,
    /// Gravity in the camera and the pack frame.
    pub gravity: Option<Gravity>,
    /// Approximate camera centre in the pack frame (the GPS fix), for the 2-point solvers
    /// and, with `centre_sigma_m`, a prior in the refinement.
    pub centre: Option<Point3<f64>>,
    /// Standard deviation of `centre`, metres (infinite: no prior).
    pub centre_sigma_m: f64,
    /// Accepted horizontal FOV range for an unknown focal, degrees.
    pub hfov_range_deg: (f64, f64),
    /// Fewest inliers.
    pub min_inliers: usize,
    /// Most RANSAC iterations.
    pub max_iterations: u64,
    /// RANSAC seed.
    pub seed: u64,
}

/// The robust solve; a geometric failure is a [`Reason`], a bad input a [`CoreError`].
pub(crate) fn solve(
    c: &Correspondences,
    setup: &SolveSetup,
    threshold_px: f64,
) -> Result<std::result::Result<AbsolutePoseEstimate, Reason>> {
    let options = AbsolutePoseOptions {
        focal: setup.focal,
        gravity: setup.gravity,
        centre: setup.centre,
        centre_sigma_m: setup.centre_sigma_m,
        threshold_px,
        hfov_range_deg: setup.hfov_range_deg,
        min_inliers: setup.min_inliers,
        ransac: RansacOptions {
            sampling: Sampling::Prosac,
            seed: setup.seed,
            max_iterations: setup.max_iterations,
            ..RansacOptions::default()
        },
        ..AbsolutePoseOptions::default()
    };
    match estimate_absolute_pose(&c.pixels, &c.points, &setup.camera, &options) {
        Ok(est) => Ok(Ok(est)),
        Err(GeometryError::TooFewCorrespondences { required, got }) => {
            Ok(Err(Reason::TooFewMatches { found: got, required }))
        }
        Err(GeometryError::NoConsensus { inliers, required }) => {
            Ok(Err(Reason::NoConsensus { inliers, required }))
        }
        Err(e) => Err(CoreError::from(e)),
    }
}

/// The largest descriptor distance accepted when re-matching: 1.25 times the 95th
/// percentile of the inlier distances of the first solve (infinite without inliers).
pub(crate) fn rematch_distance(c: &Correspondences, est: &AbsolutePoseEstimate) -> f32 {
    let mut d: Vec<f32> = c
        .distances
        .iter()
        .zip(&est.inlier_mask)
        .filter(|(_, inlier)| **inlier)
        .map(|(d, _)| *d)
        .collect();
    if d.is_empty() {
        return f32::INFINITY;
    }
    d.sort_by(f32::total_cmp);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((d.len() as f64 - 1.0) * 0.95).round() as usize;
    d.get(i).copied().unwrap_or(f32::INFINITY) * 1.25
}

/// The re-matching targets: all views of the `viewpoints` that own one of `top_views`.
pub(crate) fn rematch_views(pack: &PackReader, viewpoints: &[u32], top_views: &[u32]) -> Vec<u32> {
    let mut views = Vec::new();
    for &vp in viewpoints {
        let Ok(record) = pack.viewpoint(vp as usize) else { continue };
        let range = record.first_view..record.first_view.saturating_add(record.view_count);
        if top_views.iter().any(|v| range.contains(v)) {
            views.extend(range);
        }
    }
    views
}

/// Guided re-matching of `query` against every keypoint of `views` projected with
/// `cam_from_world` and `camera` (see the module docs).
pub(crate) fn rematch(
    pack: &PackReader,
    views: &[u32],
    query: &QueryFeatures,
    cam_from_world: &Isometry3<f64>,
    camera: &Camera,
    radius_px: f64,
    max_distance: f32,
) -> Result<Correspondences> {
    let camera = *camera;
    let (w, h) = (f64::from(camera.width), f64::from(camera.height));
    let r = radius_px.max(1.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (gw, gh) = (((w / r).ceil() as usize).max(1), ((h / r).ceil() as usize).max(1));
    let cell_of = |p: &Vector2<f64>| -> Option<(usize, usize)> {
        if !(p.x >= -r && p.y >= -r && p.x < w + r && p.y < h + r) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (cx, cy) = ((p.x.max(0.0) / r) as usize, (p.y.max(0.0) / r) as usize);
        Some((cx.min(gw - 1), cy.min(gh - 1)))
    };
    // Project, bucket, and decode the descriptors of the points in view.
    let table = pack.descriptors();
    let dim = table.dim();
    let mut grid: Vec<Vec<usize>> = vec![Vec::new(); gw * gh];
    let mut projected: Vec<(Vector2<f64>, Point3<f64>)> = Vec::new();
    let mut rows: Vec<f32> = Vec::new();
    let all_views = pack.views();
    for &v in views {
        let Some(view) = all_views.get(v as usize) else { continue };
        for k in view.first_keypoint..view.first_keypoint.saturating_add(view.keypoint_count) {
            let Some(point) = point_of(pack, k) else { continue };
            let in_cam = cam_from_world * point;
            let Some(pixel) = camera.project(&in_cam.coords) else { continue };
            let Some((cx, cy)) = cell_of(&pixel) else { continue };
            let start = rows.len();
            rows.resize(start + dim, 0.0);
            table.row_into(k as usize, &mut rows[start..])?;
            if let Some(cell) = grid.get_mut(cy * gw + cx) {
                cell.push(projected.len());
            }
            projected.push((pixel, point));
        }
    }
    // Per projected point: the best query (index, distance).
    let mut best: Vec<Option<(usize, f32)>> = vec![None; projected.len()];
    let qdim = query.descriptors.dim();
    if qdim != dim {
        return Err(CoreError::InvalidInput { what: "query and pack descriptor lengths differ" });
    }
    for (qi, q) in query.keypoints.iter().enumerate() {
        let (Some(qd), Some((cx, cy))) = (query.descriptors.row(qi), cell_of(q)) else {
            continue;
        };
        let mut pick: Option<(usize, f32)> = None;
        for gy in cy.saturating_sub(1)..=(cy + 1).min(gh - 1) {
            for gx in cx.saturating_sub(1)..=(cx + 1).min(gw - 1) {
                let Some(cell) = grid.get(gy * gw + gx) else { continue };
                for &j in cell {
                    let (Some((pixel, _)), Some(pd)) =
                        (projected.get(j), rows.get(j * dim..(j + 1) * dim))
                    else {
                        continue;
                    };
                    if (pixel - q).norm() > r {
                        continue;
                    }
                    let d2: f32 = qd.iter().zip(pd).map(|(a, b)| (a - b) * (a - b)).sum();
                    let d = d2.sqrt();
                    if d <= max_distance && pick.is_none_or(|(_, bd)| d < bd) {
                        pick = Some((j, d));
                    }
                }
            }
        }
        if let Some((j, d)) = pick
            && let Some(slot) = best.get_mut(j)
            && slot.is_none_or(|(_, bd)| d < bd)
        {
            *slot = Some((qi, d));
        }
    }
    let mut chosen: Vec<(usize, usize, f32)> =
        best.iter().enumerate().filter_map(|(j, b)| b.map(|(qi, d)| (qi, j, d))).collect();
    chosen.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
    let mut out = Correspondences::default();
    for (qi, j, d) in chosen {
        if let (Some(pixel), Some((_, point))) = (query.keypoints.get(qi), projected.get(j)) {
            out.push(*pixel, *point, d);
        }
    }
    Ok(out)
}
