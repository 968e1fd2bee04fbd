//! Fast CPU forward pass of the LandscapeAR descriptor network (the branch, the head, L2).
//!
//! [`super::net::BranchNet`] picks this path on the CPU by default ([`Backend::Auto`]); the
//! candle path stays for Metal/CUDA, for gradients (training) and on request
//! ([`Backend::Candle`]). What it does:
//! - weights are converted to f32 and packed once when the network is built (F16 weight files
//!   are widened then: activations are f32, so results are those of f32 arithmetic on the
//!   f16-rounded weights);
//! - each convolution is an implicit-GEMM im2col (receptive fields read in place from NHWC
//!   activations) times the packed weights in register-blocked SIMD micro-kernels, with bias
//!   and ReLU fused into the store (`layer.rs`, `kernel.rs`);
//! - the branch runs on small groups of patches in parallel (rayon), each group through all
//!   four layers while its activations are in cache; the head convolution and the fully
//!   connected layer then run as GEMMs over all patches (blocks of rows in parallel).
//!
//! Threads: rayon's global pool (`RAYON_NUM_THREADS`).

mod kernel;
mod layer;

pub use kernel::SimdLevel;
use layer::{ConvLayer, ConvShape};

use candle_core::{D, DType, Device, Tensor};
use candle_nn::{Conv2d, Linear};
use rayon::prelude::*;

use super::net::{Branch, Config};
use crate::error::{Result, VisionError};

/// Which implementation runs a [`super::net::BranchNet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The fast path with the best SIMD level on the CPU, candle on other devices. On the
    /// CPU `Module::forward` still uses candle when the input tracks gradients or the weights
    /// are training variables (a `VarMap`), so backpropagation works; `describe` then packs
    /// the variables' current values at each call.
    #[default]
    Auto,
    /// Always candle's own operations.
    Candle,
    /// The fast path with this SIMD level (an error when the CPU lacks it or the device is not
    /// the CPU). For tests and benchmarks.
    Fast(SimdLevel),
}

/// Most patches per branch task (activations of 8 patches: ~0.9 MB at the first layer).
const MAX_GROUP: usize = 8;
/// Most patches per pass of branch + head (bounds the intermediate features' memory).
const MAX_BATCH: usize = 4096;
/// Patches per head task (a multiple of every tile height: 12, 6, 4).
const HEAD_ROWS: usize = 48;

/// Both branches and the shared head, packed for one [`SimdLevel`].
#[derive(Debug, Clone)]
pub(crate) struct FastNet {
    /// The level the weights are packed for.
    pub level: SimdLevel,
    /// The photo branch's convolutions.
    pub photo: Vec<ConvLayer>,
    /// The render branch's convolutions.
    pub render: Vec<ConvLayer>,
    /// The head convolution (its input side is the branch's output side).
    pub head: ConvLayer,
    /// The fully connected layer as a 1 x 1 convolution without ReLU.
    pub fc: ConvLayer,
    /// Input channels.
    pub channels: usize,
    /// Input patch side.
    pub side: usize,
    /// Added to the standard deviation in the standardisation.
    pub std_eps: f64,
}

/// Reusable per-task buffers.
#[derive(Debug, Default)]
struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
    bases: Vec<usize>,
}

/// A tensor's values as f32 on the host.
fn values(t: &Tensor) -> Result<Vec<f32>> {
    Ok(t.to_device(&Device::Cpu)?.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?)
}

impl FastNet {
    /// Packs the network's current weights (converted to f32) for `level`.
    ///
    /// # Errors
    /// Candle errors reading the tensors; [`VisionError::Dimension`] for inconsistent shapes.
    pub(crate) fn new(
        cfg: &Config,
        [photo, render]: [&[Conv2d]; 2],
        head: &Conv2d,
        fc: &Linear,
        level: SimdLevel,
    ) -> Result<Self> {
        let layer = |c: &Conv2d, cin: usize, cout: usize| -> Result<ConvLayer> {
            let ksize = c.weight().dim(D::Minus1)?;
            let shape = ConvShape { cin, cout, ksize, stride: cfg.stride, relu: true };
            let bias = c.bias().map(values).transpose()?.unwrap_or_else(|| vec![0.0; cout]);
            ConvLayer::new(shape, &values(c.weight())?, &bias, level)
        };
        let branch = |convs: &[Conv2d]| -> Result<Vec<ConvLayer>> {
            let mut cin = cfg.in_channels;
            let mut out = Vec::with_capacity(convs.len());
            for (c, &cout) in convs.iter().zip(&cfg.branch_channels) {
                out.push(layer(c, cin, cout)?);
                cin = cout;
            }
            Ok(out)
        };
        let last = cfg.branch_channels.last().copied().unwrap_or(cfg.in_channels);
        let (hc, dim) = (cfg.head_channels, cfg.descriptor_dim);
        let fc_bias = fc.bias().map(values).transpose()?.unwrap_or_else(|| vec![0.0; dim]);
        let fc_shape = ConvShape { cin: hc, cout: dim, ksize: 1, stride: 1, relu: false };
        Ok(Self {
            level,
            photo: branch(photo)?,
            render: branch(render)?,
            head: layer(head, last, hc)?,
            fc: ConvLayer::new(fc_shape, &values(fc.weight())?, &fc_bias, level)?,
            channels: cfg.in_channels,
            side: cfg.patch_size,
            std_eps: cfg.std_eps,
        })
    }

    /// Describes `n` raw patches (NCHW, `n x channels x side x side`): `n x dim` unit rows.
    ///
    /// # Errors
    /// [`VisionError::Dimension`] when `data` does not hold `n` patches.
    pub(crate) fn forward(&self, branch: Branch, data: &[f32], n: usize) -> Result<Vec<f32>> {
        let layers = match branch {
            Branch::Photo => &self.photo,
            Branch::Render => &self.render,
        };
        let per = self.channels * self.side * self.side;
        if data.len() != n * per {
            return Err(VisionError::Dimension { expected: n * per, got: data.len() });
        }
        let mut side = self.side;
        for l in layers {
            side = l.out_side(side);
        }
        let last = layers.last().map_or(self.channels, ConvLayer::cout);
        let feat = side * side * last;
        let dim = self.fc.cout();
        if n == 0 || feat == 0 {
            return Ok(Vec::new());
        }
        let threads = rayon::current_num_threads().max(1);
        let group = n.div_ceil(4 * threads).clamp(1, MAX_GROUP);
        let mut out = vec![0.0f32; n * dim];
        let mut feats = vec![0.0f32; n.min(MAX_BATCH) * feat];
        // Batches of at most MAX_BATCH patches bound the features' memory (18.9 MB).
        for (data, out) in data.chunks(MAX_BATCH * per).zip(out.chunks_mut(MAX_BATCH * dim)) {
            let feats = &mut feats[..data.len() / per * feat];
            data.par_chunks(group * per)
                .zip(feats.par_chunks_mut(group * feat))
                .try_for_each_init(Scratch::default, |s, (x, f)| {
                    self.branch_group(layers, x, x.len() / per, f, s)
                })?;
            feats
                .par_chunks(HEAD_ROWS * feat)
                .zip(out.par_chunks_mut(HEAD_ROWS * dim))
                .try_for_each_init(Scratch::default, |s, (f, o)| {
                    let rows = f.len() / feat;
                    s.a.resize(rows * self.head.cout(), 0.0);
                    self.head.forward(f, rows, side, &mut s.a, &mut s.bases)?;
                    self.fc.forward(&s.a, rows, 1, o, &mut s.bases)?;
                    o.chunks_exact_mut(dim).for_each(l2_normalise);
                    Ok::<(), VisionError>(())
                })?;
        }
        Ok(out)
    }

    /// Standardises `n` patches into NHWC and runs the branch; writes their features.
    fn branch_group(
        &self,
        layers: &[ConvLayer],
        x: &[f32],
        n: usize,
        feats: &mut [f32],
        s: &mut Scratch,
    ) -> Result<()> {
        standardise_nhwc(x, n, self.channels, self.side, self.std_eps, &mut s.a);
        let mut side = self.side;
        let last = layers.len().saturating_sub(1);
        for (i, layer) in layers.iter().enumerate() {
            let os = layer.out_side(side);
            if i == last {
                layer.forward(&s.a, n, side, feats, &mut s.bases)?;
            } else {
                s.b.resize(n * os * os * layer.cout(), 0.0);
                layer.forward(&s.a, n, side, &mut s.b, &mut s.bases)?;
                std::mem::swap(&mut s.a, &mut s.b);
            }
            side = os;
        }
        Ok(())
    }
}

/// Per-patch standardisation `(x - mean) / (std + eps)` (unbiased std) of NCHW patches,
/// written transposed to NHWC into `out`. The sum and the sum of squares are accumulated in
/// one pass in f64 over 8 independent lanes (so they vectorise; f64 keeps the one-pass
/// variance exact enough for any image range); the subtraction and scaling run in f32, as on
/// candle's path.
fn standardise_nhwc(x: &[f32], n: usize, c: usize, side: usize, eps: f64, out: &mut Vec<f32>) {
    let hw = side * side;
    let per = c * hw;
    out.resize(n * per, 0.0);
    for (src, dst) in x.chunks_exact(per).zip(out.chunks_exact_mut(per)).take(n) {
        let count = per as f64;
        let (sum, sq) = sums(src);
        let mean = sum / count;
        let var = ((sq - sum * mean) / (count - 1.0).max(1.0)).max(0.0);
        let (m, scale) = (mean as f32, (1.0 / (var.sqrt() + eps)) as f32);
        if c == 3 {
            // RGB (the network's input): one interleaving pass that LLVM vectorises.
            let (r, gb) = src.split_at(hw);
            let (g, b) = gb.split_at(hw);
            let (px, _) = dst.as_chunks_mut::<3>();
            for (((d, &r), &g), &b) in px.iter_mut().zip(r).zip(g).zip(b) {
                *d = [(r - m) * scale, (g - m) * scale, (b - m) * scale];
            }
            continue;
        }
        for (ch, plane) in src.chunks_exact(hw).enumerate() {
            for (d, &v) in dst[ch..].iter_mut().step_by(c).zip(plane) {
                *d = (v - m) * scale;
            }
        }
    }
}

/// `(sum v, sum v^2)` in f64 over 8 independent lanes (vectorisable without reassociation).
fn sums(v: &[f32]) -> (f64, f64) {
    let (chunks, rest) = v.as_chunks::<8>();
    let (mut s, mut q) = ([0.0f64; 8], [0.0f64; 8]);
    for ch in chunks {
        for ((s, q), &x) in s.iter_mut().zip(q.iter_mut()).zip(ch) {
            let x = f64::from(x);
            *s += x;
            *q += x * x;
        }
    }
    let tail = rest.iter().map(|&x| f64::from(x));
    let s = s.iter().sum::<f64>() + tail.clone().sum::<f64>();
    (s, q.iter().sum::<f64>() + tail.map(|x| x * x).sum::<f64>())
}

/// `v / (|v| + 1e-12)` with the norm summed in f64 (the candle path adds the same 1e-12).
fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
    let inv = 1.0 / (norm + 1e-12);
    v.iter_mut().for_each(|x| *x = (f64::from(*x) * inv) as f32);
}
