//! FOV-normalised patches against hand-computed values; bad input.

use lsar_vision::patches::downsample_patches;
use lsar_vision::{Image, Keypoint, PatchConfig, PatchExtractor, VisionError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

fn kp(x: f64, y: f64) -> Keypoint {
    Keypoint { x, y, sigma: 1.6, response: 0.0 }
}

/// Grey image with f(x, y) = 0.1 + 0.001 x + 0.002 y.
fn plane(w: usize, h: usize) -> Image {
    let data = (0..w * h).map(|i| 0.1 + 0.001 * (i % w) as f32 + 0.002 * (i / w) as f32).collect();
    Image::new(w, h, 1, data).unwrap()
}

#[test]
fn unscaled_patch_values() {
    // Width 300 at hfov = 0.1 pi: (0.1 pi / pi) * 3000 = 300, so no resampling.
    let ex = PatchExtractor::new(&plane(300, 200), 0.1 * PI, &PatchConfig::default()).unwrap();
    assert_eq!(ex.scale(), 1.0);
    let p = ex.extract(&[kp(100.0, 80.0), kp(0.0, 0.0)]).unwrap();
    assert_eq!((p.len(), p.size(), p.channels()), (2, 64, 1));
    let a = p.patch(0).unwrap();
    // Pixel (u, v) samples (100 + u - 31.5, 80 + v - 31.5).
    assert!((a[0] - 0.2655).abs() < 1e-6, "{}", a[0]); // f(68.5, 48.5)
    assert!((a[63] - 0.3285).abs() < 1e-6, "{}", a[63]); // f(131.5, 48.5)
    assert!((a[64 * 10 + 5] - (0.1 + 0.0735 + 0.117)).abs() < 1e-6); // f(73.5, 58.5)
    // At the image corner: zeros outside, half-weights on the border.
    let b = p.patch(1).unwrap();
    assert_eq!(b[0], 0.0);
    assert_eq!(b[30 * 64 + 40], 0.0); // y = -1.5: outside
    assert!((b[31 * 64 + 31] - 0.25 * 0.1).abs() < 1e-7); // (-0.5, -0.5): 1/4 of f(0, 0)
    assert!((b[32 * 64 + 32] - 0.1015).abs() < 1e-6); // f(0.5, 0.5)
}

#[test]
fn scaled_patch_values_and_angle() {
    // Width 600 at hfov = 0.1 pi -> resampled to 300 (s = 0.5, area average keeps the plane).
    let cfg = PatchConfig::default();
    assert!((cfg.patch_angle().to_degrees() - 3.84).abs() < 1e-9);
    let ex = PatchExtractor::new(&plane(600, 400), 0.1 * PI, &cfg).unwrap();
    assert_eq!((ex.scaled_image().width(), ex.scaled_image().height()), (300, 200));
    let p = ex.extract(&[kp(200.0, 160.0)]).unwrap();
    let a = p.patch(0).unwrap();
    // Keypoint -> ((200 + 0.5) 0.5 - 0.5, (160 + 0.5) 0.5 - 0.5) = (99.75, 79.75); pixel (0, 0)
    // samples x' = 68.25, y' = 48.25, i.e. the input position x = 2 x' + 0.5 = 137, y = 97:
    // f = 0.1 + 0.137 + 0.194.
    assert!((a[0] - 0.431).abs() < 1e-5, "{}", a[0]);
    // One patch pixel = two input pixels.
    assert!((a[1] - a[0] - 0.002).abs() < 1e-5);
    assert!((a[64] - a[0] - 0.004).abs() < 1e-5);
}

#[test]
fn rgb_planes_and_downsampling() {
    let img = Image::new(300, 100, 3, (0..300 * 100 * 3).map(|i| (i % 3) as f32 * 0.25).collect())
        .unwrap();
    let ex = PatchExtractor::new(&img, 0.1 * PI, &PatchConfig::default()).unwrap();
    let p = ex.extract(&[kp(150.0, 50.0)]).unwrap();
    let a = p.patch(0).unwrap();
    assert_eq!((a[0], a[4096], a[8192]), (0.0, 0.25, 0.5));
    let half = downsample_patches(&p, 2).unwrap();
    assert_eq!((half.size(), half.channels()), (32, 3));
    assert_eq!(half.patch(0).unwrap()[1024], 0.25);
}

#[test]
fn too_small_and_bad_fov_are_errors() {
    // 100 px at hfov 0.01 pi -> 30 px wide: smaller than a patch.
    let img = plane(100, 100);
    let err = PatchExtractor::new(&img, 0.01 * PI, &PatchConfig::default()).unwrap_err();
    assert!(matches!(err, VisionError::ImageTooSmall { required: 64, .. }), "{err}");
    assert!(matches!(
        PatchExtractor::new(&img, 0.0, &PatchConfig::default()),
        Err(VisionError::InvalidParameter { .. })
    ));
    assert!(matches!(Image::zeros(0, 0, 3), Err(VisionError::EmptyImage { .. })));
    assert!(matches!(Image::decode(&[]), Err(VisionError::Decode { .. })));
}

/// Per-pixel bilinear sampling as the module documentation defines the patch.
fn patch_by_definition(ex: &PatchExtractor, kp: &Keypoint, size: usize) -> Vec<f32> {
    let img = ex.scaled_image();
    let (sx, sy) = (img.width() as f64 / 640.0, img.height() as f64 / 480.0);
    let (cx, cy) = ((kp.x + 0.5) * sx - 0.5, (kp.y + 0.5) * sy - 0.5);
    let half = (size as f64 - 1.0) / 2.0;
    let mut out = Vec::new();
    for c in 0..img.channels() {
        for v in 0..size {
            for u in 0..size {
                out.push(img.sample_bilinear(cx + u as f64 - half, cy + v as f64 - half, c));
            }
        }
    }
    out
}

#[test]
fn fast_extraction_matches_the_definition_and_reuses_its_buffer() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for channels in [1, 3] {
        let data = (0..640 * 480 * channels).map(|_| rng.random_range(0.0f32..1.0)).collect();
        let img = Image::new(640, 480, channels, data).unwrap();
        // Interior, sub-pixel, border-straddling and outside keypoints.
        let mut kps: Vec<Keypoint> = (0..200)
            .map(|_| Keypoint {
                x: rng.random_range(-40.0..680.0),
                y: rng.random_range(-40.0..520.0),
                sigma: 2.0,
                response: 0.1,
            })
            .collect();
        kps.push(Keypoint { x: 320.0, y: 240.0, sigma: 2.0, response: 0.1 });
        for hfov in [0.2 * PI, 0.3 * PI, 0.25 * PI] {
            let ex = PatchExtractor::new(&img, hfov, &PatchConfig::default()).unwrap();
            let buffer = vec![7.0f32; 10];
            let patches = ex.extract_into(&kps, buffer).unwrap();
            assert_eq!((patches.len(), patches.channels()), (kps.len(), channels));
            let mut worst = 0.0f32;
            for (i, kp) in kps.iter().enumerate() {
                let want = patch_by_definition(&ex, kp, 64);
                for (a, b) in patches.patch(i).unwrap().iter().zip(&want) {
                    worst = worst.max((a - b).abs());
                }
            }
            assert!(worst < 1e-5, "hfov {hfov}: {worst}");
            // The buffer comes back and is reused.
            let data = patches.into_data();
            let cap = data.capacity();
            let again = ex.extract_into(&kps[..10], data).unwrap();
            assert_eq!(again, ex.extract(&kps[..10]).unwrap());
            assert_eq!(again.into_data().capacity(), cap);
        }
    }
}
