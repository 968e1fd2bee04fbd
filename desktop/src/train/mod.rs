//! Training the cross-domain descriptor network of LandscapeAR (Brejcha et al., ECCV 2020)
//! in candle on pair shards ([`crate::dataset`]).
//!
//! - [`loss`]: the HardNet-style loss (Mishchuk et al., NeurIPS 2017) with LandscapeAR's 3D
//!   masking, adaptive semi-hard negatives, uniform render negatives and auxiliary terms;
//! - [`adam`]: Adam with saveable moments;
//! - [`trainer`]: one step, description and validation;
//! - [`metrics`]: FPR95 and top-1 photo -> render accuracy;
//! - [`compare`]: several descriptors validated on the same pairs;
//! - [`checkpoint`]: safetensors weights + optimiser state + JSON state, and resuming.
//!
//! Train on the CPU or CUDA: candle's Metal conv2d weight gradient is wrong (open PR
//! huggingface/candle#3839), so a Metal path would need a gradient check against the CPU.

pub mod adam;
pub mod checkpoint;
pub mod compare;
mod error;
pub mod loss;
pub mod metrics;
pub mod trainer;

pub use error::{Result, TrainError};
pub use trainer::{LrSchedule, StepStats, TrainConfig, Trainer, describe_with, validation_indices};
