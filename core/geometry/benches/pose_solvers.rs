//! ns per call of each minimal solver on noise-free problems (generic and terrain scenes),
//! and of P4Pf / P3P on samples of pure outliers (the common case inside RANSAC).
//!
//! `CARGO_TARGET_DIR=target-pose cargo bench -p lsar-geometry --bench pose_solvers`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lsar_geometry::absolute_pose::synth::{self, ProblemSpec, Scene};
use lsar_geometry::solvers::{FocalPose, Gravity, c2p, c2pf, epnp, p3p, p4pf, up2p, up3pf};
use nalgebra::{Point3, Vector2};
use std::hint::black_box;

struct Inputs {
    xn: Vec<Vector2<f64>>,
    xc: Vec<Vector2<f64>>,
    w: Vec<Point3<f64>>,
    g: Gravity,
    /// The true camera centre, 30 m off (a GPS fix).
    c: Point3<f64>,
}

fn inputs(scene: Scene, outliers: f64, count: u64) -> Vec<Inputs> {
    (0..count)
        .map(|seed| {
            let spec = ProblemSpec { outlier_ratio: outliers, ..ProblemSpec::exact(scene, 10) };
            let p = synth::generate(&spec, &mut synth::rng(seed));
            Inputs {
                xn: p.normalized(),
                xc: p.centred_pixels(),
                w: p.points_3d.clone(),
                g: Gravity { down_in_cam: p.down_in_cam(), down_in_world: p.down_in_world },
                c: Point3::from(p.pose.center() + nalgebra::Vector3::new(18.0, -20.0, 14.0)),
            }
        })
        .collect()
}

fn bench_solvers(c: &mut Criterion) {
    let mut group = c.benchmark_group("solver");
    for (name, scene, outliers) in [
        ("generic", Scene::Generic, 0.0),
        ("terrain", Scene::Terrain, 0.0),
        ("outliers", Scene::Generic, 1.0),
    ] {
        let data = inputs(scene, outliers, 256);
        let mut out: Vec<FocalPose> = Vec::with_capacity(8);
        let mut k = 0usize;
        let mut next = || {
            k = (k + 1) % data.len();
            &data[k]
        };
        group.bench_function(BenchmarkId::new("p3p", name), |b| {
            b.iter(|| {
                let d = next();
                black_box(p3p(&[d.xn[0], d.xn[1], d.xn[2]], &[d.w[0], d.w[1], d.w[2]], &mut out))
            })
        });
        group.bench_function(BenchmarkId::new("p4pf", name), |b| {
            b.iter(|| {
                let d = next();
                let x = [d.xc[0], d.xc[1], d.xc[2], d.xc[3]];
                black_box(p4pf(&x, &[d.w[0], d.w[1], d.w[2], d.w[3]], &mut out))
            })
        });
        group.bench_function(BenchmarkId::new("up2p", name), |b| {
            b.iter(|| {
                let d = next();
                black_box(up2p(&[d.xn[0], d.xn[1]], &[d.w[0], d.w[1]], &d.g, &mut out))
            })
        });
        group.bench_function(BenchmarkId::new("up3pf", name), |b| {
            b.iter(|| {
                let d = next();
                black_box(up3pf(
                    &[d.xc[0], d.xc[1], d.xc[2]],
                    &[d.w[0], d.w[1], d.w[2]],
                    &d.g,
                    &mut out,
                ))
            })
        });
        group.bench_function(BenchmarkId::new("c2p", name), |b| {
            b.iter(|| {
                let d = next();
                black_box(c2p(&[d.xn[0], d.xn[1]], &[d.w[0], d.w[1]], &d.c, &mut out))
            })
        });
        group.bench_function(BenchmarkId::new("c2pf", name), |b| {
            b.iter(|| {
                let d = next();
                black_box(c2pf(&[d.xc[0], d.xc[1]], &[d.w[0], d.w[1]], &d.c, &mut out))
            })
        });
        group.bench_function(BenchmarkId::new("epnp10", name), |b| {
            b.iter(|| {
                let d = next();
                black_box(epnp(&d.xn, &d.w, &mut out))
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_secs(1));
    targets = bench_solvers
}
criterion_main!(benches);
