//! Geodesy on the WGS84 ellipsoid: geodetic <-> ECEF <-> local ENU.
//!
//! All values are `f64`. Latitude and longitude are in degrees, heights in metres above the
//! WGS84 ellipsoid (see [`crate`] for the conventions).

mod ecef;
mod enu;

pub use ecef::{
    Geodetic, WGS84_A, WGS84_B, WGS84_E2, WGS84_F, ecef_from_geodetic, geodetic_from_ecef,
};
pub use enu::LocalFrame;
