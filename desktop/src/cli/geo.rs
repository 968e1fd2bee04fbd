//! `lsar geo`: conversions between geodetic, ECEF, local ENU and UTM coordinates, distance
//! and bearing between positions, and EGM96 heights, printed as JSON.

use anyhow::Context;
use clap::Subcommand;
use lsar_geometry::geodesy::{
    Geodetic, LocalFrame, UtmZone, egm96_undulation, geodesic_direct, geodesic_inverse,
    geodetic_from_ecef, geodetic_from_utm, utm_from_geodetic,
};
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
    /// UTM (WGS84, Krueger series to n^6): geodetic to easting/northing and back.
    #[command(subcommand)]
    Utm(UtmCommand),
    /// Distance and bearings between two positions along the geodesic (Karney's algorithm).
    Inverse {
        /// From: latitude, longitude (degrees).
        #[arg(long, num_args = 2, allow_hyphen_values = true, value_names = ["LAT", "LON"])]
        from: Vec<f64>,
        /// To: latitude, longitude (degrees).
        #[arg(long, num_args = 2, allow_hyphen_values = true, value_names = ["LAT", "LON"])]
        to: Vec<f64>,
        /// A name for the target, used in the label ("Mont Blanc, 34.2 km, bearing 212 deg").
        #[arg(long)]
        name: Option<String>,
    },
    /// The position at a distance along a bearing from a start (the direct geodesic problem).
    Direct {
        /// Start: latitude, longitude (degrees).
        #[arg(long, num_args = 2, allow_hyphen_values = true, value_names = ["LAT", "LON"])]
        from: Vec<f64>,
        /// Initial bearing, degrees clockwise from true north.
        #[arg(long, allow_hyphen_values = true)]
        azimuth: f64,
        /// Distance in metres along the ellipsoid.
        #[arg(long, allow_hyphen_values = true)]
        distance: f64,
    },
    /// EGM96 geoid undulation N at a point; converts a height above sea level to ellipsoidal
    /// (h = H + N) or back.
    Geoid {
        /// Latitude in degrees.
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude in degrees.
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// A height above sea level (EGM96) to convert to ellipsoidal.
        #[arg(long, allow_hyphen_values = true, conflicts_with = "height")]
        msl: Option<f64>,
        /// An ellipsoidal (WGS84, GPS) height to convert to above sea level.
        #[arg(long, allow_hyphen_values = true)]
        height: Option<f64>,
    },
}

/// `lsar geo utm` subcommands.
#[derive(Debug, Subcommand)]
pub enum UtmCommand {
    /// Latitude/longitude to UTM easting and northing.
    To {
        /// Latitude in degrees (north positive).
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        /// Longitude in degrees (east positive).
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        /// Zone as 32N, 33S, 32632 or EPSG:32632; default: the zone containing the point
        /// (with the Norway and Svalbard exceptions).
        #[arg(long, value_parser = parse_zone)]
        zone: Option<UtmZone>,
    },
    /// UTM easting and northing to latitude/longitude.
    From {
        /// Easting in metres (false easting 500 000 m included).
        #[arg(long, allow_hyphen_values = true)]
        easting: f64,
        /// Northing in metres (false northing 10 000 000 m included in the south).
        #[arg(long, allow_hyphen_values = true)]
        northing: f64,
        /// Zone as 32N, 33S, 32632 or EPSG:32632.
        #[arg(long, value_parser = parse_zone)]
        zone: UtmZone,
    },
}

/// Parses a UTM zone: `32N`, `33s`, `32632` or `EPSG:32632`.
fn parse_zone(s: &str) -> Result<UtmZone, String> {
    let t = s.trim().to_ascii_uppercase();
    let code = t.strip_prefix("EPSG:").unwrap_or(&t);
    if let Ok(n) = code.parse::<u32>() {
        return UtmZone::from_epsg(n).map_err(|e| format!("{e} (expected e.g. 32N or EPSG:32632)"));
    }
    let (num, hemi) = t.split_at(t.len().saturating_sub(1));
    let north = match hemi {
        "N" => true,
        "S" => false,
        _ => return Err("expected a zone like 32N, 33S or EPSG:32632".to_string()),
    };
    let number: u8 = num.parse().map_err(|_| "expected a zone number 1-60".to_string())?;
    UtmZone::new(number, north).map_err(|e| e.to_string())
}

fn lat_lon_arg(v: &[f64]) -> anyhow::Result<Geodetic> {
    let [lat, lon] = v else { anyhow::bail!("expected LAT LON") };
    geodetic_arg(&[*lat, *lon, 0.0])
}

fn run_utm(cmd: UtmCommand) -> anyhow::Result<serde_json::Value> {
    Ok(match cmd {
        UtmCommand::To { lat, lon, zone } => {
            let zone = match zone {
                Some(z) => z,
                None => UtmZone::containing(lat, lon).context("invalid position")?,
            };
            let (e, n) = utm_from_geodetic(lat, lon, zone).context("UTM projection failed")?;
            json!({ "lat": lat, "lon": lon, "zone": zone.to_string(), "epsg": zone.to_epsg(),
                    "easting": e, "northing": n })
        }
        UtmCommand::From { easting, northing, zone } => {
            let (lat, lon) =
                geodetic_from_utm(easting, northing, zone).context("UTM inverse failed")?;
            json!({ "zone": zone.to_string(), "epsg": zone.to_epsg(), "easting": easting,
                    "northing": northing, "lat": lat, "lon": lon })
        }
    })
}

fn inverse_json(from: &Geodetic, to: &Geodetic, name: Option<&str>) -> serde_json::Value {
    let g = geodesic_inverse(from, to);
    let back = (g.azimuth2_deg + 180.0) % 360.0;
    let km = g.distance_m / 1000.0;
    let distance = if km < 10.0 { format!("{km:.2} km") } else { format!("{km:.1} km") };
    let mut label = format!("{distance}, bearing {:.0} deg", g.azimuth1_deg.round() % 360.0);
    if let Some(n) = name {
        label = format!("{n}, {label}");
    }
    json!({ "distance_m": g.distance_m, "azimuth1_deg": g.azimuth1_deg,
            "azimuth2_deg": g.azimuth2_deg, "back_azimuth_deg": back, "label": label })
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
        GeoCommand::Utm(cmd) => run_utm(cmd)?,
        GeoCommand::Inverse { from, to, name } => {
            inverse_json(&lat_lon_arg(&from)?, &lat_lon_arg(&to)?, name.as_deref())
        }
        GeoCommand::Direct { from, azimuth, distance } => {
            anyhow::ensure!(azimuth.is_finite() && distance.is_finite(), "values must be finite");
            let d = geodesic_direct(&lat_lon_arg(&from)?, azimuth, distance);
            json!({ "lat": d.position.lat, "lon": d.position.lon, "azimuth2_deg": d.azimuth2_deg })
        }
        GeoCommand::Geoid { lat, lon, msl, height } => {
            geodetic_arg(&[lat, lon, 0.0])?;
            let n = egm96_undulation(lat, lon);
            let mut out = json!({ "lat": lat, "lon": lon, "model": "EGM96", "undulation_m": n });
            if let Some(h) = msl {
                out["elevation_msl"] = json!(h);
                out["height"] = json!(h + n);
            }
            if let Some(h) = height {
                out["height"] = json!(h);
                out["elevation_msl"] = json!(h - n);
            }
            out
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_parse() {
        assert_eq!(parse_zone("32N").unwrap(), UtmZone::new(32, true).unwrap());
        assert_eq!(parse_zone("33s").unwrap(), UtmZone::new(33, false).unwrap());
        assert_eq!(parse_zone("EPSG:32631").unwrap(), UtmZone::new(31, true).unwrap());
        assert_eq!(parse_zone("32760").unwrap(), UtmZone::new(60, false).unwrap());
        for bad in ["", "N", "61N", "0S", "32X", "EPSG:4326", "abc"] {
            assert!(parse_zone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_reads_well() {
        let from = Geodetic::new(46.0207, 7.7491, 0.0); // Zermatt
        let to = Geodetic::new(45.8326, 6.8652, 0.0); // Mont Blanc
        let v = inverse_json(&from, &to, Some("Mont Blanc"));
        let label = v["label"].as_str().unwrap();
        assert!(label.starts_with("Mont Blanc, 71.") && label.ends_with("deg"), "{label}");
    }
}
