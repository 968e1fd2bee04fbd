//! Universal Transverse Mercator: zones, EPSG codes and conversions on WGS84.
//!
//! UTM is the Transverse Mercator projection of [`super::TransverseMercator`] (Krüger's series
//! to sixth order, Karney 2011) with scale 0.9996 on the zone's central meridian
//! `6 zone - 183` degrees, false easting 500 km and false northing 0 in the north and
//! 10 000 km in the south (NGA, "The Universal Grids", DMA TM 8358.2). The zones of
//! [`UtmZone::containing`] include the Norway (32V) and Svalbard (31X-37X) exceptions; a zone
//! given explicitly works anywhere within 60 degrees of longitude of its central meridian.

use serde::{Deserialize, Serialize};

use super::tmerc::TransverseMercator;
use crate::error::{GeometryError, Result};

/// A UTM zone: number 1..=60 and hemisphere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UtmZone {
    /// Zone number, 1..=60; zone 1 spans longitudes -180 to -174.
    pub number: u8,
    /// Northern hemisphere (false northing 0) or southern (false northing 10 000 km).
    pub north: bool,
}

impl UtmZone {
    /// A zone, checked.
    ///
    /// # Errors
    /// [`GeometryError::OutOfRange`] unless `1 <= number <= 60`.
    pub fn new(number: u8, north: bool) -> Result<Self> {
        if (1..=60).contains(&number) {
            Ok(Self { number, north })
        } else {
            Err(GeometryError::OutOfRange { what: "UTM zone number" })
        }
    }

    /// The zone of an EPSG code: 32601-32660 (WGS 84 / UTM zone N north) or 32701-32760
    /// (south).
    ///
    /// # Errors
    /// [`GeometryError::UnsupportedCrs`] for any other code.
    pub fn from_epsg(code: u32) -> Result<Self> {
        let (base, north) = match code {
            32601..=32660 => (32600, true),
            32701..=32760 => (32700, false),
            _ => return Err(GeometryError::UnsupportedCrs { epsg: code }),
        };
        // In 1..=60 by the match.
        let number =
            u8::try_from(code - base).map_err(|_| GeometryError::UnsupportedCrs { epsg: code })?;
        Ok(Self { number, north })
    }

    /// The EPSG code of the zone: 326xx in the north, 327xx in the south.
    pub fn to_epsg(&self) -> u32 {
        (if self.north { 32600 } else { 32700 }) + u32::from(self.number)
    }

    /// The standard zone of a position (hemisphere from the sign of the latitude, the
    /// equator counting as north), including the Norway and Svalbard exceptions.
    ///
    /// # Errors
    /// [`GeometryError::NonFinite`] or [`GeometryError::OutOfRange`] (latitude beyond 90).
    pub fn containing(lat_deg: f64, lon_deg: f64) -> Result<Self> {
        if !(lat_deg.is_finite() && lon_deg.is_finite()) {
            return Err(GeometryError::NonFinite { what: "latitude or longitude" });
        }
        if lat_deg.abs() > 90.0 {
            return Err(GeometryError::OutOfRange { what: "latitude" });
        }
        // Longitude in [-180, 180).
        let lon = (lon_deg + 180.0).rem_euclid(360.0) - 180.0;
        // floor((lon + 180) / 6) is in 0..=59 (60 only by rounding at the very end).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let mut number = (((lon + 180.0) / 6.0).floor() as u8).min(59) + 1;
        if (56.0..64.0).contains(&lat_deg) && (3.0..12.0).contains(&lon) {
            number = 32;
        }
        if (72.0..84.0).contains(&lat_deg) && (0.0..42.0).contains(&lon) {
            number = match lon {
                l if l < 9.0 => 31,
                l if l < 21.0 => 33,
                l if l < 33.0 => 35,
                _ => 37,
            };
        }
        Ok(Self { number, north: lat_deg >= 0.0 })
    }

    /// Longitude of the zone's central meridian in degrees: `6 number - 183`.
    pub fn central_meridian_deg(&self) -> f64 {
        6.0 * f64::from(self.number) - 183.0
    }

    /// The zone's Transverse Mercator projection.
    ///
    /// # Errors
    /// [`GeometryError::OutOfRange`] for an invalid zone number.
    pub fn projection(&self) -> Result<TransverseMercator> {
        Self::new(self.number, self.north)?;
        TransverseMercator::utm(self.central_meridian_deg(), self.north)
    }
}

impl std::fmt::Display for UtmZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.number, if self.north { 'N' } else { 'S' })
    }
}

/// UTM easting and northing (metres) of a WGS84 latitude and longitude (degrees) in a given
/// zone.
///
/// # Errors
/// As [`TransverseMercator::forward`], and for an invalid zone.
pub fn utm_from_geodetic(lat_deg: f64, lon_deg: f64, zone: UtmZone) -> Result<(f64, f64)> {
    zone.projection()?.forward(lat_deg, lon_deg)
}

/// WGS84 latitude and longitude (degrees) of a UTM easting and northing (metres) in a zone.
///
/// # Errors
/// As [`TransverseMercator::inverse`], and for an invalid zone.
pub fn geodetic_from_utm(easting: f64, northing: f64, zone: UtmZone) -> Result<(f64, f64)> {
    zone.projection()?.inverse(easting, northing)
}
