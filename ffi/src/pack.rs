//! [`RegionPack`]: a region pack opened for inspection (name, bounds, model, POIs), e.g. to
//! list the packs an app has downloaded. Localizing opens packs through [`crate::Localizer`].

use std::sync::Arc;

use lsar_core::pack::PackReader;

use crate::error::ApiError;

/// Geographic bounds of a pack, degrees.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Bounds {
    /// Southern edge.
    pub south: f64,
    /// Western edge.
    pub west: f64,
    /// Northern edge.
    pub north: f64,
    /// Eastern edge.
    pub east: f64,
}

/// What a pack holds.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PackInfo {
    /// Region name.
    pub name: String,
    /// Pack format version, `major.minor`.
    pub format_version: String,
    /// Descriptor model id the pack was built with.
    pub model_id: String,
    /// SHA-256 of the model's weights, hex (all zero for the SIFT baseline).
    pub model_sha256: String,
    /// Values per descriptor.
    pub descriptor_dim: u32,
    /// Rendered viewpoints.
    pub viewpoints: u64,
    /// Rendered views.
    pub views: u64,
    /// 3D keypoints.
    pub keypoints: u64,
    /// Points of interest.
    pub pois: u64,
    /// File size, bytes.
    pub file_len: u64,
}

/// A point of interest (a peak).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Poi {
    /// Name.
    pub name: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Elevation above sea level, metres.
    pub elevation_msl: f64,
    /// Topographic prominence, metres, if known.
    pub prominence_m: Option<f64>,
}

/// A region pack, memory-mapped and validated on open; thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct RegionPack {
    inner: PackReader,
}

#[uniffi::export]
impl RegionPack {
    /// Opens and validates a pack file (any descriptor model).
    ///
    /// # Errors
    /// [`ApiError::PackMissing`], [`ApiError::PackInvalid`].
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, ApiError> {
        Ok(Arc::new(Self {
            inner: PackReader::open(path, None).map_err(lsar_core::CoreError::from)?,
        }))
    }

    /// Name, format, model and counts.
    pub fn info(&self) -> PackInfo {
        let (m, h) = (self.inner.metadata(), self.inner.header());
        PackInfo {
            name: m.name.clone(),
            format_version: format!("{}.{}", h.major, h.minor),
            model_id: m.model.id.clone(),
            model_sha256: m.model.sha256_hex(),
            descriptor_dim: m.descriptor_dim,
            viewpoints: self.inner.viewpoints().len() as u64,
            views: self.inner.views().len() as u64,
            keypoints: self.inner.keypoints().len() as u64,
            pois: self.inner.pois().len() as u64,
            file_len: self.inner.file_len(),
        }
    }

    /// Geographic bounds.
    pub fn bounds(&self) -> Bounds {
        let b = &self.inner.metadata().bounds;
        Bounds { south: b.south, west: b.west, north: b.north, east: b.east }
    }

    /// Every POI of the pack, in file order.
    ///
    /// # Errors
    /// [`ApiError::PackInvalid`] for a name outside the string table.
    pub fn pois(&self) -> Result<Vec<Poi>, ApiError> {
        let named = |p: &lsar_core::pack::Poi| -> Result<Poi, ApiError> {
            let name = self.inner.poi_name(p).map_err(lsar_core::CoreError::from)?;
            let prominence = f64::from(p.prominence);
            Ok(Poi {
                name: name.to_owned(),
                lat: p.lat,
                lon: p.lon,
                elevation_msl: f64::from(p.elevation_msl),
                prominence_m: prominence.is_finite().then_some(prominence),
            })
        };
        self.inner.pois().iter().map(named).collect()
    }
}
