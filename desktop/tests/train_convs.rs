//! The training convolutions (im2col + gemm, `lsar_vision::descriptor::im2col`) against
//! candle's `conv2d`: forward values and gradients on small random inputs, gradients
//! against central finite differences, and the whole network with either convolution.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor, Var};
use lsar_desktop::train::{TrainConfig, Trainer};
use lsar_vision::descriptor::im2col::conv2d_nhwc;
use lsar_vision::descriptor::weights::init_tensors;
use lsar_vision::{Branch, Config};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f64>().unwrap()
}

/// Candle's reference: NCHW conv2d + bias, returned channels last.
fn reference(x_nhwc: &Tensor, w: &Tensor, b: &Tensor, stride: usize) -> Tensor {
    let x = x_nhwc.permute((0, 3, 1, 2)).unwrap();
    let y = x.conv2d(w, 0, stride, 1, 1).unwrap();
    let y = y.broadcast_add(&b.reshape((1, b.dim(0).unwrap(), 1, 1)).unwrap()).unwrap();
    y.permute((0, 2, 3, 1)).unwrap()
}

/// Shapes with odd sizes, non-square inputs, strides 1-3 and a kernel equal to the input.
/// (Candle's own conv2d backward takes its output padding from the height alone, so the
/// reference needs `(h - k) % s == (w - k) % s`.)
const CASES: [(usize, usize, usize, usize, usize, usize, usize); 4] = [
    // n, h, w, c, o, k, stride
    (2, 9, 11, 3, 4, 3, 2),
    (3, 7, 7, 5, 2, 3, 1),
    (1, 10, 13, 2, 3, 4, 3),
    (2, 3, 3, 6, 5, 3, 2),
];

#[test]
fn forward_and_gradients_equal_candle_conv2d() {
    for (case, &(n, h, w, c, o, k, s)) in CASES.iter().enumerate() {
        let seed = 10 * case as u64;
        let x = Var::from_tensor(&random(&[n, h, w, c], seed)).unwrap();
        let wt = Var::from_tensor(&random(&[o, c, k, k], seed + 1)).unwrap();
        let b = Var::from_tensor(&random(&[o], seed + 2)).unwrap();
        let ours = conv2d_nhwc(x.as_tensor(), wt.as_tensor(), Some(b.as_tensor()), s).unwrap();
        let theirs = reference(x.as_tensor(), wt.as_tensor(), b.as_tensor(), s);
        assert_eq!(ours.dims(), theirs.dims(), "case {case}");
        assert!(max_abs_diff(&ours, &theirs) < 1e-12, "case {case}: forward");
        // A loss that weights every output differently, so no gradient entry is symmetric.
        let r = random(ours.dims(), seed + 3);
        let g1 = (&ours * &r).unwrap().sum_all().unwrap().backward().unwrap();
        let g2 = (&theirs * &r).unwrap().sum_all().unwrap().backward().unwrap();
        for (name, v) in [("x", &x), ("w", &wt), ("b", &b)] {
            let (a, e) = (g1.get(v.as_tensor()).unwrap(), g2.get(v.as_tensor()).unwrap());
            assert!(max_abs_diff(a, e) < 1e-11, "case {case}: gradient of {name}");
            assert!(a.abs().unwrap().max_all().unwrap().to_scalar::<f64>().unwrap() > 1e-3);
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    let (n, h, w, c, o, k, s) = CASES[0];
    let x0 = random(&[n, h, w, c], 1);
    let w0 = random(&[o, c, k, k], 2);
    let b0 = random(&[o], 3);
    let r = random(&[n, (h - k) / s + 1, (w - k) / s + 1, o], 4);
    // A non-linear loss (sum of r * y^2) so the check also covers the chain rule.
    let loss = |x: &Tensor, wt: &Tensor, b: &Tensor| -> Tensor {
        let y = conv2d_nhwc(x, wt, Some(b), s).unwrap();
        (y.sqr().unwrap() * &r).unwrap().sum_all().unwrap()
    };
    let vars = [&x0, &w0, &b0].map(|t| Var::from_tensor(t).unwrap());
    let l = loss(vars[0].as_tensor(), vars[1].as_tensor(), vars[2].as_tensor());
    let grads = l.backward().unwrap();
    let eps = 1e-6;
    for (which, var) in vars.iter().enumerate() {
        let g =
            grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let base = var.as_tensor().flatten_all().unwrap().to_vec1::<f64>().unwrap();
        let shape = var.as_tensor().dims().to_vec();
        for k in (0..base.len()).step_by(base.len().div_ceil(12)) {
            let at = |delta: f64| -> f64 {
                let mut v = base.clone();
                v[k] += delta;
                let t = Tensor::from_vec(v, shape.as_slice(), &Device::Cpu).unwrap();
                let mut args = [x0.clone(), w0.clone(), b0.clone()];
                args[which] = t;
                loss(&args[0], &args[1], &args[2]).to_scalar::<f64>().unwrap()
            };
            let fd = (at(eps) - at(-eps)) / (2.0 * eps);
            assert!(
                (fd - g[k]).abs() < 1e-6 * (1.0 + g[k].abs()),
                "arg {which}[{k}]: {fd} vs {}",
                g[k]
            );
        }
    }
}

#[test]
fn network_with_gemm_convolutions_equals_candle_conv2d() {
    let net_cfg = Config::default();
    let weights: HashMap<String, Tensor> = init_tensors(&net_cfg, 7).unwrap();
    let cfg = TrainConfig { batch: 4, ..Default::default() };
    let dev = Device::Cpu;
    let gemm = Trainer::from_tensors(cfg.clone(), &net_cfg, &weights, DType::F64, &dev).unwrap();
    assert!(gemm.net().gemm_convs(), "training on the CPU defaults to im2col + gemm");
    let plain = Trainer::from_tensors(cfg, &net_cfg, &weights, DType::F64, &dev)
        .unwrap()
        .with_gemm_convs(false);
    let mut r = ChaCha8Rng::seed_from_u64(5);
    let v: Vec<f32> = (0..3 * 3 * 64 * 64).map(|_| r.random_range(0.0..1.0)).collect();
    let x = Tensor::from_vec(v, (3, 3, 64, 64), &dev).unwrap();
    for branch in [Branch::Photo, Branch::Render] {
        let a = gemm.net().branch(branch).forward(&x).unwrap();
        let b = plain.net().branch(branch).forward(&x).unwrap();
        assert!(
            max_abs_diff(&a.to_dtype(DType::F64).unwrap(), &b.to_dtype(DType::F64).unwrap()) < 1e-6
        );
        let ga = a.sum_all().unwrap().backward().unwrap();
        let gb = b.sum_all().unwrap().backward().unwrap();
        let prefix = if branch == Branch::Photo { "photo" } else { "render" };
        for (name, _) in net_cfg.tensor_shapes() {
            let (va, vb) = (gemm.var(&name).unwrap(), plain.var(&name).unwrap());
            let other = !name.starts_with(prefix) && !name.starts_with("head");
            match (ga.get(va.as_tensor()), gb.get(vb.as_tensor())) {
                (Some(x), Some(y)) => {
                    let scale = y.abs().unwrap().max_all().unwrap().to_scalar::<f64>().unwrap();
                    assert!(max_abs_diff(x, y) <= 1e-6 * (1.0 + scale), "{name}");
                }
                (None, None) if other => {}
                (x, y) => panic!("{name}: gradient present {} vs {}", x.is_some(), y.is_some()),
            }
        }
    }
}
