//! The LandscapeAR descriptor network "MultimodalPatchNet5lShared2l" (Brejcha et al.,
//! "LandscapeAR: Large scale outdoor augmented reality by matching photographs with terrain
//! models using learned descriptors", ECCV 2020) in candle.
//!
//! Input: `N x 3 x 64 x 64` patches, standardised per patch (`(x - mean) / (std + 1e-7)` over
//! all values, unbiased std). Two branches of the same shape with separate weights (photo,
//! render): four 3x3 stride-2 unpadded convolutions with bias and ReLU, channels 3-16-32-64-128,
//! sizes 64-31-15-7-3. Shared head: 3x3 stride-2 convolution 128-128 + ReLU (3 -> 1), flatten,
//! fully connected 128-128, L2 normalisation. Tensor names: `photo.conv{1..4}.{weight,bias}`,
//! `render.conv{1..4}.{weight,bias}`, `head.conv.{weight,bias}`, `head.fc.{weight,bias}` in
//! PyTorch layouts (OIHW, `[out, in]`).
//!
//! On the CPU the forward pass runs through the packed-GEMM path of [`super::cpu`] (chosen by
//! [`Backend`]); candle's operations run it elsewhere and whenever gradients are needed.
//! When the weights are training variables on the CPU, the candle path computes its
//! convolutions as im2col and gemm ([`super::im2col`]), whose backward pass is gemm too.

use std::sync::Arc;

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};

use super::cpu::{Backend, FastNet, SimdLevel};
use super::im2col::conv2d_nhwc;
use super::{Descriptor, Descriptors, check_patches};
use crate::error::{Result, VisionError};
use crate::patches::Patches;

/// Shape of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Input channels (3, RGB).
    pub in_channels: usize,
    /// Output channels of the branch convolutions (16, 32, 64, 128).
    pub branch_channels: Vec<usize>,
    /// Output channels of the head convolution (128).
    pub head_channels: usize,
    /// Descriptor length, output of the fully connected layer (128).
    pub descriptor_dim: usize,
    /// Input patch side (64).
    pub patch_size: usize,
    /// Kernel side of every convolution (3).
    pub kernel: usize,
    /// Stride of every convolution (2).
    pub stride: usize,
    /// Added to the standard deviation in the input standardisation (1e-7).
    pub std_eps: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            in_channels: 3,
            branch_channels: vec![16, 32, 64, 128],
            head_channels: 128,
            descriptor_dim: 128,
            patch_size: 64,
            kernel: 3,
            stride: 2,
            std_eps: 1e-7,
        }
    }
}

impl Config {
    /// Names and shapes of all tensors, in a fixed order.
    pub fn tensor_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let k = self.kernel;
        let mut out = Vec::new();
        for branch in ["photo", "render"] {
            let mut cin = self.in_channels;
            for (i, &cout) in self.branch_channels.iter().enumerate() {
                out.push((format!("{branch}.conv{}.weight", i + 1), vec![cout, cin, k, k]));
                out.push((format!("{branch}.conv{}.bias", i + 1), vec![cout]));
                cin = cout;
            }
        }
        let cin = self.branch_channels.last().copied().unwrap_or(self.in_channels);
        out.push(("head.conv.weight".into(), vec![self.head_channels, cin, k, k]));
        out.push(("head.conv.bias".into(), vec![self.head_channels]));
        out.push(("head.fc.weight".into(), vec![self.descriptor_dim, self.head_channels]));
        out.push(("head.fc.bias".into(), vec![self.descriptor_dim]));
        out
    }

    /// Spatial side after the head convolution; the network needs it to be 1.
    fn final_side(&self) -> Option<usize> {
        let mut side = self.patch_size;
        for _ in 0..self.branch_channels.len() + 1 {
            side = side.checked_sub(self.kernel)? / self.stride.max(1) + 1;
        }
        Some(side)
    }
}

/// Which branch of the network: photographs or rendered terrain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// The photo branch (`photo.*`).
    Photo,
    /// The render branch (`render.*`).
    Render,
}

/// Fetches a tensor, turning a failure into a typed error that names it.
fn tensor(vb: &VarBuilder<'_>, shape: &[usize], name: &str) -> Result<Tensor> {
    match vb.get(shape, name) {
        Ok(t) => Ok(t),
        Err(e) => {
            let prefix = vb.prefix();
            let full =
                if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
            if !vb.contains_tensor(name) {
                return Err(VisionError::MissingTensor { name: full });
            }
            match vb.get_unchecked(name) {
                Ok(t) if t.dims() != shape => Err(VisionError::TensorShape {
                    name: full,
                    expected: shape.to_vec(),
                    got: t.dims().to_vec(),
                }),
                _ => Err(VisionError::Candle(e)),
            }
        }
    }
}

fn conv(vb: VarBuilder<'_>, cin: usize, cout: usize, cfg: &Config) -> Result<Conv2d> {
    let w = tensor(&vb, &[cout, cin, cfg.kernel, cfg.kernel], "weight")?;
    let b = tensor(&vb, &[cout], "bias")?;
    let conv_cfg = Conv2dConfig { stride: cfg.stride, ..Default::default() };
    Ok(Conv2d::new(w, Some(b), conv_cfg))
}

/// One branch: four stride-2 convolutions with ReLU.
#[derive(Debug, Clone)]
struct BranchLayers {
    convs: Vec<Conv2d>,
}

impl BranchLayers {
    fn new(cfg: &Config, vb: VarBuilder<'_>) -> Result<Self> {
        let mut cin = cfg.in_channels;
        let mut convs = Vec::with_capacity(cfg.branch_channels.len());
        for (i, &cout) in cfg.branch_channels.iter().enumerate() {
            convs.push(conv(vb.pp(format!("conv{}", i + 1)), cin, cout, cfg)?);
            cin = cout;
        }
        Ok(Self { convs })
    }

    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        self.convs.iter().try_fold(xs.clone(), |x, c| c.forward(&x)?.relu())
    }
}

/// The shared head: conv + ReLU, flatten, fully connected.
#[derive(Debug, Clone)]
struct Head {
    conv: Conv2d,
    fc: Linear,
}

/// The two-branch descriptor network.
#[derive(Debug, Clone)]
pub struct DescriptorNet {
    config: Config,
    photo: BranchLayers,
    render: BranchLayers,
    head: Head,
    device: Device,
    dtype: DType,
    /// True when the weights are training variables (then never snapshotted).
    vars: bool,
    /// Weights packed at construction for the fast CPU path (CPU device, no variables).
    fast: Option<Arc<FastNet>>,
    /// The candle path convolves by im2col + gemm (channels last) instead of `conv2d`.
    gemm_convs: bool,
}

impl DescriptorNet {
    /// Builds the network from a `VarBuilder` whose paths are the tensor names above.
    ///
    /// # Errors
    /// [`VisionError::MissingTensor`] / [`VisionError::TensorShape`] naming the first bad
    /// tensor; [`VisionError::InvalidParameter`] when the config does not reduce the patch to
    /// 1x1.
    pub fn new(cfg: &Config, vb: VarBuilder<'_>) -> Result<Self> {
        if cfg.branch_channels.is_empty() || cfg.final_side() != Some(1) {
            return Err(VisionError::InvalidParameter {
                name: "config",
                reason: "the convolutions must reduce the patch to 1x1".into(),
            });
        }
        let photo = BranchLayers::new(cfg, vb.pp("photo"))?;
        let render = BranchLayers::new(cfg, vb.pp("render"))?;
        let last = cfg.branch_channels.last().copied().unwrap_or(cfg.in_channels);
        let hv = vb.pp("head");
        let conv = conv(hv.pp("conv"), last, cfg.head_channels, cfg)?;
        let fv = hv.pp("fc");
        let fc_w = tensor(&fv, &[cfg.descriptor_dim, cfg.head_channels], "weight")?;
        let fc_b = tensor(&fv, &[cfg.descriptor_dim], "bias")?;
        let head = Head { conv, fc: Linear::new(fc_w, Some(fc_b)) };
        let mut net = Self {
            config: cfg.clone(),
            photo,
            render,
            head,
            device: vb.device().clone(),
            dtype: vb.dtype(),
            vars: false,
            fast: None,
            gemm_convs: false,
        };
        net.vars = net.weights().iter().any(|t| t.is_variable());
        let gemm_dtype = matches!(net.dtype, DType::F32 | DType::F64);
        net.gemm_convs = net.device.is_cpu() && net.vars && gemm_dtype;
        if net.device.is_cpu() && !net.vars {
            net.fast = Some(Arc::new(net.pack(SimdLevel::detect())?));
        }
        Ok(net)
    }

    /// Every weight and bias tensor (branches, then head).
    fn weights(&self) -> Vec<&Tensor> {
        let convs = self.photo.convs.iter().chain(&self.render.convs).chain([&self.head.conv]);
        let mut out: Vec<&Tensor> =
            convs.flat_map(|c| std::iter::once(c.weight()).chain(c.bias())).collect();
        out.push(self.head.fc.weight());
        out.extend(self.head.fc.bias());
        out
    }

    /// Packs the current weights (as f32) for the fast CPU path at `level`.
    fn pack(&self, level: SimdLevel) -> Result<FastNet> {
        let (photo, render) = (&self.photo.convs, &self.render.convs);
        FastNet::new(&self.config, [photo, render], &self.head.conv, &self.head.fc, level)
    }

    /// The packed network `backend` asks for, or `None` for the candle path.
    fn fast_for(&self, backend: Backend, wants_grad: bool) -> Result<Option<Arc<FastNet>>> {
        let level = match backend {
            Backend::Candle => return Ok(None),
            Backend::Auto if !self.device.is_cpu() || wants_grad => return Ok(None),
            Backend::Auto => SimdLevel::detect(),
            Backend::Fast(level) => {
                if !self.device.is_cpu() || !level.is_available() {
                    return Err(VisionError::InvalidParameter {
                        name: "backend",
                        reason: format!("{level:?} needs the CPU device and CPU support"),
                    });
                }
                level
            }
        };
        match &self.fast {
            Some(f) if f.level == level => Ok(Some(Arc::clone(f))),
            _ => Ok(Some(Arc::new(self.pack(level)?))),
        }
    }

    /// Whether the candle path convolves by im2col + gemm ([`super::im2col`]) rather than
    /// candle's `conv2d` (both compute the same function). The default is im2col + gemm for
    /// training variables in F32/F64 on the CPU, where candle's `conv2d` backward is slow.
    #[must_use]
    pub fn with_gemm_convs(mut self, on: bool) -> Self {
        self.gemm_convs = on;
        self
    }

    /// See [`DescriptorNet::with_gemm_convs`].
    pub fn gemm_convs(&self) -> bool {
        self.gemm_convs
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The device the weights live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The weights' dtype (F32 or F16).
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// One branch as a candle [`Module`] and a [`Descriptor`].
    ///
    /// Runs on [`Backend::Auto`]; see [`BranchNet::with_backend`].
    pub fn branch(&self, branch: Branch) -> BranchNet<'_> {
        BranchNet { net: self, branch, backend: Backend::Auto }
    }

    fn forward_branch(&self, branch: Branch, xs: &Tensor) -> candle_core::Result<Tensor> {
        // Per-patch standardisation in f32, over all C x H x W values, unbiased std.
        let x = xs.to_dtype(DType::F32)?;
        let n = x.dim(0)?;
        let flat = x.reshape((n, ()))?;
        let count = flat.dim(1)? as f64;
        let mean = flat.mean_keepdim(1)?;
        let centred = flat.broadcast_sub(&mean)?;
        let var = (centred.sqr()?.sum_keepdim(1)? / (count - 1.0).max(1.0))?;
        let std = (var.sqrt()? + self.config.std_eps)?;
        let x = centred.broadcast_div(&std)?.reshape(xs.shape())?.to_dtype(self.dtype)?;
        let layers = match branch {
            Branch::Photo => &self.photo,
            Branch::Render => &self.render,
        };
        let x = if self.gemm_convs {
            // Channels last throughout; the head's 1x1 output flattens to the same order.
            let stride = self.config.stride;
            let conv = |x: &Tensor, c: &Conv2d| conv2d_nhwc(x, c.weight(), c.bias(), stride);
            let x = layers
                .convs
                .iter()
                .try_fold(x.permute((0, 2, 3, 1))?, |x, c| conv(&x, c)?.relu())?;
            conv(&x, &self.head.conv)?.relu()?.flatten_from(1)?
        } else {
            let x = layers.forward(&x)?;
            self.head.conv.forward(&x)?.relu()?.flatten_from(1)?
        };
        let x = self.head.fc.forward(&x)?.to_dtype(DType::F32)?;
        let norm = x.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?;
        x.broadcast_div(&(norm + 1e-12)?)
    }
}

/// One branch of a [`DescriptorNet`]: patches in, L2-normalised descriptors out.
#[derive(Debug, Clone, Copy)]
pub struct BranchNet<'a> {
    net: &'a DescriptorNet,
    branch: Branch,
    backend: Backend,
}

impl BranchNet<'_> {
    /// The same branch run by `backend` (e.g. the candle path or one SIMD level, for tests).
    #[must_use]
    pub fn with_backend(self, backend: Backend) -> Self {
        Self { backend, ..self }
    }

    /// The backend this branch runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Module for BranchNet<'_> {
    /// `N x 3 x 64 x 64` raw patches (any dtype) -> `N x 128` unit vectors (F32).
    ///
    /// [`Backend::Auto`] takes the fast path on the CPU unless `xs` tracks gradients or the
    /// weights are training variables: then candle's operations keep the autograd graph.
    fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let cfg = &self.net.config;
        let grad = xs.track_op() || self.net.vars;
        let fast = self.net.fast_for(self.backend, grad).map_err(candle_core::Error::wrap)?;
        let (c, s) = (cfg.in_channels, cfg.patch_size);
        match (fast, xs.dims()) {
            (Some(f), &[n, xc, xh, xw]) if (xc, xh, xw) == (c, s, s) => {
                let v = xs.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
                let y = f.forward(self.branch, &v, n).map_err(candle_core::Error::wrap)?;
                Tensor::from_vec(y, (n, cfg.descriptor_dim), xs.device())
            }
            _ => self.net.forward_branch(self.branch, xs),
        }
    }
}

/// Patches per forward pass in [`Descriptor::describe`] (bounds activation memory).
const CHUNK: usize = 512;

impl Descriptor for BranchNet<'_> {
    fn dim(&self) -> usize {
        self.net.config.descriptor_dim
    }

    fn patch_size(&self) -> usize {
        self.net.config.patch_size
    }

    fn describe(&self, patches: &Patches) -> Result<Descriptors> {
        let cfg = &self.net.config;
        check_patches(patches, cfg.patch_size, cfg.in_channels)?;
        if let Some(f) = self.net.fast_for(self.backend, false)? {
            let v = f.forward(self.branch, patches.data(), patches.len())?;
            return Descriptors::new(cfg.descriptor_dim, v);
        }
        let per = cfg.in_channels * cfg.patch_size * cfg.patch_size;
        let mut out = Vec::with_capacity(patches.len() * cfg.descriptor_dim);
        for chunk in patches.data().chunks(CHUNK * per) {
            let n = chunk.len() / per;
            let shape = (n, cfg.in_channels, cfg.patch_size, cfg.patch_size);
            let x = Tensor::from_slice(chunk, shape, &self.net.device)?;
            let y = self.forward(&x)?;
            out.extend(y.flatten_all()?.to_vec1::<f32>()?);
        }
        Descriptors::new(cfg.descriptor_dim, out)
    }
}
