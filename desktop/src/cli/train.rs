//! `lsar train`: train the cross-domain descriptor on pair shards, with validation,
//! checkpoints and resume.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use candle_core::{DType, Device};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lsar_desktop::dataset::{PairDataset, PatchSet, Split};
use lsar_desktop::train::adam::AdamConfig;
use lsar_desktop::train::checkpoint::{load_checkpoint, save_checkpoint};
use lsar_desktop::train::loss::LossConfig;
use lsar_desktop::train::metrics::Metrics;
use lsar_desktop::train::{LrSchedule, TrainConfig, Trainer, validation_indices};
use serde_json::{Value, json};

use ship::TrainCommand;

mod ship;

/// Hyper-parameter presets; explicit flags override them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Recipe {
    /// LandscapeAR's: Adam 1e-5 constant, batch 300.
    Landscapear,
    /// For short CPU runs (models/README.md): Adam 2e-4 with --warmup steps of linear
    /// warm-up and cosine decay to --lr-floor at --steps, batch 128.
    CpuShort,
}

/// Learning-rate schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    /// Constant.
    Constant,
    /// Linear warm-up, then cosine decay over --steps.
    Cosine,
}

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceArg {
    /// The CPU (default).
    Cpu,
    /// CUDA device 0 (needs a build with candle's `cuda` feature).
    Cuda,
}

/// Arguments of `lsar train`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TrainArgs {
    /// Compare or export instead of training.
    #[command(subcommand)]
    command: Option<TrainCommand>,
    /// Directory of pair shards (`lsar dataset pairs`); the `train` split is used.
    #[arg(long, required = true)]
    data: Option<PathBuf>,
    /// Directory with the validation (`val`) shards; defaults to --data.
    #[arg(long)]
    val_data: Option<PathBuf>,
    /// Output directory: `checkpoint/` (model.safetensors, optimizer.safetensors,
    /// state.json), `steps.jsonl`, `validation.jsonl`.
    #[arg(long, required = true)]
    out: Option<PathBuf>,
    /// Hyper-parameter preset.
    #[arg(long, value_enum, default_value = "landscapear")]
    recipe: Recipe,
    /// Adam learning rate (overrides the recipe).
    #[arg(long)]
    lr: Option<f64>,
    /// Samples per step (overrides the recipe).
    #[arg(long)]
    batch: Option<usize>,
    /// Train until this many steps in total (a resumed run counts its earlier steps).
    #[arg(long, default_value_t = 1000)]
    steps: u64,
    /// Learning-rate schedule (overrides the recipe).
    #[arg(long, value_enum)]
    schedule: Option<ScheduleArg>,
    /// Warm-up steps of the cosine schedule.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// Final learning-rate factor of the cosine schedule.
    #[arg(long, default_value_t = 0.05)]
    lr_floor: f64,
    /// Seed of the initial weights and all random draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Continue from `<out>/checkpoint` (its configuration wins over the flags).
    #[arg(long, conflicts_with = "init")]
    resume: bool,
    /// Start a new run (step 0, fresh optimiser state, the flags' configuration and
    /// schedule) from these weights (safetensors with DESIGN.md's tensor names, F32 or F16)
    /// instead of random ones: fine-tuning, or continuing a finished run with a new
    /// schedule.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Validate (and checkpoint) every N steps.
    #[arg(long, default_value_t = 500)]
    val_every: u64,
    /// Validation pairs (a fixed subset of the validation split).
    #[arg(long, default_value_t = 1000)]
    val_samples: usize,
    /// Triplet margin.
    #[arg(long, default_value_t = 0.2)]
    margin: f32,
    /// Adaptive semi-hard coefficient c.
    #[arg(long, default_value_t = 0.23)]
    adaptive_coeff: f32,
    /// Negatives closer than this in 3D (metres) are masked.
    #[arg(long, default_value_t = 50.0)]
    min_negative_distance: f64,
    /// Always use the hardest negative (HardNet) instead of adaptive semi-hard.
    #[arg(long)]
    hardest: bool,
    /// Drop the uniform render-negative term.
    #[arg(long)]
    no_uniform: bool,
    /// Add the auxiliary photo-photo and render-render terms.
    #[arg(long)]
    aux: bool,
    /// Compute device.
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceArg,
}

fn config(a: &TrainArgs) -> TrainConfig {
    let (lr, batch, schedule) = match a.recipe {
        Recipe::Landscapear => (1e-5, 300, ScheduleArg::Constant),
        Recipe::CpuShort => (2e-4, 128, ScheduleArg::Cosine),
    };
    let schedule = match a.schedule.unwrap_or(schedule) {
        ScheduleArg::Constant => LrSchedule::Constant,
        ScheduleArg::Cosine => {
            LrSchedule::Cosine { warmup: a.warmup, total: a.steps, floor: a.lr_floor }
        }
    };
    TrainConfig {
        batch: a.batch.unwrap_or(batch),
        seed: a.seed,
        adam: AdamConfig { lr: a.lr.unwrap_or(lr), ..Default::default() },
        loss: LossConfig {
            margin: a.margin,
            adaptive_coeff: a.adaptive_coeff,
            min_negative_distance_m: a.min_negative_distance,
            hardest: a.hardest,
            uniform_negatives: !a.no_uniform,
            aux: a.aux,
            ..Default::default()
        },
        schedule,
    }
}

fn append_json(path: &Path, v: &Value) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(f, "{v}")?;
    Ok(())
}

fn validate(t: &Trainer, val: Option<(&PairDataset, &[usize])>) -> anyhow::Result<Option<Metrics>> {
    match val {
        Some((d, idx)) => Ok(Some(t.validate(d, idx)?)),
        None => Ok(None),
    }
}

/// Runs `lsar train`.
pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    let (data, out) = match (&a.command, &a.data, &a.out) {
        (Some(cmd), _, _) => return ship::run(cmd),
        (None, Some(d), Some(o)) => (d.clone(), o.clone()),
        _ => anyhow::bail!("lsar train needs --data and --out"),
    };
    let device = match a.device {
        DeviceArg::Cpu => Device::Cpu,
        DeviceArg::Cuda => {
            Device::new_cuda(0).context("CUDA device 0 (build with candle's cuda feature)")?
        }
    };
    // Only the patch sets the loss reads are held in memory (half the bytes without --aux).
    let sets: &[PatchSet] = if a.aux { &PatchSet::ALL } else { &PatchSet::CROSS };
    let train = PairDataset::load_dir_sets(&data, Split::Train, sets)
        .with_context(|| format!("training shards in {}", data.display()))?;
    let val_dir = a.val_data.clone().unwrap_or_else(|| data.clone());
    let val = match PairDataset::load_dir_sets(&val_dir, Split::Val, &PatchSet::CROSS) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("warning: no validation data ({e}); training without validation");
            None
        }
    };
    std::fs::create_dir_all(&out)?;
    let ckpt = out.join("checkpoint");
    let (mut trainer, mut history) = if a.resume {
        let (t, s) = load_checkpoint(&ckpt, &device)
            .with_context(|| format!("resuming from {}", ckpt.display()))?;
        if t.config() != &config(&a) {
            eprintln!("note: resuming with the checkpoint's configuration, not the flags'");
        }
        (t, s.history)
    } else if let Some(init) = &a.init {
        let weights = candle_core::safetensors::load(init, &Device::Cpu)
            .with_context(|| format!("initial weights {}", init.display()))?;
        let net = lsar_vision::Config::default();
        let t = Trainer::from_tensors(config(&a), &net, &weights, DType::F32, &device)?;
        let sha = ship::sha256_hex(&std::fs::read(init)?);
        (
            t,
            json!({ "validation": [], "init": { "file": init.display().to_string(), "sha256": sha } }),
        )
    } else {
        let t = Trainer::new(config(&a), &lsar_vision::Config::default(), &device)?;
        (t, json!({ "validation": [] }))
    };
    let seed = trainer.config().seed;
    let val_idx = val.as_ref().map(|v| validation_indices(v.len(), a.val_samples, seed));
    let val_ref = val.as_ref().zip(val_idx.as_deref());
    eprintln!(
        "training: {} train samples, {} validation pairs, batch {}, lr {:e}, step {} -> {}",
        train.len(),
        val_idx.as_ref().map_or(0, Vec::len),
        trainer.config().batch,
        trainer.config().adam.lr,
        trainer.step_count(),
        a.steps
    );
    let record = |t: &Trainer, history: &mut Value| -> anyhow::Result<()> {
        let m = validate(t, val_ref)?;
        let entry = json!({ "step": t.step_count(), "metrics": m });
        append_json(&out.join("validation.jsonl"), &entry)?;
        if let Some(list) = history.get_mut("validation").and_then(Value::as_array_mut) {
            list.push(entry);
        }
        if let Some(m) = m {
            eprintln!(
                "step {}: FPR95 {:.4}, top-1 {:.4} ({} pairs)",
                t.step_count(),
                m.fpr95,
                m.top1,
                m.pairs
            );
        }
        save_checkpoint(&ckpt, t, history.clone())?;
        Ok(())
    };
    if trainer.step_count() == 0 {
        record(&trainer, &mut history)?;
    }
    let bar = ProgressBar::new(a.steps);
    bar.set_position(trainer.step_count());
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} steps  {msg}  [{elapsed_precise} < {eta_precise}]",
    )?);
    let mut smooth = None::<f32>;
    let start = Instant::now();
    while trainer.step_count() < a.steps {
        let s = trainer.step(&train)?;
        let ema = smooth.map_or(s.loss, |e| 0.9 * e + 0.1 * s.loss);
        smooth = Some(ema);
        bar.set_message(format!("loss {:.4} (avg {ema:.4})", s.loss));
        bar.inc(1);
        append_json(&out.join("steps.jsonl"), &serde_json::to_value(s)?)?;
        if s.step % a.val_every.max(1) == 0 || s.step == a.steps {
            bar.suspend(|| record(&trainer, &mut history))?;
        }
    }
    bar.finish();
    let summary = json!({
        "step": trainer.step_count(),
        "seconds": start.elapsed().as_secs_f64(),
        "checkpoint": ckpt.display().to_string(),
        "validation": history.get("validation").and_then(|v| v.as_array()).and_then(|v| v.last()),
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
