//! The candle network against the direct-convolution reference; f16; bad weights.

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use lsar_vision::descriptor::weights::{
    init_tensors, load_from_bytes, load_from_file, save_safetensors,
};
use lsar_vision::{Branch, Config, Descriptor, DescriptorNet, VisionError};

use super::random_patches;
use super::reference::RefNet;

fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("lsar-vision-{}-{tag}.safetensors", std::process::id()))
}

fn saved(ts: &HashMap<String, Tensor>, dtype: DType, tag: &str) -> Vec<u8> {
    let path = temp_path(tag);
    save_safetensors(ts, dtype, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    bytes
}

#[test]
fn forward_equals_direct_convolution_reference() {
    let cfg = Config::default();
    let ts = init_tensors(&cfg, 7).unwrap();
    let path = temp_path("f32");
    save_safetensors(&ts, DType::F32, &path).unwrap();
    let net = load_from_file(&cfg, &path, DType::F32, &Device::Cpu).unwrap();
    std::fs::remove_file(&path).unwrap();
    let reference = RefNet::from_tensors(&ts);
    let patches = random_patches(6, 1);
    for (branch, name) in [(Branch::Photo, "photo"), (Branch::Render, "render")] {
        let d = net.branch(branch).describe(&patches).unwrap();
        assert_eq!((d.len(), d.dim()), (6, 128));
        let mut worst = 0.0f64;
        for i in 0..6 {
            let r = reference.forward(name, patches.patch(i).unwrap());
            for (a, b) in d.row(i).unwrap().iter().zip(&r) {
                worst = worst.max((f64::from(*a) - b).abs());
            }
        }
        println!("{name}: max |candle - reference| = {worst:.3e}");
        assert!(worst < 1e-5, "{name}: {worst}");
    }
    // The branches have separate weights.
    let p = net.branch(Branch::Photo).describe(&patches).unwrap();
    let r = net.branch(Branch::Render).describe(&patches).unwrap();
    assert!(p.row(0).unwrap().iter().zip(r.row(0).unwrap()).any(|(a, b)| (a - b).abs() > 1e-3));
}

#[test]
fn f16_weights_keep_cosine_above_0999() {
    let cfg = Config::default();
    let ts = init_tensors(&cfg, 11).unwrap();
    let f32_net =
        load_from_bytes(&cfg, &saved(&ts, DType::F32, "a"), DType::F32, &Device::Cpu).unwrap();
    let f16_bytes = saved(&ts, DType::F16, "b");
    let f16_net = load_from_bytes(&cfg, &f16_bytes, DType::F16, &Device::Cpu).unwrap();
    assert_eq!(f16_net.dtype(), DType::F16);
    let patches = random_patches(64, 2);
    for branch in [Branch::Photo, Branch::Render] {
        let a = f32_net.branch(branch).describe(&patches).unwrap();
        let b = f16_net.branch(branch).describe(&patches).unwrap();
        let worst = (0..a.len())
            .map(|i| {
                a.row(i).unwrap().iter().zip(b.row(i).unwrap()).map(|(x, y)| x * y).sum::<f32>()
            })
            .fold(1.0f32, f32::min);
        println!("{branch:?}: min cosine f16 vs f32 = {worst:.6}");
        assert!(worst >= 0.999, "{worst}");
    }
}

#[test]
fn module_api_and_varbuilder_from_tensors() {
    let cfg = Config::default();
    let ts = init_tensors(&cfg, 3).unwrap();
    let vb = VarBuilder::from_tensors(ts, DType::F32, &Device::Cpu);
    let net = DescriptorNet::new(&cfg, vb).unwrap();
    let p = random_patches(2, 5);
    let x = Tensor::from_slice(p.data(), (2, 3, 64, 64), &Device::Cpu).unwrap();
    let y = net.branch(Branch::Photo).forward(&x).unwrap();
    assert_eq!(y.dims(), &[2, 128]);
    let d = net.branch(Branch::Photo).describe(&p).unwrap();
    let yv = y.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(yv, d.data());
    // Wrong patch shapes are typed errors.
    let grey = lsar_vision::Patches::new(64, 1, vec![0.0; 64 * 64]).unwrap();
    assert!(matches!(
        net.branch(Branch::Photo).describe(&grey),
        Err(VisionError::Dimension { .. })
    ));
}

#[test]
fn bad_weights_name_the_tensor() {
    let cfg = Config::default();
    let mut ts = init_tensors(&cfg, 1).unwrap();
    ts.remove("render.conv3.bias");
    let err =
        load_from_bytes(&cfg, &saved(&ts, DType::F32, "c"), DType::F32, &Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, VisionError::MissingTensor { name } if name == "render.conv3.bias"),
        "{err}"
    );
    assert!(err.to_string().contains("render.conv3.bias"));

    let mut ts = init_tensors(&cfg, 1).unwrap();
    ts.insert("head.fc.weight".into(), Tensor::zeros((128, 64), DType::F32, &Device::Cpu).unwrap());
    let err =
        load_from_bytes(&cfg, &saved(&ts, DType::F32, "d"), DType::F32, &Device::Cpu).unwrap_err();
    match &err {
        VisionError::TensorShape { name, expected, got } => {
            assert_eq!(name, "head.fc.weight");
            assert_eq!((expected.as_slice(), got.as_slice()), (&[128, 128][..], &[128, 64][..]));
        }
        other => panic!("unexpected {other}"),
    }
    let mut ts = init_tensors(&cfg, 1).unwrap();
    ts.insert(
        "photo.conv1.weight".into(),
        Tensor::zeros((16, 3, 5, 5), DType::F32, &Device::Cpu).unwrap(),
    );
    let err =
        load_from_bytes(&cfg, &saved(&ts, DType::F32, "e"), DType::F32, &Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, VisionError::TensorShape { name, .. } if name == "photo.conv1.weight"),
        "{err}"
    );

    let err =
        load_from_bytes(&cfg, b"definitely not safetensors", DType::F32, &Device::Cpu).unwrap_err();
    assert!(matches!(err, VisionError::WeightFormat { .. }));
    let missing = std::path::Path::new("/nonexistent/lsar/weights.safetensors");
    assert!(matches!(
        load_from_file(&cfg, missing, DType::F32, &Device::Cpu),
        Err(VisionError::Io { .. })
    ));
    assert!(lsar_vision::select_device().is_cpu());
}

#[test]
fn builds_from_a_varmap_for_training() {
    let vm = candle_nn::VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    let net = DescriptorNet::new(&Config::default(), vb).unwrap();
    assert_eq!(vm.all_vars().len(), 20);
    assert_eq!(net.config().descriptor_dim, 128);
}

#[test]
fn initialiser_is_seeded_and_bounded() {
    let cfg = Config::default();
    let a = init_tensors(&cfg, 42).unwrap();
    let b = init_tensors(&cfg, 42).unwrap();
    let total: usize = a.values().map(|t| t.elem_count()).sum();
    assert_eq!(
        total,
        2 * (432 + 16 + 4608 + 32 + 18432 + 64 + 73728 + 128) + 147456 + 128 + 16384 + 128
    );
    for (k, t) in &a {
        let x = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(x, b[k].flatten_all().unwrap().to_vec1::<f32>().unwrap());
        let fan_in: usize = if k.starts_with("head.fc") {
            128
        } else {
            cfg.tensor_shapes().iter().find(|(n, _)| *n == k.replace(".bias", ".weight")).unwrap().1
                [1..]
                .iter()
                .product()
        };
        let bound = 1.0 / (fan_in as f32).sqrt();
        assert!(x.iter().all(|v| v.abs() <= bound), "{k}");
    }
}
