//! POIs of a pack: read from a file (CSV, JSON list, `lsar dem synth`'s `.summits.json`, or
//! GeoJSON points, [`super::geojson`]), or found in the DEM (`auto`: summits by topographic prominence, see
//! [`super::prominence`]), named from a synthetic DEM's `.summits.json` sidecar where one
//! exists and `Peak <elevation>` otherwise.

use std::path::{Path, PathBuf};

use lsar_geometry::geodesy::egm96_undulation;
use lsar_pack::Bounds;
use serde_json::Value;

use super::error::{PackBuildError, Result};
use super::geojson::{is_geojson, parse_geojson_pois};
use super::prominence::grid_peaks;
use crate::dem::{Dem, Vertical};

/// A point of interest before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct PoiEntry {
    /// Name.
    pub name: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Metres above sea level.
    pub elevation_msl: f64,
    /// Topographic prominence in metres; NaN if unknown.
    pub prominence: f64,
}

impl From<&crate::synth::Summit> for PoiEntry {
    /// A named summit of the procedural terrain; its prominence is not known.
    fn from(s: &crate::synth::Summit) -> Self {
        Self {
            name: s.name.clone(),
            lat: s.lat,
            lon: s.lon,
            elevation_msl: s.elevation_msl,
            prominence: f64::NAN,
        }
    }
}

fn bad(path: &Path, reason: impl Into<String>) -> PackBuildError {
    PackBuildError::PoiFile { path: path.to_path_buf(), reason: reason.into() }
}

/// The DEM's height above sea level at a position.
pub fn elevation_msl(dem: &Dem, lat: f64, lon: f64) -> Option<f64> {
    let h = dem.elevation(lat, lon)?;
    Some(match dem.vertical() {
        Vertical::Egm96 => h,
        Vertical::Ellipsoid => h - egm96_undulation(lat, lon),
    })
}

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(|x| x.as_f64().or_else(|| x.as_str().and_then(|s| s.trim().parse().ok())))
}

fn from_object(o: &Value) -> Option<RawPoi> {
    let name = o.get("name")?.as_str()?.to_string();
    let (lat, lon) = (num(o.get("lat"))?, num(o.get("lon"))?);
    let ele = ["elevation_msl", "elevation", "ele"].iter().find_map(|k| num(o.get(*k)));
    Some((name, lat, lon, ele, num(o.get("prominence")).unwrap_or(f64::NAN)))
}

/// Reads POIs: `.csv` (a header naming `name`, `lat`, `lon` and optionally `elevation_msl`
/// (or `elevation`, `ele`) and `prominence`; no quoted commas), GeoJSON (a FeatureCollection
/// of Point features, see [`super::geojson`]; chosen by a `.geojson` extension or a GeoJSON
/// `type` at the top level), or JSON: a list of objects with those keys, or an object with
/// such a list under `summits` or `pois`. A missing elevation is sampled from the DEM; POIs
/// without one and off the DEM are dropped.
///
/// # Errors
/// [`PackBuildError::Read`], [`PackBuildError::PoiFile`], and for GeoJSON
/// [`PackBuildError::PoiGeoJson`] or [`PackBuildError::PoiFeature`] (naming the feature).
pub fn read_poi_file(path: &Path, dem: &Dem) -> Result<Vec<PoiEntry>> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| PackBuildError::Read { path: path.to_path_buf(), source })?;
    let raw = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        parse_csv(path, &text)?
    } else {
        let v: Value = serde_json::from_str(&text).map_err(|e| bad(path, e.to_string()))?;
        let geojson_ext = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("geojson"));
        if geojson_ext || is_geojson(&v) {
            parse_geojson_pois(&v)?
                .into_iter()
                .map(|p| (p.name, p.lat, p.lon, p.elevation_msl, p.prominence))
                .collect()
        } else {
            let arr = v.as_array().or_else(|| v.get("summits").and_then(Value::as_array));
            let arr = arr.or_else(|| v.get("pois").and_then(Value::as_array));
            let arr = arr.ok_or_else(|| bad(path, "expected a list of POIs"))?;
            arr.iter().filter_map(from_object).collect::<Vec<_>>()
        }
    };
    Ok(raw
        .into_iter()
        .filter_map(|(name, lat, lon, ele, prominence)| {
            let elevation_msl = ele.or_else(|| elevation_msl(dem, lat, lon))?;
            Some(PoiEntry { name, lat, lon, elevation_msl, prominence })
        })
        .collect())
}

type RawPoi = (String, f64, f64, Option<f64>, f64);

fn parse_csv(path: &Path, text: &str) -> Result<Vec<RawPoi>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| bad(path, "empty file"))?
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (Some(ni), Some(la), Some(lo)) = (col(&["name"]), col(&["lat"]), col(&["lon"])) else {
        return Err(bad(path, "the header needs name, lat and lon"));
    };
    let (el, pr) = (col(&["elevation_msl", "elevation", "ele"]), col(&["prominence"]));
    let mut out = Vec::new();
    for (k, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').map(|s| s.trim().trim_matches('"')).collect();
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).and_then(|s| s.parse::<f64>().ok());
        let (Some(lat), Some(lon)) = (get(Some(la)), get(Some(lo))) else {
            return Err(bad(path, format!("line {}: lat/lon not numbers", k + 2)));
        };
        let name = f.get(ni).map(|s| (*s).to_string()).unwrap_or_default();
        out.push((name, lat, lon, get(el), get(pr).unwrap_or(f64::NAN)));
    }
    Ok(out)
}

/// The `.summits.json` written beside a DEM by `lsar dem synth` (`dem.tif` ->
/// `dem.summits.json`), if present.
pub fn summits_sidecar(dem_path: &Path) -> Option<PathBuf> {
    let p = dem_path.with_extension("summits.json");
    p.is_file().then_some(p)
}

/// Summits found in the DEM (every grid; earlier grids win) inside `bounds` with prominence
/// of at least `min_prominence` metres, at most `max_count`, most prominent first. Peaks
/// within two cells of a `named` POI take its name (and keep the computed prominence); named
/// POIs inside the bounds that match no peak are added as they are. Other peaks are named
/// `Peak <elevation m>`.
pub fn auto_pois(
    dem: &Dem,
    bounds: &Bounds,
    min_prominence: f64,
    max_count: usize,
    named: &[PoiEntry],
) -> Vec<PoiEntry> {
    let inside = |lat: f64, lon: f64| {
        (bounds.south..=bounds.north).contains(&lat) && (bounds.west..=bounds.east).contains(&lon)
    };
    let cell = dem.cell_size_m();
    let near = |a: (f64, f64), b: (f64, f64), r: f64| {
        let dy = (a.0 - b.0) * 111_132.0;
        let dx = (a.1 - b.1) * 111_320.0 * a.0.to_radians().cos();
        dx.hypot(dy) <= r
    };
    let mut out: Vec<PoiEntry> = Vec::new();
    for grid in dem.grids() {
        let Some(peaks) = grid_peaks(grid, min_prominence as f32) else { continue };
        for p in peaks {
            let Some((lat, lon)) = grid.lat_lon_of(p.col as f64, p.row as f64) else { continue };
            if !inside(lat, lon) || out.iter().any(|q| near((q.lat, q.lon), (lat, lon), 2.0 * cell))
            {
                continue;
            }
            let Some(elevation_msl) = elevation_msl(dem, lat, lon) else { continue };
            out.push(PoiEntry {
                name: format!("Peak {elevation_msl:.0}"),
                lat,
                lon,
                elevation_msl,
                prominence: f64::from(p.prominence),
            });
        }
    }
    out.truncate(max_count);
    for s in named.iter().filter(|s| inside(s.lat, s.lon)) {
        match out.iter_mut().find(|q| near((q.lat, q.lon), (s.lat, s.lon), 2.0 * cell)) {
            Some(q) => q.name.clone_from(&s.name),
            None => out.push(s.clone()),
        }
    }
    out
}
