//! Geometry of a built pack: keypoints on the terrain, horizons against the rendered skyline.

use super::*;

#[test]
fn keypoints_lie_on_the_terrain_and_reproject() {
    let (path, _) = sift_pack();
    let pack = PackReader::open(path, None).unwrap();
    let frame = pack.local_frame();
    let dem = scene().model.dem();
    let cell = dem.cell_size_m();
    let (mut dh, mut dpx) = (Vec::new(), Vec::new());
    for (vi, vp) in pack.viewpoints().iter().enumerate() {
        let [x, y, z] = vp.position_enu;
        let cam_pos = frame.geodetic_from_enu(&Vector3::new(x, y, z));
        assert!((cam_pos.height - vp.ground_height - 50.0).abs() < 1e-6);
        for (k, view) in pack.viewpoint_views(vi).unwrap().iter().enumerate() {
            let params = ViewParams {
                yaw_deg: view.yaw_deg,
                pitch_deg: view.pitch_deg,
                roll_deg: view.roll_deg,
                hfov_deg: view.hfov_deg,
                width: view.width,
                height: view.height,
            };
            assert!((view.yaw_deg - 60.0 * k as f64).abs() < 1e-9);
            let cam = view_camera(&cam_pos, &params);
            let global = vp.first_view as usize + k;
            for kp in pack.view_keypoints(global).unwrap() {
                let p = kp.point_enu.map(f64::from);
                let ecef = frame.ecef_from_enu(&Vector3::new(p[0], p[1], p[2]));
                let g = geodetic_from_ecef(&ecef);
                dh.push((g.height - dem.ellipsoidal_height(g.lat, g.lon).unwrap()).abs());
                let px = cam.intrinsics.project(&cam.pose.transform_point(&ecef)).unwrap();
                dpx.push(
                    (px - Vector2::new(f64::from(kp.pixel[0]), f64::from(kp.pixel[1]))).norm(),
                );
            }
        }
    }
    dh.sort_by(f64::total_cmp);
    dpx.sort_by(f64::total_cmp);
    let n = dh.len();
    println!(
        "{n} keypoints: height off the DEM median {:.2} m, p99 {:.2} m, max {:.2} m (cell {cell:.0} m); reprojection max {:.4} px",
        dh[n / 2],
        dh[n * 99 / 100],
        dh[n - 1],
        dpx[n - 1]
    );
    assert!(dh[n / 2] < 0.2 * cell);
    assert!(dh[n * 99 / 100] < cell, "p99 {} m", dh[n * 99 / 100]);
    assert!(dpx[n - 1] < 0.05, "reprojection {} px", dpx[n - 1]);
}

/// The horizon profile against the skyline of views rendered at full detail: in every bin a
/// view covers, the highest skyline pixel of the bin's columns has the profile's elevation.
#[test]
fn horizons_match_the_rendered_skyline() {
    let (path, _) = sift_pack();
    let pack = PackReader::open(path, None).unwrap();
    let frame = pack.local_frame();
    let bins = pack.metadata().horizon_bins as usize;
    let model = &scene().model;
    let opts = RenderOptions { lod_pixel_error: 0.0, ..RenderOptions::default() };
    let (mut errs, mut dist_errs) = (Vec::new(), Vec::new());
    for (vi, vp) in pack.viewpoints().iter().enumerate() {
        let [x, y, z] = vp.position_enu;
        let pos = frame.geodetic_from_enu(&Vector3::new(x, y, z));
        let cam_frame = lsar_geometry::LocalFrame::new(pos);
        let horizon = pack.horizon(vi).unwrap();
        for yaw in [15.0, 105.0, 200.0, 290.0] {
            let params = ViewParams {
                yaw_deg: yaw,
                pitch_deg: 10.0,
                roll_deg: 0.0,
                hfov_deg: 60.0,
                width: 720,
                height: 720,
            };
            let cam = view_camera(&pos, &params);
            let (s, _) = render_surface(model, &cam, &opts).unwrap();
            // Per bin: the highest skyline elevation of its columns, and its distance.
            let mut best: Vec<Option<(f64, f64)>> = vec![None; bins];
            let mut clipped = vec![false; bins];
            for c in 0..s.width {
                let Some(r) = (0..s.height).find(|&r| s.pixels[r * s.width + c].is_some()) else {
                    continue;
                };
                let depth = s.pixels[r * s.width + c].unwrap().depth;
                let p_cam = cam
                    .intrinsics
                    .unproject_depth(&Vector2::new(c as f64, r as f64), depth)
                    .unwrap();
                let ecef = cam.pose.cam_from_world.inverse_transform_point(&p_cam.into()).coords;
                let e = cam_frame.enu_from_ecef(&ecef);
                let az = e.x.atan2(e.y).to_degrees().rem_euclid(360.0);
                let el = e.z.atan2(e.x.hypot(e.y)).to_degrees();
                let b = ((az / 360.0 * bins as f64) as usize).min(bins - 1);
                clipped[b] |= r == 0;
                if best[b].is_none_or(|(bel, _)| el > bel) {
                    best[b] = Some((el, e.norm()));
                }
            }
            // Bins entirely inside the view (away from its side edges).
            let width = 360.0 / bins as f64;
            for (b, v) in best.iter().enumerate() {
                let lo = b as f64 * width;
                let rel = |a: f64| (a - yaw + 540.0).rem_euclid(360.0) - 180.0;
                let inside = rel(lo).abs() < 29.0 && rel(lo + width).abs() < 29.0;
                let Some((el, d)) = v else { continue };
                if !inside || clipped[b] {
                    continue;
                }
                let h = horizon[b];
                errs.push((f64::from(h.elevation_deg) - el).abs());
                dist_errs.push((f64::from(h.distance_m) - d).abs() / d);
            }
        }
    }
    errs.sort_by(f64::total_cmp);
    dist_errs.sort_by(f64::total_cmp);
    let n = errs.len();
    println!(
        "{n} bins: elevation error median {:.3} deg, p95 {:.3}, max {:.3}; distance rel. error median {:.3}",
        errs[n / 2],
        errs[n * 95 / 100],
        errs[n - 1],
        dist_errs[n / 2]
    );
    assert!(n > 50);
    assert!(errs[n / 2] < 0.1, "median {}", errs[n / 2]);
    assert!(errs[n * 95 / 100] < 0.5, "p95 {}", errs[n * 95 / 100]);
    assert!(dist_errs[n / 2] < 0.05, "distance median {}", dist_errs[n / 2]);
}
