//! Writes a [`DemGrid`] as a single-band `f32` GeoTIFF (pixel-is-area, EPSG geokeys, GDAL
//! nodata = NaN) with the `tiff` crate's encoder.

use std::io::{Seek, Write};
use std::path::Path;

use tiff::encoder::{TiffEncoder, colortype::Gray32Float};
use tiff::tags::Tag;

use super::crs::Crs;
use super::error::{DemError, Result};
use super::geotiff::keys;
use super::grid::DemGrid;

/// GeogAngularUnitsGeoKey.
const ANGULAR_UNITS: u16 = 2054;
/// ProjLinearUnitsGeoKey.
const LINEAR_UNITS: u16 = 3076;

fn geokey_directory(crs: Crs) -> Result<Vec<u16>> {
    let code =
        u16::try_from(crs.epsg()).map_err(|_| DemError::UnknownCrs { crs: crs.to_string() })?;
    let entries: Vec<[u16; 2]> = match crs {
        Crs::Geographic => vec![
            [keys::MODEL_TYPE, 2],
            [keys::RASTER_TYPE, 1],
            [keys::GEOGRAPHIC_TYPE, code],
            [ANGULAR_UNITS, 9102],
        ],
        Crs::Utm { .. } => vec![
            [keys::MODEL_TYPE, 1],
            [keys::RASTER_TYPE, 1],
            [keys::PROJECTED_TYPE, code],
            [LINEAR_UNITS, 9001],
        ],
    };
    let mut dir = vec![1, 1, 0, u16::try_from(entries.len()).unwrap_or(0)];
    for [k, v] in entries {
        dir.extend([k, 0, 1, v]);
    }
    Ok(dir)
}

/// Writes `grid` to a GeoTIFF file (via a temporary name, then renamed).
///
/// # Errors
/// I/O and TIFF errors; a grid whose width or height does not fit a `u32`.
pub fn write_geotiff(path: &Path, grid: &DemGrid) -> Result<()> {
    let tmp = path.with_extension("tif.part");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        geotiff_to_writer(&mut file, grid)?;
        file.flush()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Encodes `grid` as a GeoTIFF into any seekable writer.
///
/// # Errors
/// As [`write_geotiff`].
pub fn geotiff_to_writer<W: Write + Seek>(writer: W, grid: &DemGrid) -> Result<()> {
    let too_big = || DemError::Malformed { format: "GeoTIFF", reason: "grid too large".into() };
    let w = u32::try_from(grid.width()).map_err(|_| too_big())?;
    let h = u32::try_from(grid.height()).map_err(|_| too_big())?;
    let t = grid.transform();
    let mut enc = TiffEncoder::new(writer)?;
    let mut image = enc.new_image::<Gray32Float>(w, h)?;
    // Pixel-is-area: the tie point is the outer corner of the top-left pixel.
    let tie = [0.0, 0.0, 0.0, t.x0 - t.dx / 2.0, t.y0 - t.dy / 2.0, 0.0];
    let scale = [t.dx, -t.dy, 0.0];
    let dir = geokey_directory(t.crs)?;
    let e = image.encoder();
    e.write_tag(Tag::ModelPixelScaleTag, &scale[..])?;
    e.write_tag(Tag::ModelTiepointTag, &tie[..])?;
    e.write_tag(Tag::GeoKeyDirectoryTag, &dir[..])?;
    e.write_tag(Tag::GdalNodata, "nan")?;
    image.write_data(grid.heights())?;
    Ok(())
}
