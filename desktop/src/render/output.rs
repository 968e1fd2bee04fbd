//! A finished view (colour in a style, depth, camera) and its files: `colour.png`,
//! `depth.npy` (z-depth in metres, `<f4`, shape (H, W), sky = +inf; NumPy format 1.0 written
//! here) and `camera.json`.

use std::io::Write;
use std::path::Path;

use image::RgbImage;
use lsar_geometry::camera_json::{CameraJson, JsonFrame};
use serde_json::Value;

use super::error::RenderError;
use super::photo::photo;
use super::shade::{Rays, ShadeParams, shade_linear, to_image};
use super::surface::Surface;
use super::terrain::TerrainModel;
use super::view::{RenderCamera, RenderOptions, RenderStats, render_surface};

/// How to colour a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Shaded relief with hypsometric tint, haze and sky (the style of region packs).
    Render,
    /// Seeded photo-like variations (palette, snow, sun, haze, clouds, noise, blur, JPEG).
    Photo {
        /// The seed; equal seeds give equal images.
        seed: u64,
    },
}

/// A rendered view.
#[derive(Debug, Clone)]
pub struct RenderedView {
    /// The camera.
    pub camera: RenderCamera,
    /// Per-pixel depth, normal and height.
    pub surface: Surface,
    /// The colour image.
    pub colour: RgbImage,
    /// Counts of the geometry pass.
    pub stats: RenderStats,
}

fn rays(model: &TerrainModel, camera: &RenderCamera) -> Rays {
    let rot = camera.rotation_in(model.frame());
    let k = &camera.intrinsics;
    Rays {
        rot_t: rot.transpose(),
        centre: model.frame().enu_from_ecef(&camera.centre_ecef()),
        focal: k.focal_px,
        cx: k.principal_point.x,
        cy: k.principal_point.y,
    }
}

/// Colours a rendered surface.
pub fn colourise(
    model: &TerrainModel,
    camera: &RenderCamera,
    surface: &Surface,
    style: Style,
) -> RgbImage {
    let r = rays(model, camera);
    match style {
        Style::Render => {
            let px = shade_linear(surface, &r, &ShadeParams::default());
            to_image(surface.width, surface.height, &px)
        }
        Style::Photo { seed } => photo(surface, &r, seed),
    }
}

/// Renders depth and colour of one view.
///
/// # Errors
/// As [`render_surface`].
pub fn render_view(
    model: &TerrainModel,
    camera: &RenderCamera,
    options: &RenderOptions,
    style: Style,
) -> Result<RenderedView, RenderError> {
    let (surface, stats) = render_surface(model, camera, options)?;
    let colour = colourise(model, camera, &surface, style);
    Ok(RenderedView { camera: *camera, surface, colour, stats })
}

/// The camera JSON of DESIGN.md with `"frame": "ecef"` (height above sea level from the
/// DEM's geoid).
pub fn camera_json(camera: &RenderCamera, model: &TerrainModel) -> CameraJson {
    let g = camera.centre_geodetic();
    let n = model.dem().undulation(g.lat, g.lon);
    CameraJson::from_parts_with_undulation(&camera.intrinsics, &camera.pose, JsonFrame::Ecef, n)
}

/// Writes `colour.png`, `depth.npy` and `camera.json` (plus `extra` keys) into `dir`.
///
/// # Errors
/// I/O, PNG and JSON errors.
pub fn write_view(
    dir: &Path,
    view: &RenderedView,
    model: &TerrainModel,
    extra: &Value,
) -> Result<(), RenderError> {
    std::fs::create_dir_all(dir)?;
    view.colour.save_with_format(dir.join("colour.png"), image::ImageFormat::Png)?;
    let s = &view.surface;
    write_npy_f32(&dir.join("depth.npy"), s.height, s.width, &s.depth_f32())?;
    let mut cam = serde_json::to_value(camera_json(&view.camera, model))?;
    if let (Some(obj), Some(more)) = (cam.as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            obj.insert(k.clone(), v.clone());
        }
    }
    std::fs::write(dir.join("camera.json"), serde_json::to_string_pretty(&cam)?)?;
    Ok(())
}

/// The `.npy` bytes of a `(height, width)` `f32` array in C order.
pub fn npy_f32_bytes(height: usize, width: usize, data: &[f32]) -> Vec<u8> {
    let dict =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({height}, {width}), }}");
    // Magic (6) + version (2) + header length (2) + dict + padding + '\n' is a multiple of 64.
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    let header_len = dict.len() + pad + 1;
    let mut out = Vec::with_capacity(10 + header_len + 4 * data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&u16::try_from(header_len).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Writes a `(height, width)` `f32` array to a `.npy` file.
///
/// # Errors
/// I/O errors.
pub fn write_npy_f32(
    path: &Path,
    height: usize,
    width: usize,
    data: &[f32],
) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(&npy_f32_bytes(height, width, data))?;
    f.flush()
}
