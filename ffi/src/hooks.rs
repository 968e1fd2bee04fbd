//! Test-only exports (`test-hooks` feature): the binding tests reach every [`ApiError`]
//! variant, [`ApiError::Internal`] included, which a correct library does not return for
//! any input. Never enabled in shipped builds.

use lsar_core::CoreError;
use lsar_core::geometry::GeometryError;

use crate::error::ApiError;

/// Fails with the error a geometry failure deep in the pipeline maps to
/// ([`ApiError::Internal`]), through the one mapping in [`crate::error`].
///
/// # Errors
/// Always [`ApiError::Internal`].
#[uniffi::export]
pub fn test_hook_internal_error() -> Result<(), ApiError> {
    Err(CoreError::Geometry { source: GeometryError::NonFinite { what: "test hook" } }.into())
}
