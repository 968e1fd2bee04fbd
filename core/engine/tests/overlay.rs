//! Overlay tests: projection, curvature, occlusion by a pack horizon, declutter, and a pack
//! round trip.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns

use std::collections::BTreeMap;

use lsar_core::geometry::geodesy::{egm96_undulation, geodesic_inverse, geodetic_from_ecef};
use lsar_core::geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use lsar_core::overlay::*;
use lsar_core::pack::{
    Bounds, DescriptorEncoding, HorizonSample, Metadata, ModelId, PackReader, PackWriter,
    ViewParams,
};
use nalgebra::Vector3;

const CAMERA_AT: Geodetic = Geodetic::new(46.55, 7.95, 2900.0);

fn camera() -> Camera {
    Camera::from_hfov_deg(1024, 768, 60.0)
}

/// The ECEF point `dist` metres from `from` along yaw/pitch (degrees) in ENU at `from`.
fn along(from: &Geodetic, yaw_deg: f64, pitch_deg: f64, dist: f64) -> Vector3<f64> {
    let (sy, cy) = yaw_deg.to_radians().sin_cos();
    let (sp, cp) = pitch_deg.to_radians().sin_cos();
    LocalFrame::new(*from).ecef_from_enu(&(Vector3::new(sy * cp, cy * cp, sp) * dist))
}

/// A POI at an ECEF point whose `elevation_msl` is consistent with `geoid`.
fn poi_at(
    name: &str,
    ecef: &Vector3<f64>,
    prominence: Option<f64>,
    geoid: &dyn UndulationModel,
) -> Poi {
    let g = geodetic_from_ecef(ecef);
    let elevation_msl = g.height - geoid.undulation(g.lat, g.lon);
    Poi { name: name.to_owned(), lat: g.lat, lon: g.lon, elevation_msl, prominence }
}

fn resolved(name: &str, ecef: &Vector3<f64>) -> ResolvedPoi {
    poi_at(name, ecef, Some(100.0), &FixedUndulation(0.0)).resolve(&FixedUndulation(0.0)).unwrap()
}

#[test]
fn poi_straight_ahead_projects_to_the_principal_point_with_egm96_heights() {
    let (yaw, pitch, roll) = (37.0, 4.0, -3.0);
    let pose = CameraPose::from_enu_angles(&CAMERA_AT, yaw, pitch, roll);
    let poi = poi_at("Ahead", &along(&CAMERA_AT, yaw, pitch, 20_000.0), None, &Egm96Exact);
    let n = egm96_undulation(poi.lat, poi.lon);
    assert!(n.abs() > 30.0, "the test needs a sizeable undulation, got {n}");
    let proj = Projector::new(&camera(), &pose).unwrap();
    let p = proj.project(&poi.resolve(&Egm96Exact).unwrap());
    let pixel = p.pixel.unwrap();
    assert!((pixel - camera().principal_point).norm() < 1e-6, "{pixel:?}");
    assert!(p.in_front && p.in_image);
    assert!((p.slant_distance_m - 20_000.0).abs() < 1e-6);
    assert!((p.elevation_angle_deg - pitch).abs() < 1e-9);
    // Treating the sea-level elevation as ellipsoidal puts the POI N metres lower: at 20 km
    // about n / 20000 rad, i.e. f * n / 20000 px further down.
    let wrong = proj.project(&poi.resolve(&FixedUndulation(0.0)).unwrap()).pixel.unwrap();
    let expected_dy = camera().focal_px * n / 20_000.0;
    assert!((wrong.y - pixel.y - expected_dy).abs() < 0.1 * expected_dy.abs(), "{wrong:?}");
}

#[test]
fn poi_ten_degrees_right_projects_at_f_tan_10() {
    let pose = CameraPose::from_enu_angles(&CAMERA_AT, 200.0, 0.0, 0.0);
    let poi = resolved("Right", &along(&CAMERA_AT, 210.0, 0.0, 15_000.0));
    let cam = camera();
    let pixel = Projector::new(&cam, &pose).unwrap().project(&poi).pixel.unwrap();
    let cx = cam.principal_point.x + cam.focal_px * 10f64.to_radians().tan();
    assert!((pixel.x - cx).abs() < 1e-6, "{} vs {cx}", pixel.x);
    assert!((pixel.y - cam.principal_point.y).abs() < 1e-6);
}

#[test]
fn points_behind_the_camera_are_rejected() {
    let pose = CameraPose::from_enu_angles(&CAMERA_AT, 120.0, 0.0, 0.0);
    let cam = camera();
    let proj = Projector::new(&cam, &pose).unwrap();
    // Straight behind, and behind but off-axis: a plain pinhole mirrors both into the image.
    let behind = [
        resolved("B1", &along(&CAMERA_AT, 300.0, 0.0, 8_000.0)),
        resolved("B2", &along(&CAMERA_AT, 290.0, -3.0, 8_000.0)),
    ];
    for poi in &behind {
        let p = proj.project(poi);
        assert!(p.point_in_cam.z < 0.0);
        let pinhole = cam.principal_point.x + cam.focal_px * p.point_in_cam.x / p.point_in_cam.z;
        assert!((0.0..1024.0).contains(&pinhole), "test setup: a plain x/z lands in the image");
        assert!(!p.in_front && !p.in_image && p.pixel.is_none());
    }
    let options = OverlayOptions::default();
    let labels = overlay_labels(&cam, &pose, &behind, &NoOcclusion, &options).unwrap();
    assert!(labels.is_empty());

    // In front but 63.4 degrees off-axis, where k1 = -0.3 folds the image back inside.
    let bent = Camera { k1: -0.3, ..cam };
    let far_side = resolved("Side", &along(&CAMERA_AT, 120.0 + 2f64.atan().to_degrees(), 0.0, 9e3));
    let in_cam = pose.transform_point(&far_side.ecef);
    let naive = bent.project(&in_cam).unwrap();
    assert!((0.0..1024.0).contains(&naive.x), "test setup: naive pixel {naive:?} inside");
    let p = Projector::new(&bent, &pose).unwrap().project(&far_side);
    assert!(p.in_front && p.pixel.is_none() && !p.in_image);
}

#[test]
fn bearing_and_distance_match_geodesic_inverse() {
    let pose = CameraPose::from_enu_angles(&CAMERA_AT, 0.0, 0.0, 0.0);
    let proj = Projector::new(&camera(), &pose).unwrap();
    for (k, dist) in [1_000.0, 12_000.0, 60_000.0].into_iter().enumerate() {
        for yaw in [0.0, 47.0, 90.0, 181.0, 275.0] {
            let poi = resolved("P", &along(&CAMERA_AT, yaw, 1.0 + k as f64, dist));
            let p = proj.project(&poi);
            let g = geodesic_inverse(&pose.position(), &poi.position);
            assert_eq!(p.distance_m, g.distance_m);
            assert_eq!(p.bearing_deg, g.azimuth1_deg);
            // The azimuth at the camera, not at the POI (they differ by ~0.5 deg at 60 km E-W).
            let d = (p.bearing_deg - yaw + 540.0).rem_euclid(360.0) - 180.0;
            assert!(d.abs() < 0.01, "yaw {yaw} dist {dist}: bearing {}", p.bearing_deg);
            let ratio = p.distance_m / (dist * (1.0 + k as f64).to_radians().cos());
            assert!((ratio - 1.0).abs() < 2e-3, "ratio {ratio}");
        }
    }
}

#[test]
fn earth_curvature_lowers_a_distant_poi_at_camera_height() {
    // On the equator looking east, the equator is a circle: a POI at the camera's height
    // dlon away subtends the central angle dlon and lies exactly dlon / 2 below horizontal.
    let at = Geodetic::new(0.0, 10.0, 100.0);
    let pose = CameraPose::from_enu_angles(&at, 90.0, 0.0, 0.0);
    let cam = camera();
    let proj = Projector::new(&cam, &pose).unwrap();
    let dlon: f64 = 0.5;
    let poi = Poi {
        name: "E".into(),
        lat: 0.0,
        lon: 10.0 + dlon,
        elevation_msl: 100.0,
        prominence: None,
    };
    let p = proj.project(&poi.resolve(&FixedUndulation(0.0)).unwrap());
    assert!((p.elevation_angle_deg + dlon / 2.0).abs() < 1e-9, "{}", p.elevation_angle_deg);
    // The textbook drop d^2 / (2R) over d: an angle of d / (2R), with d the equatorial arc
    // a dlon. The camera's latitude after the ECEF round trip is ~1e-15 deg, not 0: the
    // geodesic distance must still be the equatorial arc.
    let (a, r) = (6_378_137.0, 6_378_137.0 + 100.0);
    assert!((p.distance_m - a * dlon.to_radians()).abs() < 1e-6, "{}", p.distance_m);
    let drop_angle = (a * dlon.to_radians() / (2.0 * r)).to_degrees();
    let err = (p.elevation_angle_deg + drop_angle).abs();
    assert!(err < 1e-4 * drop_angle, "{} vs {drop_angle}", p.elevation_angle_deg);
    let y = cam.principal_point.y + cam.focal_px * (dlon / 2.0).to_radians().tan();
    assert!((p.pixel.unwrap().y - y).abs() < 1e-6);

    // At 46 N looking north over 40 km: R is the meridian radius of curvature M(46).
    let at = Geodetic::new(46.0, 8.0, 0.0);
    let proj = Projector::new(&cam, &CameraPose::from_enu_angles(&at, 0.0, 0.0, 0.0)).unwrap();
    let north = geodesic_inverse(&at, &Geodetic::new(46.36, 8.0, 0.0));
    let poi = Poi { name: "N".into(), lat: 46.36, lon: 8.0, elevation_msl: 0.0, prominence: None };
    let p = proj.project(&poi.resolve(&FixedUndulation(0.0)).unwrap());
    let e2 = 0.006_694_379_990_14_f64;
    let m = 6_378_137.0 * (1.0 - e2) / (1.0 - e2 * 46.18f64.to_radians().sin().powi(2)).powf(1.5);
    let expected = -(north.distance_m / (2.0 * m)).to_degrees();
    assert!(
        (p.elevation_angle_deg / expected - 1.0).abs() < 0.01,
        "{} vs {expected}",
        p.elevation_angle_deg
    );
}

fn ring(bins: usize, elevation_deg: f32, distance_m: f32) -> Vec<HorizonSample> {
    vec![HorizonSample { elevation_deg, distance_m }; bins]
}

#[test]
fn horizon_hides_a_far_poi_and_not_a_near_one() {
    let vp = CAMERA_AT.to_ecef();
    // A ridge ring 2 degrees high at 10 km, but bin 9 (90..100 deg) is open sky.
    let mut samples = ring(36, 2.0, 10_000.0);
    samples[9] = HorizonSample { elevation_deg: -90.0, distance_m: f32::INFINITY };
    let profile = HorizonProfile::new(&vp, samples, HorizonTolerance::default()).unwrap();
    let case = |yaw: f64, pitch: f64, dist: f64| {
        profile.is_visible(&vp, &along(&CAMERA_AT, yaw, pitch, dist))
    };
    assert_eq!(case(10.0, 1.0, 30_000.0), Visibility::Hidden);
    assert_eq!(case(10.0, 1.0, 5_000.0), Visibility::Undecided);
    assert_eq!(case(10.0, 3.0, 30_000.0), Visibility::Visible);
    assert_eq!(case(10.0, 1.9, 30_000.0), Visibility::Visible, "within the 0.25 deg tolerance");
    assert_eq!(case(10.0, 1.0, 10_300.0), Visibility::Undecided, "within the distance tolerance");
    assert_eq!(case(95.0, -5.0, 30_000.0), Visibility::Visible, "open sky bin");
    // A camera far from the viewpoint gets no verdict.
    let away = along(&CAMERA_AT, 0.0, 0.0, 2_000.0);
    assert_eq!(
        profile.is_visible(&away, &along(&CAMERA_AT, 10.0, 1.0, 30_000.0)),
        Visibility::Undecided
    );
    // Bins: [k, k+1) * 10 degrees.
    assert_eq!(profile.sample_at(95.0).elevation_deg, -90.0);
    assert_eq!(profile.sample_at(-265.0).elevation_deg, -90.0);
    assert_eq!(profile.sample_at(100.0).elevation_deg, 2.0);
    assert_eq!(profile.sample_at(359.999).elevation_deg, 2.0);
    assert!(HorizonProfile::new(&vp, ring(4, f32::NAN, 1.0), HorizonTolerance::default()).is_err());
    assert!(HorizonProfile::new(&vp, Vec::new(), HorizonTolerance::default()).is_err());

    // Through the overlay: the hidden POI is removed, or flagged when asked for.
    let pose = CameraPose::from_enu_angles(&CAMERA_AT, 10.0, 0.0, 0.0);
    let pois = [
        resolved("Far", &along(&CAMERA_AT, 10.0, 1.0, 30_000.0)),
        resolved("Near", &along(&CAMERA_AT, 5.0, 1.0, 5_000.0)),
    ];
    let mut options = OverlayOptions::default();
    let labels = overlay_labels(&camera(), &pose, &pois, &profile, &options).unwrap();
    assert_eq!(labels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["Near"]);
    options.include_hidden = true;
    let labels = overlay_labels(&camera(), &pose, &pois, &profile, &options).unwrap();
    assert_eq!(labels.len(), 2);
    assert!(labels[0].visible && !labels[1].visible && labels[1].visibility == Visibility::Hidden);
}

#[test]
fn horizon_occlusion_accounts_for_curvature() {
    // The skyline sits 0.1 deg below horizontal at 5 km. A POI 60 km away at the camera's
    // own height drops 60e3 / (2 R) = 0.27 deg: below the skyline and behind it.
    let at = Geodetic::new(46.0, 8.0, 2000.0);
    let tol = HorizonTolerance { elevation_deg: 0.0, ..HorizonTolerance::default() };
    let profile = HorizonProfile::new(&at.to_ecef(), ring(360, -0.1, 5_000.0), tol).unwrap();
    let far = Geodetic::new(46.0 + 60_000.0 / 111_150.0, 8.0, 2000.0).to_ecef();
    assert_eq!(profile.is_visible(&at.to_ecef(), &far), Visibility::Hidden);
    let near = Geodetic::new(46.0 + 10_000.0 / 111_150.0, 8.0, 2000.0).to_ecef();
    assert_eq!(profile.is_visible(&at.to_ecef(), &near), Visibility::Visible, "drop 0.045 deg");
}

fn label(name: &str, x: f64, prominence: Option<f64>, distance_m: f64) -> Label {
    let pixel = [x, 400.0];
    Label {
        name: name.into(),
        pixel,
        label_box: label_box(pixel, name, &DeclutterOptions::default()),
        lat: 46.0,
        lon: 8.0,
        elevation_msl: 3000.0,
        height: 3050.0,
        prominence,
        distance_m,
        slant_distance_m: distance_m,
        bearing_deg: 10.0,
        elevation_angle_deg: 1.0,
        visible: true,
        visibility: Visibility::Visible,
    }
}

fn names(labels: &[Label]) -> Vec<&str> {
    labels.iter().map(|l| l.name.as_str()).collect()
}

#[test]
fn declutter_keeps_the_higher_priority_label_and_is_deterministic() {
    let opts = DeclutterOptions::default();
    let small_near = label("Small", 500.0, Some(300.0), 5_000.0);
    let big_far = label("Big", 510.0, Some(1200.0), 25_000.0);
    assert!(small_near.label_box.overlaps(&big_far.label_box, 0.0));
    assert_eq!(names(&declutter(vec![small_near.clone(), big_far.clone()], &opts)), ["Big"]);
    // Equal prominence: the nearer wins; unknown prominence loses to any known one.
    let twin_far = label("Twin", 505.0, Some(300.0), 9_000.0);
    assert_eq!(names(&declutter(vec![twin_far.clone(), small_near.clone()], &opts)), ["Small"]);
    let unknown = label("Unknown", 495.0, None, 1_000.0);
    assert_eq!(names(&declutter(vec![unknown.clone(), small_near.clone()], &opts)), ["Small"]);
    // Far apart: both kept, in priority order; the box sits above the anchor.
    let apart = label("Apart", 900.0, Some(10.0), 3_000.0);
    let kept = declutter(vec![apart.clone(), small_near.clone()], &opts);
    assert_eq!(names(&kept), ["Small", "Apart"]);
    let (anchor, end) = kept[0].leader_line();
    assert_eq!(anchor, [500.0, 400.0]);
    assert_eq!(end, [500.0, 370.0]);
    assert_eq!(kept[0].label_box.width(), 5.0 * 8.0 + 8.0);

    // Same result for every input order (no flicker when POIs arrive in another order).
    let all =
        [small_near, big_far, twin_far, unknown, apart, label("Same", 700.0, Some(300.0), 5_000.0)];
    let expected = names(&declutter(all.to_vec(), &opts)).join(",");
    assert_eq!(
        expected, "Big,Same,Apart",
        "Same before Small: equal prominence and distance, name"
    );
    for shift in 0..all.len() {
        let mut v = all.to_vec();
        v.rotate_left(shift);
        assert_eq!(names(&declutter(v.clone(), &opts)).join(","), expected);
        v.reverse();
        assert_eq!(names(&declutter(v, &opts)).join(","), expected);
    }
    let limited = DeclutterOptions { max_labels: Some(2), min_prominence_m: Some(20.0), ..opts };
    assert_eq!(names(&declutter(all.to_vec(), &limited)), ["Big", "Same"]);
}

#[test]
fn pack_round_trip_projects_pack_pois() {
    let dir = std::env::temp_dir().join(format!("lsar-core-overlay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("overlay.lsarpack");
    let origin = Geodetic::new(46.5, 7.9, 2500.0);
    let e = origin.to_ecef();
    let meta = Metadata {
        name: "Overlay test".into(),
        bounds: Bounds { south: 46.0, west: 7.5, north: 47.0, east: 8.5 },
        origin,
        origin_ecef: [e.x, e.y, e.z],
        model: ModelId::new("test", [0; 32]),
        descriptor_dim: 128,
        descriptor_encoding: DescriptorEncoding::F16,
        horizon_bins: 72,
        build: BTreeMap::new(),
        created_unix_s: 1_790_000_000,
        tool_version: "test".into(),
    };
    // Viewpoint 0 far away with open sky; viewpoint 1 at 300 m east, 50 m up, ringed by a
    // 2-degree ridge at 10 km.
    let vp1_enu = [300.0, 0.0, 50.0];
    let vp1 = LocalFrame::new(origin).ecef_from_enu(&Vector3::from(vp1_enu));
    let vp1_geo = geodetic_from_ecef(&vp1);
    let mut w = PackWriter::create(&path, meta).unwrap();
    w.add_viewpoint([20_000.0, 0.0, 0.0], 2400.0, &ring(72, -90.0, f32::INFINITY)).unwrap();
    w.add_viewpoint(vp1_enu, 2500.0, &ring(72, 2.0, 10_000.0)).unwrap();
    let params = ViewParams {
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        roll_deg: 0.0,
        hfov_deg: 60.0,
        width: 64,
        height: 48,
    };
    w.add_view(&params, &[], &[]).unwrap();
    let specs = [
        ("Near Horn", 3.0, 1.0, 6_000.0, 800.0),
        ("Far Hidden", -4.0, 1.0, 30_000.0, 2000.0),
        ("High Dom", -8.0, 4.0, 30_000.0, f32::NAN),
        ("Behind", 180.0, 1.0, 6_000.0, 900.0),
    ];
    for (name, yaw, pitch, dist, prom) in specs {
        let p = poi_at(name, &along(&vp1_geo, yaw, pitch, dist), None, &Egm96Exact);
        w.add_poi(name, p.lat, p.lon, p.elevation_msl as f32, prom).unwrap();
    }
    w.finish().unwrap();

    let pack = PackReader::open(&path, None).unwrap();
    let pois = pois_from_pack(&pack).unwrap();
    assert_eq!(pois.len(), 4);
    assert_eq!(pois[2].name, "High Dom");
    assert_eq!(pois[2].prominence, None);
    assert_eq!(pois[0].prominence, Some(800.0));
    let resolved = resolve_pois(&pois, &Egm96Exact).unwrap();
    // The camera stands 2 m below viewpoint 1 and looks north.
    let at = Geodetic { height: vp1_geo.height - 2.0, ..vp1_geo };
    let pose = CameraPose::from_enu_angles(&at, 0.0, 0.0, 0.0);
    let near = HorizonProfile::nearest_in_pack(&pack, &pose.center(), HorizonTolerance::default())
        .unwrap()
        .unwrap();
    assert!((near.viewpoint_ecef() - vp1).norm() < 1e-6);
    let options = OverlayOptions::default();
    let labels = overlay_labels_for_pack(
        &pack,
        &camera(),
        &pose,
        &resolved,
        HorizonTolerance::default(),
        &options,
    )
    .unwrap();
    assert_eq!(names(&labels), ["Near Horn", "High Dom"]);
    let proj = Projector::new(&camera(), &pose).unwrap();
    for l in &labels {
        let r = resolved.iter().find(|r| r.poi.name == l.name).unwrap();
        let p = proj.project(r);
        assert_eq!(l.pixel, [p.pixel.unwrap().x, p.pixel.unwrap().y]);
        // The camera is 2 m lower than the viewpoint the POI was placed from: ~1 deg pitch.
        assert!(
            (l.elevation_angle_deg - if l.name == "Near Horn" { 1.0 } else { 4.0 }).abs() < 0.05
        );
    }
    let json = serde_json::to_value(&labels[0]).unwrap();
    assert_eq!(json["name"], "Near Horn");
    assert_eq!(json["visibility"], "undecided", "below the ridge line but in front of it");
    assert_eq!(json["visible"], true);
    assert!(json["box"]["x_min"].is_f64() && json["pixel"].as_array().unwrap().len() == 2);
    // Without a viewpoint nearby nothing is hidden.
    let lonely = CameraPose::from_enu_angles(&origin, 0.0, 0.0, 0.0);
    let tol = HorizonTolerance { max_camera_offset_m: 100.0, ..HorizonTolerance::default() };
    let labels =
        overlay_labels_for_pack(&pack, &camera(), &lonely, &resolved, tol, &options).unwrap();
    assert!(names(&labels).contains(&"Far Hidden"));
    std::fs::remove_dir_all(&dir).unwrap();
}
