//! End-to-end localization of a 1024 px photo (the speed target: median under 1 s on
//! a 2-core CPU), with the median time of each pipeline stage printed.
//!
//! The photo, pack and truth are those `lsar demo` writes (`photo.png` 1024 x 768,
//! `demo.lsarpack` built with the SIFT baseline, `camera.json`): run
//! `cargo run --release -p lsar-desktop -- demo --out DIR` first and set `LSAR_BENCH_DIR=DIR`
//! (default: `lsar-demo` in the workspace root). Skipped with a message when absent. The
//! GPS prior is the true position 30 m off; no heading, no FOV (three FOV hypotheses at most).
//!
//! Two query detectors in the same run: DoG in Lowe's scale space on the photo as is
//! (sigma 1.6, |D| >= 0.01) and `sift-photo`, OpenCV SIFT's scale space of the pack views
//! (doubled photo, sigma 1.0, |D| >= 0.01 / 3). Each prints its stage breakdown, its number of
//! inliers and its rotation error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lsar_core::geometry::{CameraJson, CameraPose, LocalFrame};
use lsar_core::localizer::{Detector, LocalizerOptions, QueryOptions, Timings};
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localizer, Priors};
use nalgebra::Vector3;

fn fixture() -> Option<(Vec<PathBuf>, Image, Priors, CameraPose)> {
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
    Some((vec![pack], image, Priors::from_gps(gps, 30.0), pose))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn detectors() -> [(&'static str, Detector); 2] {
    [
        ("lowe", Detector::Dog { contrast_threshold: 0.01, doubled: false }),
        ("sift_photo", Detector::Dog { contrast_threshold: 0.01 / 3.0, doubled: true }),
    ]
}

fn bench(c: &mut Criterion) {
    let Some((packs, image, priors, truth)) = fixture() else { return };
    let mut group = c.benchmark_group("localize");
    group.sample_size(10);
    for (name, detector) in detectors() {
        let default = QueryOptions::default().detector == detector;
        let options = LocalizerOptions {
            query: QueryOptions { detector, ..QueryOptions::default() },
            ..LocalizerOptions::default()
        };
        let localizer =
            Localizer::open_paths(&packs, DescriptorModel::Sift).unwrap().with_options(options);
        let mut runs: Vec<Timings> = Vec::new();
        let mut summary = String::from("not localized");
        for _ in 0..10 {
            let t = match localizer.localize(&image, &priors).unwrap() {
                Ok(loc) => {
                    let (_, pose) = loc.camera_and_pose().unwrap();
                    let r = pose.rotation() * truth.rotation().transpose();
                    let err = ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees();
                    summary = format!("{} inliers, rotation error {err:.3} deg", loc.inliers);
                    loc.timings_ms
                }
                Err(n) => {
                    eprintln!("not localized: {n}");
                    n.timings_ms
                }
            };
            runs.push(t);
        }
        let m = |f: fn(&Timings) -> f64| median(runs.iter().map(f).collect());
        eprintln!(
            "localize {}x{} px, query detector {name}{}, median of 10 (ms): features {:.1}, describe {:.1}, retrieval {:.1}, voting {:.1}, matching {:.1}, pose {:.1}, refine {:.1}, total {:.1}; {summary}",
            image.width(),
            image.height(),
            if default { " (default)" } else { "" },
            m(|t| t.features_ms),
            m(|t| t.describe_ms),
            m(|t| t.retrieval_ms),
            m(|t| t.voting_ms),
            m(|t| t.matching_ms),
            m(|t| t.pose_ms),
            m(|t| t.refine_ms),
            m(|t| t.total_ms),
        );
        let id = if name == "lowe" {
            "sift_1024px_demo".to_string()
        } else {
            format!("sift_1024px_demo_{name}")
        };
        group.bench_function(id, |b| {
            b.iter(|| localizer.localize(&image, &priors).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
