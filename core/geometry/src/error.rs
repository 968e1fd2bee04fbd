//! The error type of lsar-geometry.

/// Errors of lsar-geometry. Messages carry no coordinates or paths.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GeometryError {
    /// An input value was NaN or infinite.
    #[error("non-finite input in {what}")]
    NonFinite {
        /// Which input was not finite.
        what: &'static str,
    },
    /// An input value was outside its valid range.
    #[error("{what} is out of range")]
    OutOfRange {
        /// Which input was out of range.
        what: &'static str,
    },
    /// Fewer correspondences than the method needs.
    #[error("too few correspondences: {required} required, {got} given")]
    TooFewCorrespondences {
        /// Minimum number required.
        required: usize,
        /// Number given.
        got: usize,
    },
    /// Two inputs that must have the same length do not.
    #[error("length mismatch: {left} vs {right}")]
    LengthMismatch {
        /// Length of the first input.
        left: usize,
        /// Length of the second input.
        right: usize,
    },
    /// A camera description is invalid (non-positive size or focal length, ...).
    #[error("invalid camera: {reason}")]
    InvalidCamera {
        /// What is wrong.
        reason: &'static str,
    },
}

/// Result alias of lsar-geometry.
pub type Result<T> = std::result::Result<T, GeometryError>;
