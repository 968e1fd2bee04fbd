//! The intermediate results of one pass of the pipeline (retrieval, voting, matching), for
//! evaluation and debugging: `lsar eval --diagnose` compares them with the true pose to tell
//! which stage loses a query. Localizing does not need it.
//!
//! [`Localizer::verify_pose`] runs the pipeline's last stages (guided re-matching and the
//! final solve) from a given pose, to measure what a pose hypothesis from any source would
//! reach.

use lsar_geometry::Camera;
use lsar_geometry::absolute_pose::FocalMode;
use lsar_vision::{Image, MatchOptions, match_descriptors};
use nalgebra::{Isometry3, Point3};

use super::pose::{self, SolveSetup};
use super::query::{self, QueryFeatures};
use super::{Localizer, Priors, retrieval};
use crate::error::{CoreError, Result};

/// One tentative 2D-3D match of the first solve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TracedMatch {
    /// Query keypoint index (row of [`Trace::features`]).
    pub query: usize,
    /// Global pack keypoint index.
    pub keypoint: u32,
    /// Global view index of that keypoint.
    pub view: u32,
    /// Descriptor distance.
    pub distance: f32,
}

/// What the pipeline saw for one FOV hypothesis, up to the first robust solve.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The described query keypoints (pixels of the photo as passed).
    pub features: QueryFeatures,
    /// Index of the pack used (of [`Localizer::packs`]).
    pub pack: usize,
    /// Viewpoints searched, nearest the GPS fix first.
    pub viewpoints: Vec<u32>,
    /// Views of those viewpoints allowed by the heading prior.
    pub candidate_views: Vec<u32>,
    /// Votes of every candidate view that received one, most first.
    pub votes: Vec<(u32, usize)>,
    /// The views matched in full (the first `top_views` of `votes`).
    pub top_views: Vec<u32>,
    /// The tentative matches into the top views, in match order.
    pub matches: Vec<TracedMatch>,
}

/// What guided re-matching and the final solve find from a given pose
/// ([`Localizer::verify_pose`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuidedCheck {
    /// Correspondences found by re-matching around the pose's projections.
    pub rematched: usize,
    /// Inliers of the final solve on them (0 when it finds no pose with the Localizer's
    /// fewest inliers).
    pub inliers: usize,
}

/// Quantile of the trace's tentative match distances used as the re-matching distance limit
/// of [`Localizer::verify_pose`].
const VERIFY_DISTANCE_QUANTILE: f64 = 0.75;

impl Localizer {
    /// The Localizer's guided re-matching and final solve, started from `cam_from_pack` (world
    /// = the pack's ENU frame) and `camera` instead of a first solve: every keypoint of the
    /// views of the viewpoints that own the trace's top views is projected, each query
    /// keypoint of the trace takes the descriptor-nearest projection within the first-solve
    /// threshold, and the final solve runs as after an anchored first solve (GPS fix as centre
    /// prior, focal within `final_focal_ratio`). The descriptor distance limit is the 75th
    /// percentile of the trace's tentative match distances: the Localizer takes its limit from
    /// the inliers of a first solve, which a given pose does not have. `lsar eval --diagnose`
    /// calls it with the true rotation at the GPS fix: an upper bound for any source of pose
    /// hypotheses (a skyline, a compass) feeding the same verification.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a trace of another localizer (pack index out of range)
    /// or bad priors; pack errors.
    pub fn verify_pose(
        &self,
        trace: &Trace,
        cam_from_pack: &Isometry3<f64>,
        camera: &Camera,
        priors: &Priors,
    ) -> Result<GuidedCheck> {
        priors.validate()?;
        let o = &self.options;
        let pack = self
            .packs
            .get(trace.pack)
            .ok_or(CoreError::InvalidInput { what: "trace pack index" })?;
        let mut distances: Vec<f32> = trace.matches.iter().map(|m| m.distance).collect();
        distances.sort_by(f32::total_cmp);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let at =
            ((distances.len() as f64 - 1.0).max(0.0) * VERIFY_DISTANCE_QUANTILE).round() as usize;
        let Some(&max_distance) = distances.get(at) else { return Ok(GuidedCheck::default()) };
        #[allow(clippy::cast_precision_loss)]
        let scale = f64::from(camera.width.max(camera.height)) / o.reference_side_px;
        let views = pose::rematch_views(pack, &trace.viewpoints, &trace.top_views);
        let rematched = pose::rematch(
            pack,
            &views,
            &trace.features,
            cam_from_pack,
            camera,
            o.threshold_px * scale,
            max_distance,
        )?;
        let setup = SolveSetup {
            camera: *camera,
            focal: FocalMode::Prior { max_ratio: o.final_focal_ratio },
            gravity: None,
            centre: Some(Point3::from(pack.local_frame().enu_from_geodetic(&priors.gps))),
            centre_sigma_m: super::finish::CENTRE_PRIOR_SIGMAS * priors.gps_accuracy_m,
            hfov_range_deg: o.hfov_range_deg,
            min_inliers: o.min_inliers,
            max_iterations: o.max_ransac_iterations,
            seed: o.seed,
        };
        let inliers = match pose::solve(&rematched, &setup, o.final_threshold_px * scale)? {
            Ok(est) => est.num_inliers,
            Err(_) => 0,
        };
        Ok(GuidedCheck { rematched: rematched.len(), inliers })
    }

    /// Runs detection, description (patches cut for `hfov_deg`), retrieval, voting and
    /// matching as [`Self::localize`] does, and returns what each stage produced; `None` when
    /// no pack covers the GPS fix or no viewpoint is near it.
    ///
    /// # Errors
    /// As [`Self::localize`].
    pub fn trace(&self, image: &Image, priors: &Priors, hfov_deg: f64) -> Result<Option<Trace>> {
        priors.validate()?;
        let o = &self.options;
        let mut lease = self.buffers.lease();
        let detected = query::detect(image, &o.query, &mut lease.get().dog)?;
        let features = detected.describe(
            hfov_deg,
            &self.describer,
            &mut lease.get().patches,
            &mut (0.0, 0.0),
        )?;
        let Ok((pack_index, viewpoints)) = self.viewpoints_for(priors) else {
            return Ok(None);
        };
        let Some(pack) = self.packs.get(pack_index) else { return Ok(None) };
        let half_fov = self.query_half_fov(priors, hfov_deg);
        let candidate_views =
            retrieval::candidate_views(pack, &viewpoints, priors.heading.as_ref(), half_fov)?;
        let set = retrieval::gather(pack, &candidate_views)?;
        let votes = retrieval::vote(&features.descriptors, o.vote_queries, &set, usize::MAX)?;
        let top_views: Vec<u32> = votes.iter().take(o.top_views).map(|&(v, _)| v).collect();
        let top_set = retrieval::subset_of_views(&set, &top_views)?;
        let matches = match_descriptors(
            &features.descriptors,
            &top_set.descriptors,
            &MatchOptions::default(),
        )?
        .iter()
        .filter_map(|m| {
            Some(TracedMatch {
                query: m.query,
                keypoint: *top_set.keypoints.get(m.train)?,
                view: *top_set.view_of_row.get(m.train)?,
                distance: m.distance,
            })
        })
        .collect();
        Ok(Some(Trace {
            features,
            pack: pack_index,
            viewpoints,
            candidate_views,
            votes,
            top_views,
            matches,
        }))
    }
}
