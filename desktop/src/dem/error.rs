//! The error type of DEM input and output.

/// Errors reading, writing or sampling DEMs. Messages carry no file paths or coordinates;
/// callers add the path as context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemError {
    /// The file could not be read or written.
    #[error("I/O error: {source}")]
    Io {
        /// The underlying error.
        #[from]
        source: std::io::Error,
    },
    /// The file ends before all of its samples.
    #[error("truncated {format} file: {expected} bytes expected, {found} found")]
    Truncated {
        /// The format being read.
        format: &'static str,
        /// Bytes (or values) the header promises.
        expected: u64,
        /// Bytes (or values) present.
        found: u64,
    },
    /// The file is not in the expected format.
    #[error("malformed {format} file: {reason}")]
    Malformed {
        /// The format being read.
        format: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The file extension names no format this reader knows.
    #[error("unknown DEM format (expected .hgt, .asc, .tif or .tiff)")]
    UnknownFormat,
    /// An EPSG code or CRS description that is not supported.
    #[error("unknown or unsupported CRS: {crs}")]
    UnknownCrs {
        /// The CRS as given (e.g. `EPSG:3857`).
        crs: String,
    },
    /// The file does not say its CRS and none was given (`--crs EPSG:N`).
    #[error("the DEM carries no CRS; give one with --crs EPSG:N")]
    MissingCrs,
    /// A GeoTIFF lacks a tag it needs (GeoKeyDirectory, ModelTiepoint, ModelPixelScale).
    #[error("GeoTIFF without {tag}")]
    MissingGeoTag {
        /// The missing tag or key.
        tag: &'static str,
    },
    /// The TIFF decoder or encoder failed.
    #[error("TIFF error: {source}")]
    Tiff {
        /// The underlying error.
        #[from]
        source: tiff::TiffError,
    },
    /// A sample type this reader does not convert to heights.
    #[error("unsupported sample type {kind}")]
    UnsupportedSampleType {
        /// The sample type.
        kind: &'static str,
    },
    /// No DEM file was given.
    #[error("no DEM given")]
    NoDem,
    /// A position outside the valid range of a projection.
    #[error("position outside the domain of {projection}")]
    OutsideProjection {
        /// The projection.
        projection: &'static str,
    },
}

/// Result alias for DEM work.
pub type Result<T> = std::result::Result<T, DemError>;
