//! Geometry of the renderer on synthetic terrain (always available) and a flat earth-sized
//! DEM: depth unprojects onto the DEM, DEM vertices come back from their pixels, the
//! horizon dips by arccos(R / (R + h)), and bad cameras give typed errors or documented
//! results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsar_desktop::dem::{Crs, Dem, DemGrid, GeoTransform, Vertical};
use lsar_desktop::render::{
    CameraHeight, RenderCamera, RenderError, RenderOptions, Style, TerrainModel, camera_position,
    colourise, render_surface, render_view,
};
use lsar_desktop::synth::{SynthParams, synthesize};
use lsar_geometry::Camera;
use lsar_geometry::geodesy::{Geodetic, WGS84_A, ecef_from_geodetic, geodetic_from_ecef};
use nalgebra::Vector2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn synth_model() -> (TerrainModel, f64) {
    let t = synthesize(&SynthParams { seed: 3, ..SynthParams::default() }).unwrap();
    let cell = t.grid.cell_size_m();
    (TerrainModel::new(Dem::new(vec![t.grid], Vertical::Egm96)).unwrap(), cell)
}

fn cameras(model: &TerrainModel) -> Vec<RenderCamera> {
    let (lat0, lon0) = (46.5, 8.0);
    let k = Camera::from_hfov_deg(640, 480, 60.0);
    let grazing =
        camera_position(model, lat0 - 0.07, lon0 - 0.05, CameraHeight::AboveGround(30.0)).unwrap();
    let high =
        camera_position(model, lat0 - 0.06, lon0, CameraHeight::AboveGround(2500.0)).unwrap();
    vec![
        RenderCamera::from_angles(&grazing, 30.0, 2.0, 0.0, k),
        RenderCamera::from_angles(&grazing, 75.0, -3.0, 5.0, k),
        RenderCamera::from_angles(&high, 0.0, -35.0, 0.0, k),
    ]
}

/// Unprojecting random terrain pixels with their depth lands on the DEM surface.
#[test]
fn depth_unprojects_onto_the_dem() {
    let (model, cell) = synth_model();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for lod in [0.0, RenderOptions::default().lod_pixel_error] {
        for cam in cameras(&model) {
            let opts = RenderOptions { lod_pixel_error: lod, ..RenderOptions::default() };
            let (s, stats) = render_surface(&model, &cam, &opts).unwrap();
            assert!(stats.terrain_pixels > s.width * s.height / 4, "{stats:?}");
            let mut errs = Vec::new();
            while errs.len() < 2000 {
                let (x, y) = (rng.random_range(0..s.width), rng.random_range(0..s.height));
                let Some(px) = s.pixels[y * s.width + x] else { continue };
                let p_cam = cam
                    .intrinsics
                    .unproject_depth(&Vector2::new(x as f64, y as f64), px.depth)
                    .unwrap();
                let p = geodetic_from_ecef(
                    &cam.pose.cam_from_world.inverse_transform_point(&p_cam.into()).coords,
                );
                let ground = model.dem().ellipsoidal_height(p.lat, p.lon).unwrap();
                errs.push((p.height - ground).abs());
            }
            errs.sort_by(f64::total_cmp);
            let (p50, max) = (errs[errs.len() / 2], errs[errs.len() - 1]);
            println!(
                "lod {lod}: height error median {p50:.3} m, max {max:.2} m (cell {cell:.1} m)"
            );
            assert!(max < cell, "max {max} >= cell {cell}");
            if lod == 0.0 {
                assert!(p50 < 1.0, "median {p50}");
            }
        }
    }
}

/// A DEM vertex projects to a pixel whose depth gives the vertex back (vertices seen
/// clearly, checked by marching the DEM along the line of sight, on surfaces not seen at a
/// grazing angle, where half a pixel would span more than a cell of depth).
#[test]
fn dem_vertices_come_back_from_their_pixels() {
    let t = synthesize(&SynthParams { seed: 3, ..SynthParams::default() }).unwrap();
    let grid = t.grid.clone();
    let cell = grid.cell_size_m();
    let model = TerrainModel::new(Dem::new(vec![t.grid], Vertical::Egm96)).unwrap();
    let dem = model.dem();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let cam = cameras(&model)[2];
    let opts = RenderOptions { lod_pixel_error: 0.0, ..RenderOptions::default() };
    let (s, _) = render_surface(&model, &cam, &opts).unwrap();
    let c_ecef = cam.pose.center();
    let (mut checked, mut good) = (0, 0);
    let mut tries = 0;
    while checked < 1000 && tries < 200_000 {
        tries += 1;
        let (c, r) = (rng.random_range(0..grid.width()), rng.random_range(0..grid.height()));
        let (lat, lon) = grid.lat_lon_of(c as f64, r as f64).unwrap();
        let v =
            ecef_from_geodetic(&Geodetic::new(lat, lon, dem.ellipsoidal_height(lat, lon).unwrap()));
        let v_cam = cam.pose.transform_point(&v);
        let Some(px) = cam.intrinsics.project(&v_cam) else { continue };
        let (x, y) = (px.x.round(), px.y.round());
        if x < 0.0 || y < 0.0 || x >= s.width as f64 || y >= s.height as f64 {
            continue;
        }
        // Line of sight clear by 5 m up to 3 cells before the vertex.
        let len = (v - c_ecef).norm();
        let steps = (len / (cell / 2.0)) as usize;
        let clear = (1..steps).all(|i| {
            let q = c_ecef + (v - c_ecef) * (i as f64 / steps as f64);
            if (v - q).norm() < 3.0 * cell {
                return true;
            }
            let g = geodetic_from_ecef(&q);
            dem.ellipsoidal_height(g.lat, g.lon).is_none_or(|h| g.height > h + 5.0)
        });
        if !clear {
            continue;
        }
        // Skip grazing surfaces, where half a pixel spans more than a cell in depth.
        let ecef_at = |cc: usize, rr: usize| {
            let (la, lo) = grid.lat_lon_of(cc as f64, rr as f64)?;
            Some(ecef_from_geodetic(&Geodetic::new(la, lo, dem.ellipsoidal_height(la, lo)?)))
        };
        if c == 0 || r == 0 || c + 1 >= grid.width() || r + 1 >= grid.height() {
            continue;
        }
        let (Some(e), Some(w_), Some(n), Some(s_)) =
            (ecef_at(c + 1, r), ecef_at(c - 1, r), ecef_at(c, r - 1), ecef_at(c, r + 1))
        else {
            continue;
        };
        let normal = (e - w_).cross(&(n - s_)).normalize();
        let ray = (v - c_ecef).normalize();
        if normal.dot(&ray).abs() < 0.35 {
            continue;
        }
        checked += 1;
        let Some(sp) = s.pixels[y as usize * s.width + x as usize] else { continue };
        let back = cam.intrinsics.unproject_depth(&Vector2::new(x, y), sp.depth).unwrap();
        if (back - v_cam).norm() < cell {
            good += 1;
        } else {
            println!(
                "miss: vertex z {:.0}, pixel depth {:.0}, subpixel offset {:.2} {:.2}",
                v_cam.z,
                sp.depth,
                px.x - x,
                px.y - y
            );
        }
    }
    println!("{good} of {checked} visible vertices given back within {cell:.1} m");
    assert!(checked >= 1000, "only {checked} visible vertices found");
    assert!(good as f64 >= 0.99 * checked as f64, "{good} of {checked}");
}

fn flat_model(half_deg: f64, east_deg: f64) -> TerrainModel {
    let step = 0.01;
    let (w, h) = ((east_deg / step) as usize + 11, (2.0 * half_deg / step) as usize + 1);
    let t = GeoTransform { crs: Crs::Geographic, x0: -0.1, y0: half_deg, dx: step, dy: -step };
    let grid = DemGrid::new(w, h, vec![0.0; w * h], t).unwrap();
    TerrainModel::new(Dem::new(vec![grid], Vertical::Ellipsoid)).unwrap()
}

/// On a flat (ellipsoidal) DEM the horizon seen from height h dips by arccos(R / (R + h)).
#[test]
fn horizon_dip_matches_earth_curvature() {
    let model = flat_model(0.6, 3.0);
    let k = Camera::from_hfov_deg(1001, 601, 10.0);
    for h in [300.0, 1000.0, 5000.0] {
        let cam = RenderCamera::from_angles(&Geodetic::new(0.0, 0.0, h), 90.0, 0.0, 0.0, k);
        let opts = RenderOptions { visible_radius_m: 400_000.0, ..RenderOptions::default() };
        let (s, _) = render_surface(&model, &cam, &opts).unwrap();
        let col = 500;
        let top = (0..s.height).find(|&r| s.pixels[r * s.width + col].is_some()).unwrap();
        // At the equator looking east the normal section's radius is the semi-major axis.
        let dip = (WGS84_A / (WGS84_A + h)).acos();
        let expected = k.principal_point.y + k.focal_px * dip.tan();
        println!(
            "h {h} m: horizon row {top}, expected {expected:.2} (dip {:.4} deg)",
            dip.to_degrees()
        );
        assert!((top as f64 - expected).abs() <= 1.0, "row {top} vs {expected}");
        // A flat-earth renderer would put the horizon on the centre row.
        assert!(expected - k.principal_point.y > 2.0);
    }
}

#[test]
fn bad_cameras_and_empty_views() {
    let (model, _) = synth_model();
    let k = Camera::from_hfov_deg(320, 240, 60.0);
    // Under the ground: a typed error.
    let ground = camera_position(&model, 46.5, 8.0, CameraHeight::AboveGround(0.0)).unwrap();
    let under = Geodetic::new(46.5, 8.0, ground.height - 20.0);
    let e = render_surface(
        &model,
        &RenderCamera::from_angles(&under, 0.0, 0.0, 0.0, k),
        &RenderOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(e, RenderError::CameraUnderGround { below_m } if (below_m - 20.0).abs() < 1e-6),
        "{e}"
    );
    // Height above ground where there is no DEM: a typed error.
    assert!(matches!(
        camera_position(&model, 10.0, 8.0, CameraHeight::AboveGround(50.0)),
        Err(RenderError::NoTerrainBelow)
    ));
    // Looking at the sky, or from far away from the data: all sky, depth +inf (documented).
    let up = RenderCamera::from_angles(&Geodetic::new(46.5, 8.0, 9000.0), 0.0, 70.0, 0.0, k);
    let far = RenderCamera::from_angles(&Geodetic::new(40.0, 8.0, 500.0), 0.0, 0.0, 0.0, k);
    for cam in [up, far] {
        let v =
            render_view(&model, &cam, &RenderOptions::default(), Style::Photo { seed: 1 }).unwrap();
        assert_eq!(v.stats.terrain_pixels, 0);
        assert!(v.surface.depth_f32().iter().all(|d| *d == f32::INFINITY));
    }
    // Distortion is not rendered; zero focal length is invalid.
    let mut kd = k;
    kd.k1 = 0.1;
    let cam = RenderCamera::from_angles(&Geodetic::new(46.5, 8.0, 9000.0), 0.0, -10.0, 0.0, kd);
    assert!(matches!(
        render_surface(&model, &cam, &RenderOptions::default()),
        Err(RenderError::InvalidCamera { .. })
    ));
    let mut kz = k;
    kz.focal_px = 0.0;
    let cam = RenderCamera::from_angles(&Geodetic::new(46.5, 8.0, 9000.0), 0.0, -10.0, 0.0, kz);
    assert!(render_surface(&model, &cam, &RenderOptions::default()).is_err());
    // An absurd image size is refused before allocating.
    let huge = Camera::from_hfov_deg(20_000, 20_000, 60.0);
    let cam = RenderCamera::from_angles(&Geodetic::new(46.5, 8.0, 9000.0), 0.0, -10.0, 0.0, huge);
    assert!(matches!(
        render_surface(&model, &cam, &RenderOptions::default()),
        Err(RenderError::InvalidCamera { .. })
    ));
    // A DEM that is all holes has no model.
    let t = GeoTransform { crs: Crs::Geographic, x0: 8.0, y0: 46.0, dx: 0.01, dy: -0.01 };
    let holes = DemGrid::new(3, 3, vec![f32::NAN; 9], t).unwrap();
    assert!(TerrainModel::new(Dem::new(vec![holes], Vertical::Egm96)).is_none());
}

#[test]
fn styles_are_seeded() {
    let (model, _) = synth_model();
    let cam = cameras(&model)[0];
    let (s, _) = render_surface(&model, &cam, &RenderOptions::default()).unwrap();
    let a = colourise(&model, &cam, &s, Style::Photo { seed: 5 });
    let b = colourise(&model, &cam, &s, Style::Photo { seed: 5 });
    let c = colourise(&model, &cam, &s, Style::Photo { seed: 6 });
    let r = colourise(&model, &cam, &s, Style::Render);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, r);
    // The render style: sky brighter and bluer than terrain on average.
    let mean = |sky: bool| {
        let (mut sum, mut n) = ([0.0_f64; 3], 0.0_f64);
        for (k, p) in r.pixels().enumerate() {
            if s.pixels[k].is_none() == sky {
                for i in 0..3 {
                    sum[i] += f64::from(p[i]);
                }
                n += 1.0;
            }
        }
        sum.map(|v| v / n.max(1.0))
    };
    let (sky, ground) = (mean(true), mean(false));
    assert!(sky[2] > ground[2] && sky[2] > sky[0], "{sky:?} {ground:?}");
}

/// Level of detail draws fewer triangles far away, and the files of a view are consistent.
#[test]
fn lod_and_view_files() {
    let (model, _) = synth_model();
    let cam = cameras(&model)[0];
    let full = RenderOptions { lod_pixel_error: 0.0, ..RenderOptions::default() };
    let (_, s_full) = render_surface(&model, &cam, &full).unwrap();
    let coarse = RenderOptions { lod_pixel_error: 8.0, ..RenderOptions::default() };
    let (_, s_lod) = render_surface(&model, &cam, &coarse).unwrap();
    println!("triangles: full {} vs lod {}", s_full.triangles, s_lod.triangles);
    assert!(s_lod.triangles * 2 < s_full.triangles);
    // A small visible radius drops far chunks.
    let near = RenderOptions { visible_radius_m: 2000.0, ..full };
    let (_, s_near) = render_surface(&model, &cam, &near).unwrap();
    assert!(s_near.chunks < s_full.chunks);

    let view = render_view(&model, &cam, &RenderOptions::default(), Style::Render).unwrap();
    let dir = std::env::temp_dir().join(format!("lsar-view-{}", std::process::id()));
    let extra = serde_json::json!({ "style": "render" });
    lsar_desktop::render::write_view(&dir, &view, &model, &extra).unwrap();
    let text = std::fs::read_to_string(dir.join("camera.json")).unwrap();
    let j: lsar_geometry::camera_json::CameraJson = serde_json::from_str(&text).unwrap();
    let (k, pose) = j.to_parts().unwrap();
    assert_eq!(k, cam.intrinsics);
    assert!((pose.center() - cam.pose.center()).norm() < 1e-6);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["frame"], "ecef");
    assert_eq!(v["style"], "render");
    assert!((v["yaw_deg"].as_f64().unwrap() - 30.0).abs() < 1e-9);
    let npy = std::fs::read(dir.join("depth.npy")).unwrap();
    let (w, h) = (view.surface.width, view.surface.height);
    let hlen = u16::from_le_bytes([npy[8], npy[9]]) as usize;
    assert_eq!(npy.len(), 10 + hlen + 4 * w * h);
    let depth = view.surface.depth_f32();
    let k0 = depth.iter().position(|d| d.is_finite()).unwrap();
    assert_eq!(&npy[10 + hlen + 4 * k0..10 + hlen + 4 * k0 + 4], &depth[k0].to_le_bytes());
    let png = image::open(dir.join("colour.png")).unwrap();
    assert_eq!((png.width() as usize, png.height() as usize), (w, h));
}
