//! HardTFeat: the TFeat architecture (Balntas et al., "Learning local feature descriptors
//! with triplets and shallow convolutional neural networks", BMVC 2016) trained with the
//! HardNet loss (Mishchuk et al., NeurIPS 2017); weights from ducha-aiki/affnet (MIT).
//!
//! Input: the 64x64 FOV-normalised patch, area-downsampled to 32x32 and converted to grey
//! (BT.601), standardised per patch (`(x - mean) / (std + 1e-7)`, unbiased std as in HardNet).
//! Layers: Conv(1, 32, 7) + Tanh, MaxPool 2, Conv(32, 64, 6) + Tanh, Conv(64, 128, 8) + Tanh,
//! L2 normalisation. Archive keys: `state_dict.features.0.*`, `state_dict.features.3.*`,
//! `state_dict.classifier.1.*`.

use std::path::Path;

use candle_core::{D, Device, Module, Tensor};
use candle_nn::{Conv2d, Conv2dConfig};

use super::npz::{NpyArray, read_npz};
use super::{Descriptor, Descriptors, standardise};
use crate::error::{Result, VisionError};
use crate::patches::{Patches, downsample_patches, grey_patches};

/// The layers: (archive key prefix, out, in, kernel).
const LAYERS: [(&str, usize, usize, usize); 3] = [
    ("state_dict.features.0", 32, 1, 7),
    ("state_dict.features.3", 64, 32, 6),
    ("state_dict.classifier.1", 128, 64, 8),
];

/// The HardTFeat descriptor (128-d, grey 32x32 input cut from a 64x64 patch).
#[derive(Debug, Clone)]
pub struct HardTFeat {
    convs: Vec<Conv2d>,
    device: Device,
}

impl HardTFeat {
    /// Loads the network from the bytes of `hardtfeat.npz`.
    ///
    /// # Errors
    /// [`VisionError::WeightFormat`] for a malformed archive, [`VisionError::MissingTensor`] /
    /// [`VisionError::TensorShape`] naming a missing or misshaped array.
    pub fn from_npz_bytes(bytes: &[u8], device: &Device) -> Result<Self> {
        let arrays = read_npz(bytes)?;
        let find = |name: String, shape: Vec<usize>| -> Result<Tensor> {
            let arr: &NpyArray = arrays
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, a)| a)
                .ok_or_else(|| VisionError::MissingTensor { name: name.clone() })?;
            if arr.shape != shape {
                return Err(VisionError::TensorShape {
                    name,
                    expected: shape,
                    got: arr.shape.clone(),
                });
            }
            Ok(Tensor::from_slice(&arr.data, shape, device)?)
        };
        let mut convs = Vec::with_capacity(LAYERS.len());
        for (key, cout, cin, k) in LAYERS {
            let w = find(format!("{key}.weight"), vec![cout, cin, k, k])?;
            let b = find(format!("{key}.bias"), vec![cout])?;
            convs.push(Conv2d::new(w, Some(b), Conv2dConfig::default()));
        }
        Ok(Self { convs, device: device.clone() })
    }

    /// Loads `hardtfeat.npz` from a file.
    ///
    /// # Errors
    /// [`VisionError::Io`] when it cannot be read; otherwise as [`HardTFeat::from_npz_bytes`].
    pub fn from_npz_file(path: &Path, device: &Device) -> Result<Self> {
        Self::from_npz_bytes(&std::fs::read(path)?, device)
    }

    /// Descriptors of already prepared 32x32 grey patches (not yet standardised).
    ///
    /// # Errors
    /// [`VisionError::Dimension`] for other sizes; candle errors.
    pub fn describe_32(&self, patches: &Patches) -> Result<Descriptors> {
        super::check_patches(patches, 32, 1)?;
        let mut input = Vec::with_capacity(patches.data().len());
        for p in patches.data().chunks_exact(32 * 32) {
            input.extend(standardise(p));
        }
        let mut out = Vec::with_capacity(patches.len() * 128);
        for chunk in input.chunks(1024 * 32 * 32) {
            let n = chunk.len() / (32 * 32);
            let x = Tensor::from_slice(chunk, (n, 1, 32, 32), &self.device)?;
            let x = self.forward(&x)?;
            out.extend(x.flatten_all()?.to_vec1::<f32>()?);
        }
        Descriptors::new(128, out)
    }
}

impl Module for HardTFeat {
    /// `N x 1 x 32 x 32` standardised patches -> `N x 128` unit vectors.
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = xs.clone();
        for (i, conv) in self.convs.iter().enumerate() {
            x = conv.forward(&x)?.tanh()?;
            if i == 0 {
                x = x.max_pool2d(2)?;
            }
        }
        let x = x.flatten_from(1)?;
        let norm = x.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?;
        x.broadcast_div(&(norm + 1e-10)?)
    }
}

impl Descriptor for HardTFeat {
    fn dim(&self) -> usize {
        128
    }

    fn patch_size(&self) -> usize {
        64
    }

    /// Accepts 64x64 grey or RGB patches (downsampled and converted here).
    fn describe(&self, patches: &Patches) -> Result<Descriptors> {
        if patches.size() != 64 {
            return Err(VisionError::Dimension { expected: 64, got: patches.size() });
        }
        let small = grey_patches(&downsample_patches(patches, 2)?);
        self.describe_32(&small)
    }
}
