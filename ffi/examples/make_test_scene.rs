//! Writes a synthetic scene for the binding tests (Python, Kotlin/JVM, Java/JNI):
//! `cargo run -p lsar-ffi --example make_test_scene -- <dir>` creates in `<dir>`
//!
//! * `scene.lsarpack`: one viewpoint whose "render" is a procedural texture (a depth map gives
//!   its 3D points), SIFT baseline descriptors, one POI in view;
//! * `other-model.lsarpack`: the same pack claiming another descriptor model;
//! * `damaged.lsarpack`: the first half of `scene.lsarpack` (a truncated download);
//! * `frame.rgba`, `frame.nv21`: a 640x480 query photo, the render seen by a rotated camera
//!   with another focal length from the same centre (an exact homography of the render);
//! * `frame1080.rgba`: the same view as a 1920x1080 RGBA frame (same pose and horizontal
//!   FOV), for the binding-overhead benchmark (`ffi/bench/`);
//! * `scene.json`: frame size, GPS prior (30 m off), and the true pose.
//!
//! The same construction as lsar-core's `localizer_image` test, so a Rust-side pass there
//! and a binding-side pass here check the same pipeline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lsar_ffi::core::geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use lsar_ffi::core::localizer::SIFT_MODEL_ID;
use lsar_ffi::core::pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackWriter, ViewParams,
};
use lsar_ffi::core::vision::keypoints::{DogConfig, detect_dog};
use lsar_ffi::core::vision::{Descriptor, Image, PatchConfig, PatchExtractor, SiftDescriptor};
use nalgebra::{Point3, Vector2, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const ORIGIN: Geodetic = Geodetic::new(46.5, 7.9, 1500.0);
const R: usize = 800;
const TRUTH_YPR: (f64, f64, f64) = (6.0, 2.0, 3.0);
const QUERY_HFOV: f64 = 50.0;

/// Multi-octave value noise in [0, 1], `size x size`, grey.
fn texture(size: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut img = vec![0.2f32; size * size];
    for (cell, amp) in [(5.0, 0.12f32), (11.0, 0.2), (23.0, 0.25), (47.0, 0.23)] {
        let n = (size as f64 / cell) as usize + 2;
        let grid: Vec<f32> = (0..n * n).map(|_| rng.random_range(0.0..1.0)).collect();
        let g = |i: usize, j: usize| grid.get(j * n + i).copied().unwrap_or(0.0);
        let s = |t: f64| (t * t * (3.0 - 2.0 * t)) as f32;
        for (i, px) in img.iter_mut().enumerate() {
            let (gx, gy) = ((i % size) as f64 / cell, (i / size) as f64 / cell);
            let (x0, y0) = (gx as usize, gy as usize);
            let (fx, fy) = (s(gx - x0 as f64), s(gy - y0 as f64));
            let top = g(x0, y0) * (1.0 - fx) + g(x0 + 1, y0) * fx;
            let bottom = g(x0, y0 + 1) * (1.0 - fx) + g(x0 + 1, y0 + 1) * fx;
            *px += amp * (top * (1.0 - fy) + bottom * fy);
        }
    }
    img
}

/// Depth (metres along the optical axis) of the render at a pixel: terrain-like, 2-5 km.
fn depth(u: f64, v: f64) -> f64 {
    2500.0 + 1500.0 * (u / 800.0) + 600.0 * (v / 170.0).sin() * (u / 230.0).cos()
}

fn write_pack(
    path: &Path,
    model: ModelId,
    frame: &LocalFrame,
    enu: Vector3<f64>,
    render: &Image,
) -> Res<()> {
    let position = frame.geodetic_from_enu(&enu);
    let pose = CameraPose::from_enu_angles_in_frame(frame, &position, 0.0, 0.0, 0.0);
    let camera = Camera::from_hfov_deg(R as u32, R as u32, 60.0);
    let config = DogConfig {
        contrast_threshold: 0.01,
        max_keypoints: Some(3000),
        border: 8.0,
        ..DogConfig::default()
    };
    let kps = detect_dog(render, &config, None)?;
    let patches =
        PatchExtractor::new(&render.to_rgb(), 60f64.to_radians(), &PatchConfig::default())?
            .extract(&kps)?;
    let desc = SiftDescriptor::default().describe(&patches)?;
    let world_from_cam = pose.cam_from_world.inverse();
    let mut keypoints = Vec::with_capacity(kps.len());
    for k in &kps {
        let p_cam =
            camera.unproject_depth(&Vector2::new(k.x, k.y), depth(k.x, k.y)).ok_or("unproject")?;
        let p = world_from_cam * Point3::from(p_cam);
        keypoints.push(Keypoint {
            point_enu: [p.x as f32, p.y as f32, p.z as f32],
            view: 0,
            pixel: [k.x as f32, k.y as f32],
            scale: k.sigma as f32,
            response: k.response,
        });
    }
    let meta = Metadata {
        name: "synthetic-texture".into(),
        bounds: Bounds { south: 46.3, west: 7.6, north: 46.7, east: 8.2 },
        origin: ORIGIN,
        origin_ecef: [0.0; 3],
        model,
        descriptor_dim: 128,
        descriptor_encoding: DescriptorEncoding::Int8,
        horizon_bins: 8,
        build: BTreeMap::new(),
        created_unix_s: 0,
        tool_version: "lsar-ffi make_test_scene".into(),
    };
    let mut w = PackWriter::create(path, meta)?;
    let horizon = vec![HorizonSample { elevation_deg: -5.0, distance_m: f32::INFINITY }; 8];
    w.add_viewpoint([enu.x, enu.y, enu.z], enu.z - 50.0, &horizon)?;
    let params = ViewParams {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        roll_deg: 0.0,
        hfov_deg: 60.0,
        width: R as u32,
        height: R as u32,
    };
    w.add_view(&params, &keypoints, desc.data())?;
    // A peak 5 km away, straight ahead of the query camera, 250 m above it.
    let yaw = TRUTH_YPR.0.to_radians();
    let peak = frame
        .geodetic_from_enu(&(enu + Vector3::new(5000.0 * yaw.sin(), 5000.0 * yaw.cos(), 250.0)));
    w.add_poi("Synthetic Peak", peak.lat, peak.lon, (peak.height - 50.0) as f32, 300.0)?;
    w.finish()?;
    Ok(())
}

/// The query photo: the render seen by `camera` at `pose` (same centre), bilinear, grey.
fn query(
    render: &Image,
    render_pose: &CameraPose,
    camera: &Camera,
    pose: &CameraPose,
) -> Res<Vec<u8>> {
    let render_camera = Camera::from_hfov_deg(R as u32, R as u32, 60.0);
    let r = render_pose.rotation() * pose.rotation().transpose();
    let (w, h) = (camera.width as usize, camera.height as usize);
    let mut grey = vec![0u8; w * h];
    for (i, px) in grey.iter_mut().enumerate() {
        let ray =
            camera.unproject(&Vector2::new((i % w) as f64, (i / w) as f64)).ok_or("unproject")?;
        if let Some(p) = render_camera.project(&(r * ray)) {
            *px = (render.sample_bilinear(p.x, p.y, 0) * 255.0).round().clamp(0.0, 255.0) as u8;
        }
    }
    Ok(grey)
}

fn main() -> Res<()> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: make_test_scene <dir>")?);
    std::fs::create_dir_all(&dir)?;
    let frame = LocalFrame::new(ORIGIN);
    let enu = Vector3::new(100.0, 200.0, 900.0);
    let position = frame.geodetic_from_enu(&enu);
    let render = Image::new(R, R, 1, texture(R, 3))?;
    let scene = dir.join("scene.lsarpack");
    write_pack(&scene, ModelId::new(SIFT_MODEL_ID, [0; 32]), &frame, enu, &render)?;
    write_pack(
        &dir.join("other-model.lsarpack"),
        ModelId::new("other-model", [7; 32]),
        &frame,
        enu,
        &render,
    )?;
    let bytes = std::fs::read(&scene)?;
    let half = bytes.get(..bytes.len() / 2).unwrap_or_default();
    std::fs::write(dir.join("damaged.lsarpack"), half)?;

    let render_pose = CameraPose::from_enu_angles_in_frame(&frame, &position, 0.0, 0.0, 0.0);
    let camera = Camera::from_hfov_deg(640, 480, QUERY_HFOV);
    let (yaw, pitch, roll) = TRUTH_YPR;
    let truth = CameraPose::from_enu_angles_in_frame(&frame, &position, yaw, pitch, roll);
    let grey = query(&render, &render_pose, &camera, &truth)?;
    let rgba: Vec<u8> = grey.iter().flat_map(|&g| [g, g, g, 255]).collect();
    std::fs::write(dir.join("frame.rgba"), rgba)?;
    let mut nv21 = grey;
    nv21.extend(std::iter::repeat_n(128u8, 640 * 480 / 2));
    std::fs::write(dir.join("frame.nv21"), nv21)?;

    let camera = Camera::from_hfov_deg(1920, 1080, QUERY_HFOV);
    let grey = query(&render, &render_pose, &camera, &truth)?;
    let rgba: Vec<u8> = grey.iter().flat_map(|&g| [g, g, g, 255]).collect();
    std::fs::write(dir.join("frame1080.rgba"), rgba)?;

    let gps = Geodetic::new(position.lat, position.lon + 30.0 / 76_000.0, position.height);
    let json = format!(
        "{{\n  \"width\": 640, \"height\": 480, \"gps_accuracy_m\": 20.0,\n  \
         \"gps\": {{ \"lat\": {:.12}, \"lon\": {:.12}, \"height\": {:.4} }},\n  \
         \"truth\": {{ \"lat\": {:.12}, \"lon\": {:.12}, \"height\": {:.4}, \"yaw_deg\": {yaw}, \
         \"pitch_deg\": {pitch}, \"roll_deg\": {roll}, \"hfov_deg\": {QUERY_HFOV} }},\n  \
         \"poi\": \"Synthetic Peak\",\n  \"frame1080\": {{ \"file\": \"frame1080.rgba\", \"width\": 1920, \
         \"height\": 1080 }}\n}}\n",
        gps.lat, gps.lon, gps.height, position.lat, position.lon, position.height,
    );
    std::fs::write(dir.join("scene.json"), json)?;
    println!("wrote the test scene to {}", dir.display());
    Ok(())
}
