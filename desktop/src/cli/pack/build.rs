//! `lsar pack build`: the arguments, profile defaults and the progress bar around
//! [`lsar_desktop::pack_build::build_pack`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use lsar_desktop::pack_build::{
    BuildConfig, Describer, DescriptorChoice, Detector, PoiEntry, Profile, auto_pois,
    bounds_around, build_pack, read_poi_file, summits_sidecar,
};
use lsar_desktop::render::TerrainModel;
use lsar_pack::{Bounds, DescriptorEncoding};
use serde_json::json;

use crate::cli::dem::{DemArgs, print_json};

/// Descriptors a pack can be built with.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DescriptorArg {
    /// The LandscapeAR network's render branch (weights from --model, safetensors; without
    /// --model the model embedded in `lsar`).
    Learned,
    /// The SIFT-like baseline (no weights).
    Sift,
    /// HardTFeat (weights from --model, .npz).
    Hardtfeat,
}

/// Keypoint detectors.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DetectorArg {
    /// Difference-of-Gaussians extrema as LandscapeAR's SIFT on renders (doubled input,
    /// sigma 1.0, |D| >= 0.02/3, edge ratio 15): about 120-180 per 1024 px view.
    Dog,
    /// A dense grid: many points but few correct matches (2-5 % against 15-27 % for dog with
    /// the SIFT-like baseline on photo-style queries).
    Grid,
}

/// Build presets.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// 1 km spacing, 12 views of 60 deg at 1024 px, 500 keypoints per view.
    Default,
    /// At most 4 viewpoints 4 km apart, 6 views at 384 px, 150 keypoints: builds in seconds.
    Tiny,
}

/// Descriptor storage.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    /// Half floats (256 bytes per 128-d row).
    F16,
    /// Signed bytes with a per-row scale (132 bytes per row).
    Int8,
}

impl EncodingArg {
    /// The pack format's encoding.
    pub fn encoding(self) -> DescriptorEncoding {
        match self {
            Self::F16 => DescriptorEncoding::F16,
            Self::Int8 => DescriptorEncoding::Int8,
        }
    }
}

/// Arguments of `lsar pack build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    dem: DemArgs,
    /// Region box: south west north east, degrees.
    #[arg(long, num_args = 4, allow_hyphen_values = true, value_names = ["S", "W", "N", "E"],
          conflicts_with_all = ["center", "radius"])]
    bounds: Option<Vec<f64>>,
    /// Region centre: latitude longitude, degrees (with --radius).
    #[arg(long, num_args = 2, allow_hyphen_values = true, value_names = ["LAT", "LON"],
          requires = "radius")]
    center: Option<Vec<f64>>,
    /// Region radius around --center, km.
    #[arg(long, requires = "center")]
    radius: Option<f64>,
    /// Viewpoint grid spacing, metres (profile default: 1000, tiny 4000).
    #[arg(long)]
    spacing: Option<f64>,
    /// Views per viewpoint, every 360/N degrees (default 12, tiny 6).
    #[arg(long)]
    views: Option<usize>,
    /// Horizontal FOV of each view, degrees.
    #[arg(long)]
    fov: Option<f64>,
    /// Side of the square views, pixels (default 1024, tiny 384).
    #[arg(long)]
    size: Option<u32>,
    /// Keypoint detector: dog (the default, chosen by correct matches to photo-style queries;
    /// see bench/README.md), or grid (dense, every --grid-stride pixels).
    #[arg(long, value_enum, default_value = "dog")]
    detector: DetectorArg,
    /// Grid spacing of --detector grid, pixels.
    #[arg(long, default_value_t = 16)]
    grid_stride: usize,
    /// Keypoints per view at most (default 500, tiny 150).
    #[arg(long)]
    max_keypoints: Option<usize>,
    /// Merge keypoints of one viewpoint whose 3D points lie within this many pixels of each
    /// other, seen from the viewpoint (pixels of the view or of the FOV-normalised patches,
    /// whichever is coarser; 0: no merging).
    #[arg(long, default_value_t = 2.0)]
    merge_3d_px: f64,
    /// Keep at most this many viewpoints, nearest to the centre (tiny: 4).
    #[arg(long)]
    max_viewpoints: Option<usize>,
    /// Azimuth bins of the horizon profiles (default 360, tiny 72).
    #[arg(long)]
    horizon_bins: Option<u32>,
    /// Descriptor (default: learned: the --model weights, else the embedded model).
    #[arg(long, value_enum)]
    descriptor: Option<DescriptorArg>,
    /// Weights: safetensors for learned, .npz for hardtfeat.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Model id stored for the learned network (default "landscapear" for --model weights,
    /// the embedded model's own id otherwise).
    #[arg(long)]
    model_id: Option<String>,
    /// POIs: a CSV (name,lat,lon[,elevation][,prominence]), JSON or GeoJSON file
    /// (FeatureCollection of Points, [lon, lat]), or `auto` (summits found in the DEM by
    /// prominence, named from the files given and from a `.summits.json` beside a synthetic
    /// DEM). Repeat to combine, e.g. `--pois auto --pois names.geojson`. Default: none.
    #[arg(long)]
    pois: Vec<String>,
    /// Smallest prominence of `auto` summits, metres.
    #[arg(long, default_value_t = 100.0)]
    min_prominence: f64,
    /// Descriptor storage.
    #[arg(long, value_enum, default_value = "f16")]
    encoding: EncodingArg,
    /// Build preset.
    #[arg(long, value_enum, default_value = "default")]
    profile: ProfileArg,
    /// Pack name (default: the output file's stem).
    #[arg(long)]
    name: Option<String>,
    /// The pack file to write (replaced atomically).
    #[arg(long)]
    out: PathBuf,
}

fn region(args: &BuildArgs, model: &TerrainModel) -> anyhow::Result<Bounds> {
    match (&args.bounds, &args.center, args.radius) {
        (Some(b), _, _) => match b.as_slice() {
            [s, w, n, e] => Ok(Bounds { south: *s, west: *w, north: *n, east: *e }),
            _ => anyhow::bail!("--bounds takes S W N E"),
        },
        (None, Some(c), Some(r)) => match c.as_slice() {
            [lat, lon] => Ok(bounds_around(*lat, *lon, r)?),
            _ => anyhow::bail!("--center takes LAT LON"),
        },
        _ => {
            let b = model.dem().bounds().context("the DEM has no extent")?;
            Ok(Bounds { south: b.south, west: b.west, north: b.north, east: b.east })
        }
    }
}

fn descriptor(args: &BuildArgs) -> anyhow::Result<DescriptorChoice> {
    let kind = args.descriptor.unwrap_or(DescriptorArg::Learned);
    let need = |what: &str| {
        args.model.clone().with_context(|| format!("--descriptor {what} needs --model PATH"))
    };
    Ok(match kind {
        DescriptorArg::Learned => match &args.model {
            Some(weights) => DescriptorChoice::Learned { weights: weights.clone() },
            None => DescriptorChoice::Shipped,
        },
        DescriptorArg::Sift => DescriptorChoice::Sift,
        DescriptorArg::Hardtfeat => DescriptorChoice::HardTFeat { npz: need("hardtfeat")? },
    })
}

fn pois(args: &BuildArgs, model: &TerrainModel, bounds: &Bounds) -> anyhow::Result<Vec<PoiEntry>> {
    let dem = model.dem();
    let mut listed = Vec::new();
    for file in args.pois.iter().filter(|p| *p != "auto") {
        let pois = read_poi_file(std::path::Path::new(file), dem)
            .with_context(|| format!("reading POIs from {file}"))?;
        listed.extend(pois);
    }
    if !args.pois.iter().any(|p| p == "auto") {
        return Ok(listed);
    }
    let mut named = listed.clone();
    for sidecar in args.dem.dem.iter().filter_map(|p| summits_sidecar(p)) {
        named.extend(read_poi_file(&sidecar, dem)?);
    }
    let mut out = auto_pois(dem, bounds, args.min_prominence, 1000, &named);
    // `auto_pois` keeps named POIs inside the region only; listed ones outside it (distant
    // summits seen from the region) are kept as they are.
    let inside = |p: &PoiEntry| {
        (bounds.south..=bounds.north).contains(&p.lat)
            && (bounds.west..=bounds.east).contains(&p.lon)
    };
    out.extend(listed.into_iter().filter(|p| !inside(p)));
    Ok(out)
}

/// Finishes (and clears) a progress bar when dropped.
struct FinishOnDrop<'a>(&'a ProgressBar);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Interval of the progress lines printed when stderr is not a terminal.
const LOG_EVERY: Duration = Duration::from_secs(30);

/// Prints `views done/total, elapsed, ETA` to stderr every [`LOG_EVERY`] until `bar` finishes.
fn log_progress(bar: &ProgressBar) {
    let mut last = Instant::now();
    while !bar.is_finished() {
        std::thread::sleep(Duration::from_millis(200));
        if last.elapsed() < LOG_EVERY {
            continue;
        }
        last = Instant::now();
        let (pos, len) = (bar.position(), bar.length().unwrap_or(0));
        let elapsed = bar.elapsed();
        let eta = mean_eta(pos, len, elapsed);
        eprintln!(
            "pack build: {pos}/{len} views, {:.0} s elapsed, eta {eta}",
            elapsed.as_secs_f64()
        );
    }
}

/// Time left at the mean rate since the start. Views finish in bursts (a batch of
/// viewpoints at a time), which makes indicatif's short-window `{eta}` swing by orders of
/// magnitude on long builds.
fn mean_eta(done: u64, total: u64, elapsed: Duration) -> String {
    match done {
        0 => "unknown".to_string(),
        d => {
            let left = elapsed.as_secs_f64() * total.saturating_sub(d) as f64 / d as f64;
            if left < 120.0 { format!("{left:.0} s") } else { format!("{:.0} min", left / 60.0) }
        }
    }
}

/// Runs `lsar pack build`.
pub fn run(args: &BuildArgs) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let model = TerrainModel::new(args.dem.load()?).context("the DEM has no valid samples")?;
    let bounds = region(args, &model)?;
    let choice = descriptor(args)?;
    let describer = Describer::load(&choice, args.model_id.as_deref())
        .with_context(|| format!("loading the {} descriptor", choice.kind()))?;
    let pois = pois(args, &model, &bounds)?;
    let profile = match args.profile {
        ProfileArg::Default => Profile::Default,
        ProfileArg::Tiny => Profile::Tiny,
    };
    let stem = args.out.file_stem().and_then(|s| s.to_str()).unwrap_or("region");
    let name = args.name.clone().unwrap_or_else(|| stem.to_string());
    let mut cfg = BuildConfig::for_profile(profile, &name, bounds);
    cfg.spacing_m = args.spacing.unwrap_or(cfg.spacing_m);
    cfg.views = args.views.unwrap_or(cfg.views);
    cfg.fov_deg = args.fov.unwrap_or(cfg.fov_deg);
    cfg.size_px = args.size.unwrap_or(cfg.size_px);
    cfg.features.max_keypoints = args.max_keypoints.unwrap_or(cfg.features.max_keypoints);
    cfg.features.detector = match args.detector {
        DetectorArg::Dog => Detector::Dog,
        DetectorArg::Grid => Detector::Grid { stride: args.grid_stride },
    };
    cfg.max_viewpoints = args.max_viewpoints.or(cfg.max_viewpoints);
    cfg.merge_3d_px = args.merge_3d_px;
    cfg.horizon.bins = args.horizon_bins.unwrap_or(cfg.horizon.bins);
    cfg.encoding = args.encoding.encoding();
    let files: Vec<String> = args.dem.dem.iter().map(|p| p.display().to_string()).collect();
    cfg.extra.insert("dem_files".into(), json!(files));
    cfg.extra.insert("profile".into(), json!(format!("{:?}", args.profile).to_lowercase()));
    cfg.extra.insert("pois".into(), json!(args.pois));
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} views {elapsed_precise} eta {mean_eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("mean_eta", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&mean_eta(s.pos(), s.len().unwrap_or(0), s.elapsed()));
            }),
    );
    let report = std::thread::scope(|scope| {
        // indicatif draws nothing when stderr is not a terminal (logs, CI): print a line
        // every LOG_EVERY instead so long builds still show their progress and ETA.
        if !std::io::stderr().is_terminal() {
            scope.spawn(|| log_progress(&bar));
        }
        // Finishes the bar even on unwinding, so the logging thread always ends.
        let _finish = FinishOnDrop(&bar);
        build_pack(&model, &describer, &pois, &cfg, &args.out, &bar)
    })
    .with_context(|| format!("building {}", args.out.display()))?;
    print_json(
        &json!({
            "out": args.out.display().to_string(),
            "bytes": report.bytes,
            "viewpoints": report.viewpoints,
            "views": report.views,
            "keypoints": report.keypoints,
            "merged_keypoints": report.merged,
            "pois": report.pois,
            "descriptor": describer.model().id,
            "model_sha256": describer.model().sha256_hex(),
            "build_s": report.seconds,
            "total_s": t0.elapsed().as_secs_f64(),
        }),
        true,
    )
}
