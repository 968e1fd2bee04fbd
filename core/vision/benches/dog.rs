//! DoG detection, the current detector against its pre-rewrite reference
//! (`tests/integration/dog_reference.rs`) in the same run, with the query settings (Lowe's
//! scale space, |D| >= 0.01) and the doubled `sift-photo`/pack scale space (sigma 1.0, doubled
//! input) on a 1024 x 768 render.
//!
//! The image is `photo.png` of `lsar demo --out DIR` with `LSAR_BENCH_DIR=DIR` (the demo's
//! photo-style render of procedural terrain); without it a seeded synthetic texture of the same
//! size. Run: `LSAR_BENCH_DIR=DIR cargo bench -p lsar-vision --bench dog`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../tests/integration/dog_reference.rs"]
mod dog_reference;

use criterion::{Criterion, criterion_group, criterion_main};
use lsar_vision::Image;
use lsar_vision::keypoints::{DogConfig, DogWorkspace, detect_dog_with};
use lsar_vision::pyramid::ScaleSpaceConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn image() -> (Image, &'static str) {
    if let Some(dir) = std::env::var_os("LSAR_BENCH_DIR") {
        let path = std::path::Path::new(&dir).join("photo.png");
        if let Ok(bytes) = std::fs::read(&path) {
            return (Image::decode(&bytes).unwrap().to_grey(), "demo_photo");
        }
        eprintln!("{} not found: using a synthetic texture", path.display());
    }
    let (w, h) = (1024, 768);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut data = vec![0.5f32; w * h];
    for _ in 0..4000 {
        let (bx, by) = (rng.random_range(0..w) as i64, rng.random_range(0..h) as i64);
        let (r, a) = (rng.random_range(1..10) as i64, rng.random_range(-0.3f32..0.3));
        for y in (by - r).max(0)..(by + r).min(h as i64) {
            for x in (bx - r).max(0)..(bx + r).min(w as i64) {
                data[y as usize * w + x as usize] += a;
            }
        }
    }
    (Image::new(w, h, 1, data).unwrap(), "texture")
}

fn bench(c: &mut Criterion) {
    let (img, name) = image();
    let query = DogConfig {
        contrast_threshold: 0.01,
        max_keypoints: Some(4000),
        border: 8.0,
        ..DogConfig::default()
    };
    let doubled = DogConfig {
        scale_space: ScaleSpaceConfig {
            sigma0: 1.0,
            double_image: true,
            ..ScaleSpaceConfig::default()
        },
        contrast_threshold: 0.01 / 3.0,
        ..query
    };
    let mut g = c.benchmark_group("dog");
    g.sample_size(10);
    let mut ws = DogWorkspace::new();
    for (label, cfg) in [("query", &query), ("doubled", &doubled)] {
        let n = detect_dog_with(&img, cfg, None, &mut ws).unwrap().len();
        eprintln!("{label} on {name} {}x{}: {n} keypoints", img.width(), img.height());
        g.bench_function(format!("{label}_{name}_fast"), |b| {
            b.iter(|| detect_dog_with(&img, cfg, None, &mut ws).unwrap())
        });
        g.bench_function(format!("{label}_{name}_reference"), |b| {
            b.iter(|| dog_reference::detect_dog(&img, cfg, None))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
