//! The default pack detector against the old one: correct matches between two pack-style
//! renders 290 m apart (a same-domain check of what `benches/pack_detector.rs` measures
//! across domains).

use lsar_desktop::pack_build::{FeatureConfig, ViewFeatures, rendered_view_features};
use lsar_desktop::render::{CameraHeight, RenderCamera, Style, camera_position, render_view};
use lsar_geometry::{Camera, LocalFrame};
use lsar_vision::keypoints::DogConfig;
use lsar_vision::{Descriptors, MatchOptions, match_descriptors};

use super::*;

/// Correct matches (pack keypoint's 3D point within 8 px of the other view's keypoint) and
/// all matches between the features of two views.
fn correct_matches(
    a: &ViewFeatures,
    b: &ViewFeatures,
    b_cam: &RenderCamera,
    frame: &LocalFrame,
) -> (usize, usize) {
    let da = Descriptors::new(128, a.descriptors.clone()).unwrap();
    let db = Descriptors::new(128, b.descriptors.clone()).unwrap();
    let m = match_descriptors(&da, &db, &MatchOptions::default()).unwrap();
    let ok = m.iter().filter(|m| {
        let p = a.keypoints[m.query].point_enu.map(f64::from);
        let ecef = frame.ecef_from_enu(&Vector3::new(p[0], p[1], p[2]));
        let kp = b.keypoints[m.train].pixel.map(f64::from);
        b_cam
            .intrinsics
            .project(&b_cam.pose.transform_point(&ecef))
            .is_some_and(|px| (px - Vector2::new(kp[0], kp[1])).norm() <= 8.0)
    });
    (ok.count(), m.len())
}

#[test]
fn default_detector_finds_more_correct_matches_than_lowes_settings() {
    let s = scene();
    let describer = Describer::load(&DescriptorChoice::Sift, None).unwrap();
    let (lat, lon) = (s.bounds.south + s.bounds.north, s.bounds.west + s.bounds.east);
    let above = CameraHeight::AboveGround(50.0);
    let pos = camera_position(&s.model, lat / 2.0, lon / 2.0, above).unwrap();
    let frame = LocalFrame::new(pos);
    let q = frame.geodetic_from_enu(&Vector3::new(250.0, 150.0, 0.0));
    let qpos = camera_position(&s.model, q.lat, q.lon, above).unwrap();
    let old = FeatureConfig {
        dog: DogConfig { contrast_threshold: 0.01, ..DogConfig::default() },
        ..FeatureConfig::default()
    };
    let (mut new_ok, mut new_all, mut old_ok, mut new_kp, mut old_kp) = (0, 0, 0, 0, 0);
    for yaw in [0.0, 120.0, 240.0] {
        let params = ViewParams {
            yaw_deg: yaw,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            hfov_deg: 60.0,
            width: 768,
            height: 768,
        };
        let opts = RenderOptions::default();
        let a = render_view(&s.model, &view_camera(&pos, &params), &opts, Style::Render).unwrap();
        let b_cam = RenderCamera::from_angles(
            &qpos,
            yaw + 10.0,
            1.0,
            0.0,
            Camera::from_hfov_deg(768, 576, 55.0),
        );
        let b = render_view(&s.model, &b_cam, &opts, Style::Render).unwrap();
        let b_params = ViewParams { yaw_deg: yaw + 10.0, hfov_deg: 55.0, height: 576, ..params };
        for (cfg, ok_sum, all_sum, kp_sum) in [
            (&FeatureConfig::default(), &mut new_ok, Some(&mut new_all), &mut new_kp),
            (&old, &mut old_ok, None, &mut old_kp),
        ] {
            let fa = rendered_view_features(&a, &params, &frame, &describer, cfg).unwrap();
            let fb = rendered_view_features(&b, &b_params, &frame, &describer, cfg).unwrap();
            let (ok, all) = correct_matches(&fa, &fb, &b_cam, &frame);
            *ok_sum += ok;
            *kp_sum += fa.keypoints.len();
            if let Some(a) = all_sum {
                *a += all;
            }
        }
    }
    println!(
        "default: {new_kp} keypoints, {new_ok}/{new_all} correct; old: {old_kp} keypoints, {old_ok} correct"
    );
    assert!(new_kp >= 3 * old_kp, "{new_kp} vs {old_kp} keypoints");
    assert!(new_ok >= 2 * old_ok.max(5), "{new_ok} vs {old_ok} correct matches");
    assert!(3 * new_ok >= new_all, "{new_ok} of {new_all} matches correct");
}
