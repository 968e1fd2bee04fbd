//! The DoG detector against its pre-rewrite reference (`dog_reference.rs`): the same keypoints,
//! bit for bit and in the same order, for Lowe's scale space, the query settings and the
//! doubled pack settings, on odd sizes, with a sky mask, a keypoint limit and a reused
//! workspace.

use lsar_vision::Image;
use lsar_vision::keypoints::{DogConfig, DogWorkspace, SkyMask, detect_dog, detect_dog_with};
use lsar_vision::pyramid::{ScaleSpace, ScaleSpaceConfig, gaussian_blur};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::dog_reference as reference;

/// A seeded texture: Gaussian blobs of many sizes and signs on a ramp, plus pixel noise, in
/// [0, 1]; `channels` 1 or 3 (colour channels scaled differently).
pub fn texture(w: usize, h: usize, channels: usize, seed: u64) -> Image {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let blobs: Vec<(f64, f64, f64, f64)> = (0..w * h / 200)
        .map(|_| {
            (
                rng.random_range(0.0..w as f64),
                rng.random_range(0.0..h as f64),
                rng.random_range(1.0..12.0),
                rng.random_range(-0.6..0.6),
            )
        })
        .collect();
    let mut grey = vec![0.0f64; w * h];
    for &(bx, by, s, a) in &blobs {
        let r = (4.0 * s).ceil() as i64;
        for y in (by as i64 - r).max(0)..(by as i64 + r).min(h as i64) {
            for x in (bx as i64 - r).max(0)..(bx as i64 + r).min(w as i64) {
                let d2 = (x as f64 - bx).powi(2) + (y as f64 - by).powi(2);
                grey[y as usize * w + x as usize] += a * (-d2 / (2.0 * s * s)).exp();
            }
        }
    }
    let data = (0..w * h)
        .flat_map(|i| {
            let ramp = 0.3 + 0.3 * (i % w) as f64 / w as f64;
            let v = grey[i] + ramp;
            let noise: f64 = rng.random_range(-0.01..0.01);
            (0..channels)
                .map(move |c| ((v + noise) * (1.0 - 0.1 * c as f64)).clamp(0.0, 1.0) as f32)
        })
        .collect();
    Image::new(w, h, channels, data).unwrap()
}

fn configs() -> Vec<(&'static str, DogConfig)> {
    let query = DogConfig { contrast_threshold: 0.01, border: 8.0, ..DogConfig::default() };
    let pack = DogConfig {
        scale_space: ScaleSpaceConfig {
            sigma0: 1.0,
            double_image: true,
            ..ScaleSpaceConfig::default()
        },
        contrast_threshold: 0.02 / 3.0,
        edge_threshold: 15.0,
        ..DogConfig::default()
    };
    vec![("lowe", DogConfig::default()), ("query", query), ("pack", pack)]
}

#[test]
fn same_keypoints_as_the_reference() {
    let mut ws = DogWorkspace::new();
    for (w, h, ch, seed) in [(320, 240, 1, 1), (203, 157, 3, 2), (96, 181, 1, 3)] {
        let img = texture(w, h, ch, seed);
        for (name, cfg) in configs() {
            let want = reference::detect_dog(&img, &cfg, None);
            let got = detect_dog(&img, &cfg, None).unwrap();
            assert!(want.len() > 10, "{name} {w}x{h}: only {} keypoints", want.len());
            assert_eq!(got, want, "{name} {w}x{h}x{ch}");
            // A workspace grown by a larger image gives the same result.
            assert_eq!(detect_dog_with(&img, &cfg, None, &mut ws).unwrap(), want, "{name} ws");
        }
    }
    // Sky mask and keypoint limit.
    let img = texture(256, 200, 1, 4);
    let depth: Vec<f32> = (0..256 * 200)
        .map(|i| if (i % 256) + i / 256 < 200 { f32::INFINITY } else { 5.0 })
        .collect();
    let depth = Image::new(256, 200, 1, depth).unwrap();
    let cfg = DogConfig { max_keypoints: Some(37), ..DogConfig::default() };
    let sky = Some(SkyMask { depth: &depth });
    let want = reference::detect_dog(&img, &cfg, sky);
    assert_eq!(want.len(), 37);
    assert_eq!(detect_dog_with(&img, &cfg, sky, &mut ws).unwrap(), want);
}

#[test]
fn blur_and_scale_space_equal_the_reference() {
    let img = texture(131, 77, 3, 5);
    for sigma in [0.0, 0.6, 1.6, 4.2] {
        assert_eq!(gaussian_blur(&img, sigma), reference::gaussian_blur(&img, sigma), "{sigma}");
    }
    assert_eq!(img.resize(53, 190).unwrap(), reference::resize(&img, 53, 190));
    assert_eq!(img.resize(65, 38).unwrap(), reference::resize(&img, 65, 38));
    // ScaleSpace (public) still holds the images the detector works on.
    let cfg = ScaleSpaceConfig::default();
    let ss = ScaleSpace::new(&img, &cfg).unwrap();
    let grey = img.to_grey();
    let first = reference::gaussian_blur(&grey, cfg.first_blur());
    assert_eq!(ss.octaves[0].images[0], first);
    assert_eq!(ss.octaves[0].images[1], reference::gaussian_blur(&first, cfg.increment(1)));
}

#[test]
fn bad_parameters_and_small_images_are_errors() {
    let img = texture(40, 40, 1, 6);
    let bad = DogConfig {
        scale_space: ScaleSpaceConfig { intervals: 0, ..ScaleSpaceConfig::default() },
        ..DogConfig::default()
    };
    assert!(detect_dog(&img, &bad, None).is_err());
    let small = texture(12, 40, 1, 7);
    assert!(detect_dog(&small, &DogConfig::default(), None).is_err());
}
