//! `lsar geo`: conversions between geodetic, ECEF and local ENU coordinates, printed as JSON.

use anyhow::Context;
use clap::Subcommand;
use lsar_geometry::geodesy::{Geodetic, LocalFrame, geodetic_from_ecef};
use nalgebra::Vector3;
use serde_json::json;

/// `lsar geo` subcommands.
#[derive(Debug, Subcommand)]
pub enum GeoCommand {
    /// Geodetic position (degrees, metres above the WGS84 ellipsoid) to ECEF metres.
    ToEcef {
        /// Latitude in degrees (north positive).
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude in degrees (east positive).
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Height in metres above the WGS84 ellipsoid.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        height: f64,
    },
    /// ECEF metres to a geodetic position.
    FromEcef {
        /// ECEF X, Y, Z in metres.
        #[arg(num_args = 3, allow_hyphen_values = true, value_names = ["X", "Y", "Z"])]
        xyz: Vec<f64>,
    },
    /// East, north, up of a target in the local frame of an origin.
    Enu {
        /// Origin: latitude, longitude (degrees), ellipsoidal height (metres).
        #[arg(long, num_args = 3, allow_hyphen_values = true, value_names = ["LAT", "LON", "H"])]
        origin: Vec<f64>,
        /// Target: latitude, longitude (degrees), ellipsoidal height (metres).
        #[arg(long, num_args = 3, allow_hyphen_values = true, value_names = ["LAT", "LON", "H"])]
        target: Vec<f64>,
    },
}

fn geodetic_arg(v: &[f64]) -> anyhow::Result<Geodetic> {
    let [lat, lon, height] = v else { anyhow::bail!("expected LAT LON HEIGHT") };
    let p = Geodetic::new(*lat, *lon, *height);
    p.validate().context("invalid position")?;
    Ok(p)
}

/// Runs an `lsar geo` subcommand.
pub fn run(cmd: GeoCommand) -> anyhow::Result<()> {
    let out = match cmd {
        GeoCommand::ToEcef { lat, lon, height } => {
            let p = geodetic_arg(&[lat, lon, height])?;
            let e = p.to_ecef();
            json!({ "position": p, "ecef": [e.x, e.y, e.z] })
        }
        GeoCommand::FromEcef { xyz } => {
            let [x, y, z] = xyz[..] else { anyhow::bail!("expected X Y Z") };
            let e = Vector3::new(x, y, z);
            anyhow::ensure!(e.iter().all(|v| v.is_finite()), "ECEF coordinates must be finite");
            json!({ "ecef": [x, y, z], "position": geodetic_from_ecef(&e) })
        }
        GeoCommand::Enu { origin, target } => {
            let frame = LocalFrame::new(geodetic_arg(&origin)?);
            let enu = frame.enu_from_geodetic(&geodetic_arg(&target)?);
            json!({ "enu": [enu.x, enu.y, enu.z], "range_m": enu.norm() })
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
