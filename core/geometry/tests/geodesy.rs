//! Geodetic <-> ECEF <-> ENU and geodesics against independent values: published EPSG
//! examples, the `map_3d` crate and GeographicLib (`geographiclib-rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use lsar_geometry::geodesy::{
    Geodetic, LocalFrame, WGS84_A, WGS84_B, ecef_from_geodetic, geodesic_direct, geodesic_inverse,
    geodetic_from_ecef,
};
use nalgebra::Vector3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn dms(d: f64, m: f64, s: f64) -> f64 {
    d + m / 60.0 + s / 3600.0
}

/// Difference of two angles in degrees, reduced to [-180, 180].
fn ang_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

#[test]
fn ecef_round_trip_over_the_globe() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut points: Vec<Geodetic> = (0..20_000)
        .map(|_| {
            Geodetic::new(
                rng.random_range(-90.0..=90.0),
                rng.random_range(-180.0..=180.0),
                rng.random_range(-500.0..=9000.0),
            )
        })
        .collect();
    for lat in [-90.0, -89.999_999, -45.0, 0.0, 1e-12, 45.0, 89.999_999, 90.0] {
        for lon in [-180.0, -179.999_999_9, 0.0, 179.999_999_9, 180.0] {
            for h in [-500.0, 0.0, 9000.0] {
                points.push(Geodetic::new(lat, lon, h));
            }
        }
    }
    for p in points {
        let q = geodetic_from_ecef(&ecef_from_geodetic(&p));
        assert!((q.lat - p.lat).abs() < 1e-9, "{p:?} -> {q:?}");
        assert!((q.height - p.height).abs() < 1e-6, "{p:?} -> {q:?}");
        // Longitude is undefined at the poles; elsewhere compare modulo 360.
        if p.lat.abs() < 90.0 {
            let dlon = ang_diff(q.lon, p.lon).abs() * p.lat.to_radians().cos();
            assert!(dlon < 1e-9, "{p:?} -> {q:?}");
        }
    }
}

#[test]
fn ecef_published_points() {
    // Defining values of WGS84.
    let e = ecef_from_geodetic(&Geodetic::new(0.0, 0.0, 0.0));
    assert!((e - Vector3::new(WGS84_A, 0.0, 0.0)).norm() < 1e-9);
    let e = ecef_from_geodetic(&Geodetic::new(90.0, 0.0, 0.0));
    assert!((e.z - 6_356_752.314_245).abs() < 1e-6 && (e.z - WGS84_B).abs() < 1e-9);
    // IOGP Guidance Note 7-2, EPSG method 9602 example (WGS 84), given to the millimetre in
    // the method 9836 example: 53d48'33.820"N 2d07'46.380"E h 73 m.
    let p = Geodetic::new(dms(53.0, 48.0, 33.82), dms(2.0, 7.0, 46.38), 73.0);
    let e = ecef_from_geodetic(&p);
    let expected = Vector3::new(3_771_793.968, 140_253.342, 5_124_304.349);
    assert!((e - expected).abs().max() < 0.0011, "{e:?}");
    let q = geodetic_from_ecef(&expected);
    assert!((q.lat - p.lat).abs() < 2e-8 && (q.lon - p.lon).abs() < 2e-8);
    assert!((q.height - 73.0).abs() < 0.002, "{q:?}");
}

#[test]
fn enu_published_example_and_map_3d() {
    // IOGP Guidance Note 7-2, EPSG method 9837 example: topocentric origin 55N 5E h 200 m.
    let frame = LocalFrame::new(Geodetic::new(55.0, 5.0, 200.0));
    let o = frame.origin_ecef();
    assert!((o - Vector3::new(3_652_755.305_8, 319_574.679_9, 5_201_547.353_6)).abs().max() < 1e-4);
    let p = Geodetic::new(dms(53.0, 48.0, 33.82), dms(2.0, 7.0, 46.38), 73.0);
    let enu = frame.enu_from_geodetic(&p);
    let expected = Vector3::new(-189_013.869, -128_642.040, -4_220.171);
    assert!((enu - expected).abs().max() < 0.0011, "{enu:?}");
    // A point about 100 km away, against map_3d, and back.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..200 {
        let o =
            Geodetic::new(rng.random_range(-89.0..89.0), rng.random_range(-180.0..180.0), 500.0);
        let t = Geodetic::new(
            o.lat + rng.random_range(-0.9..0.9),
            o.lon + rng.random_range(-0.9..0.9),
            rng.random_range(0.0..4000.0),
        );
        let frame = LocalFrame::new(o);
        let ours = frame.enu_from_geodetic(&t);
        let (e, n, u) = map_3d::geodetic2enu(
            t.lat.to_radians(),
            t.lon.to_radians(),
            t.height,
            o.lat.to_radians(),
            o.lon.to_radians(),
            o.height,
            map_3d::Ellipsoid::WGS84,
        );
        assert!((ours - Vector3::new(e, n, u)).norm() < 1e-6, "{ours:?} vs {e} {n} {u}");
        let back = frame.geodetic_from_enu(&ours);
        assert!((back.lat - t.lat).abs() < 1e-10 && (back.height - t.height).abs() < 1e-6);
    }
}

fn check_inverse(lat1: f64, lon1: f64, lat2: f64, lon2: f64, tol_m: f64) {
    let g = Geodesic::wgs84();
    let (s12, azi1, azi2, _a12): (f64, f64, f64, f64) = g.inverse(lat1, lon1, lat2, lon2);
    let ours = geodesic_inverse(&Geodetic::new(lat1, lon1, 0.0), &Geodetic::new(lat2, lon2, 0.0));
    let what = format!("({lat1}, {lon1}) -> ({lat2}, {lon2}): {ours:?} vs {s12} {azi1} {azi2}");
    assert!((ours.distance_m - s12).abs() < tol_m, "{what}");
    assert!((0.0..360.0).contains(&ours.azimuth1_deg), "{what}");
    // An azimuth error d moves the far end by about s d; allow tol_m of that.
    let tol_deg = (tol_m / s12.max(1.0)).to_degrees().max(1e-9);
    assert!(ang_diff(ours.azimuth1_deg, azi1).abs() < tol_deg, "{what}");
    assert!(ang_diff(ours.azimuth2_deg, azi2).abs() < tol_deg, "{what}");
}

#[test]
fn geodesic_inverse_against_geographiclib_random() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for _ in 0..20_000 {
        let lat1 = rng.random_range(-89.9..89.9);
        let lat2 = rng.random_range(-89.9..89.9);
        check_inverse(
            lat1,
            rng.random_range(-180.0..180.0),
            lat2,
            rng.random_range(-180.0..180.0),
            1e-5,
        );
    }
}

#[test]
fn geodesic_inverse_short_long_and_special() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for _ in 0..5000 {
        let (lat, lon) = (rng.random_range(-89.0..89.0), rng.random_range(-180.0..180.0));
        // Short: 1 mm to 10 km.
        let d = 10f64.powf(rng.random_range(-8.0..-1.0));
        check_inverse(lat, lon, lat + rng.random_range(-d..d), lon + rng.random_range(-d..d), 1e-5);
    }
    let cases = [
        (0.0, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 90.0),
        (0.0, 0.0, 0.0, 179.0),
        (0.0, 0.0, 0.0, 179.5),
        (0.0, 0.0, 0.0, 180.0),
        (0.0, 0.0, 0.5, 179.7),
        (-90.0, 0.0, 90.0, 0.0),
        (90.0, 10.0, 30.0, -150.0),
        (-90.0, 0.0, 0.0, 50.0),
        (45.0, 0.0, -45.0, 180.0),
        (45.0, 179.999_999, 45.0, -179.999_999),
        (10.0, -179.5, -10.0, 179.5),
        (46.0, 7.0, 45.832_622, 6.865_181),
    ];
    let nan = geodesic_inverse(&Geodetic::new(f64::NAN, 0.0, 0.0), &Geodetic::new(1.0, 1.0, 0.0));
    assert!(!nan.distance_m.is_finite());
    for (lat1, lon1, lat2, lon2) in cases {
        check_inverse(lat1, lon1, lat2, lon2, 1e-5);
        check_inverse(lat2, lon2, lat1, lon1, 1e-5);
    }
}

#[test]
fn geodesic_inverse_nearly_antipodal() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for _ in 0..20_000 {
        let lat1: f64 = rng.random_range(-89.0..89.0);
        let lon1: f64 = rng.random_range(-180.0..180.0);
        let dlat = 10f64.powf(rng.random_range(-9.0..0.0)) * rng.random_range(-1.0..1.0);
        let dlon = 10f64.powf(rng.random_range(-9.0..0.3)) * rng.random_range(-1.0..1.0);
        let lon2 = lon1 + 180.0 + dlon;
        let lon2 = if lon2 > 180.0 { lon2 - 360.0 } else { lon2 };
        check_inverse(lat1, lon1, (-lat1 + dlat).clamp(-90.0, 90.0), lon2, 1e-5);
    }
}

#[test]
fn geodesic_direct_against_geographiclib_and_inverse() {
    let g = Geodesic::wgs84();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for _ in 0..10_000 {
        let start =
            Geodetic::new(rng.random_range(-89.0..89.0), rng.random_range(-180.0..180.0), 0.0);
        let azi = rng.random_range(-180.0..360.0);
        let s = 10f64.powf(rng.random_range(-2.0..7.6));
        let ours = geodesic_direct(&start, azi, s);
        let (lat2, lon2, azi2): (f64, f64, f64) = g.direct(start.lat, start.lon, azi, s);
        let p = ours.position;
        assert!((p.lat - lat2).abs() < 1e-11, "{start:?} {azi} {s}: {ours:?} {lat2} {lon2}");
        assert!(ang_diff(p.lon, lon2).abs() * lat2.to_radians().cos() < 1e-11, "{ours:?} {lon2}");
        assert!(ang_diff(ours.azimuth2_deg, azi2).abs() < 1e-9, "{ours:?} {azi2}");
    }
}

/// Largest errors seen against GeographicLib: distance (m) and azimuth error times distance (m).
#[derive(Default)]
struct NearEquatorErrors {
    distance_m: f64,
    azimuth_m: f64,
    cases: usize,
    /// Cases with two shortest geodesics (or coincident points) where we took the other one.
    other_geodesic: usize,
}

/// One inverse problem against GeographicLib, to 1e-6 m in distance and 1 mm in azimuth error
/// times distance. Where the azimuths differ by more (two shortest geodesics, as between
/// antipodal points, or coincident points), ours must still be a geodesic of that length
/// between the points: GeographicLib's direct problem from point 1 with our azimuth and
/// distance must land within 1 mm of point 2 with our azimuth there.
fn check_near_equator(lat1: f64, lon1: f64, lat2: f64, lon2: f64, errs: &mut NearEquatorErrors) {
    let g = Geodesic::wgs84();
    let (s12, azi1, azi2, _a12): (f64, f64, f64, f64) = g.inverse(lat1, lon1, lat2, lon2);
    let ours = geodesic_inverse(&Geodetic::new(lat1, lon1, 0.0), &Geodetic::new(lat2, lon2, 0.0));
    let what = format!("({lat1:e}, {lon1}) -> ({lat2:e}, {lon2}): {ours:?} vs {s12} {azi1} {azi2}");
    let ds = (ours.distance_m - s12).abs();
    assert!(ds < 1e-6, "distance off by {ds:e} m: {what}");
    assert!((0.0..360.0).contains(&ours.azimuth1_deg), "{what}");
    assert!((0.0..360.0).contains(&ours.azimuth2_deg), "{what}");
    let da = ang_diff(ours.azimuth1_deg, azi1).abs().max(ang_diff(ours.azimuth2_deg, azi2).abs());
    let mut da_m = da.to_radians() * s12;
    if da_m >= 1e-3 {
        let (la, lo, az): (f64, f64, f64) =
            g.direct(lat1, lon1, ours.azimuth1_deg, ours.distance_m);
        let (miss, _, _, _): (f64, f64, f64, f64) = g.inverse(la, lo, lat2, lon2);
        let daz2 = ang_diff(az, ours.azimuth2_deg).abs().to_radians() * s12;
        assert!(miss < 1e-3 && daz2 < 1e-3, "azimuths off by {da_m:e} m, miss {miss:e}: {what}");
        da_m = miss.max(daz2);
        errs.other_geodesic += 1;
    }
    errs.distance_m = errs.distance_m.max(ds);
    errs.azimuth_m = errs.azimuth_m.max(da_m);
    errs.cases += 1;
}

#[test]
fn geodesic_near_equator_against_geographiclib() {
    // Tiny but non-zero latitudes come out of ECEF -> geodetic near the equator.
    let mut lats = vec![0.0, -0.0];
    for t in [1e-300, 1e-20, 1e-15, 1e-12, 1e-9, 1e-6, 1e-3] {
        lats.extend([t, -t]);
    }
    let mut errs = NearEquatorErrors::default();
    for &lat1 in &lats {
        for &lat2 in &lats {
            for dlon in [1e-9, 0.5, 10.0, 90.0, 179.0, 179.5, 180.0] {
                for (lon1, sign) in [(10.0, 1.0), (-170.2, -1.0), (0.0, 1.0), (179.9, 1.0)] {
                    check_near_equator(lat1, lon1, lat2, norm180(lon1 + sign * dlon), &mut errs);
                }
            }
        }
    }
    // The case reported: 79 345.9 m instead of 55 659.7 m.
    let r = geodesic_inverse(&Geodetic::new(1e-15, 10.0, 100.0), &Geodetic::new(0.0, 10.5, 100.0));
    assert!((r.distance_m - 55_659.745_396).abs() < 1e-5, "{r:?}");

    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let tiny_lat = |rng: &mut ChaCha8Rng| -> f64 {
        if rng.random_range(0..8) == 0 {
            0.0
        } else {
            let s = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            s * 10f64.powf(rng.random_range(-22.0..-1.0))
        }
    };
    for _ in 0..20_000 {
        // Near-equatorial pairs at any longitude difference, 1 micrometre to half the globe.
        let (lat1, lat2) = (tiny_lat(&mut rng), tiny_lat(&mut rng));
        let lon1: f64 = rng.random_range(-180.0..180.0);
        let dlon = 10f64.powf(rng.random_range(-11.0..2.26)) * rng.random_range(-1.0..1.0);
        check_near_equator(lat1, lon1, lat2, norm180(lon1 + dlon), &mut errs);
        // Nearly antipodal ones, where the equatorial line stops being the shortest.
        let (lat1, lat2) = (tiny_lat(&mut rng), tiny_lat(&mut rng));
        let dlon = 10f64.powf(rng.random_range(-9.0..0.7)) * rng.random_range(-1.0..1.0);
        check_near_equator(lat1, lon1, lat2, norm180(lon1 + 180.0 + dlon), &mut errs);
    }
    eprintln!(
        "inverse near the equator, {} cases ({} the other of two shortest geodesics): max \
         distance error {:e} m, max azimuth error x distance {:e} m",
        errs.cases, errs.other_geodesic, errs.distance_m, errs.azimuth_m
    );

    // The direct problem from near-equatorial starts.
    let g = Geodesic::wgs84();
    let (mut dlat_max, mut dlon_max, mut dazi_max) = (0.0_f64, 0.0_f64, 0.0_f64);
    for &lat in &lats {
        for azi in [0.0, 30.0, 89.999_999_999, 90.0, 90.000_000_001, 135.0, 180.0, 270.0, -90.0] {
            for s in [1e-3, 1.0, 55_659.745, 1e6, 1.0e7, 19_970_000.0, 2.0e7, 4.5e7, -3.0e6] {
                let start = Geodetic::new(lat, 10.0, 0.0);
                let ours = geodesic_direct(&start, azi, s);
                let (lat2, lon2, azi2): (f64, f64, f64) = g.direct(lat, 10.0, azi, s);
                let p = ours.position;
                let what = format!("{lat:e} {azi} {s}: {ours:?} vs {lat2} {lon2} {azi2}");
                let dlat = (p.lat - lat2).abs();
                let dlon = ang_diff(p.lon, lon2).abs() * lat2.to_radians().cos();
                let dazi = ang_diff(ours.azimuth2_deg, azi2).abs();
                assert!(dlat < 1e-11 && dlon < 1e-11 && dazi < 1e-9, "{what}");
                (dlat_max, dlon_max, dazi_max) =
                    (dlat_max.max(dlat), dlon_max.max(dlon), dazi_max.max(dazi));
            }
        }
    }
    eprintln!(
        "direct near the equator: max errors lat {dlat_max:e} deg, lon {dlon_max:e} deg, azimuth {dazi_max:e} deg"
    );
}

/// A longitude reduced to [-180, 180).
fn norm180(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}
