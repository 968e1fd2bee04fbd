//! Options of the [`super::Localizer`] and the cancellation token of a call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::query::QueryOptions;

/// Tunable parameters of the pipeline. Pixel thresholds refer to a query image whose longer
/// side is `reference_side_px` and scale with the actual size.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalizerOptions {
    /// Query feature extraction.
    pub query: QueryOptions,
    /// Viewpoint search radius = this many GPS sigmas (2), clamped to
    /// [`Self::search_radius_range_m`].
    pub search_radius_sigmas: f64,
    /// Smallest and largest viewpoint search radius, metres (1000, 5000). The smallest
    /// covers the pack builder's default 1 km grid: no point is farther than 707 m from its
    /// nearest viewpoint, so an accurate GPS fix still finds one.
    pub search_radius_range_m: (f64, f64),
    /// Most viewpoints considered, nearest first (4).
    pub max_viewpoints: usize,
    /// Query descriptors (strongest first) that vote for views (600).
    pub vote_queries: usize,
    /// Views matched in full after voting (24; LandscapeAR: 3). Voting on the few keypoints
    /// of a near-textureless photo often ranks the views that hold its correct matches
    /// below the third; half of the 48 views of the 4 nearest viewpoints keeps them. On the
    /// same 150 `lsar eval` queries (procedural seeds 1000 and 1001, Colorado) 24 views gave
    /// 14 more queries within 2 degrees and 3 fewer than 3 views, at the same confidence
    /// calibration; 48 gave fewer than 24.
    pub top_views: usize,
    /// Fewest matches and inliers for a pose (12, LandscapeAR's "> 11").
    pub min_inliers: usize,
    /// Image size the pixel thresholds refer to, pixels (1024).
    pub reference_side_px: f64,
    /// Inlier threshold of the first solve and re-matching radius, pixels (10).
    pub threshold_px: f64,
    /// Hypotheses of the first solve from the GPS fix as the camera centre (2-point C2Pf /
    /// C2P solvers; the pose is then refined in full), falling back to P4Pf / P3P / the
    /// upright solvers without it when that finds no consensus (true). The fix's height is
    /// used as the centre's: phone GPS altitude (tens of metres off) is good enough, since
    /// most matched terrain is kilometres away.
    pub gps_anchor: bool,
    /// Inlier threshold of the GPS-anchored first solve, pixels (20: twice `threshold_px`,
    /// for the offset a GPS error of tens of metres gives points a kilometre away).
    pub anchor_threshold_px: f64,
    /// Nearest pack descriptors per query descriptor in the GPS-anchored first solve (3):
    /// its 2-point samples tolerate the outliers of the further neighbours, which hold the
    /// true match about half as often again as the first alone (`lsar eval --diagnose`).
    pub anchor_neighbours: usize,
    /// Fewest distinct query keypoints among the inliers of the GPS-anchored first solve
    /// (12). Counted per keypoint because with several neighbours one keypoint can be an
    /// inlier several times; the re-matching that follows only adds points near the pose's
    /// own projections, so it cannot refute a wrong pose.
    pub anchor_min_inliers: usize,
    /// Without a FOV prior, the focal length of the GPS-anchored solve stays within this
    /// factor of the FOV hypothesis the patches were cut for (1.6: each of the default
    /// hypotheses reaches its neighbours, `tan 30 / tan 20` = 1.59 being the largest step;
    /// 39-85 degrees around 60).
    pub anchor_focal_ratio: f64,
    /// The GPS-anchored first solve must also reach this many times the distinct inliers
    /// that the same solve reaches on the correspondences with their 3D points shuffled
    /// (2): chance consensus depends on how the keypoints and points cluster, which a fixed
    /// count cannot follow.
    pub anchor_chance_ratio: f64,
    /// Fewest distinct inliers (6) of a GPS-anchored first solve that is short of
    /// `anchor_min_inliers` or of `anchor_chance_ratio` times chance, but above chance, for it
    /// to be tried against the heading peak test instead of refused. On the four `lsar eval`
    /// runs of README (250 queries) and 150 fresh ones the test confirmed 9 more queries
    /// within 2 degrees and 3 % of FOV, lost none, and left the confidence calibration as it
    /// was (those results keep the low evidence of their first solve).
    pub peak_min_inliers: usize,
    /// Turn (degrees, 5) about the vertical of the two control poses of the heading peak test.
    /// Guided re-matching from the true rotation turned 5 degrees reached 12 inliers on 2 of
    /// 100 default `lsar eval` queries but on 12 of 50 Colorado ones (`--diagnose`): a count
    /// alone does not confirm a pose there, a peak over its neighbours does.
    pub peak_turn_deg: f64,
    /// The final solve of a pose under the heading peak test needs this many times the
    /// inliers of its better control (2).
    pub peak_ratio: f64,
    /// Inlier threshold of the final solve, pixels (8).
    pub final_threshold_px: f64,
    /// Accepted horizontal FOV for an unknown focal, degrees (10, 120).
    pub hfov_range_deg: (f64, f64),
    /// Focal ratio allowed in the final solve around the first estimate (1.25).
    pub final_focal_ratio: f64,
    /// Most RANSAC iterations per solve (20 000).
    pub max_ransac_iterations: u64,
    /// RANSAC seed (results are deterministic for a seed).
    pub seed: u64,
}

impl Default for LocalizerOptions {
    fn default() -> Self {
        Self {
            query: QueryOptions::default(),
            search_radius_sigmas: 2.0,
            search_radius_range_m: (1000.0, 5000.0),
            max_viewpoints: 4,
            vote_queries: 600,
            top_views: 24,
            min_inliers: 12,
            reference_side_px: 1024.0,
            threshold_px: 10.0,
            gps_anchor: true,
            anchor_threshold_px: 20.0,
            anchor_neighbours: 3,
            anchor_min_inliers: 12,
            anchor_focal_ratio: 1.6,
            anchor_chance_ratio: 2.0,
            peak_min_inliers: 6,
            peak_turn_deg: 5.0,
            peak_ratio: 2.0,
            final_threshold_px: 8.0,
            hfov_range_deg: (10.0, 120.0),
            final_focal_ratio: 1.25,
            max_ransac_iterations: 20_000,
            seed: 0,
        }
    }
}

/// Cancels a running localization from another thread (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every call holding this token to stop at its next stage boundary.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Localizer;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn localizer_and_token_are_send_and_sync() {
        send_sync::<Localizer>();
        send_sync::<super::CancelToken>();
    }
}
