//! Training on a tiny synthetic data set: the loss goes down, a checkpoint round-trips
//! exactly, and a resumed run repeats an uninterrupted one bit for bit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsar_desktop::dataset::{PairDataset, PairShard, Split};
use lsar_desktop::train::adam::AdamConfig;
use lsar_desktop::train::checkpoint::{load_checkpoint, save_checkpoint};
use lsar_desktop::train::loss::LossConfig;
use lsar_desktop::train::{TrainConfig, Trainer, validation_indices};
use lsar_vision::Config;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` samples; sample `i` is a random pattern of sinusoids, drawn in two colour schemes
/// (photo: warm with noise; render: grey-blue) so the two domains share structure only.
fn toy_data(n: usize, seed: u64) -> PairDataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = 64;
    let mut sh = PairShard {
        region: "toy".into(),
        region_id: 0,
        split: Split::Train,
        origin_ecef: [4.0e6, 6.0e5, 4.6e6],
        patch_size: s,
        photo_a: Vec::new(),
        render_b: Vec::new(),
        render_a: Vec::new(),
        photo_b: Vec::new(),
        points: Vec::new(),
        pair: Vec::new(),
        info: String::new(),
    };
    for i in 0..n {
        let waves: Vec<(f32, f32, f32)> = (0..3)
            .map(|_| {
                (
                    rng.random_range(-0.4..0.4),
                    rng.random_range(-0.4..0.4),
                    rng.random_range(0.0..6.3),
                )
            })
            .collect();
        let pattern: Vec<f32> = (0..s * s)
            .map(|k| {
                let (x, y) = ((k % s) as f32, (k / s) as f32);
                waves.iter().map(|(a, b, p)| (a * x + b * y + p).sin()).sum::<f32>() / 3.0
            })
            .collect();
        let mut draw = |gain: [f32; 3], noise: f32, out: &mut Vec<u8>| {
            for g in gain {
                for v in &pattern {
                    let n = rng.random_range(-noise..=noise);
                    out.push(((0.5 + 0.4 * g * v + n).clamp(0.0, 1.0) * 255.0) as u8);
                }
            }
        };
        draw([1.0, 0.7, 0.4], 0.1, &mut sh.photo_a);
        draw([0.6, 0.6, 0.8], 0.02, &mut sh.render_b);
        draw([0.6, 0.6, 0.8], 0.02, &mut sh.render_a);
        draw([1.0, 0.7, 0.4], 0.1, &mut sh.photo_b);
        sh.points.push([200.0 * i as f32, 0.0, 0.0]);
        sh.pair.push(0);
    }
    PairDataset::from_shards(&[sh]).unwrap()
}

fn config(batch: usize, lr: f64, loss: LossConfig) -> TrainConfig {
    TrainConfig {
        batch,
        seed: 11,
        adam: AdamConfig { lr, ..Default::default() },
        loss,
        ..Default::default()
    }
}

#[test]
fn a_few_steps_lower_the_loss() {
    let data = toy_data(24, 1);
    // The whole set in every batch, LandscapeAR's adaptive semi-hard negatives (seeded).
    // (Hardest-in-batch negatives on 24 samples collapse towards loss = margin instead.)
    let loss = LossConfig { uniform_negatives: false, ..Default::default() };
    let dev = candle_core::Device::Cpu;
    let mut t = Trainer::new(config(24, 1e-3, loss), &Config::default(), &dev).unwrap();
    let idx = validation_indices(data.len(), 24, 0);
    let before = t.validate(&data, &idx).unwrap();
    let losses: Vec<f32> = (0..10).map(|_| t.step(&data).unwrap().loss).collect();
    let after = t.validate(&data, &idx).unwrap();
    eprintln!("losses {losses:?}\nbefore {before:?}\nafter {after:?}");
    assert!(losses[9] < 0.5 * losses[0], "{losses:?}");
    assert_eq!(after.pairs, 24);
    assert!(after.top1 > before.top1 && after.fpr95 < before.fpr95, "{before:?} {after:?}");
}

#[test]
fn resume_repeats_an_uninterrupted_run_and_checkpoints_round_trip() {
    let data = toy_data(20, 2);
    let loss = LossConfig { aux: true, ..Default::default() };
    let cfg = config(8, 1e-3, loss);
    let dev = candle_core::Device::Cpu;
    let mut straight = Trainer::new(cfg.clone(), &Config::default(), &dev).unwrap();
    let a: Vec<f32> = (0..4).map(|_| straight.step(&data).unwrap().loss).collect();

    let mut first = Trainer::new(cfg, &Config::default(), &dev).unwrap();
    let mut b: Vec<f32> = (0..2).map(|_| first.step(&data).unwrap().loss).collect();
    let dir = std::env::temp_dir().join(format!("lsar-train-ckpt-{}", std::process::id()));
    save_checkpoint(&dir, &first, serde_json::json!({"curve": [1, 2]})).unwrap();
    let (mut resumed, state) = load_checkpoint(&dir, &dev).unwrap();
    assert_eq!(state.step, 2);
    assert_eq!(state.history["curve"][1], 2);
    // The checkpoint holds exactly the weights and moments.
    for (name, w) in first.weights() {
        let r = &resumed.weights()[&name];
        let diff = (w - r).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(diff, 0.0, "{name}");
    }
    let (m1, m2) = (first.adam().state_tensors(), resumed.adam().state_tensors());
    assert_eq!(m1.len(), m2.len());
    for (k, v) in &m1 {
        let diff =
            (v - &m2[k]).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(diff, 0.0, "{k}");
    }
    b.extend((0..2).map(|_| resumed.step(&data).unwrap().loss));
    assert_eq!(a, b, "losses of the straight and the resumed run");
    for (name, w) in straight.weights() {
        let r = &resumed.weights()[&name];
        let diff = (w - r).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert_eq!(diff, 0.0, "{name} differs after resuming");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
