//! `lsar eval --diagnose`: which stage of the Localizer loses a query, measured against the
//! query's true pose.
//!
//! For each query and descriptor, [`Localizer::trace`] is run with patches cut for the true
//! FOV, and compared with the truth:
//! - `possible`: query keypoints that have a pack keypoint of the named views within the
//!   match radius when the pack point is projected with the true pose and is visible (its
//!   depth agrees with the query's rendered depth). This bounds the correct matches any
//!   descriptor could find there: it measures detector repeatability and view coverage.
//! - `correct`: tentative matches whose pack point reprojects within the radius of its query
//!   keypoint under the true pose.
//! - `oracle views`: the three candidate views with the most `possible` keypoints, and the
//!   correct matches the same matcher finds against them (view choice removed as a cause).
//! - the keypoint, `possible` and `correct` counts per band of the terrain depth under the
//!   query keypoint ([`KEYPOINT_DEPTH_BANDS_M`]): which terrain the matches come from.
//! - the Localizer's guided re-matching and final solve started from the true rotation at the
//!   GPS fix, and from that rotation turned 5 degrees about the vertical
//!   ([`Localizer::verify_pose`]): whether a pose hypothesis from another source than
//!   descriptor matching would be confirmed, and what a wrong one reaches.

use lsar_core::geometry::{Camera, CameraPose};
use lsar_core::localizer::{GuidedCheck, Trace};
use lsar_core::pack::PackReader;
use lsar_core::vision::{Descriptors, Image, MatchOptions, match_descriptors};
use lsar_core::{Localizer, Priors};
use nalgebra::{Vector2, Vector3};
use serde::Serialize;

use super::error::{EvalError, Result};
use crate::render::Surface;

mod summary;

pub use summary::summary;

/// Match radius at a 1024 px image (the Localizer's first-solve threshold), pixels.
const RADIUS_PX: f64 = 10.0;
/// Views taken as the oracle's choice (the Localizer's `top_views`).
const ORACLE_VIEWS: usize = 3;
/// Upper ends of the bands of terrain depth under a query keypoint, metres: the counts per
/// band are for depths below 2 km, 2-5 km and beyond 5 km.
pub const KEYPOINT_DEPTH_BANDS_M: [f64; 2] = [2000.0, 5000.0];
/// Turn about the vertical of the control rotation of the guided check, degrees.
const TURN_DEG: f64 = 5.0;

/// Guided re-matching and final solve from one rotation at the GPS fix.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Guided {
    /// Correspondences found around the projections.
    pub rematched: usize,
    /// Inliers of the final solve (0 when it finds no pose).
    pub inliers: usize,
}

impl From<GuidedCheck> for Guided {
    fn from(c: GuidedCheck) -> Self {
        Self { rematched: c.rematched, inliers: c.inliers }
    }
}

/// The stage counts of one query for one descriptor.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnosis {
    /// Query keypoints described.
    pub keypoints: usize,
    /// Candidate views (all views of the searched viewpoints).
    pub candidate_views: usize,
    /// Keypoints with a visible pack keypoint within the radius in any candidate view.
    pub possible_all: usize,
    /// The same over the voted top views.
    pub possible_top: usize,
    /// The same over the oracle views.
    pub possible_oracle: usize,
    /// Rank (0 = first) in the vote of the view with the most possible keypoints.
    pub best_view_vote_rank: Option<usize>,
    /// Tentative matches into the voted top views.
    pub matches: usize,
    /// Of those, correct under the true pose.
    pub correct: usize,
    /// Tentative matches into the oracle views.
    pub oracle_matches: usize,
    /// Of those, correct under the true pose.
    pub oracle_correct: usize,
    /// Query keypoints whose k nearest pack keypoints of the voted top views (k = 1, 3, 5,
    /// 10, by descriptor distance) include a correct one.
    pub correct_within_k: [usize; 4],
    /// Distance (m) from the true camera to the nearest searched viewpoint.
    pub nearest_viewpoint_m: f64,
    /// Query keypoints on terrain per depth band ([`KEYPOINT_DEPTH_BANDS_M`]; depth of the
    /// query's rendered surface at the keypoint, keypoints on sky not counted).
    pub keypoints_by_depth: [usize; 3],
    /// Of those, the ones counted in `possible_all`.
    pub possible_by_depth: [usize; 3],
    /// Correct tentative matches per depth band of their query keypoint.
    pub correct_by_depth: [usize; 3],
    /// Guided re-matching and final solve from the true rotation at the GPS fix.
    pub true_rotation: Guided,
    /// The same from the true rotation turned 5 degrees about the vertical.
    pub turned_rotation: Guided,
}

/// The truth of one query: camera, pose (world = ECEF) and rendered depth.
#[derive(Debug)]
pub struct Truth<'a> {
    /// Intrinsics.
    pub camera: &'a Camera,
    /// `cam_from_world`, world = ECEF.
    pub pose: &'a CameraPose,
    /// The query's rendered surface (z-depth per pixel).
    pub surface: &'a Surface,
}

impl Truth<'_> {
    /// Pixel of a pack point (pack ENU) under the true pose, if in front of the camera.
    fn project(&self, pack: &PackReader, point_enu: [f32; 3]) -> Option<(Vector2<f64>, f64)> {
        let enu =
            Vector3::new(f64::from(point_enu[0]), f64::from(point_enu[1]), f64::from(point_enu[2]));
        let cam = self.pose.transform_point(&pack.local_frame().ecef_from_enu(&enu));
        Some((self.camera.project(&cam)?, cam.z))
    }

    /// Pixel of a pack point if it is inside the image and not hidden by nearer terrain.
    fn visible(&self, pack: &PackReader, point_enu: [f32; 3]) -> Option<Vector2<f64>> {
        let (px, z) = self.project(pack, point_enu)?;
        let s = self.surface;
        #[allow(clippy::cast_precision_loss)]
        let inside = px.x > -0.5
            && px.y > -0.5
            && px.x < s.width as f64 - 0.5
            && px.y < s.height as f64 - 0.5;
        if !inside || z <= 0.0 {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (x, y) = (px.x.round() as usize, px.y.round() as usize);
        let depth = s.pixels.get(y * s.width + x)?.as_ref()?.depth;
        ((depth - z).abs() <= (0.02 * z).max(15.0)).then_some(px)
    }
}

/// The depth band ([`KEYPOINT_DEPTH_BANDS_M`]) of the terrain at a query pixel; `None` on sky
/// or outside the image.
fn depth_band(surface: &Surface, pixel: &Vector2<f64>) -> Option<usize> {
    #[allow(clippy::cast_precision_loss)]
    let inside = pixel.x > -0.5
        && pixel.y > -0.5
        && pixel.x < surface.width as f64 - 0.5
        && pixel.y < surface.height as f64 - 0.5;
    if !inside {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (x, y) = (pixel.x.round() as usize, pixel.y.round() as usize);
    let depth = surface.pixels.get(y * surface.width + x)?.as_ref()?.depth;
    Some(KEYPOINT_DEPTH_BANDS_M.iter().take_while(|&&b| depth >= b).count())
}

/// Guided checks from the true rotation at the GPS fix and from it turned by [`TURN_DEG`].
fn guided_checks(
    localizer: &Localizer,
    trace: &Trace,
    priors: &Priors,
    truth: &Truth<'_>,
) -> Result<(Guided, Guided)> {
    let core = |e: lsar_core::CoreError| EvalError::Core { source: e };
    let pack =
        localizer.packs().get(trace.pack).ok_or(EvalError::Invalid { what: "trace pack index" })?;
    let frame = pack.local_frame();
    let gps = frame.enu_from_geodetic(&priors.gps);
    let rotation = truth.pose.ecef_to_frame(&frame).cam_from_world.rotation;
    let at_fix = CameraPose::from_rotation_center(rotation, &gps);
    let mut out = [Guided::default(); 2];
    for (slot, turn_deg) in out.iter_mut().zip([0.0, TURN_DEG]) {
        let pose = at_fix.turned_about_world_z(turn_deg);
        *slot = localizer
            .verify_pose(trace, &pose.cam_from_world, truth.camera, priors)
            .map_err(core)?
            .into();
    }
    Ok((out[0], out[1]))
}

/// Visible pack keypoints (pixel under the true pose) of one view.
fn visible_of_view(pack: &PackReader, view: u32, truth: &Truth<'_>) -> Vec<Vector2<f64>> {
    let Some(v) = pack.views().get(view as usize) else { return Vec::new() };
    let keypoints = pack.keypoints();
    (v.first_keypoint..v.first_keypoint.saturating_add(v.keypoint_count))
        .filter_map(|k| truth.visible(pack, keypoints.get(k as usize)?.point_enu))
        .collect()
}

/// Per query keypoint, whether a visible point of `views` lies within `r` pixels.
fn hits(query: &[Vector2<f64>], visible: &[&Vec<Vector2<f64>>], r: f64) -> Vec<bool> {
    query
        .iter()
        .map(|q| visible.iter().any(|pts| pts.iter().any(|p| (p - q).norm() <= r)))
        .collect()
}

/// Runs the trace of `localizer` on one query and compares it with `truth`; `None` when the
/// Localizer finds no pack or viewpoint for the priors.
///
/// # Errors
/// Localizer and pack errors.
pub fn diagnose(
    localizer: &Localizer,
    image: &Image,
    priors: &Priors,
    truth: &Truth<'_>,
) -> Result<Option<Diagnosis>> {
    let core = |e: lsar_core::CoreError| EvalError::Core { source: e };
    let Some(trace) = localizer.trace(image, priors, truth.camera.hfov_deg()).map_err(core)? else {
        return Ok(None);
    };
    let pack =
        localizer.packs().get(trace.pack).ok_or(EvalError::Invalid { what: "trace pack index" })?;
    #[allow(clippy::cast_precision_loss)]
    let r = RADIUS_PX * f64::from(truth.camera.width.max(truth.camera.height)) / 1024.0;
    let query = &trace.features.keypoints;
    let visible: Vec<Vec<Vector2<f64>>> =
        trace.candidate_views.iter().map(|&v| visible_of_view(pack, v, truth)).collect();
    let per_view: Vec<usize> =
        visible.iter().map(|pts| hits(query, &[pts], r).iter().filter(|h| **h).count()).collect();
    let count_over = |views: &[u32]| {
        let sets: Vec<&Vec<Vector2<f64>>> = trace
            .candidate_views
            .iter()
            .zip(&visible)
            .filter(|(v, _)| views.contains(v))
            .map(|(_, pts)| pts)
            .collect();
        hits(query, &sets, r).iter().filter(|h| **h).count()
    };
    let mut order: Vec<usize> = (0..per_view.len()).collect();
    order.sort_by(|&a, &b| per_view[b].cmp(&per_view[a]).then(a.cmp(&b)));
    let oracle: Vec<u32> = order
        .iter()
        .take(ORACLE_VIEWS)
        .filter_map(|&i| trace.candidate_views.get(i).copied())
        .collect();
    let best_view_vote_rank =
        oracle.first().and_then(|best| trace.votes.iter().position(|(v, _)| v == best));
    let correct = |query_index: usize, keypoint: u32| -> bool {
        let (Some(q), Some(k)) = (query.get(query_index), pack.keypoints().get(keypoint as usize))
        else {
            return false;
        };
        truth.project(pack, k.point_enu).is_some_and(|(p, z)| z > 0.0 && (p - q).norm() <= r)
    };
    let mut keypoints_by_depth = [0usize; 3];
    let mut possible_by_depth = [0usize; 3];
    let all_visible: Vec<&Vec<Vector2<f64>>> = visible.iter().collect();
    for (q, hit) in query.iter().zip(hits(query, &all_visible, r)) {
        let band = depth_band(truth.surface, q);
        if let (Some(k), Some(p)) = (
            band.and_then(|b| keypoints_by_depth.get_mut(b)),
            band.and_then(|b| possible_by_depth.get_mut(b)),
        ) {
            *k += 1;
            *p += usize::from(hit);
        }
    }
    let mut correct_by_depth = [0usize; 3];
    for m in trace.matches.iter().filter(|m| correct(m.query, m.keypoint)) {
        let band = query.get(m.query).and_then(|q| depth_band(truth.surface, q));
        if let Some(c) = band.and_then(|b| correct_by_depth.get_mut(b)) {
            *c += 1;
        }
    }
    let (true_rotation, turned_rotation) = guided_checks(localizer, &trace, priors, truth)?;
    let (oracle_matches, oracle_correct) = oracle_matching(pack, &trace, &oracle, &correct)?;
    let correct_within_k = ranks_of_correct(pack, &trace, &correct)?;
    let centre = pack.local_frame().enu_from_ecef(&truth.pose.center());
    let searched = trace.viewpoints.iter().filter_map(|&vp| pack.viewpoint(vp as usize).ok());
    let nearest = super::queries::nearest_horizontal_m(
        searched.map(|v| [v.position_enu[0], v.position_enu[1]]),
        [centre.x, centre.y],
    );
    Ok(Some(Diagnosis {
        keypoints: query.len(),
        candidate_views: trace.candidate_views.len(),
        possible_all: count_over(&trace.candidate_views),
        possible_top: count_over(&trace.top_views),
        possible_oracle: count_over(&oracle),
        best_view_vote_rank,
        matches: trace.matches.len(),
        correct: trace.matches.iter().filter(|m| correct(m.query, m.keypoint)).count(),
        oracle_matches,
        oracle_correct,
        correct_within_k,
        nearest_viewpoint_m: nearest,
        keypoints_by_depth,
        possible_by_depth,
        correct_by_depth,
        true_rotation,
        turned_rotation,
    }))
}

/// Matches the query against the keypoints of `views` with the Localizer's matcher; returns
/// the match count and the correct ones.
fn oracle_matching(
    pack: &PackReader,
    trace: &Trace,
    views: &[u32],
    correct: &dyn Fn(usize, u32) -> bool,
) -> Result<(usize, usize)> {
    let (rows, set) = view_descriptors(pack, views)?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let core = |e: lsar_core::vision::VisionError| EvalError::Core { source: e.into() };
    let matches = match_descriptors(&trace.features.descriptors, &set, &MatchOptions::default())
        .map_err(core)?;
    let good =
        matches.iter().filter(|m| rows.get(m.train).is_some_and(|&k| correct(m.query, k))).count();
    Ok((matches.len(), good))
}

/// Per query keypoint, the rank of the first correct pack keypoint of the top views by
/// descriptor distance; counted at k = 1, 3, 5, 10.
fn ranks_of_correct(
    pack: &PackReader,
    trace: &Trace,
    correct: &dyn Fn(usize, u32) -> bool,
) -> Result<[usize; 4]> {
    let (keypoints, set) = view_descriptors(pack, &trace.top_views)?;
    let mut counts = [0usize; 4];
    let query = &trace.features.descriptors;
    for qi in 0..query.len() {
        let Some(q) = query.row(qi) else { continue };
        let mut dist: Vec<(f32, u32)> = keypoints
            .iter()
            .enumerate()
            .filter_map(|(j, &k)| {
                let d = set.row(j)?;
                Some((q.iter().zip(d).map(|(a, b)| (a - b) * (a - b)).sum(), k))
            })
            .collect();
        let n = dist.len().min(10);
        if n == 0 {
            continue;
        }
        dist.select_nth_unstable_by(n - 1, |a, b| a.0.total_cmp(&b.0));
        dist.truncate(n);
        dist.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(rank) = dist.iter().position(|&(_, k)| correct(qi, k)) {
            for (slot, k) in counts.iter_mut().zip([1, 3, 5, 10]) {
                if rank < k {
                    *slot += 1;
                }
            }
        }
    }
    Ok(counts)
}

/// The pack keypoints of `views` and their descriptors, decoded to f32, in view order.
fn view_descriptors(pack: &PackReader, views: &[u32]) -> Result<(Vec<u32>, Descriptors)> {
    let table = pack.descriptors();
    let dim = table.dim();
    let mut data = Vec::new();
    let mut keypoints = Vec::new();
    for &v in views {
        let Some(view) = pack.views().get(v as usize) else { continue };
        for k in view.first_keypoint..view.first_keypoint.saturating_add(view.keypoint_count) {
            let start = data.len();
            data.resize(start + dim, 0.0);
            table
                .row_into(k as usize, &mut data[start..])
                .map_err(|e| EvalError::Pack { source: e })?;
            keypoints.push(k);
        }
    }
    let set =
        Descriptors::new(dim.max(1), data).map_err(|e| EvalError::Core { source: e.into() })?;
    Ok((keypoints, set))
}

#[cfg(test)]
mod tests {
    use super::{Surface, Vector2, depth_band};
    use crate::render::SurfacePixel;

    #[test]
    fn depth_bands_split_at_2_and_5_km() {
        let px = |depth| Some(SurfacePixel { depth, normal: [0.0, 0.0, 1.0], elevation: 0.0 });
        let surface =
            Surface { width: 4, height: 1, pixels: vec![px(1999.0), px(2000.0), px(5000.0), None] };
        let band = |x: f64| depth_band(&surface, &Vector2::new(x, 0.0));
        assert_eq!([band(0.0), band(1.2), band(2.4), band(3.0)], [Some(0), Some(1), Some(2), None]);
        // Outside the image.
        assert_eq!(band(-0.6), None);
        assert_eq!(band(3.6), None);
    }
}
