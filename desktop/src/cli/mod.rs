//! Command-line front end: one module per subcommand group, each owning its arguments and
//! its `run`.

mod dataset;
mod dem;
mod demo;
mod eval;
mod geo;
mod localize;
mod overlay;
mod pack;
mod planned;
mod pose;
mod render;
mod train;

use clap::{Parser, Subcommand};

/// lsar: outdoor AR localization. Prepares terrain, region packs and descriptor models on
/// the desktop, and localizes photos against them.
#[derive(Debug, Parser)]
#[command(name = "lsar", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `lsar`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert positions between WGS84, ECEF, ENU and UTM; distance and bearing to a target.
    #[command(subcommand)]
    Geo(geo::GeoCommand),
    /// Read DEMs (SRTM .hgt, GeoTIFF, Esri ASCII), report their extent, synthesize terrain.
    #[command(subcommand)]
    Dem(dem::DemCommand),
    /// Render terrain views and panoramas: colour PNG, depth .npy, camera JSON.
    #[command(subcommand)]
    Render(render::RenderCommand),
    /// Solve a camera pose from 2D-3D correspondences (P4Pf/P3P + LO-RANSAC + refinement).
    #[command(subcommand)]
    Pose(pose::PoseCommand),
    /// Build, inspect and verify region packs.
    #[command(subcommand)]
    Pack(pack::PackCommand),
    /// Localize a photo against region packs: pose, FOV and the peaks in view.
    Localize(Box<localize::LocalizeArgs>),
    /// Draw the peaks of a localized photo onto it.
    Overlay(overlay::OverlayArgs),
    /// Generate photo/render training pairs from DEMs.
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Train the cross-domain descriptor network.
    Train(train::TrainArgs),
    /// Evaluate localization accuracy per descriptor on rendered photo-like queries.
    Eval(Box<eval::EvalArgs>),
    /// Structure from motion with COLMAP, referenced to the terrain.
    Sfm(planned::Planned),
    /// Run the end-to-end demo on embedded procedural terrain.
    Demo(demo::DemoArgs),
}

/// Sets up `tracing` output on stderr.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

/// Runs one subcommand.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Geo(cmd) => geo::run(cmd),
        Command::Dem(cmd) => dem::run(cmd),
        Command::Render(cmd) => render::run(cmd),
        Command::Pose(cmd) => pose::run(cmd),
        Command::Pack(cmd) => pack::run(cmd),
        Command::Localize(args) => localize::run(&args),
        Command::Overlay(args) => overlay::run(&args),
        Command::Dataset(cmd) => dataset::run(cmd),
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run_eval(&args),
        Command::Sfm(p) => p.run("sfm", "the SfM issue"),
        Command::Demo(args) => demo::run(&args),
    }
}
