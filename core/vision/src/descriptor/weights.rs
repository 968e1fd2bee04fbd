//! Weights of the [`DescriptorNet`]: loading from safetensors (a byte slice or a memory-mapped
//! file, in F32 or F16) and a seeded initialiser.
//!
//! The initialiser follows PyTorch's default for `Conv2d`/`Linear` (He et al., "Delving deep
//! into rectifiers", ICCV 2015, "Kaiming uniform" with `a = sqrt(5)`): weights and biases are
//! drawn from `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, `fan_in = in_channels * k * k`. It serves
//! tests now and training later; no pretrained LandscapeAR weights ship with lsar.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::net::{Config, DescriptorNet};
use crate::error::{Result, VisionError};

/// Builds the network from safetensors bytes (no copy of the file, no `unsafe`).
///
/// `dtype` is the compute dtype (`F32` or `F16`); stored tensors are converted to it. On the
/// CPU the default fast path ([`super::cpu::Backend::Auto`]) widens the weights to f32 once
/// and computes in f32; candle's path ([`super::cpu::Backend::Candle`]) computes in `dtype`.
///
/// # Errors
/// [`VisionError::WeightFormat`] for bytes that are not safetensors; the errors of
/// [`DescriptorNet::new`] for missing or misshaped tensors.
pub fn load_from_bytes(
    cfg: &Config,
    bytes: &[u8],
    dtype: DType,
    device: &Device,
) -> Result<DescriptorNet> {
    check_dtype(dtype)?;
    let vb = VarBuilder::from_slice_safetensors(bytes, dtype, device)
        .map_err(|e| VisionError::WeightFormat { reason: e.to_string() })?;
    DescriptorNet::new(cfg, vb)
}

/// Builds the network from a safetensors file through a read-only memory map.
///
/// On the CPU candle copies each tensor out of the mapping, so the map lives only during this
/// call.
///
/// # Errors
/// [`VisionError::Io`] when the file cannot be opened or mapped; otherwise as
/// [`load_from_bytes`].
#[allow(unsafe_code)]
pub fn load_from_file(
    cfg: &Config,
    path: &Path,
    dtype: DType,
    device: &Device,
) -> Result<DescriptorNet> {
    let file = std::fs::File::open(path)?;
    // SAFETY: the map is read-only and dropped before this function returns; every tensor is
    // copied out of it by `load_from_bytes`. A concurrent truncation of the file by another
    // process could fault the read (SIGBUS); weight files are not written while in use.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    load_from_bytes(cfg, &map, dtype, device)
}

fn check_dtype(dtype: DType) -> Result<()> {
    match dtype {
        DType::F32 | DType::F16 => Ok(()),
        other => Err(VisionError::InvalidParameter {
            name: "dtype",
            reason: format!("{other:?} is not supported (F32 or F16)"),
        }),
    }
}

/// Seeded PyTorch-default (Kaiming-uniform, `a = sqrt(5)`) weights for every tensor of `cfg`,
/// F32 on the CPU.
///
/// # Errors
/// Candle errors while creating the tensors.
pub fn init_tensors(cfg: &Config, seed: u64) -> Result<HashMap<String, Tensor>> {
    let shapes = cfg.tensor_shapes();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = HashMap::with_capacity(shapes.len());
    // The bias of a layer uses the fan-in of its weight, which comes just before it.
    let mut fan_in = 1usize;
    for (name, shape) in shapes {
        if shape.len() > 1 {
            fan_in = shape[1..].iter().product();
        }
        let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..bound)).collect();
        out.insert(name, Tensor::from_vec(values, shape, &Device::Cpu)?);
    }
    Ok(out)
}

/// Writes tensors to a safetensors file, converted to `dtype` (F32, or F16 for shipping).
///
/// # Errors
/// Candle errors (conversion, I/O) while writing.
pub fn save_safetensors(
    tensors: &HashMap<String, Tensor>,
    dtype: DType,
    path: &Path,
) -> Result<()> {
    check_dtype(dtype)?;
    let converted = tensors
        .iter()
        .map(|(k, t)| Ok((k.clone(), t.to_dtype(dtype)?)))
        .collect::<Result<HashMap<_, _>>>()?;
    candle_core::safetensors::save(&converted, path)?;
    Ok(())
}
