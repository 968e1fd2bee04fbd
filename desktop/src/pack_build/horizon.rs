//! Coarse horizon profiles for occlusion: per azimuth bin, the highest elevation angle of the
//! terrain seen from a camera and the distance to that skyline point (FORMAT.md, `horizons`).
//!
//! Computed by marching rays over the DEM (bilinear samples), independent of the rendered
//! views so that bins outside the rendered field of view and skylines steeper than the views'
//! vertical field of view are right too. Each bin takes the maximum over rays spread evenly
//! inside it, at most `ray_step_deg` apart (and at least one per bin). Rays step `max(cell / 2, distance / 500)`, stop at
//! `max_distance_m` or where they leave the DEM's box; holes are skipped. The earth's
//! curvature is applied as a drop of `d^2 / (2 R)` with the mean radius R (no refraction);
//! positions along a ray use the local radii of curvature, which within 150 km is far below a
//! DEM cell in effect on the angle.

use lsar_geometry::Geodetic;
use lsar_pack::HorizonSample;

use crate::dem::Dem;

/// Mean earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
const WGS84_A: f64 = 6_378_137.0;
const WGS84_E2: f64 = 6.694_379_990_141_3e-3;

/// Settings of [`horizon_profile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HorizonConfig {
    /// Azimuth bins over 360 degrees.
    pub bins: u32,
    /// Largest azimuth step between rays, degrees.
    pub ray_step_deg: f64,
    /// Rays stop at this distance, metres.
    pub max_distance_m: f64,
}

impl Default for HorizonConfig {
    fn default() -> Self {
        Self { bins: 360, ray_step_deg: 0.2, max_distance_m: 150_000.0 }
    }
}

/// The skyline along one azimuth: (elevation angle in degrees, slant distance in metres), or
/// `None` when the ray meets no DEM sample.
pub fn skyline_along(
    dem: &Dem,
    camera: &Geodetic,
    azimuth_deg: f64,
    max_d: f64,
) -> Option<(f64, f64)> {
    let b = dem.bounds()?;
    let lat0 = camera.lat.to_radians();
    let s = lat0.sin();
    let w = (1.0 - WGS84_E2 * s * s).sqrt();
    let m = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
    let n = WGS84_A / w;
    let (sin_az, cos_az) = azimuth_deg.to_radians().sin_cos();
    let dlat = cos_az / m;
    let dlon = sin_az / (n * lat0.cos().max(1e-9));
    let min_step = (0.5 * dem.cell_size_m()).clamp(1.0, 500.0);
    let mut best: Option<(f64, f64, f64)> = None; // (tan of angle, d, dz)
    let mut d = min_step;
    while d <= max_d {
        let lat = camera.lat + (d * dlat).to_degrees();
        let lon = camera.lon + (d * dlon).to_degrees();
        if lat < b.south || lat > b.north || lon < b.west || lon > b.east {
            break;
        }
        if let Some(h) = dem.ellipsoidal_height(lat, lon) {
            let dz = h - camera.height - d * d / (2.0 * EARTH_RADIUS_M);
            let t = dz / d;
            if best.is_none_or(|(bt, _, _)| t > bt) {
                best = Some((t, d, dz));
            }
        }
        d += min_step.max(d / 500.0);
    }
    best.map(|(t, d, dz)| (t.atan().to_degrees(), d.hypot(dz)))
}

/// The horizon profile of a camera: `config.bins` samples, bin `k` covering azimuths
/// `[k, k + 1) * 360 / bins`; `(-90, +inf)` where no ray of the bin meets terrain.
pub fn horizon_profile(dem: &Dem, camera: &Geodetic, config: &HorizonConfig) -> Vec<HorizonSample> {
    let bins = config.bins.max(1);
    let width = 360.0 / f64::from(bins);
    let step = if config.ray_step_deg > 0.0 { config.ray_step_deg } else { width };
    let rays = ((width / step).ceil() as u32).clamp(1, 1000);
    (0..bins)
        .map(|k| {
            let mut best: Option<(f64, f64)> = None;
            for r in 0..rays {
                let az = (f64::from(k) + (f64::from(r) + 0.5) / f64::from(rays)) * width;
                if let Some(s) = skyline_along(dem, camera, az, config.max_distance_m)
                    && best.is_none_or(|b| s.0 > b.0)
                {
                    best = Some(s);
                }
            }
            match best {
                Some((e, d)) => HorizonSample { elevation_deg: e as f32, distance_m: d as f32 },
                None => HorizonSample { elevation_deg: -90.0, distance_m: f32::INFINITY },
            }
        })
        .collect()
}
