//! The Rust side of the binding-overhead benchmark (`ffi/bench/overhead.sh`): the same calls
//! the bindings make, made from Rust, on the 1920x1080 RGBA frame of `make_test_scene`.
//!
//! `cargo run --release -p lsar-ffi --features test-hooks --example bench_overhead -- <scene>
//! [localize reps]` prints one line per operation, in the format every harness of
//! `ffi/bench/` prints: `rust <op> median_ms=.. p10_ms=.. p90_ms=.. calls=..`.
//!
//! * `cross`: `Localizer::test_hook_cross`, the localize arguments without the work;
//! * `echo`: `test_hook_echo_localization` (a clone of the record in Rust);
//! * `convert`: the frame conversion `image_from_frame` alone (inside every localize);
//! * `core_localize`: lsar-core's localize on the converted image (no frame conversion);
//! * `localize`: `lsar_ffi::Localizer::localize` (conversion + core localize), the call
//!   every binding's `localize` reaches.

use std::path::PathBuf;
use std::time::Instant;

use lsar_ffi::{
    FrameInfo, GeoPosition, Localizer, ModelSource, PixelFormat, Priors, Rotation, image_from_frame,
};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Times `samples` batches of `batch` calls; prints the per-call median and 10th/90th
/// percentiles in milliseconds.
fn time(op: &str, samples: usize, batch: usize, mut f: impl FnMut() -> Res<()>) -> Res<()> {
    f()?; // warm-up
    let mut per_call = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..batch {
            f()?;
        }
        per_call.push(t.elapsed().as_secs_f64() * 1e3 / batch as f64);
    }
    per_call.sort_by(f64::total_cmp);
    let q = |p: f64| per_call[((per_call.len() - 1) as f64 * p).round() as usize];
    println!(
        "rust {op} median_ms={:.6} p10_ms={:.6} p90_ms={:.6} calls={}",
        q(0.5),
        q(0.1),
        q(0.9),
        samples * batch
    );
    Ok(())
}

/// A number after `"key": ` in the scene JSON (the first occurrence after `section`).
fn json_number(json: &str, section: &str, key: &str) -> Res<f64> {
    let from = json.find(&format!("\"{section}\"")).ok_or("section")?;
    let rest = &json[from..];
    let at = rest.find(&format!("\"{key}\": ")).ok_or("key")? + key.len() + 4;
    let end = rest[at..].find([',', ' ', '}']).ok_or("end")?;
    Ok(rest[at..at + end].parse()?)
}

fn main() -> Res<()> {
    let scene = PathBuf::from(std::env::args().nth(1).ok_or("usage: bench_overhead <scene>")?);
    let reps: usize = std::env::args().nth(2).map_or(Ok(15), |s| s.parse())?;
    let json = std::fs::read_to_string(scene.join("scene.json"))?;
    let pixels = std::fs::read(scene.join("frame1080.rgba"))?;
    let frame = FrameInfo {
        width: 1920,
        height: 1080,
        format: PixelFormat::Rgba,
        rotation: Rotation::Deg0,
        row_stride: 0,
        uv_row_stride: 0,
        uv_pixel_stride: 0,
    };
    let priors = Priors {
        gps: GeoPosition {
            lat: json_number(&json, "gps", "lat")?,
            lon: json_number(&json, "gps", "lon")?,
            height: json_number(&json, "gps", "height")?,
        },
        gps_accuracy_m: 20.0,
        heading: None,
        gravity_down_in_cam: None,
        fov: None,
    };
    let pack = scene.join("scene.lsarpack").to_string_lossy().into_owned();
    let localizer = Localizer::open(vec![pack.clone()], ModelSource::Sift)?;
    let core =
        lsar_ffi::core::Localizer::open_paths(&[pack], lsar_ffi::core::DescriptorModel::Sift)?;

    let loc = localizer.localize(&pixels, frame, priors, None)?;
    let yaw_err =
        (loc.camera.yaw_deg.unwrap_or(f64::NAN) - json_number(&json, "truth", "yaw_deg")?).abs();
    println!("rust check yaw_error_deg={yaw_err:.3} inliers={}", loc.inliers);

    time("cross", 200, 50, || {
        std::hint::black_box(localizer.test_hook_cross(&pixels, frame, priors, None)?);
        Ok(())
    })?;
    time("echo", 200, 50, || {
        std::hint::black_box(lsar_ffi::test_hook_echo_localization(loc.clone()));
        Ok(())
    })?;
    time("convert", 30, 1, || {
        std::hint::black_box(image_from_frame(lsar_ffi::frame::Planes::Packed(&pixels), &frame)?);
        Ok(())
    })?;
    let image = image_from_frame(lsar_ffi::frame::Planes::Packed(&pixels), &frame)?;
    let core_priors: lsar_ffi::core::Priors = priors.into();
    time("core_localize", reps, 1, || {
        std::hint::black_box(core.localize(&image, &core_priors)?.is_ok());
        Ok(())
    })?;
    time("localize", reps, 1, || {
        std::hint::black_box(localizer.localize(&pixels, frame, priors, None)?);
        Ok(())
    })?;
    Ok(())
}
