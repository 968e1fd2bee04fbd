//! Open + lookup benchmarks for region packs.
//!
//! Builds a synthetic pack of about 10 MB (and, with `LSAR_PACK_BENCH_LARGE=1`, about 1 GB) in
//! the system temp directory, then measures: opening it (mmap, validation, index build), a
//! viewpoint query within 2 km, and reading the keypoints and descriptors of the views found.
//! Before the criterion runs it prints the resident-memory growth of one open (Linux) and the
//! time of one full `verify`.

// Benchmarks abort on setup failure; there is no caller to hand an error to.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use lsar_geometry::Geodetic;
use lsar_pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackReader, PackWriter,
    ViewParams,
};

/// Writes a pack on a square grid of viewpoints at 1 km spacing, 12 views each, `kps` keypoints
/// per view, f16 descriptors; returns its path.
fn build(dir: &Path, name: &str, side: usize, kps: usize) -> PathBuf {
    let path = dir.join(name);
    if PackReader::open(&path, None).is_ok() {
        return path;
    }
    let origin = Geodetic::new(44.5, 5.5, 1200.0);
    let meta = Metadata {
        name: name.to_string(),
        bounds: Bounds { south: 44.0, west: 5.0, north: 45.0, east: 6.0 },
        origin,
        origin_ecef: [0.0; 3],
        model: ModelId::new("bench", [1; 32]),
        descriptor_dim: 128,
        descriptor_encoding: DescriptorEncoding::F16,
        horizon_bins: 360,
        build: Default::default(),
        created_unix_s: 0,
        tool_version: "bench".to_string(),
    };
    let mut w = PackWriter::create(&path, meta).expect("create");
    let horizon = vec![HorizonSample { elevation_deg: 2.0, distance_m: 5e3 }; 360];
    let desc: Vec<f32> = (0..kps * 128).map(|i| ((i % 97) as f32 - 48.0) / 400.0).collect();
    for i in 0..side * side {
        let (x, y) = ((i % side) as f64 * 1000.0, (i / side) as f64 * 1000.0);
        w.add_viewpoint([x, y, 1500.0], 1450.0, &horizon).expect("viewpoint");
        for v in 0..12 {
            let params = ViewParams {
                yaw_deg: 30.0 * f64::from(v),
                pitch_deg: 0.0,
                roll_deg: 0.0,
                hfov_deg: 60.0,
                width: 1024,
                height: 768,
            };
            let k: Vec<Keypoint> = (0..kps)
                .map(|j| Keypoint {
                    point_enu: [x as f32 + j as f32, y as f32, 1000.0],
                    view: 0,
                    pixel: [j as f32, 10.0],
                    scale: 2.0,
                    response: 0.1,
                })
                .collect();
            w.add_view(&params, &k, &desc).expect("view");
        }
    }
    w.finish().expect("finish");
    path
}

fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn bench_pack(c: &mut Criterion, label: &str, path: &Path) {
    let before = resident_kib();
    let r = PackReader::open(path, None).expect("open");
    let after = resident_kib();
    println!(
        "{label}: {} bytes, {} viewpoints, {} keypoints; RSS growth on open: {:?} KiB",
        r.file_len(),
        r.viewpoints().len(),
        r.keypoints().len(),
        before.zip(after).map(|(b, a)| a.saturating_sub(b))
    );
    let start = std::time::Instant::now();
    let report = r.verify().expect("verify");
    println!(
        "{label}: verify read {} bytes in {:.3} s",
        report.bytes,
        start.elapsed().as_secs_f64()
    );
    c.bench_function(&format!("open {label}"), |b| {
        b.iter(|| PackReader::open(black_box(path), None).expect("open"))
    });
    let centre = r
        .viewpoints()
        .get(r.viewpoints().len() / 2)
        .map_or([0.0; 2], |v| [v.position_enu[0] + 300.0, v.position_enu[1] - 200.0]);
    let mut out = Vec::new();
    c.bench_function(&format!("viewpoints_within 2 km {label}"), |b| {
        b.iter(|| {
            r.viewpoints_within(black_box(centre), 2000.0, &mut out);
            out.len()
        })
    });
    let mut row = vec![0.0f32; 128];
    c.bench_function(&format!("query + read features {label}"), |b| {
        b.iter(|| {
            r.viewpoints_within(black_box(centre), 1000.0, &mut out);
            let mut sum = 0.0f32;
            for &vp in &out {
                let vp = r.viewpoint(vp as usize).expect("vp");
                let first = vp.first_keypoint as usize;
                for i in first..first + vp.keypoint_count as usize {
                    r.descriptors().row_into(i, &mut row).expect("row");
                    sum += row[0];
                }
            }
            sum
        })
    });
}

fn benches(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("lsar-pack-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    // 7 x 7 viewpoints x 12 views x 60 keypoints x 288 bytes ~ 10 MB.
    let small = build(&dir, "bench-10mb.lsarpack", 7, 60);
    bench_pack(c, "10 MB", &small);
    if std::env::var_os("LSAR_PACK_BENCH_LARGE").is_some() {
        // 30 x 30 viewpoints x 12 views x 320 keypoints x 288 bytes ~ 1 GB.
        let large = build(&dir, "bench-1gb.lsarpack", 30, 320);
        bench_pack(c, "1 GB", &large);
    }
}

criterion_group!(open_lookup, benches);
criterion_main!(open_lookup);
