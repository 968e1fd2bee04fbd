//! Geodesy on the WGS84 ellipsoid: geodetic <-> ECEF <-> local ENU, geodesics (distance and
//! bearing), Transverse Mercator and UTM, and EGM96 heights above sea level.
//!
//! All values are `f64`. Latitude and longitude are in degrees, heights in metres above the
//! WGS84 ellipsoid (see [`crate`] for the conventions).

mod ecef;
mod enu;
mod geodesic;
mod geodesic_series;
mod geoid;
mod tmerc;
mod utm;

pub use ecef::{
    Geodetic, WGS84_A, WGS84_B, WGS84_E2, WGS84_F, ecef_from_geodetic, geodetic_from_ecef,
};
pub use enu::LocalFrame;
pub use geodesic::{GeodesicDirect, GeodesicInverse, geodesic_direct, geodesic_inverse};
pub use geoid::{GeoidGrid, egm96_undulation, ellipsoidal_from_msl, msl_from_ellipsoidal};
pub use tmerc::TransverseMercator;
pub use utm::{UtmZone, geodetic_from_utm, utm_from_geodetic};
