//! Geodesy and the camera used together through lsar-core's re-exports.

use lsar_core::geometry::{Camera, Geodetic, LocalFrame};
use nalgebra::Vector3;

/// A point 2 km north of the camera and 100 m higher projects above the image centre and on
/// its vertical centre line when the camera looks north and level.
#[test]
fn enu_point_projects_where_expected() {
    let frame = LocalFrame::new(Geodetic::new(46.0, 7.0, 2000.0));
    let target = frame.geodetic_from_enu(&Vector3::new(0.0, 2000.0, 100.0));
    let enu = frame.enu_from_geodetic(&target);
    // Camera looking north: x right = east, y down = -up, z forward = north.
    let point_in_cam = Vector3::new(enu.x, -enu.z, enu.y);
    let cam = Camera::from_hfov_deg(1000, 800, 60.0);
    let px = cam.project(&point_in_cam).unwrap();
    assert!((px.x - cam.principal_point.x).abs() < 1e-9);
    let expected_y = cam.principal_point.y - cam.focal_px * 100.0 / 2000.0;
    assert!((px.y - expected_y).abs() < 1e-6, "{} vs {}", px.y, expected_y);
}
