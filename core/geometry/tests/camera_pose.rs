//! Camera intrinsics, `CameraPose` and its yaw/pitch/roll: test vectors that pin DESIGN.md's
//! conventions. Targets are placed with `map_3d`'s ENU (an independent implementation), and
//! the checks are about where they appear in the image.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use lsar_geometry::pose::{YawPitchRoll, cam_from_enu_rotation, rotation_to_angles_deg};
use lsar_geometry::{Camera, CameraPose, Geodetic};
use nalgebra::{Matrix3, Vector2, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Places around the earth, poles and antimeridian included.
const PLACES: [(f64, f64, f64); 8] = [
    (46.0, 7.0, 2950.0),
    (45.8326, 6.8652, 4808.0),
    (-33.9, 151.2, 10.0),
    (0.0, 180.0, 0.0),
    (0.0, -179.999_999, 100.0),
    (89.9, 30.0, 2800.0),
    (-89.99, -120.0, 2835.0),
    (90.0, 0.0, 0.0),
];

/// ECEF of a point at `enu` from a geodetic origin, by `map_3d`.
fn ecef_at(origin: (f64, f64, f64), enu: Vector3<f64>) -> Vector3<f64> {
    let (x, y, z) = map_3d::enu2ecef(
        enu.x,
        enu.y,
        enu.z,
        origin.0.to_radians(),
        origin.1.to_radians(),
        origin.2,
        map_3d::Ellipsoid::WGS84,
    );
    Vector3::new(x, y, z)
}

/// The pixel of a target at `enu` from a camera at `place` with the given angles.
fn pixel_of(place: (f64, f64, f64), angles: (f64, f64, f64), enu: Vector3<f64>) -> Vector2<f64> {
    let cam = Camera::from_hfov_deg(1000, 800, 60.0);
    let pose = CameraPose::from_enu_angles(
        &Geodetic::new(place.0, place.1, place.2),
        angles.0,
        angles.1,
        angles.2,
    );
    cam.project(&pose.transform_point(&ecef_at(place, enu))).unwrap()
}

#[test]
fn looking_north_level_is_east_down_north() {
    let r = cam_from_enu_rotation(0.0, 0.0, 0.0);
    let expected = Matrix3::new(1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 1.0, 0.0);
    assert!((r - expected).abs().max() < 1e-15, "{r}");
    // Yaw 90 looks east: rows (south, -up, east).
    let r = cam_from_enu_rotation(90.0, 0.0, 0.0);
    let expected = Matrix3::new(0.0, -1.0, 0.0, 0.0, 0.0, -1.0, 1.0, 0.0, 0.0);
    assert!((r - expected).abs().max() < 1e-15, "{r}");
}

#[test]
fn angle_signs_at_places_around_the_earth() {
    let pp = Camera::from_hfov_deg(1000, 800, 60.0).principal_point;
    for place in PLACES {
        // Looking north, level: a target north is at the centre, east is right, up is up.
        let p = pixel_of(place, (0.0, 0.0, 0.0), Vector3::new(0.0, 1000.0, 0.0));
        assert!((p - pp).norm() < 1e-6, "{place:?} {p}");
        let p = pixel_of(place, (0.0, 0.0, 0.0), Vector3::new(100.0, 1000.0, 0.0));
        assert!(p.x > pp.x + 50.0 && (p.y - pp.y).abs() < 1e-6, "{place:?} {p}");
        let p = pixel_of(place, (0.0, 0.0, 0.0), Vector3::new(0.0, 1000.0, 100.0));
        assert!(p.y < pp.y - 50.0 && (p.x - pp.x).abs() < 1e-6, "{place:?} {p}");
        // Yaw 90 looks east.
        let p = pixel_of(place, (90.0, 0.0, 0.0), Vector3::new(1000.0, 0.0, 0.0));
        assert!((p - pp).norm() < 1e-6, "{place:?} {p}");
        // Yaw 212 looks south-south-west.
        let (s, c) = 212f64.to_radians().sin_cos();
        let p = pixel_of(place, (212.0, 0.0, 0.0), Vector3::new(1000.0 * s, 1000.0 * c, 0.0));
        assert!((p - pp).norm() < 1e-6, "{place:?} {p}");
        // Pitch +10 looks 10 degrees up: that direction is at the centre, and a point 20
        // degrees up is above the centre, the horizon below it.
        let (s, c) = 10f64.to_radians().sin_cos();
        let p = pixel_of(place, (0.0, 10.0, 0.0), Vector3::new(0.0, 1000.0 * c, 1000.0 * s));
        assert!((p - pp).norm() < 1e-6, "{place:?} {p}");
        let (s2, c2) = 20f64.to_radians().sin_cos();
        let p = pixel_of(place, (0.0, 10.0, 0.0), Vector3::new(0.0, 1000.0 * c2, 1000.0 * s2));
        assert!(p.y < pp.y - 50.0, "{place:?} {p}");
        let p = pixel_of(place, (0.0, 10.0, 0.0), Vector3::new(0.0, 1000.0, 0.0));
        assert!(p.y > pp.y + 50.0, "{place:?} {p}");
        // Roll +10 turns the camera clockwise as the photographer sees it: the right edge of
        // the image goes down. The ray through a pixel right of the centre on the middle row
        // points below the horizon, and the horizon tilts in the image: a point right of the
        // centre at horizon height appears higher (smaller y), 10 degrees above the x axis.
        let pos = Geodetic::new(place.0, place.1, place.2);
        let pose = CameraPose::from_enu_angles(&pos, 0.0, 0.0, 10.0);
        let cam = Camera::from_hfov_deg(1000, 800, 60.0);
        let ray_cam = cam.unproject(&(pp + Vector2::new(300.0, 0.0))).unwrap();
        let ray_ecef = pose.rotation().transpose() * ray_cam;
        let (sl, cl) = place.0.to_radians().sin_cos();
        let (so, co) = place.1.to_radians().sin_cos();
        let up_ecef = Vector3::new(cl * co, cl * so, sl);
        let ray_right = cam.unproject(&(pp + Vector2::new(300.0, 0.0))).unwrap();
        let expected_up = -(ray_right.x) * 10f64.to_radians().sin();
        assert!((ray_ecef.dot(&up_ecef) - expected_up).abs() < 1e-9, "{place:?}");
        assert!(ray_ecef.dot(&up_ecef) < -0.05, "{place:?}");
        let p = pixel_of(place, (0.0, 0.0, 10.0), Vector3::new(100.0, 1000.0, 0.0));
        let d = p - pp;
        assert!(d.y < -10.0, "{place:?} {p}");
        assert!((d.y.atan2(d.x).to_degrees() + 10.0).abs() < 1e-6, "{place:?} {d}");
    }
}

#[test]
fn angles_round_trip_through_ecef_pose() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for i in 0..5000 {
        // Not the exact pole: there ENU depends on a longitude that ECEF does not carry.
        let place = PLACES[i % (PLACES.len() - 1)];
        let pos = Geodetic::new(place.0, place.1, place.2);
        let yaw = rng.random_range(0.0..360.0);
        let pitch = rng.random_range(-89.9..89.9);
        let roll = rng.random_range(-179.9..179.9);
        let pose = CameraPose::from_enu_angles(&pos, yaw, pitch, roll);
        let a = pose.angles_deg();
        assert!((a.yaw_deg - yaw).abs() < 1e-8, "{yaw} {pitch} {roll}: {a:?}");
        assert!((a.pitch_deg - pitch).abs() < 1e-8, "{yaw} {pitch} {roll}: {a:?}");
        assert!((a.roll_deg - roll).abs() < 1e-8, "{yaw} {pitch} {roll}: {a:?}");
        let q = pose.position();
        assert!((q.lat - pos.lat).abs() < 1e-9 && (q.height - pos.height).abs() < 1e-6);
        assert!((pose.center() - pos.to_ecef()).norm() < 1e-6);
        // The quaternion is the rotation of cam_from_world.
        let v = Vector3::new(0.3, -1.2, 2.0);
        assert!((pose.quaternion() * v - pose.rotation() * v).norm() < 1e-12);
    }
}

#[test]
fn gimbal_lock_keeps_the_rotation() {
    for pitch in [90.0, -90.0, 90.0 - 1e-9, -90.0 + 1e-8] {
        for (yaw, roll) in [(0.0, 0.0), (30.0, 0.0), (200.0, 45.0), (10.0, -120.0)] {
            let r = cam_from_enu_rotation(yaw, pitch, roll);
            let a: YawPitchRoll = rotation_to_angles_deg(&r);
            let back = cam_from_enu_rotation(a.yaw_deg, a.pitch_deg, a.roll_deg);
            assert!((back - r).abs().max() < 1e-9, "{yaw} {pitch} {roll}: {a:?}");
            assert!((a.pitch_deg - pitch).abs() < 1e-6);
            assert!(a.yaw_deg.is_finite() && a.roll_deg.is_finite());
        }
    }
}

#[test]
fn pose_in_a_local_frame_matches_ecef() {
    let origin = Geodetic::new(46.0, 7.0, 1000.0);
    let frame = lsar_geometry::LocalFrame::new(origin);
    let pos = Geodetic::new(46.3, 7.4, 3000.0);
    let in_frame = CameraPose::from_enu_angles_in_frame(&frame, &pos, 212.0, 3.5, -1.0);
    let a = in_frame.angles_deg_in_frame(&frame);
    assert!((a.yaw_deg - 212.0).abs() < 1e-9 && (a.pitch_deg - 3.5).abs() < 1e-9);
    assert!((a.roll_deg + 1.0).abs() < 1e-9);
    let ecef = CameraPose::from_enu_angles(&pos, 212.0, 3.5, -1.0);
    let target = Geodetic::new(45.8326, 6.8652, 4808.0);
    let p1 = ecef.transform_point(&target.to_ecef());
    let p2 = in_frame.transform_point(&frame.enu_from_geodetic(&target));
    assert!((p1 - p2).norm() < 1e-6, "{p1} {p2}");
}

#[test]
fn from_rotation_translation_rejects_bad_matrices() {
    let t = Vector3::zeros();
    assert!(CameraPose::from_rotation_translation(&Matrix3::identity(), &t).is_ok());
    assert!(CameraPose::from_rotation_translation(&(Matrix3::identity() * 1.01), &t).is_err());
    let mirror = Matrix3::new(-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0);
    assert!(CameraPose::from_rotation_translation(&mirror, &t).is_err());
    let nan = Vector3::new(f64::NAN, 0.0, 0.0);
    assert!(CameraPose::from_rotation_translation(&Matrix3::identity(), &nan).is_err());
}

#[test]
fn camera_conventions() {
    let cam = Camera::from_hfov_deg(1024, 768, 60.0);
    assert_eq!(cam.principal_point, Vector2::new(511.5, 383.5));
    assert!((cam.focal_px - 512.0 / 30f64.to_radians().tan()).abs() < 1e-9);
    assert!((cam.hfov_deg() - 60.0).abs() < 1e-12);
    // The optical axis hits the principal point; a point at 30 degrees right hits the right
    // edge of the image (x = W - 0.5, the outer boundary of the last pixel).
    assert_eq!(cam.project(&Vector3::new(0.0, 0.0, 5.0)).unwrap(), cam.principal_point);
    let edge = cam.project(&Vector3::new(30f64.to_radians().tan(), 0.0, 1.0)).unwrap();
    assert!((edge.x - 1023.5).abs() < 1e-9);
    assert!(cam.project(&Vector3::new(0.0, 0.0, -1.0)).is_none());
    assert!(cam.project(&Vector3::new(0.0, 0.0, f64::NAN)).is_none());
    // Resize by s: x' = (x + 0.5) s - 0.5, for the principal point and any projected point.
    for s in [0.5, 0.25, 2.0, 1.0 / 3.0] {
        let small = cam.resized(s);
        let x = Vector3::new(0.7, -0.4, 3.0);
        let (p, q) = (cam.project(&x).unwrap(), small.project(&x).unwrap());
        assert!((q - (p.add_scalar(0.5) * s).add_scalar(-0.5)).norm() < 1e-9, "{s}");
        assert_eq!(
            small.principal_point,
            (cam.principal_point.add_scalar(0.5) * s).add_scalar(-0.5)
        );
    }
    assert_eq!((cam.resized(0.5).width, cam.resized(0.5).height), (512, 384));
}

#[test]
fn project_unproject_round_trip_with_distortion() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for (k1, k2) in [(0.0, 0.0), (-0.1, 0.01), (0.05, -0.002), (0.2, 0.05)] {
        let mut cam = Camera::from_hfov_deg(1200, 900, 70.0);
        cam.k1 = k1;
        cam.k2 = k2;
        cam.principal_point = Vector2::new(601.3, 447.9);
        for _ in 0..2000 {
            let x = Vector3::new(rng.random_range(-0.6..0.6), rng.random_range(-0.45..0.45), 1.0)
                * rng.random_range(1.0..5000.0);
            let p = cam.project(&x).unwrap();
            let ray = cam.unproject(&p).unwrap();
            assert!((ray - x.normalize()).norm() < 1e-12, "{k1} {k2} {x}");
            let back = cam.unproject_depth(&p, x.z).unwrap();
            assert!((back - x).norm() < 1e-9 * x.norm(), "{k1} {k2} {x}");
        }
        // Distortion moves points radially: k1 < 0 pulls the corners in.
        let corner = cam.project(&Vector3::new(0.5, 0.4, 1.0)).unwrap() - cam.principal_point;
        let ideal = Vector2::new(0.5, 0.4) * cam.focal_px;
        assert!((corner.normalize() - ideal.normalize()).norm() < 1e-12);
        assert_eq!(corner.norm() < ideal.norm(), k1 < 0.0);
    }
}

#[test]
fn turning_about_the_vertical_adds_to_the_yaw_only() {
    let pos = Geodetic::new(46.3, 7.4, 3000.0);
    let frame = lsar_geometry::LocalFrame::new(pos);
    let pose = CameraPose::from_enu_angles_in_frame(&frame, &pos, 212.0, 3.5, -1.0);
    for turn in [10.0, -25.0, 160.0] {
        let turned = pose.turned_about_world_z(turn);
        let a = turned.angles_deg_in_frame(&frame);
        let yaw = (a.yaw_deg - (212.0 + turn)).rem_euclid(360.0);
        assert!(yaw.min(360.0 - yaw) < 1e-9, "{turn}: {a:?}");
        assert!((a.pitch_deg - 3.5).abs() < 1e-9 && (a.roll_deg + 1.0).abs() < 1e-9, "{a:?}");
        assert!((turned.center() - pose.center()).norm() < 1e-9);
    }
}
