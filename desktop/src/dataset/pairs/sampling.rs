//! Where the correspondences of a pair are looked for in view A.
//!
//! The Localizer describes a photo only at the keypoints of its detector
//! (`lsar_core::localizer::QueryOptions`: the photo resized to a longer side of 1024 px,
//! DoG with `|D|` >= 0.01, at most 4000 keypoints, 8 px border), so training and validation
//! patches are centred at the same kind of place: ridges, silhouettes and the horizon.
//! Uniformly random pixels (LandscapeAR's sampling, Brejcha et al., ECCV 2020, section 4)
//! suit renders textured with orthophotos; on untextured shaded terrain almost all of them
//! are uniform colour.

use image::RgbImage;
use lsar_core::localizer::QueryOptions;
use lsar_vision::{Image, Keypoint};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::dataset::error::Result;

/// How view A's candidate pixels are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// The keypoints of the Localizer's photo detector on A's photo-style image, in random
    /// order, each tried once. A pair gets fewer correspondences rather than blank pixels.
    Keypoints,
    /// Uniformly random pixels of A, `8 * per_pair` draws.
    Random,
}

impl Sampling {
    /// `"keypoints"` or `"random"` (the name recorded in the shard metadata).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keypoints => "keypoints",
            Self::Random => "random",
        }
    }
}

/// The Localizer's photo keypoints of `photo`, in `photo`'s pixels ((0, 0) = centre of the
/// top-left pixel), strongest first: [`lsar_core::localizer::photo_keypoints`] itself, so
/// the training patches follow the Localizer's detector settings.
///
/// # Errors
/// Detection errors (an image smaller than the scale space allows).
pub fn photo_keypoints(photo: &RgbImage, options: &QueryOptions) -> Result<Vec<Keypoint>> {
    let image = Image::from_u8(photo.width() as usize, photo.height() as usize, 3, photo.as_raw())?;
    Ok(lsar_core::localizer::photo_keypoints(&image, options)?)
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
    List(std::vec::IntoIter<[f64; 2]>),
}

impl Candidates {
    /// Candidates for `sampling` on view A's photo `photo`: for keypoints, the detector's
    /// keypoints shuffled with `rng`, one per pixel (DoG extrema of several scales at one
    /// place would give the same patch twice).
    pub(super) fn new<R: Rng>(
        sampling: Sampling,
        photo: &RgbImage,
        per_pair: usize,
        rng: &mut R,
    ) -> Result<Self> {
        let (width, height) = (photo.width() as usize, photo.height() as usize);
        match sampling {
            Sampling::Random => Ok(Self::Random { left: per_pair * 8, width, height }),
            Sampling::Keypoints => {
                let mut seen = std::collections::HashSet::new();
                let mut list: Vec<[f64; 2]> = photo_keypoints(photo, &QueryOptions::default())?
                    .into_iter()
                    .filter(|k| seen.insert((k.x.round() as i64, k.y.round() as i64)))
                    .map(|k| [k.x, k.y])
                    .collect();
                list.shuffle(rng);
                Ok(Self::List(list.into_iter()))
            }
        }
    }

    /// The next candidate position, or `None` when exhausted.
    pub(super) fn next<R: Rng>(&mut self, rng: &mut R) -> Option<[f64; 2]> {
        match self {
            Self::Random { left, width, height } => {
                if *left == 0 || *width == 0 || *height == 0 {
                    return None;
                }
                *left -= 1;
                let (x, y) = (rng.random_range(0..*width), rng.random_range(0..*height));
                Some([x as f64, y as f64])
            }
            Self::List(it) => it.next(),
        }
    }
}
