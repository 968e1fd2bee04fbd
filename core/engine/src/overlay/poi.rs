//! Points of interest as the overlay takes them, their heights above the ellipsoid, and
//! their conversion from a region pack's POI records.
//!
//! Summit elevations are above sea level (EGM96 geoid); geometry needs heights above the
//! WGS84 ellipsoid. The conversion `h = H + N` takes the geoid undulation `N` from an
//! [`UndulationModel`]: [`Egm96Exact`] (the default: exact, about 1.3 ms per call), a
//! [`GeoidGrid`] (bilinear, microseconds, for many POIs), or [`FixedUndulation`].

use lsar_geometry::Geodetic;
use lsar_geometry::geodesy::{GeoidGrid, egm96_undulation, ellipsoidal_from_msl};
use lsar_pack::PackReader;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// A source of geoid undulations `N` (metres, geoid above the WGS84 ellipsoid), so that
/// `ellipsoidal height = elevation_msl + N`.
pub trait UndulationModel {
    /// The undulation in metres at a WGS84 latitude and longitude in degrees.
    fn undulation(&self, lat_deg: f64, lon_deg: f64) -> f64;
}

/// The exact EGM96 model ([`egm96_undulation`]): right everywhere, about 1.3 ms per call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Egm96Exact;

impl UndulationModel for Egm96Exact {
    fn undulation(&self, lat_deg: f64, lon_deg: f64) -> f64 {
        egm96_undulation(lat_deg, lon_deg)
    }
}

/// A grid of EGM96 undulations over a region: bilinear inside (within a few centimetres),
/// exact outside.
impl UndulationModel for GeoidGrid {
    fn undulation(&self, lat_deg: f64, lon_deg: f64) -> f64 {
        GeoidGrid::undulation(self, lat_deg, lon_deg)
    }
}

/// One undulation in metres everywhere. `FixedUndulation(0.0)` treats `elevation_msl` as
/// already ellipsoidal (for data that is, and for tests).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FixedUndulation(pub f64);

impl UndulationModel for FixedUndulation {
    fn undulation(&self, _lat_deg: f64, _lon_deg: f64) -> f64 {
        self.0
    }
}

/// A point of interest (a summit, a hut, a pass) as the overlay takes it, independent of the
/// pack's record layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poi {
    /// Display name (UTF-8).
    pub name: String,
    /// WGS84 latitude in degrees, in [-90, 90].
    pub lat: f64,
    /// WGS84 longitude in degrees.
    pub lon: f64,
    /// Elevation in metres above sea level (EGM96 geoid), not above the ellipsoid.
    pub elevation_msl: f64,
    /// Topographic prominence in metres; `None` if unknown.
    pub prominence: Option<f64>,
}

impl Poi {
    /// A POI from a pack record and its name (see [`PackReader::poi_name`]). A NaN (or
    /// otherwise non-finite) prominence becomes `None`.
    pub fn from_record(record: &lsar_pack::Poi, name: &str) -> Self {
        let prominence = f64::from(record.prominence);
        Self {
            name: name.to_owned(),
            lat: record.lat,
            lon: record.lon,
            elevation_msl: f64::from(record.elevation_msl),
            prominence: prominence.is_finite().then_some(prominence),
        }
    }

    /// Checks that the position and elevation are finite and the latitude is in range.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        let finite = self.lat.is_finite() && self.lon.is_finite() && self.elevation_msl.is_finite();
        if !finite || !(-90.0..=90.0).contains(&self.lat) {
            return Err(CoreError::InvalidInput { what: "poi position or elevation" });
        }
        Ok(())
    }

    /// The POI's geodetic position with its height above the WGS84 ellipsoid
    /// (`elevation_msl + N(lat, lon)`).
    pub fn geodetic(&self, geoid: &dyn UndulationModel) -> Geodetic {
        let n = geoid.undulation(self.lat, self.lon);
        Geodetic::new(self.lat, self.lon, ellipsoidal_from_msl(self.elevation_msl, n))
    }

    /// Converts the height once (the slow part) for projection frame after frame.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-finite position or elevation, or a non-finite
    /// undulation from `geoid`.
    pub fn resolve(&self, geoid: &dyn UndulationModel) -> Result<ResolvedPoi> {
        self.validate()?;
        let position = self.geodetic(geoid);
        if !position.height.is_finite() {
            return Err(CoreError::InvalidInput { what: "geoid undulation" });
        }
        Ok(ResolvedPoi { poi: self.clone(), ecef: position.to_ecef(), position })
    }
}

/// A [`Poi`] with its ellipsoidal height and ECEF position computed: what projection needs.
/// POIs do not move, so resolve them once per pack and reuse them every frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedPoi {
    /// The POI as given.
    pub poi: Poi,
    /// Latitude, longitude (degrees) and height in metres above the WGS84 ellipsoid.
    pub position: Geodetic,
    /// The position in ECEF metres.
    pub ecef: Vector3<f64>,
}

/// Resolves many POIs with one undulation model (see [`Poi::resolve`]).
///
/// # Errors
/// The first POI's error, as [`Poi::resolve`].
pub fn resolve_pois(pois: &[Poi], geoid: &dyn UndulationModel) -> Result<Vec<ResolvedPoi>> {
    pois.iter().map(|p| p.resolve(geoid)).collect()
}

/// All POIs of a region pack, in pack order.
///
/// # Errors
/// [`CoreError::Pack`] if a name lies outside the string section or is not UTF-8 (a damaged
/// pack).
pub fn pois_from_pack(pack: &PackReader) -> Result<Vec<Poi>> {
    pack.pois().iter().map(|r| Ok(Poi::from_record(r, pack.poi_name(r)?))).collect()
}

/// A [`GeoidGrid`] covering a pack's region bounds (plus `margin_deg` on every side) every
/// `step_deg` degrees (a box crossing the antimeridian, `west > east`, is handled): build it
/// once per pack and pass it to [`resolve_pois`] when a pack holds
/// many POIs (each exact look-up costs about 1.3 ms; see [`GeoidGrid::new`] for the cost of
/// building).
///
/// # Errors
/// [`CoreError::Geometry`] for a box or step the grid refuses.
pub fn geoid_grid_for_pack(pack: &PackReader, margin_deg: f64, step_deg: f64) -> Result<GeoidGrid> {
    let b = pack.metadata().bounds;
    let east = if b.east < b.west { b.east + 360.0 } else { b.east };
    let grid = GeoidGrid::new(
        (b.south - margin_deg).max(-90.0),
        (b.north + margin_deg).min(90.0),
        b.west - margin_deg,
        east + margin_deg,
        step_deg,
    )?;
    Ok(grid)
}
