//! The error type of descriptor training.

use crate::dataset::DatasetError;

/// Errors of the training loop, the loss and checkpoints. Messages carry no paths.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A candle operation failed.
    #[error("candle error: {source}")]
    Candle {
        /// The underlying error.
        #[from]
        source: candle_core::Error,
    },
    /// The network could not be built or run.
    #[error("network error: {source}")]
    Vision {
        /// The underlying error.
        #[from]
        source: lsar_vision::VisionError,
    },
    /// Reading the training data failed.
    #[error("dataset error: {source}")]
    Dataset {
        /// The underlying error.
        #[from]
        source: DatasetError,
    },
    /// A file could not be read or written.
    #[error("I/O error: {source}")]
    Io {
        /// The underlying error.
        #[from]
        source: std::io::Error,
    },
    /// The checkpoint state JSON is malformed.
    #[error("checkpoint state: {source}")]
    Json {
        /// The underlying error.
        #[from]
        source: serde_json::Error,
    },
    /// A checkpoint that does not fit the network or the optimiser.
    #[error("checkpoint mismatch: {reason}")]
    Checkpoint {
        /// What does not fit.
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
    /// The loss became NaN or infinite.
    #[error("the loss diverged at step {step}")]
    Diverged {
        /// The step at which it happened.
        step: u64,
    },
}

/// Result with [`TrainError`].
pub type Result<T> = std::result::Result<T, TrainError>;
