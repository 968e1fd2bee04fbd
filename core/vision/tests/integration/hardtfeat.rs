//! HardTFeat against the NumPy golden values (tests/golden/hardtfeat_golden.py).

use candle_core::Device;
use lsar_vision::descriptor::npz::read_npz;
use lsar_vision::{Descriptor, HardTFeat, Patches, SiftDescriptor, VisionError};

use super::shared_data;

/// The patches of hardtfeat_golden.py.
fn golden_patches() -> Patches {
    let mut data = Vec::with_capacity(4 * 3 * 64 * 64);
    for n in 0..4 {
        for c in 0..3 {
            for y in 0..64 {
                for x in 0..64 {
                    let arg = 0.07 * (x + 1) as f64 * (n + 1) as f64
                        + 0.11 * y as f64 * (c + 1) as f64
                        + 0.3 * n as f64;
                    data.push((0.5 + 0.5 * arg.sin()) as f32);
                }
            }
        }
    }
    Patches::new(64, 3, data).unwrap()
}

#[test]
fn matches_numpy_golden() {
    let Some(dir) = shared_data() else { return };
    let path = dir.join("descriptors/hardtfeat.npz");
    let net = HardTFeat::from_npz_file(&path, &Device::Cpu).unwrap();
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../golden/hardtfeat_golden.json")).unwrap();
    let want = golden["descriptors"].as_array().unwrap();
    let got = net.describe(&golden_patches()).unwrap();
    assert_eq!(got.len(), want.len());
    let mut worst = 0.0f64;
    for (i, w) in want.iter().enumerate() {
        for (a, b) in got.row(i).unwrap().iter().zip(w.as_array().unwrap()) {
            worst = worst.max((f64::from(*a) - b.as_f64().unwrap()).abs());
        }
    }
    println!("HardTFeat max |lsar - numpy| = {worst:.3e}");
    assert!(worst < 1e-5, "{worst}");
}

#[test]
fn npz_errors_name_the_array() {
    let Some(dir) = shared_data() else { return };
    let bytes = std::fs::read(dir.join("descriptors/hardtfeat.npz")).unwrap();
    let arrays = read_npz(&bytes).unwrap();
    assert_eq!(arrays.len(), 9);
    // Drop the last conv's bias from the archive by cutting the zip before that entry.
    let name = b"state_dict.classifier.1.bias.npy";
    let cut = bytes.windows(name.len()).position(|w| w == name).unwrap() - 30;
    let err = HardTFeat::from_npz_bytes(&bytes[..cut], &Device::Cpu).unwrap_err();
    assert!(
        matches!(&err, VisionError::MissingTensor { name } if name == "state_dict.classifier.1.bias"),
        "{err}"
    );
    assert!(matches!(
        HardTFeat::from_npz_bytes(b"garbage", &Device::Cpu),
        Err(VisionError::WeightFormat { .. })
    ));
}

#[test]
fn baselines_give_unit_vectors() {
    let p = golden_patches();
    let d = SiftDescriptor::default().describe(&p).unwrap();
    assert_eq!((d.len(), d.dim()), (4, 128));
    for i in 0..4 {
        let n: f32 = d.row(i).unwrap().iter().map(|v| v * v).sum();
        assert!((n - 1.0).abs() < 1e-5);
    }
}
