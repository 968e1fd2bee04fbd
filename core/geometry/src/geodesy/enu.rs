//! Local east-north-up frames anchored at a full-precision origin.

use nalgebra::{Matrix3, Vector3};
use serde::{Deserialize, Serialize};

use super::ecef::{Geodetic, ecef_from_geodetic, geodetic_from_ecef};

/// A local ENU frame: x east, y north, z up, tangent to the WGS84 ellipsoid at `origin`.
///
/// The origin is kept in full `f64` (geodetic and ECEF); never store it with fewer digits,
/// since 6 significant digits of an ECEF coordinate are about 10 m.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocalFrame {
    origin: Geodetic,
    origin_ecef: Vector3<f64>,
    /// Columns are the east, north and up axes expressed in ECEF.
    ecef_from_enu: Matrix3<f64>,
}

impl LocalFrame {
    /// The ENU frame at a geodetic origin.
    pub fn new(origin: Geodetic) -> Self {
        let (sin_lat, cos_lat) = origin.lat.to_radians().sin_cos();
        let (sin_lon, cos_lon) = origin.lon.to_radians().sin_cos();
        let east = Vector3::new(-sin_lon, cos_lon, 0.0);
        let north = Vector3::new(-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat);
        let up = Vector3::new(cos_lat * cos_lon, cos_lat * sin_lon, sin_lat);
        Self {
            origin,
            origin_ecef: ecef_from_geodetic(&origin),
            ecef_from_enu: Matrix3::from_columns(&[east, north, up]),
        }
    }

    /// The ENU frame whose origin is the given ECEF point.
    pub fn from_ecef(origin_ecef: &Vector3<f64>) -> Self {
        let mut frame = Self::new(geodetic_from_ecef(origin_ecef));
        // Keep the caller's exact ECEF origin rather than the round-tripped one.
        frame.origin_ecef = *origin_ecef;
        frame
    }

    /// The geodetic origin.
    pub fn origin(&self) -> Geodetic {
        self.origin
    }

    /// The origin in ECEF metres.
    pub fn origin_ecef(&self) -> Vector3<f64> {
        self.origin_ecef
    }

    /// The rotation whose columns are the east, north and up axes in ECEF.
    pub fn ecef_from_enu_rotation(&self) -> Matrix3<f64> {
        self.ecef_from_enu
    }

    /// The rotation from ECEF axes to ENU axes (the transpose of
    /// [`Self::ecef_from_enu_rotation`]).
    pub fn enu_from_ecef_rotation(&self) -> Matrix3<f64> {
        self.ecef_from_enu.transpose()
    }

    /// ENU coordinates (metres) of an ECEF point.
    pub fn enu_from_ecef(&self, point_in_ecef: &Vector3<f64>) -> Vector3<f64> {
        self.ecef_from_enu.tr_mul(&(point_in_ecef - self.origin_ecef))
    }

    /// ECEF coordinates (metres) of an ENU point.
    pub fn ecef_from_enu(&self, point_in_enu: &Vector3<f64>) -> Vector3<f64> {
        self.origin_ecef + self.ecef_from_enu * point_in_enu
    }

    /// ENU coordinates of a geodetic position.
    pub fn enu_from_geodetic(&self, p: &Geodetic) -> Vector3<f64> {
        self.enu_from_ecef(&ecef_from_geodetic(p))
    }

    /// Geodetic position of an ENU point.
    pub fn geodetic_from_enu(&self, point_in_enu: &Vector3<f64>) -> Geodetic {
        geodetic_from_ecef(&self.ecef_from_enu(point_in_enu))
    }
}
