//! Writing the pairs of one region into shards: `pairs_per_shard` view pairs per file,
//! named `<region>-<split>-s<seed>-<index>.safetensors`, with the region's split checked
//! against the shards already in the directory.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::error::{DatasetError, Result};
use super::pairs::{PairGenerator, PairParams, PairSamples};
use super::shard::{PairShard, Split, read_shard_metadata, write_shard};
use super::store::shard_paths;
use crate::render::TerrainModel;

/// What to generate for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSpec {
    /// Region name (`synth-<seed>`, a tile name).
    pub region: String,
    /// Region id stored in the shards.
    pub region_id: u32,
    /// The region's split.
    pub split: Split,
    /// View pairs to render.
    pub pairs: usize,
    /// Seed of all random draws.
    pub seed: u64,
    /// View pairs per shard file.
    pub pairs_per_shard: usize,
    /// Pair parameters.
    pub params: PairParams,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct GenerateReport {
    /// The shard files.
    pub shards: Vec<PathBuf>,
    /// Correspondences written.
    pub samples: usize,
    /// Pairs that produced correspondences.
    pub pairs_ok: usize,
    /// Pairs for which no usable views were found.
    pub pairs_failed: usize,
}

/// Refuses to put a region into `split` when `dir` already holds it in the other split.
///
/// # Errors
/// [`DatasetError::InvalidParameter`] on a conflict; I/O errors.
pub fn check_split_consistency(dir: &Path, region: &str, split: Split) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for p in shard_paths(dir)? {
        let meta = read_shard_metadata(&p)?;
        let same = meta.get("region").is_some_and(|r| r == region);
        if same && meta.get("split").map(String::as_str) != Some(split.as_str()) {
            return Err(DatasetError::InvalidParameter {
                name: "split",
                reason: format!("region {region} is already in the other split here"),
            });
        }
    }
    Ok(())
}

fn empty_shard(spec: &GenerateSpec, origin: [f64; 3], info: String) -> PairShard {
    PairShard {
        region: spec.region.clone(),
        region_id: spec.region_id,
        split: spec.split,
        origin_ecef: origin,
        patch_size: spec.params.patch.size,
        photo_a: Vec::new(),
        render_b: Vec::new(),
        render_a: Vec::new(),
        photo_b: Vec::new(),
        points: Vec::new(),
        pair: Vec::new(),
        info,
    }
}

fn append(shard: &mut PairShard, s: PairSamples, pair: u32) {
    let o = shard.origin_ecef;
    shard.photo_a.extend(s.photo_a);
    shard.render_b.extend(s.render_b);
    shard.render_a.extend(s.render_a);
    shard.photo_b.extend(s.photo_b);
    for p in s.points {
        shard.points.push([(p[0] - o[0]) as f32, (p[1] - o[1]) as f32, (p[2] - o[2]) as f32]);
        shard.pair.push(pair);
    }
}

/// Renders `spec.pairs` view pairs of `model` and writes them to `dir`; `progress` is called
/// after each pair with the number done.
///
/// # Errors
/// [`DatasetError::InvalidParameter`] for zero sizes, a range that is empty, not finite or
/// outside its limits, or a split conflict; renderer, patch
/// and I/O errors.
pub fn generate(
    model: &TerrainModel,
    spec: &GenerateSpec,
    dir: &Path,
    progress: &mut dyn FnMut(usize),
) -> Result<GenerateReport> {
    if spec.pairs_per_shard == 0 || spec.params.per_pair == 0 {
        let reason = "pairs per shard and correspondences per pair must be positive".into();
        return Err(DatasetError::InvalidParameter { name: "sizes", reason });
    }
    spec.params.validate()?;
    check_split_consistency(dir, &spec.region, spec.split)?;
    std::fs::create_dir_all(dir)?;
    let o = model.frame().origin_ecef();
    let origin = [o.x, o.y, o.z];
    let info = json!({
        "generator": "lsar dataset pairs", "seed": spec.seed, "per_pair": spec.params.per_pair,
        "fov_deg": [spec.params.fov_deg.0, spec.params.fov_deg.1],
        "height_m": [spec.params.height_m.0, spec.params.height_m.1],
        "baseline_m": [spec.params.baseline_m.0, spec.params.baseline_m.1],
        "target_depth_m": [spec.params.target_depth_m.0, spec.params.target_depth_m.1],
        "match_radius_m": spec.params.match_radius_m,
        "sampling": spec.params.sampling.as_str(),
        "held_out_palette_only_in_val": true,
    })
    .to_string();
    let mut generator = PairGenerator::new(model, spec.params.clone(), spec.split);
    let mut report = GenerateReport::default();
    let mut shard = empty_shard(spec, origin, info.clone());
    let flush = |shard: &mut PairShard, report: &mut GenerateReport| -> Result<()> {
        if shard.is_empty() {
            return Ok(());
        }
        let name = format!(
            "{}-{}-s{}-{:04}.safetensors",
            spec.region,
            spec.split.as_str(),
            spec.seed,
            report.shards.len()
        );
        let path = dir.join(name);
        write_shard(&path, shard)?;
        report.samples += shard.len();
        report.shards.push(path);
        *shard = empty_shard(spec, origin, info.clone());
        Ok(())
    };
    for k in 0..spec.pairs {
        match generator.pair(spec.seed, k as u64)? {
            Some(s) => {
                report.pairs_ok += 1;
                append(&mut shard, s, k as u32);
            }
            None => report.pairs_failed += 1,
        }
        if (k + 1) % spec.pairs_per_shard == 0 {
            flush(&mut shard, &mut report)?;
        }
        progress(k + 1);
    }
    flush(&mut shard, &mut report)?;
    Ok(report)
}
