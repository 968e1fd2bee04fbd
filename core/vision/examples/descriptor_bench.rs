//! Timing helper for `bench/descriptor_compare.py` (and a quick manual check).
//!
//! ```text
//! descriptor_bench weights OUT.safetensors SEED      # seeded LandscapeAR weights (F32)
//! descriptor_bench describe WEIGHTS BATCH ITERS [f32|f16] [auto|candle|portable|avx2|avx512|neon]
//!                                                    # photo branch, prints one JSON line
//! descriptor_bench match N_QUERY N_TRAIN ITERS        # matcher on random unit vectors
//! descriptor_bench dog WIDTH HEIGHT                   # DoG + patches on a synthetic image
//! ```
//! Threads: `RAYON_NUM_THREADS` (candle and the matcher use rayon pools).
//! Patches follow `v[n,c,y,x] = 0.5 + 0.5 sin(0.07 (x+1) (n%17+1) + 0.11 y (c+1) + 0.3 n)`,
//! the formula the Python script uses, so descriptors can be compared.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use candle_core::{DType, Device};
use lsar_vision::descriptor::weights::{init_tensors, load_from_file, save_safetensors};
use lsar_vision::{
    Backend, Branch, Config, Descriptor, Descriptors, MatchOptions, Patches, SimdLevel,
    match_descriptors,
};
use rand::{Rng, SeedableRng};

fn patches(n: usize) -> Result<Patches, Box<dyn Error>> {
    let mut data = Vec::with_capacity(n * 3 * 64 * 64);
    for i in 0..n {
        for c in 0..3 {
            for y in 0..64 {
                for x in 0..64 {
                    let arg = 0.07 * (x + 1) as f64 * ((i % 17) + 1) as f64
                        + 0.11 * y as f64 * (c + 1) as f64
                        + 0.3 * i as f64;
                    data.push((0.5 + 0.5 * arg.sin()) as f32);
                }
            }
        }
    }
    Ok(Patches::new(64, 3, data)?)
}

/// User + system CPU seconds of this process (Linux `/proc/self/stat`, 100 ticks/s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize) -> Result<T, Box<dyn Error>> {
    let s = args.get(i).ok_or("missing argument (see the file's doc comment)")?;
    s.parse::<T>().map_err(|_| format!("bad argument {s}").into())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "default".into());
    match args.get(1).map(String::as_str) {
        Some("weights") => {
            let ts = init_tensors(&Config::default(), arg(&args, 3)?)?;
            save_safetensors(&ts, DType::F32, Path::new(&arg::<String>(&args, 2)?))?;
        }
        Some("describe") => {
            let dtype =
                if args.get(5).is_some_and(|s| s == "f16") { DType::F16 } else { DType::F32 };
            let path = arg::<String>(&args, 2)?;
            let net = load_from_file(&Config::default(), Path::new(&path), dtype, &Device::Cpu)?;
            let (batch, iters): (usize, usize) = (arg(&args, 3)?, arg(&args, 4)?);
            let p = patches(batch)?;
            let backend = match args.get(6).map_or("auto", String::as_str) {
                "auto" => Backend::Auto,
                "candle" => Backend::Candle,
                "portable" => Backend::Fast(SimdLevel::Portable),
                "avx2" => Backend::Fast(SimdLevel::Avx2),
                "avx512" => Backend::Fast(SimdLevel::Avx512),
                "neon" => Backend::Fast(SimdLevel::Neon),
                other => return Err(format!("unknown backend {other}").into()),
            };
            let photo = net.branch(Branch::Photo).with_backend(backend);
            let first = photo.describe(&p)?; // warm-up
            let (start, cpu0) = (Instant::now(), cpu_seconds());
            for _ in 0..iters {
                std::hint::black_box(photo.describe(&p)?);
            }
            let secs = start.elapsed().as_secs_f64() / iters as f64;
            let cpu = cpu_seconds().zip(cpu0).map_or(-1.0, |(b, a)| (b - a) / iters as f64);
            let head: Vec<String> =
                first.data()[..4 * 128].iter().map(|v| format!("{v:.7}")).collect();
            println!(
                "{{\"impl\":\"lsar\",\"backend\":\"{backend:?}\",\"simd\":\"{:?}\",\"dtype\":\"{dtype:?}\",\"threads\":\"{threads}\",\"batch\":{batch},\"seconds_per_batch\":{secs:.6},\"cpu_seconds_per_batch\":{cpu:.4},\"patches_per_s\":{:.1},\"first4\":[{}]}}",
                SimdLevel::detect(),
                batch as f64 / secs,
                head.join(",")
            );
        }
        Some("match") => {
            let (nq, nt, iters): (usize, usize, usize) =
                (arg(&args, 2)?, arg(&args, 3)?, arg(&args, 4)?);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let mut unit = |n: usize| -> Result<Descriptors, Box<dyn Error>> {
                let mut v: Vec<f32> =
                    (0..n * 128).map(|_| rng.random_range(-1.0f32..1.0)).collect();
                v.chunks_exact_mut(128).for_each(lsar_vision::descriptor::l2_normalise);
                Ok(Descriptors::new(128, v)?)
            };
            let (q, t) = (unit(nq)?, unit(nt)?);
            let opts = MatchOptions::default();
            let n = match_descriptors(&q, &t, &opts)?.len();
            let start = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(match_descriptors(&q, &t, &opts)?);
            }
            let secs = start.elapsed().as_secs_f64() / iters as f64;
            println!(
                "{{\"impl\":\"lsar\",\"threads\":\"{threads}\",\"query\":{nq},\"train\":{nt},\"seconds\":{secs:.4},\"matches\":{n}}}"
            );
        }
        Some("dog") => {
            let (w, h): (usize, usize) = (arg(&args, 2)?, arg(&args, 3)?);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
            let mut data = vec![0.2f32; w * h];
            for _ in 0..400 {
                let (bx, by) = (rng.random_range(0.0..w as f64), rng.random_range(0.0..h as f64));
                let s: f64 = rng.random_range(1.5..12.0);
                let r = (3.0 * s) as isize;
                for y in (by as isize - r).max(0)..(by as isize + r).min(h as isize) {
                    for x in (bx as isize - r).max(0)..(bx as isize + r).min(w as isize) {
                        let d2 = (x as f64 - bx).powi(2) + (y as f64 - by).powi(2);
                        data[y as usize * w + x as usize] +=
                            (0.5 * (-d2 / (2.0 * s * s)).exp()) as f32;
                    }
                }
            }
            let img = lsar_vision::Image::new(w, h, 1, data)?.to_rgb();
            let start = Instant::now();
            let cfg = lsar_vision::keypoints::DogConfig {
                max_keypoints: Some(2000),
                ..Default::default()
            };
            let kps = lsar_vision::keypoints::detect_dog(&img, &cfg, None)?;
            let t_dog = start.elapsed().as_secs_f64();
            let start = Instant::now();
            let ex =
                lsar_vision::PatchExtractor::new(&img, 60f64.to_radians(), &Default::default())?;
            let p = ex.extract(&kps)?;
            let t_patch = start.elapsed().as_secs_f64();
            println!(
                "{{\"impl\":\"lsar\",\"width\":{w},\"height\":{h},\"keypoints\":{},\"dog_s\":{t_dog:.3},\"patches_s\":{t_patch:.3}}}",
                p.len()
            );
        }
        _ => {
            return Err(
                "usage: descriptor_bench weights|describe|match ... (see the doc comment)".into()
            );
        }
    }
    Ok(())
}
