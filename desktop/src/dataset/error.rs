//! The error type of training-data shards and their generation.

/// Errors reading, writing or generating pair shards. Messages carry no paths or
/// coordinates; callers add the path as context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// A file could not be read or written.
    #[error("I/O error: {source}")]
    Io {
        /// The underlying error.
        #[from]
        source: std::io::Error,
    },
    /// The bytes are not a safetensors file.
    #[error("not a safetensors file: {reason}")]
    Safetensors {
        /// What the parser reported.
        reason: String,
    },
    /// A safetensors file that is not a pair shard of a version this code reads.
    #[error("not an lsar pair shard: {reason}")]
    Format {
        /// What is wrong.
        reason: String,
    },
    /// A tensor of the shard is missing or has the wrong dtype or shape.
    #[error("shard tensor {name}: {reason}")]
    Tensor {
        /// The tensor name.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A parameter outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The terrain is reserved for evaluation and must not be used for training data.
    #[error("terrain {region} is reserved for evaluation; training data is refused")]
    ReservedForEvaluation {
        /// The region's name (a tile name or `synth-<seed>`).
        region: String,
    },
    /// Rendering a view failed.
    #[error("rendering failed: {source}")]
    Render {
        /// The renderer's error.
        #[from]
        source: crate::render::RenderError,
    },
    /// Cutting patches failed.
    #[error("patch extraction failed: {source}")]
    Vision {
        /// The vision crate's error.
        #[from]
        source: lsar_vision::VisionError,
    },
    /// Detecting the Localizer's keypoints failed.
    #[error("keypoint detection failed: {source}")]
    Detect {
        /// The core's error.
        #[from]
        source: lsar_core::CoreError,
    },
    /// No training data in the given place.
    #[error("no {split} samples found")]
    Empty {
        /// Which split was asked for.
        split: &'static str,
    },
}

/// Result with [`DatasetError`].
pub type Result<T> = std::result::Result<T, DatasetError>;
