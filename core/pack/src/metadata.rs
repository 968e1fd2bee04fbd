//! Pack metadata: what region, which origin, which descriptor model, how it was built.
//!
//! Exact numbers (origin, bounds, model hash, descriptor layout) are stored in the binary
//! region record; descriptive fields (name, model id, build parameters, creation time, tool
//! version) in the JSON metadata section.

use std::collections::BTreeMap;

use lsar_geometry::Geodetic;
use serde::{Deserialize, Serialize};

use crate::error::{PackError, Result};
use crate::records::RegionRecord;

/// Largest metadata section a reader parses (bytes).
pub const MAX_METADATA_LEN: u64 = 1 << 20;

/// The identity of the descriptor that built a pack: a model id and the SHA-256 of its weights
/// file (all zero for a descriptor without weights, such as the SIFT-like baseline).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelId {
    /// Model id, e.g. `"landscapear-v1"` or `"sift-baseline"`.
    pub id: String,
    /// SHA-256 of the weights file.
    pub sha256: [u8; 32],
}

impl ModelId {
    /// A model id with its weights hash.
    pub fn new(id: impl Into<String>, sha256: [u8; 32]) -> Self {
        Self { id: id.into(), sha256 }
    }

    /// The hash as 64 lower-case hex digits.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits into a hash; `None` if the text is not that.
    pub fn sha256_from_hex(hex: &str) -> Option<[u8; 32]> {
        let digits = hex.as_bytes();
        if digits.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).ok()?;
            *o = u8::from_str_radix(text, 16).ok()?;
        }
        Some(out)
    }
}

/// How descriptor rows are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DescriptorEncoding {
    /// IEEE half floats, `2 * dim` bytes per row.
    F16,
    /// Signed bytes with one f32 scale per row (`value = code * scale`), `dim` bytes per row.
    Int8,
}

impl DescriptorEncoding {
    /// The code stored in the region record.
    pub fn code(self) -> u32 {
        match self {
            Self::F16 => 1,
            Self::Int8 => 2,
        }
    }

    /// The encoding for a stored code.
    pub fn from_code(code: u32) -> Option<Self> {
        match code {
            1 => Some(Self::F16),
            2 => Some(Self::Int8),
            _ => None,
        }
    }

    /// Bytes per stored value.
    pub fn value_bytes(self) -> u64 {
        match self {
            Self::F16 => 2,
            Self::Int8 => 1,
        }
    }
}

/// Region bounds in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Southern latitude.
    pub south: f64,
    /// Western longitude.
    pub west: f64,
    /// Northern latitude.
    pub north: f64,
    /// Eastern longitude.
    pub east: f64,
}

/// Everything a pack says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// Human-readable region name.
    pub name: String,
    /// Region bounds.
    pub bounds: Bounds,
    /// Origin of the local ENU frame of all stored points (height above the ellipsoid).
    pub origin: Geodetic,
    /// The origin in ECEF metres (computed from `origin` by the writer).
    pub origin_ecef: [f64; 3],
    /// The descriptor that built the pack.
    pub model: ModelId,
    /// Values per descriptor row (128 for lsar's networks).
    pub descriptor_dim: u32,
    /// How descriptor rows are stored.
    pub descriptor_encoding: DescriptorEncoding,
    /// Azimuth bins of each viewpoint's horizon.
    pub horizon_bins: u32,
    /// Build parameters (spacing, views, FOV, render size, DEM sources, ...), free-form JSON.
    pub build: BTreeMap<String, serde_json::Value>,
    /// Creation time in seconds since the Unix epoch (UTC).
    pub created_unix_s: i64,
    /// Tool and version that wrote the pack, e.g. `"lsar 0.1.0"`.
    pub tool_version: String,
}

/// The JSON metadata section.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MetadataJson {
    pub name: String,
    pub descriptor_model_id: String,
    #[serde(default)]
    pub build: BTreeMap<String, serde_json::Value>,
    pub created_unix_s: i64,
    pub tool_version: String,
}

impl Metadata {
    /// Splits into the JSON section and the binary region record.
    pub(crate) fn encode(&self) -> Result<(Vec<u8>, RegionRecord)> {
        let json = MetadataJson {
            name: self.name.clone(),
            descriptor_model_id: self.model.id.clone(),
            build: self.build.clone(),
            created_unix_s: self.created_unix_s,
            tool_version: self.tool_version.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&json)
            .map_err(|e| PackError::BadMetadata { line: e.line(), column: e.column() })?;
        let o = self.origin;
        let b = self.bounds;
        let region = RegionRecord {
            origin_ecef: self.origin_ecef,
            origin_geodetic: [o.lat, o.lon, o.height],
            bounds: [b.south, b.west, b.north, b.east],
            model_sha256: self.model.sha256,
            descriptor_dim: self.descriptor_dim,
            descriptor_encoding: self.descriptor_encoding.code(),
            horizon_bins: self.horizon_bins,
            reserved: 0,
        };
        Ok((bytes, region))
    }

    /// Joins a JSON section and a region record, checking the region's values.
    pub(crate) fn decode(json: &[u8], region: &RegionRecord) -> Result<Self> {
        let meta: MetadataJson = serde_json::from_slice(json)
            .map_err(|e| PackError::BadMetadata { line: e.line(), column: e.column() })?;
        let [lat, lon, height] = region.origin_geodetic;
        let origin = Geodetic::new(lat, lon, height);
        origin.validate().map_err(|_| PackError::InvalidValue { what: "origin" })?;
        if !region.origin_ecef.iter().all(|v| v.is_finite()) {
            return Err(PackError::InvalidValue { what: "origin_ecef" });
        }
        let ecef = origin.to_ecef();
        let [x, y, z] = region.origin_ecef;
        if (ecef.x - x).abs() > 1e-3 || (ecef.y - y).abs() > 1e-3 || (ecef.z - z).abs() > 1e-3 {
            return Err(PackError::InvalidValue { what: "origin_ecef (differs from origin)" });
        }
        let [south, west, north, east] = region.bounds;
        let bounds = Bounds { south, west, north, east };
        if !bounds_valid(&bounds) {
            return Err(PackError::InvalidValue { what: "bounds" });
        }
        let descriptor_encoding = DescriptorEncoding::from_code(region.descriptor_encoding)
            .ok_or(PackError::InvalidValue { what: "descriptor_encoding" })?;
        if region.descriptor_dim == 0 || region.descriptor_dim > 4096 {
            return Err(PackError::InvalidValue { what: "descriptor_dim" });
        }
        if region.reserved != 0 {
            return Err(PackError::InvalidValue { what: "region reserved field" });
        }
        Ok(Self {
            name: meta.name,
            bounds,
            origin,
            origin_ecef: region.origin_ecef,
            model: ModelId::new(meta.descriptor_model_id, region.model_sha256),
            descriptor_dim: region.descriptor_dim,
            descriptor_encoding,
            horizon_bins: region.horizon_bins,
            build: meta.build,
            created_unix_s: meta.created_unix_s,
            tool_version: meta.tool_version,
        })
    }

    /// Checks the values a writer is given (finite origin and bounds, dimension range).
    pub(crate) fn validate(&self) -> Result<()> {
        self.origin.validate().map_err(|_| PackError::InvalidInput { what: "origin" })?;
        if !bounds_valid(&self.bounds) {
            return Err(PackError::InvalidInput { what: "bounds" });
        }
        if self.descriptor_dim == 0 || self.descriptor_dim > 4096 {
            return Err(PackError::InvalidInput { what: "descriptor_dim must be in 1..=4096" });
        }
        Ok(())
    }
}

fn bounds_valid(b: &Bounds) -> bool {
    let finite = [b.south, b.west, b.north, b.east].iter().all(|v| v.is_finite());
    finite
        && (-90.0..=90.0).contains(&b.south)
        && (-90.0..=90.0).contains(&b.north)
        && b.south <= b.north
}

/// Seconds since the Unix epoch now (0 if the clock is before 1970).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
