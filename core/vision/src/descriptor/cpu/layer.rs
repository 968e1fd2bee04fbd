//! One convolution layer of the fast CPU path as a GEMM (im2col, Chellapilla et al., "High
//! performance convolutional neural networks for document processing", IWFHR 2006).
//!
//! Activations are NHWC (`[patch][y][x][channel]`), so the receptive field of one output pixel
//! is `ksize` contiguous runs of `ksize * cin` values, one per kernel row; its unfolded row
//! has `K = ksize * ksize * cin` values in `(ky, kx, c)` order. With `M` = output pixels of
//! the block of patches and `N = cout`, the layer is `out[M x N] = relu(A[M x K] W[K x N] + b)`
//! and `out` is again NHWC. The weights are packed once into `NR`-column panels (Goto & van de
//! Geijn, ACM TOMS 2008); `A` is never materialised: the kernels read each row in place from
//! the input through its offset (implicit GEMM, see [`kernel`]). A fully connected layer is
//! the special case `ksize = 1` on a 1 x 1 image.

use super::kernel::{self, Conv, SimdLevel};
use crate::error::{Result, VisionError};

/// A convolution with bias and optional ReLU, weights packed for one [`SimdLevel`].
#[derive(Clone)]
pub(crate) struct ConvLayer {
    cin: usize,
    cout: usize,
    ksize: usize,
    stride: usize,
    relu: bool,
    level: SimdLevel,
    /// Packed weights: `ceil(cout / NR)` panels of `K x NR`.
    b: Vec<f32>,
    /// Bias, zero-padded to the panels' width.
    bias: Vec<f32>,
}

/// Shape of a convolution layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConvShape {
    /// Input channels.
    pub cin: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel side.
    pub ksize: usize,
    /// Stride.
    pub stride: usize,
    /// Apply ReLU after the bias.
    pub relu: bool,
}

impl std::fmt::Debug for ConvLayer {
    /// Shape and level only (not the packed weights).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvLayer")
            .field("cin", &self.cin)
            .field("cout", &self.cout)
            .field("ksize", &self.ksize)
            .field("stride", &self.stride)
            .field("relu", &self.relu)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

impl ConvLayer {
    /// Packs `weight` (PyTorch OIHW, `cout x cin x ksize x ksize`) and `bias` (`cout`).
    ///
    /// # Errors
    /// [`VisionError::Dimension`] when the lengths do not match the shape.
    pub(crate) fn new(
        shape: ConvShape,
        weight: &[f32],
        bias: &[f32],
        level: SimdLevel,
    ) -> Result<Self> {
        let ConvShape { cin, cout, ksize, stride, relu } = shape;
        let kdim = ksize * ksize * cin;
        if weight.len() != cout * kdim || kdim == 0 {
            return Err(VisionError::Dimension { expected: cout * kdim, got: weight.len() });
        }
        if bias.len() != cout {
            return Err(VisionError::Dimension { expected: cout, got: bias.len() });
        }
        let (_, nr) = level.tile(cout);
        let panels = cout.div_ceil(nr);
        let mut b = vec![0.0f32; panels * kdim * nr];
        for o in 0..cout {
            let (p, j) = (o / nr, o % nr);
            for c in 0..cin {
                for ky in 0..ksize {
                    for kx in 0..ksize {
                        let kk = (ky * ksize + kx) * cin + c;
                        b[(p * kdim + kk) * nr + j] =
                            weight[((o * cin + c) * ksize + ky) * ksize + kx];
                    }
                }
            }
        }
        let mut padded = bias.to_vec();
        padded.resize(panels * nr, 0.0);
        Ok(Self { cin, cout, ksize, stride: stride.max(1), relu, level, b, bias: padded })
    }

    /// Output channels.
    pub(crate) fn cout(&self) -> usize {
        self.cout
    }

    /// Side of the output for a square input of side `side` (unpadded convolution).
    pub(crate) fn out_side(&self, side: usize) -> usize {
        side.saturating_sub(self.ksize) / self.stride + usize::from(side >= self.ksize)
    }

    /// Runs the layer on `n` NHWC images of `side x side x cin` in `x`, writing the
    /// `n x out_side^2 x cout` NHWC result into `out`; `bases` is reusable scratch.
    ///
    /// # Errors
    /// [`VisionError::Dimension`] when `x` or `out` have the wrong length.
    pub(crate) fn forward(
        &self,
        x: &[f32],
        n: usize,
        side: usize,
        out: &mut [f32],
        bases: &mut Vec<usize>,
    ) -> Result<()> {
        let (k, s, cin) = (self.ksize, self.stride, self.cin);
        if x.len() != n * side * side * cin {
            return Err(VisionError::Dimension { expected: n * side * side * cin, got: x.len() });
        }
        let os = self.out_side(side);
        let m = n * os * os;
        if out.len() != m * self.cout {
            return Err(VisionError::Dimension { expected: m * self.cout, got: out.len() });
        }
        if m == 0 {
            return Ok(());
        }
        // Offset of each output pixel's receptive field; padding rows repeat the last one.
        let (mr, _) = self.level.tile(self.cout);
        bases.clear();
        for img in 0..n {
            for oy in 0..os {
                let row = (img * side + oy * s) * side;
                bases.extend((0..os).map(|ox| (row + ox * s) * cin));
            }
        }
        let last = bases.last().copied().unwrap_or(0);
        bases.resize(m.div_ceil(mr) * mr, last);
        let conv = Conv {
            x,
            bases,
            rows: m,
            ksize: k,
            row_step: side * cin,
            run: k * cin,
            b: &self.b,
            bias: &self.bias,
            cols: self.cout,
            relu: self.relu,
        };
        kernel::run(self.level, &conv, out, self.cout);
        Ok(())
    }
}
