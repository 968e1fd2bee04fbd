//! GeoTIFF heights read with the `tiff` crate; the GeoTIFF georeferencing (GeoKeyDirectory,
//! ModelTiepoint, ModelPixelScale, GDAL nodata) is parsed here (GeoTIFF 1.1, OGC 19-008r4).

use std::io::{Read, Seek};
use std::path::Path;

use tiff::ColorType;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use super::crs::Crs;
use super::error::{DemError, Result};
use super::grid::{DemGrid, GeoTransform};

const FORMAT: &str = "GeoTIFF";

/// GeoKey ids used here.
pub(crate) mod keys {
    /// GTModelTypeGeoKey: 1 projected, 2 geographic.
    pub const MODEL_TYPE: u16 = 1024;
    /// GTRasterTypeGeoKey: 1 pixel-is-area, 2 pixel-is-point.
    pub const RASTER_TYPE: u16 = 1025;
    /// GeographicTypeGeoKey (EPSG code of the geographic CRS).
    pub const GEOGRAPHIC_TYPE: u16 = 2048;
    /// ProjectedCSTypeGeoKey (EPSG code of the projected CRS).
    pub const PROJECTED_TYPE: u16 = 3072;
}

/// The GeoKeys with a SHORT value stored in the directory itself: `(key, value)`.
pub(crate) fn parse_geokeys(dir: &[u16]) -> Result<Vec<(u16, u16)>> {
    let bad = |r: &str| DemError::Malformed { format: FORMAT, reason: r.to_string() };
    if dir.len() < 4 {
        return Err(bad("GeoKeyDirectory shorter than its header"));
    }
    let n = usize::from(dir[3]);
    if dir.len() < 4 + 4 * n {
        return Err(bad("GeoKeyDirectory shorter than its key count"));
    }
    Ok(dir[4..4 + 4 * n]
        .chunks_exact(4)
        .filter(|k| k[1] == 0 && k[2] == 1)
        .map(|k| (k[0], k[3]))
        .collect())
}

/// Reads a single-band GeoTIFF of heights. `crs` overrides the file's geokeys (for files
/// whose CRS is user-defined); the tie point and pixel scale are always required.
///
/// # Errors
/// [`DemError::MissingGeoTag`] without GeoKeyDirectory/ModelTiepoint/ModelPixelScale,
/// [`DemError::UnknownCrs`] for CRSs other than EPSG:4326 and WGS84 UTM, TIFF errors, and
/// unsupported sample layouts.
pub fn read_geotiff(path: &Path, crs: Option<Crs>) -> Result<DemGrid> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    geotiff_from_reader(file, crs)
}

/// As [`read_geotiff`] from any seekable reader.
///
/// # Errors
/// As [`read_geotiff`].
pub fn geotiff_from_reader<R: Read + Seek>(reader: R, crs: Option<Crs>) -> Result<DemGrid> {
    let mut dec = Decoder::new(reader)?.with_limits(Limits::unlimited());
    let (w, h) = dec.dimensions()?;
    match dec.colortype()? {
        ColorType::Gray(_) => {}
        _ => return Err(DemError::UnsupportedSampleType { kind: "multi-band or colour" }),
    }
    let geokeys = match dec.find_tag(Tag::GeoKeyDirectoryTag)? {
        Some(v) => parse_geokeys(&v.into_u16_vec()?)?,
        None if crs.is_some() => Vec::new(),
        None => return Err(DemError::MissingGeoTag { tag: "GeoKeyDirectory" }),
    };
    let key = |id: u16| geokeys.iter().find(|(k, _)| *k == id).map(|(_, v)| *v);
    let crs = match crs {
        Some(c) => c,
        None => match (key(keys::MODEL_TYPE), key(keys::PROJECTED_TYPE)) {
            (Some(1), Some(code)) | (None, Some(code)) => Crs::from_epsg(u32::from(code))?,
            (Some(1), None) => {
                return Err(DemError::MissingGeoTag { tag: "ProjectedCSTypeGeoKey" });
            }
            (Some(2), _) => match key(keys::GEOGRAPHIC_TYPE) {
                Some(code) => Crs::from_epsg(u32::from(code))?,
                None => return Err(DemError::MissingGeoTag { tag: "GeographicTypeGeoKey" }),
            },
            (Some(m), _) => return Err(DemError::UnknownCrs { crs: format!("model type {m}") }),
            (None, None) => return Err(DemError::MissingGeoTag { tag: "GTModelTypeGeoKey" }),
        },
    };
    let pixel_is_point = key(keys::RASTER_TYPE) == Some(2);
    let tie = dec
        .find_tag(Tag::ModelTiepointTag)?
        .ok_or(DemError::MissingGeoTag { tag: "ModelTiepoint" })?
        .into_f64_vec()?;
    let scale = dec
        .find_tag(Tag::ModelPixelScaleTag)?
        .ok_or(DemError::MissingGeoTag { tag: "ModelPixelScale" })?
        .into_f64_vec()?;
    if tie.len() < 6 || scale.len() < 2 {
        return Err(DemError::Malformed {
            format: FORMAT,
            reason: "short tie point or scale".into(),
        });
    }
    let nodata = match dec.find_tag(Tag::GdalNodata)? {
        Some(v) => v.into_string()?.trim_matches(char::from(0)).trim().parse::<f64>().ok(),
        None => None,
    };
    // Raster space: pixel (col, row) covers [col, col+1) for pixel-is-area, so its centre
    // is at raster coordinate col + 0.5; for pixel-is-point the centre is at col itself.
    let off = if pixel_is_point { 0.0 } else { 0.5 };
    let (i, j, x, y) = (tie[0], tie[1], tie[3], tie[4]);
    let transform = GeoTransform {
        crs,
        x0: x + (off - i) * scale[0],
        y0: y - (off - j) * scale[1],
        dx: scale[0],
        dy: -scale[1],
    };
    let heights = to_f32(dec.read_image()?, nodata)?;
    DemGrid::new(w as usize, h as usize, heights, transform).ok_or(DemError::Malformed {
        format: FORMAT,
        reason: "sample count, size or scale inconsistent".into(),
    })
}

fn to_f32(data: DecodingResult, nodata: Option<f64>) -> Result<Vec<f32>> {
    fn conv<T: Copy>(v: Vec<T>, f: impl Fn(T) -> f64, nodata: Option<f64>) -> Vec<f32> {
        v.into_iter()
            .map(|x| {
                let x = f(x);
                if !x.is_finite() || nodata.is_some_and(|n| n == x) { f32::NAN } else { x as f32 }
            })
            .collect()
    }
    Ok(match data {
        DecodingResult::U8(v) => conv(v, f64::from, nodata),
        DecodingResult::I8(v) => conv(v, f64::from, nodata),
        DecodingResult::U16(v) => conv(v, f64::from, nodata),
        DecodingResult::I16(v) => conv(v, f64::from, nodata),
        DecodingResult::U32(v) => conv(v, f64::from, nodata),
        DecodingResult::I32(v) => conv(v, f64::from, nodata),
        DecodingResult::F32(v) => conv(v, f64::from, nodata.map(|n| f64::from(n as f32))),
        DecodingResult::F64(v) => conv(v, |x| x, nodata),
        _ => return Err(DemError::UnsupportedSampleType { kind: "64-bit integer or f16" }),
    })
}
