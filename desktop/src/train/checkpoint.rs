//! Checkpoints: a directory with
//!
//! - `model.safetensors`: the weights, F32, tensor names exactly as DESIGN.md
//!   (`photo.conv{1..4}.{weight,bias}`, `render.conv{1..4}.{weight,bias}`,
//!   `head.conv.{weight,bias}`, `head.fc.{weight,bias}`; PyTorch layouts), loadable by
//!   `lsar_vision::descriptor::weights::load_from_file`;
//! - `optimizer.safetensors`: Adam's moments `m.<name>` and `v.<name>`;
//! - `state.json`: format tag, step, Adam's step count and the whole [`TrainConfig`] (seed
//!   included), plus any validation history the caller passes.
//!
//! Each file is written under a temporary name and renamed, the state last, so an
//! interrupted save leaves the previous state valid. Because the optimiser state and the
//! per-step random streams are saved, a resumed run repeats an uninterrupted one.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use lsar_vision::Config;
use serde::{Deserialize, Serialize};

use super::error::{Result, TrainError};
use super::trainer::{TrainConfig, Trainer};

/// The `format` value of `state.json`.
pub const STATE_FORMAT: &str = "lsar-train-state";

/// The contents of `state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Always [`STATE_FORMAT`].
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// Steps done.
    pub step: u64,
    /// Adam's step count (equal to `step`; kept for bias correction).
    pub adam_step: u64,
    /// The run's configuration, seed included.
    pub config: TrainConfig,
    /// Free JSON the caller keeps across resumes (e.g. the validation curve).
    #[serde(default)]
    pub history: serde_json::Value,
}

fn save_tensors(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    let tmp = path.with_extension("safetensors.tmp");
    let f32s = tensors
        .iter()
        .map(|(k, t)| Ok((k.clone(), t.to_dtype(DType::F32)?.to_device(&Device::Cpu)?)))
        .collect::<Result<HashMap<_, _>>>()?;
    candle_core::safetensors::save(&f32s, &tmp)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Writes the checkpoint of `trainer` into `dir` (created if needed).
///
/// # Errors
/// I/O and candle errors.
pub fn save_checkpoint(dir: &Path, trainer: &Trainer, history: serde_json::Value) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    save_tensors(&trainer.weights(), &dir.join("model.safetensors"))?;
    save_tensors(&trainer.adam().state_tensors(), &dir.join("optimizer.safetensors"))?;
    let state = TrainState {
        format: STATE_FORMAT.into(),
        version: 1,
        step: trainer.step_count(),
        adam_step: trainer.adam().step_count(),
        config: trainer.config().clone(),
        history,
    };
    let tmp = dir.join("state.json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&state)?)?;
    std::fs::rename(&tmp, dir.join("state.json"))?;
    Ok(())
}

/// Reads `state.json` of a checkpoint.
///
/// # Errors
/// I/O and JSON errors; [`TrainError::Checkpoint`] for another format.
pub fn read_state(dir: &Path) -> Result<TrainState> {
    let state: TrainState = serde_json::from_slice(&std::fs::read(dir.join("state.json"))?)?;
    if state.format != STATE_FORMAT || state.version != 1 {
        return Err(TrainError::Checkpoint { reason: "not an lsar training state v1".into() });
    }
    Ok(state)
}

/// Restores a trainer from a checkpoint directory (F32 on `device`), with its optimiser
/// state and step; returns it with the saved history.
///
/// # Errors
/// As [`read_state`]; candle errors for unreadable tensors; [`TrainError::Checkpoint`] when
/// the optimiser state does not fit the network.
pub fn load_checkpoint(dir: &Path, device: &Device) -> Result<(Trainer, TrainState)> {
    let state = read_state(dir)?;
    let weights = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)?;
    let mut trainer = Trainer::from_tensors(
        state.config.clone(),
        &Config::default(),
        &weights,
        DType::F32,
        device,
    )?;
    let moments = candle_core::safetensors::load(dir.join("optimizer.safetensors"), &Device::Cpu)?;
    trainer.adam_mut().load_state(&moments, state.adam_step)?;
    Ok((trainer, state))
}
