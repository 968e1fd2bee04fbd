//! The seeded "photo" style for training and evaluation: a random palette, snow line, sun,
//! haze, sky gradient and clouds, then texture noise, blur, colour jitter and JPEG
//! artefacts. The same seed gives the same picture.

use image::RgbImage;
use image::codecs::jpeg::JpegEncoder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::shade::{Rays, ShadeParams, mix, shade_linear, to_image};
use super::surface::Surface;
use crate::synth::noise::{fbm, value_noise};

const PALETTES: [[[f32; 3]; 4]; 4] = [
    [[0.25, 0.38, 0.2], [0.38, 0.45, 0.25], [0.48, 0.44, 0.38], [0.6, 0.58, 0.56]],
    [[0.55, 0.5, 0.32], [0.62, 0.55, 0.4], [0.55, 0.45, 0.36], [0.7, 0.66, 0.6]],
    [[0.3, 0.35, 0.22], [0.5, 0.4, 0.22], [0.45, 0.38, 0.33], [0.52, 0.52, 0.55]],
    [[0.2, 0.3, 0.25], [0.3, 0.36, 0.3], [0.42, 0.42, 0.42], [0.56, 0.57, 0.6]],
];

fn jitter(rng: &mut ChaCha8Rng, c: [f32; 3], amount: f32) -> [f32; 3] {
    c.map(|v| (v + rng.random_range(-amount..=amount)).clamp(0.0, 1.0))
}

/// Random shading parameters for a seed.
pub(crate) fn photo_params(rng: &mut ChaCha8Rng) -> ShadeParams {
    let pal = PALETTES[rng.random_range(0..PALETTES.len())];
    let top = rng.random_range(2200.0..3600.0_f32);
    let ramp = (0..4).map(|i| (i as f32 * top / 3.0, jitter(rng, pal[i], 0.05))).collect();
    let horizon = jitter(rng, [0.8, 0.84, 0.9], 0.08);
    ShadeParams {
        sun_azimuth_deg: rng.random_range(0.0..360.0),
        sun_elevation_deg: rng.random_range(10.0..65.0),
        ambient: rng.random_range(0.2..0.5),
        haze_m: rng.random_range(15_000.0..120_000.0),
        haze_colour: mix(horizon, [0.9, 0.9, 0.9], rng.random_range(0.0..0.5)),
        sky_horizon: horizon,
        sky_zenith: jitter(rng, [0.3, 0.5, 0.85], 0.12),
        ramp,
        snow_line_m: rng.random_bool(0.7).then(|| rng.random_range(1500.0..3200.0)),
    }
}

/// Renders the photo style.
pub(crate) fn photo(surface: &Surface, rays: &Rays, seed: u64) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let params = photo_params(&mut rng);
    let mut px = shade_linear(surface, rays, &params);
    let (w, h) = (surface.width, surface.height);
    let cloud_cover = rng.random_range(0.0..0.8_f32);
    let noise_amp = rng.random_range(0.0..0.06_f32);
    let tex_amp = rng.random_range(0.05..0.3_f32);
    let tex_scale = rng.random_range(30.0..120.0_f64);
    let rock_below = rng.random_range(0.6..0.9_f32);
    let rock_tint = jitter(&mut rng, [0.95, 0.92, 0.88], 0.06);
    let nseed: u64 = rng.random();
    px.par_iter_mut().enumerate().for_each(|(k, c)| {
        let (x, y) = (k % w, k / w);
        let (ray, len) = rays.at(x, y);
        if let Some(s) = surface.pixels[k] {
            // Texture fixed to the ground (model frame), steep slopes turned to bare rock.
            let p = rays.centre + ray * (len * s.depth);
            let t = fbm(nseed ^ 1, p.x / tex_scale, p.y / tex_scale, 4) - 0.5;
            // Fade the texture where a pixel covers more than a quarter of its scale.
            let footprint = len * s.depth / rays.focal;
            let fade = (1.0 - footprint / (0.25 * tex_scale)).clamp(0.0, 1.0) as f32;
            *c = c.map(|v| v * (1.0 + 2.0 * tex_amp * fade * t));
            let steep = ((rock_below - s.normal[2]) / 0.2).clamp(0.0, 1.0);
            let g = (c[0] + c[1] + c[2]) / 3.0;
            *c = mix(*c, rock_tint.map(|r| r * g), 0.7 * steep);
        } else {
            let t = cloud_opacity(nseed, cloud_cover, [ray.x, ray.y, ray.z]);
            *c = mix(*c, [0.96, 0.96, 0.97], t);
        }
        let n = value_noise(nseed ^ 2, x as f64 * 0.9, y as f64 * 0.9) - 0.5;
        *c = c.map(|v| v + noise_amp * n);
    });
    // Colour jitter: brightness, contrast, saturation, per-channel gain.
    let (bright, contrast, sat) = (
        rng.random_range(-0.08..0.08_f32),
        rng.random_range(0.8..1.2_f32),
        rng.random_range(0.6..1.3_f32),
    );
    let gain = [rng.random_range(0.92..1.08_f32), 1.0, rng.random_range(0.92..1.08_f32)];
    for c in &mut px {
        let g = (c[0] + c[1] + c[2]) / 3.0;
        *c = std::array::from_fn(|i| {
            ((g + sat * (c[i] - g) - 0.5) * contrast + 0.5 + bright) * gain[i]
        });
    }
    let radius = rng.random_range(0..=2_usize);
    if radius > 0 {
        box_blur(&mut px, w, h, radius);
    }
    let img = to_image(w, h, &px);
    let quality = rng.random_range(35..=95_u8);
    jpeg_roundtrip(&img, quality).unwrap_or(img)
}

/// Elevations (sine of the ray's angle above the horizontal) over which clouds fade in: none
/// below the first, full opacity above the second.
const CLOUD_FADE: (f64, f64) = (0.02, 0.15);

/// Opacity of the cloud layer along a sky ray (model frame, z up): a seeded fbm on the plane
/// `z = 1` (texture coordinates `x / z`, `y / z`), thresholded by the cover and faded out
/// towards the horizon ([`CLOUD_FADE`]). Near the horizon the plane's coordinates grow without
/// bound; clamping the elevation instead would make them constant down each image column
/// (vertical streaks), while real skies thin into haze there. Rays at or below the horizontal
/// (seen from a summit) have no clouds.
fn cloud_opacity(nseed: u64, cover: f32, ray: [f64; 3]) -> f32 {
    let (lo, hi) = CLOUD_FADE;
    if ray[2] <= lo {
        return 0.0;
    }
    let s = ((ray[2] - lo) / (hi - lo)).clamp(0.0, 1.0);
    #[allow(clippy::cast_possible_truncation)]
    let fade = (s * s * (3.0 - 2.0 * s)) as f32;
    let cloud = fbm(nseed, ray[0] / ray[2] * 1.5, ray[1] / ray[2] * 1.5, 5);
    ((cloud - (1.0 - cover)) * 3.0).clamp(0.0, 1.0) * fade
}

fn box_blur(px: &mut [[f32; 3]], w: usize, h: usize, r: usize) {
    let pass = |src: &[[f32; 3]], horizontal: bool| -> Vec<[f32; 3]> {
        (0..w * h)
            .into_par_iter()
            .map(|k| {
                let (x, y) = (k % w, k / w);
                let mut acc = [0.0_f32; 3];
                let mut n = 0.0;
                for d in 0..=2 * r {
                    let (xx, yy) = if horizontal {
                        ((x + d).checked_sub(r), Some(y))
                    } else {
                        (Some(x), (y + d).checked_sub(r))
                    };
                    if let (Some(xx), Some(yy)) = (xx, yy)
                        && xx < w
                        && yy < h
                    {
                        let s = src[yy * w + xx];
                        acc = std::array::from_fn(|i| acc[i] + s[i]);
                        n += 1.0;
                    }
                }
                acc.map(|v| v / n)
            })
            .collect()
    };
    let tmp = pass(px, true);
    let out = pass(&tmp, false);
    px.copy_from_slice(&out);
}

fn jpeg_roundtrip(img: &RgbImage, quality: u8) -> Option<RgbImage> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality).encode_image(img).ok()?;
    Some(image::load_from_memory_with_format(&buf, image::ImageFormat::Jpeg).ok()?.to_rgb8())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(az_deg: f64, el_deg: f64) -> [f64; 3] {
        let (a, e) = (az_deg.to_radians(), el_deg.to_radians());
        [a.sin() * e.cos(), a.cos() * e.cos(), e.sin()]
    }

    #[test]
    fn clouds_fade_out_towards_the_horizon() {
        let (seed, cover) = (11, 0.8);
        // Full cover somewhere high in the sky, so the fade has something to remove.
        let high: Vec<f32> =
            (0..360).map(|a| cloud_opacity(seed, cover, unit(f64::from(a), 30.0))).collect();
        assert!(high.iter().any(|&t| t > 0.5), "no clouds at 30 degrees");
        // At and below the horizon, and below the first fade edge (1.15 degrees): none. A clamp
        // of the elevation would copy the clouds of 1.15 degrees into these rays.
        for a in 0..360 {
            for el in [-3.0, 0.0, 0.5, 1.1] {
                assert_eq!(cloud_opacity(seed, cover, unit(f64::from(a), el)), 0.0, "{a} {el}");
            }
        }
        // Above the second edge (8.6 degrees) the layer is unfaded: the plane's own texture.
        let r = unit(40.0, 20.0);
        let plain = ((fbm(seed, r[0] / r[2] * 1.5, r[1] / r[2] * 1.5, 5) - (1.0 - cover)) * 3.0)
            .clamp(0.0, 1.0);
        assert_eq!(cloud_opacity(seed, cover, r), plain);
        // Between the edges the layer is scaled down: at 2 degrees to at most 3.6 % of it.
        let mean = |el: f64| {
            (0..360).map(|a| cloud_opacity(seed, cover, unit(f64::from(a), el))).sum::<f32>()
                / 360.0
        };
        assert!(mean(2.0) <= 0.037 && mean(2.0) < mean(12.0), "{} {}", mean(2.0), mean(12.0));
    }
}
