//! One training step and validation of the LandscapeAR descriptor network.
//!
//! The weights live in a candle-nn `VarMap` under the tensor names of DESIGN.md
//! (`photo.conv1.weight`, ..., `head.fc.bias`); the network of `lsar-vision` is built on
//! those variables once, and [`Adam`] updates them in place. Every random choice of step `k`
//! (the batch, the uniform negatives, the semi-hard picks) comes from a ChaCha8 stream
//! `(seed, k)`, so a resumed run draws exactly what an uninterrupted one would.

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use lsar_vision::descriptor::weights::init_tensors;
use lsar_vision::{Branch, Config, DescriptorNet};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::adam::{Adam, AdamConfig};
use super::error::{Result, TrainError};
use super::loss::{LossConfig, LossInputs, landscapear_loss};
use super::metrics::{MetricConfig, Metrics, evaluate};
use crate::dataset::{PairDataset, PatchSet};

/// Everything that defines a training run besides the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Samples per step (LandscapeAR: 300).
    pub batch: usize,
    /// Seed of the initial weights and of every random draw.
    pub seed: u64,
    /// Optimiser settings.
    pub adam: AdamConfig,
    /// Loss settings.
    pub loss: LossConfig,
    /// Learning-rate schedule (multiplies `adam.lr`); absent in older states: constant.
    #[serde(default)]
    pub schedule: LrSchedule,
}

/// A learning-rate schedule: the factor applied to the base rate before step `k` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// Factor 1 throughout (LandscapeAR).
    #[default]
    Constant,
    /// Linear warm-up from 0 over `warmup` steps, then cosine decay to `floor` at `total`
    /// steps and `floor` after (Loshchilov and Hutter, "SGDR", ICLR 2017, one cycle without
    /// restarts; warm-up after Goyal et al., "Accurate, large minibatch SGD", 2017).
    Cosine {
        /// Warm-up steps.
        warmup: u64,
        /// Step at which the decay reaches `floor`.
        total: u64,
        /// Final factor, in `[0, 1]`.
        floor: f64,
    },
}

impl LrSchedule {
    /// The factor before step `k` (0-based).
    pub fn factor(&self, k: u64) -> f64 {
        match *self {
            Self::Constant => 1.0,
            Self::Cosine { warmup, total, floor } => {
                if k < warmup {
                    return (k + 1) as f64 / warmup as f64;
                }
                let span = total.saturating_sub(warmup).max(1) as f64;
                let t = ((k - warmup) as f64 / span).min(1.0);
                floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
        }
    }
}

impl Default for TrainConfig {
    /// The LandscapeAR recipe: batch 300, Adam 1e-5, adaptive semi-hard with uniform
    /// negatives, no auxiliary terms.
    fn default() -> Self {
        Self {
            batch: 300,
            seed: 0,
            adam: AdamConfig::default(),
            loss: LossConfig::default(),
            schedule: LrSchedule::Constant,
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StepStats {
    /// Step number after the update (1 for the first).
    pub step: u64,
    /// Total loss before the update.
    pub loss: f32,
    /// Main term.
    pub main: f32,
    /// Uniform-negative term.
    pub uniform: Option<f32>,
    /// Auxiliary photo-photo term.
    pub aux_photo: Option<f32>,
    /// Auxiliary render-render term.
    pub aux_render: Option<f32>,
    /// Learning rate of the update.
    pub lr: f64,
}

/// The network, its variables and the optimiser.
pub struct Trainer {
    cfg: TrainConfig,
    varmap: VarMap,
    net: DescriptorNet,
    adam: Adam,
    device: Device,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("config", &self.cfg)
            .field("step", &self.adam.step_count())
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

impl Trainer {
    /// A fresh network with seeded PyTorch-default initial weights (F32).
    ///
    /// # Errors
    /// [`TrainError::InvalidParameter`] for a zero batch; candle and network errors.
    pub fn new(cfg: TrainConfig, net_cfg: &Config, device: &Device) -> Result<Self> {
        let init = init_tensors(net_cfg, cfg.seed)?;
        Self::from_tensors(cfg, net_cfg, &init, DType::F32, device)
    }

    /// A network with the given weights (names of DESIGN.md) in `dtype` (F32, or F64 for
    /// gradient checks).
    ///
    /// # Errors
    /// As [`Trainer::new`]; [`TrainError::Vision`] for missing or misshaped weights.
    pub fn from_tensors(
        cfg: TrainConfig,
        net_cfg: &Config,
        weights: &HashMap<String, Tensor>,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        if cfg.batch < 2 {
            let reason = "at least 2 (negatives come from the batch)".into();
            return Err(TrainError::InvalidParameter { name: "batch", reason });
        }
        let varmap = VarMap::new();
        let mut named = Vec::new();
        {
            let mut data = varmap.data().lock().map_err(|_| TrainError::Checkpoint {
                reason: "variable map lock poisoned".into(),
            })?;
            for (name, _) in net_cfg.tensor_shapes() {
                let t = weights.get(&name).ok_or_else(|| TrainError::Checkpoint {
                    reason: format!("the weights lack {name}"),
                })?;
                let var = Var::from_tensor(&t.to_dtype(dtype)?.to_device(device)?)?;
                named.push((name.clone(), var.clone()));
                data.insert(name, var);
            }
        }
        let vb = VarBuilder::from_varmap(&varmap, dtype, device);
        let net = DescriptorNet::new(net_cfg, vb)?;
        let adam = Adam::new(named, cfg.adam)?;
        Ok(Self { cfg, varmap, net, adam, device: device.clone() })
    }

    /// The same trainer with the network's convolutions computed by im2col + gemm (`on`) or
    /// candle's `conv2d`; see `DescriptorNet::with_gemm_convs`. Both give the same function;
    /// im2col + gemm is the default on the CPU because its backward pass is faster.
    #[must_use]
    pub fn with_gemm_convs(mut self, on: bool) -> Self {
        self.net = self.net.with_gemm_convs(on);
        self
    }

    /// The run's configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.cfg
    }

    /// The network (sharing the trained variables).
    pub fn net(&self) -> &DescriptorNet {
        &self.net
    }

    /// The optimiser.
    pub fn adam(&self) -> &Adam {
        &self.adam
    }

    /// The optimiser, mutable (to restore its state or change the learning rate).
    pub fn adam_mut(&mut self) -> &mut Adam {
        &mut self.adam
    }

    /// Steps done so far.
    pub fn step_count(&self) -> u64 {
        self.adam.step_count()
    }

    /// The device.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Current weights by tensor name (detached copies of the variables).
    pub fn weights(&self) -> HashMap<String, Tensor> {
        match self.varmap.data().lock() {
            Ok(d) => d.iter().map(|(k, v)| (k.clone(), v.as_tensor().detach())).collect(),
            Err(_) => HashMap::new(),
        }
    }

    /// The variable holding weight `name` (its gradient is looked up by this variable).
    pub fn var(&self, name: &str) -> Option<Var> {
        self.varmap.data().lock().ok()?.get(name).cloned()
    }

    /// The random stream of step `step`.
    pub fn step_rng(&self, step: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.cfg.seed);
        rng.set_stream(step);
        rng
    }

    /// One Adam step on a random batch of `data`.
    ///
    /// # Errors
    /// [`TrainError::Diverged`] when the loss is not finite; candle and data errors.
    pub fn step(&mut self, data: &PairDataset) -> Result<StepStats> {
        let step = self.step_count();
        let mut rng = self.step_rng(step);
        let n = data.len();
        let b = self.cfg.batch.min(n);
        if b < 2 {
            return Err(TrainError::InvalidParameter {
                name: "data",
                reason: "fewer than 2 training samples".into(),
            });
        }
        let idx = sample(&mut rng, n, b).into_vec();
        let uni = sample(&mut rng, n, b).into_vec();
        let dev = &self.device;
        let lc = self.cfg.loss;
        let mut photo_in = vec![data.batch(PatchSet::PhotoA, &idx, dev)?];
        let mut render_in = vec![data.batch(PatchSet::RenderB, &idx, dev)?];
        if lc.uniform_negatives {
            render_in.push(data.batch(PatchSet::RenderB, &uni, dev)?);
        }
        if lc.aux {
            photo_in.push(data.batch(PatchSet::PhotoB, &idx, dev)?);
            render_in.push(data.batch(PatchSet::RenderA, &idx, dev)?);
        }
        let photo = self.net.branch(Branch::Photo).forward(&Tensor::cat(&photo_in, 0)?)?;
        let render = self.net.branch(Branch::Render).forward(&Tensor::cat(&render_in, 0)?)?;
        let all = data.tags();
        let tags: Vec<_> = idx.iter().map(|&i| all[i]).collect();
        let utags: Vec<_> = uni.iter().map(|&i| all[i]).collect();
        let photo_a = photo.narrow(0, 0, b)?;
        let render_b = render.narrow(0, 0, b)?;
        let mut next = b;
        let uniform = if lc.uniform_negatives {
            next += b;
            Some(render.narrow(0, b, b)?)
        } else {
            None
        };
        let aux =
            if lc.aux { Some((photo.narrow(0, b, b)?, render.narrow(0, next, b)?)) } else { None };
        let inputs = LossInputs {
            photo_a: &photo_a,
            render_b: &render_b,
            tags: &tags,
            uniform: uniform.as_ref().map(|u| (u, utags.as_slice())),
            aux: aux.as_ref().map(|(p, r)| (p, r)),
        };
        let parts = landscapear_loss(&inputs, &lc, &mut rng)?;
        self.adam.set_lr(self.cfg.adam.lr * self.cfg.schedule.factor(step));
        let loss = parts.total.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        if !loss.is_finite() {
            return Err(TrainError::Diverged { step });
        }
        let grads = parts.total.backward()?;
        self.adam.step(&grads)?;
        Ok(StepStats {
            step: step + 1,
            loss,
            main: parts.main,
            uniform: parts.uniform,
            aux_photo: parts.aux_photo,
            aux_render: parts.aux_render,
            lr: self.adam.config().lr,
        })
    }

    /// A copy of the current network for inference: plain tensors instead of variables,
    /// so on the CPU it takes `lsar-vision`'s packed fast path (`descriptor/cpu`).
    ///
    /// # Errors
    /// Candle and network errors.
    pub fn snapshot(&self) -> Result<DescriptorNet> {
        let vb = VarBuilder::from_tensors(self.weights(), self.net.dtype(), &self.device);
        Ok(DescriptorNet::new(self.net.config(), vb)?)
    }

    /// Descriptors (`idx.len() x 128`, row-major) of one patch set through one branch.
    ///
    /// # Errors
    /// Candle and data errors.
    pub fn describe(
        &self,
        data: &PairDataset,
        set: PatchSet,
        branch: Branch,
        idx: &[usize],
    ) -> Result<Vec<f32>> {
        describe_with(&self.snapshot()?, data, set, branch, idx)
    }

    /// FPR95 and top-1 photo -> render accuracy on the samples `idx` of `data`.
    ///
    /// # Errors
    /// Candle and data errors.
    pub fn validate(&self, data: &PairDataset, idx: &[usize]) -> Result<Metrics> {
        let net = self.snapshot()?;
        let photo = describe_with(&net, data, PatchSet::PhotoA, Branch::Photo, idx)?;
        let render = describe_with(&net, data, PatchSet::RenderB, Branch::Render, idx)?;
        let all = data.tags();
        let tags: Vec<_> = idx.iter().filter_map(|&i| all.get(i).copied()).collect();
        let dim = self.net.config().descriptor_dim;
        let mc = MetricConfig {
            min_negative_distance_m: self.cfg.loss.min_negative_distance_m,
            ..MetricConfig::default()
        };
        Ok(evaluate(&photo, &render, dim, &tags, &mc))
    }
}

/// Descriptors (`idx.len() x dim`, row-major) of one patch set through one branch of `net`.
///
/// # Errors
/// Candle and data errors.
pub fn describe_with(
    net: &DescriptorNet,
    data: &PairDataset,
    set: PatchSet,
    branch: Branch,
    idx: &[usize],
) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(idx.len() * net.config().descriptor_dim);
    for chunk in idx.chunks(1024) {
        let x = data.batch(set, chunk, net.device())?;
        let y = net.branch(branch).forward(&x)?.detach();
        out.extend(y.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?);
    }
    Ok(out)
}

/// A fixed validation subset: `count` sample indices of `n`, drawn with `seed`, sorted.
pub fn validation_indices(n: usize, count: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5641_4c49_4441_5445);
    let mut v = sample(&mut rng, n, count.min(n)).into_vec();
    v.sort_unstable();
    v
}
