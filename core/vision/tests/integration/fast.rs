//! The fast CPU path (issue 6) against the f64 reference, the candle path and itself: every
//! SIMD level this CPU has plus the portable one, both branches, odd and large batches.

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{VarBuilder, VarMap};
use lsar_vision::descriptor::weights::{init_tensors, load_from_bytes, save_safetensors};
use lsar_vision::{Backend, Branch, Config, Descriptor, DescriptorNet, SimdLevel, VisionError};

use super::random_patches;
use super::reference::RefNet;

const BRANCHES: [(Branch, &str); 2] = [(Branch::Photo, "photo"), (Branch::Render, "render")];

fn net_from(ts: &HashMap<String, Tensor>, dtype: DType) -> DescriptorNet {
    let path = std::env::temp_dir().join(format!("lsar-fast-{}-{dtype:?}.st", std::process::id()));
    save_safetensors(ts, dtype, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    load_from_bytes(&Config::default(), &bytes, dtype, &Device::Cpu).unwrap()
}

/// Max |a - b| over one descriptor.
fn diff(a: &[f32], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (f64::from(*x) - y).abs()).fold(0.0, f64::max)
}

/// Rows to check against the slow reference: all of a small batch, else a spread.
fn sample_rows(n: usize) -> Vec<usize> {
    if n <= 8 {
        return (0..n).collect();
    }
    let mut v = vec![0, 1, 7, 8, 9, n / 2, n - 2, n - 1];
    v.dedup();
    v
}

#[test]
fn every_simd_level_matches_the_reference_and_each_other() {
    let ts = init_tensors(&Config::default(), 21).unwrap();
    let net = net_from(&ts, DType::F32);
    let reference = RefNet::from_tensors(&ts);
    let mut levels = SimdLevel::available();
    assert_eq!(levels.last(), Some(&SimdLevel::Portable));
    assert_eq!(levels[0], SimdLevel::detect());
    println!("levels on this CPU: {levels:?}");
    levels.dedup();
    for n in [1usize, 2, 3, 7, 31, 64, 255, 256, 257] {
        let patches = random_patches(n, 100 + n as u64);
        for (branch, name) in BRANCHES {
            let outs: Vec<_> = levels
                .iter()
                .map(|&l| net.branch(branch).with_backend(Backend::Fast(l)).describe(&patches))
                .map(Result::unwrap)
                .collect();
            for (l, d) in levels.iter().zip(&outs) {
                assert_eq!((d.len(), d.dim()), (n, 128));
                for i in sample_rows(n) {
                    let r = reference.forward(name, patches.patch(i).unwrap());
                    let e = diff(d.row(i).unwrap(), &r);
                    assert!(e < 1e-5, "{l:?} {name} n={n} row {i}: {e:.2e}");
                }
                // Every row of every level agrees with the portable path.
                let worst = d
                    .data()
                    .iter()
                    .zip(outs[outs.len() - 1].data())
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                assert!(worst < 1e-5, "{l:?} vs portable {name} n={n}: {worst:.2e}");
            }
        }
    }
}

#[test]
fn large_batches_equal_single_patch_runs_and_the_reference() {
    let ts = init_tensors(&Config::default(), 22).unwrap();
    let net = net_from(&ts, DType::F32);
    let reference = RefNet::from_tensors(&ts);
    // 4097 = one full pass of 4096 patches plus one (MAX_BATCH in descriptor/cpu).
    for n in [1000usize, 4096, 4097] {
        let patches = random_patches(n, n as u64);
        for (branch, name) in BRANCHES {
            let d = net.branch(branch).describe(&patches).unwrap();
            assert_eq!(d.len(), n);
            let mut worst = 0.0f64;
            for i in sample_rows(n).into_iter().chain([n / 3, 2 * n / 3 + 5]) {
                let p = patches.patch(i).unwrap();
                let r = reference.forward(name, p);
                worst = worst.max(diff(d.row(i).unwrap(), &r));
                // Batching never changes a row: bit-identical to the patch alone.
                let one = lsar_vision::Patches::new(64, 3, p.to_vec()).unwrap();
                let alone = net.branch(branch).describe(&one).unwrap();
                assert_eq!(alone.data(), d.row(i).unwrap(), "{name} n={n} row {i}");
            }
            let norms_ok = (0..n).all(|i| {
                let s: f32 = d.row(i).unwrap().iter().map(|v| v * v).sum();
                (s - 1.0).abs() < 1e-5
            });
            println!("{name} n={n}: max |fast - reference| = {worst:.2e}");
            assert!(worst < 1e-5 && norms_ok, "{name} n={n}: {worst:.2e}");
        }
    }
}

#[test]
fn fast_path_equals_candle_path() {
    let ts = init_tensors(&Config::default(), 23).unwrap();
    let net = net_from(&ts, DType::F32);
    let patches = random_patches(33, 4);
    for (branch, _) in BRANCHES {
        let fast = net.branch(branch).describe(&patches).unwrap();
        let slow = net.branch(branch).with_backend(Backend::Candle).describe(&patches).unwrap();
        let worst =
            fast.data().iter().zip(slow.data()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-5, "{branch:?}: {worst:.2e}");
        // The Module API takes the fast path too and gives the same rows.
        let x = Tensor::from_slice(patches.data(), (33, 3, 64, 64), &Device::Cpu).unwrap();
        let y = net.branch(branch).forward(&x).unwrap();
        assert_eq!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), fast.data());
    }
    assert_eq!(net.branch(Branch::Photo).backend(), Backend::Auto);
}

#[test]
fn f16_weights_on_the_fast_path() {
    let ts = init_tensors(&Config::default(), 24).unwrap();
    let net = net_from(&ts, DType::F16);
    // Reference on the same f16-rounded weights: the fast path computes in f32.
    let rounded: HashMap<String, Tensor> =
        ts.iter().map(|(k, v)| (k.clone(), v.to_dtype(DType::F16).unwrap())).collect();
    let reference = RefNet::from_tensors(&rounded);
    let patches = random_patches(65, 6);
    for (branch, name) in BRANCHES {
        for level in SimdLevel::available() {
            let d = net.branch(branch).with_backend(Backend::Fast(level)).describe(&patches);
            let d = d.unwrap();
            for i in sample_rows(65) {
                let r = reference.forward(name, patches.patch(i).unwrap());
                let e = diff(d.row(i).unwrap(), &r);
                assert!(e < 1e-5, "{level:?} {name} row {i}: {e:.2e}");
            }
        }
        // Candle's f16 path (f16 activations) stays within the issue-5 cosine bound.
        let fast = net.branch(branch).describe(&patches).unwrap();
        let slow = net.branch(branch).with_backend(Backend::Candle).describe(&patches).unwrap();
        let worst = (0..65)
            .map(|i| fast.row(i).unwrap().iter().zip(slow.row(i).unwrap()).map(|(a, b)| a * b))
            .map(|c| c.sum::<f32>())
            .fold(1.0f32, f32::min);
        assert!(worst >= 0.999, "{name}: cosine {worst}");
    }
}

#[test]
fn training_variables_keep_gradients_and_fresh_weights() {
    let vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    let net = DescriptorNet::new(&Config::default(), vb).unwrap();
    let patches = random_patches(5, 8);
    let x = Tensor::from_slice(patches.data(), (5, 3, 64, 64), &Device::Cpu).unwrap();
    // Variables: Module::forward stays on candle, so the result has a backward graph.
    let y = net.branch(Branch::Photo).forward(&x).unwrap();
    assert!(y.track_op());
    let grads = y.sum_all().unwrap().backward().unwrap();
    let w = vm.data().lock().unwrap()["photo.conv1.weight"].clone();
    assert!(grads.get(&w).is_some());
    // describe() packs the current values of the variables at every call.
    let before = net.branch(Branch::Photo).describe(&patches).unwrap();
    let fc = vm.data().lock().unwrap()["head.fc.bias"].clone();
    fc.set(&(fc.as_tensor() + 0.5).unwrap()).unwrap();
    let after = net.branch(Branch::Photo).describe(&patches).unwrap();
    let slow = net.branch(Branch::Photo).with_backend(Backend::Candle).describe(&patches).unwrap();
    assert_ne!(before, after);
    let worst =
        after.data().iter().zip(slow.data()).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(worst < 1e-5, "{worst:.2e}");
}

#[test]
fn unavailable_levels_and_empty_batches() {
    let net = net_from(&init_tensors(&Config::default(), 25).unwrap(), DType::F32);
    for level in SimdLevel::ALL.into_iter().filter(|l| !l.is_available()) {
        let r = net
            .branch(Branch::Photo)
            .with_backend(Backend::Fast(level))
            .describe(&random_patches(1, 1));
        assert!(matches!(r, Err(VisionError::InvalidParameter { .. })), "{level:?}");
    }
    let empty = lsar_vision::Patches::new(64, 3, Vec::new()).unwrap();
    let d = net.branch(Branch::Render).describe(&empty).unwrap();
    assert!(d.is_empty());
}

#[test]
fn odd_channel_counts_exercise_partial_tiles() {
    // Channel counts that are not multiples of any tile width: partial column panels, a
    // narrow first layer and a head/fc narrower than one AVX-512 panel.
    let cfg = Config {
        branch_channels: vec![5, 20, 36, 70],
        head_channels: 50,
        descriptor_dim: 40,
        ..Config::default()
    };
    let ts = init_tensors(&cfg, 26).unwrap();
    let vb = VarBuilder::from_tensors(ts.clone(), DType::F32, &Device::Cpu);
    let net = DescriptorNet::new(&cfg, vb).unwrap();
    let reference = RefNet::from_tensors(&ts);
    let patches = random_patches(13, 9);
    for (branch, name) in BRANCHES {
        for level in SimdLevel::available() {
            let d = net.branch(branch).with_backend(Backend::Fast(level)).describe(&patches);
            let d = d.unwrap();
            assert_eq!((d.len(), d.dim()), (13, 40));
            for i in 0..13 {
                let r = reference.forward(name, patches.patch(i).unwrap());
                let e = diff(d.row(i).unwrap(), &r);
                assert!(e < 1e-5, "{level:?} {name} row {i}: {e:.2e}");
            }
        }
    }
}
