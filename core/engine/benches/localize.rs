//! End-to-end localization of a 1024 px photo (the speed target: median under 1 s on
//! a 2-core CPU), with the median time of each pipeline stage printed.
//!
//! The photo, pack and truth are those `lsar demo` writes (`photo.png` 1024 x 768,
//! `demo.lsarpack` built with the SIFT baseline, `camera.json`): run
//! `cargo run --release -p lsar-desktop -- demo --out DIR` first and set `LSAR_BENCH_DIR=DIR`
//! (default: `lsar-demo` in the workspace root). Skipped with a message when absent. The
//! GPS prior is the true position 30 m off; no heading, no FOV (three FOV hypotheses at most).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lsar_core::geometry::{CameraJson, LocalFrame};
use lsar_core::localizer::Timings;
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localizer, Priors};
use nalgebra::Vector3;

fn fixture() -> Option<(Localizer, Image, Priors)> {
    let dir = std::env::var_os("LSAR_BENCH_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lsar-demo"),
        PathBuf::from,
    );
    let (pack, photo, truth) =
        (dir.join("demo.lsarpack"), dir.join("photo.png"), dir.join("camera.json"));
    if !(pack.is_file() && photo.is_file() && truth.is_file()) {
        eprintln!(
            "skipped: {} lacks demo.lsarpack, photo.png, camera.json (run `lsar demo --out DIR`, set LSAR_BENCH_DIR)",
            dir.display()
        );
        return None;
    }
    let truth: CameraJson = serde_json::from_slice(&std::fs::read(truth).unwrap()).unwrap();
    let (_, pose) = truth.to_parts().unwrap();
    let gps = LocalFrame::new(pose.position()).geodetic_from_enu(&Vector3::new(21.2, 21.2, 0.0));
    let image = Image::decode(&std::fs::read(photo).unwrap()).unwrap();
    let localizer = Localizer::open_paths(&[pack], DescriptorModel::Sift).unwrap();
    Some((localizer, image, Priors::from_gps(gps, 30.0)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn bench(c: &mut Criterion) {
    let Some((localizer, image, priors)) = fixture() else { return };
    let mut runs: Vec<Timings> = Vec::new();
    for _ in 0..10 {
        let t = match localizer.localize(&image, &priors).unwrap() {
            Ok(loc) => loc.timings_ms,
            Err(n) => {
                eprintln!("not localized: {n}");
                n.timings_ms
            }
        };
        runs.push(t);
    }
    let m = |f: fn(&Timings) -> f64| median(runs.iter().map(f).collect());
    eprintln!(
        "localize {}x{} px, median of 10 (ms): features {:.1}, describe {:.1}, retrieval {:.1}, voting {:.1}, matching {:.1}, pose {:.1}, refine {:.1}, total {:.1}",
        image.width(),
        image.height(),
        m(|t| t.features_ms),
        m(|t| t.describe_ms),
        m(|t| t.retrieval_ms),
        m(|t| t.voting_ms),
        m(|t| t.matching_ms),
        m(|t| t.pose_ms),
        m(|t| t.refine_ms),
        m(|t| t.total_ms),
    );
    let mut group = c.benchmark_group("localize");
    group.sample_size(10);
    group.bench_function("sift_1024px_demo", |b| {
        b.iter(|| localizer.localize(&image, &priors).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
