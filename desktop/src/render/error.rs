//! The error type of rendering.

/// Errors of the renderer. Messages carry no paths or coordinates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The camera cannot be rendered.
    #[error("invalid camera: {reason}")]
    InvalidCamera {
        /// What is wrong.
        reason: &'static str,
    },
    /// The camera is below the terrain surface.
    #[error("the camera is {below_m:.1} m under the terrain surface")]
    CameraUnderGround {
        /// How far below, metres.
        below_m: f64,
    },
    /// There is no terrain under the camera to measure a height above ground from.
    #[error("no terrain data under the camera position")]
    NoTerrainBelow,
    /// The DEM has no valid sample.
    #[error("the DEM has no valid samples")]
    EmptyTerrain,
    /// Writing an output failed.
    #[error("I/O error: {source}")]
    Io {
        /// The underlying error.
        #[from]
        source: std::io::Error,
    },
    /// Encoding an image failed.
    #[error("image encoding error: {source}")]
    Image {
        /// The underlying error.
        #[from]
        source: image::ImageError,
    },
    /// Serialising JSON failed.
    #[error("JSON error: {source}")]
    Json {
        /// The underlying error.
        #[from]
        source: serde_json::Error,
    },
}
