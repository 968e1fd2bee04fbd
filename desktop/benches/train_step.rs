//! Training-step profile on the CPU: candle's `conv2d` against im2col + gemm
//! (`lsar_vision::descriptor::im2col`), per convolution layer (forward, backward) and for a
//! whole `Trainer::step` (LandscapeAR loss with uniform negatives: 1 x batch photo patches,
//! 2 x batch render patches). Both run in the same process, alternating, so the ratio holds
//! under the same load. Prints a table; `LSAR_BENCH_BATCH` (default 300) and
//! `LSAR_BENCH_REPS` (default 3) set the batch and the repetitions (the median is printed).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use lsar_desktop::dataset::{PairDataset, PairShard, Split};
use lsar_desktop::train::{TrainConfig, Trainer};
use lsar_vision::Config;
use lsar_vision::descriptor::im2col::conv2d_nhwc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Random patches and points 200 m apart, one region.
fn data(n: usize) -> PairDataset {
    let s = 64;
    let bytes = |salt: usize| -> Vec<u8> {
        (0..n * 3 * s * s).map(|i| ((i * 2_654_435_761 + salt * 97) >> 7) as u8).collect()
    };
    let shard = PairShard {
        region: "bench".into(),
        region_id: 0,
        split: Split::Train,
        origin_ecef: [4.0e6, 6.0e5, 4.6e6],
        patch_size: s,
        photo_a: bytes(1),
        render_b: bytes(2),
        render_a: bytes(3),
        photo_b: bytes(4),
        points: (0..n).map(|i| [200.0 * i as f32, 0.0, 0.0]).collect(),
        pair: vec![0; n],
        info: String::new(),
    };
    PairDataset::from_shards(&[shard]).expect("bench data")
}

/// Forward and backward seconds of one conv + ReLU layer, input `n x cin x side x side`.
fn layer(n: usize, cin: usize, cout: usize, side: usize, gemm: bool) -> (f64, f64) {
    let dev = Device::Cpu;
    let x = Var::from_tensor(&Tensor::randn(0f32, 1.0, (n, cin, side, side), &dev).expect("x"))
        .expect("var");
    let w = Var::from_tensor(&Tensor::randn(0f32, 0.1, (cout, cin, 3, 3), &dev).expect("w"))
        .expect("w");
    let b = Var::from_tensor(&Tensor::zeros(cout, DType::F32, &dev).expect("b")).expect("b");
    // Channels last for the gemm path, as in the network (the permute is outside the timing).
    let xin = if gemm {
        x.as_tensor().permute((0, 2, 3, 1)).and_then(|t| t.contiguous()).expect("nhwc")
    } else {
        x.as_tensor().clone()
    };
    let t0 = Instant::now();
    let y = if gemm {
        conv2d_nhwc(&xin, w.as_tensor(), Some(b.as_tensor()), 2)
    } else {
        xin.conv2d(w.as_tensor(), 0, 2, 1, 1)
            .and_then(|y| y.broadcast_add(&b.as_tensor().reshape((1, cout, 1, 1))?))
    }
    .and_then(|y| y.relu())
    .expect("forward");
    let fwd = t0.elapsed().as_secs_f64();
    let loss = y.sqr().and_then(|t| t.sum_all()).expect("loss");
    let t1 = Instant::now();
    let g = loss.backward().expect("backward");
    let bwd = t1.elapsed().as_secs_f64();
    assert!(g.get(w.as_tensor()).is_some());
    (fwd, bwd)
}

fn step_seconds(t: &mut Trainer, d: &PairDataset) -> f64 {
    let t0 = Instant::now();
    t.step(d).expect("step");
    t0.elapsed().as_secs_f64()
}

fn main() {
    let batch = env("LSAR_BENCH_BATCH", 300);
    let reps = env("LSAR_BENCH_REPS", 3).max(1);
    println!(
        "batch {batch}, {reps} repetitions (median), rayon threads {}",
        rayon::current_num_threads()
    );
    println!(
        "{:<28} {:>12} {:>12} {:>12} {:>12}",
        "layer (n = batch)", "candle fwd", "candle bwd", "gemm fwd", "gemm bwd"
    );
    let cfg = Config::default();
    let mut side = cfg.patch_size;
    let mut cin = cfg.in_channels;
    let mut shapes: Vec<(usize, usize, usize)> = Vec::new();
    for &cout in cfg.branch_channels.iter().chain([&cfg.head_channels]) {
        shapes.push((cin, cout, side));
        side = (side - 3) / 2 + 1;
        cin = cout;
    }
    for (cin, cout, side) in shapes {
        let mut c = (Vec::new(), Vec::new());
        let mut g = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let (f, b) = layer(batch, cin, cout, side, false);
            c.0.push(f);
            c.1.push(b);
            let (f, b) = layer(batch, cin, cout, side, true);
            g.0.push(f);
            g.1.push(b);
        }
        let name = format!("conv {cin}->{cout} @ {side}x{side}");
        println!(
            "{name:<28} {:>10.1}ms {:>10.1}ms {:>10.1}ms {:>10.1}ms",
            1e3 * median(c.0),
            1e3 * median(c.1),
            1e3 * median(g.0),
            1e3 * median(g.1)
        );
    }
    let d = data(batch * 2);
    let tc = TrainConfig { batch, ..TrainConfig::default() };
    let dev = Device::Cpu;
    let mut candle = Trainer::new(tc.clone(), &cfg, &dev).expect("trainer").with_gemm_convs(false);
    let mut gemm = Trainer::new(tc, &cfg, &dev).expect("trainer").with_gemm_convs(true);
    let (mut sc, mut sg) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        sc.push(step_seconds(&mut candle, &d));
        sg.push(step_seconds(&mut gemm, &d));
    }
    let (sc, sg) = (median(sc), median(sg));
    println!(
        "Trainer::step (batch {batch}): candle conv2d {sc:.3} s, im2col+gemm {sg:.3} s, ratio {:.2}x",
        sc / sg
    );
}
