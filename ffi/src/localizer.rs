//! [`Localizer`] and [`CancelToken`]: lsar-core's localizer behind the boundary. Each method
//! converts its arguments, delegates to the core in one call and maps the result once
//! ([`crate::error`]). Both objects are `Send + Sync`: a UI thread may cancel a localize
//! running on a worker thread.

use std::sync::Arc;

use lsar_core::localizer::CancelToken as CoreCancel;
use lsar_core::{DescriptorModel, Outcome};

use crate::error::{ApiError, outcome};
use crate::frame::{FrameInfo, Planes, image_from_frame};
use crate::records::{Label, Localization, OverlayOptions, Priors};

/// Which descriptor model the localizer describes photos with; it must be the one the packs
/// were built with.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ModelSource {
    /// The SIFT-like baseline (no weights).
    Sift,
    /// The learned network from safetensors bytes (e.g. an app asset).
    LearnedBytes {
        /// The safetensors file's bytes.
        weights: Vec<u8>,
    },
    /// The learned network from a safetensors file.
    LearnedFile {
        /// Path of the file.
        path: String,
    },
}

impl TryFrom<ModelSource> for DescriptorModel {
    type Error = ApiError;

    fn try_from(m: ModelSource) -> Result<Self, ApiError> {
        Ok(match m {
            ModelSource::Sift => Self::Sift,
            ModelSource::LearnedBytes { weights } => Self::Learned { weights },
            ModelSource::LearnedFile { path } => {
                Self::learned_from_file(std::path::Path::new(&path)).map_err(|e| {
                    ApiError::ModelMismatch { detail: format!("model file not readable: {e}") }
                })?
            }
        })
    }
}

/// Cancels a running `localize` from another thread (checked between pipeline stages).
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    inner: CoreCancel,
}

#[uniffi::export]
impl CancelToken {
    /// A token that is not cancelled.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Asks every call holding this token to stop (it fails with `NotLocalized(Cancelled)`).
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

/// Region packs and a descriptor model, opened once, used by many threads.
#[derive(Debug, uniffi::Object)]
pub struct Localizer {
    inner: lsar_core::Localizer,
}

impl Localizer {
    fn run(
        &self,
        planes: Planes<'_>,
        frame: &FrameInfo,
        priors: Priors,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Localization, ApiError> {
        let image = image_from_frame(planes, frame)?;
        let token = cancel.map(|c| c.inner.clone()).unwrap_or_default();
        let out: lsar_core::Result<Outcome> =
            self.inner.localize_with_cancel(&image, &priors.into(), &token);
        outcome(out, Localization::from)
    }
}

#[uniffi::export]
impl Localizer {
    /// Opens region packs (file paths) with a descriptor model.
    ///
    /// # Errors
    /// [`ApiError::PackMissing`], [`ApiError::PackInvalid`], [`ApiError::ModelMismatch`],
    /// [`ApiError::InvalidInput`] (no pack given).
    #[uniffi::constructor]
    pub fn open(pack_paths: Vec<String>, model: ModelSource) -> Result<Arc<Self>, ApiError> {
        Ok(Arc::new(Self {
            inner: lsar_core::Localizer::open_paths(&pack_paths, model.try_into()?)?,
        }))
    }

    /// Localizes a camera frame (one buffer: RGBA, BGRA, RGB, GREY, NV21, NV12), read in
    /// place. A failed localization is [`ApiError::NotLocalized`] with its reason.
    ///
    /// # Errors
    /// [`ApiError::NotLocalized`], [`ApiError::InvalidInput`] (layout, priors), and
    /// [`ApiError::PackInvalid`] for a pack damaged after opening.
    pub fn localize(
        &self,
        pixels: &[u8],
        frame: FrameInfo,
        priors: Priors,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Localization, ApiError> {
        self.run(Planes::Packed(pixels), &frame, priors, cancel)
    }

    /// Localizes an Android `YUV_420_888` frame from its three planes, read in place.
    ///
    /// # Errors
    /// As [`Self::localize`].
    pub fn localize_yuv(
        &self,
        y: &[u8],
        u: &[u8],
        v: &[u8],
        frame: FrameInfo,
        priors: Priors,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Localization, ApiError> {
        self.run(Planes::Yuv { y, u, v }, &frame, priors, cancel)
    }

    /// Localizes an encoded photo (JPEG or PNG; EXIF is not read: pass its FOV as a prior).
    ///
    /// # Errors
    /// As [`Self::localize`]; [`ApiError::InvalidInput`] for undecodable bytes.
    pub fn localize_encoded(&self, bytes: &[u8], priors: Priors) -> Result<Localization, ApiError> {
        outcome(self.inner.localize_encoded(bytes, &priors.into()), Localization::from)
    }

    /// The labelled, visible, decluttered POIs for a localization from this localizer.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a localization record that was altered or comes from
    /// another localizer's packs.
    pub fn project_pois(
        &self,
        localization: Localization,
        options: OverlayOptions,
    ) -> Result<Vec<Label>, ApiError> {
        let loc = lsar_core::Localization::try_from(&localization)?;
        Ok(self.inner.project_pois(&loc, &options.into())?.into_iter().map(Label::from).collect())
    }

    /// Number of packs opened.
    pub fn pack_count(&self) -> u32 {
        u32::try_from(self.inner.packs().len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn exported_objects_are_send_and_sync() {
        send_sync::<super::Localizer>();
        send_sync::<super::CancelToken>();
        send_sync::<crate::pack::RegionPack>();
    }
}
