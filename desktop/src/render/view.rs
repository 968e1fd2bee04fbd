//! One perspective view of the terrain: the camera (intrinsics + `cam_from_world` with
//! world = ECEF), render options, and the geometry pass that yields per-pixel depth.

use lsar_geometry::Camera;
use lsar_geometry::CameraPose;
use lsar_geometry::geodesy::{Geodetic, LocalFrame, geodetic_from_ecef};
use nalgebra::{Matrix3, Vector3};

use super::error::RenderError;
use super::lod::{LodParams, ViewXf, select_chunks};
use super::raster::rasterise;
use super::surface::{Surface, resolve};
use super::terrain::TerrainModel;

/// A camera to render: pinhole intrinsics (no distortion) and its pose, world = ECEF metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderCamera {
    /// Intrinsics; `k1`, `k2` must be zero.
    pub intrinsics: Camera,
    /// `cam_from_world` with world = ECEF.
    pub pose: CameraPose,
}

impl RenderCamera {
    /// The camera centre in ECEF.
    pub fn centre_ecef(&self) -> Vector3<f64> {
        self.pose.center()
    }

    /// The camera centre as a geodetic position.
    pub fn centre_geodetic(&self) -> Geodetic {
        self.pose.position()
    }

    /// A camera at a geodetic position looking along yaw/pitch/roll (degrees, relative to
    /// local ENU; conventions of `lsar_geometry`).
    pub fn from_angles(
        position: &Geodetic,
        yaw_deg: f64,
        pitch_deg: f64,
        roll_deg: f64,
        intrinsics: Camera,
    ) -> Self {
        Self {
            intrinsics,
            pose: CameraPose::from_enu_angles(position, yaw_deg, pitch_deg, roll_deg),
        }
    }

    /// `cam_from_model` rotation for a model frame.
    pub(crate) fn rotation_in(&self, frame: &LocalFrame) -> Matrix3<f64> {
        self.pose.rotation() * frame.ecef_from_enu_rotation()
    }
}

/// The largest image rendered (2^28 pixels, 16384 x 16384).
pub const MAX_PIXELS: u64 = 1 << 28;

/// Settings of the geometry pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderOptions {
    /// Terrain farther than this from the camera is not drawn (metres).
    pub visible_radius_m: f64,
    /// Level of detail: the largest projected cell size in pixels before the vertex step
    /// doubles; 0 renders every DEM sample.
    pub lod_pixel_error: f64,
    /// Near clipping distance (metres).
    pub near_m: f64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self { visible_radius_m: 150_000.0, lod_pixel_error: 1.5, near_m: 1.0 }
    }
}

/// Counts from one geometry pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderStats {
    /// Chunks that passed culling.
    pub chunks: usize,
    /// Terrain triangles of the chosen chunks at their level of detail (before back-face
    /// culling and clipping): the mesh drawn.
    pub triangles: u64,
    /// Triangles that covered at least one pixel-row span in some band (after culling).
    pub triangles_rasterised: u64,
    /// Pixels showing terrain (the others are sky).
    pub terrain_pixels: usize,
}

/// Checks the camera and renders depth, normals and heights. A view that sees no terrain
/// is not an error: every pixel is sky (depth `+inf`) and `terrain_pixels` is 0.
///
/// # Errors
/// [`RenderError::InvalidCamera`] for bad intrinsics or distortion,
/// [`RenderError::CameraUnderGround`] when the camera is below the terrain surface.
pub fn render_surface(
    model: &TerrainModel,
    camera: &RenderCamera,
    options: &RenderOptions,
) -> Result<(Surface, RenderStats), RenderError> {
    let k = &camera.intrinsics;
    k.validate().map_err(|_| RenderError::InvalidCamera { reason: "invalid intrinsics" })?;
    if u64::from(k.width) * u64::from(k.height) > MAX_PIXELS {
        return Err(RenderError::InvalidCamera { reason: "image larger than 2^28 pixels" });
    }
    if k.has_distortion() {
        return Err(RenderError::InvalidCamera { reason: "distortion is not rendered" });
    }
    let c = camera.centre_ecef();
    if !c.iter().all(|v| v.is_finite()) {
        return Err(RenderError::InvalidCamera { reason: "non-finite pose" });
    }
    let g = geodetic_from_ecef(&c);
    if let Some(ground) = model.dem().ellipsoidal_height(g.lat, g.lon)
        && g.height < ground
    {
        return Err(RenderError::CameraUnderGround { below_m: ground - g.height });
    }
    let frame = model.frame();
    let rot = camera.rotation_in(frame);
    let view = ViewXf {
        rot,
        centre: frame.enu_from_ecef(&c),
        focal: k.focal_px,
        cx: k.principal_point.x,
        cy: k.principal_point.y,
        width: k.width as usize,
        height: k.height as usize,
        near: options.near_m.max(1e-3),
    };
    let lod = LodParams {
        visible_radius_m: options.visible_radius_m,
        pixel_error: options.lod_pixel_error,
    };
    let t0 = std::time::Instant::now();
    let chunks = select_chunks(model, &view, &lod);
    let t1 = std::time::Instant::now();
    let raster = rasterise(model, &view, &chunks);
    let t2 = std::time::Instant::now();
    let surface = resolve(model, &view, &chunks, &raster);
    tracing::debug!("select {:.1?}, raster {:.1?}, resolve {:.1?}", t1 - t0, t2 - t1, t2.elapsed());
    let stats = RenderStats {
        chunks: chunks.len(),
        triangles: chunks
            .iter()
            .map(|c| 2 * ((c.rows.len() - 1) * (c.cols.len() - 1)) as u64)
            .sum(),
        triangles_rasterised: raster.triangles,
        terrain_pixels: surface.terrain_pixels(),
    };
    Ok((surface, stats))
}
