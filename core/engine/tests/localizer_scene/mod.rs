//! A synthetic region without a renderer: 3D points on a terrain-like surface 1.5-15 km
//! around one viewpoint, twelve 60-degree views (yaw 0, 30, ..., 330) seeing them, a random
//! unit descriptor per 3D point (the same in every view), and a query camera that sees the
//! points with noisy pixels and noisy descriptors plus outliers.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use lsar_core::QueryFeatures;
use lsar_core::geometry::camera::focal_from_hfov_deg;
use lsar_core::geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use lsar_core::pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackReader, PackWriter,
    ViewParams,
};
use lsar_core::vision::Descriptors;
use nalgebra::{Vector2, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const DIM: usize = 128;
pub const ORIGIN: Geodetic = Geodetic::new(46.5, 7.9, 1500.0);
pub const VIEW_SIZE: u32 = 800;

/// Terrain height (metres, ENU up relative to the origin) at east/north metres.
pub fn terrain(x: f64, y: f64) -> f64 {
    800.0 * (x / 2700.0).sin() * (y / 3100.0).cos() + 400.0 * ((x + y) / 1500.0).sin() + 300.0
}

pub fn frame() -> LocalFrame {
    LocalFrame::new(ORIGIN)
}

pub fn unit(rng: &mut ChaCha8Rng) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// The scene: 3D points (ENU) with their descriptors, and the viewpoint.
pub struct Scene {
    pub points: Vec<Vector3<f64>>,
    pub descriptors: Vec<Vec<f32>>,
    pub viewpoint: Vector3<f64>,
}

pub fn scene(seed: u64) -> Scene {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let viewpoint = Vector3::new(0.0, 0.0, terrain(0.0, 0.0) + 50.0);
    let n = 4000;
    let mut points = Vec::with_capacity(n);
    let mut descriptors = Vec::with_capacity(n);
    for _ in 0..n {
        let az: f64 = rng.random_range(0.0..std::f64::consts::TAU);
        let d = (rng.random_range(1500f64.ln()..15000f64.ln())).exp();
        let (x, y) = (d * az.sin(), d * az.cos());
        points.push(Vector3::new(x, y, terrain(x, y)));
        descriptors.push(unit(&mut rng));
    }
    Scene { points, descriptors, viewpoint }
}

/// A pack holding the scene's viewpoint and its twelve views, and `pois` (name, ENU point).
pub fn write_pack(scene: &Scene, model: ModelId, pois: &[(&str, Vector3<f64>)]) -> PathBuf {
    let bounds = Bounds { south: 46.3, west: 7.6, north: 46.7, east: 8.2 };
    write_pack_with(scene, model, pois, bounds, DescriptorEncoding::F16)
}

/// As [`write_pack`] with other bounds and descriptor encoding.
pub fn write_pack_with(
    scene: &Scene,
    model: ModelId,
    pois: &[(&str, Vector3<f64>)],
    bounds: Bounds,
    encoding: DescriptorEncoding,
) -> PathBuf {
    let f = frame();
    let meta = Metadata {
        name: "synthetic".into(),
        bounds,
        origin: ORIGIN,
        origin_ecef: [0.0; 3],
        model,
        descriptor_dim: DIM as u32,
        descriptor_encoding: encoding,
        horizon_bins: 36,
        build: BTreeMap::new(),
        created_unix_s: 1_790_000_000,
        tool_version: "test".into(),
    };
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("lsar-localizer-{}-{k}.lsarpack", std::process::id()));
    let mut w = PackWriter::create(&path, meta).unwrap();
    let horizon = vec![HorizonSample { elevation_deg: -5.0, distance_m: f32::INFINITY }; 36];
    let vp = scene.viewpoint;
    w.add_viewpoint([vp.x, vp.y, vp.z], vp.z - 50.0, &horizon).unwrap();
    let position = f.geodetic_from_enu(&vp);
    let camera = Camera::from_hfov_deg(VIEW_SIZE, VIEW_SIZE, 60.0);
    for v in 0..12 {
        let yaw = 30.0 * f64::from(v);
        let pose = CameraPose::from_enu_angles_in_frame(&f, &position, yaw, 0.0, 0.0);
        let mut kps = Vec::new();
        let mut desc = Vec::new();
        for (p, d) in scene.points.iter().zip(&scene.descriptors) {
            let Some(px) = project(&camera, &pose, p) else { continue };
            kps.push(Keypoint {
                point_enu: [p.x as f32, p.y as f32, p.z as f32],
                view: 0,
                pixel: [px.x as f32, px.y as f32],
                scale: 2.0,
                response: 1.0,
            });
            desc.extend_from_slice(d);
        }
        let params = ViewParams {
            yaw_deg: yaw,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            hfov_deg: 60.0,
            width: VIEW_SIZE,
            height: VIEW_SIZE,
        };
        w.add_view(&params, &kps, &desc).unwrap();
    }
    for (name, p) in pois {
        let g = f.geodetic_from_enu(p);
        w.add_poi(name, g.lat, g.lon, (g.height - 50.0) as f32, 1000.0).unwrap();
    }
    w.finish().unwrap();
    path
}

pub fn open(path: &PathBuf) -> PackReader {
    PackReader::open(path, None).unwrap()
}

/// Pixel of an ENU point, inside the image and in front only.
pub fn project(camera: &Camera, pose: &CameraPose, p: &Vector3<f64>) -> Option<Vector2<f64>> {
    let px = camera.project(&pose.transform_point(p))?;
    let inside = px.x >= 0.0
        && px.y >= 0.0
        && px.x <= f64::from(camera.width) - 1.0
        && px.y <= f64::from(camera.height) - 1.0;
    inside.then_some(px)
}

/// The true query camera.
pub struct Truth {
    pub camera: Camera,
    /// cam_from_world with world = ECEF.
    pub pose_ecef: CameraPose,
    /// cam_from_world with world = the pack frame.
    pub pose_frame: CameraPose,
    pub position: Geodetic,
    pub yaw_deg: f64,
}

pub fn truth(yaw_deg: f64, hfov_deg: f64) -> Truth {
    let (qx, qy) = (150.0, -100.0);
    let enu = Vector3::new(qx, qy, terrain(qx, qy) + 30.0);
    let position = frame().geodetic_from_enu(&enu);
    let pose_ecef = CameraPose::from_enu_angles(&position, yaw_deg, 4.0, -2.0);
    let pose_frame = pose_ecef.ecef_to_frame(&frame());
    let camera = Camera::new(1024, 768, focal_from_hfov_deg(1024, hfov_deg));
    Truth { camera, pose_ecef, pose_frame, position, yaw_deg }
}

/// Query features: visible points with pixel noise `sigma_px` and descriptor noise, then
/// `outlier_ratio * inliers` random keypoints; shuffled; at most `max_inliers` inliers.
pub fn query(
    scene: &Scene,
    t: &Truth,
    seed: u64,
    outlier_ratio: f64,
    max_inliers: usize,
) -> QueryFeatures {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows: Vec<(Vector2<f64>, Vec<f32>)> = Vec::new();
    for (p, d) in scene.points.iter().zip(&scene.descriptors) {
        if rows.len() >= max_inliers {
            break;
        }
        let Some(px) = project(&t.camera, &t.pose_frame, p) else { continue };
        let noisy = px + Vector2::new(gauss(&mut rng) * 0.5, gauss(&mut rng) * 0.5);
        let mut nd: Vec<f32> = d.iter().map(|v| v + 0.03 * gauss(&mut rng) as f32).collect();
        let n = nd.iter().map(|x| x * x).sum::<f32>().sqrt();
        nd.iter_mut().for_each(|x| *x /= n);
        rows.push((noisy, nd));
    }
    let outliers = (rows.len() as f64 * outlier_ratio) as usize;
    for _ in 0..outliers {
        let px = Vector2::new(rng.random_range(0.0..1023.0), rng.random_range(0.0..767.0));
        rows.push((px, unit(&mut rng)));
    }
    for i in (1..rows.len()).rev() {
        rows.swap(i, rng.random_range(0..=i));
    }
    let keypoints = rows.iter().map(|r| r.0).collect();
    let data = rows.iter().flat_map(|r| r.1.iter().copied()).collect();
    QueryFeatures {
        width: t.camera.width,
        height: t.camera.height,
        keypoints,
        descriptors: Descriptors::new(DIM, data).unwrap(),
        patch_hfov_deg: 60.0,
    }
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(1e-12..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Rotation error in degrees between two poses.
pub fn rotation_error_deg(a: &CameraPose, b: &CameraPose) -> f64 {
    let r = a.rotation() * b.rotation().transpose();
    (((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0)).acos().to_degrees()
}
