//! The error type of the pack builder.

use std::path::PathBuf;

/// Errors of `lsar pack build`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackBuildError {
    /// A build parameter is out of range.
    #[error("invalid build parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The region holds no viewpoint with terrain below it.
    #[error("no viewpoint of the {spacing_m} m grid lies over DEM data inside the region")]
    NoViewpoints {
        /// Grid spacing, metres.
        spacing_m: f64,
    },
    /// The DEM has no sample at the region's centre nor anywhere else usable.
    #[error("the DEM has no valid samples")]
    EmptyTerrain,
    /// A POI file could not be parsed.
    #[error("POI file {path}: {reason}")]
    PoiFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A GeoJSON POI document is not a FeatureCollection with a `features` list.
    #[error("GeoJSON POIs: {reason}")]
    PoiGeoJson {
        /// What is wrong.
        reason: &'static str,
    },
    /// A feature of a GeoJSON POI document is malformed (see
    /// [`super::geojson::parse_geojson_pois`]).
    #[error("GeoJSON POI feature {index}: {reason}")]
    PoiFeature {
        /// Index of the feature in `features` (from 0).
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Rendering a view failed.
    #[error("rendering: {source}")]
    Render {
        /// The underlying error.
        #[from]
        source: crate::render::RenderError,
    },
    /// Keypoints, patches or descriptors failed.
    #[error("features: {source}")]
    Vision {
        /// The underlying error.
        #[from]
        source: lsar_vision::VisionError,
    },
    /// Writing the pack failed.
    #[error("writing the pack: {source}")]
    Pack {
        /// The underlying error.
        #[from]
        source: lsar_pack::PackError,
    },
}

/// Result of the pack builder.
pub type Result<T> = std::result::Result<T, PackBuildError>;
