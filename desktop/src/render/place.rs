//! Placing cameras: heights above ground, sea level or the ellipsoid, and panoramas of N
//! views around a point.

use lsar_geometry::Camera;
use lsar_geometry::geodesy::Geodetic;

use super::error::RenderError;
use super::terrain::TerrainModel;
use super::view::RenderCamera;

/// How the camera height is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CameraHeight {
    /// Metres above the terrain surface at the position.
    AboveGround(f64),
    /// Metres above the WGS84 ellipsoid.
    Ellipsoidal(f64),
    /// Metres above sea level (EGM96 geoid when the DEM's vertical datum is EGM96).
    AboveSeaLevel(f64),
}

/// The geodetic camera position (ellipsoidal height) for a latitude, longitude and height.
///
/// # Errors
/// [`RenderError::NoTerrainBelow`] for a height above ground where the DEM has no data.
pub fn camera_position(
    model: &TerrainModel,
    lat: f64,
    lon: f64,
    height: CameraHeight,
) -> Result<Geodetic, RenderError> {
    let dem = model.dem();
    let h = match height {
        CameraHeight::AboveGround(m) => {
            dem.ellipsoidal_height(lat, lon).ok_or(RenderError::NoTerrainBelow)? + m
        }
        CameraHeight::Ellipsoidal(m) => m,
        CameraHeight::AboveSeaLevel(m) => m + dem.undulation(lat, lon),
    };
    Ok(Geodetic::new(lat, lon, h))
}

/// Panorama layout: `views` headings every `360 / views` degrees starting at
/// `first_yaw_deg`, each `fov_deg` wide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanoramaSpec {
    /// Number of views.
    pub views: usize,
    /// Horizontal FOV of each view, degrees.
    pub fov_deg: f64,
    /// Heading of the first view, degrees.
    pub first_yaw_deg: f64,
    /// Pitch of all views, degrees.
    pub pitch_deg: f64,
    /// Image width and height.
    pub size: (u32, u32),
}

impl Default for PanoramaSpec {
    /// LandscapeAR's layout: 12 views of 60 degrees every 30 degrees.
    fn default() -> Self {
        Self { views: 12, fov_deg: 60.0, first_yaw_deg: 0.0, pitch_deg: 0.0, size: (1024, 1024) }
    }
}

/// The cameras of a panorama at a position.
pub fn panorama_cameras(position: &Geodetic, spec: &PanoramaSpec) -> Vec<RenderCamera> {
    let step = 360.0 / spec.views.max(1) as f64;
    (0..spec.views)
        .map(|i| {
            let k = Camera::from_hfov_deg(spec.size.0, spec.size.1, spec.fov_deg);
            let yaw = (spec.first_yaw_deg + i as f64 * step).rem_euclid(360.0);
            RenderCamera::from_angles(position, yaw, spec.pitch_deg, 0.0, k)
        })
        .collect()
}
