//! `lsar localize`: a photo, region packs and priors in; DESIGN.md's camera JSON (plus the
//! localization's other fields) out, or `{"localized": false, "reason": ...}` with exit
//! code 2.
//!
//! Priors come from the flags, else from the photo's EXIF (GPS with hemisphere signs and
//! altitude; focal length / 35 mm equivalent as a FOV prior trusted to 15 %). The photo is
//! turned upright per its EXIF orientation first: the returned camera (and `--gravity`) refer
//! to the upright image.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use image::RgbImage;
use lsar_core::geometry::Geodetic;
use lsar_core::geometry::geodesy::egm96_undulation;
use lsar_core::localizer::{FovPrior, HeadingPrior, SIFT_MODEL_ID};
use lsar_core::pack::PackReader;
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localizer, LocalizerOptions, Priors};
use lsar_desktop::default_model;
use lsar_desktop::exif::{LoadedPhoto, load_photo};
use serde_json::{Value, json};

use super::overlay::{keep_all_options, labels_json, write_overlay};

/// Exit code of `lsar localize` when the photo was not localized (1 is an error).
pub const NOT_LOCALIZED_EXIT: i32 = 2;

/// Which descriptor describes the photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DescriptorArg {
    /// The learned network (`--model` safetensors).
    Learned,
    /// The SIFT-like baseline (no weights).
    Sift,
    /// HardTFeat (`--model` npz).
    Hardtfeat,
}

/// Arguments of `lsar localize`.
#[derive(Debug, Args)]
pub struct LocalizeArgs {
    /// Region packs; the one covering the GPS position is used.
    #[arg(long = "pack", required = true, num_args = 1..)]
    packs: Vec<PathBuf>,
    /// Descriptor weights: safetensors (learned) or npz (HardTFeat).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Descriptor; default: from `--model`'s extension, else the packs' (SIFT packs and packs
    /// of the embedded model need no --model).
    #[arg(long, value_enum)]
    descriptor: Option<DescriptorArg>,
    /// The photo (JPEG/PNG).
    #[arg(long)]
    image: PathBuf,
    /// GPS position, degrees, and optionally the GPS altitude, metres above the WGS84
    /// ellipsoid (default: the photo's EXIF GPS). Without an altitude the Localizer does not
    /// anchor its first solve to the fix (`LocalizerOptions::gps_anchor`).
    #[arg(long, num_args = 2..=3, value_names = ["LAT", "LON", "HEIGHT"], allow_negative_numbers = true)]
    gps: Option<Vec<f64>>,
    /// One-sigma GPS accuracy, metres.
    #[arg(long, default_value_t = 30.0)]
    gps_accuracy: f64,
    /// Compass heading of the optical axis, degrees clockwise from true north.
    #[arg(long, allow_negative_numbers = true)]
    heading: Option<f64>,
    /// One-sigma heading accuracy, degrees.
    #[arg(long, default_value_t = 10.0)]
    heading_accuracy: f64,
    /// Horizontal FOV of the upright photo, degrees (exact; default: from EXIF as a prior).
    #[arg(long)]
    fov: Option<f64>,
    /// Gravity (pointing down) in the camera frame of the upright photo: x right, y down,
    /// z forward.
    #[arg(long, num_args = 3, value_names = ["X", "Y", "Z"], allow_negative_numbers = true)]
    gravity: Option<Vec<f64>>,
    /// Also write the JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Draw the peaks onto the photo into this PNG.
    #[arg(long)]
    overlay: Option<PathBuf>,
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn descriptor_model(args: &LocalizeArgs) -> anyhow::Result<DescriptorModel> {
    let npz = args.model.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e == "npz"));
    let kind = match (args.descriptor, &args.model) {
        (Some(k), _) => k,
        (None, Some(_)) if npz => DescriptorArg::Hardtfeat,
        (None, Some(_)) => DescriptorArg::Learned,
        (None, None) => {
            let first = args.packs.first().context("no pack given")?;
            let pack = PackReader::open(first, None)
                .with_context(|| format!("opening {}", first.display()))?;
            let model = &pack.metadata().model;
            if model.id == default_model::MODEL_ID
                && model.sha256_hex() == default_model::model_sha256()
            {
                DescriptorArg::Learned
            } else if model.id == SIFT_MODEL_ID {
                DescriptorArg::Sift
            } else {
                bail!(
                    "the pack was built with descriptor `{}`: pass its weights with --model",
                    model.id
                );
            }
        }
    };
    Ok(match (kind, &args.model) {
        (DescriptorArg::Sift, _) => DescriptorModel::Sift,
        (DescriptorArg::Learned, Some(p)) => DescriptorModel::Learned { weights: read(p)? },
        (DescriptorArg::Learned, None) => {
            DescriptorModel::Learned { weights: default_model::MODEL_BYTES.to_vec() }
        }
        (DescriptorArg::Hardtfeat, Some(p)) => DescriptorModel::HardTFeat { npz: read(p)? },
        (DescriptorArg::Hardtfeat, None) => bail!("--descriptor hardtfeat needs --model PATH"),
    })
}

/// The priors from the flags and the photo's EXIF, a JSON record of where each came from, and
/// whether the GPS height was measured.
fn priors(args: &LocalizeArgs, photo: &LoadedPhoto) -> anyhow::Result<(Priors, Value, bool)> {
    let exif_gps = photo.exif.gps;
    // The height is a camera-centre hypothesis only when it was measured.
    let (gps, gps_source, height_known) = match (&args.gps, exif_gps) {
        (Some(v), _) => match v.as_slice() {
            [lat, lon] => (Geodetic::new(*lat, *lon, 0.0), "cli", false),
            [lat, lon, h] => (Geodetic::new(*lat, *lon, *h), "cli", true),
            _ => bail!("--gps takes LAT LON [HEIGHT]"),
        },
        (None, Some(g)) => {
            let height = g.altitude_msl.map(|a| a + egm96_undulation(g.lat, g.lon));
            (Geodetic::new(g.lat, g.lon, height.unwrap_or(0.0)), "exif", height.is_some())
        }
        (None, None) => bail!("no GPS position: pass --gps LAT LON (the photo has no EXIF GPS)"),
    };
    let mut priors = Priors::from_gps(gps, args.gps_accuracy);
    priors.heading =
        args.heading.map(|yaw_deg| HeadingPrior { yaw_deg, accuracy_deg: args.heading_accuracy });
    priors.gravity_down_in_cam = match args.gravity.as_deref() {
        Some([x, y, z]) => Some([*x, *y, *z]),
        Some(_) => bail!("--gravity takes X Y Z"),
        None => None,
    };
    let exif_fov = photo.exif_hfov_deg();
    let (fov, fov_source) = match (args.fov, exif_fov) {
        (Some(f), _) => (Some(FovPrior::exact(f)), "cli"),
        (None, Some(f)) => (Some(FovPrior::exif(f)), "exif"),
        (None, None) => (None, "none"),
    };
    priors.fov = fov;
    let record = json!({
        "gps": { "lat": gps.lat, "lon": gps.lon, "accuracy_m": args.gps_accuracy,
                 "height": height_known.then_some(gps.height), "source": gps_source },
        "heading_deg": args.heading,
        "fov_deg": fov.map(|f| f.hfov_deg),
        "fov_source": fov_source,
        "gravity": priors.gravity_down_in_cam,
        "exif_orientation": photo.exif.orientation,
    });
    Ok((priors, record, height_known))
}

/// The localizer's image of an RGB photo.
pub fn rgb_image(rgb: &RgbImage) -> anyhow::Result<Image> {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Image::from_u8(w, h, 3, rgb.as_raw()).context("photo pixels")
}

/// Prints the JSON and writes it to `out` if given.
pub fn emit(value: &Value, out: Option<&Path>) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    if let Some(path) = out {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()?;
    Ok(())
}

/// Runs `lsar localize`; exits with [`NOT_LOCALIZED_EXIT`] when not localized.
pub fn run(args: &LocalizeArgs) -> anyhow::Result<()> {
    let photo = load_photo(&read(&args.image)?).context("decoding the photo")?;
    let (priors, record, height_known) = priors(args, &photo)?;
    let options = LocalizerOptions { gps_anchor: height_known, ..LocalizerOptions::default() };
    let localizer = Localizer::open_paths(&args.packs, descriptor_model(args)?)
        .context("opening the localizer")?
        .with_options(options);
    let outcome = localizer.localize(&rgb_image(&photo.rgb)?, &priors)?;
    match outcome {
        Ok(loc) => {
            let mut value = serde_json::to_value(&loc)?;
            value["priors"] = record;
            if let Some(path) = &args.overlay {
                let labels = localizer.project_pois(&loc, &keep_all_options())?;
                let drawn = write_overlay(&photo.rgb, labels, path)?;
                value["overlay"] = json!(path.display().to_string());
                value["labels"] = labels_json(&drawn);
            }
            emit(&value, args.out.as_deref())
        }
        Err(failure) => {
            let mut value = serde_json::to_value(&failure)?;
            value["message"] = json!(failure.reason.to_string());
            value["priors"] = record;
            emit(&value, args.out.as_deref())?;
            eprintln!("{failure}");
            std::process::exit(NOT_LOCALIZED_EXIT);
        }
    }
}
