//! LO-RANSAC + refinement through `estimate_absolute_pose` at 1000 correspondences, 1 px
//! noise, 50/80/90 % outliers (wrong matches: random pixels), focal unknown (P4Pf) and known
//! (P3P): the protocol of pose-anchors.md section 3 (threshold 4 px, confidence 0.9999,
//! cap 100,000 iterations, "generic" scene, one thread).
//!
//! `CARGO_TARGET_DIR=target-pose cargo bench -p lsar-geometry --bench pose_ransac`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lsar_geometry::absolute_pose::synth::{self, ProblemSpec, Scene};
use lsar_geometry::absolute_pose::{AbsolutePoseOptions, FocalMode};
use lsar_geometry::{Camera, estimate_absolute_pose};
use std::hint::black_box;

fn bench_ransac(c: &mut Criterion) {
    let mut group = c.benchmark_group("ransac_1000");
    group.sample_size(10);
    for outliers in [0.5, 0.8, 0.9] {
        let problems: Vec<_> = (0..4u64)
            .map(|seed| {
                let spec = ProblemSpec {
                    outlier_ratio: outliers,
                    noise_px: 1.0,
                    ..ProblemSpec::exact(Scene::Generic, 1000)
                };
                synth::generate(&spec, &mut synth::rng(1000 + seed))
            })
            .collect();
        for (name, focal) in [("unknown_f", FocalMode::Unknown), ("known_f", FocalMode::Known)] {
            let id = BenchmarkId::new(name, format!("{:.0}%", outliers * 100.0));
            let mut k = 0usize;
            group.bench_function(id, |b| {
                b.iter(|| {
                    k = (k + 1) % problems.len();
                    let p = &problems[k];
                    let camera = match focal {
                        FocalMode::Known => p.camera,
                        _ => Camera::new(p.camera.width, p.camera.height, 1920.0),
                    };
                    let mut o = AbsolutePoseOptions { focal, ..AbsolutePoseOptions::default() };
                    o.ransac.seed = k as u64;
                    black_box(estimate_absolute_pose(&p.points_2d, &p.points_3d, &camera, &o))
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench_ransac
}
criterion_main!(benches);
