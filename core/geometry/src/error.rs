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
    /// Robust estimation found no model with enough inliers.
    #[error("no consensus: best model has {inliers} inliers, {required} required")]
    NoConsensus {
        /// Inliers of the best model found (0 if none).
        inliers: usize,
        /// Inliers required.
        required: usize,
    },
    /// A coordinate reference system that is not supported (an EPSG code).
    #[error("unsupported coordinate reference system EPSG:{epsg}")]
    UnsupportedCrs {
        /// The EPSG code.
        epsg: u32,
    },
    /// A matrix that must be a rotation is not orthonormal with determinant +1.
    #[error("{what} is not a rotation matrix")]
    NotARotation {
        /// Which matrix.
        what: &'static str,
    },
    /// Redundant values disagree (e.g. a camera centre and the pose it should come from).
    #[error("inconsistent values: {what}")]
    Inconsistent {
        /// Which values disagree.
        what: &'static str,
    },
}

/// Result alias of lsar-geometry.
pub type Result<T> = std::result::Result<T, GeometryError>;
