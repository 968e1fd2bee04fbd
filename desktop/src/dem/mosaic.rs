//! Several DEM grids used as one terrain: first grid with data wins, heights converted to the
//! WGS84 ellipsoid according to the vertical datum (EGM96 undulations from a
//! [`lsar_geometry::geodesy::GeoidGrid`] over the mosaic).

use lsar_geometry::geodesy::{GeoidGrid, egm96_undulation};

use super::grid::{DemGrid, LatLonBounds};

/// What the heights of the DEM files are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Vertical {
    /// Above the EGM96 geoid (sea level), as SRTM and most DEMs: ellipsoidal = h + N.
    #[default]
    Egm96,
    /// Already above the WGS84 ellipsoid.
    Ellipsoid,
}

impl std::str::FromStr for Vertical {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "egm96" => Ok(Self::Egm96),
            "ellipsoid" => Ok(Self::Ellipsoid),
            _ => Err(format!("expected egm96 or ellipsoid, got {s}")),
        }
    }
}

/// A mosaic of DEM grids with its vertical datum.
#[derive(Debug, Clone)]
pub struct Dem {
    grids: Vec<DemGrid>,
    vertical: Vertical,
    geoid: Option<Geoid>,
    bounds: Option<LatLonBounds>,
}

impl Dem {
    /// A mosaic of grids (earlier grids win where they overlap).
    pub fn new(grids: Vec<DemGrid>, vertical: Vertical) -> Self {
        let bounds = grids.iter().filter_map(DemGrid::bounds).reduce(|a, b| LatLonBounds {
            south: a.south.min(b.south),
            north: a.north.max(b.north),
            west: a.west.min(b.west),
            east: a.east.max(b.east),
        });
        let geoid = match (vertical, bounds) {
            (Vertical::Egm96, Some(b)) => Some(Geoid::new(&b)),
            _ => None,
        };
        Self { grids, vertical, geoid, bounds }
    }

    /// The grids.
    pub fn grids(&self) -> &[DemGrid] {
        &self.grids
    }

    /// The vertical datum of the grids' heights.
    pub fn vertical(&self) -> Vertical {
        self.vertical
    }

    /// The latitude/longitude box of all grids.
    pub fn bounds(&self) -> Option<LatLonBounds> {
        self.bounds
    }

    /// Geoid undulation N (metres, ellipsoid minus geoid) used to convert heights at a
    /// position; 0 when the heights are ellipsoidal.
    pub fn undulation(&self, lat: f64, lon: f64) -> f64 {
        self.geoid.as_ref().map_or(0.0, |g| g.undulation(lat, lon))
    }

    /// The DEM's height (as stored, above sea level for SRTM) at a position, bilinear; `None`
    /// outside the data or in a hole.
    pub fn elevation(&self, lat: f64, lon: f64) -> Option<f64> {
        self.grids.iter().find_map(|g| g.sample_lat_lon(lat, lon))
    }

    /// Height above the WGS84 ellipsoid of the terrain at a position.
    pub fn ellipsoidal_height(&self, lat: f64, lon: f64) -> Option<f64> {
        Some(self.elevation(lat, lon)? + self.undulation(lat, lon))
    }

    /// The smallest sample spacing of the grids in metres.
    pub fn cell_size_m(&self) -> f64 {
        self.grids.iter().map(DemGrid::cell_size_m).fold(f64::INFINITY, f64::min)
    }
}

/// Geoid undulations over a latitude/longitude box (fast bilinear inside, exact outside).
#[derive(Debug, Clone)]
pub struct Geoid {
    grid: Option<GeoidGrid>,
}

impl Geoid {
    /// The geoid over a box with a 0.2 degree margin; the grid step grows with the box so
    /// that it has at most about 2000 nodes (0.1 degree for a 1 x 1 degree tile).
    pub fn new(bounds: &LatLonBounds) -> Self {
        let m = 0.2;
        let (s, n) = ((bounds.south - m).max(-90.0), (bounds.north + m).min(90.0));
        let (w, e) = (bounds.west - m, bounds.east + m);
        let area = (n - s).max(0.0) * (e - w).max(0.0);
        let step = (area / 2000.0).sqrt().max(0.1);
        Self { grid: GeoidGrid::new(s, n, w, e, step).ok() }
    }

    /// Undulation N in metres (ellipsoid height minus height above the geoid).
    pub fn undulation(&self, lat: f64, lon: f64) -> f64 {
        match &self.grid {
            Some(g) => g.undulation(lat, lon),
            None => egm96_undulation(lat, lon),
        }
    }
}
