//! Command-line front end: one module per subcommand group, each owning its arguments and
//! its `run`.

mod geo;
mod planned;

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
    Dem(planned::Planned),
    /// Render terrain views and panoramas: colour PNG, depth .npy, camera JSON.
    Render(planned::Planned),
    /// Solve a camera pose from 2D-3D correspondences (P4Pf/P3P + LO-RANSAC + refinement).
    Pose(planned::Planned),
    /// Build, inspect and verify region packs.
    Pack(planned::Planned),
    /// Localize a photo against region packs: pose, FOV and the peaks in view.
    Localize(planned::Planned),
    /// Draw the peaks of a localized photo onto it.
    Overlay(planned::Planned),
    /// Generate photo/render training pairs from DEMs.
    Dataset(planned::Planned),
    /// Train the cross-domain descriptor network.
    Train(planned::Planned),
    /// Evaluate localization on rendered or real queries.
    Eval(planned::Planned),
    /// Structure from motion with COLMAP, referenced to the terrain.
    Sfm(planned::Planned),
    /// Run the end-to-end demo on embedded procedural terrain.
    Demo(planned::Planned),
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
        Command::Dem(p) => p.run("dem", "the DEM and renderer issue"),
        Command::Render(p) => p.run("render", "the DEM and renderer issue"),
        Command::Pose(p) => p.run("pose", "the pose engine issue"),
        Command::Pack(p) => p.run("pack", "the region pack issue"),
        Command::Localize(p) => p.run("localize", "the Localizer issue"),
        Command::Overlay(p) => p.run("overlay", "the Localizer issue"),
        Command::Dataset(p) => p.run("dataset", "the training issue"),
        Command::Train(p) => p.run("train", "the training issue"),
        Command::Eval(p) => p.run("eval", "the Localizer issue"),
        Command::Sfm(p) => p.run("sfm", "the SfM issue"),
        Command::Demo(p) => p.run("demo", "the Localizer issue"),
    }
}
