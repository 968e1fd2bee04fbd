//! Image-level localization with the SIFT-like baseline and no renderer: a procedural
//! texture is the "render" of one pack view (a depth map gives its 3D points); the query
//! photo is the same scene seen by a rotated camera with another focal length from the same
//! centre (an exact homography of the render), so the whole pipeline runs: resize, DoG,
//! FOV-normalised patches, SIFT descriptors, voting, matching, P4Pf, re-matching.
//!
//! The rendered end-to-end tests (procedural terrain -> renderer -> pack builder -> rendered
//! query) live in `tests/integration/localizer_e2e.rs`, where the desktop crate is
//! available; the hook at the end of this file runs the same check on files given by
//! environment variables.
#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

use std::collections::BTreeMap;

use lsar_core::geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use lsar_core::localizer::{CancelToken, FovPrior, SIFT_MODEL_ID};
use lsar_core::pack::{
    Bounds, DescriptorEncoding, HorizonSample, Keypoint, Metadata, ModelId, PackReader, PackWriter,
    ViewParams,
};
use lsar_core::vision::descriptor::weights;
use lsar_core::vision::keypoints::{DogConfig, detect_dog};
use lsar_core::vision::{
    Branch, Config, Descriptor, Descriptors, Image, PatchConfig, PatchExtractor, Patches,
    SiftDescriptor,
};
use lsar_core::{DescriptorModel, Localizer, Priors, Reason};
use nalgebra::{Vector2, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ORIGIN: Geodetic = Geodetic::new(46.5, 7.9, 1500.0);
const R: u32 = 800;

/// Multi-octave value noise in [0, 1], `size x size`, grey.
fn texture(size: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut img = vec![0.2f32; size * size];
    for (cell, amp) in [(5.0, 0.12f32), (11.0, 0.2), (23.0, 0.25), (47.0, 0.23)] {
        let n = (size as f64 / cell) as usize + 2;
        let grid: Vec<f32> = (0..n * n).map(|_| rng.random_range(0.0..1.0)).collect();
        for y in 0..size {
            for x in 0..size {
                let (gx, gy) = (x as f64 / cell, y as f64 / cell);
                let (x0, y0) = (gx as usize, gy as usize);
                let s = |t: f64| (t * t * (3.0 - 2.0 * t)) as f32;
                let (fx, fy) = (s(gx - x0 as f64), s(gy - y0 as f64));
                let g = |i: usize, j: usize| grid[j * n + i];
                let top = g(x0, y0) * (1.0 - fx) + g(x0 + 1, y0) * fx;
                let bottom = g(x0, y0 + 1) * (1.0 - fx) + g(x0 + 1, y0 + 1) * fx;
                img[y * size + x] += amp * (top * (1.0 - fy) + bottom * fy);
            }
        }
    }
    img
}

/// Depth (metres along the optical axis) of the render at a pixel: terrain-like, 2-5 km.
fn depth(u: f64, v: f64) -> f64 {
    2500.0 + 1500.0 * (u / 800.0) + 600.0 * (v / 170.0).sin() * (u / 230.0).cos()
}

struct Setup {
    pack: PackReader,
    render_pose: CameraPose,
    render_camera: Camera,
    render: Image,
    position: Geodetic,
}

fn setup() -> Setup {
    setup_with(
        &|p| SiftDescriptor::default().describe(p).unwrap(),
        ModelId::new(SIFT_MODEL_ID, [0; 32]),
        3000,
    )
}

fn setup_with(
    describe: &dyn Fn(&Patches) -> Descriptors,
    model: ModelId,
    max_keypoints: usize,
) -> Setup {
    let frame = LocalFrame::new(ORIGIN);
    let enu = Vector3::new(100.0, 200.0, 900.0);
    let position = frame.geodetic_from_enu(&enu);
    let render_pose = CameraPose::from_enu_angles_in_frame(&frame, &position, 0.0, 0.0, 0.0);
    let render_camera = Camera::from_hfov_deg(R, R, 60.0);
    let render = Image::new(R as usize, R as usize, 1, texture(R as usize, 3)).unwrap();
    let config = DogConfig {
        contrast_threshold: 0.01,
        max_keypoints: Some(max_keypoints),
        border: 8.0,
        ..DogConfig::default()
    };
    let kps = detect_dog(&render, &config, None).unwrap();
    let patches =
        PatchExtractor::new(&render.to_rgb(), 60f64.to_radians(), &PatchConfig::default())
            .unwrap()
            .extract(&kps)
            .unwrap();
    let desc = describe(&patches);
    let world_from_cam = render_pose.cam_from_world.inverse();
    let keypoints: Vec<Keypoint> = kps
        .iter()
        .map(|k| {
            let px = Vector2::new(k.x, k.y);
            let p_cam = render_camera.unproject_depth(&px, depth(k.x, k.y)).unwrap();
            let p = world_from_cam * nalgebra::Point3::from(p_cam);
            Keypoint {
                point_enu: [p.x as f32, p.y as f32, p.z as f32],
                view: 0,
                pixel: [k.x as f32, k.y as f32],
                scale: k.sigma as f32,
                response: k.response,
            }
        })
        .collect();
    let meta = Metadata {
        name: "texture".into(),
        bounds: Bounds { south: 46.3, west: 7.6, north: 46.7, east: 8.2 },
        origin: ORIGIN,
        origin_ecef: [0.0; 3],
        model,
        descriptor_dim: 128,
        descriptor_encoding: DescriptorEncoding::Int8,
        horizon_bins: 8,
        build: BTreeMap::new(),
        created_unix_s: 0,
        tool_version: "test".into(),
    };
    // One file per call: the tests of this binary build packs concurrently.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir()
        .join(format!("lsar-localizer-image-{}-{n}.lsarpack", std::process::id()));
    let mut w = PackWriter::create(&path, meta).unwrap();
    let horizon = vec![HorizonSample { elevation_deg: 0.0, distance_m: f32::INFINITY }; 8];
    w.add_viewpoint([enu.x, enu.y, enu.z], enu.z - 50.0, &horizon).unwrap();
    let params = ViewParams {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        roll_deg: 0.0,
        hfov_deg: 60.0,
        width: R,
        height: R,
    };
    w.add_view(&params, &keypoints, desc.data()).unwrap();
    w.finish().unwrap();
    let pack = PackReader::open(&path, None).unwrap();
    let _ = std::fs::remove_file(&path);
    Setup { pack, render_pose, render_camera, render, position }
}

/// The query photo: the render seen by `camera` at `pose` (same centre), bilinear.
fn query_image(s: &Setup, camera: &Camera, pose: &CameraPose) -> Image {
    let r_render_from_query = s.render_pose.rotation() * pose.rotation().transpose();
    let (w, h) = (camera.width as usize, camera.height as usize);
    let mut data = vec![0.0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let ray = camera.unproject(&Vector2::new(x as f64, y as f64)).unwrap();
            if let Some(p) = s.render_camera.project(&(r_render_from_query * ray)) {
                data[y * w + x] = s.render.sample_bilinear(p.x, p.y, 0);
            }
        }
    }
    Image::new(w, h, 1, data).unwrap()
}

#[test]
fn localizes_a_textured_photo_with_the_sift_baseline() {
    let s = setup();
    let frame = LocalFrame::new(ORIGIN);
    let camera = Camera::from_hfov_deg(640, 480, 50.0);
    let truth_frame = CameraPose::from_enu_angles_in_frame(&frame, &s.position, 6.0, 2.0, 3.0);
    let truth = truth_frame.frame_to_ecef(&frame);
    let photo = query_image(&s, &camera, &truth_frame);
    let loc = Localizer::open(vec![s.pack], DescriptorModel::Sift).unwrap();
    let mut gps = s.position;
    gps.lon += 30.0 / 76_000.0;
    let priors = Priors::from_gps(gps, 20.0);
    let found = match loc.localize(&photo, &priors).unwrap() {
        Ok(found) => found,
        Err(n) => panic!("{n}"),
    };
    let (cam, pose) = found.camera_and_pose().unwrap();
    let r = pose.rotation() * truth.rotation().transpose();
    let rot = ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees();
    let centre = (pose.center() - truth.center()).norm();
    let focal = (cam.focal_px - camera.focal_px).abs() / camera.focal_px;
    eprintln!(
        "image: rot {rot:.4} deg, centre {centre:.1} m, focal {:.3} %, inliers {}/{}, patch FOV {}, conf {:.2}, {:?}",
        focal * 100.0,
        found.inliers,
        found.correspondences,
        found.patch_hfov_deg,
        found.confidence,
        found.timings_ms
    );
    assert!(rot < 0.2, "rotation error {rot} deg");
    assert!(focal < 0.02, "focal error {focal}");
    assert!(centre < 100.0, "centre error {centre} m");
    assert!(found.inliers >= 50);

    // With an EXIF-like FOV prior the patches are cut once, at the prior.
    let mut with_fov = priors;
    with_fov.fov = Some(FovPrior::exif(52.0));
    let again = loc.localize(&photo, &with_fov).unwrap().unwrap();
    assert_eq!(again.patch_hfov_deg, 52.0);
    // An EXIF prior is not exact: the focal is estimated (C2Pf under the GPS anchor).
    assert_eq!(again.solver, "C2pf");

    // A cancelled call stops with a typed reason; bad images are input errors.
    let cancel = CancelToken::new();
    cancel.cancel();
    let n = loc.localize_with_cancel(&photo, &priors, &cancel).unwrap().unwrap_err();
    assert_eq!(n.reason, Reason::Cancelled);
    assert!(loc.localize_encoded(b"not an image", &priors).is_err());
    let flat = Image::new(64, 64, 1, vec![0.5; 64 * 64]).unwrap();
    let n = loc.localize(&flat, &priors).unwrap().unwrap_err();
    assert!(matches!(n.reason, Reason::TooFewFeatures { .. }), "{n}");
}

#[test]
fn localizes_with_a_learned_model_whose_branches_agree() {
    // Random weights with the render branch equal to the photo branch: not a trained model,
    // but a deterministic descriptor the same on both sides, so the learned path (RGB patches
    // from a grey photo, photo branch, weights hash check) can localize.
    let mut tensors = weights::init_tensors(&Config::default(), 11).unwrap();
    let photo: Vec<(String, candle_core::Tensor)> = tensors
        .iter()
        .filter_map(|(k, t)| {
            k.strip_prefix("photo.").map(|rest| (format!("render.{rest}"), t.clone()))
        })
        .collect();
    tensors.extend(photo);
    let path =
        std::env::temp_dir().join(format!("lsar-localizer-net-{}.safetensors", std::process::id()));
    weights::save_safetensors(&tensors, candle_core::DType::F32, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let model = DescriptorModel::Learned { weights: bytes.clone() };
    let net = weights::load_from_bytes(
        &Config::default(),
        &bytes,
        candle_core::DType::F32,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let describe = |p: &Patches| net.branch(Branch::Render).describe(p).unwrap();
    let s = setup_with(&describe, ModelId::new("landscapear-test", model.sha256()), 1200);
    let frame = LocalFrame::new(ORIGIN);
    let camera = Camera::from_hfov_deg(640, 480, 50.0);
    let truth_frame = CameraPose::from_enu_angles_in_frame(&frame, &s.position, -5.0, 1.0, -2.0);
    let truth = truth_frame.frame_to_ecef(&frame);
    let photo = query_image(&s, &camera, &truth_frame);
    let mut options = lsar_core::LocalizerOptions::default();
    options.query.max_keypoints = 1200;
    let loc = Localizer::open(vec![s.pack], model).unwrap().with_options(options);
    let mut priors = Priors::from_gps(s.position, 20.0);
    priors.fov = Some(FovPrior::exif(50.0));
    let found = loc.localize(&photo, &priors).unwrap().unwrap();
    let (_, pose) = found.camera_and_pose().unwrap();
    let r = pose.rotation() * truth.rotation().transpose();
    let rot = ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees();
    eprintln!(
        "learned: rot {rot:.4} deg, inliers {}/{}, {:?}",
        found.inliers, found.correspondences, found.timings_ms
    );
    assert!(rot < 0.2, "rotation error {rot} deg");
}

/// The hook for the rendered end-to-end test: runs when `LSAR_E2E_PACK` (a pack built with
/// the SIFT baseline by the pack builder), `LSAR_E2E_QUERY` (a rendered photo-like PNG/JPEG)
/// and `LSAR_E2E_TRUTH` (its camera JSON, DESIGN.md shape, frame "ecef") are set; the GPS
/// prior is the true position 30 m off, no FOV, no heading. Skipped (passes) otherwise.
#[test]
fn rendered_end_to_end_when_files_are_given() {
    let (Ok(pack), Ok(query), Ok(truth)) = (
        std::env::var("LSAR_E2E_PACK"),
        std::env::var("LSAR_E2E_QUERY"),
        std::env::var("LSAR_E2E_TRUTH"),
    ) else {
        eprintln!("skipped: set LSAR_E2E_PACK, LSAR_E2E_QUERY and LSAR_E2E_TRUTH");
        return;
    };
    let truth: lsar_core::geometry::CameraJson =
        serde_json::from_slice(&std::fs::read(truth).unwrap()).unwrap();
    let (camera, pose) = truth.to_parts().unwrap();
    let loc = Localizer::open_paths(&[pack], DescriptorModel::Sift).unwrap();
    let mut gps = pose.position();
    gps.lat += 30.0 / 111_000.0;
    let bytes = std::fs::read(query).unwrap();
    let found = match loc.localize_encoded(&bytes, &Priors::from_gps(gps, 30.0)).unwrap() {
        Ok(found) => found,
        Err(n) => panic!("{n}"),
    };
    let (cam, est) = found.camera_and_pose().unwrap();
    let r = est.rotation() * pose.rotation().transpose();
    let rot = ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees();
    let fov = (cam.hfov_deg() - camera.hfov_deg()).abs();
    eprintln!("rendered: rot {rot:.3} deg, fov error {fov:.3} deg, {:?}", found.timings_ms);
    assert!(rot < 1.0, "rotation error {rot} deg");
}

#[test]
fn verify_pose_confirms_the_true_pose_and_not_a_turned_one() {
    let s = setup();
    let frame = LocalFrame::new(ORIGIN);
    let camera = Camera::from_hfov_deg(640, 480, 50.0);
    let truth = CameraPose::from_enu_angles_in_frame(&frame, &s.position, 6.0, 2.0, 3.0);
    let photo = query_image(&s, &camera, &truth);
    let loc = Localizer::open(vec![s.pack], DescriptorModel::Sift).unwrap();
    let priors = Priors::from_gps(s.position, 20.0);
    let trace = loc.trace(&photo, &priors, 50.0).unwrap().unwrap();
    let at_truth = loc.verify_pose(&trace, &truth.cam_from_world, &camera, &priors).unwrap();
    // The same pose turned 5 degrees to the right: its projections miss the keypoints.
    let turned = CameraPose::from_enu_angles_in_frame(&frame, &s.position, 11.0, 2.0, 3.0);
    let off = loc.verify_pose(&trace, &turned.cam_from_world, &camera, &priors).unwrap();
    eprintln!("verify: truth {at_truth:?}, turned {off:?}");
    assert!(at_truth.inliers >= 50 && at_truth.rematched >= at_truth.inliers, "{at_truth:?}");
    assert_eq!(off.inliers, 0, "{off:?}");
    assert!(off.rematched * 5 < at_truth.rematched, "{off:?} against {at_truth:?}");
    // A trace of another localizer (its pack index out of range) is an input error.
    let foreign = lsar_core::localizer::Trace { pack: 3, ..trace };
    assert!(loc.verify_pose(&foreign, &truth.cam_from_world, &camera, &priors).is_err());
}
