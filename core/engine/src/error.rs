//! The one error type of lsar-core.
//!
//! Messages name what is wrong; they never contain coordinates, file paths or other user
//! data (positions of users are private, and paths leak directory layouts).

use lsar_geometry::GeometryError;
use lsar_pack::PackError;
use lsar_vision::VisionError;

/// `Result` with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Everything that can go wrong in lsar-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// An argument is not usable (NaN, out of range, inconsistent).
    #[error("invalid input: {what}")]
    InvalidInput {
        /// Which input and what is wrong with it.
        what: &'static str,
    },
    /// Reading a region pack failed.
    #[error("region pack: {source}")]
    Pack {
        /// The pack's error.
        #[from]
        source: PackError,
    },
    /// A geometric computation rejected its input.
    #[error("geometry: {source}")]
    Geometry {
        /// The geometry error.
        #[from]
        source: GeometryError,
    },
    /// An image or descriptor computation failed (undecodable image, bad weights, ...).
    #[error("vision: {source}")]
    Vision {
        /// The vision error.
        #[from]
        source: VisionError,
    },
    /// The descriptor model does not match the one the region pack was built with.
    #[error("descriptor model mismatch: pack built with `{pack_model}`, localizer uses `{model}`")]
    ModelMismatch {
        /// Model id stored in the pack.
        pack_model: String,
        /// Model id (and weights hash) the localizer was opened with.
        model: String,
    },
    /// A localizer needs at least one region pack.
    #[error("no region pack given")]
    NoPacks,
}
