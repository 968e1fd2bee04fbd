//! The Localizer after description (`localize_features`) on a synthetic region pack built
//! without a renderer (see `localizer_scene`): pose recovery with and without priors, typed
//! failures, model checks, JSON shape, threads.
#![allow(clippy::unwrap_used, clippy::panic)] // helpers outside #[test] fns

mod localizer_scene;

use std::sync::OnceLock;

use localizer_scene as s;
use lsar_core::localizer::{FovPrior, HeadingPrior, PriorKind, SIFT_MODEL_ID};
use lsar_core::pack::{Bounds, DescriptorEncoding, ModelId};
use lsar_core::{
    CoreError, DescriptorModel, Localization, Localizer, LocalizerOptions, Outcome, Priors, Reason,
};
use nalgebra::Vector3;

fn sift_model() -> ModelId {
    ModelId::new(SIFT_MODEL_ID, [0; 32])
}

/// One pack for all tests (built once).
fn pack_path() -> &'static std::path::PathBuf {
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let scene = s::scene(7);
        // A POI on a terrain point in the middle of the default query view.
        let t = s::truth(47.0, 55.0);
        let poi = scene
            .points
            .iter()
            .find(|p| {
                s::project(&t.camera, &t.pose_frame, p)
                    .is_some_and(|px| (px.x - 512.0).abs() < 150.0 && (px.y - 384.0).abs() < 150.0)
            })
            .copied()
            .unwrap_or(Vector3::zeros());
        s::write_pack(&scene, sift_model(), &[("Test Peak", poi + Vector3::new(0.0, 0.0, 50.0))])
    })
}

fn scene() -> &'static s::Scene {
    static SCENE: OnceLock<s::Scene> = OnceLock::new();
    SCENE.get_or_init(|| s::scene(7))
}

fn localizer() -> Localizer {
    Localizer::open(vec![s::open(pack_path())], DescriptorModel::Sift).unwrap()
}

/// Without the GPS-anchored first solve: the solvers of the priors alone.
fn unanchored() -> Localizer {
    localizer().with_options(LocalizerOptions { gps_anchor: false, ..LocalizerOptions::default() })
}

fn gps_priors(t: &s::Truth) -> Priors {
    // 40 m off, 30 m accuracy.
    let mut gps = t.position;
    gps.lat += 40.0 / 111_000.0;
    Priors::from_gps(gps, 30.0)
}

fn expect_localized(out: Outcome) -> Localization {
    match out {
        Ok(loc) => loc,
        Err(n) => panic!("not localized: {n}"),
    }
}

/// Rotation (deg), camera-centre (m) and relative focal errors against the truth.
fn errors(loc: &Localization, t: &s::Truth) -> (f64, f64, f64) {
    let (camera, pose) = loc.camera_and_pose().unwrap();
    let rot = s::rotation_error_deg(&pose, &t.pose_ecef);
    let pos = (pose.center() - t.pose_ecef.center()).norm();
    let focal = (camera.focal_px - t.camera.focal_px).abs() / t.camera.focal_px;
    (rot, pos, focal)
}

/// The pose within 0.1 degrees and 30 m, the focal within 1 %.
fn assert_accurate(loc: &Localization, t: &s::Truth) {
    let (rot, pos, focal) = errors(loc, t);
    assert!(rot < 0.1 && pos < 30.0 && focal < 0.01, "{rot} {pos} {focal}");
}

#[test]
fn recovers_pose_and_focal_without_priors() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let loc = expect_localized(localizer().localize_features(&q, &gps_priors(&t)).unwrap());
    let (rot, pos, focal) = errors(&loc, &t);
    eprintln!(
        "no priors: rot {rot:.4} deg, centre {pos:.2} m, focal {:.3} %, inliers {}/{}, rmse {:.2} px, conf {:.2}, {:?}",
        focal * 100.0,
        loc.inliers,
        loc.correspondences,
        loc.reprojection_rmse_px,
        loc.confidence,
        loc.timings_ms
    );
    assert!(rot < 0.1, "rotation error {rot} deg");
    assert!(pos < 30.0, "centre error {pos} m");
    assert!(focal < 0.01, "focal error {focal}");
    assert_eq!(loc.solver, "C2pf");
    assert!(loc.confidence > 0.5, "confidence {}", loc.confidence);
    // Without the anchor: P4Pf, the same pose.
    let free = expect_localized(unanchored().localize_features(&q, &gps_priors(&t)).unwrap());
    assert_eq!(free.solver, "P4pf");
    assert_accurate(&free, &t);
    assert!(loc.contradicted_priors.is_empty(), "{:?}", loc.contradicted_priors);
    // The angles and the position in the camera JSON agree with the truth.
    let yaw = loc.camera_json.yaw_deg.unwrap();
    assert!((yaw - 47.0).abs() < 0.1, "yaw {yaw}");
    let p = loc.camera_json.position.unwrap();
    assert!((p.lat - t.position.lat).abs() < 3e-4 && (p.lon - t.position.lon).abs() < 4e-4);
    // The three views voted first look the right way (the query looks at 47 deg, FOV 55).
    let reader = s::open(pack_path());
    let pack = &reader;
    for &v in loc.views.iter().take(3) {
        let yaw = pack.views()[v as usize].yaw_deg;
        assert!(lsar_core::localizer::angle_diff_deg(yaw, 47.0).abs() <= 60.0, "view yaw {yaw}");
    }
}

#[test]
fn heading_prior_restricts_views() {
    let t = s::truth(200.0, 45.0);
    let q = s::query(scene(), &t, 2, 0.5, usize::MAX);
    let loc = localizer();
    let mut priors = gps_priors(&t);
    priors.heading = Some(HeadingPrior { yaw_deg: 207.0, accuracy_deg: 8.0 });
    let found = expect_localized(loc.localize_features(&q, &priors).unwrap());
    assert_accurate(&found, &t);
    assert!(found.contradicted_priors.is_empty());
    // A compass pointing the opposite way leaves only views that cannot explain the photo.
    priors.heading = Some(HeadingPrior { yaw_deg: 20.0, accuracy_deg: 5.0 });
    match loc.localize_features(&q, &priors).unwrap() {
        Err(n) => assert!(
            matches!(n.reason, Reason::NoConsensus { .. } | Reason::TooFewMatches { .. }),
            "{n}"
        ),
        Ok(l) => panic!("localized against the views of a wrong heading: {:?}", errors(&l, &t)),
    }
}

#[test]
fn gravity_prior_uses_upright_solver() {
    let t = s::truth(300.0, 65.0);
    let q = s::query(scene(), &t, 3, 1.0, usize::MAX);
    let mut priors = gps_priors(&t);
    // Down in the camera frame: R_cam_from_ecef times down (minus the normal) at the camera.
    let at = lsar_core::geometry::LocalFrame::new(t.position);
    let down =
        t.pose_ecef.rotation() * (at.ecef_from_enu_rotation() * Vector3::new(0.0, 0.0, -1.0));
    priors.gravity_down_in_cam = Some([down.x, down.y, down.z]);
    let anchored = expect_localized(localizer().localize_features(&q, &priors).unwrap());
    assert_eq!(anchored.solver, "C2pf");
    assert_accurate(&anchored, &t);
    let loc = expect_localized(unanchored().localize_features(&q, &priors).unwrap());
    let (rot, pos, focal) = errors(&loc, &t);
    eprintln!("gravity: rot {rot:.4} deg, centre {pos:.2} m, focal {:.3} %", focal * 100.0);
    assert_eq!(loc.solver, "Up3pf");
    assert!(rot < 0.1 && pos < 30.0 && focal < 0.01, "{rot} {pos} {focal}");
    // A gravity prior tilted by 10 degrees is reported as contradicted (or fails).
    let tilt = nalgebra::Rotation3::from_axis_angle(&Vector3::z_axis(), 10f64.to_radians());
    let tilted = tilt * down;
    priors.gravity_down_in_cam = Some([tilted.x, tilted.y, tilted.z]);
    match localizer().localize_features(&q, &priors).unwrap() {
        Ok(l) => {
            eprintln!("tilted gravity: {:?}, conf {:.2}", l.contradicted_priors, l.confidence);
            assert!(l.contradicted_priors.contains(&PriorKind::Gravity));
        }
        Err(n) => eprintln!("tilted gravity: {n}"),
    }
}

#[test]
fn exact_fov_uses_p3p_and_keeps_focal() {
    let t = s::truth(120.0, 50.0);
    let q = s::query(scene(), &t, 4, 0.5, usize::MAX);
    let mut priors = gps_priors(&t);
    priors.fov = Some(FovPrior::exact(50.0));
    for (loc, solver) in [(localizer(), "C2p"), (unanchored(), "P3p")] {
        let loc = expect_localized(loc.localize_features(&q, &priors).unwrap());
        assert_eq!(loc.solver, solver);
        let (rot, pos, focal) = errors(&loc, &t);
        assert!(rot < 0.1 && pos < 30.0 && focal < 1e-9, "{solver}: {rot} {pos} {focal}");
    }
}

#[test]
fn gps_outside_every_pack_or_far_from_viewpoints() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let loc = localizer();
    let mut priors = gps_priors(&t);
    priors.gps.lat = 10.0;
    let n = loc.localize_features(&q, &priors).unwrap().unwrap_err();
    assert_eq!(n.reason, Reason::OutsidePacks);
    assert!(!n.localized);
    // Inside the bounds, 21 km from the only viewpoint.
    priors.gps = s::frame().geodetic_from_enu(&Vector3::new(-15_000.0, -15_000.0, 0.0));
    let n = loc.localize_features(&q, &priors).unwrap().unwrap_err();
    // The search radius is the smallest allowed (the GPS sigma is small).
    let smallest = loc.options().search_radius_range_m.0;
    assert!(
        matches!(n.reason, Reason::NoViewpointsNear { radius_m } if radius_m == smallest),
        "{n}"
    );
}

#[test]
fn too_few_matches_and_no_consensus() {
    let t = s::truth(47.0, 55.0);
    let loc = localizer();
    let few = s::query(scene(), &t, 5, 0.0, 6);
    let n = loc.localize_features(&few, &gps_priors(&t)).unwrap().unwrap_err();
    assert_eq!(n.reason, Reason::TooFewMatches { found: 6, required: 12 });
    // Only outliers: many matches, no pose explains them.
    let mut junk = s::query(scene(), &t, 6, 400.0, 1);
    junk.keypoints.remove(0);
    let data = junk.descriptors.data()[s::DIM..].to_vec();
    junk.descriptors = lsar_core::vision::Descriptors::new(s::DIM, data).unwrap();
    let n = loc.localize_features(&junk, &gps_priors(&t)).unwrap().unwrap_err();
    assert!(matches!(n.reason, Reason::NoConsensus { .. }), "{n}");
}

#[test]
fn invalid_priors_and_features_are_errors() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let loc = localizer();
    let mut priors = gps_priors(&t);
    priors.gps.lat = 200.0;
    assert!(matches!(loc.localize_features(&q, &priors), Err(CoreError::InvalidInput { .. })));
    priors = gps_priors(&t);
    priors.gps_accuracy_m = f64::NAN;
    assert!(matches!(loc.localize_features(&q, &priors), Err(CoreError::InvalidInput { .. })));
    let mut bad = q;
    bad.keypoints.pop();
    assert!(matches!(
        loc.localize_features(&bad, &gps_priors(&t)),
        Err(CoreError::InvalidInput { .. })
    ));
    assert!(matches!(Localizer::open(Vec::new(), DescriptorModel::Sift), Err(CoreError::NoPacks)));
}

#[test]
fn model_mismatch_is_a_typed_error() {
    let pack = || s::open(pack_path());
    // A SIFT pack refuses a learned model and HardTFeat.
    let weights = DescriptorModel::Learned { weights: vec![1, 2, 3] };
    let err = Localizer::open(vec![pack()], weights).unwrap_err();
    assert!(matches!(err, CoreError::ModelMismatch { .. }), "{err}");
    let err =
        Localizer::open(vec![pack()], DescriptorModel::HardTFeat { npz: vec![4] }).unwrap_err();
    assert!(matches!(err, CoreError::ModelMismatch { .. }), "{err}");
    // A learned pack refuses SIFT and other weights, and accepts its own weights' hash.
    let model = DescriptorModel::Learned { weights: b"not really safetensors".to_vec() };
    let learned = ModelId::new("landscapear-v1", model.sha256());
    let path = s::write_pack(
        &s::Scene { points: vec![], descriptors: vec![], ..s::scene(1) },
        learned,
        &[],
    );
    let err = Localizer::open(vec![s::open(&path)], DescriptorModel::Sift).unwrap_err();
    assert!(matches!(err, CoreError::ModelMismatch { .. }), "{err}");
    let other = DescriptorModel::Learned { weights: b"other".to_vec() };
    let err = Localizer::open(vec![s::open(&path)], other).unwrap_err();
    assert!(matches!(err, CoreError::ModelMismatch { .. }), "{err}");
    // The right hash passes the check; these bytes are not weights, so loading fails typed.
    let err = Localizer::open(vec![s::open(&path)], model).unwrap_err();
    assert!(matches!(err, CoreError::Vision { .. }), "{err}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn json_shape_and_threads_agree() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let priors = gps_priors(&t);
    let loc = localizer();
    let one = expect_localized(loc.localize_features(&q, &priors).unwrap());
    let json = serde_json::to_value(&one).unwrap();
    assert_eq!(json["localized"], true);
    assert_eq!(json["frame"], "ecef");
    for key in [
        "focal_px",
        "fov_deg",
        "cam_from_world",
        "position",
        "yaw_deg",
        "inliers",
        "reprojection_rmse_px",
        "confidence",
        "quaternion_wxyz",
        "timings_ms",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    let many: Vec<Localization> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| expect_localized(loc.localize_features(&q, &priors).unwrap())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for other in many {
        assert_eq!(other.camera_json, one.camera_json);
        assert_eq!(other.inliers, one.inliers);
    }
    // The peak in the middle of the view is labelled.
    let labels = loc.project_pois(&one, &Default::default()).unwrap();
    assert!(labels.iter().any(|l| l.name == "Test Peak"), "{labels:?}");
}

#[test]
fn rematching_adds_the_points_of_other_views() {
    // Only the best-voted view is matched in full; the re-matching round must bring in the
    // visible points of the neighbouring views (the query straddles two views).
    let t = s::truth(45.0, 60.0);
    let q = s::query(scene(), &t, 8, 0.5, usize::MAX);
    let visible =
        scene().points.iter().filter(|p| s::project(&t.camera, &t.pose_frame, p).is_some()).count();
    let options = LocalizerOptions { top_views: 1, ..Default::default() };
    let loc = localizer().with_options(options);
    let found = expect_localized(loc.localize_features(&q, &gps_priors(&t)).unwrap());
    assert_eq!(found.views.len(), 1);
    let pack = s::open(pack_path());
    let in_both = pack
        .view_keypoints(found.views[0] as usize)
        .unwrap()
        .iter()
        .filter(|k| {
            let p =
                Vector3::new(k.point_enu[0].into(), k.point_enu[1].into(), k.point_enu[2].into());
            s::project(&t.camera, &t.pose_frame, &p).is_some()
        })
        .count();
    eprintln!(
        "rematch: {} inliers, {visible} visible, {in_both} of them in the voted view",
        found.inliers
    );
    assert!(visible > in_both + 30, "the query must straddle views: {in_both} of {visible}");
    assert!(found.inliers > in_both + 30, "{} inliers, {in_both} in the voted view", found.inliers);
    assert!(found.inliers as f64 > 0.95 * visible as f64, "{} of {visible}", found.inliers);
    assert_accurate(&found, &t);
}

#[test]
fn heavy_outliers_int8_pack_and_the_covering_pack_is_used() {
    let scene = s::scene(21);
    let elsewhere = Bounds { south: 40.0, west: 1.0, north: 41.0, east: 2.0 };
    let here = Bounds { south: 46.3, west: 7.6, north: 46.7, east: 8.2 };
    let far = s::write_pack_with(&scene, sift_model(), &[], elsewhere, DescriptorEncoding::F16);
    let near = s::write_pack_with(&scene, sift_model(), &[], here, DescriptorEncoding::Int8);
    let loc = Localizer::open(vec![s::open(&far), s::open(&near)], DescriptorModel::Sift).unwrap();
    let _ = (std::fs::remove_file(far), std::fs::remove_file(near));
    let t = s::truth(250.0, 40.0);
    // Three outliers per inlier.
    let q = s::query(&scene, &t, 9, 3.0, usize::MAX);
    let found = expect_localized(loc.localize_features(&q, &gps_priors(&t)).unwrap());
    assert_eq!(found.pack, 1);
    let (rot, pos, focal) = errors(&found, &t);
    eprintln!(
        "outliers x3, int8: rot {rot:.4} deg, centre {pos:.2} m, focal {:.3} %, inliers {}/{}",
        focal * 100.0,
        found.inliers,
        found.correspondences
    );
    assert!(rot < 0.1 && pos < 30.0 && focal < 0.01, "{rot} {pos} {focal}");
}

#[test]
fn a_contradicted_gps_prior_is_reported_and_lowers_confidence() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let loc = localizer();
    let honest = expect_localized(loc.localize_features(&q, &gps_priors(&t)).unwrap());
    // A fix 10 m from the viewpoint claiming 30 m accuracy; the camera is ~190 m away.
    let vp = s::frame().geodetic_from_enu(&(scene().viewpoint + Vector3::new(10.0, 0.0, 0.0)));
    let found = expect_localized(loc.localize_features(&q, &Priors::from_gps(vp, 30.0)).unwrap());
    assert_eq!(found.contradicted_priors, vec![PriorKind::Gps]);
    assert!(
        found.confidence < honest.confidence * 0.6,
        "{} vs {}",
        found.confidence,
        honest.confidence
    );
    // The anchored solve rejects a pose that far from the fix; the unanchored one finds the
    // honest pose.
    assert_eq!(found.solver, "P4pf");
    assert_accurate(&found, &t);
}

/// Nine outliers per inlier and 60 inliers: the GPS-anchored 2-point solve finds the pose
/// (the RANSAC budgets of both solvers are compared in `lsar-geometry`'s `pose_ransac`
/// tests; here the synthetic descriptors rank true matches first, so PROSAC finds them
/// either way and both must agree).
#[test]
fn gps_anchor_localizes_at_ten_percent_inliers() {
    let t = s::truth(130.0, 60.0);
    let q = s::query(scene(), &t, 11, 9.0, 60);
    let anchored = expect_localized(localizer().localize_features(&q, &gps_priors(&t)).unwrap());
    assert_eq!(anchored.solver, "C2pf");
    assert_accurate(&anchored, &t);
    let free = expect_localized(unanchored().localize_features(&q, &gps_priors(&t)).unwrap());
    assert_accurate(&free, &t);
}

/// A GPS altitude 1500 m off (a missing altitude passed as 0 in the mountains): the anchored
/// solve does not hold, and the unanchored one finds the true pose.
#[test]
fn a_wrong_gps_altitude_falls_back_to_the_unanchored_solve() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let mut priors = gps_priors(&t);
    priors.gps.height -= 1500.0;
    let loc = expect_localized(localizer().localize_features(&q, &priors).unwrap());
    assert_eq!(loc.solver, "P4pf");
    assert_accurate(&loc, &t);
}

/// One inlier among 3000 random keypoints: every consensus is chance. The anchored solve's
/// comparison with shuffled correspondences refuses it; without that comparison (ratio 0)
/// the same search accepts a pose when it matches only 3 views (the control: with the
/// default 24 views, the chance consensus stays below `min_inliers` anyway).
#[test]
fn chance_consensus_is_refused() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 23, 3000.0, 1);
    let out = localizer().localize_features(&q, &gps_priors(&t)).unwrap();
    assert!(out.is_err(), "{:?}", out.map(|l| errors(&l, &t)));
    let three = LocalizerOptions { top_views: 3, ..LocalizerOptions::default() };
    let out = localizer().with_options(three.clone()).localize_features(&q, &gps_priors(&t));
    assert!(out.as_ref().is_ok_and(Result::is_err), "{:?}", out.map(|o| o.map(|l| errors(&l, &t))));
    let lax = LocalizerOptions { anchor_chance_ratio: 0.0, ..three };
    let without = localizer().with_options(lax).localize_features(&q, &gps_priors(&t)).unwrap();
    // The control: the search alone finds a (wrong) consensus here, so the check is what
    // refuses it.
    assert!(without.is_ok_and(|l| errors(&l, &t).0 > 5.0));
}

/// With the count requirement out of reach (`anchor_min_inliers` 100 000), an anchored first
/// solve above chance goes to the heading peak test: guided re-matching from its pose finds
/// the true points, from the pose turned 5 degrees almost none, so it is confirmed. Without
/// the test (`peak_min_inliers` out of reach) the unanchored solve is the result. On 3000
/// random keypoints with one true one, the test confirms nothing.
#[test]
fn the_heading_peak_test_confirms_what_the_count_refuses() {
    let t = s::truth(47.0, 55.0);
    let q = s::query(scene(), &t, 1, 0.5, usize::MAX);
    let strict = LocalizerOptions { anchor_min_inliers: 100_000, ..LocalizerOptions::default() };
    let loc = localizer().with_options(strict.clone());
    let peaked = expect_localized(loc.localize_features(&q, &gps_priors(&t)).unwrap());
    assert_eq!(peaked.solver, "C2pf");
    assert_accurate(&peaked, &t);
    let off = LocalizerOptions { peak_min_inliers: usize::MAX, ..strict.clone() };
    let without = localizer().with_options(off).localize_features(&q, &gps_priors(&t)).unwrap();
    assert_eq!(expect_localized(without).solver, "P4pf");
    let chance = s::query(scene(), &t, 23, 3000.0, 1);
    let out = localizer().with_options(strict).localize_features(&chance, &gps_priors(&t));
    assert!(out.as_ref().is_ok_and(Result::is_err), "{:?}", out.map(|o| o.map(|l| errors(&l, &t))));
}
