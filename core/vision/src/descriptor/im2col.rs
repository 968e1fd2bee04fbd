//! Convolution as im2col followed by a matrix product, for training on the CPU.
//!
//! Candle's CPU backward of `conv2d` computes the input gradient with `conv_transpose2d`
//! (a direct loop nest) and the weight gradient with a second convolution over the
//! batch; both dominate a training step of the small LandscapeAR convolutions. Written as
//! `cols = im2col(x)` (one row per output pixel, Chellapilla, Puri, Simard, "High performance
//! convolutional neural networks for document processing", IWFHR 2006) and `y = cols W^T`,
//! all heavy work of both passes is matrix products (candle's gemm):
//! `dW = dy^T cols`, `dcols = dy W`, and the input gradient is the scatter-add `col2im(dcols)`.
//! The weight gradient's inner dimension is the number of output pixels of the batch (about
//! a million in the first layer) and its outer sizes are the tiny `O x K*K*C` (16 x 27
//! there); gemm parallelises over the outer sizes only, so [`ColsTimesWt`] sums it over row
//! blocks, one per thread.
//!
//! Layout: activations are `N x H x W x C` (channels last), so each row of `cols` is `K`
//! contiguous runs of `K * C` values and the layer output `N*OH*OW x O` is already the next
//! layer's channels-last input. Row `r = (n * OH + oy) * OW + ox`, column
//! `(ky * K + kx) * C + c`; the weight `O x I x K x K` (PyTorch's OIHW) is permuted to
//! `O x K x K x I` to match. No padding; any stride.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, CustomOp2, Layout, Shape, Tensor, WithDType, bail};
use rayon::prelude::*;

/// Sizes of one convolution: input `n x h x w x c`, square kernel `k`, `stride`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    n: usize,
    h: usize,
    w: usize,
    c: usize,
    k: usize,
    stride: usize,
}

impl Geometry {
    fn out_h(&self) -> usize {
        (self.h - self.k) / self.stride + 1
    }

    fn out_w(&self) -> usize {
        (self.w - self.k) / self.stride + 1
    }

    /// Values per row of `cols`.
    fn row_len(&self) -> usize {
        self.k * self.k * self.c
    }

    /// `cols` values per sample.
    fn cols_per_sample(&self) -> usize {
        self.out_h() * self.out_w() * self.row_len()
    }

    fn cols_shape(&self) -> Shape {
        Shape::from((self.n * self.out_h() * self.out_w(), self.row_len()))
    }

    fn input_shape(&self) -> Shape {
        Shape::from((self.n, self.h, self.w, self.c))
    }

    /// Calls `f(cols_offset, input_offset, run_len)` for every contiguous run of one sample.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        let (k, c, s) = (self.k, self.c, self.stride);
        let run = k * c;
        let mut dst = 0;
        for oy in 0..self.out_h() {
            for ox in 0..self.out_w() {
                for ky in 0..k {
                    f(dst, ((oy * s + ky) * self.w + ox * s) * c, run);
                    dst += run;
                }
            }
        }
    }
}

fn im2col<T: WithDType>(x: &[T], g: &Geometry) -> Vec<T> {
    let mut out = vec![T::zero(); g.n * g.cols_per_sample()];
    let per_in = g.h * g.w * g.c;
    out.par_chunks_mut(g.cols_per_sample().max(1)).zip(x.par_chunks(per_in.max(1))).for_each(
        |(o, xi)| g.for_each_run(|d, s, len| o[d..d + len].copy_from_slice(&xi[s..s + len])),
    );
    out
}

fn col2im<T: WithDType>(cols: &[T], g: &Geometry) -> Vec<T> {
    let per_in = g.h * g.w * g.c;
    let mut out = vec![T::zero(); g.n * per_in];
    out.par_chunks_mut(per_in.max(1)).zip(cols.par_chunks(g.cols_per_sample().max(1))).for_each(
        |(xi, o)| {
            g.for_each_run(|d, s, len| {
                for (a, &b) in xi[s..s + len].iter_mut().zip(&o[d..d + len]) {
                    *a += b;
                }
            })
        },
    );
    out
}

/// The contiguous values of `storage` under `layout`, as `T`.
fn contiguous<'a, T: WithDType>(
    storage: &'a CpuStorage,
    layout: &Layout,
) -> candle_core::Result<&'a [T]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("im2col/col2im need a contiguous input")
    };
    Ok(&storage.as_slice::<T>()?[start..end])
}

/// `N x H x W x C` -> `N*OH*OW x K*K*C`; backward [`Col2Im`].
struct Im2Col(Geometry);

/// The adjoint of [`Im2Col`]: sums each row's values back into their input pixels.
struct Col2Im(Geometry);

impl CustomOp1 for Im2Col {
    fn name(&self) -> &'static str {
        "lsar-im2col"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = &self.0;
        if l.shape() != &g.input_shape() {
            bail!("im2col: input shape {:?}, expected {:?}", l.shape(), g.input_shape())
        }
        let out = match s {
            CpuStorage::F32(_) => CpuStorage::F32(im2col(contiguous::<f32>(s, l)?, g)),
            CpuStorage::F64(_) => CpuStorage::F64(im2col(contiguous::<f64>(s, l)?, g)),
            _ => bail!("im2col: only f32 and f64"),
        };
        Ok((out, g.cols_shape()))
    }

    fn bwd(&self, arg: &Tensor, _: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        // The network's input (standardised patches) needs no gradient: skip the scatter.
        if !arg.track_op() {
            return Ok(None);
        }
        Ok(Some(grad.contiguous()?.apply_op1(Col2Im(self.0))?))
    }
}

impl CustomOp1 for Col2Im {
    fn name(&self) -> &'static str {
        "lsar-col2im"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let g = &self.0;
        if l.shape() != &g.cols_shape() {
            bail!("col2im: input shape {:?}, expected {:?}", l.shape(), g.cols_shape())
        }
        let out = match s {
            CpuStorage::F32(_) => CpuStorage::F32(col2im(contiguous::<f32>(s, l)?, g)),
            CpuStorage::F64(_) => CpuStorage::F64(col2im(contiguous::<f64>(s, l)?, g)),
            _ => bail!("col2im: only f32 and f64"),
        };
        Ok((out, g.input_shape()))
    }

    fn bwd(&self, _: &Tensor, _: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op1(Im2Col(self.0))?))
    }
}

/// `cols W^T` for `cols` (`R x L`) and `W` (`O x L`): candle's matrix product forward, and a
/// backward whose weight gradient `dy^T cols` is computed by [`at_b_blocked`].
struct ColsTimesWt;

impl CustomOp2 for ColsTimesWt {
    fn name(&self) -> &'static str {
        "lsar-cols-wt"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (r, l) = l1.shape().dims2()?;
        let (o, lw) = l2.shape().dims2()?;
        if l != lw {
            bail!("cols W^T: cols {:?}, W {:?}", l1.shape(), l2.shape())
        }
        let y = s1.matmul(s2, (1, r, o, l), l1, &l2.transpose(0, 1)?)?;
        Ok((y, Shape::from((r, o))))
    }

    fn bwd(
        &self,
        cols: &Tensor,
        w: &Tensor,
        _: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>)> {
        let grad = grad.contiguous()?;
        let dcols = if cols.track_op() { Some(grad.matmul(w)?) } else { None };
        let dw = if w.track_op() {
            let per = cols.dim(0)?.div_ceil(rayon::current_num_threads().max(1));
            Some(at_b_blocked(&grad, cols, per.max(MIN_BLOCK_ROWS))?)
        } else {
            None
        };
        Ok((dcols, dw))
    }
}

/// Rows below which a block of [`at_b_blocked`] is not split further (a block's product must
/// outweigh its `O x L` partial sum).
const MIN_BLOCK_ROWS: usize = 4096;

/// `a^T b` for `a` (`R x O`) and `b` (`R x L`) with large `R`: the rows are cut into blocks
/// of `per` rows (the last one shorter), each block's `O x L` product runs as its own rayon
/// task, and the partial products are summed.
fn at_b_blocked(a: &Tensor, b: &Tensor, per: usize) -> candle_core::Result<Tensor> {
    let r = a.dim(0)?;
    let per = per.max(1);
    let blocks = r.div_ceil(per);
    if blocks <= 1 {
        return a.t()?.matmul(b);
    }
    let parts = (0..blocks)
        .into_par_iter()
        .map(|i| {
            let (start, len) = (i * per, per.min(r - i * per));
            a.narrow(0, start, len)?.t()?.matmul(&b.narrow(0, start, len)?)
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::stack(&parts, 0)?.sum(0)
}

/// Unpadded 2D convolution of a channels-last input (`N x H x W x C`, f32 or f64, on the
/// CPU) with an OIHW `weight` (`O x C x K x K`) and optional `bias` (`O`), as im2col and a
/// matrix product; returns `N x OH x OW x O`. Differentiable in `x`, `weight` and `bias`.
///
/// # Errors
/// Candle errors for mismatched shapes, a non-square kernel, a kernel larger than the input,
/// a zero stride, another dtype or a non-CPU device.
pub fn conv2d_nhwc(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
) -> candle_core::Result<Tensor> {
    let (n, h, w, c) = x.dims4()?;
    let (o, i, kh, kw) = weight.dims4()?;
    if i != c || kh != kw || kh == 0 || kh > h || kw > w || stride == 0 {
        bail!("conv2d_nhwc: input {:?}, weight {:?}, stride {stride}", x.dims(), weight.dims())
    }
    let g = Geometry { n, h, w, c, k: kh, stride };
    let cols = x.contiguous()?.apply_op1(Im2Col(g))?;
    let wf = weight.permute((0, 2, 3, 1))?.reshape((o, g.row_len()))?;
    let y = cols.apply_op2(&wf, ColsTimesWt)?;
    let y = match bias {
        Some(b) => y.broadcast_add(b)?,
        None => y,
    };
    y.reshape((n, g.out_h(), g.out_w(), o))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use candle_core::Device;

    #[test]
    fn blocked_product_equals_one_product() {
        let dev = Device::Cpu;
        // 1001 rows: one row per block, 11 blocks (the last one short), and one block.
        let a = Tensor::randn(0f64, 1.0, (1001, 5), &dev).unwrap();
        let b = Tensor::randn(0f64, 1.0, (1001, 7), &dev).unwrap();
        let one = a.t().unwrap().matmul(&b).unwrap();
        for per in [1, 100, 5000] {
            let blocked = at_b_blocked(&a, &b, per).unwrap();
            assert_eq!(blocked.dims(), &[5, 7]);
            let diff = (&blocked - &one).unwrap().abs().unwrap().max_all().unwrap();
            assert!(diff.to_scalar::<f64>().unwrap() < 1e-10, "{per} rows per block");
        }
    }
}
