//! `lsar overlay`: draw the peaks a camera sees onto its photo (PNG), and the drawing shared
//! with `lsar localize --overlay` and `lsar demo`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use image::RgbImage;
use lsar_core::geometry::camera_json::CameraJson;
use lsar_core::geometry::{Camera, CameraPose};
use lsar_core::overlay::{
    DeclutterOptions, Egm96Exact, HorizonTolerance, Label, LabelSize, OverlayOptions,
    overlay_labels_for_pack, pois_from_pack, resolve_pois,
};
use lsar_core::pack::PackReader;
use lsar_desktop::exif::load_photo;
use lsar_desktop::overlay_draw::{DrawStyle, draw_overlay};
use serde_json::{Value, json};

/// Arguments of `lsar overlay`.
#[derive(Debug, Args)]
pub struct OverlayArgs {
    /// The photo (JPEG/PNG; turned upright per its EXIF orientation).
    #[arg(long)]
    image: PathBuf,
    /// Camera JSON of the photo (DESIGN.md shape, frame "ecef"; `lsar localize` output
    /// works). A camera of another size with the same aspect ratio is rescaled.
    #[arg(long)]
    camera: PathBuf,
    /// Region pack whose POIs and horizons to use.
    #[arg(long)]
    pack: PathBuf,
    /// Output PNG.
    #[arg(long, default_value = "overlay.png")]
    out: PathBuf,
}

/// Overlay options that keep every visible POI in the image: the drawing declutters with the
/// real text sizes ([`lsar_desktop::overlay_draw::layout`]).
pub fn keep_all_options() -> OverlayOptions {
    OverlayOptions {
        declutter: DeclutterOptions {
            size: LabelSize::Fixed { width_px: 0.0, height_px: 0.0 },
            gap_px: 0.0,
            ..DeclutterOptions::default()
        },
        ..OverlayOptions::default()
    }
}

/// Draws labels onto a copy of `photo`, writes it as PNG and returns the labels drawn.
pub fn write_overlay(
    photo: &RgbImage,
    labels: Vec<Label>,
    out: &Path,
) -> anyhow::Result<Vec<Label>> {
    let mut img = photo.clone();
    let style = DrawStyle::for_image(img.width(), img.height());
    let drawn = draw_overlay(&mut img, labels, &style);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    img.save_with_format(out, image::ImageFormat::Png)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(drawn)
}

/// A short JSON summary of drawn labels.
pub fn labels_json(labels: &[Label]) -> Value {
    let list: Vec<Value> = labels
        .iter()
        .map(|l| {
            json!({ "name": l.name, "pixel": l.pixel, "elevation_msl": l.elevation_msl,
                    "distance_m": l.distance_m, "bearing_deg": l.bearing_deg })
        })
        .collect();
    Value::Array(list)
}

/// The camera of a camera JSON for an image of `width` x `height` (rescaled when the JSON
/// is for another size of the same aspect ratio).
fn camera_for(json: &CameraJson, width: u32, height: u32) -> anyhow::Result<(Camera, CameraPose)> {
    let (camera, pose) = json.to_parts().context("camera JSON is not a valid camera")?;
    if (camera.width, camera.height) == (width, height) {
        return Ok((camera, pose));
    }
    let s = f64::from(width) / f64::from(camera.width);
    if (f64::from(camera.height) * s - f64::from(height)).abs() > 1.0 {
        bail!(
            "camera is {}x{} but the photo is {width}x{height} (another aspect ratio)",
            camera.width,
            camera.height
        );
    }
    let mut scaled = camera.resized(s);
    (scaled.width, scaled.height) = (width, height);
    Ok((scaled, pose))
}

/// Runs `lsar overlay`.
pub fn run(args: &OverlayArgs) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.image).with_context(|| format!("reading {}", args.image.display()))?;
    let photo = load_photo(&bytes).context("decoding the photo")?;
    let text = std::fs::read_to_string(&args.camera)
        .with_context(|| format!("reading {}", args.camera.display()))?;
    let json: CameraJson = serde_json::from_str(&text).context("parsing the camera JSON")?;
    let (camera, pose) = camera_for(&json, photo.rgb.width(), photo.rgb.height())?;
    let pack = PackReader::open(&args.pack, None)
        .with_context(|| format!("opening {}", args.pack.display()))?;
    let pois = resolve_pois(&pois_from_pack(&pack)?, &Egm96Exact)?;
    let labels = overlay_labels_for_pack(
        &pack,
        &camera,
        &pose,
        &pois,
        HorizonTolerance::default(),
        &keep_all_options(),
    )?;
    let drawn = write_overlay(&photo.rgb, labels, &args.out)?;
    let out = json!({ "overlay": args.out.display().to_string(), "labels": labels_json(&drawn) });
    super::localize::emit(&out, None)
}
