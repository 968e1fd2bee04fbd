//! The descriptor model shipped with lsar, embedded in the binary: `models/lsar-desc-v1.safetensors`
//! with its model card `models/lsar-desc-v1.json` (architecture, training data and steps,
//! validation table, SHA-256). The model's identity is its id and the SHA-256 of these bytes
//! (the identity a region pack records).

use std::sync::OnceLock;

use candle_core::{DType, Device};
use lsar_vision::descriptor::weights::load_from_bytes;
use lsar_vision::{Config, DescriptorNet};
use sha2::{Digest, Sha256};

/// Id of the embedded model.
pub const MODEL_ID: &str = "lsar-desc-v1";

/// The weights file (safetensors, tensor names of DESIGN.md).
pub const MODEL_BYTES: &[u8] = include_bytes!("../../models/lsar-desc-v1.safetensors");

/// The model card (JSON).
pub const MODEL_CARD: &str = include_str!("../../models/lsar-desc-v1.json");

/// Lower-case hex SHA-256 of [`MODEL_BYTES`] (computed once).
pub fn model_sha256() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| Sha256::digest(MODEL_BYTES).iter().map(|b| format!("{b:02x}")).collect())
}

/// The embedded network on `device`, weights converted to F32.
///
/// # Errors
/// Vision errors when the embedded bytes do not hold the network (never for the shipped file;
/// the tests check it).
pub fn load(device: &Device) -> lsar_vision::Result<DescriptorNet> {
    load_from_bytes(&Config::default(), MODEL_BYTES, DType::F32, device)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use lsar_vision::{Branch, Descriptor, Patches};

    #[test]
    fn embedded_model_loads_and_matches_its_card() {
        let card: serde_json::Value = serde_json::from_str(MODEL_CARD).unwrap();
        assert_eq!(card["id"], MODEL_ID);
        assert_eq!(card["sha256"], model_sha256());
        assert_eq!(card["bytes"], MODEL_BYTES.len());
        let net = load(&Device::Cpu).unwrap();
        // Two different patches give two different unit descriptors on each branch.
        let s = 64;
        let data: Vec<f32> =
            (0..2 * 3 * s * s).map(|i| ((i * 7919) % 257) as f32 / 256.0).collect();
        let p = Patches::new(s, 3, data).unwrap();
        for b in [Branch::Photo, Branch::Render] {
            let d = net.branch(b).describe(&p).unwrap();
            assert_eq!((d.len(), d.dim()), (2, 128));
            for i in 0..2 {
                let n: f32 = d.row(i).unwrap().iter().map(|v| v * v).sum();
                assert!((n - 1.0).abs() < 1e-4);
            }
            assert_ne!(d.row(0), d.row(1));
        }
    }

    #[test]
    fn the_shipped_choice_describes_with_the_embedded_model_and_stamps_its_identity() {
        use crate::pack_build::{Describer, DescriptorChoice};
        let d = Describer::load(&DescriptorChoice::Shipped, None).unwrap();
        assert_eq!(d.model().id, MODEL_ID);
        assert_eq!(d.model().sha256_hex(), model_sha256());
        assert_eq!(DescriptorChoice::Shipped.kind(), "learned");
        let s = 64;
        let data: Vec<f32> = (0..3 * s * s).map(|i| ((i * 31) % 251) as f32 / 250.0).collect();
        let p = Patches::new(s, 3, data).unwrap();
        let expected = load(&Device::Cpu).unwrap().branch(Branch::Render).describe(&p).unwrap();
        assert_eq!(d.describe(&p).unwrap().row(0), expected.row(0));
    }
}
