//! The features of one rendered view: render in the pack style, detect DoG keypoints on the
//! colour image with the sky (depth `+inf`) masked, merge duplicates, lift each keypoint to
//! the 3D terrain point seen at its sub-pixel position (from the exact depth), cut
//! FOV-normalised patches and describe them.

use lsar_geometry::{Camera, Geodetic, LocalFrame};
use lsar_pack::{Keypoint as PackKeypoint, ViewParams};
use lsar_vision::keypoints::{DogConfig, GridConfig, detect_dog, detect_grid};
use lsar_vision::{Image, Keypoint, PatchConfig, PatchExtractor, SkyMask};
use nalgebra::{Vector2, Vector3};

use super::describer::Describer;
use super::error::Result;
use crate::render::{
    RenderCamera, RenderOptions, RenderedView, Style, Surface, TerrainModel, render_view,
};

/// Which keypoints a view gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detector {
    /// Difference-of-Gaussians extrema (Lowe 2004), strongest first, with
    /// [`FeatureConfig::dog`] (default [`pack_dog_config`]).
    Dog,
    /// A dense grid every `stride` pixels (LandscapeAR's option); thinned evenly to the
    /// keypoint limit. Many points, but few at distinctive places: with the SIFT-like
    /// baseline 2-5 % of their matches to photo-style queries are correct, against 15-27 %
    /// for DoG (`benches/pack_detector.rs`).
    Grid {
        /// Spacing in pixels.
        stride: usize,
    },
}

/// How keypoints are picked in a view.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureConfig {
    /// The detector.
    pub detector: Detector,
    /// Keep at most this many keypoints per view (strongest DoG response first).
    pub max_keypoints: usize,
    /// Keypoints closer than this (pixels) to a stronger one are merged into it: FOV-normalised
    /// patches ignore the detection scale, so DoG extrema of several scales at one place would
    /// give the same patch and the same 3D point twice.
    pub merge_px: f64,
    /// The DoG detector's settings (its `max_keypoints` is ignored: `max_keypoints` above
    /// applies after merging and dropping keypoints without depth).
    pub dog: DogConfig,
    /// Relative depth jump between neighbouring pixels above which the depth is not
    /// interpolated (a silhouette: the nearest pixel's depth is used instead).
    pub depth_jump: f64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            detector: Detector::Dog,
            max_keypoints: 500,
            merge_px: 2.0,
            dog: pack_dog_config(),
            depth_jump: 0.02,
        }
    }
}

/// The DoG settings of pack views: LandscapeAR's OpenCV SIFT settings for renders
/// (`contrastThreshold` 0.02, `edgeThreshold` 15, `sigma` 1.0, see
/// `../shared/reference/landscapear.md`). OpenCV doubles the input first and compares
/// `|D|` with `contrastThreshold / nOctaveLayers` (OpenCV `sift.dispatch.cpp`,
/// `adjustLocalExtrema`), so the threshold on `|D|` is 0.02 / 3.
///
/// Measured with `benches/pack_detector.rs` (bench/README.md): on 1024 px renders Lowe's
/// single-size scale space with sigma 1.6 and `|D|` >= 0.01 finds 13-18 keypoints per view;
/// these settings find 118-182 and give 2.7-3.6 times as many correct matches against
/// photo-style queries. The smooth shaded relief has little fine texture, and most of what
/// it has lies below sigma 1.6 (the doubled octave) or along ridges (edge ratio 15).
pub fn pack_dog_config() -> DogConfig {
    let mut dog =
        DogConfig { contrast_threshold: 0.02 / 3.0, edge_threshold: 15.0, ..DogConfig::default() };
    dog.scale_space.sigma0 = 1.0;
    dog.scale_space.double_image = true;
    dog
}

/// What one view contributes to the pack.
#[derive(Debug, Clone)]
pub struct ViewFeatures {
    /// Orientation and size.
    pub params: ViewParams,
    /// Keypoints with their 3D points in the pack frame.
    pub keypoints: Vec<PackKeypoint>,
    /// Descriptor rows, `keypoints.len() * dim` values.
    pub descriptors: Vec<f32>,
    /// Pixels showing terrain.
    pub terrain_pixels: usize,
}

/// z-depth at a sub-pixel position: bilinear between the four neighbours when all see
/// terrain and agree within `jump` (relative), else the nearest pixel's; `None` for sky.
pub fn depth_at(surface: &Surface, x: f64, y: f64, jump: f64) -> Option<f64> {
    let (w, h) = (surface.width, surface.height);
    let at = |c: i64, r: i64| -> Option<f64> {
        if c < 0 || r < 0 || c >= w as i64 || r >= h as i64 {
            return None;
        }
        surface.pixels.get(r as usize * w + c as usize).copied().flatten().map(|p| p.depth)
    };
    let nearest = at(x.round() as i64, y.round() as i64)?;
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let four = [at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1)];
    let [Some(a), Some(b), Some(c), Some(d)] = four else { return Some(nearest) };
    let (lo, hi) = (a.min(b).min(c).min(d), a.max(b).max(c).max(d));
    if hi - lo > jump * lo {
        return Some(nearest);
    }
    let top = a + (b - a) * fx;
    let bottom = c + (d - c) * fx;
    Some(top + (bottom - top) * fy)
}

/// The DoG keypoints of a rendered view, as the pack builder takes them: `config.dog` on
/// `img` with the sky (`depth` `+inf`) masked, no count limit, duplicates within
/// `config.merge_px` merged; strongest first. The training-pair sampler uses it for the
/// render side, so training patches sit where pack keypoints do.
///
/// # Errors
/// Detection errors (an image smaller than the scale space allows).
pub fn detect_view_keypoints(
    img: &Image,
    depth: &Image,
    config: &FeatureConfig,
) -> lsar_vision::Result<Vec<Keypoint>> {
    let dog = DogConfig { max_keypoints: None, ..config.dog.clone() };
    let found = detect_dog(img, &dog, Some(SkyMask { depth }))?;
    Ok(merge_duplicates(&found, config.merge_px, usize::MAX))
}

/// Drops keypoints within `radius` pixels of a stronger kept one (input strongest first) and
/// keeps at most `max`.
pub fn merge_duplicates(kps: &[Keypoint], radius: f64, max: usize) -> Vec<Keypoint> {
    let r2 = radius * radius;
    let mut kept: Vec<Keypoint> = Vec::new();
    for k in kps {
        if kept.len() >= max {
            break;
        }
        if !kept.iter().any(|q| (q.x - k.x).powi(2) + (q.y - k.y).powi(2) < r2) {
            kept.push(*k);
        }
    }
    kept
}

/// The 3D point (pack ENU) seen at a pixel at z-depth `depth`.
pub fn unproject(
    camera: &RenderCamera,
    frame: &LocalFrame,
    x: f64,
    y: f64,
    depth: f64,
) -> Option<Vector3<f64>> {
    let in_cam = camera.intrinsics.unproject_depth(&Vector2::new(x, y), depth)?;
    let rot_t = camera.pose.rotation().transpose();
    let ecef = camera.centre_ecef() + rot_t * in_cam;
    Some(frame.enu_from_ecef(&ecef))
}

/// The camera of a view at a position (ellipsoidal height).
pub fn view_camera(position: &Geodetic, params: &ViewParams) -> RenderCamera {
    let k = Camera::from_hfov_deg(params.width, params.height, params.hfov_deg);
    RenderCamera::from_angles(position, params.yaw_deg, params.pitch_deg, params.roll_deg, k)
}

/// Renders one view from `position` and computes its pack features.
///
/// # Errors
/// Rendering, detection, patch and descriptor errors.
pub fn view_features(
    model: &TerrainModel,
    position: &Geodetic,
    params: &ViewParams,
    options: &RenderOptions,
    frame: &LocalFrame,
    describer: &Describer,
    config: &FeatureConfig,
) -> Result<ViewFeatures> {
    let camera = view_camera(position, params);
    let view = render_view(model, &camera, options, Style::Render)?;
    rendered_view_features(&view, params, frame, describer, config)
}

/// The pack features of a view already rendered in the pack style (`params` describe it).
///
/// # Errors
/// Detection, patch and descriptor errors.
pub fn rendered_view_features(
    view: &RenderedView,
    params: &ViewParams,
    frame: &LocalFrame,
    describer: &Describer,
    config: &FeatureConfig,
) -> Result<ViewFeatures> {
    let camera = &view.camera;
    let k = &camera.intrinsics;
    let (w, h) = (k.width as usize, k.height as usize);
    let empty = ViewFeatures {
        params: *params,
        keypoints: Vec::new(),
        descriptors: Vec::new(),
        terrain_pixels: view.stats.terrain_pixels,
    };
    if view.stats.terrain_pixels == 0 {
        return Ok(empty);
    }
    let img = Image::from_u8(w, h, 3, view.colour.as_raw())?;
    let depth = Image::new(w, h, 1, view.surface.depth_f32())?;
    let sky = Some(SkyMask { depth: &depth });
    let merged = match config.detector {
        Detector::Dog => detect_view_keypoints(&img, &depth, config)?,
        Detector::Grid { stride } => {
            let grid = GridConfig { stride, ..GridConfig::default() };
            let all = detect_grid(&img, &grid, sky)?;
            let step = all.len().div_ceil(config.max_keypoints.max(1)).max(1);
            all.into_iter().step_by(step).collect()
        }
    };
    let mut kps = Vec::with_capacity(config.max_keypoints.min(merged.len()));
    let mut points = Vec::with_capacity(kps.capacity());
    for kp in merged {
        if kps.len() >= config.max_keypoints {
            break;
        }
        let Some(d) = depth_at(&view.surface, kp.x, kp.y, config.depth_jump) else { continue };
        let Some(p) = unproject(camera, frame, kp.x, kp.y, d) else { continue };
        kps.push(kp);
        points.push(p);
    }
    if kps.is_empty() {
        return Ok(empty);
    }
    let hfov = k.hfov_deg().to_radians();
    let patches = PatchExtractor::new(&img, hfov, &PatchConfig::default())?.extract(&kps)?;
    let desc = describer.describe(&patches)?;
    let keypoints = kps
        .iter()
        .zip(&points)
        .map(|(kp, p)| PackKeypoint {
            point_enu: [p.x as f32, p.y as f32, p.z as f32],
            view: 0,
            pixel: [kp.x as f32, kp.y as f32],
            scale: kp.sigma as f32,
            response: kp.response,
        })
        .collect();
    Ok(ViewFeatures { keypoints, descriptors: desc.data().to_vec(), ..empty })
}
