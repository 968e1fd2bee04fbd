//! Where the correspondences of a pair are looked for in view A.
//!
//! The Localizer describes a photo only at the keypoints of its detector
//! (`lsar_core::localizer::QueryOptions`: the photo resized to a longer side of 1024 px,
//! DoG with `|D|` >= 0.01, at most 4000 keypoints, 8 px border), so training and validation
//! patches are centred at the same kind of place: ridges, silhouettes and the horizon.
//! Uniformly random pixels (LandscapeAR's sampling, Brejcha et al., ECCV 2020, section 4)
//! suit renders textured with orthophotos; on untextured shaded terrain almost all of them
//! are uniform colour.
//!
//! [`Sampling::Both`] adds the keypoints the pack builder would store for view B (the pack
//! detector, `pack_build::features::detect_view_keypoints`, on B's render-style image):
//! at query time the photo's keypoints are matched against exactly those, so both sides'
//! detectors supply training patches. It yields several times more correspondences per pair,
//! because the pack detector finds 7-10 times as many keypoints on shaded relief.

use image::RgbImage;
use lsar_core::localizer::{Detector, QueryOptions};
use lsar_vision::{Image, Keypoint};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::dataset::error::Result;
use crate::pack_build::features::{FeatureConfig, detect_view_keypoints};
use crate::render::Surface;

/// How view A's candidate pixels are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// The keypoints of the Localizer's photo detector on A's photo-style image, in random
    /// order, each tried once. A pair gets fewer correspondences rather than blank pixels.
    Keypoints,
    /// Uniformly random pixels of A, `8 * per_pair` draws.
    Random,
    /// [`Sampling::Keypoints`] of A together with the pack detector's keypoints of B's
    /// render-style image, shuffled into one list.
    Both,
}

impl Sampling {
    /// `"keypoints"` or `"random"` (the name recorded in the shard metadata).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keypoints => "keypoints",
            Self::Random => "random",
            Self::Both => "keypoints+pack",
        }
    }
}

/// The photo detector of training samples: DoG at contrast 0.01 in Lowe's scale space, the
/// Localizer's query detector when the shipped model's data was generated. The Localizer
/// moved to the doubled scale space of the pack views afterwards (ARCHITECTURE.md); the
/// pack-keypoint side of [`Sampling::Both`] already samples that scale space, and pinning
/// this one keeps the recorded data recipes reproducible. A new recipe may switch it.
pub fn sampler_query_options() -> QueryOptions {
    QueryOptions {
        detector: Detector::Dog { contrast_threshold: 0.01, doubled: false },
        ..QueryOptions::default()
    }
}

/// The photo keypoints of `photo` as the Localizer detects them, in `photo`'s pixels
/// ((0, 0) = centre of the top-left pixel), strongest first:
/// [`lsar_core::localizer::photo_keypoints`] itself with `options` (the sampler passes
/// [`sampler_query_options`]).
///
/// # Errors
/// Detection errors (an image smaller than the scale space allows).
pub fn photo_keypoints(photo: &RgbImage, options: &QueryOptions) -> Result<Vec<Keypoint>> {
    let image = Image::from_u8(photo.width() as usize, photo.height() as usize, 3, photo.as_raw())?;
    Ok(lsar_core::localizer::photo_keypoints(&image, options)?)
}

/// The keypoints the pack builder detects on a render-style view at its default settings
/// ([`detect_view_keypoints`] with [`FeatureConfig::default`]), with the sky of `surface`
/// masked, strongest first.
///
/// # Errors
/// Detection errors.
pub fn pack_keypoints(render: &RgbImage, surface: &Surface) -> Result<Vec<Keypoint>> {
    let (w, h) = (render.width() as usize, render.height() as usize);
    let image = Image::from_u8(w, h, 3, render.as_raw())?;
    let depth = Image::new(surface.width, surface.height, 1, surface.depth_f32())?;
    Ok(detect_view_keypoints(&image, &depth, &FeatureConfig::default())?)
}

/// Which view a candidate pixel belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// View A (the photo-style view of the pair).
    A,
    /// View B (the render-style view of the pair).
    B,
}

/// The candidate pixels of view A, drawn one at a time.
#[derive(Debug)]
pub(super) enum Candidates {
    /// `left` more uniform draws over a `width x height` image.
    Random {
        /// Draws left.
        left: usize,
        /// Image width, pixels.
        width: usize,
        /// Image height, pixels.
        height: usize,
    },
    /// A fixed list, consumed front to back.
    List(std::vec::IntoIter<(Side, [f64; 2])>),
}

impl Candidates {
    /// Candidates for `sampling` on view A's photo `photo` (and, for [`Sampling::Both`],
    /// view B's render `render_b` with its surface): for keypoints, the detectors' keypoints
    /// shuffled with `rng`, one per pixel and view (DoG extrema of several scales at one
    /// place would give the same patch twice).
    pub(super) fn new<R: Rng>(
        sampling: Sampling,
        photo: &RgbImage,
        render_b: (&RgbImage, &Surface),
        per_pair: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let (width, height) = (photo.width() as usize, photo.height() as usize);
        let unique = |side: Side, kps: Vec<Keypoint>| {
            let mut seen = std::collections::HashSet::new();
            kps.into_iter()
                .filter(move |k| seen.insert((k.x.round() as i64, k.y.round() as i64)))
                .map(move |k| (side, [k.x, k.y]))
        };
        let mut list: Vec<(Side, [f64; 2])> = match sampling {
            Sampling::Random => return Ok(Self::Random { left: per_pair * 8, width, height }),
            Sampling::Keypoints => {
                unique(Side::A, photo_keypoints(photo, &sampler_query_options())?).collect()
            }
            Sampling::Both => unique(Side::A, photo_keypoints(photo, &sampler_query_options())?)
                .chain(unique(Side::B, pack_keypoints(render_b.0, render_b.1)?))
                .collect(),
        };
        list.shuffle(rng);
        Ok(Self::List(list.into_iter()))
    }

    /// The next candidate position, or `None` when exhausted.
    pub(super) fn next<R: Rng>(&mut self, rng: &mut R) -> Option<(Side, [f64; 2])> {
        match self {
            Self::Random { left, width, height } => {
                if *left == 0 || *width == 0 || *height == 0 {
                    return None;
                }
                *left -= 1;
                let (x, y) = (rng.random_range(0..*width), rng.random_range(0..*height));
                Some((Side::A, [x as f64, y as f64]))
            }
            Self::List(it) => it.next(),
        }
    }
}
