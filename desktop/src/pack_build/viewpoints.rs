//! The region of a pack (bounds from a box or a centre and radius), its origin, and the
//! viewpoints: a square grid in the origin's ENU frame, cameras a fixed height above the
//! ground, skipping grid points over DEM holes or outside the DEM.

use lsar_geometry::{Geodetic, LocalFrame};
use lsar_pack::Bounds;
use nalgebra::Vector3;

use super::error::{PackBuildError, Result};
use crate::dem::Dem;

/// Metres per degree of latitude (mean; used only to turn a radius into a box).
const M_PER_DEG_LAT: f64 = 111_132.0;
/// Metres per degree of longitude at the equator (as above).
const M_PER_DEG_LON: f64 = 111_320.0;

/// The box around a centre that contains a circle of `radius_km` (degrees).
///
/// # Errors
/// [`PackBuildError::InvalidParameter`] for a non-positive radius or a centre beyond 85 deg.
pub fn bounds_around(lat: f64, lon: f64, radius_km: f64) -> Result<Bounds> {
    if !(radius_km > 0.0 && radius_km.is_finite() && lat.abs() < 85.0 && lon.is_finite()) {
        return Err(PackBuildError::InvalidParameter {
            name: "center/radius",
            reason: "radius must be positive and |lat| < 85".into(),
        });
    }
    let dlat = radius_km * 1000.0 / M_PER_DEG_LAT;
    let dlon = radius_km * 1000.0 / (M_PER_DEG_LON * lat.to_radians().cos());
    Ok(Bounds { south: lat - dlat, west: lon - dlon, north: lat + dlat, east: lon + dlon })
}

/// Checks a box: finite, ordered, within latitude range.
///
/// # Errors
/// [`PackBuildError::InvalidParameter`].
pub fn check_bounds(b: &Bounds) -> Result<()> {
    let ok = [b.south, b.west, b.north, b.east].iter().all(|v| v.is_finite())
        && b.south < b.north
        && b.west < b.east
        && b.south >= -90.0
        && b.north <= 90.0;
    if ok {
        Ok(())
    } else {
        Err(PackBuildError::InvalidParameter {
            name: "bounds",
            reason: "need south < north, west < east, finite, within +-90".into(),
        })
    }
}

/// The pack origin: the centre of the box at the height of the ground there (ellipsoidal;
/// 0 over a hole).
pub fn origin_of(bounds: &Bounds, dem: &Dem) -> Geodetic {
    let lat = 0.5 * (bounds.south + bounds.north);
    let lon = 0.5 * (bounds.west + bounds.east);
    Geodetic::new(lat, lon, dem.ellipsoidal_height(lat, lon).unwrap_or(0.0))
}

/// A viewpoint to render.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewpointSite {
    /// Camera position (ellipsoidal height).
    pub camera: Geodetic,
    /// Camera position in the pack's ENU frame, metres.
    pub position_enu: [f64; 3],
    /// Ground height below the camera, metres above the ellipsoid.
    pub ground_height: f64,
}

/// Viewpoints on a square grid of `spacing_m` in the origin's ENU frame (grid points at
/// `origin + (i, j) * spacing`), kept when inside `bounds` and over DEM data, cameras
/// `height_above_ground_m` above the ground. Ordered south to north, west to east. With
/// `max_count`, only the `max_count` nearest to the origin are kept (ties by order).
///
/// # Errors
/// [`PackBuildError::InvalidParameter`] for a bad spacing or height,
/// [`PackBuildError::NoViewpoints`] when none is left.
pub fn viewpoint_grid(
    dem: &Dem,
    frame: &LocalFrame,
    bounds: &Bounds,
    spacing_m: f64,
    height_above_ground_m: f64,
    max_count: Option<usize>,
) -> Result<Vec<ViewpointSite>> {
    if !(spacing_m.is_finite() && spacing_m >= 10.0) {
        return Err(PackBuildError::InvalidParameter {
            name: "spacing",
            reason: format!("{spacing_m} m (at least 10 m)"),
        });
    }
    if !(height_above_ground_m.is_finite() && height_above_ground_m > 0.0) {
        return Err(PackBuildError::InvalidParameter {
            name: "height above ground",
            reason: "must be positive".into(),
        });
    }
    // Half extent of the box in metres, generously (the box test below is exact).
    let o = frame.origin();
    let half_ns = 0.5 * (bounds.north - bounds.south) * M_PER_DEG_LAT * 1.01;
    let half_ew =
        0.5 * (bounds.east - bounds.west) * M_PER_DEG_LON * o.lat.to_radians().cos() * 1.01;
    let (nj, ni) = ((half_ns / spacing_m) as i64, (half_ew / spacing_m) as i64);
    let mut sites = Vec::new();
    for j in -nj..=nj {
        for i in -ni..=ni {
            let enu = Vector3::new(i as f64 * spacing_m, j as f64 * spacing_m, 0.0);
            let g = frame.geodetic_from_enu(&enu);
            let inside = (bounds.south..=bounds.north).contains(&g.lat)
                && (bounds.west..=bounds.east).contains(&g.lon);
            if !inside {
                continue;
            }
            let Some(ground) = dem.ellipsoidal_height(g.lat, g.lon) else { continue };
            let camera = Geodetic::new(g.lat, g.lon, ground + height_above_ground_m);
            let p = frame.enu_from_geodetic(&camera);
            sites.push(ViewpointSite {
                camera,
                position_enu: [p.x, p.y, p.z],
                ground_height: ground,
            });
        }
    }
    if let Some(n) = max_count {
        let d2 = |s: &ViewpointSite| s.position_enu[0].powi(2) + s.position_enu[1].powi(2);
        let mut order: Vec<usize> = (0..sites.len()).collect();
        order.sort_by(|&a, &b| d2(&sites[a]).total_cmp(&d2(&sites[b])).then(a.cmp(&b)));
        order.truncate(n);
        order.sort_unstable();
        sites = order.into_iter().map(|k| sites[k]).collect();
    }
    if sites.is_empty() {
        return Err(PackBuildError::NoViewpoints { spacing_m });
    }
    Ok(sites)
}
