//! `lsar train compare` (the validation table of the model card) and `lsar train export`
//! (shipped weights + model card from a checkpoint).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use clap::{Subcommand, ValueEnum};
use lsar_desktop::dataset::{PairDataset, PatchSet, Split};
use lsar_desktop::train::checkpoint::read_state;
use lsar_desktop::train::compare::{Contender, compare};
use lsar_desktop::train::metrics::{MetricConfig, Metrics};
use lsar_desktop::train::validation_indices;
use lsar_vision::descriptor::weights::{init_tensors, load_from_file, save_safetensors};
use lsar_vision::{Branch, BranchNet, Config, DescriptorNet, HardTFeat, SiftDescriptor};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Weight precision of an exported model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DtypeArg {
    /// IEEE half precision.
    F16,
    /// Single precision.
    F32,
}

/// `lsar train` subcommands.
#[derive(Debug, Subcommand)]
pub enum TrainCommand {
    /// FPR95 and top-1 photo -> render accuracy of trained models, the untrained network, the
    /// SIFT-like baseline and HardTFeat on the same validation pairs.
    Compare {
        /// Directory with the validation (`val`) shards.
        #[arg(long)]
        data: PathBuf,
        /// Trained weights (safetensors, F32 or F16); the first is the candidate.
        #[arg(long, num_args = 1.., required = true)]
        model: Vec<PathBuf>,
        /// Seed of the untrained network's initial weights (the training run's --seed).
        #[arg(long, default_value_t = 1)]
        untrained_seed: u64,
        /// HardTFeat weights (hardtfeat.npz); the row is left out without it.
        #[arg(long)]
        hardtfeat: Option<PathBuf>,
        /// Validation pairs (the fixed subset `lsar train` validates on).
        #[arg(long, default_value_t = 1000)]
        val_samples: usize,
        /// Seed of that subset (the training run's --seed).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also write the table as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Writes a checkpoint's weights for shipping and their model card.
    Export {
        /// Checkpoint directory (`<out>/checkpoint` of `lsar train`).
        #[arg(long)]
        checkpoint: PathBuf,
        /// Output weights file (safetensors).
        #[arg(long)]
        out: PathBuf,
        /// Output model card (JSON).
        #[arg(long)]
        card: PathBuf,
        /// Weight precision.
        #[arg(long, value_enum, default_value = "f16")]
        dtype: DtypeArg,
        /// Model id (default: the file stem of --out).
        #[arg(long)]
        id: Option<String>,
        /// Table of `lsar train compare --json` to put in the card.
        #[arg(long)]
        comparison: Option<PathBuf>,
        /// How the training data was made (free text, e.g. the command).
        #[arg(long, default_value = "")]
        data_recipe: String,
    },
}

/// Runs an `lsar train` subcommand.
pub fn run(cmd: &TrainCommand) -> anyhow::Result<()> {
    match cmd {
        TrainCommand::Compare {
            data,
            model,
            untrained_seed,
            hardtfeat,
            val_samples,
            seed,
            json,
        } => run_compare(
            data,
            model,
            *untrained_seed,
            hardtfeat.as_deref(),
            *val_samples,
            *seed,
            json.as_deref(),
        ),
        TrainCommand::Export { checkpoint, out, card, dtype, id, comparison, data_recipe } => {
            run_export(
                checkpoint,
                out,
                card,
                *dtype,
                id.as_deref(),
                comparison.as_deref(),
                data_recipe,
            )
        }
    }
}

fn row(name: &str, role: &str, m: &Metrics) -> Value {
    json!({ "name": name, "role": role, "fpr95": m.fpr95, "top1": m.top1, "pairs": m.pairs })
}

/// The target: top-1 at least 10 points above the best baseline and FPR95 below all.
fn target(candidate: &Metrics, baselines: &[Metrics]) -> Value {
    let best_top1 = baselines.iter().map(|m| m.top1).fold(0.0, f64::max);
    let min_fpr = baselines.iter().map(|m| m.fpr95).fold(1.0, f64::min);
    let met = candidate.top1 >= best_top1 + 0.10 && candidate.fpr95 < min_fpr;
    json!({
        "rule": "top-1 >= best baseline + 0.10 and FPR95 < every baseline",
        "best_baseline_top1": best_top1, "lowest_baseline_fpr95": min_fpr, "met": met,
    })
}

fn run_compare(
    data: &Path,
    models: &[PathBuf],
    untrained_seed: u64,
    hardtfeat: Option<&Path>,
    val_samples: usize,
    seed: u64,
    json_out: Option<&Path>,
) -> anyhow::Result<()> {
    let dev = Device::Cpu;
    let cfg = Config::default();
    let val = PairDataset::load_dir_sets(data, Split::Val, &PatchSet::CROSS)
        .with_context(|| format!("validation shards in {}", data.display()))?;
    let idx = validation_indices(val.len(), val_samples, seed);
    let nets: Vec<(String, DescriptorNet)> = models
        .iter()
        .map(|p| {
            let name = p.file_name().and_then(|s| s.to_str()).unwrap_or("model").to_string();
            let net = load_from_file(&cfg, p, DType::F32, &dev)
                .with_context(|| format!("loading {}", p.display()))?;
            Ok((name, net))
        })
        .collect::<anyhow::Result<_>>()?;
    let init = init_tensors(&cfg, untrained_seed)?;
    let untrained = DescriptorNet::new(&cfg, VarBuilder::from_tensors(init, DType::F32, &dev))?;
    let sift = SiftDescriptor::default();
    let tfeat = match hardtfeat {
        Some(p) => Some(HardTFeat::from_npz_bytes(
            &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
            &dev,
        )?),
        None => None,
    };
    let mut branches: Vec<(String, &str, BranchNet<'_>, BranchNet<'_>)> = nets
        .iter()
        .map(|(n, net)| (n.clone(), "model", net.branch(Branch::Photo), net.branch(Branch::Render)))
        .collect();
    let (p, r) = (untrained.branch(Branch::Photo), untrained.branch(Branch::Render));
    branches.push((format!("untrained (seed {untrained_seed})"), "baseline", p, r));
    let mut list: Vec<Contender<'_>> = branches
        .iter()
        .map(|(name, _, p, r)| Contender { name: name.clone(), photo: p, render: r })
        .collect();
    let mut roles: Vec<&str> = branches.iter().map(|b| b.1).collect();
    list.push(Contender { name: "sift-baseline".into(), photo: &sift, render: &sift });
    roles.push("baseline");
    if let Some(t) = &tfeat {
        list.push(Contender { name: "hardtfeat".into(), photo: t, render: t });
        roles.push("baseline");
    }
    let results = compare(&val, &idx, &list, &MetricConfig::default())?;
    println!("| descriptor | FPR95 (lower is better) | top-1 photo -> render |");
    println!("|---|---|---|");
    for (name, m) in &results {
        println!("| {name} | {:.4} | {:.4} |", m.fpr95, m.top1);
    }
    let baselines: Vec<Metrics> = results
        .iter()
        .zip(&roles)
        .filter(|(_, r)| **r == "baseline")
        .map(|((_, m), _)| *m)
        .collect();
    let verdict = results.first().map(|(_, m)| target(m, &baselines));
    println!(
        "validation pairs: {} (seed {seed}); target: {}",
        idx.len(),
        verdict.clone().unwrap_or(Value::Null)
    );
    if let Some(p) = json_out {
        let rows: Vec<Value> = results.iter().zip(&roles).map(|((n, m), r)| row(n, r, m)).collect();
        let doc = json!({
            "validation": { "pairs": idx.len(), "seed": seed, "samples_in_split": val.len() },
            "rows": rows,
            "target": verdict,
        });
        std::fs::write(p, serde_json::to_string_pretty(&doc)?)?;
    }
    Ok(())
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn run_export(
    checkpoint: &Path,
    out: &Path,
    card: &Path,
    dtype: DtypeArg,
    id: Option<&str>,
    comparison: Option<&Path>,
    data_recipe: &str,
) -> anyhow::Result<()> {
    let state = read_state(checkpoint)?;
    let weights: HashMap<String, candle_core::Tensor> =
        candle_core::safetensors::load(checkpoint.join("model.safetensors"), &Device::Cpu)?;
    let dt = match dtype {
        DtypeArg::F16 => DType::F16,
        DtypeArg::F32 => DType::F32,
    };
    save_safetensors(&weights, dt, out)?;
    let bytes = std::fs::read(out)?;
    let cfg = Config::default();
    // The written file must load as the network.
    lsar_vision::descriptor::weights::load_from_bytes(&cfg, &bytes, DType::F32, &Device::Cpu)?;
    let id = id
        .map(str::to_string)
        .or_else(|| out.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .unwrap_or_else(|| "lsar-desc".into());
    let comparison = match comparison {
        Some(p) => serde_json::from_slice::<Value>(&std::fs::read(p)?)?,
        None => Value::Null,
    };
    let doc = json!({
        "id": id,
        "file": out.file_name().and_then(|s| s.to_str()),
        "sha256": sha256_hex(&bytes),
        "bytes": bytes.len(),
        "dtype": match dtype { DtypeArg::F16 => "f16", DtypeArg::F32 => "f32" },
        "architecture": {
            "name": "MultimodalPatchNet5lShared2l (LandscapeAR, Brejcha et al., ECCV 2020)",
            "in_channels": cfg.in_channels,
            "branch_channels": cfg.branch_channels,
            "head_channels": cfg.head_channels,
            "descriptor_dim": cfg.descriptor_dim,
            "patch_size": cfg.patch_size,
            "kernel": cfg.kernel,
            "stride": cfg.stride,
            "std_eps": cfg.std_eps,
            "input": "RGB patch in [0, 1], standardised per patch; photo branch for photographs, render branch for rendered terrain",
        },
        "training": {
            "steps": state.step,
            "config": state.config,
            "validation_curve": state.history.get("validation"),
        },
        "data": data_recipe,
        "comparison": comparison,
    });
    std::fs::write(card, serde_json::to_string_pretty(&doc)? + "\n")?;
    println!(
        "{}",
        serde_json::to_string_pretty(
            &json!({ "id": doc["id"], "sha256": doc["sha256"], "bytes": bytes.len() })
        )?
    );
    Ok(())
}
