//! `lsar eval`: localization accuracy on rendered photo-like queries, as LandscapeAR
//! evaluates it (Brejcha et al., ECCV 2020, section 5: rotation, position and FOV errors as
//! cumulative curves and recalls).
//!
//! One run: the terrain (procedural with a seed reserved for evaluation, or DEM files) and a
//! region; per descriptor a region pack built with the builder's profile grid (cached,
//! [`packs`]); queries drawn at random poses inside the pack and rendered in the held-out
//! photo appearance ([`queries`]); each query localized with every descriptor from a noisy
//! GPS prior alone (no heading, no FOV); errors summarised per descriptor ([`metrics`]) and
//! plotted ([`plot`]). Queries are localized one after another, so the times are those of a
//! single call on an otherwise idle localizer.
//!
//! These are synthetic queries rendered from the same terrain model as the pack (real DEM
//! heights where a DEM is given), not real photographs.

pub mod diagnose;
pub mod error;
pub mod metrics;
pub mod packs;
pub mod plot;
pub mod queries;

use std::path::PathBuf;
use std::time::Instant;

use indicatif::ProgressBar;
use lsar_core::localizer::Timings;
use lsar_core::pack::{Bounds, DescriptorEncoding, PackReader};
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localizer, LocalizerOptions};
use serde::Serialize;
use serde_json::{Value, json};

pub use error::{EvalError, Result};
pub use metrics::{QueryErrors, Summary, summarise};
pub use queries::{QuerySpec, Rejections};

use crate::dataset::policy::{FIRST_EVAL_SEED, HELD_OUT_PALETTE};
use crate::pack_build::{DescriptorChoice, Profile};
use crate::render::TerrainModel;

/// One descriptor's name and its per-query errors (a curve of the plot).
pub type Series = (String, Vec<QueryErrors>);

/// Everything that decides an evaluation run.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Terrain identity for the pack cache key (seed or DEM files).
    pub terrain_key: Value,
    /// Region of the packs.
    pub bounds: Bounds,
    /// Pack builder profile (its viewpoint grid and views).
    pub profile: Profile,
    /// Viewpoint grid spacing in metres instead of the profile's, if set.
    pub spacing_m: Option<f64>,
    /// Descriptor storage of the packs instead of the profile's (f16), if set.
    pub encoding: Option<DescriptorEncoding>,
    /// Descriptors to compare, by name.
    pub descriptors: Vec<(String, DescriptorChoice)>,
    /// Number of accepted queries.
    pub queries: usize,
    /// Seed of the query draws.
    pub seed: u64,
    /// Query pose ranges, size and GPS noise.
    pub spec: QuerySpec,
    /// Folder of cached packs.
    pub cache_dir: PathBuf,
    /// Localizer options (default: the library's).
    pub localizer: LocalizerOptions,
    /// Also trace each query and compare the stages with its true pose ([`diagnose`]).
    pub diagnose: bool,
    /// Folder for each query's image (`query-NNN.png`), if any.
    pub save_queries: Option<PathBuf>,
}

/// Refuses procedural seeds that training may use.
///
/// # Errors
/// [`EvalError::TrainingSeed`] for seeds below the first evaluation seed.
pub fn check_synth_seed(seed: u64) -> Result<()> {
    if seed < FIRST_EVAL_SEED {
        return Err(EvalError::TrainingSeed { seed, first: FIRST_EVAL_SEED });
    }
    Ok(())
}

/// The localizer's model for a descriptor choice.
///
/// # Errors
/// I/O errors reading weights.
pub fn core_model(choice: &DescriptorChoice) -> Result<DescriptorModel> {
    Ok(match choice {
        DescriptorChoice::Learned { weights } => {
            DescriptorModel::Learned { weights: std::fs::read(weights)? }
        }
        DescriptorChoice::Shipped => {
            DescriptorModel::Learned { weights: crate::default_model::MODEL_BYTES.to_vec() }
        }
        DescriptorChoice::Sift => DescriptorModel::Sift,
        DescriptorChoice::HardTFeat { npz } => {
            DescriptorModel::HardTFeat { npz: std::fs::read(npz)? }
        }
    })
}

/// One descriptor's result on one query.
#[derive(Debug, Clone, Serialize)]
struct QueryResult {
    localized: bool,
    rot_deg: Option<f64>,
    centre_m: Option<f64>,
    fov_deg: Option<f64>,
    confidence: f64,
    inliers: usize,
    ms: f64,
    reason: Option<String>,
    /// The minimal solver of the final solve (null for a failure).
    solver: Option<String>,
    /// The FOV hypothesis the query patches were cut for, degrees (null for a failure).
    patch_hfov_deg: Option<f64>,
    /// The estimated horizontal FOV, degrees (null for a failure).
    hfov_deg: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Medians of the per-stage times (milliseconds).
fn stage_medians(t: &[Timings]) -> Value {
    let m = |f: fn(&Timings) -> f64| metrics::median(&t.iter().map(f).collect::<Vec<_>>());
    json!({
        "features_ms": m(|t| t.features_ms),
        "describe_ms": m(|t| t.describe_ms),
        "retrieval_ms": m(|t| t.retrieval_ms),
        "voting_ms": m(|t| t.voting_ms),
        "matching_ms": m(|t| t.matching_ms),
        "pose_ms": m(|t| t.pose_ms),
        "refine_ms": m(|t| t.refine_ms),
        "total_ms": m(|t| t.total_ms),
    })
}

struct Entry {
    name: String,
    localizer: Localizer,
    errors: Vec<QueryErrors>,
    timings: Vec<Timings>,
    diagnoses: Vec<Option<diagnose::Diagnosis>>,
}

/// Runs an evaluation; returns the JSON report and the per-descriptor errors (for the plot).
/// Progress lines go to stderr.
///
/// # Errors
/// Pack build, rendering, localizer and I/O errors; [`EvalError::Invalid`] for no
/// descriptors or no queries.
pub fn run(model: &TerrainModel, config: &EvalConfig) -> Result<(Value, Vec<Series>)> {
    if config.descriptors.is_empty() || config.queries == 0 {
        return Err(EvalError::Invalid { what: "no descriptors or no queries" });
    }
    let spec = packs::PackSpec {
        terrain_key: &config.terrain_key,
        bounds: config.bounds,
        profile: config.profile,
        spacing_m: config.spacing_m,
        encoding: config.encoding,
    };
    let mut entries = Vec::new();
    let mut pack_json = serde_json::Map::new();
    // Every pack has the same viewpoint grid (same terrain, region and profile): queries
    // are drawn over the first one's.
    let mut grid_pack = None;
    for (name, choice) in &config.descriptors {
        let t = Instant::now();
        let (path, built) =
            packs::ensure_pack(model, &spec, choice, &config.cache_dir, &ProgressBar::hidden())?;
        let pack = PackReader::open(&path, None)?;
        if grid_pack.is_none() {
            grid_pack = Some(PackReader::open(&path, None)?);
        }
        eprintln!(
            "eval: {name} pack {} ({}, {:.1} s)",
            path.display(),
            if built { "built" } else { "cached" },
            t.elapsed().as_secs_f64()
        );
        pack_json.insert(
            name.clone(),
            json!({
                "file": path.file_name().map(|f| f.to_string_lossy().to_string()),
                "viewpoints": pack.viewpoints().len(),
                "views": pack.views().len(),
                "keypoints": pack.keypoints().len(),
                "bytes": pack.file_len(),
            }),
        );
        let localizer = Localizer::open(vec![pack], core_model(choice)?)?
            .with_options(config.localizer.clone());
        entries.push(Entry {
            name: name.clone(),
            localizer,
            errors: Vec::new(),
            timings: Vec::new(),
            diagnoses: Vec::new(),
        });
    }
    let grid_pack = grid_pack.ok_or(EvalError::Invalid { what: "no descriptors" })?;
    let mut rejected = Rejections::default();
    let mut per_query = Vec::new();
    let mut depths = Vec::new();
    if let Some(dir) = &config.save_queries {
        std::fs::create_dir_all(dir)?;
    }
    for i in 0..config.queries {
        let q =
            queries::draw_query(model, &grid_pack, &config.spec, config.seed, i, &mut rejected)?;
        let (w, h) = (q.view.colour.width() as usize, q.view.colour.height() as usize);
        let image = Image::from_u8(w, h, 3, q.view.colour.as_raw())
            .map_err(|e| EvalError::Core { source: e.into() })?;
        let priors = queries::query_priors(&q.camera, q.gps, i, &config.spec, config.seed);
        if let Some(dir) = &config.save_queries {
            q.view
                .colour
                .save(dir.join(format!("query-{i:03}.png")))
                .map_err(std::io::Error::other)?;
        }
        let mut results = serde_json::Map::new();
        let mut line = format!("eval: query {i}:");
        for e in &mut entries {
            let outcome = e.localizer.localize(&image, &priors)?;
            let (err, result) = match &outcome {
                Ok(loc) => {
                    let err = metrics::errors(loc, &q.camera.intrinsics, &q.camera.pose)?;
                    e.timings.push(loc.timings_ms);
                    line.push_str(&format!(
                        " {} {:.2} deg {:.0} m c{:.2};",
                        e.name, err.rot_deg, err.centre_m, err.confidence
                    ));
                    let r = QueryResult {
                        localized: true,
                        rot_deg: finite(err.rot_deg),
                        centre_m: finite(err.centre_m),
                        fov_deg: finite(err.fov_deg),
                        confidence: loc.confidence,
                        inliers: loc.inliers,
                        ms: loc.timings_ms.total_ms,
                        reason: None,
                        solver: Some(loc.solver.clone()),
                        patch_hfov_deg: Some(loc.patch_hfov_deg),
                        hfov_deg: loc.camera_and_pose().ok().map(|(c, _)| c.hfov_deg()),
                    };
                    (err, r)
                }
                Err(n) => {
                    e.timings.push(n.timings_ms);
                    line.push_str(&format!(" {} failed ({});", e.name, n.reason));
                    let r = QueryResult {
                        localized: false,
                        rot_deg: None,
                        centre_m: None,
                        fov_deg: None,
                        confidence: 0.0,
                        inliers: 0,
                        ms: n.timings_ms.total_ms,
                        reason: Some(n.reason.to_string()),
                        solver: None,
                        patch_hfov_deg: None,
                        hfov_deg: None,
                    };
                    (QueryErrors::failure(n.timings_ms.total_ms), r)
                }
            };
            e.errors.push(err);
            let mut value = serde_json::to_value(result).unwrap_or(Value::Null);
            if config.diagnose {
                let truth = diagnose::Truth {
                    camera: &q.camera.intrinsics,
                    pose: &q.camera.pose,
                    surface: &q.view.surface,
                };
                let d = diagnose::diagnose(&e.localizer, &image, &priors, &truth)?;
                if let Some(d) = &d {
                    line.push_str(&format!(
                        " [{} kp, possible {}/{}/{} all/top/oracle, correct {}/{} top, {}/{} oracle, best view rank {:?}, vp {:.0} m, possible by depth {:?}, true rotation {} inliers, turned {}]",
                        d.keypoints, d.possible_all, d.possible_top, d.possible_oracle,
                        d.correct, d.matches, d.oracle_correct, d.oracle_matches,
                        d.best_view_vote_rank, d.nearest_viewpoint_m, d.possible_by_depth,
                        d.true_rotation.inliers, d.turned_rotation.inliers
                    ));
                }
                value["diagnosis"] = serde_json::to_value(&d).unwrap_or(Value::Null);
                e.diagnoses.push(d);
            }
            results.insert(e.name.clone(), value);
        }
        eprintln!("{line}");
        let c = q.camera.centre_geodetic();
        depths.push(q.stats.median_depth_m);
        per_query.push(json!({
            "index": q.index,
            "lat": c.lat, "lon": c.lon, "height_above_ground_m": q.height_m,
            "yaw_deg": q.angles_deg[0], "pitch_deg": q.angles_deg[1], "roll_deg": q.angles_deg[2],
            "hfov_deg": q.camera.intrinsics.hfov_deg(),
            "photo_seed": q.photo_seed,
            "terrain_fraction": q.stats.terrain_fraction,
            "median_depth_m": q.stats.median_depth_m,
            "nearest_viewpoint_m":
                queries::nearest_viewpoint_m(&grid_pack, &q.camera.pose.center()),
            "results": results,
        }));
    }
    let mut descriptors = serde_json::Map::new();
    for e in &entries {
        let mut v = serde_json::to_value(summarise(&e.errors)).unwrap_or(Value::Null);
        v["stage_median_ms"] = stage_medians(&e.timings);
        v["recall_by_median_depth"] =
            serde_json::to_value(metrics::recall_by_depth(&e.errors, &depths))
                .unwrap_or(Value::Null);
        if config.diagnose {
            let min_inliers = e.localizer.options().min_inliers;
            v["diagnosis_summary"] = diagnose::summary(&e.diagnoses, &e.errors, min_inliers);
        }
        descriptors.insert(e.name.clone(), v);
    }
    let b = &config.bounds;
    let s = &config.spec;
    let report = json!({
        "what": "synthetic photo-like queries rendered from the terrain model, not real photographs",
        "terrain": config.terrain_key,
        "bounds": { "south": b.south, "west": b.west, "north": b.north, "east": b.east },
        "profile": match config.profile { Profile::Default => "default", Profile::Tiny => "tiny" },
        "spacing_m": config.spacing_m,
        "encoding": config.encoding.map(|e| format!("{e:?}").to_lowercase()),
        "queries": config.queries,
        "seed": config.seed,
        "query_spec": {
            "size": [s.size.0, s.size.1],
            "hfov_deg": [s.hfov_deg.0, s.hfov_deg.1],
            "pitch_deg": [s.pitch_deg.0, s.pitch_deg.1],
            "roll_deg": [s.roll_deg.0, s.roll_deg.1],
            "height_above_ground_m": [s.height_m.0, s.height_m.1],
            "gps_noise_m": s.gps_noise_m,
            "gps_vertical_noise_m": s.gps_noise_m * queries::VERTICAL_NOISE_RATIO,
            "priors": queries::priors_description(s),
            "appearance": format!("renderer photo style, held-out palette {HELD_OUT_PALETTE} (never used in training)"),
        },
        "rejection_rule": {
            "rule": format!(
                "redraw a pose with no DEM data below it, with terrain on less than {:.0} % of the pixels, or with a median terrain depth below {:.0} m",
                queries::MIN_TERRAIN_FRACTION * 100.0, queries::MIN_MEDIAN_DEPTH_M),
            "rejected": rejected,
        },
        "packs": pack_json,
        "descriptors": descriptors,
        "per_query": per_query,
    });
    let series = entries.into_iter().map(|e| (e.name, e.errors)).collect();
    Ok((report, series))
}
