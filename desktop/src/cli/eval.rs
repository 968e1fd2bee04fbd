//! `lsar eval`: localization accuracy of each descriptor on rendered photo-like queries
//! (see [`lsar_desktop::eval`]); writes the JSON report and the cumulative-curve PNG.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use lsar_core::localizer::Detector;
use lsar_core::pack::Bounds;
use lsar_desktop::dem::{Dem, Vertical};
use lsar_desktop::eval::{EvalConfig, QuerySpec, check_synth_seed, plot::write_plot, run};
use lsar_desktop::pack_build::{DescriptorChoice, Profile, bounds_around};
use lsar_desktop::render::TerrainModel;
use lsar_desktop::synth::{DEFAULT_CENTER, SynthParams, synthesize};
use serde_json::json;

use super::dem::DemArgs;
use super::localize::emit;
use super::pack::build::EncodingArg;

/// Default HardTFeat weights (the shared data beside the clone).
pub const DEFAULT_HARDTFEAT: &str = "../shared/data/descriptors/hardtfeat.npz";

/// Descriptors `lsar eval` compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalDescriptor {
    /// The learned network (`--model`, default: the model embedded in `lsar`).
    Learned,
    /// The SIFT-like baseline.
    Sift,
    /// HardTFeat (`--hardtfeat`).
    Hardtfeat,
}

/// Pack builder profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalProfile {
    /// The builder's default grid: 1 km spacing, 12 views of 60 degrees at 1024 px.
    Default,
    /// The tiny grid: at most 4 viewpoints 4 km apart, 6 views at 384 px (smoke runs).
    Tiny,
}

/// Arguments of `lsar eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// DEM files (default: procedural terrain of --seed, which must be >= 1000).
    #[arg(long, num_args = 1..)]
    dem: Vec<PathBuf>,
    /// CRS for DEM files that do not carry one (EPSG:4326, EPSG:326zz).
    #[arg(long, requires = "dem")]
    crs: Option<String>,
    /// Region centre, degrees (required with --dem; procedural: the terrain's centre).
    #[arg(long, num_args = 2, value_names = ["LAT", "LON"], allow_negative_numbers = true)]
    center: Option<Vec<f64>>,
    /// Region radius, km: the packs cover this square around the centre.
    #[arg(long, default_value_t = 3.0)]
    radius: f64,
    /// Number of accepted queries.
    #[arg(long, default_value_t = 100)]
    queries: usize,
    /// Seed of the query draws, and of the procedural terrain without --dem (>= 1000).
    #[arg(long, default_value_t = 1000)]
    seed: u64,
    /// One-sigma GPS noise per horizontal axis, metres (the prior's accuracy, at least 5 m).
    #[arg(long, default_value_t = 20.0)]
    gps_noise: f64,
    /// Descriptors to compare, comma separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "learned,sift,hardtfeat")]
    descriptors: Vec<EvalDescriptor>,
    /// Learned model weights (safetensors); default: the model embedded in `lsar`
    /// (`models/lsar-desc-v1.safetensors` at build time).
    #[arg(long)]
    model: Option<PathBuf>,
    /// HardTFeat weights (npz).
    #[arg(long, default_value = DEFAULT_HARDTFEAT)]
    hardtfeat: PathBuf,
    /// Pack builder profile.
    #[arg(long, value_enum, default_value = "default")]
    profile: EvalProfile,
    /// Also give the Localizer each query's true FOV as an EXIF-like prior, as a phone
    /// photo's focal length would (not part of the default run).
    #[arg(long)]
    fov_prior: bool,
    /// Also give the Localizer each query's gravity direction, tilted by this one-sigma
    /// noise per axis in degrees, as a phone's accelerometer would (not part of the default
    /// run).
    #[arg(long)]
    gravity_prior: Option<f64>,
    /// Viewpoint grid spacing of the packs, metres (default: the profile's: 1000, tiny
    /// 4000). Denser grids put viewpoints nearer the queries and make larger packs. Queries
    /// are drawn inside the rectangle of the viewpoints, so a spacing that does not divide
    /// the radius also moves the queries.
    #[arg(long)]
    spacing: Option<f64>,
    /// Cell size of the procedural DEM, metres (default 30, SRTM1's; 90 gives SRTM3's
    /// resolution, as the Colorado grid has). Enters the pack cache key only when set.
    #[arg(long, conflicts_with = "dem")]
    synth_cell: Option<f64>,
    /// Descriptor storage of the packs (default: the profile's, f16). Enters the pack cache
    /// key only when set.
    #[arg(long, value_enum)]
    encoding: Option<EncodingArg>,
    /// Query image size, pixels.
    #[arg(long, num_args = 2, value_names = ["W", "H"], default_values_t = [1024, 768])]
    size: Vec<u32>,
    /// Folder of cached packs (reused when their parameters match).
    #[arg(long, default_value = "lsar-eval-cache")]
    cache: PathBuf,
    /// The JSON report.
    #[arg(long)]
    json: PathBuf,
    /// The cumulative-curve PNG.
    #[arg(long)]
    plot: PathBuf,
    /// Contrast threshold of the Localizer's query DoG detector (default: the library's).
    #[arg(long)]
    query_contrast: Option<f32>,
    /// Query DoG in the doubled scale space of the pack views (default: the library's).
    #[arg(long)]
    query_doubled: Option<bool>,
    /// Most query keypoints kept, strongest first (default: the library's).
    #[arg(long)]
    query_max_keypoints: Option<usize>,
    /// FOV hypotheses (degrees, comma separated) tried in order when the FOV is unknown
    /// (default: the library's).
    #[arg(long, value_delimiter = ',')]
    fov_hypotheses: Option<Vec<f64>>,
    /// Nearest viewpoints whose views the Localizer votes over (default: the library's).
    #[arg(long)]
    max_viewpoints: Option<usize>,
    /// Views the Localizer matches in full after voting (default: the library's).
    #[arg(long)]
    top_views: Option<usize>,
    /// Use the GPS fix as the centre of the first solve's hypotheses (default: the
    /// library's).
    #[arg(long)]
    gps_anchor: Option<bool>,
    /// Nearest pack descriptors per query descriptor in the GPS-anchored first solve
    /// (default: the library's).
    #[arg(long)]
    anchor_neighbours: Option<usize>,
    /// Fewest distinct query keypoints among the GPS-anchored first solve's inliers
    /// (default: the library's).
    #[arg(long)]
    anchor_min_inliers: Option<usize>,
    /// Fewest distinct inliers of an anchored first solve short of the count requirement for
    /// the heading peak test (default: the library's; a huge value turns the test off).
    #[arg(long)]
    peak_min_inliers: Option<usize>,
    /// Also trace each query through the Localizer's stages and compare them with its true
    /// pose (repeatable keypoints, view choice, correct matches): the `diagnosis` of each
    /// per-query result. Slower; for finding which stage loses queries.
    #[arg(long)]
    diagnose: bool,
    /// Also write each query's photo-like image to this folder (`query-NNN.png`, NNN the
    /// query index of the report), to look at the queries that fail.
    #[arg(long)]
    save_queries: Option<PathBuf>,
}

fn descriptors(args: &EvalArgs) -> anyhow::Result<Vec<(String, DescriptorChoice)>> {
    let mut out = Vec::new();
    for d in &args.descriptors {
        let choice = match d {
            EvalDescriptor::Learned => match &args.model {
                Some(path) if !path.is_file() => {
                    bail!("the learned model {} does not exist", path.display())
                }
                Some(path) => DescriptorChoice::Learned { weights: path.clone() },
                None => DescriptorChoice::Shipped,
            },
            EvalDescriptor::Sift => DescriptorChoice::Sift,
            EvalDescriptor::Hardtfeat => {
                if !args.hardtfeat.is_file() {
                    bail!(
                        "HardTFeat weights {} not found: pass --hardtfeat PATH",
                        args.hardtfeat.display()
                    );
                }
                DescriptorChoice::HardTFeat { npz: args.hardtfeat.clone() }
            }
        };
        if !out.iter().any(|(_, c): &(String, DescriptorChoice)| c == &choice) {
            out.push((choice.kind().to_string(), choice));
        }
    }
    Ok(out)
}

/// The terrain model, its cache key and the region centre.
fn terrain(args: &EvalArgs) -> anyhow::Result<(TerrainModel, serde_json::Value, (f64, f64))> {
    let centre = match args.center.as_deref() {
        Some([lat, lon]) => Some((*lat, *lon)),
        Some(_) => bail!("--center takes LAT LON"),
        None => None,
    };
    if args.dem.is_empty() {
        check_synth_seed(args.seed)?;
        let mut params = SynthParams { seed: args.seed, ..SynthParams::default() };
        let mut key = json!({ "synth_seed": args.seed });
        if let Some(cell) = args.synth_cell {
            params.cell_m = cell;
            key["synth_cell_m"] = json!(cell);
        }
        let terrain = synthesize(&params).context("synthesizing the terrain")?;
        let model = TerrainModel::new(Dem::new(vec![terrain.grid], Vertical::Egm96))
            .context("the terrain has no samples")?;
        return Ok((model, key, centre.unwrap_or(DEFAULT_CENTER)));
    }
    let centre = centre.context("--dem needs --center LAT LON")?;
    let dem = DemArgs { dem: args.dem.clone(), crs: args.crs.clone(), vertical: Vertical::Egm96 };
    let mut files = Vec::new();
    for f in &args.dem {
        let len = std::fs::metadata(f).with_context(|| format!("reading {}", f.display()))?.len();
        let name = f.file_name().map(|n| n.to_string_lossy().to_string());
        files.push(json!({ "name": name, "bytes": len }));
    }
    let model = TerrainModel::new(dem.load()?).context("the DEM has no valid samples")?;
    Ok((model, json!({ "dem": files, "crs": args.crs }), centre))
}

/// The Localizer's options with the query-detector flags applied.
fn localizer_options(args: &EvalArgs) -> lsar_core::LocalizerOptions {
    let mut o = lsar_core::LocalizerOptions::default();
    if let Detector::Dog { contrast_threshold, doubled } = &mut o.query.detector {
        if let Some(c) = args.query_contrast {
            *contrast_threshold = c;
        }
        if let Some(d) = args.query_doubled {
            *doubled = d;
        }
    }
    if let Some(n) = args.top_views {
        o.top_views = n;
    }
    if let Some(n) = args.max_viewpoints {
        o.max_viewpoints = n;
    }
    if let Some(n) = args.anchor_min_inliers {
        o.anchor_min_inliers = n;
    }
    if let Some(n) = args.peak_min_inliers {
        o.peak_min_inliers = n;
    }
    if let Some(k) = args.anchor_neighbours {
        o.anchor_neighbours = k;
    }
    if let Some(a) = args.gps_anchor {
        o.gps_anchor = a;
    }
    if let Some(n) = args.query_max_keypoints {
        o.query.max_keypoints = n;
    }
    if let Some(h) = &args.fov_hypotheses {
        o.query.fov_hypotheses_deg.clone_from(h);
    }
    o
}

/// Runs `lsar eval`.
pub fn run_eval(args: &EvalArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    if let Some(g) = args.gravity_prior
        && !(g.is_finite() && g >= 0.0)
    {
        bail!("--gravity-prior must be a finite non-negative noise in degrees");
    }
    let choices = descriptors(args)?;
    let (model, terrain_key, (lat, lon)) = terrain(args)?;
    let bounds: Bounds = bounds_around(lat, lon, args.radius)?;
    let size = match args.size.as_slice() {
        [w, h] if *w > 0 && *h > 0 => (*w, *h),
        _ => bail!("--size takes W H"),
    };
    let config = EvalConfig {
        terrain_key,
        bounds,
        profile: match args.profile {
            EvalProfile::Default => Profile::Default,
            EvalProfile::Tiny => Profile::Tiny,
        },
        descriptors: choices,
        spacing_m: args.spacing,
        encoding: args.encoding.map(EncodingArg::encoding),
        queries: args.queries,
        seed: args.seed,
        spec: QuerySpec {
            size,
            gps_noise_m: args.gps_noise,
            fov_prior: args.fov_prior,
            gravity_sigma_deg: args.gravity_prior,
            ..QuerySpec::default()
        },
        cache_dir: args.cache.clone(),
        localizer: localizer_options(args),
        diagnose: args.diagnose,
        save_queries: args.save_queries.clone(),
    };
    let (mut report, series) = run(&model, &config)?;
    report["seconds"] = json!(t0.elapsed().as_secs_f64());
    let title = format!(
        "lsar eval: {} queries, terrain {}, profile {:?}",
        args.queries, report["terrain"], args.profile
    );
    if let Some(dir) = args.plot.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_plot(&series, &title, &args.plot)
        .with_context(|| format!("writing {}", args.plot.display()))?;
    let mut summary = report.clone();
    if let Some(m) = summary.as_object_mut() {
        m.remove("per_query");
    }
    let text = serde_json::to_string_pretty(&report)?;
    if let Some(dir) = args.json.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.json, format!("{text}\n"))
        .with_context(|| format!("writing {}", args.json.display()))?;
    emit(&summary, None)
}
