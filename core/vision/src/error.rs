//! The one error type of `lsar-vision`.
//!
//! Messages name what went wrong (a tensor name, a size) but never a file path or any user data.

/// Everything that can go wrong in `lsar-vision`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VisionError {
    /// The encoded bytes are not an image the `image` crate can decode (PNG or JPEG).
    #[error("cannot decode the image: {reason}")]
    Decode {
        /// What the decoder reported.
        reason: String,
    },
    /// An image with zero width or height was given or requested.
    #[error("image size {width}x{height} is empty")]
    EmptyImage {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
    },
    /// A pixel buffer whose length does not match width x height x channels.
    #[error("pixel buffer has {got} values, expected {expected}")]
    BufferSize {
        /// Expected number of values.
        expected: usize,
        /// Number of values given.
        got: usize,
    },
    /// A channel count other than the supported ones (1 grey, 3 RGB).
    #[error("unsupported channel count {channels}")]
    Channels {
        /// Channel count given.
        channels: usize,
    },
    /// The image is smaller than what the operation needs (e.g. one patch).
    #[error("image {width}x{height} is smaller than the required {required}x{required}")]
    ImageTooSmall {
        /// Width in pixels.
        width: usize,
        /// Height in pixels.
        height: usize,
        /// Minimum side length in pixels.
        required: usize,
    },
    /// A parameter outside its valid range.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A weight tensor the network needs is absent from the weight file.
    #[error("weight tensor {name} is missing")]
    MissingTensor {
        /// Full tensor name, e.g. `photo.conv1.weight`.
        name: String,
    },
    /// A weight tensor has another shape than the network needs.
    #[error("weight tensor {name} has shape {got:?}, expected {expected:?}")]
    TensorShape {
        /// Full tensor name.
        name: String,
        /// Shape the network needs.
        expected: Vec<usize>,
        /// Shape found in the file.
        got: Vec<usize>,
    },
    /// A weight file that cannot be parsed (safetensors or npz/npy).
    #[error("malformed weight file: {reason}")]
    WeightFormat {
        /// What is wrong.
        reason: String,
    },
    /// Descriptor sets of different dimensions, or a patch batch of the wrong shape.
    #[error("dimension mismatch: expected {expected}, got {got}")]
    Dimension {
        /// Expected dimension.
        expected: usize,
        /// Dimension given.
        got: usize,
    },
    /// An error reported by candle (tensor operations, devices).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// An I/O error while reading weights.
    #[error("i/o: {kind}")]
    Io {
        /// The I/O error kind (the path is deliberately not included).
        kind: std::io::ErrorKind,
    },
}

impl From<std::io::Error> for VisionError {
    fn from(e: std::io::Error) -> Self {
        Self::Io { kind: e.kind() }
    }
}

/// Result type of `lsar-vision`.
pub type Result<T> = std::result::Result<T, VisionError>;
