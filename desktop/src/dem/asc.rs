//! Esri ASCII grids (`.asc`): a header (`ncols`, `nrows`, `xllcorner`|`xllcenter`,
//! `yllcorner`|`yllcenter`, `cellsize` or `dx`/`dy`, optional `NODATA_value`) then rows from
//! north to south. The CRS comes from a `.prj` beside the file or from the caller.

use std::path::Path;

use super::crs::Crs;
use super::error::{DemError, Result};
use super::grid::{DemGrid, GeoTransform};

const FORMAT: &str = "Esri ASCII grid";

fn malformed(reason: impl Into<String>) -> DemError {
    DemError::Malformed { format: FORMAT, reason: reason.into() }
}

/// Reads an `.asc` grid. `crs` overrides the `.prj` beside the file; with neither the read
/// fails with [`DemError::MissingCrs`].
///
/// # Errors
/// I/O errors, a malformed header, fewer values than `ncols * nrows`
/// ([`DemError::Truncated`]), an unknown CRS.
pub fn read_asc(path: &Path, crs: Option<Crs>) -> Result<DemGrid> {
    let crs = match crs {
        Some(c) => c,
        None => {
            let prj = path.with_extension("prj");
            match std::fs::read_to_string(&prj) {
                Ok(wkt) => Crs::from_wkt(&wkt)?,
                Err(_) => return Err(DemError::MissingCrs),
            }
        }
    };
    let text = std::fs::read_to_string(path)?;
    asc_from_str(&text, crs)
}

/// Decodes the text of an `.asc` grid in a given CRS.
///
/// # Errors
/// As [`read_asc`].
pub fn asc_from_str(text: &str, crs: Crs) -> Result<DemGrid> {
    let mut tokens = text.split_ascii_whitespace().peekable();
    let (mut ncols, mut nrows) = (None, None);
    let (mut xll, mut yll, mut centre) = (None, None, false);
    let (mut dx, mut dy, mut nodata) = (None, None, None);
    while let Some(key) = tokens.peek() {
        if !key.starts_with(|c: char| c.is_ascii_alphabetic()) {
            break;
        }
        let key = key.to_ascii_lowercase();
        tokens.next();
        let value: f64 = tokens
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| malformed(format!("no number after {key}")))?;
        match key.as_str() {
            "ncols" => ncols = Some(value),
            "nrows" => nrows = Some(value),
            "xllcorner" | "xllcenter" => {
                centre = key.ends_with("center");
                xll = Some(value);
            }
            "yllcorner" | "yllcenter" => yll = Some(value),
            "cellsize" => (dx, dy) = (Some(value), Some(value)),
            "dx" => dx = Some(value),
            "dy" => dy = Some(value),
            "nodata_value" => nodata = Some(value),
            _ => return Err(malformed(format!("unknown header key {key}"))),
        }
    }
    let count = |v: Option<f64>, what: &str| -> Result<usize> {
        let v = v.ok_or_else(|| malformed(format!("missing {what}")))?;
        if v.fract() != 0.0 || !(1.0..=1e7).contains(&v) {
            return Err(malformed(format!("bad {what}")));
        }
        // Integral and in range by the check above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(v as usize)
    };
    let (w, h) = (count(ncols, "ncols")?, count(nrows, "nrows")?);
    let xll = xll.ok_or_else(|| malformed("missing xllcorner/xllcenter"))?;
    let yll = yll.ok_or_else(|| malformed("missing yllcorner/yllcenter"))?;
    let (dx, dy) = (dx.ok_or_else(|| malformed("missing cellsize"))?, dy.unwrap_or(0.0));
    if !(dx > 0.0 && dy > 0.0) {
        return Err(malformed("cell size must be positive"));
    }
    let mut heights = Vec::with_capacity(w * h);
    for tok in tokens.by_ref().take(w * h) {
        let v: f64 = tok.parse().map_err(|_| malformed("a value is not a number"))?;
        let hole = nodata.is_some_and(|n| v == n) || !v.is_finite();
        heights.push(if hole { f32::NAN } else { v as f32 });
    }
    if heights.len() < w * h {
        return Err(DemError::Truncated {
            format: FORMAT,
            expected: (w * h) as u64,
            found: heights.len() as u64,
        });
    }
    // The centre of the south-west sample, then of the north-west one (row 0).
    let (x_sw, y_sw) = if centre { (xll, yll) } else { (xll + dx / 2.0, yll + dy / 2.0) };
    let transform = GeoTransform { crs, x0: x_sw, y0: y_sw + (h as f64 - 1.0) * dy, dx, dy: -dy };
    DemGrid::new(w, h, heights, transform).ok_or_else(|| malformed("bad grid"))
}
