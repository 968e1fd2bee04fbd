//! The region-pack builder behind `lsar pack build`: viewpoints on a grid over the region,
//! a panorama of views rendered in the pack "render" style at each, DoG keypoints (OpenCV
//! SIFT's scale space as LandscapeAR configures it for renders) with their
//! 3D terrain points from the exact depth, FOV-normalised patches described with the chosen
//! descriptor (the learned network's render branch, the SIFT-like baseline or HardTFeat),
//! duplicate 3D points of a viewpoint's overlapping views merged ([`dedup`]), a horizon
//! profile per viewpoint, and POIs; streamed into a [`lsar_pack::PackWriter`],
//! which renames the finished file into place (an interrupted build leaves the destination
//! as it was, so a build is restartable).
//!
//! Views are rendered and described in parallel (rayon) in batches of viewpoints; the output
//! is the same for the same inputs except the creation time.

pub mod dedup;
pub mod describer;
pub mod error;
pub mod features;
pub mod geojson;
pub mod horizon;
pub mod pois;
pub mod prominence;
pub mod viewpoints;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use indicatif::ProgressBar;
use lsar_geometry::LocalFrame;
use lsar_pack::{Bounds, DescriptorEncoding, Metadata, PackWriter, ViewParams};
use lsar_vision::PatchConfig;
use rayon::prelude::*;
use serde_json::{Value, json};

pub use describer::{Describer, DescriptorChoice};
pub use error::{PackBuildError, Result};
pub use features::{
    Detector, FeatureConfig, ViewFeatures, pack_dog_config, rendered_view_features, view_camera,
    view_features,
};
pub use horizon::{HorizonConfig, horizon_profile};
pub use pois::{PoiEntry, auto_pois, read_poi_file, summits_sidecar};
pub use viewpoints::{ViewpointSite, bounds_around, check_bounds, origin_of, viewpoint_grid};

use crate::render::{RenderOptions, TerrainModel};

/// Preset build settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Production: 1 km spacing, 12 views of 60 degrees at 1024 px, 500 keypoints per view,
    /// 360 horizon bins.
    Default,
    /// Tests, CI and the demo: at most 4 viewpoints 4 km apart, 6 views of 60 degrees at
    /// 384 px, 150 keypoints per view, 72 horizon bins; builds in seconds.
    Tiny,
}

/// Everything that decides what a build writes.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildConfig {
    /// Pack name (metadata).
    pub name: String,
    /// Region bounds, degrees.
    pub bounds: Bounds,
    /// Viewpoint grid spacing, metres.
    pub spacing_m: f64,
    /// Camera height above the ground, metres.
    pub height_above_ground_m: f64,
    /// Keep only this many viewpoints (nearest to the centre).
    pub max_viewpoints: Option<usize>,
    /// Views per panorama (headings every `360 / views` degrees, pitch 0).
    pub views: usize,
    /// Horizontal FOV of each view, degrees.
    pub fov_deg: f64,
    /// Side of the square views, pixels.
    pub size_px: u32,
    /// Keypoint selection.
    pub features: FeatureConfig,
    /// Keypoints of one viewpoint whose 3D points lie within this many pixels of each other,
    /// seen from the viewpoint, are merged into one (pixels of the coarser of the view's
    /// sampling and the FOV-normalised patches; [`dedup`]); 0 turns merging off.
    pub merge_3d_px: f64,
    /// Horizon profiles.
    pub horizon: HorizonConfig,
    /// Renderer settings.
    pub render: RenderOptions,
    /// How descriptors are stored.
    pub encoding: DescriptorEncoding,
    /// Creation time written to the metadata (seconds since the Unix epoch).
    pub created_unix_s: i64,
    /// More build parameters for the metadata (e.g. the DEM files).
    pub extra: BTreeMap<String, Value>,
}

impl BuildConfig {
    /// The settings of a profile for a region.
    pub fn for_profile(profile: Profile, name: &str, bounds: Bounds) -> Self {
        let (spacing_m, max_viewpoints, views, size_px, max_kp, bins) = match profile {
            Profile::Default => (1000.0, None, 12, 1024, 500, 360),
            Profile::Tiny => (4000.0, Some(4), 6, 384, 150, 72),
        };
        Self {
            name: name.to_string(),
            bounds,
            spacing_m,
            height_above_ground_m: 50.0,
            max_viewpoints,
            views,
            fov_deg: 60.0,
            size_px,
            features: FeatureConfig { max_keypoints: max_kp, ..FeatureConfig::default() },
            merge_3d_px: 2.0,
            horizon: HorizonConfig { bins, ..HorizonConfig::default() },
            render: RenderOptions::default(),
            encoding: DescriptorEncoding::F16,
            created_unix_s: lsar_pack::unix_now(),
            extra: BTreeMap::new(),
        }
    }

    /// The view parameters of every panorama.
    pub fn view_params(&self) -> Vec<ViewParams> {
        let step = 360.0 / self.views.max(1) as f64;
        (0..self.views)
            .map(|i| ViewParams {
                yaw_deg: i as f64 * step,
                pitch_deg: 0.0,
                roll_deg: 0.0,
                hfov_deg: self.fov_deg,
                width: self.size_px,
                height: self.size_px,
            })
            .collect()
    }

    fn check(&self) -> Result<()> {
        check_bounds(&self.bounds)?;
        let bad = |name, reason: &str| {
            Err(PackBuildError::InvalidParameter { name, reason: reason.to_string() })
        };
        if self.views == 0 || self.views > 360 {
            return bad("views", "1..=360");
        }
        if !(self.fov_deg > 1.0 && self.fov_deg < 179.0) {
            return bad("fov", "between 1 and 179 degrees");
        }
        if !(32..=8192).contains(&self.size_px) {
            return bad("size", "32..=8192 pixels");
        }
        if !(0.0..=100.0).contains(&self.merge_3d_px) {
            return bad("merge distance", "0..=100 pixels");
        }
        if self.horizon.bins == 0 || self.horizon.bins > 36_000 {
            return bad("horizon bins", "1..=36000");
        }
        Ok(())
    }

    fn build_json(&self, descriptor: &str) -> BTreeMap<String, Value> {
        let mut m = self.extra.clone();
        let f = &self.features;
        let entries = [
            ("spacing_m", json!(self.spacing_m)),
            ("height_above_ground_m", json!(self.height_above_ground_m)),
            ("max_viewpoints", json!(self.max_viewpoints)),
            ("views", json!(self.views)),
            ("fov_deg", json!(self.fov_deg)),
            ("size_px", json!(self.size_px)),
            ("style", json!("render")),
            ("detector", json!(format!("{:?}", f.detector).to_lowercase())),
            ("max_keypoints_per_view", json!(f.max_keypoints)),
            ("merge_px", json!(f.merge_px)),
            ("merge_3d_px", json!(self.merge_3d_px)),
            ("dog_contrast_threshold", json!(f.dog.contrast_threshold)),
            ("dog_edge_threshold", json!(f.dog.edge_threshold)),
            ("dog_sigma0", json!(f.dog.scale_space.sigma0)),
            ("dog_double_image", json!(f.dog.scale_space.double_image)),
            ("descriptor", json!(descriptor)),
            ("horizon_ray_step_deg", json!(self.horizon.ray_step_deg)),
            ("visible_radius_m", json!(self.render.visible_radius_m)),
            ("lod_pixel_error", json!(self.render.lod_pixel_error)),
        ];
        for (k, v) in entries {
            m.insert(k.to_string(), v);
        }
        m
    }
}

/// What a build produced.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildReport {
    /// Viewpoints written.
    pub viewpoints: usize,
    /// Views written.
    pub views: usize,
    /// Keypoints written.
    pub keypoints: usize,
    /// Keypoints removed as duplicate 3D points of another view of their viewpoint.
    pub merged: usize,
    /// POIs written.
    pub pois: usize,
    /// Pack size in bytes.
    pub bytes: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Builds a pack of `model`'s terrain into `out` (replaced atomically when done).
/// `progress` counts views (its length is set here); pass `ProgressBar::hidden()` for none.
///
/// # Errors
/// Bad parameters, no viewpoint over data, and rendering, descriptor or writing errors; the
/// destination is left as it was.
pub fn build_pack(
    model: &TerrainModel,
    describer: &Describer,
    pois: &[PoiEntry],
    config: &BuildConfig,
    out: &Path,
    progress: &ProgressBar,
) -> Result<BuildReport> {
    let t0 = Instant::now();
    config.check()?;
    let dem = model.dem();
    let origin = origin_of(&config.bounds, dem);
    let frame = LocalFrame::new(origin);
    let sites = viewpoint_grid(
        dem,
        &frame,
        &config.bounds,
        config.spacing_m,
        config.height_above_ground_m,
        config.max_viewpoints,
    )?;
    let dim = describer.dim();
    let meta = Metadata {
        name: config.name.clone(),
        bounds: config.bounds,
        origin,
        origin_ecef: [0.0; 3],
        model: describer.model().clone(),
        descriptor_dim: u32::try_from(dim).unwrap_or(0),
        descriptor_encoding: config.encoding,
        horizon_bins: config.horizon.bins,
        build: config.build_json(describer.model().id.as_str()),
        created_unix_s: config.created_unix_s,
        tool_version: format!("lsar {}", env!("CARGO_PKG_VERSION")),
    };
    let mut writer = PackWriter::create(out, meta)?;
    let params = config.view_params();
    progress.set_length((sites.len() * params.len()) as u64);
    let horizon_cfg =
        HorizonConfig { max_distance_m: config.render.visible_radius_m, ..config.horizon };
    // Enough views in flight to keep every core busy, few enough to bound memory.
    let batch = (4 * rayon::current_num_threads()).div_ceil(params.len()).max(1);
    let reference_width = PatchConfig::default().reference_width;
    let tol = dedup::merge_tolerance_rad(
        config.merge_3d_px,
        config.size_px,
        config.fov_deg,
        reference_width,
    );
    let (mut views, mut keypoints, mut merged) = (0, 0, 0);
    for chunk in sites.chunks(batch) {
        let jobs: Vec<(usize, &ViewParams)> =
            (0..chunk.len()).flat_map(|s| params.iter().map(move |p| (s, p))).collect();
        let mut done: Vec<ViewFeatures> = jobs
            .par_iter()
            .map(|&(s, p)| {
                let site = &chunk[s];
                let f = view_features(
                    model,
                    &site.camera,
                    p,
                    &config.render,
                    &frame,
                    describer,
                    &config.features,
                );
                progress.inc(1);
                f
            })
            .collect::<Result<_>>()?;
        let horizons: Vec<_> =
            chunk.par_iter().map(|s| horizon_profile(dem, &s.camera, &horizon_cfg)).collect();
        for ((site, horizon), site_views) in
            chunk.iter().zip(&horizons).zip(done.chunks_mut(params.len()))
        {
            merged += dedup::merge_viewpoint_duplicates(site_views, site.position_enu, tol);
            writer.add_viewpoint(site.position_enu, site.ground_height, horizon)?;
            for f in site_views.iter() {
                writer.add_view(&f.params, &f.keypoints, &f.descriptors)?;
                views += 1;
                keypoints += f.keypoints.len();
            }
        }
    }
    for p in pois {
        writer.add_poi(&p.name, p.lat, p.lon, p.elevation_msl as f32, p.prominence as f32)?;
    }
    let bytes = writer.finish()?;
    Ok(BuildReport {
        viewpoints: sites.len(),
        views,
        keypoints,
        merged,
        pois: pois.len(),
        bytes,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
