//! `lsar dem`: inspect DEM files, synthesize procedural terrain; the shared `--dem`,
//! `--crs`, `--vertical` arguments of every command that reads terrain.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use lsar_desktop::dem::{Crs, Dem, Vertical, read_dem, write_geotiff};
use lsar_desktop::synth::{DEFAULT_CENTER, SynthParams, synthesize};
use serde_json::json;

/// Prints JSON on stdout; a closed pipe (`| head`) ends quietly instead of panicking.
pub fn print_json(value: &serde_json::Value, pretty: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let text = if pretty { serde_json::to_string_pretty(value)? } else { value.to_string() };
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// DEM input shared by commands that read terrain.
#[derive(Debug, Args)]
pub struct DemArgs {
    /// DEM files (SRTM .hgt, GeoTIFF .tif, Esri ASCII .asc); several tiles form a mosaic.
    #[arg(long, num_args = 1.., required = true)]
    pub dem: Vec<PathBuf>,
    /// CRS for files that do not carry one (e.g. .asc without .prj): EPSG:4326, EPSG:326zz.
    #[arg(long)]
    pub crs: Option<String>,
    /// What the DEM heights are relative to: egm96 (sea level, as SRTM) or ellipsoid.
    #[arg(long, default_value = "egm96")]
    pub vertical: Vertical,
}

impl DemArgs {
    /// Reads the mosaic.
    pub fn load(&self) -> anyhow::Result<Dem> {
        let crs = self.crs.as_deref().map(Crs::parse).transpose().context("--crs")?;
        let grids = self
            .dem
            .iter()
            .map(|f| read_dem(f, crs).with_context(|| format!("reading {}", f.display())))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Dem::new(grids, self.vertical))
    }
}

/// `lsar dem` subcommands.
#[derive(Debug, Subcommand)]
pub enum DemCommand {
    /// Print the extent, CRS, resolution and height range of DEM files as JSON.
    Info {
        /// DEM files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// CRS for files that do not carry one, e.g. EPSG:4326.
        #[arg(long)]
        crs: Option<String>,
    },
    /// Generate seeded procedural alpine terrain (20 x 20 km at 30 m) as a GeoTIFF.
    Synth {
        /// Seed; equal seeds give equal terrain.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Centre latitude and longitude in degrees (default 46.5 8.0).
        #[arg(long, num_args = 2, allow_hyphen_values = true, value_names = ["LAT", "LON"])]
        center: Option<Vec<f64>>,
        /// Side length in km.
        #[arg(long, default_value_t = 20.0)]
        size_km: f64,
        /// Sample spacing in metres.
        #[arg(long, default_value_t = 30.0)]
        cell_m: f64,
        /// Output GeoTIFF; the summits go to a `.summits.json` beside it.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs an `lsar dem` subcommand.
pub fn run(cmd: DemCommand) -> anyhow::Result<()> {
    match cmd {
        DemCommand::Info { files, crs } => {
            let crs = crs.as_deref().map(Crs::parse).transpose().context("--crs")?;
            for f in files {
                let g = read_dem(&f, crs).with_context(|| format!("reading {}", f.display()))?;
                let t = g.transform();
                let b = g.bounds();
                let mm = g.min_max();
                let out = json!({
                    "file": f.display().to_string(),
                    "crs": t.crs.to_string(),
                    "width": g.width(), "height": g.height(),
                    "first_sample": [t.x0, t.y0], "step": [t.dx, t.dy],
                    "cell_size_m": g.cell_size_m(),
                    "bounds": b.map(|b| json!({"south": b.south, "north": b.north, "west": b.west, "east": b.east})),
                    "min": mm.map(|m| m.0), "max": mm.map(|m| m.1),
                    "nodata": g.nodata_count(),
                });
                print_json(&out, true)?;
            }
            Ok(())
        }
        DemCommand::Synth { seed, center, size_km, cell_m, out } => {
            let center = match center.as_deref() {
                Some([lat, lon]) => (*lat, *lon),
                Some(_) => anyhow::bail!("--center takes LAT LON"),
                None => DEFAULT_CENTER,
            };
            let p = SynthParams { seed, center, size_m: size_km * 1000.0, cell_m };
            let t = synthesize(&p).context("invalid synthesis parameters")?;
            write_geotiff(&out, &t.grid).with_context(|| format!("writing {}", out.display()))?;
            let summits_path = out.with_extension("summits.json");
            let doc = json!({ "seed": seed, "center": [center.0, center.1], "summits": t.summits });
            std::fs::write(&summits_path, serde_json::to_string_pretty(&doc)?)?;
            print_json(
                &json!({
                    "dem": out.display().to_string(), "summits_file": summits_path.display().to_string(),
                    "width": t.grid.width(), "height": t.grid.height(), "summits": t.summits,
                }),
                true,
            )?;
            Ok(())
        }
    }
}
