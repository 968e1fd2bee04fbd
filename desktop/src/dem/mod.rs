//! DEM input and output: SRTM `.hgt`, Esri ASCII `.asc` and GeoTIFF grids, their CRS
//! (EPSG:4326 and WGS84 UTM) and grid registration, a mosaic with bilinear sampling where
//! holes stay holes, and vertical datums (EGM96 sea level or the WGS84 ellipsoid).

mod asc;
mod crs;
mod error;
mod geotiff;
mod geotiff_write;
mod grid;
mod hgt;
mod mosaic;

use std::path::Path;

pub use asc::{asc_from_str, read_asc};
pub use crs::Crs;
pub use error::{DemError, Result};
pub use geotiff::{geotiff_from_reader, read_geotiff};
pub use geotiff_write::{geotiff_to_writer, write_geotiff};
pub use grid::{DemGrid, GeoTransform, LatLonBounds};
pub use hgt::{HGT_VOID, hgt_from_bytes, parse_tile_name, read_hgt};
pub use mosaic::{Dem, Geoid, Vertical};

/// Reads one DEM file, choosing the reader by extension (`.hgt`, `.asc`, `.tif`/`.tiff`).
/// `crs` overrides the file's own CRS (needed for `.asc` without `.prj`).
///
/// # Errors
/// [`DemError::UnknownFormat`] for other extensions, and the readers' errors.
pub fn read_dem(path: &Path, crs: Option<Crs>) -> Result<DemGrid> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "hgt" => read_hgt(path),
        "asc" => read_asc(path, crs),
        "tif" | "tiff" => read_geotiff(path, crs),
        _ => Err(DemError::UnknownFormat),
    }
}

/// Reads several DEM files into a mosaic.
///
/// # Errors
/// [`DemError::NoDem`] for an empty list, and the first reader error.
pub fn load_dems(paths: &[impl AsRef<Path>], crs: Option<Crs>, vertical: Vertical) -> Result<Dem> {
    if paths.is_empty() {
        return Err(DemError::NoDem);
    }
    let grids = paths.iter().map(|p| read_dem(p.as_ref(), crs)).collect::<Result<Vec<_>>>()?;
    Ok(Dem::new(grids, vertical))
}
