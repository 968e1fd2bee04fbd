//! `lsar render`: terrain views and panoramas (colour.png, depth.npy, camera.json).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use lsar_desktop::render::{
    CameraHeight, PanoramaSpec, RenderCamera, RenderOptions, RenderedView, Style, TerrainModel,
    camera_position, panorama_cameras, render_view, write_view,
};
use lsar_geometry::Camera;
use lsar_geometry::camera_json::CameraJson;
use serde_json::json;

use super::dem::{DemArgs, print_json};

/// Colour styles.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StyleArg {
    /// Shaded relief, hypsometric tint, haze and sky (region packs).
    Render,
    /// Seeded photo-like variations (training and evaluation).
    Photo,
}

/// Where the camera stands and how the terrain is drawn.
#[derive(Debug, Args)]
pub struct PlaceArgs {
    /// Latitude of the camera in degrees.
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<f64>,
    /// Longitude of the camera in degrees.
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<f64>,
    /// Camera height above the terrain in metres (the default when no height is given: 2 m
    /// for a view, 50 m for a panorama).
    #[arg(long, conflicts_with_all = ["height", "elevation_msl"])]
    height_above_ground: Option<f64>,
    /// Camera height above the WGS84 ellipsoid in metres.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "elevation_msl")]
    height: Option<f64>,
    /// Camera height above sea level (EGM96) in metres.
    #[arg(long, allow_hyphen_values = true)]
    elevation_msl: Option<f64>,
    /// Colour style.
    #[arg(long, value_enum, default_value = "render")]
    style: StyleArg,
    /// Seed of the photo style.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Terrain farther than this is not drawn (km).
    #[arg(long, default_value_t = 150.0)]
    radius_km: f64,
    /// Level of detail: largest projected cell size in pixels (0 = every DEM sample).
    #[arg(long, default_value_t = 1.5)]
    lod_px: f64,
    /// Render repeatedly and print timings instead of only writing files.
    #[arg(long)]
    bench: bool,
}

impl PlaceArgs {
    fn options(&self) -> RenderOptions {
        RenderOptions {
            visible_radius_m: self.radius_km * 1000.0,
            lod_pixel_error: self.lod_px,
            ..RenderOptions::default()
        }
    }
    fn style(&self, offset: u64) -> Style {
        match self.style {
            StyleArg::Render => Style::Render,
            StyleArg::Photo => Style::Photo { seed: self.seed.wrapping_add(offset) },
        }
    }
    fn style_json(&self) -> serde_json::Value {
        match self.style {
            StyleArg::Render => json!({ "style": "render" }),
            StyleArg::Photo => json!({ "style": "photo", "seed": self.seed }),
        }
    }
    fn position(
        &self,
        model: &TerrainModel,
        default_hag: f64,
    ) -> anyhow::Result<lsar_geometry::Geodetic> {
        let (Some(lat), Some(lon)) = (self.lat, self.lon) else {
            anyhow::bail!("give --lat and --lon (or --camera)")
        };
        let h = match (self.height_above_ground, self.height, self.elevation_msl) {
            (Some(m), _, _) => CameraHeight::AboveGround(m),
            (_, Some(m), _) => CameraHeight::Ellipsoidal(m),
            (_, _, Some(m)) => CameraHeight::AboveSeaLevel(m),
            _ => CameraHeight::AboveGround(default_hag),
        };
        Ok(camera_position(model, lat, lon, h)?)
    }
}

/// `lsar render` subcommands.
#[derive(Debug, Subcommand)]
pub enum RenderCommand {
    /// One perspective view.
    View {
        #[command(flatten)]
        dem: DemArgs,
        #[command(flatten)]
        place: PlaceArgs,
        /// A camera.json (DESIGN.md shape, frame ecef) giving the full camera instead of
        /// position, angles, FOV and size.
        #[arg(long)]
        camera: Option<PathBuf>,
        /// Heading of the optical axis, degrees clockwise from north.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        yaw: f64,
        /// Optical axis above the horizon, degrees.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        pitch: f64,
        /// Roll, degrees (positive: the right edge goes down).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        roll: f64,
        /// Horizontal field of view, degrees.
        #[arg(long, default_value_t = 60.0)]
        fov: f64,
        /// Image width and height.
        #[arg(long, num_args = 2, default_values_t = [1024, 768], value_names = ["W", "H"])]
        size: Vec<u32>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// N views around a point (default 12 views of 60 degrees every 30 degrees, 50 m above
    /// the ground), one sub-folder per view.
    Panorama {
        #[command(flatten)]
        dem: DemArgs,
        #[command(flatten)]
        place: PlaceArgs,
        /// Number of views.
        #[arg(long, default_value_t = 12)]
        views: usize,
        /// Horizontal FOV of each view, degrees.
        #[arg(long, default_value_t = 60.0)]
        fov: f64,
        /// Heading of the first view, degrees.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        first_yaw: f64,
        /// Pitch of all views, degrees.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        pitch: f64,
        /// Image width and height.
        #[arg(long, num_args = 2, default_values_t = [1024, 1024], value_names = ["W", "H"])]
        size: Vec<u32>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
}

fn size_arg(size: &[u32]) -> anyhow::Result<(u32, u32)> {
    match size {
        [w, h] if *w > 0 && *h > 0 => Ok((*w, *h)),
        _ => anyhow::bail!("--size takes W H, both positive"),
    }
}

fn build_model(dem: &DemArgs) -> anyhow::Result<TerrainModel> {
    let t = Instant::now();
    let dem = dem.load()?;
    let model = TerrainModel::new(dem).context("the DEM has no valid samples")?;
    tracing::info!("terrain model: {} vertices in {:.2?}", model.vertex_count(), t.elapsed());
    Ok(model)
}

fn report(view: &RenderedView) {
    if view.stats.terrain_pixels == 0 {
        eprintln!("warning: the view shows no terrain (all sky, depth = +inf)");
    }
}

/// Runs an `lsar render` subcommand.
pub fn run(cmd: RenderCommand) -> anyhow::Result<()> {
    match cmd {
        RenderCommand::View { dem, place, camera, yaw, pitch, roll, fov, size, out } => {
            let model = build_model(&dem)?;
            let cam = match camera {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let j: CameraJson = serde_json::from_str(&text).context("camera JSON")?;
                    let (intrinsics, pose) = j.to_parts().context("camera JSON")?;
                    RenderCamera { intrinsics, pose }
                }
                None => {
                    let (w, h) = size_arg(&size)?;
                    let pos = place.position(&model, 2.0)?;
                    RenderCamera::from_angles(
                        &pos,
                        yaw,
                        pitch,
                        roll,
                        Camera::from_hfov_deg(w, h, fov),
                    )
                }
            };
            let opts = place.options();
            let t = Instant::now();
            let view = render_view(&model, &cam, &opts, place.style(0))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            report(&view);
            let mut extra = place.style_json();
            extra["render_ms"] = json!(ms);
            extra["terrain_pixels"] = json!(view.stats.terrain_pixels);
            write_view(&out, &view, &model, &extra)?;
            let mut summary = json!({ "out": out.display().to_string(), "render_ms": ms,
                "terrain_pixels": view.stats.terrain_pixels, "triangles": view.stats.triangles });
            if place.bench {
                let runs: u32 = 5;
                let t = Instant::now();
                let mut tris = 0;
                for _ in 0..runs {
                    tris += render_view(&model, &cam, &opts, place.style(0))?.stats.triangles;
                }
                let s = t.elapsed().as_secs_f64();
                summary["bench"] = json!({ "runs": runs, "ms_per_view": s * 1e3 / f64::from(runs),
                    "triangles_per_s": tris as f64 / s });
            }
            print_json(&summary, false)
        }
        RenderCommand::Panorama { dem, place, views, fov, first_yaw, pitch, size, out } => {
            let t_all = Instant::now();
            let model = build_model(&dem)?;
            let pos = place.position(&model, 50.0)?;
            let size = size_arg(&size)?;
            let spec = PanoramaSpec {
                views,
                fov_deg: fov,
                first_yaw_deg: first_yaw,
                pitch_deg: pitch,
                size,
            };
            let cams = panorama_cameras(&pos, &spec);
            let opts = place.options();
            let bar = ProgressBar::new(cams.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} views {elapsed_precise}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let (mut render_s, mut tris) = (0.0, 0_u64);
            for (i, cam) in cams.iter().enumerate() {
                let t = Instant::now();
                let view = render_view(&model, cam, &opts, place.style(i as u64))?;
                render_s += t.elapsed().as_secs_f64();
                tris += view.stats.triangles;
                report(&view);
                let yaw = (first_yaw + i as f64 * 360.0 / views as f64).rem_euclid(360.0);
                let dir = out.join(format!("view_{i:02}_yaw{:03.0}", yaw));
                if !place.bench {
                    let mut extra = place.style_json();
                    extra["view_index"] = json!(i);
                    if let StyleArg::Photo = place.style {
                        extra["seed"] = json!(place.seed.wrapping_add(i as u64));
                    }
                    write_view(&dir, &view, &model, &extra)?;
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            let summary = json!({ "views": cams.len(), "render_s": render_s,
                "ms_per_view": render_s * 1e3 / cams.len().max(1) as f64,
                "triangles_per_s": tris as f64 / render_s.max(1e-9),
                "total_s_with_model_and_io": t_all.elapsed().as_secs_f64() });
            print_json(&summary, false)?;
            Ok(())
        }
    }
}
