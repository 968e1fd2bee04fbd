//! Fixtures of the end-to-end Localizer tests, built once per test binary: procedural
//! terrain, a tiny-profile SIFT pack of it (the pack builder as `lsar pack build --profile
//! tiny` runs it), a shared [`Localizer`], and query photos rendered from known cameras near
//! the pack's viewpoints.
//!
//! Query appearance: the queries are rendered in the pack's own `render` style, not the
//! photo style. The SIFT-like baseline does not cross the photo/render gap reliably (4 of
//! 20 photo appearances localized in the demo's sweep), and no trained model ships yet, so
//! these tests check the pipeline and its geometry; photo-style accuracy per descriptor is
//! measured by `lsar eval`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::OnceLock;

use indicatif::ProgressBar;
use lsar_core::geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use lsar_core::pack::PackReader;
use lsar_core::vision::Image;
use lsar_core::{DescriptorModel, Localization, Localizer};
use lsar_desktop::dem::{Dem, Vertical};
use lsar_desktop::pack_build::{
    BuildConfig, Describer, DescriptorChoice, Profile, bounds_around, build_pack,
};
use lsar_desktop::render::{
    CameraHeight, RenderCamera, RenderOptions, Style, TerrainModel, camera_position, render_view,
};
use lsar_desktop::synth::{DEFAULT_CENTER, SynthParams, synthesize};
use nalgebra::Vector3;

/// A rendered query with its true camera.
pub struct Query {
    /// The true camera (world = ECEF).
    pub truth: RenderCamera,
    /// The rendered photo.
    pub image: Image,
}

/// A pack, a localizer on it and queries.
pub struct World {
    /// The localizer (SIFT baseline).
    pub localizer: Localizer,
    /// Queries near the pack's viewpoints.
    pub queries: Vec<Query>,
    /// The pack file's bytes (to open it again, e.g. with another model).
    pub pack_bytes: Vec<u8>,
}

/// Query image size (pixels).
pub const QUERY_SIZE: (u32, u32) = (800, 600);

/// A tiny-profile SIFT pack of `model` over `radius_km` around a centre, written to `path`,
/// with the views of `lsar demo` (512 px, at most 400 keypoints: DoG finds few blobs on the
/// tiny profile's 384 px smooth renders).
pub fn tiny_sift_pack(model: &TerrainModel, lat: f64, lon: f64, radius_km: f64, path: &Path) {
    let bounds = bounds_around(lat, lon, radius_km).unwrap();
    let mut config = BuildConfig::for_profile(Profile::Tiny, "e2e", bounds);
    config.created_unix_s = 0;
    config.size_px = 512;
    config.features.max_keypoints = 400;
    let describer = Describer::load(&DescriptorChoice::Sift, None).unwrap();
    build_pack(model, &describer, &[], &config, path, &ProgressBar::hidden()).unwrap();
}

/// Cameras near viewpoints: for each of the first `count` viewpoints, 60 m east, 40 m north
/// and 50 m above the ground (the pack's camera height), turned 8 degrees right of its view with the most keypoints,
/// pitched 1 degree up, rolled 1 degree, with a FOV of 50-62 degrees.
pub fn cameras_near_viewpoints(
    model: &TerrainModel,
    pack: &PackReader,
    count: usize,
) -> Vec<RenderCamera> {
    let mut out = Vec::new();
    for (i, vp) in pack.viewpoints().iter().enumerate().take(count) {
        let views = pack.viewpoint_views(i).unwrap();
        let best = views.iter().max_by_key(|v| v.keypoint_count).unwrap();
        let p = vp.position_enu;
        let near =
            pack.local_frame().geodetic_from_enu(&Vector3::new(p[0] + 60.0, p[1] + 40.0, p[2]));
        let Ok(position) =
            camera_position(model, near.lat, near.lon, CameraHeight::AboveGround(50.0))
        else {
            continue;
        };
        let fov = 50.0 + 4.0 * (i % 4) as f64;
        let k = Camera::from_hfov_deg(QUERY_SIZE.0, QUERY_SIZE.1, fov);
        out.push(RenderCamera::from_angles(&position, best.yaw_deg + 8.0, 1.0, 1.0, k));
    }
    out
}

/// Renders a query in the pack's style.
pub fn render_query(model: &TerrainModel, truth: RenderCamera) -> Query {
    let view = render_view(model, &truth, &RenderOptions::default(), Style::Render).unwrap();
    let (w, h) = (view.colour.width() as usize, view.colour.height() as usize);
    let image = Image::from_u8(w, h, 3, view.colour.as_raw()).unwrap();
    Query { truth, image }
}

/// The procedural world, built on first use.
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let terrain = synthesize(&SynthParams { seed: 1, ..SynthParams::default() }).unwrap();
        let model = TerrainModel::new(Dem::new(vec![terrain.grid], Vertical::Egm96)).unwrap();
        let pack_path =
            std::env::temp_dir().join(format!("lsar-e2e-synth-{}.lsarpack", std::process::id()));
        let (lat, lon) = DEFAULT_CENTER;
        tiny_sift_pack(&model, lat, lon, 8.0, &pack_path);
        let pack = PackReader::open(&pack_path, None).unwrap();
        let pack_bytes = std::fs::read(&pack_path).unwrap();
        // The mapping stays valid after the file's name is removed.
        let _ = std::fs::remove_file(&pack_path);
        let queries = cameras_near_viewpoints(&model, &pack, 4)
            .into_iter()
            .map(|c| render_query(&model, c))
            .collect();
        let localizer = Localizer::open(vec![pack], DescriptorModel::Sift).unwrap();
        World { localizer, queries, pack_bytes }
    })
}

/// A GPS fix `east_m`, `north_m` from the true camera position.
pub fn gps_offset(truth: &RenderCamera, east_m: f64, north_m: f64) -> Geodetic {
    LocalFrame::new(truth.centre_geodetic()).geodetic_from_enu(&Vector3::new(east_m, north_m, 0.0))
}

/// Rotation error (degrees), centre error (metres) and FOV error (degrees) of a result.
pub fn errors(loc: &Localization, truth: &RenderCamera) -> (f64, f64, f64) {
    let (camera, pose): (Camera, CameraPose) = loc.camera_and_pose().unwrap();
    let r = pose.rotation() * truth.pose.rotation().transpose();
    let rot = ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees();
    let centre = (pose.center() - truth.pose.center()).norm();
    (rot, centre, (camera.hfov_deg() - truth.intrinsics.hfov_deg()).abs())
}
