//! The intermediate results of one pass of the pipeline (retrieval, voting, matching), for
//! evaluation and debugging: `lsar eval --diagnose` compares them with the true pose to tell
//! which stage loses a query. Localizing does not need it.

use lsar_vision::{Image, MatchOptions, match_descriptors};

use super::query::{self, QueryFeatures};
use super::{Localizer, Priors, retrieval};
use crate::error::Result;

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

impl Localizer {
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
