//! Horizontal coordinate reference systems of DEM grids: WGS84 geographic (EPSG:4326) and
//! WGS84 UTM zones (EPSG:326zz north, 327zz south).

use super::error::{DemError, Result};
use lsar_geometry::geodesy::{UtmZone, geodetic_from_utm, utm_from_geodetic};

/// A horizontal CRS of a DEM grid. Grid `x` is longitude (degrees) or easting (metres), `y`
/// latitude or northing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS84 longitude/latitude in degrees (EPSG:4326).
    Geographic,
    /// WGS84 UTM: zone 1..=60, northern or southern hemisphere.
    Utm {
        /// Zone number, 1..=60.
        zone: u8,
        /// Northern hemisphere (EPSG:326zz) or southern (EPSG:327zz).
        north: bool,
    },
}

impl Crs {
    /// The CRS of an EPSG code.
    ///
    /// # Errors
    /// [`DemError::UnknownCrs`] for codes other than 4326, 32601..=32660, 32701..=32760.
    pub fn from_epsg(code: u32) -> Result<Self> {
        match code {
            4326 => Ok(Self::Geographic),
            32601..=32660 => Ok(Self::Utm { zone: zone_u8(code - 32600), north: true }),
            32701..=32760 => Ok(Self::Utm { zone: zone_u8(code - 32700), north: false }),
            _ => Err(DemError::UnknownCrs { crs: format!("EPSG:{code}") }),
        }
    }

    /// Parses `EPSG:N` (case-insensitive) or a bare number.
    ///
    /// # Errors
    /// [`DemError::UnknownCrs`] when the text is not an EPSG code this module supports.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let digits = t.strip_prefix("EPSG:").or_else(|| t.strip_prefix("epsg:")).unwrap_or(t);
        let code: u32 = digits.parse().map_err(|_| DemError::UnknownCrs { crs: t.to_string() })?;
        Self::from_epsg(code)
    }

    /// Reads the CRS from the WKT of an Esri `.prj` file: an `AUTHORITY["EPSG","N"]` at the
    /// end, a UTM zone name (`UTM zone 31N`, `UTM_Zone_31N`), or a plain WGS84 `GEOGCS`.
    ///
    /// # Errors
    /// [`DemError::UnknownCrs`] when none of these is recognised.
    pub fn from_wkt(wkt: &str) -> Result<Self> {
        let upper = wkt.to_ascii_uppercase();
        let unknown = || DemError::UnknownCrs { crs: wkt.chars().take(60).collect() };
        if let Some(pos) = upper.rfind("AUTHORITY[\"EPSG\",\"") {
            let rest = &upper[pos + 18..];
            if let Some(end) = rest.find('"')
                && let Ok(code) = rest[..end].parse::<u32>()
            {
                return Self::from_epsg(code);
            }
        }
        if !(upper.contains("WGS_1984") || upper.contains("WGS 84") || upper.contains("WGS84")) {
            return Err(unknown());
        }
        if let Some(pos) = upper
            .find("UTM_ZONE_")
            .map(|p| p + 9)
            .or_else(|| upper.find("UTM ZONE ").map(|p| p + 9))
        {
            let rest = &upper[pos..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let hemi = rest[digits.len()..].chars().next();
            let zone: u32 = digits.parse().map_err(|_| unknown())?;
            return match hemi {
                Some('N') => Self::from_epsg(32600 + zone),
                Some('S') => Self::from_epsg(32700 + zone),
                _ => Err(unknown()),
            };
        }
        if upper.trim_start().starts_with("GEOGCS") {
            return Ok(Self::Geographic);
        }
        Err(unknown())
    }

    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        match *self {
            Self::Geographic => 4326,
            Self::Utm { zone, north: true } => 32600 + u32::from(zone),
            Self::Utm { zone, north: false } => 32700 + u32::from(zone),
        }
    }

    /// Whether grid units are degrees.
    pub fn is_geographic(&self) -> bool {
        matches!(self, Self::Geographic)
    }

    /// Latitude and longitude (degrees) of grid coordinates `(x, y)`; `None` outside the
    /// projection's domain or where it is not available.
    pub fn to_lat_lon(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match *self {
            Self::Geographic => Some((y, x)),
            Self::Utm { zone, north } => lat_lon_from_utm(zone, north, x, y),
        }
    }

    /// Grid coordinates `(x, y)` of a latitude and longitude (degrees); `None` outside the
    /// projection's domain or where it is not available.
    pub fn from_lat_lon(&self, lat: f64, lon: f64) -> Option<(f64, f64)> {
        match *self {
            Self::Geographic => Some((lon, lat)),
            Self::Utm { zone, north } => utm_from_lat_lon(zone, north, lat, lon),
        }
    }
}

fn zone_u8(zone: u32) -> u8 {
    u8::try_from(zone).unwrap_or(0)
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EPSG:{}", self.epsg())
    }
}

/// Latitude and longitude (degrees) of a UTM easting and northing (metres).
fn lat_lon_from_utm(zone: u8, north: bool, easting: f64, northing: f64) -> Option<(f64, f64)> {
    let z = UtmZone::new(zone, north).ok()?;
    geodetic_from_utm(easting, northing, z).ok()
}

/// UTM easting and northing (metres) of a latitude and longitude (degrees) in a given zone.
fn utm_from_lat_lon(zone: u8, north: bool, lat: f64, lon: f64) -> Option<(f64, f64)> {
    let z = UtmZone::new(zone, north).ok()?;
    utm_from_geodetic(lat, lon, z).ok()
}
