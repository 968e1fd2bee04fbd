//! The camera JSON shape of DESIGN.md: round trips, extra keys, and typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use lsar_geometry::camera_json::{CameraJson, JsonFrame};
use lsar_geometry::geodesy::egm96_undulation;
use lsar_geometry::{Camera, CameraPose, Geodetic, GeometryError};
use nalgebra::{Isometry3, UnitQuaternion, Vector2, Vector3};
use serde::{Deserialize, Serialize};

fn ecef_example() -> (Camera, CameraPose) {
    let mut cam = Camera::from_hfov_deg(1024, 768, 60.0);
    cam.k1 = -0.05;
    cam.k2 = 0.001;
    cam.principal_point = Vector2::new(512.25, 380.0);
    let pose = CameraPose::from_enu_angles(&Geodetic::new(46.1, 7.2, 2950.1), 212.0, 3.5, -1.0);
    (cam, pose)
}

#[test]
fn ecef_json_has_the_design_shape_and_round_trips() {
    let (cam, pose) = ecef_example();
    let json = CameraJson::from_parts(&cam, &pose, JsonFrame::Ecef);
    let text = serde_json::to_string_pretty(&json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in [
        "width",
        "height",
        "focal_px",
        "fov_deg",
        "principal_point",
        "k1",
        "k2",
        "cam_from_world",
        "camera_center",
        "frame",
        "position",
        "yaw_deg",
        "pitch_deg",
        "roll_deg",
    ] {
        assert!(v.get(key).is_some(), "{key} missing in {text}");
    }
    assert_eq!(v["frame"], "ecef");
    assert_eq!(v["cam_from_world"]["rotation"].as_array().unwrap().len(), 3);
    assert_eq!(v["cam_from_world"]["rotation"][0].as_array().unwrap().len(), 3);
    assert!((v["fov_deg"].as_f64().unwrap() - 60.0).abs() < 1e-9);
    assert!((v["yaw_deg"].as_f64().unwrap() - 212.0).abs() < 1e-9);
    assert!((v["roll_deg"].as_f64().unwrap() + 1.0).abs() < 1e-9);
    let pos = &v["position"];
    assert!((pos["lat"].as_f64().unwrap() - 46.1).abs() < 1e-10);
    let n = egm96_undulation(46.1, 7.2);
    let msl = pos["elevation_msl"].as_f64().unwrap();
    assert!((msl - (2950.1 - n)).abs() < 1e-6 && (40.0..60.0).contains(&n));
    // Rows: the third row of R is the optical axis in ECEF.
    let r = pose.rotation();
    assert_eq!(v["cam_from_world"]["rotation"][2][0].as_f64().unwrap(), r[(2, 0)]);

    let back: CameraJson = serde_json::from_str(&text).unwrap();
    assert_eq!(back, json);
    let (cam2, pose2) = back.to_parts().unwrap();
    assert_eq!(cam2, cam);
    assert!((pose2.rotation() - pose.rotation()).abs().max() < 1e-15);
    assert!((pose2.center() - pose.center()).norm() < 1e-6);
}

#[test]
fn input_frame_has_no_position_or_angles() {
    let cam = Camera::new(640, 480, 500.0);
    let q = UnitQuaternion::from_euler_angles(0.1, -0.2, 0.3);
    let pose = CameraPose::new(Isometry3::from_parts(Vector3::new(1.0, 2.0, 3.0).into(), q));
    let json = CameraJson::from_parts(&cam, &pose, JsonFrame::Input);
    let text = serde_json::to_string(&json).unwrap();
    assert!(text.contains("\"frame\":\"input\"") && !text.contains("position"));
    assert!(!text.contains("yaw_deg"));
    let (c, p) = serde_json::from_str::<CameraJson>(&text).unwrap().to_parts().unwrap();
    assert_eq!(c, cam);
    assert!((p.translation() - Vector3::new(1.0, 2.0, 3.0)).norm() < 1e-12);
}

/// A tool's output: the camera plus its own keys.
#[derive(Serialize, Deserialize)]
struct ToolOutput {
    #[serde(flatten)]
    camera: CameraJson,
    inliers: usize,
    timings_ms: Vec<f64>,
}

#[test]
fn extra_keys_are_written_by_flattening_and_ignored_on_read() {
    let (cam, pose) = ecef_example();
    let out = ToolOutput {
        camera: CameraJson::from_parts_with_undulation(&cam, &pose, JsonFrame::Ecef, 50.0),
        inliers: 42,
        timings_ms: vec![1.5, 2.0],
    };
    let text = serde_json::to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["inliers"], 42);
    assert!(v["cam_from_world"].is_object());
    // A plain CameraJson reader ignores the tool's keys.
    let plain: CameraJson = serde_json::from_str(&text).unwrap();
    assert!(plain.to_parts().is_ok());
    let again: ToolOutput = serde_json::from_str(&text).unwrap();
    assert_eq!(again.inliers, 42);
    assert_eq!(again.camera, out.camera);
}

#[test]
fn bad_json_gives_typed_errors() {
    let (cam, pose) = ecef_example();
    let good = CameraJson::from_parts_with_undulation(&cam, &pose, JsonFrame::Ecef, 50.0);
    assert!(good.to_parts().is_ok());

    let mut j = good.clone();
    j.cam_from_world.rotation[0][0] += 0.01;
    assert!(matches!(j.to_parts(), Err(GeometryError::NotARotation { .. })));
    let mut j = good.clone();
    j.cam_from_world.rotation[2] = j.cam_from_world.rotation[2].map(|x| -x); // det -1
    assert!(matches!(j.to_parts(), Err(GeometryError::NotARotation { .. })));
    let mut j = good.clone();
    j.cam_from_world.translation[1] = f64::NAN;
    assert!(matches!(j.to_parts(), Err(GeometryError::NonFinite { .. })));
    let mut j = good.clone();
    j.focal_px = -1.0;
    assert!(matches!(j.to_parts(), Err(GeometryError::InvalidCamera { .. })));
    let mut j = good.clone();
    j.k1 = f64::NAN;
    assert!(matches!(j.to_parts(), Err(GeometryError::NonFinite { .. })));
    let mut j = good.clone();
    j.fov_deg = 61.0;
    assert!(matches!(j.to_parts(), Err(GeometryError::Inconsistent { .. })));
    let mut j = good.clone();
    j.camera_center[0] += 0.5;
    assert!(matches!(j.to_parts(), Err(GeometryError::Inconsistent { .. })));
    let mut j = good.clone();
    j.yaw_deg = Some(213.0);
    assert!(matches!(j.to_parts(), Err(GeometryError::Inconsistent { .. })));
    let mut j = good.clone();
    j.roll_deg = None;
    assert!(matches!(j.to_parts(), Err(GeometryError::Inconsistent { .. })));
    let mut j = good.clone();
    if let Some(p) = j.position.as_mut() {
        p.lat += 0.001;
    }
    assert!(matches!(j.to_parts(), Err(GeometryError::Inconsistent { .. })));
    let mut j = good.clone();
    j.frame = JsonFrame::Input;
    assert!(matches!(j.to_parts(), Err(GeometryError::Inconsistent { .. })));
    // Values rounded for display are accepted.
    let mut j = good;
    j.yaw_deg = j.yaw_deg.map(|v| (v * 1000.0).round() / 1000.0);
    j.fov_deg = (j.fov_deg * 1000.0).round() / 1000.0;
    assert!(j.to_parts().is_ok());
    // Malformed text is a serde error, not a panic.
    assert!(serde_json::from_str::<CameraJson>("{\"width\": 3}").is_err());
    assert!(serde_json::from_str::<CameraJson>("{\"frame\": \"mars\"}").is_err());
}
