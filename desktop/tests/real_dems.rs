//! Real DEMs from `../shared/data/dem` (skipped with a message when the folder is absent):
//! the SRTM tile against its UTM GeoTIFF resampling, the Colorado Esri grids' bounds, and
//! Mont Ventoux rendered where geodesy puts it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use lsar_desktop::dem::{Crs, Vertical, load_dems, read_dem};
use lsar_desktop::render::{RenderCamera, RenderOptions, TerrainModel, render_surface};
use lsar_geometry::Camera;
use lsar_geometry::geodesy::{Geodetic, LocalFrame};

fn data(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/dem")).join(rel);
    if p.exists() {
        Some(p)
    } else {
        println!("skipped: {} is absent (shared test data not found)", p.display());
        None
    }
}

#[test]
fn hgt_and_utm_geotiff_agree() {
    let (Some(hgt), Some(tif)) =
        (data("srtm3_N44E005/N44E005.hgt"), data("srtm3_N44E005/N44E005_UTM.tif"))
    else {
        return;
    };
    let hgt = read_dem(&hgt, None).unwrap();
    let utm = read_dem(&tif, None).unwrap();
    assert_eq!(utm.transform().crs, Crs::Utm { zone: 31, north: true });
    assert_eq!((utm.width(), utm.height()), (922, 1262));
    // Every 7th sample of the UTM grid, back to lat/lon, against bilinear .hgt heights;
    // `shift` misplaces the UTM samples by a fraction of a cell (a registration error).
    let diffs_at = |shift: f64| {
        let mut diffs = Vec::new();
        for r in (0..utm.height()).step_by(7) {
            for c in (0..utm.width()).step_by(7) {
                let Some(h_utm) = utm.at(c, r) else { continue };
                let (lat, lon) = utm.lat_lon_of(c as f64 + shift, r as f64 + shift).unwrap();
                if let Some(h) = hgt.sample_lat_lon(lat, lon) {
                    diffs.push((f64::from(h_utm) - h).abs());
                }
            }
        }
        diffs
    };
    let mut diffs = diffs_at(0.0);
    let mut shifted = diffs_at(0.5);
    shifted.sort_by(f64::total_cmp);
    diffs.sort_by(f64::total_cmp);
    let n = diffs.len();
    let (median, p90) = (diffs[n / 2], diffs[n * 9 / 10]);
    println!(
        "hgt vs UTM GeoTIFF: {n} points, median {median:.2} m, p90 {p90:.2} m, max {:.1} m",
        diffs[n - 1]
    );
    assert!(n > 15_000, "too few overlapping samples: {n}");
    // Resampling 3" data onto a 90 m UTM grid: a few metres typically.
    assert!(median < 3.0, "median {median}");
    assert!(p90 < 12.0, "p90 {p90}");
    // Half a cell of misregistration (pixel-is-area read as pixel-is-point) is visible.
    let shifted_median = shifted[shifted.len() / 2];
    println!("with half a cell of shift: median {shifted_median:.2} m");
    assert!(shifted_median > 3.0 * median, "{shifted_median} vs {median}");
}

#[test]
fn colorado_ascii_grids_bounds() {
    let (Some(big), Some(small)) = (
        data("front_range_srtm3/SRTMGL3_frontrange_0.63deg.asc"),
        data("front_range_srtm3/SRTMGL3_40.09_-105.56_small.asc"),
    ) else {
        return;
    };
    let crs = Some(Crs::Geographic);
    let g = read_dem(&big, crs).unwrap();
    assert_eq!((g.width(), g.height()), (758, 758));
    let cs = 1.0 / 1200.0;
    // xllcorner/yllcorner are the outer corner: sample centres sit half a cell inside.
    let b = g.bounds().unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert!(close(b.west, -105.816_250_000_017 + cs / 2.0), "{b:?}");
    assert!(close(b.south, 39.834_583_333_338 + cs / 2.0), "{b:?}");
    assert!(close(b.east, -105.816_250_000_017 + 757.5 * 0.000_833_333_333), "{b:?}");
    assert!(close(b.north, 39.834_583_333_338 + 757.5 * 0.000_833_333_333), "{b:?}");
    let (lo, hi) = g.min_max().unwrap();
    assert_eq!((lo, hi), (1547.0, 4320.0));
    let s = read_dem(&small, crs).unwrap();
    assert_eq!((s.width(), s.height()), (144, 144));
    let sb = s.bounds().unwrap();
    assert!((sb.west - (-105.560_416_666_684 + cs / 2.0)).abs() < 1e-6);
    assert!((sb.north - (40.090_416_666_671 + 143.5 * 0.000_833_333_333)).abs() < 1e-6);
    // The crop agrees with the big grid where they overlap.
    for (lat, lon) in [(40.1, -105.55), (40.15, -105.5), (40.2, -105.45)] {
        let (a, b) = (g.sample_lat_lon(lat, lon).unwrap(), s.sample_lat_lon(lat, lon).unwrap());
        assert!((a - b).abs() < 1e-3, "{a} vs {b} at {lat} {lon}");
    }
    // Without .prj and without --crs: a typed error.
    assert!(read_dem(&big, None).is_err());
}

/// Mont Ventoux seen from 15 km south: the summit's skyline pixel lies where azimuth and
/// elevation from geodesy put it, within a pixel.
#[test]
fn mont_ventoux_at_geodesic_angles() {
    let Some(hgt) = data("srtm3_N44E005/N44E005.hgt") else { return };
    let dem = load_dems(&[hgt], None, Vertical::Egm96).unwrap();
    let (slat, slon) = (44.1739, 5.2787);
    let summit_msl = dem.elevation(slat, slon).unwrap();
    assert!((summit_msl - 1898.0).abs() < 5.0, "{summit_msl}");
    let summit = Geodetic::new(slat, slon, dem.ellipsoidal_height(slat, slon).unwrap());
    let model = TerrainModel::new(dem).unwrap();
    for (cam_lat, cam_lon) in [(44.04, 5.25), (44.10, 5.10)] {
        let cam_pos = lsar_desktop::render::camera_position(
            &model,
            cam_lat,
            cam_lon,
            lsar_desktop::render::CameraHeight::AboveGround(2.0),
        )
        .unwrap();
        // Azimuth and elevation of the summit in ENU at the camera.
        let enu = LocalFrame::new(cam_pos).enu_from_geodetic(&summit);
        let az = enu.x.atan2(enu.y).to_degrees();
        let el = enu.z.atan2(enu.x.hypot(enu.y)).to_degrees();
        let dist = enu.norm();
        assert!((10_000.0..20_000.0).contains(&dist), "{dist}");
        // Look at azimuth az with the summit 1 degree above the optical axis.
        let k = Camera::from_hfov_deg(1024, 768, 20.0);
        let cam = RenderCamera::from_angles(&cam_pos, az, el - 1.0, 0.0, k);
        let opts = RenderOptions { lod_pixel_error: 0.0, ..RenderOptions::default() };
        let (surface, _) = render_surface(&model, &cam, &opts).unwrap();
        let expected_v = k.principal_point.y - k.focal_px * 1.0_f64.to_radians().tan();
        // Skyline (first terrain row) in the centre column: the summit is the highest point
        // of the ridge there, so the skyline's top over the columns around the centre is it.
        let col = k.principal_point.x.round() as usize;
        let top = (col - 2..=col + 2)
            .filter_map(|c| {
                (0..surface.height).find(|&r| surface.pixels[r * surface.width + c].is_some())
            })
            .min()
            .unwrap();
        println!(
            "Ventoux from {cam_lat},{cam_lon}: {dist:.0} m, az {az:.3}, el {el:.3}; skyline row {top}, expected {expected_v:.2}"
        );
        // The skyline's first terrain pixel covers the summit when the summit's projection
        // falls within that pixel (rows are integer pixel centres).
        assert!((top as f64 - expected_v).abs() <= 1.0, "row {top} vs {expected_v}");
    }
}

/// On the real SRTM tile (with its voids): thousands of random terrain pixels unproject onto
/// the DEM surface within the cell size, in a panorama from 50 m above the ground.
#[test]
fn srtm_pixels_unproject_onto_the_dem() {
    let Some(hgt) = data("srtm3_N44E005/N44E005.hgt") else { return };
    let dem = load_dems(&[hgt], None, Vertical::Egm96).unwrap();
    let cell = dem.cell_size_m();
    let model = TerrainModel::new(dem).unwrap();
    let pos = lsar_desktop::render::camera_position(
        &model,
        44.5,
        5.5,
        lsar_desktop::render::CameraHeight::AboveGround(50.0),
    )
    .unwrap();
    let mut rng = 12345_u64;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let mut worst: f64 = 0.0;
    for yaw in [0.0, 120.0, 240.0] {
        let k = Camera::from_hfov_deg(640, 480, 60.0);
        let cam = RenderCamera::from_angles(&pos, yaw, -2.0, 0.0, k);
        let (s, _) = render_surface(&model, &cam, &RenderOptions::default()).unwrap();
        let mut n = 0;
        while n < 1500 {
            let (x, y) = (next(s.width), next(s.height));
            let Some(px) = s.pixels[y * s.width + x] else { continue };
            let p_cam =
                k.unproject_depth(&nalgebra::Vector2::new(x as f64, y as f64), px.depth).unwrap();
            let p = lsar_geometry::geodesy::geodetic_from_ecef(
                &cam.pose.cam_from_world.inverse_transform_point(&p_cam.into()).coords,
            );
            // Pixels on the patches of a void's rim may sample no bilinear height.
            let Some(ground) = model.dem().ellipsoidal_height(p.lat, p.lon) else { continue };
            worst = worst.max((p.height - ground).abs());
            n += 1;
        }
    }
    println!("SRTM: worst height error {worst:.2} m over 4500 pixels (cell {cell:.1} m)");
    assert!(worst < cell, "{worst}");
}
