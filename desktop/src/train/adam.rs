//! Adam (Kingma and Ba, "Adam: A method for stochastic optimization", ICLR 2015), written
//! here rather than taken from candle-nn because candle-nn's `AdamW` keeps its moment
//! estimates private: this one exposes them, so a checkpoint holds the full optimiser state
//! and a resumed run continues exactly. The update is PyTorch's `torch.optim.Adam` without
//! weight decay: `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`,
//! `p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use serde::{Deserialize, Serialize};

use super::error::{Result, TrainError};

/// Hyper-parameters of Adam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning rate (LandscapeAR: 1e-5, constant).
    pub lr: f64,
    /// First-moment decay (0.9).
    pub beta1: f64,
    /// Second-moment decay (0.999).
    pub beta2: f64,
    /// Added to the denominator (1e-8).
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self { lr: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

#[derive(Debug)]
struct Param {
    name: String,
    var: Var,
    m: Tensor,
    v: Tensor,
}

/// The optimiser: named parameters and their moment estimates.
#[derive(Debug)]
pub struct Adam {
    cfg: AdamConfig,
    t: u64,
    params: Vec<Param>,
}

impl Adam {
    /// Adam over `params` (name, variable), moments zero, step count 0.
    ///
    /// # Errors
    /// Candle errors creating the moment tensors.
    pub fn new(params: Vec<(String, Var)>, cfg: AdamConfig) -> Result<Self> {
        let params = params
            .into_iter()
            .map(|(name, var)| {
                let m = var.zeros_like()?;
                let v = var.zeros_like()?;
                Ok(Param { name, var, m, v })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { cfg, t: 0, params })
    }

    /// Updates done so far.
    pub fn step_count(&self) -> u64 {
        self.t
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &AdamConfig {
        &self.cfg
    }

    /// Changes the learning rate (for schedules).
    pub fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }

    /// One update from the gradients; parameters without a gradient are left alone.
    ///
    /// # Errors
    /// Candle errors.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.t += 1;
        let AdamConfig { lr, beta1: b1, beta2: b2, eps } = self.cfg;
        let t = i32::try_from(self.t).unwrap_or(i32::MAX);
        let step_size = lr / (1.0 - b1.powi(t));
        let bc2 = (1.0 - b2.powi(t)).sqrt();
        for p in &mut self.params {
            let Some(g) = grads.get(p.var.as_tensor()) else { continue };
            // Detached: the gradient carries the step's graph, which the moments must not keep
            // alive (without this every step's activations stay in memory).
            let g = g.detach();
            p.m = ((&p.m * b1)? + (&g * (1.0 - b1))?)?.detach();
            p.v = ((&p.v * b2)? + (g.sqr()? * (1.0 - b2))?)?.detach();
            let denom = ((p.v.sqrt()? / bc2)? + eps)?;
            let update = ((&p.m / denom)? * step_size)?;
            p.var.set(&p.var.as_tensor().detach().sub(&update)?)?;
        }
        Ok(())
    }

    /// The moments as tensors named `m.<param>` and `v.<param>`.
    pub fn state_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::with_capacity(2 * self.params.len());
        for p in &self.params {
            out.insert(format!("m.{}", p.name), p.m.clone());
            out.insert(format!("v.{}", p.name), p.v.clone());
        }
        out
    }

    /// Restores moments (from [`Adam::state_tensors`]) and the step count.
    ///
    /// # Errors
    /// [`TrainError::Checkpoint`] when a moment is missing or has another shape.
    pub fn load_state(&mut self, tensors: &HashMap<String, Tensor>, t: u64) -> Result<()> {
        for p in &mut self.params {
            for (prefix, slot) in [("m", &mut p.m), ("v", &mut p.v)] {
                let key = format!("{prefix}.{}", p.name);
                let src = tensors.get(&key).ok_or_else(|| TrainError::Checkpoint {
                    reason: format!("optimiser state lacks {key}"),
                })?;
                if src.dims() != p.var.dims() {
                    return Err(TrainError::Checkpoint {
                        reason: format!("{key} has another shape"),
                    });
                }
                *slot = src.to_dtype(p.var.dtype())?.to_device(p.var.device())?;
            }
        }
        self.t = t;
        Ok(())
    }
}
