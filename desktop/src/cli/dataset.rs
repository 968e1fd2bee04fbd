//! `lsar dataset`: generate photo/render training pairs from DEMs with the CPU renderer.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lsar_desktop::dataset::policy::{TerrainSource, check_trainable, default_split};
use lsar_desktop::dataset::{GenerateSpec, PairParams, Sampling, Split, generate};
use lsar_desktop::dem::{Crs, Dem, Vertical, load_dems};
use lsar_desktop::render::TerrainModel;
use lsar_desktop::synth::{DEFAULT_CENTER, SynthParams, synthesize};

/// The split of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// Training.
    Train,
    /// Validation (unseen terrain, held-out photo palette).
    Val,
}

/// Where view A's candidate pixels come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    /// Keypoints of the Localizer's photo detector on A's photo-style image.
    Keypoints,
    /// Those and the pack detector's keypoints on B's render-style image.
    Both,
    /// Uniformly random pixels (LandscapeAR; mostly blank patches on untextured renders).
    Random,
}

/// `lsar dataset` subcommands.
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Render view pairs of one region and write correspondence shards (safetensors).
    Pairs {
        /// DEM files of the region (a mosaic); the region is named after the first file.
        #[arg(long, num_args = 1.., conflicts_with = "synth")]
        dem: Vec<PathBuf>,
        /// Use procedural terrain with this seed instead (seeds >= 1000 are refused:
        /// reserved for evaluation).
        #[arg(long)]
        synth: Option<u64>,
        /// CRS for DEM files that do not carry one, e.g. EPSG:4326.
        #[arg(long)]
        crs: Option<String>,
        /// What the DEM heights are relative to: egm96 or ellipsoid.
        #[arg(long, default_value = "egm96")]
        vertical: Vertical,
        /// Output directory of the shards.
        #[arg(long)]
        out: PathBuf,
        /// View pairs to render.
        #[arg(long, default_value_t = 100)]
        pairs: usize,
        /// Correspondences per pair at most.
        #[arg(long, default_value_t = 900)]
        per_pair: usize,
        /// View pairs per shard file.
        #[arg(long, default_value_t = 8)]
        pairs_per_shard: usize,
        /// Seed of all random draws.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// The region's split (default: procedural seeds with seed % 5 == 4 are val, the
        /// rest train).
        #[arg(long, value_enum)]
        split: Option<SplitArg>,
        /// Region id stored in the shards (default: the procedural seed, or a hash of the
        /// DEM name).
        #[arg(long)]
        region_id: Option<u32>,
        /// Where the candidate pixels come from.
        #[arg(long, value_enum, default_value = "both")]
        sampling: SamplingArg,
        /// Camera height above the terrain, metres (both views).
        #[arg(long, num_args = 2, value_names = ["MIN", "MAX"], default_values_t = [2.0, 400.0])]
        height_m: Vec<f64>,
        /// Horizontal distance between the two viewpoints, metres.
        #[arg(long, num_args = 2, value_names = ["MIN", "MAX"], default_values_t = [50.0, 1500.0])]
        baseline_m: Vec<f64>,
        /// Depth in view A of the terrain point view B is aimed at, metres.
        #[arg(long, num_args = 2, value_names = ["MIN", "MAX"], default_values_t = [200.0, 8000.0])]
        target_depth_m: Vec<f64>,
    },
}

fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

fn load(
    dem: &[PathBuf],
    synth: Option<u64>,
    crs: Option<&str>,
    vertical: Vertical,
) -> anyhow::Result<(TerrainSource, Dem)> {
    if let Some(seed) = synth {
        let source = TerrainSource::Synth { seed };
        check_trainable(&source, None)?;
        let p = SynthParams { seed, center: DEFAULT_CENTER, ..SynthParams::default() };
        let t = synthesize(&p).context("procedural terrain")?;
        return Ok((source, Dem::new(vec![t.grid], Vertical::Egm96)));
    }
    let first = dem.first().context("give --dem FILE... or --synth SEED")?;
    let name = first.file_stem().and_then(|s| s.to_str()).unwrap_or("dem").to_string();
    let crs = crs.map(Crs::parse).transpose().context("--crs")?;
    let d = load_dems(dem, crs, vertical).context("reading the DEM files")?;
    let source = TerrainSource::Dem { name };
    check_trainable(&source, d.bounds().as_ref())?;
    Ok((source, d))
}

/// The two values of a `num_args = 2` flag.
fn pair_of(v: &[f64]) -> anyhow::Result<(f64, f64)> {
    match v {
        [a, b] => Ok((*a, *b)),
        _ => anyhow::bail!("a range takes two values, MIN MAX"),
    }
}

/// Runs an `lsar dataset` subcommand.
pub fn run(cmd: DatasetCommand) -> anyhow::Result<()> {
    let DatasetCommand::Pairs {
        dem,
        synth,
        crs,
        vertical,
        out,
        pairs,
        per_pair,
        pairs_per_shard,
        seed,
        split,
        region_id,
        sampling,
        height_m,
        baseline_m,
        target_depth_m,
    } = cmd;
    let (source, d) = load(&dem, synth, crs.as_deref(), vertical)?;
    let model = TerrainModel::new(d).context("the DEM has no valid samples")?;
    let split = match split {
        Some(SplitArg::Train) => Split::Train,
        Some(SplitArg::Val) => Split::Val,
        None => default_split(&source),
    };
    let region = source.region_name();
    let region_id = region_id.unwrap_or(match &source {
        TerrainSource::Synth { seed } => *seed as u32,
        TerrainSource::Dem { name } => fnv1a(name) | 0x8000_0000,
    });
    let spec = GenerateSpec {
        region: region.clone(),
        region_id,
        split,
        pairs,
        seed,
        pairs_per_shard,
        params: PairParams {
            per_pair,
            sampling: match sampling {
                SamplingArg::Keypoints => Sampling::Keypoints,
                SamplingArg::Random => Sampling::Random,
                SamplingArg::Both => Sampling::Both,
            },
            height_m: pair_of(&height_m)?,
            baseline_m: pair_of(&baseline_m)?,
            target_depth_m: pair_of(&target_depth_m)?,
            ..PairParams::default()
        },
    };
    eprintln!(
        "region {region} (id {region_id}), split {}, {pairs} pairs, {} sampling",
        split.as_str(),
        spec.params.sampling.as_str()
    );
    let bar = ProgressBar::new(pairs as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:30} {pos}/{len} pairs  [{elapsed_precise} < {eta_precise}]",
    )?);
    let report = generate(&model, &spec, &out, &mut |k| bar.set_position(k as u64))?;
    bar.finish();
    let doc = serde_json::json!({
        "region": region, "region_id": region_id, "split": split.as_str(),
        "sampling": spec.params.sampling.as_str(),
        "samples": report.samples, "pairs_ok": report.pairs_ok, "pairs_failed": report.pairs_failed,
        "shards": report.shards.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}
