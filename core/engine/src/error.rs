//! The one error type of lsar-core.
//!
//! Messages name what is wrong; they never contain coordinates, file paths or other user
//! data (positions of users are private, and paths leak directory layouts).

use lsar_geometry::GeometryError;
use lsar_pack::PackError;

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
}
