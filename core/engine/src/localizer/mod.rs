//! The [`Localizer`]: a photo, region packs and priors in; the camera's orientation,
//! position and field of view out (DESIGN.md, "The on-device pipeline").
//!
//! ```text
//! localize(image, priors)
//!   validate priors -> pack covering the GPS fix -> viewpoints within the GPS uncertainty
//!   -> views allowed by the heading prior                                   (retrieval.rs)
//!   -> resize to 1024 px, DoG keypoints                                         (query.rs)
//!   -> per FOV hypothesis: FOV-normalised patches, photo-branch descriptors     (query.rs)
//!   -> localize_features: vote on a subset, match the top views in full    (retrieval.rs)
//!   -> estimate_absolute_pose (P4Pf / P3P / UP3Pf / UP2P, PROSAC, LO-RANSAC, LM)
//!   -> guided re-matching on all points of the chosen viewpoints, final solve   (pose.rs)
//!   -> ECEF pose, camera JSON, confidence, contradicted priors               (finish.rs)
//! ```
//!
//! FOV: with a FOV prior the patches are cut for it (exact: P3P; EXIF: P4Pf with the focal
//! bounded by the prior's ratio). Without one, patches are cut for each hypothesis of
//! [`QueryOptions::fov_hypotheses_deg`] in turn (60, 40, 80 degrees) and the focal is
//! estimated (P4Pf); the first hypothesis reaching `accept_confidence` wins, else the most
//! confident. A hypothesis that localizes with at least `scale_confidence` and an estimated
//! FOV closer to it than to every remaining hypothesis also ends the loop: the remaining
//! ones would cut patches at a scale farther from the estimate. Patch descriptors tolerate a FOV error of roughly 25 %, which the three
//! hypotheses cover for 30-100 degree photos.
//!
//! A `Localizer` is `Send + Sync`: many threads may localize at once; each call can be
//! cancelled through a [`CancelToken`] (checked between stages).

mod buffers;
mod finish;
mod model;
mod options;
mod pose;
mod priors;
mod query;
mod result;
mod retrieval;
mod trace;

use std::path::Path;
use std::time::Instant;

use lsar_pack::PackReader;
use lsar_vision::{Image, MatchOptions, knn_matches, match_descriptors};

pub use model::{DescriptorModel, SIFT_MODEL_ID};
pub use options::{CancelToken, LocalizerOptions};
pub use priors::{FovPrior, FovSource, HeadingPrior, Priors, angle_diff_deg};
pub use query::{Detector, QueryFeatures, QueryOptions, photo_keypoints};
pub use result::{Localization, NotLocalized, Outcome, PriorKind, Reason, Timings, confidence};
pub use trace::{GuidedCheck, Trace, TracedMatch};

use crate::error::{CoreError, Result};
use crate::overlay::{
    HorizonTolerance, Label, OverlayOptions, overlay_labels_for_pack, pois_from_pack, resolve_pois,
};
use model::Describer;

/// The localizer: region packs and a descriptor model, opened once, used by many threads.
#[derive(Debug)]
pub struct Localizer {
    packs: Vec<PackReader>,
    model: DescriptorModel,
    describer: Describer,
    options: LocalizerOptions,
    buffers: buffers::BufferPool,
}

impl Localizer {
    /// A localizer over opened packs; each pack must have been built with `model`
    /// ([`DescriptorModel::check_pack`]).
    ///
    /// # Errors
    /// [`CoreError::NoPacks`], [`CoreError::ModelMismatch`], [`CoreError::Vision`] for weights
    /// that do not load, [`CoreError::InvalidInput`] for a pack whose descriptor length
    /// differs from the model's.
    pub fn open(packs: Vec<PackReader>, model: DescriptorModel) -> Result<Self> {
        if packs.is_empty() {
            return Err(CoreError::NoPacks);
        }
        for pack in &packs {
            model.check_pack(&pack.metadata().model)?;
        }
        let describer = model.load()?;
        if packs.iter().any(|p| p.metadata().descriptor_dim as usize != describer.dim()) {
            return Err(CoreError::InvalidInput {
                what: "pack descriptor length differs from model",
            });
        }
        Ok(Self {
            packs,
            model,
            describer,
            options: LocalizerOptions::default(),
            buffers: buffers::BufferPool::default(),
        })
    }

    /// Opens (memory-maps) pack files and then as [`Self::open`].
    ///
    /// # Errors
    /// [`CoreError::Pack`] for a pack that does not open; as [`Self::open`].
    pub fn open_paths<P: AsRef<Path>>(paths: &[P], model: DescriptorModel) -> Result<Self> {
        let packs = paths.iter().map(|p| PackReader::open(p, None)).collect::<Result<_, _>>()?;
        Self::open(packs, model)
    }

    /// The same localizer with other options.
    #[must_use]
    pub fn with_options(mut self, options: LocalizerOptions) -> Self {
        self.options = options;
        self
    }

    /// The options.
    pub fn options(&self) -> &LocalizerOptions {
        &self.options
    }

    /// The packs, in the order given.
    pub fn packs(&self) -> &[PackReader] {
        &self.packs
    }

    /// The descriptor model.
    pub fn model(&self) -> &DescriptorModel {
        &self.model
    }

    /// Frees the buffers kept between calls (detector images and the patch batch, up to a few
    /// hundred MB); later calls allocate them again. For apps told that memory is low.
    pub fn release_buffers(&self) {
        self.buffers.clear();
    }

    /// Localizes an encoded photo (JPEG/PNG). EXIF is not read here (pass an EXIF FOV as
    /// [`FovPrior::exif`]).
    ///
    /// # Errors
    /// [`CoreError::Vision`] for undecodable bytes; as [`Self::localize`].
    pub fn localize_encoded(&self, bytes: &[u8], priors: &Priors) -> Result<Outcome> {
        self.localize(&Image::decode(bytes)?, priors)
    }

    /// Localizes a photo (pixels as the camera delivered them, RGB or grey in [0, 1]).
    ///
    /// The outer `Result` is for invalid input ([`CoreError`]: NaN or out-of-range priors,
    /// zero-sized image); the inner [`Outcome`] is the localization or a typed
    /// [`NotLocalized`] reason.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`], [`CoreError::Vision`], [`CoreError::Pack`] (damaged pack).
    pub fn localize(&self, image: &Image, priors: &Priors) -> Result<Outcome> {
        self.localize_with_cancel(image, priors, &CancelToken::new())
    }

    /// As [`Self::localize`], stopping with [`Reason::Cancelled`] once `cancel` is set.
    ///
    /// # Errors
    /// As [`Self::localize`].
    pub fn localize_with_cancel(
        &self,
        image: &Image,
        priors: &Priors,
        cancel: &CancelToken,
    ) -> Result<Outcome> {
        let start = Instant::now();
        priors.validate()?;
        let mut timings = Timings::default();
        let fail = |reason, mut t: Timings| {
            t.total_ms = start.elapsed().as_secs_f64() * 1e3;
            Ok(Err(NotLocalized::new(reason, t)))
        };
        // Cheap pack checks first: no description for a photo outside every pack.
        if retrieval::covering_packs(&self.packs, &priors.gps).is_empty() {
            return fail(Reason::OutsidePacks, timings);
        }
        let t = Instant::now();
        let mut lease = self.buffers.lease();
        let detected = query::detect(image, &self.options.query, &mut lease.get().dog)?;
        timings.features_ms += t.elapsed().as_secs_f64() * 1e3;
        if detected.len() < self.options.min_inliers {
            let required = self.options.min_inliers;
            return fail(Reason::TooFewFeatures { found: detected.len(), required }, timings);
        }
        let hypotheses = match &priors.fov {
            Some(f) => vec![f.hfov_deg],
            None => self.options.query.fov_hypotheses_deg.clone(),
        };
        let mut best: Option<Localization> = None;
        let mut cache = None;
        let mut first_failure: Option<NotLocalized> = None;
        for (k, &hfov) in hypotheses.iter().enumerate() {
            if cancel.is_cancelled() {
                return fail(Reason::Cancelled, timings);
            }
            let mut t = (0.0, 0.0);
            let features =
                detected.describe(hfov, &self.describer, &mut lease.get().patches, &mut t)?;
            timings.features_ms += t.0;
            timings.describe_ms += t.1;
            match self.run(&features, priors, cancel, &mut timings, &mut cache)? {
                Ok(loc) => {
                    let q = &self.options.query;
                    let remaining = hypotheses.get(k + 1..).unwrap_or_default();
                    let done = loc.confidence >= q.accept_confidence
                        || (loc.confidence >= q.scale_confidence
                            && query::no_closer_hypothesis(
                                loc.camera_json.fov_deg,
                                hfov,
                                remaining,
                            ));
                    if best.as_ref().is_none_or(|b| loc.confidence > b.confidence) {
                        best = Some(loc);
                    }
                    if done {
                        break;
                    }
                }
                Err(failure) if failure.reason == Reason::Cancelled => {
                    return fail(Reason::Cancelled, timings);
                }
                Err(failure) => {
                    first_failure.get_or_insert(failure);
                }
            }
        }
        timings.total_ms = start.elapsed().as_secs_f64() * 1e3;
        match (best, first_failure) {
            (Some(mut loc), _) => {
                loc.timings_ms = timings;
                Ok(Ok(loc))
            }
            (None, Some(f)) => fail(f.reason, timings),
            (None, None) => fail(Reason::TooFewFeatures { found: 0, required: 1 }, timings),
        }
    }

    /// The pipeline after description: described keypoints of a query image (any source:
    /// this localizer's detector, another one, or a synthetic test) and the priors.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for bad priors or features; [`CoreError::Pack`].
    pub fn localize_features(&self, features: &QueryFeatures, priors: &Priors) -> Result<Outcome> {
        let start = Instant::now();
        priors.validate()?;
        let mut timings = Timings::default();
        let mut out = self.run(features, priors, &CancelToken::new(), &mut timings, &mut None)?;
        let total = start.elapsed().as_secs_f64() * 1e3;
        match &mut out {
            Ok(loc) => loc.timings_ms.total_ms = total,
            Err(f) => f.timings_ms.total_ms = total,
        }
        Ok(out)
    }

    /// Retrieval, voting, matching and pose for one set of query features. `cache` keeps
    /// the decoded descriptors of the candidate views between FOV hypotheses.
    fn run(
        &self,
        features: &QueryFeatures,
        priors: &Priors,
        cancel: &CancelToken,
        timings: &mut Timings,
        cache: &mut Option<(Vec<u32>, retrieval::ViewSet)>,
    ) -> Result<Outcome> {
        features.validate()?;
        let o = &self.options;
        let fail = |reason, t: &Timings| Ok(Err(NotLocalized::new(reason, *t)));
        let t = Instant::now();
        let (pack_index, viewpoints) = match self.viewpoints_for(priors) {
            Ok(found) => found,
            Err(reason) => return fail(reason, timings),
        };
        let Some(pack) = self.packs.get(pack_index) else {
            return fail(Reason::OutsidePacks, timings);
        };
        let query_half_fov = self.query_half_fov(priors, features.patch_hfov_deg);
        let views =
            retrieval::candidate_views(pack, &viewpoints, priors.heading.as_ref(), query_half_fov)?;
        if views.is_empty() {
            return fail(Reason::NoViewsInHeading, timings);
        }
        let set = match cache.take() {
            Some((cached, set)) if cached == views => set,
            _ => retrieval::gather(pack, &views)?,
        };
        let set = &cache.insert((views, set)).1;
        timings.retrieval_ms += t.elapsed().as_secs_f64() * 1e3;
        if cancel.is_cancelled() {
            return fail(Reason::Cancelled, timings);
        }
        let t = Instant::now();
        let top = retrieval::vote(&features.descriptors, o.vote_queries, set, o.top_views)?;
        let top_views: Vec<u32> = top.iter().map(|&(v, _)| v).collect();
        let top_set = retrieval::subset_of_views(set, &top_views)?;
        timings.voting_ms += t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let matches = match_descriptors(
            &features.descriptors,
            &top_set.descriptors,
            &MatchOptions::default(),
        )?;
        let corr = pose::from_matches(&matches, features, &top_set, pack);
        let anchor_corr = if o.gps_anchor && o.anchor_neighbours > 1 {
            let knn = knn_matches(
                &features.descriptors,
                &top_set.descriptors,
                o.anchor_neighbours,
                MatchOptions::default().block_elements,
            )?;
            Some(pose::from_matches(&knn, features, &top_set, pack))
        } else {
            None
        };
        timings.matching_ms += t.elapsed().as_secs_f64() * 1e3;
        if corr.len() < o.min_inliers {
            let required = o.min_inliers;
            return fail(Reason::TooFewMatches { found: corr.len(), required }, timings);
        }
        if cancel.is_cancelled() {
            return fail(Reason::Cancelled, timings);
        }
        let solved = finish::solve_and_refine(
            self,
            pack,
            &viewpoints,
            &top_views,
            features,
            priors,
            &corr,
            anchor_corr.as_ref().unwrap_or(&corr),
            timings,
        )?;
        let solved = match solved {
            Ok(s) => s,
            Err(reason) => return fail(reason, timings),
        };
        let mut loc = finish::localization(pack, features, priors, &solved, o)?;
        loc.views = top_views;
        loc.pack = pack_index;
        loc.timings_ms = *timings;
        Ok(Ok(loc))
    }

    /// Half the horizontal FOV the query may span, for selecting views by heading: the FOV
    /// prior's, else 1.5 times the patch hypothesis (capped by the accepted range).
    fn query_half_fov(&self, priors: &Priors, patch_hfov_deg: f64) -> f64 {
        match &priors.fov {
            Some(f) => f.hfov_deg / 2.0,
            None => self.options.hfov_range_deg.1.min(patch_hfov_deg * 1.5) / 2.0,
        }
    }

    /// The first pack covering the GPS fix that has viewpoints within the search radius
    /// (`search_radius_sigmas` GPS sigmas, clamped), and those viewpoints, nearest first.
    fn viewpoints_for(&self, priors: &Priors) -> std::result::Result<(usize, Vec<u32>), Reason> {
        let o = &self.options;
        let covering = retrieval::covering_packs(&self.packs, &priors.gps);
        if covering.is_empty() {
            return Err(Reason::OutsidePacks);
        }
        let (lo, hi) = o.search_radius_range_m;
        let radius = (o.search_radius_sigmas * priors.gps_accuracy_m).clamp(lo, hi.max(lo));
        covering
            .iter()
            .find_map(|&i| {
                let pack = self.packs.get(i)?;
                let vps = retrieval::nearby_viewpoints(pack, &priors.gps, radius, o.max_viewpoints);
                (!vps.is_empty()).then_some((i, vps))
            })
            .ok_or(Reason::NoViewpointsNear { radius_m: radius })
    }

    /// The labelled POIs of the pack that localized `localization`, projected with its pose,
    /// hidden ones removed with the pack's horizons, decluttered (see [`crate::overlay`]).
    /// POI heights are resolved with the exact EGM96 model (about 1.3 ms per POI).
    ///
    /// # Errors
    /// As [`overlay_labels_for_pack`]; [`CoreError::InvalidInput`] for a pack index out of
    /// range.
    pub fn project_pois(
        &self,
        localization: &Localization,
        options: &OverlayOptions,
    ) -> Result<Vec<Label>> {
        let pack = self
            .packs
            .get(localization.pack)
            .ok_or(CoreError::InvalidInput { what: "localization pack index" })?;
        let (camera, pose) = localization.camera_and_pose()?;
        let pois = resolve_pois(&pois_from_pack(pack)?, &crate::overlay::Egm96Exact)?;
        overlay_labels_for_pack(pack, &camera, &pose, &pois, HorizonTolerance::default(), options)
    }
}
