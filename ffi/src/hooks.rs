//! Test-only exports (`test-hooks` feature), never enabled in shipped builds:
//!
//! * [`test_hook_internal_error`]: the binding tests reach every [`ApiError`] variant,
//!   [`ApiError::Internal`] included, which a correct library does not return for any input;
//! * [`Localizer::test_hook_cross`]: the arguments of [`Localizer::localize`] crossing the
//!   boundary and nothing else. It returns the address of the pixel bytes Rust sees, so a
//!   binding test can compare it with the caller's buffer (no copy), and the overhead
//!   benchmark (`ffi/bench/`) times the crossing apart from the localization;
//! * [`test_hook_echo_localization`]: a [`Localization`] record crossing both ways, the
//!   result's share of the crossing cost.

use std::sync::Arc;

use lsar_core::CoreError;
use lsar_core::geometry::GeometryError;

use crate::error::ApiError;
use crate::frame::FrameInfo;
use crate::localizer::{CancelToken, Localizer};
use crate::records::{Localization, Priors};

/// Fails with the error a geometry failure deep in the pipeline maps to
/// ([`ApiError::Internal`]), through the one mapping in [`crate::error`].
///
/// # Errors
/// Always [`ApiError::Internal`].
#[uniffi::export]
pub fn test_hook_internal_error() -> Result<(), ApiError> {
    Err(CoreError::Geometry { source: GeometryError::NonFinite { what: "test hook" } }.into())
}

/// Returns its argument: a [`Localization`] lowered by the caller, lifted by Rust, lowered by
/// Rust and lifted by the caller.
#[uniffi::export]
pub fn test_hook_echo_localization(localization: Localization) -> Localization {
    localization
}

#[uniffi::export]
impl Localizer {
    /// Takes the arguments of [`Localizer::localize`], converts the priors and the cancel
    /// token as `localize` does, and returns the address of the first pixel byte as Rust
    /// sees it (0 for an empty buffer). The frame is neither read nor converted.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a frame of zero size (as `localize`).
    pub fn test_hook_cross(
        &self,
        pixels: &[u8],
        frame: FrameInfo,
        priors: Priors,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<u64, ApiError> {
        if frame.width == 0 || frame.height == 0 {
            return Err(ApiError::input("frame width and height must be positive"));
        }
        let priors: lsar_core::Priors = priors.into();
        let cancelled = cancel.is_some_and(|c| c.is_cancelled());
        std::hint::black_box((&priors, cancelled));
        Ok(if pixels.is_empty() { 0 } else { pixels.as_ptr().addr() as u64 })
    }
}
