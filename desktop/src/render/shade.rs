//! The "render" style: shaded relief with a hypsometric tint, sun direction, distance haze
//! and a sky gradient. Also the shared shading helpers of the photo style.

use image::{Rgb, RgbImage};
use nalgebra::Vector3;
use rayon::prelude::*;

use super::surface::Surface;

/// Parameters of the relief shading.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShadeParams {
    /// Sun azimuth (degrees from north, clockwise) and elevation (degrees).
    pub sun_azimuth_deg: f64,
    /// Sun elevation above the horizon, degrees.
    pub sun_elevation_deg: f64,
    /// Ambient light fraction in [0, 1].
    pub ambient: f32,
    /// Distance (metres) at which haze covers 63 % of the terrain colour.
    pub haze_m: f64,
    /// Haze colour (linear 0..1 RGB).
    pub haze_colour: [f32; 3],
    /// Sky colour at the horizon and at the zenith.
    pub sky_horizon: [f32; 3],
    /// Sky colour straight up.
    pub sky_zenith: [f32; 3],
    /// Hypsometric ramp: `(elevation m, colour)`, increasing elevation.
    pub ramp: Vec<(f32, [f32; 3])>,
    /// Snow above this elevation (metres) on slopes flatter than `snow_max_slope`; `None`
    /// for no snow.
    pub snow_line_m: Option<f32>,
}

impl Default for ShadeParams {
    fn default() -> Self {
        Self {
            sun_azimuth_deg: 315.0,
            sun_elevation_deg: 40.0,
            ambient: 0.3,
            haze_m: 80_000.0,
            haze_colour: [0.78, 0.83, 0.9],
            sky_horizon: [0.82, 0.87, 0.93],
            sky_zenith: [0.35, 0.55, 0.85],
            ramp: vec![
                (0.0, [0.35, 0.5, 0.3]),
                (800.0, [0.5, 0.58, 0.35]),
                (1600.0, [0.6, 0.52, 0.38]),
                (2400.0, [0.62, 0.58, 0.55]),
                (3200.0, [0.85, 0.85, 0.87]),
                (4500.0, [0.97, 0.97, 1.0]),
            ],
            snow_line_m: None,
        }
    }
}

/// Linear interpolation of the hypsometric ramp.
pub(crate) fn ramp_colour(ramp: &[(f32, [f32; 3])], e: f32) -> [f32; 3] {
    let Some(first) = ramp.first() else { return [0.5; 3] };
    if e <= first.0 {
        return first.1;
    }
    for w in ramp.windows(2) {
        let ((e0, c0), (e1, c1)) = (w[0], w[1]);
        if e <= e1 {
            let t = (e - e0) / (e1 - e0).max(1e-3);
            return std::array::from_fn(|i| c0[i] + t * (c1[i] - c0[i]));
        }
    }
    ramp.last().map_or([0.5; 3], |l| l.1)
}

pub(crate) fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    std::array::from_fn(|i| a[i] + t * (b[i] - a[i]))
}

/// Per-pixel ray directions in the model's ENU frame (unit length) and the ray length per
/// unit z-depth.
pub(crate) struct Rays {
    /// `model_from_cam` rotation.
    pub rot_t: nalgebra::Matrix3<f64>,
    /// Camera centre in the model frame.
    pub centre: Vector3<f64>,
    pub focal: f64,
    pub cx: f64,
    pub cy: f64,
}

impl Rays {
    /// Unit ray and `|ray| / z` for pixel `(x, y)`.
    pub fn at(&self, x: usize, y: usize) -> (Vector3<f64>, f64) {
        let v =
            Vector3::new((x as f64 - self.cx) / self.focal, (y as f64 - self.cy) / self.focal, 1.0);
        let n = v.norm();
        (self.rot_t * (v / n), n)
    }
}

/// Shades a surface into an RGB image (values 0..1 before quantisation).
pub(crate) fn shade_linear(surface: &Surface, rays: &Rays, p: &ShadeParams) -> Vec<[f32; 3]> {
    let (az, el) = (p.sun_azimuth_deg.to_radians(), p.sun_elevation_deg.to_radians());
    let sun = [(az.sin() * el.cos()) as f32, (az.cos() * el.cos()) as f32, el.sin() as f32];
    let w = surface.width;
    (0..surface.pixels.len())
        .into_par_iter()
        .map(|k| {
            let (x, y) = (k % w, k / w);
            let (ray, len) = rays.at(x, y);
            match surface.pixels[k] {
                None => {
                    let t = (ray.z.max(0.0) as f32).powf(0.6);
                    mix(p.sky_horizon, p.sky_zenith, t)
                }
                Some(s) => {
                    let n = s.normal;
                    let lambert = (n[0] * sun[0] + n[1] * sun[1] + n[2] * sun[2]).max(0.0);
                    let light = p.ambient + (1.0 - p.ambient) * lambert;
                    let mut base = ramp_colour(&p.ramp, s.elevation);
                    if let Some(line) = p.snow_line_m
                        && s.elevation > line
                        && n[2] > 0.55
                    {
                        let t = ((s.elevation - line) / 150.0).clamp(0.0, 1.0);
                        base = mix(base, [0.95, 0.96, 0.98], t);
                    }
                    let lit = base.map(|c| c * light);
                    let dist = s.depth * len;
                    let fog = 1.0 - (-dist / p.haze_m).exp() as f32;
                    mix(lit, p.haze_colour, fog)
                }
            }
        })
        .collect()
}

/// Quantises linear 0..1 colours into an 8-bit image.
pub(crate) fn to_image(width: usize, height: usize, px: &[[f32; 3]]) -> RgbImage {
    let mut img = RgbImage::new(width as u32, height as u32);
    for (dst, src) in img.pixels_mut().zip(px) {
        *dst = Rgb(src.map(|v| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8));
    }
    img
}
