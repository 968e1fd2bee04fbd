//! Query features (pipeline step 3): resize, detect, cut FOV-normalised patches, describe.
//!
//! The photo is resized so that its longer side is [`QueryOptions::max_side_px`] (1024, as
//! LandscapeAR; smaller photos are not enlarged), keypoints are detected there (DoG, or a
//! dense grid), and 64x64 patches spanning a fixed angle (~3.84 degrees) are cut for a given
//! horizontal FOV. Keypoints are reported in pixels of the photo as passed (pixel-centre
//! convention `x = (x' + 0.5) / s - 0.5`), so the pose refers to the caller's image.

use std::time::Instant;

use lsar_vision::keypoints::{DogConfig, DogWorkspace, GridConfig, detect_dog_with, detect_grid};
use lsar_vision::{Descriptors, Image, PatchConfig, PatchExtractor};
use nalgebra::Vector2;

use super::model::Describer;
use crate::error::{CoreError, Result};

/// How query keypoints are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detector {
    /// Difference of Gaussians (SIFT-like), strongest first.
    Dog {
        /// Minimum `|DoG|` at an extremum, for images in [0, 1].
        contrast_threshold: f32,
        /// OpenCV SIFT's scale space, the one pack views are detected in: the photo enlarged
        /// by two and the first octave at sigma 1.0 (`false`: Lowe's sigma 1.6 on the photo
        /// as is). About four times the pixels to filter, and more keypoints at small scales.
        doubled: bool,
    },
    /// A dense grid with this stride in pixels of the resized photo.
    Grid {
        /// Grid step, pixels.
        stride: usize,
    },
}

/// Options of query feature extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOptions {
    /// Longer side of the photo for detection, pixels (1024).
    pub max_side_px: usize,
    /// Detector (DoG with contrast 0.01 in the doubled scale space of the pack views by
    /// default: the same scale space on both sides finds more of the pack's keypoints; on
    /// 250 `lsar eval` queries it localized 25 queries within 2 degrees that Lowe's scale
    /// space did not, and lost 12, at about 1.4 times the query time).
    pub detector: Detector,
    /// Most keypoints kept (strongest first; 4000).
    pub max_keypoints: usize,
    /// Keypoints closer than this to the border of the resized photo are dropped, pixels.
    pub border_px: f64,
    /// FOV hypotheses (degrees) tried in order when the FOV is unknown: patches must be cut
    /// at the right angular size, so each hypothesis is a full description and match; the
    /// first that localizes with confidence >= `accept_confidence` wins, else the most
    /// confident. Default `[60, 40, 80]` (60 is LandscapeAR's fallback).
    pub fov_hypotheses_deg: Vec<f64>,
    /// Confidence that stops the FOV hypothesis loop (0.96, the calibrated value of the raw
    /// score 0.5; [`super::result::RAW_SCORE_AT_0_8`]).
    pub accept_confidence: f64,
    /// Confidence from which a localization whose estimated FOV is nearer its own hypothesis
    /// than any remaining one stops the loop (0.72, the calibrated value of the raw score 0.2).
    pub scale_confidence: f64,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            max_side_px: 1024,
            detector: Detector::Dog { contrast_threshold: 0.01, doubled: true },
            max_keypoints: 4000,
            border_px: 8.0,
            fov_hypotheses_deg: vec![60.0, 40.0, 80.0],
            accept_confidence: 0.96,
            scale_confidence: 0.72,
        }
    }
}

/// Whether no hypothesis of `remaining` is nearer to the `estimated` FOV than `current`, as
/// a ratio of focal lengths (patch scale goes with the focal length): trying them would cut
/// patches at a scale farther from the estimate.
pub(crate) fn no_closer_hypothesis(
    estimated_deg: f64,
    current_deg: f64,
    remaining: &[f64],
) -> bool {
    let focal = |hfov: f64| 1.0 / (hfov.to_radians() / 2.0).tan();
    let distance = |h: f64| (focal(h) / focal(estimated_deg)).ln().abs();
    let own = distance(current_deg);
    own.is_finite() && remaining.iter().all(|&h| distance(h) >= own)
}

/// Described query keypoints, the input of [`super::Localizer::localize_features`].
#[derive(Debug, Clone, PartialEq)]
pub struct QueryFeatures {
    /// Width of the image the keypoints refer to, pixels.
    pub width: u32,
    /// Height of that image, pixels.
    pub height: u32,
    /// Keypoint positions, pixels ((0, 0) = centre of the top-left pixel), strongest first
    /// (voting uses the first ones).
    pub keypoints: Vec<Vector2<f64>>,
    /// One unit descriptor per keypoint, same order.
    pub descriptors: Descriptors,
    /// Horizontal FOV (degrees) the patches were cut for.
    pub patch_hfov_deg: f64,
}

impl QueryFeatures {
    /// Checks sizes, lengths and finiteness.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(CoreError::InvalidInput { what: "query image size is zero" });
        }
        if self.keypoints.len() != self.descriptors.len() {
            return Err(CoreError::InvalidInput {
                what: "keypoints and descriptors differ in count",
            });
        }
        if !self.keypoints.iter().all(|k| k.x.is_finite() && k.y.is_finite()) {
            return Err(CoreError::InvalidInput { what: "query keypoint not finite" });
        }
        if !self.descriptors.data().iter().all(|v| v.is_finite()) {
            return Err(CoreError::InvalidInput { what: "query descriptor not finite" });
        }
        Ok(())
    }
}

/// A photo resized for detection, with its keypoints (in resized pixels): everything of the
/// query that does not depend on the FOV hypothesis.
pub(crate) struct Detected {
    resized: Image,
    /// The resized photo in grey (the detector's input, and the patches of grey descriptors).
    grey: Image,
    keypoints: Vec<lsar_vision::Keypoint>,
    /// The keypoints in pixels of the photo as passed.
    in_photo: Vec<Vector2<f64>>,
    width: u32,
    height: u32,
}

/// Resizes and detects (independent of the FOV), with the DoG detector's buffers of `dog`.
pub(crate) fn detect(
    image: &Image,
    options: &QueryOptions,
    dog: &mut DogWorkspace,
) -> Result<Detected> {
    let (w, h) = (image.width(), image.height());
    if w == 0 || h == 0 {
        return Err(CoreError::InvalidInput { what: "image size is zero" });
    }
    let width = u32::try_from(w).map_err(|_| CoreError::InvalidInput { what: "image too wide" })?;
    let height =
        u32::try_from(h).map_err(|_| CoreError::InvalidInput { what: "image too tall" })?;
    let longer = w.max(h);
    let resized = if longer > options.max_side_px {
        #[allow(clippy::cast_precision_loss)]
        let s = options.max_side_px as f64 / longer as f64;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let (nw, nh) = (
            ((w as f64) * s).round().max(1.0) as usize,
            ((h as f64) * s).round().max(1.0) as usize,
        );
        image.resize(nw, nh)?
    } else {
        image.clone()
    };
    #[allow(clippy::cast_precision_loss)]
    let scale = (resized.width() as f64 / w as f64, resized.height() as f64 / h as f64);
    let grey = resized.to_grey();
    let keypoints = match options.detector {
        Detector::Dog { contrast_threshold, doubled } => {
            let mut config = DogConfig {
                contrast_threshold,
                max_keypoints: Some(options.max_keypoints),
                border: options.border_px,
                ..DogConfig::default()
            };
            if doubled {
                config.scale_space.sigma0 = 1.0;
                config.scale_space.double_image = true;
            }
            detect_dog_with(&grey, &config, None, dog)?
        }
        Detector::Grid { stride } => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let margin = options.border_px.max(0.0).ceil() as usize;
            let config = GridConfig { stride: stride.max(1), margin, ..GridConfig::default() };
            let mut kps = detect_grid(&resized, &config, None)?;
            kps.truncate(options.max_keypoints);
            kps
        }
    };
    let in_photo = keypoints
        .iter()
        .map(|k| Vector2::new((k.x + 0.5) / scale.0 - 0.5, (k.y + 0.5) / scale.1 - 0.5))
        .collect();
    Ok(Detected { resized, grey, keypoints, in_photo, width, height })
}

/// The keypoints the Localizer describes on `image`, in `image`'s pixels ((0, 0) = centre of
/// the top-left pixel), strongest first: the detection step of [`QueryOptions`] (resize so the
/// longer side is at most `max_side_px`, detect, map back with `x = (x' + 0.5) / s - 0.5`).
/// Training data samples its patches here so that it sees what the Localizer sees.
///
/// # Errors
/// A zero-sized image, or the detector's error (an image smaller than its scale space).
pub fn photo_keypoints(
    image: &Image,
    options: &QueryOptions,
) -> Result<Vec<lsar_vision::Keypoint>> {
    let detected = detect(image, options, &mut DogWorkspace::new())?;
    Ok(detected
        .keypoints
        .into_iter()
        .zip(detected.in_photo)
        .map(|(mut k, p)| {
            (k.x, k.y) = (p.x, p.y);
            k
        })
        .collect())
}

impl Detected {
    /// Number of keypoints.
    pub(crate) fn len(&self) -> usize {
        self.keypoints.len()
    }

    /// Patches cut for `hfov_deg` (into the allocation of `patch_buffer`, which is handed
    /// back) and described; keypoints mapped back to the input photo.
    pub(crate) fn describe(
        &self,
        hfov_deg: f64,
        describer: &Describer,
        patch_buffer: &mut Vec<f32>,
        timings: &mut (f64, f64),
    ) -> Result<QueryFeatures> {
        let start = Instant::now();
        // The network's photo branch takes RGB (a grey photo is replicated into three
        // channels); the other descriptors work on grey patches.
        let rgb;
        let source = if !describer.wants_rgb() {
            &self.grey
        } else if self.resized.channels() != 3 {
            rgb = self.resized.to_rgb();
            &rgb
        } else {
            &self.resized
        };
        let extractor =
            PatchExtractor::new(source, hfov_deg.to_radians(), &PatchConfig::default())?;
        let patches = extractor.extract_into(&self.keypoints, std::mem::take(patch_buffer))?;
        timings.0 += start.elapsed().as_secs_f64() * 1e3;
        let start = Instant::now();
        let described = describer.describe(&patches);
        *patch_buffer = patches.into_data();
        let descriptors = described?;
        timings.1 += start.elapsed().as_secs_f64() * 1e3;
        Ok(QueryFeatures {
            width: self.width,
            height: self.height,
            keypoints: self.in_photo.clone(),
            descriptors,
            patch_hfov_deg: hfov_deg,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::no_closer_hypothesis;

    #[test]
    fn hypotheses_nearer_the_estimate_are_still_tried() {
        // Estimated 55 degrees under the 60 degree hypothesis: 40 and 80 are farther.
        assert!(no_closer_hypothesis(55.0, 60.0, &[40.0, 80.0]));
        // Estimated 75 degrees: 80 is nearer than 60.
        assert!(!no_closer_hypothesis(75.0, 60.0, &[40.0, 80.0]));
        // Estimated 45 degrees: 40 is nearer than 60.
        assert!(!no_closer_hypothesis(45.0, 60.0, &[40.0, 80.0]));
        // Nothing remains.
        assert!(no_closer_hypothesis(20.0, 80.0, &[]));
        assert!(!no_closer_hypothesis(f64::NAN, 60.0, &[40.0]));
    }
}
