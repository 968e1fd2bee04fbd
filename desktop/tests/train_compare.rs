//! The learning-rate schedule and the descriptor comparison of `lsar train compare`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsar_desktop::dataset::{PairDataset, PairShard, Split};
use lsar_desktop::train::LrSchedule;
use lsar_desktop::train::compare::{Contender, compare};
use lsar_desktop::train::metrics::{MetricConfig, evaluate};
use lsar_vision::{Descriptor, Descriptors, Patches, SiftDescriptor};

#[test]
fn cosine_schedule_warms_up_and_decays_to_the_floor() {
    let s = LrSchedule::Cosine { warmup: 10, total: 110, floor: 0.1 };
    assert!((s.factor(0) - 0.1).abs() < 1e-12);
    assert!((s.factor(4) - 0.5).abs() < 1e-12);
    assert!((s.factor(9) - 1.0).abs() < 1e-12);
    assert!((s.factor(10) - 1.0).abs() < 1e-12);
    // Half-way through the decay: floor + (1 - floor) / 2.
    assert!((s.factor(60) - 0.55).abs() < 1e-12);
    assert!((s.factor(110) - 0.1).abs() < 1e-12);
    assert!((s.factor(5000) - 0.1).abs() < 1e-12);
    for k in 10..110 {
        assert!(s.factor(k + 1) <= s.factor(k), "not decreasing at {k}");
    }
    assert_eq!(LrSchedule::Constant.factor(123), 1.0);
    // Older states without a schedule read as constant.
    let cfg: lsar_desktop::train::TrainConfig = serde_json::from_str(
        r#"{"batch": 4, "seed": 1, "adam": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
            "loss": {"margin": 0.2, "adaptive_coeff": 0.23, "min_negative_distance_m": 50.0,
                     "max_negative_distance_m": 1e6, "hardest": false,
                     "uniform_negatives": true, "aux": false}}"#,
    )
    .unwrap();
    assert_eq!(cfg.schedule, LrSchedule::Constant);
}

/// `n` samples 100 m apart; every pixel of sample `i`'s PhotoA and RenderB patches holds
/// `i`, the other two sets hold `n - 1 - i` (so reading the wrong set is caught).
fn indexed_data(n: usize) -> PairDataset {
    let s = 64;
    let fill = |f: &dyn Fn(usize) -> u8| -> Vec<u8> {
        (0..n).flat_map(|i| std::iter::repeat_n(f(i), 3 * s * s)).collect()
    };
    let right = |i: usize| i as u8;
    let wrong = |i: usize| (n - 1 - i) as u8;
    let shard = PairShard {
        region: "indexed".into(),
        region_id: 3,
        split: Split::Val,
        origin_ecef: [4.0e6, 6.0e5, 4.6e6],
        patch_size: s,
        photo_a: fill(&right),
        render_b: fill(&right),
        render_a: fill(&wrong),
        photo_b: fill(&wrong),
        points: (0..n).map(|i| [100.0 * i as f32, 0.0, 0.0]).collect(),
        pair: vec![0; n],
        info: String::new(),
    };
    PairDataset::from_shards(&[shard]).unwrap()
}

/// Reads the index back from the first pixel: a unit vector at angle `index / 100`
/// (`photo`), or at the angle of the reversed index (a descriptor that confuses samples).
struct Oracle {
    reversed: Option<usize>,
}

impl Descriptor for Oracle {
    fn dim(&self) -> usize {
        2
    }

    fn patch_size(&self) -> usize {
        64
    }

    fn describe(&self, p: &Patches) -> lsar_vision::Result<Descriptors> {
        let per = 3 * 64 * 64;
        let v = p
            .data()
            .chunks(per)
            .flat_map(|c| {
                let i = (c[0] * 255.0).round();
                let i = self.reversed.map_or(i, |n| (n - 1) as f32 - i);
                let a = i / 100.0;
                [a.cos(), a.sin()]
            })
            .collect();
        Descriptors::new(2, v)
    }
}

#[test]
fn compare_reads_the_right_sets_and_equals_evaluate() {
    let n = 40;
    let data = indexed_data(n);
    let idx: Vec<usize> = (0..n).collect();
    let oracle = Oracle { reversed: None };
    let confused = Oracle { reversed: Some(n) };
    let sift = SiftDescriptor::default();
    let list = [
        Contender { name: "oracle".into(), photo: &oracle, render: &oracle },
        Contender { name: "confused".into(), photo: &oracle, render: &confused },
        Contender { name: "sift".into(), photo: &sift, render: &sift },
    ];
    let cfg = MetricConfig::default();
    let out = compare(&data, &idx, &list, &cfg).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].0, "oracle");
    assert_eq!((out[0].1.top1, out[0].1.fpr95, out[0].1.pairs), (1.0, 0.0, n));
    // Photo i meets render n-1-i: only the middle pair can be right.
    assert!(out[1].1.top1 <= 1.0 / n as f64 && out[1].1.fpr95 > 0.5, "{:?}", out[1].1);
    // The SIFT row is exactly `evaluate` on SIFT descriptors of the same patches.
    let photo = lsar_desktop::train::compare::patches_of(
        &data,
        lsar_desktop::dataset::PatchSet::PhotoA,
        &idx,
    )
    .unwrap();
    let render = lsar_desktop::train::compare::patches_of(
        &data,
        lsar_desktop::dataset::PatchSet::RenderB,
        &idx,
    )
    .unwrap();
    let (p, r) = (sift.describe(&photo).unwrap(), sift.describe(&render).unwrap());
    assert_eq!(out[2].1, evaluate(p.data(), r.data(), 128, data.tags(), &cfg));
}
