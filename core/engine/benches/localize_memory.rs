//! Peak memory of a localization against a large region pack (the target: under
//! 300 MB with a 1 GB pack, mapped, not read).
//!
//! The pack is synthetic (written here, `LSAR_BENCH_PACK_MB` megabytes, default 1024): a
//! 1 km viewpoint grid, 12 views of 500 keypoints per viewpoint with random unit SIFT-length
//! descriptors (f16) and random terrain points. The measurement runs in a child process
//! (this binary again, with `LSAR_MEM_CHILD` set) so the writer's memory is not counted:
//! the child opens the pack, localizes a 1024 x 768 textured image from a GPS fix in the
//! middle of the grid (the random descriptors give no pose; every stage up to the robust
//! solve runs), and prints its peak resident set (`VmHWM`, file-backed pages of the map
//! included) before opening, after opening and after the call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use lsar_core::geometry::{Geodetic, LocalFrame};
use lsar_core::localizer::SIFT_MODEL_ID;
use lsar_core::pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackWriter, ViewParams,
};
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localizer, Priors};
use nalgebra::Vector3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ORIGIN: Geodetic = Geodetic::new(46.5, 8.0, 1500.0);
const KEYPOINTS_PER_VIEW: usize = 500;
const VIEWS: usize = 12;

fn status_kb(key: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Writes the synthetic pack; returns the grid side (viewpoints per row).
fn write_pack(path: &Path, megabytes: u64) -> usize {
    // Bytes per keypoint: 256 (f16 descriptor) + 32 (record).
    let per_viewpoint = (VIEWS * KEYPOINTS_PER_VIEW * 288) as u64;
    let viewpoints = (megabytes << 20).div_ceil(per_viewpoint);
    let side = (viewpoints as f64).sqrt().ceil() as usize;
    let half_deg = side as f64 * 1000.0 / 111_000.0;
    let meta = Metadata {
        name: "memory".into(),
        bounds: Bounds {
            south: ORIGIN.lat - half_deg,
            west: ORIGIN.lon - 2.0 * half_deg,
            north: ORIGIN.lat + half_deg,
            east: ORIGIN.lon + 2.0 * half_deg,
        },
        origin: ORIGIN,
        origin_ecef: [0.0; 3],
        model: ModelId::new(SIFT_MODEL_ID, [0; 32]),
        descriptor_dim: 128,
        descriptor_encoding: DescriptorEncoding::F16,
        horizon_bins: 36,
        build: BTreeMap::new(),
        created_unix_s: 0,
        tool_version: "bench".into(),
    };
    let mut w = PackWriter::create(path, meta).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let horizon = vec![HorizonSample { elevation_deg: 0.0, distance_m: f32::INFINITY }; 36];
    let mut desc = vec![0f32; KEYPOINTS_PER_VIEW * 128];
    let mut kps =
        vec![
            Keypoint { point_enu: [0.0; 3], view: 0, pixel: [0.0; 2], scale: 2.0, response: 0.0 };
            KEYPOINTS_PER_VIEW
        ];
    let origin = (side as f64 - 1.0) * 500.0;
    for i in 0..side * side {
        let (x, y) = ((i % side) as f64 * 1000.0 - origin, (i / side) as f64 * 1000.0 - origin);
        w.add_viewpoint([x, y, 0.0], -50.0, &horizon).unwrap();
        for v in 0..VIEWS {
            for row in desc.chunks_mut(128) {
                row.iter_mut().for_each(|d| *d = rng.random_range(-1.0..1.0));
                let n = row.iter().map(|d| d * d).sum::<f32>().sqrt();
                row.iter_mut().for_each(|d| *d /= n);
            }
            for k in &mut kps {
                k.point_enu = [(x + rng.random_range(-3e3..3e3)) as f32, (y + 3e3) as f32, 100.0];
                k.pixel = [rng.random_range(0.0..1024.0), rng.random_range(0.0..1024.0)];
            }
            let params = ViewParams {
                yaw_deg: v as f64 * 30.0,
                pitch_deg: 0.0,
                roll_deg: 0.0,
                hfov_deg: 60.0,
                width: 1024,
                height: 1024,
            };
            w.add_view(&params, &kps, &desc).unwrap();
        }
    }
    w.finish().unwrap();
    side
}

/// A 1024 x 768 grey texture with DoG blobs at many scales.
fn texture() -> Image {
    let (w, h) = (1024usize, 768usize);
    let data = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            0.5 + 0.2 * (x / 13.0).sin() * (y / 17.0).cos() + 0.15 * (x / 41.0 + y / 29.0).sin()
        })
        .collect();
    Image::new(w, h, 1, data).unwrap()
}

fn child(path: &Path) {
    let before = status_kb("VmHWM:");
    let t = Instant::now();
    let localizer = Localizer::open_paths(&[path], DescriptorModel::Sift).unwrap();
    let opened = status_kb("VmHWM:");
    let open_ms = t.elapsed().as_secs_f64() * 1e3;
    let image = texture();
    let gps = LocalFrame::new(ORIGIN).geodetic_from_enu(&Vector3::new(130.0, -240.0, 0.0));
    let t = Instant::now();
    let outcome = localizer.localize(&image, &Priors::from_gps(gps, 20.0)).unwrap();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let after = status_kb("VmHWM:");
    let reason = outcome.err().map_or_else(|| "localized".to_string(), |n| n.reason.to_string());
    println!(
        "peak RSS: {:.1} MB before open, {:.1} MB after open ({open_ms:.0} ms), {:.1} MB after localize ({ms:.0} ms, {reason})",
        before as f64 / 1024.0,
        opened as f64 / 1024.0,
        after as f64 / 1024.0
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Some(path) = std::env::var_os("LSAR_MEM_CHILD") {
        child(Path::new(&path));
        return;
    }
    let mb: u64 =
        std::env::var("LSAR_BENCH_PACK_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let path =
        std::env::temp_dir().join(format!("lsar-bench-memory-{}.lsarpack", std::process::id()));
    let t = Instant::now();
    let side = write_pack(&path, mb);
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote a {:.0} MB pack ({side} x {side} viewpoints) in {:.1} s",
        len as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("LSAR_MEM_CHILD", &path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}
