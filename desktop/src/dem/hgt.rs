//! SRTM `.hgt` tiles: big-endian `i16`, 1201 x 1201 (3") or 3601 x 3601 (1"), voids -32768.
//! The name gives the south-west corner (`N44E005.hgt`); samples sit on whole degrees
//! (pixel-is-point), so the first row is the northern edge `lat + 1`.

use std::path::Path;

use super::crs::Crs;
use super::error::{DemError, Result};
use super::grid::{DemGrid, GeoTransform};

const FORMAT: &str = "SRTM .hgt";
/// The void value of SRTM.
pub const HGT_VOID: i16 = -32768;

/// Latitude and longitude of the south-west corner from a tile name such as `N44E005` or
/// `s12w077.hgt`.
///
/// # Errors
/// [`DemError::Malformed`] for a name that is not an SRTM tile name.
pub fn parse_tile_name(name: &str) -> Result<(i32, i32)> {
    let bad =
        || DemError::Malformed { format: FORMAT, reason: "tile name is not like N44E005".into() };
    let stem = name.split('.').next().unwrap_or(name).to_ascii_uppercase();
    let b = stem.as_bytes();
    if b.len() < 7 {
        return Err(bad());
    }
    let lat_sign = match b[0] {
        b'N' => 1,
        b'S' => -1,
        _ => return Err(bad()),
    };
    let lon_sign = match b[3] {
        b'E' => 1,
        b'W' => -1,
        _ => return Err(bad()),
    };
    let lat: i32 = stem.get(1..3).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let lon: i32 = stem.get(4..7).and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    if lat > 90 || lon > 180 {
        return Err(bad());
    }
    Ok((lat_sign * lat, lon_sign * lon))
}

/// Reads an `.hgt` tile from a file.
///
/// # Errors
/// I/O errors, a name that is not a tile name, or a size that is neither 1201^2 nor 3601^2
/// samples ([`DemError::Truncated`] when shorter than the 3" size).
pub fn read_hgt(path: &Path) -> Result<DemGrid> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (lat, lon) = parse_tile_name(name)?;
    let bytes = std::fs::read(path)?;
    hgt_from_bytes(&bytes, lat, lon)
}

/// Decodes `.hgt` bytes for the tile whose south-west corner is `(lat, lon)`.
///
/// # Errors
/// As [`read_hgt`].
pub fn hgt_from_bytes(bytes: &[u8], lat: i32, lon: i32) -> Result<DemGrid> {
    let n = match bytes.len() {
        2_884_802 => 1201,
        25_934_402 => 3601,
        len if len < 2_884_802 => {
            return Err(DemError::Truncated {
                format: FORMAT,
                expected: 2_884_802,
                found: len as u64,
            });
        }
        len => {
            return Err(DemError::Malformed {
                format: FORMAT,
                reason: format!("{len} bytes is neither 1201^2 nor 3601^2 samples"),
            });
        }
    };
    let heights = bytes
        .chunks_exact(2)
        .map(|b| {
            let v = i16::from_be_bytes([b[0], b[1]]);
            if v == HGT_VOID { f32::NAN } else { f32::from(v) }
        })
        .collect();
    let step = 1.0 / (n - 1) as f64;
    let transform = GeoTransform {
        crs: Crs::Geographic,
        x0: f64::from(lon),
        y0: f64::from(lat) + 1.0,
        dx: step,
        dy: -step,
    };
    DemGrid::new(n, n, heights, transform)
        .ok_or(DemError::Malformed { format: FORMAT, reason: "bad grid".into() })
}
