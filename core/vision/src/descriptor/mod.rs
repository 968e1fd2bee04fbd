//! Patch descriptors: the [`Descriptor`] trait and its implementations.
//!
//! - [`net`]: the LandscapeAR two-branch network (Brejcha et al., ECCV 2020) in candle, with
//!   a fast CPU forward pass in [`cpu`] and gemm-only training convolutions in [`im2col`],
//! - [`sift`]: a SIFT-like gradient-histogram descriptor (Lowe, IJCV 2004),
//! - [`hardtfeat`]: TFeat (Balntas et al., BMVC 2016) trained with the HardNet loss
//!   (Mishchuk et al., NeurIPS 2017), a single-domain learned baseline.

pub mod cpu;
pub mod hardtfeat;
pub mod im2col;
pub mod net;
pub mod npz;
pub mod sift;
pub mod weights;

use crate::error::{Result, VisionError};
use crate::patches::Patches;

/// Descriptors as rows of a matrix (`len x dim`, row-major), each row of unit length.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptors {
    dim: usize,
    data: Vec<f32>,
}

impl Descriptors {
    /// Wraps `N x dim` row-major values.
    ///
    /// # Errors
    /// [`VisionError::Dimension`] when `dim` is zero or does not divide the length.
    pub fn new(dim: usize, data: Vec<f32>) -> Result<Self> {
        if dim == 0 || !data.len().is_multiple_of(dim) {
            return Err(VisionError::Dimension { expected: dim, got: data.len() });
        }
        Ok(Self { dim, data })
    }

    /// The values (`N x dim`, row-major), giving up the descriptors (to reuse the buffer).
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// Number of descriptors.
    pub fn len(&self) -> usize {
        self.data.len() / self.dim
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Dimension of one descriptor.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// All values, row-major.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Row `i`, `None` past the end.
    pub fn row(&self, i: usize) -> Option<&[f32]> {
        self.data.get(i * self.dim..(i + 1) * self.dim)
    }
}

/// Anything that turns a batch of patches into unit-length descriptors.
pub trait Descriptor {
    /// Length of one descriptor (128 for all descriptors here).
    fn dim(&self) -> usize;

    /// Side length of the input patches this descriptor expects (64: the FOV-normalised patch).
    fn patch_size(&self) -> usize;

    /// Describes every patch; row `i` of the result belongs to patch `i`.
    ///
    /// # Errors
    /// [`VisionError::Dimension`] when the patches have another size or channel count than
    /// the descriptor accepts; backend errors of the implementation.
    fn describe(&self, patches: &Patches) -> Result<Descriptors>;
}

/// Per-patch standardisation as in HardNet/LandscapeAR: `(x - mean) / (std + 1e-7)` over all
/// values of the patch, `std` with Bessel's correction (PyTorch's `torch.std` default).
pub fn standardise(patch: &[f32]) -> Vec<f32> {
    let n = patch.len() as f64;
    if patch.is_empty() {
        return Vec::new();
    }
    let mean = patch.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var =
        patch.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let scale = 1.0 / (var.sqrt() + 1e-7);
    patch.iter().map(|&v| ((f64::from(v) - mean) * scale) as f32).collect()
}

/// Scales `v` to unit length in place (left as is when its norm is zero).
pub fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Checks a patch batch against the expected size and channel count.
pub(crate) fn check_patches(p: &Patches, size: usize, channels: usize) -> Result<()> {
    if p.size() != size {
        return Err(VisionError::Dimension { expected: size, got: p.size() });
    }
    if p.channels() != channels {
        return Err(VisionError::Dimension { expected: channels, got: p.channels() });
    }
    Ok(())
}
