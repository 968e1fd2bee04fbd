//! WGS84 geodetic coordinates and their exact conversion to and from ECEF.

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::{GeometryError, Result};

/// WGS84 semi-major axis in metres.
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis in metres.
pub const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);
/// WGS84 first eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A position on or near the earth: WGS84 latitude and longitude in degrees, `height` in
/// metres above the WGS84 ellipsoid (not above sea level).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geodetic {
    /// Latitude in degrees, north positive, in [-90, 90].
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
    /// Height in metres above the WGS84 ellipsoid.
    pub height: f64,
}

impl Geodetic {
    /// A position from latitude and longitude in degrees and ellipsoidal height in metres.
    pub const fn new(lat: f64, lon: f64, height: f64) -> Self {
        Self { lat, lon, height }
    }

    /// Checks that all values are finite and the latitude is within [-90, 90].
    ///
    /// # Errors
    /// [`GeometryError::NonFinite`] or [`GeometryError::OutOfRange`].
    pub fn validate(&self) -> Result<()> {
        if !(self.lat.is_finite() && self.lon.is_finite() && self.height.is_finite()) {
            return Err(GeometryError::NonFinite { what: "geodetic position" });
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(GeometryError::OutOfRange { what: "latitude" });
        }
        Ok(())
    }

    /// ECEF coordinates in metres.
    pub fn to_ecef(&self) -> Vector3<f64> {
        ecef_from_geodetic(self)
    }
}

/// Prime-vertical radius of curvature N(lat) for sin(lat).
fn prime_vertical_radius(sin_lat: f64) -> f64 {
    WGS84_A / (1.0 - WGS84_E2 * sin_lat * sin_lat).sqrt()
}

/// ECEF (metres) of a geodetic position. Closed form, exact to rounding.
pub fn ecef_from_geodetic(p: &Geodetic) -> Vector3<f64> {
    let (sin_lat, cos_lat) = p.lat.to_radians().sin_cos();
    let (sin_lon, cos_lon) = p.lon.to_radians().sin_cos();
    let n = prime_vertical_radius(sin_lat);
    Vector3::new(
        (n + p.height) * cos_lat * cos_lon,
        (n + p.height) * cos_lat * sin_lon,
        (n * (1.0 - WGS84_E2) + p.height) * sin_lat,
    )
}

/// Geodetic position of an ECEF point (metres), exact to rounding.
///
/// Bowring's parametric-latitude iteration (Bowring 1976, "Transformation from spatial to
/// geographical coordinates"), iterated to convergence rather than stopped after one step:
/// it converges cubically, to 1e-15 rad in two or three steps for any point more than a few
/// kilometres from the earth's centre. The height uses
/// `h = p cos(lat) + z sin(lat) - a^2 / N`, which stays accurate at the poles where
/// `p / cos(lat) - N` loses all digits. Longitude is in (-180, 180].
pub fn geodetic_from_ecef(ecef: &Vector3<f64>) -> Geodetic {
    let (x, y, z) = (ecef.x, ecef.y, ecef.z);
    let p = x.hypot(y);
    let lon = y.atan2(x);
    let ep2 = WGS84_E2 / (1.0 - WGS84_E2);
    // Parametric latitude start value.
    let mut beta = z.atan2((1.0 - WGS84_F) * p);
    let mut lat = 0.0_f64;
    for _ in 0..8 {
        let (sb, cb) = beta.sin_cos();
        let new_lat =
            (z + ep2 * WGS84_B * sb * sb * sb).atan2(p - WGS84_E2 * WGS84_A * cb * cb * cb);
        let (sl, cl) = new_lat.sin_cos();
        beta = ((1.0 - WGS84_F) * sl).atan2(cl);
        let done = (new_lat - lat).abs() < 1e-15;
        lat = new_lat;
        if done {
            break;
        }
    }
    let (sin_lat, cos_lat) = lat.sin_cos();
    let n = prime_vertical_radius(sin_lat);
    let height = p * cos_lat + z * sin_lat - WGS84_A * WGS84_A / n;
    Geodetic { lat: lat.to_degrees(), lon: lon.to_degrees(), height }
}
