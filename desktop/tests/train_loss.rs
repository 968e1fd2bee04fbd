//! The LandscapeAR loss against hand-computed values and brute force, its gradients against
//! finite differences (loss alone in f64, and through the whole network), and the metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor, Var};
use lsar_desktop::dataset::PointTag;
use lsar_desktop::train::loss::{
    LossConfig, LossInputs, distance_matrix, landscapear_loss, loss_from_plan, mine_negatives,
    negative_mask, plan_loss,
};
use lsar_desktop::train::metrics::{MetricConfig, evaluate, fpr_at_95};
use lsar_desktop::train::{TrainConfig, Trainer};
use lsar_vision::descriptor::weights::init_tensors;
use lsar_vision::{Branch, Config};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn tag(x: f64) -> PointTag {
    PointTag { region: 0, ecef: [x, 0.0, 0.0] }
}

fn t2(rows: &[[f64; 2]]) -> Tensor {
    let v: Vec<f64> = rows.iter().flatten().copied().collect();
    Tensor::from_vec(v, (rows.len(), 2), &Device::Cpu).unwrap()
}

fn d(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + 1e-6).sqrt()
}

#[test]
fn semi_hard_choice_follows_the_threshold() {
    let cfg = LossConfig::default();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // h = 0.5, T = 0.6 - 0.23 (0.6 - 0.5) = 0.577: only column 0 is below.
    let row = [0.5_f32, 0.9, 0.3, 1.2];
    let pick = mine_negatives(&row, 4, &[0.4], &[true, true, false, true], &cfg, &mut rng);
    assert_eq!(pick, vec![Some(0)]);
    // Column 0 masked too: h = 0.9 > d_pos + m, nothing below T = 0.669 -> the hardest.
    let pick = mine_negatives(&row, 4, &[0.4], &[false, true, false, true], &cfg, &mut rng);
    assert_eq!(pick, vec![Some(1)]);
    // Nothing valid -> no negative.
    let pick = mine_negatives(&row, 4, &[0.4], &[false; 4], &cfg, &mut rng);
    assert_eq!(pick, vec![None]);
    // Three below T = 0.7 - 0.23 (0.7 - 0.1) = 0.562: drawn uniformly among them.
    let row = [0.1_f32, 0.2, 0.3, 2.0];
    let mut counts = [0usize; 4];
    for _ in 0..600 {
        let p = mine_negatives(&row, 4, &[0.5], &[true; 4], &cfg, &mut rng)[0].unwrap();
        counts[p] += 1;
    }
    assert_eq!(counts[3], 0);
    for c in &counts[..3] {
        assert!((150..250).contains(c), "{counts:?}");
    }
    // Hardest mining ignores the threshold.
    let hard = LossConfig { hardest: true, ..cfg };
    assert_eq!(mine_negatives(&row, 4, &[0.5], &[true; 4], &hard, &mut rng), vec![Some(0)]);
}

#[test]
fn mask_drops_close_points_the_diagonal_and_nothing_across_regions() {
    let cfg = LossConfig::default();
    let rows = [tag(0.0), tag(30.0), tag(100.0), PointTag { region: 1, ecef: [0.0; 3] }];
    let m = negative_mask(&rows, &rows, true, &cfg);
    let expect = [
        [false, false, true, true],
        [false, false, true, true],
        [true, true, false, true],
        [true, true, true, false],
    ];
    assert_eq!(m, expect.concat());
    let far = [tag(2e6)];
    assert_eq!(negative_mask(&rows[..1], &far, false, &cfg), vec![false]);
}

#[test]
fn main_term_matches_hand_computation() {
    // Anchors, positives and 3D points: 0 and 1 are 30 m apart (masked pair), 2 is far.
    let a = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
    let p = [[0.1, 0.0], [1.0, 0.3], [0.7, 0.3]];
    let tags = [tag(0.0), tag(30.0), tag(500.0)];
    let cfg = LossConfig { hardest: true, uniform_negatives: false, ..Default::default() };
    let (ta, tp) = (t2(&a), t2(&p));
    let inp = LossInputs { photo_a: &ta, render_b: &tp, tags: &tags, uniform: None, aux: None };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let plan = plan_loss(&inp, &cfg, &mut rng).unwrap();
    // Row 0 and 1 may only use column 2; row 2 takes the nearer of 0 and 1.
    assert_eq!(plan.main, vec![Some(2), Some(2), Some(0)]);
    let m = f64::from(0.2_f32);
    let l0 = (m + d(a[0], p[0]) - d(a[0], p[2])).max(0.0);
    let l1 = (m + d(a[1], p[1]) - d(a[1], p[2])).max(0.0);
    let l2 = (m + d(a[2], p[2]) - d(a[2], p[0])).max(0.0);
    let want = (l0 + l1 + l2) / 3.0;
    let got = loss_from_plan(&inp, &plan, &cfg).unwrap();
    let total = got.total.to_scalar::<f64>().unwrap();
    assert!((total - want).abs() < 1e-9, "{total} vs {want}");
    assert!(l1 > 0.0 && l2 > 0.0, "the example must exercise active rows");
}

#[test]
fn margin_and_all_terms_match_brute_force() {
    // Easy negatives: loss 0. A negative at the positive's distance: loss = m.
    let cfg = LossConfig { hardest: true, uniform_negatives: false, ..Default::default() };
    let (ta, tp) = (t2(&[[0.0, 0.0], [10.0, 0.0]]), t2(&[[0.0, 0.0], [10.0, 0.0]]));
    let tags = [tag(0.0), tag(1000.0)];
    let inp = LossInputs { photo_a: &ta, render_b: &tp, tags: &tags, uniform: None, aux: None };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let l = landscapear_loss(&inp, &cfg, &mut rng).unwrap();
    assert_eq!(l.total.to_scalar::<f64>().unwrap(), 0.0);
    let (ta, tp) = (t2(&[[0.0, 0.0], [0.0, 1.0]]), t2(&[[1.0, 0.0], [1.0, 1.0]]));
    let inp = LossInputs { photo_a: &ta, render_b: &tp, tags: &tags, uniform: None, aux: None };
    let l = landscapear_loss(&inp, &cfg, &mut rng).unwrap();
    // d_pos = 1, d_neg = sqrt(2): mean(0.2 + 1 - sqrt 2, 0.2 + 1 - sqrt 2) (both clipped at 0).
    let want = (0.2 + 1.0 - 2f64.sqrt()).max(0.0);
    assert!((l.total.to_scalar::<f64>().unwrap() - want).abs() < 1e-6);

    // All four terms on random data against a brute-force re-implementation (hardest).
    let mut r = ChaCha8Rng::seed_from_u64(5);
    let mut rnd = |n: usize| -> Vec<[f64; 2]> {
        (0..n).map(|_| [r.random_range(-1.0..1.0), r.random_range(-1.0..1.0)]).collect()
    };
    let (a, p, pb, ra, u) = (rnd(5), rnd(5), rnd(5), rnd(5), rnd(4));
    let tags: Vec<PointTag> = [0.0, 20.0, 300.0, 900.0, 960.0].map(tag).to_vec();
    let utags: Vec<PointTag> = [10.0, 5000.0, 310.0, 2e7].map(tag).to_vec();
    let brute = |x: &[[f64; 2]], y: &[[f64; 2]], yt: &[PointTag], same: bool| -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            let dp = d(x[i], if same { y[i] } else { p[i] });
            let anchor = x[i];
            let best = (0..y.len())
                .filter(|&j| !(same && i == j))
                .filter(|&j| {
                    let dist = tags[i].distance(&yt[j]);
                    (50.0..=1e6).contains(&dist)
                })
                .map(|j| d(anchor, y[j]))
                .fold(f64::INFINITY, f64::min);
            s += (f64::from(0.2_f32) + dp - best).max(0.0);
        }
        s / x.len() as f64
    };
    let want = brute(&a, &p, &tags, true)
        + brute(&a, &u, &utags, false)
        + brute(&a, &pb, &tags, true)
        + brute(&ra, &p, &tags, true);
    let cfg = LossConfig { hardest: true, aux: true, ..Default::default() };
    let (ta, tp, tpb, tra, tu) = (t2(&a), t2(&p), t2(&pb), t2(&ra), t2(&u));
    let inp = LossInputs {
        photo_a: &ta,
        render_b: &tp,
        tags: &tags,
        uniform: Some((&tu, &utags)),
        aux: Some((&tpb, &tra)),
    };
    let l = landscapear_loss(&inp, &cfg, &mut rng).unwrap();
    let got = l.total.to_scalar::<f64>().unwrap();
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    assert!(l.uniform.is_some() && l.aux_photo.is_some() && l.aux_render.is_some());
}

fn central_difference(f: &dyn Fn(&[f64]) -> f64, x: &[f64], k: usize, h: f64) -> f64 {
    let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
    xp[k] += h;
    xm[k] -= h;
    (f(&xp) - f(&xm)) / (2.0 * h)
}

#[test]
fn loss_gradient_matches_finite_differences() {
    let mut r = ChaCha8Rng::seed_from_u64(9);
    let (n, dim) = (6, 4);
    let vals: Vec<f64> = (0..4 * n * dim).map(|_| r.random_range(-1.0..1.0)).collect();
    let tags: Vec<PointTag> = (0..n).map(|i| tag(40.0 * i as f64)).collect();
    let cfg = LossConfig { aux: true, ..Default::default() };
    let split = |v: &[f64]| -> Vec<Tensor> {
        v.chunks(n * dim)
            .map(|c| Tensor::from_vec(c.to_vec(), (n, dim), &Device::Cpu).unwrap())
            .collect()
    };
    let ts = split(&vals);
    fn inputs<'a>(t: &'a [Tensor], tags: &'a [PointTag]) -> LossInputs<'a> {
        LossInputs {
            photo_a: &t[0],
            render_b: &t[1],
            tags,
            uniform: None,
            aux: Some((&t[2], &t[3])),
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let plan = plan_loss(&inputs(&ts, &tags), &cfg, &mut rng).unwrap();
    let vars: Vec<Var> = ts.iter().map(|t| Var::from_tensor(t).unwrap()).collect();
    let vt: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let loss = loss_from_plan(&inputs(&vt, &tags), &plan, &cfg).unwrap().total;
    let grads = loss.backward().unwrap();
    let analytic: Vec<f64> = vars
        .iter()
        .flat_map(|v| grads.get(v).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap())
        .collect();
    let f = |x: &[f64]| -> f64 {
        let t = split(x);
        loss_from_plan(&inputs(&t, &tags), &plan, &cfg).unwrap().total.to_scalar::<f64>().unwrap()
    };
    let mut nonzero = 0;
    for (k, &g) in analytic.iter().enumerate() {
        let fd = central_difference(&f, &vals, k, 1e-6);
        assert!((fd - g).abs() < 1e-6 + 1e-5 * g.abs(), "coordinate {k}: {fd} vs {g}");
        nonzero += usize::from(g.abs() > 1e-4);
    }
    assert!(nonzero > 10, "too few active coordinates: {nonzero}");
}

#[test]
fn network_gradient_matches_finite_differences() {
    let net_cfg = Config::default();
    let weights: HashMap<String, Tensor> = init_tensors(&net_cfg, 4).unwrap();
    let cfg = TrainConfig {
        batch: 4,
        loss: LossConfig { uniform_negatives: false, ..Default::default() },
        ..Default::default()
    };
    let dev = Device::Cpu;
    let trainer = Trainer::from_tensors(cfg.clone(), &net_cfg, &weights, DType::F64, &dev).unwrap();
    let mut r = ChaCha8Rng::seed_from_u64(2);
    let n = 4;
    let mk = |r: &mut ChaCha8Rng| -> Tensor {
        let v: Vec<f32> = (0..n * 3 * 64 * 64).map(|_| r.random_range(0.0..1.0)).collect();
        Tensor::from_vec(v, (n, 3, 64, 64), &dev).unwrap()
    };
    let (xp, xr) = (mk(&mut r), mk(&mut r));
    let tags: Vec<PointTag> = (0..n).map(|i| tag(100.0 * i as f64)).collect();
    let loss_of = |t: &Trainer, plan: Option<&lsar_desktop::train::loss::LossPlan>| {
        let a = t.net().branch(Branch::Photo).forward(&xp).unwrap();
        let p = t.net().branch(Branch::Render).forward(&xr).unwrap();
        let a = a.to_dtype(DType::F64).unwrap();
        let p = p.to_dtype(DType::F64).unwrap();
        let inp = LossInputs { photo_a: &a, render_b: &p, tags: &tags, uniform: None, aux: None };
        let plan = match plan {
            Some(p) => p.clone(),
            None => plan_loss(&inp, &cfg.loss, &mut ChaCha8Rng::seed_from_u64(1)).unwrap(),
        };
        (loss_from_plan(&inp, &plan, &cfg.loss).unwrap().total, plan)
    };
    let (loss, plan) = loss_of(&trainer, None);
    assert!(loss.to_scalar::<f64>().unwrap() > 0.0);
    let grads = loss.backward().unwrap();
    // Check the largest-gradient coordinates of a few tensors of both branches and the head.
    let mut checked = 0;
    for name in ["photo.conv1.weight", "render.conv2.bias", "head.conv.weight", "head.fc.weight"] {
        let w = trainer.weights()[name].clone();
        let var = trainer.var(name).unwrap();
        let g =
            grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let base = w.to_dtype(DType::F64).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let mut order: Vec<usize> = (0..g.len()).collect();
        order.sort_by(|&i, &j| g[j].abs().total_cmp(&g[i].abs()));
        for &k in order.iter().take(3) {
            let h = 1e-3;
            let eval = |delta: f64| -> f64 {
                let mut w2 = weights.clone();
                let mut v = base.clone();
                v[k] += delta;
                w2.insert(name.to_string(), Tensor::from_vec(v, w.dims(), &dev).unwrap());
                let t =
                    Trainer::from_tensors(cfg.clone(), &net_cfg, &w2, DType::F64, &dev).unwrap();
                loss_of(&t, Some(&plan)).0.to_scalar::<f64>().unwrap()
            };
            let fd = (eval(h) - eval(-h)) / (2.0 * h);
            let tol = 0.05 * g[k].abs() + 2e-4;
            assert!((fd - g[k]).abs() < tol, "{name}[{k}]: fd {fd} vs analytic {}", g[k]);
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn metrics_on_a_known_layout() {
    // FPR95: positives 0.1..1.0 -> threshold 1.0 (the 95th percentile of ten is the 10th).
    let pos: Vec<f32> = (1..=10).map(|i| i as f32 / 10.0).collect();
    assert_eq!(fpr_at_95(&pos, &[0.5, 1.0, 1.5, 2.0]), 0.5);
    assert_eq!(fpr_at_95(&pos, &[]), 0.0);
    // Photo i is nearest to render i except photo 2 (nearest render 0, far away): top-1 2/3.
    let photo = [0.0, 0.0, 1.0, 0.0, 0.1, 0.0];
    let render = [0.0, 0.0, 1.0, 0.0, 5.0, 5.0];
    let tags = [tag(0.0), tag(100.0), tag(200.0)];
    let m = evaluate(&photo, &render, 2, &tags, &MetricConfig::default());
    assert!((m.top1 - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(m.pairs, 3);
    // Within 10 m counts as correct.
    let close = [tag(0.0), tag(100.0), tag(5.0)];
    let m = evaluate(&photo, &render, 2, &close, &MetricConfig::default());
    assert_eq!(m.top1, 1.0);
}

#[test]
fn distance_matrix_is_euclidean() {
    let a = t2(&[[0.0, 0.0], [3.0, 4.0]]);
    let dm = distance_matrix(&a, &a).unwrap().to_vec2::<f64>().unwrap();
    assert!((dm[0][1] - 5.0).abs() < 1e-6 && (dm[1][0] - 5.0).abs() < 1e-6);
    assert!(dm[0][0] < 2e-3);
}
