//! Transverse Mercator and UTM against published values and an independent oracle (the
//! meridian arc from GeographicLib).
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use geographiclib_rs::{Geodesic, InverseGeodesic};
use lsar_geometry::GeometryError;
use lsar_geometry::geodesy::{TransverseMercator, UtmZone, geodetic_from_utm, utm_from_geodetic};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn dms(d: f64, m: f64, s: f64) -> f64 {
    d + m / 60.0 + s / 3600.0
}

fn zone(number: u8, north: bool) -> UtmZone {
    UtmZone::new(number, north).unwrap()
}

/// Airy 1830 and the British National Grid (OSGB 1936), EPSG:27700.
fn british_national_grid() -> TransverseMercator {
    let f = 1.0 / 299.324_964_6;
    TransverseMercator::new(6_377_563.396, f, 0.999_601_271_7, 49.0, -2.0, 400_000.0, -100_000.0)
        .unwrap()
}

#[test]
fn tm_published_examples_on_airy() {
    let tm = british_national_grid();
    // Ordnance Survey, "A guide to coordinate systems in Great Britain" (v3.6, 2020), annex C
    // worked example: 52d39'27.2531"N 1d43'4.5177"E -> E 651409.903 m, N 313177.270 m.
    let (lat, lon) = (dms(52.0, 39.0, 27.2531), dms(1.0, 43.0, 4.5177));
    let (e, n) = tm.forward(lat, lon).unwrap();
    assert!((e - 651_409.903).abs() < 0.001 && (n - 313_177.270).abs() < 0.001, "{e} {n}");
    let (la, lo) = tm.inverse(651_409.903, 313_177.270).unwrap();
    assert!((la - lat).abs() < 1e-8 && (lo - lon).abs() < 1e-8, "{la} {lo}");
    // IOGP Guidance Note 7-2, EPSG method 9807 example: 50d30'N 0d30'E -> E 577274.99 m,
    // N 69740.50 m as printed (computed with rounded intermediates, so good to ~1 cm); the
    // exact Krueger value, as PROJ's etmerc gives it (cartopy's test suite, 0.01 mm), is
    // E 577274.98380, N 69740.49227.
    let (e, n) = tm.forward(50.5, 0.5).unwrap();
    assert!((e - 577_274.99).abs() < 0.01 && (n - 69_740.50).abs() < 0.01, "{e} {n}");
    assert!((e - 577_274.983_80).abs() < 1e-4 && (n - 69_740.492_27).abs() < 1e-4, "{e} {n}");
}

#[test]
fn utm_published_points() {
    // C. Veness, movable-type.co.uk "Convert between Latitude/Longitude & UTM coordinates"
    // (Karney's method), also in PyGeodesy's test_utm.py: the Eiffel tower.
    let (e, n) = utm_from_geodetic(48.8582, 2.2945, zone(31, true)).unwrap();
    assert!((e - 448_251.795).abs() < 0.001 && (n - 5_411_932.678).abs() < 0.001, "{e} {n}");
    assert_eq!(UtmZone::containing(48.8582, 2.2945).unwrap(), zone(31, true));
    // PyGeodesy test_utm.py (to the micrometre): 13.4125N 103.8667E -> 48N, and its mirror
    // image in the southern hemisphere -> 13S.
    let (e, n) = utm_from_geodetic(13.4125, 103.8667, zone(48, true)).unwrap();
    assert!((e - 377_302.354_183).abs() < 1e-5 && (n - 1_483_034.777_084).abs() < 1e-5);
    let (e, n) = utm_from_geodetic(-13.4125, -103.8667, zone(13, false)).unwrap();
    assert!((e - 622_697.645_817).abs() < 1e-5 && (n - 8_516_965.222_916).abs() < 1e-5);
    assert_eq!(UtmZone::containing(-13.4125, -103.8667).unwrap(), zone(13, false));
    // Zone 32N: the central meridian 9E is at false easting 500 km exactly, and northing is
    // 0.9996 x the meridian arc (checked against GeographicLib below); PyGeodesy gives
    // 32V 500000 6651411 for 60N 9E.
    let (e, n) = utm_from_geodetic(60.0, 9.0, zone(32, true)).unwrap();
    assert!((e - 500_000.0).abs() < 1e-9 && (n - 6_651_411.0).abs() < 0.5, "{e} {n}");
    // Zone 32 is zone 31 shifted by 6 degrees.
    let a = utm_from_geodetic(47.3, 10.7, zone(32, true)).unwrap();
    let b = utm_from_geodetic(47.3, 4.7, zone(31, true)).unwrap();
    assert!((a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9);
}

#[test]
fn central_meridian_northing_is_scaled_meridian_arc() {
    let g = Geodesic::wgs84();
    for lat in [-80.0, -45.5, -10.0, -1e-3, 0.0, 12.5, 45.83, 60.0, 84.0, 89.9] {
        for number in [1u8, 31, 32, 60] {
            let z = zone(number, lat >= 0.0);
            let lon = z.central_meridian_deg();
            let (e, n) = utm_from_geodetic(lat, lon, z).unwrap();
            let arc: f64 = g.inverse(0.0, lon, lat, lon);
            let expected = if lat >= 0.0 { 0.9996 * arc } else { 10_000_000.0 - 0.9996 * arc };
            assert!((e - 500_000.0).abs() < 1e-9, "{lat} {number}: {e}");
            assert!((n - expected).abs() < 1e-6, "{lat} {number}: {n} vs {expected}");
        }
    }
}

#[test]
fn utm_round_trip_across_the_zone() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for _ in 0..50_000 {
        let number = rng.random_range(1..=60u8);
        let north = rng.random_bool(0.5);
        let lat: f64 =
            if north { rng.random_range(0.0..84.0) } else { rng.random_range(-80.0..0.0) };
        let z = zone(number, north);
        // Up to 3 degrees from the central meridian and a bit beyond (zone overlap).
        let lon = z.central_meridian_deg() + rng.random_range(-3.5..3.5);
        let (e, n) = utm_from_geodetic(lat, lon, z).unwrap();
        let (la, lo) = geodetic_from_utm(e, n, z).unwrap();
        let (e2, n2) = utm_from_geodetic(la, lo, z).unwrap();
        assert!((e2 - e).abs() < 1e-6 && (n2 - n).abs() < 1e-6, "{lat} {lon} {z}");
        // 1e-10 degrees is about 1 cm at most; the metric check above is the tight one.
        assert!((la - lat).abs() < 1e-10, "{lat} {lon}: {la}");
        let dlo = (lo - lon + 540.0).rem_euclid(360.0) - 180.0;
        assert!(dlo.abs() * lat.to_radians().cos() < 1e-10, "{lat} {lon}: {lo}");
    }
    // Edges: 3 degrees off the meridian at the equator and at 84N, the poles.
    for (lat, dlon) in [(0.0, 3.0), (0.0, -3.0), (84.0, 3.0), (-80.0, -3.0), (89.999, 3.0)] {
        let z = zone(32, lat >= 0.0);
        let (e, n) = utm_from_geodetic(lat, 9.0 + dlon, z).unwrap();
        let (la, lo) = geodetic_from_utm(e, n, z).unwrap();
        assert!((la - lat).abs() < 1e-11 && (lo - 9.0 - dlon).abs() < 1e-9, "{lat} {dlon}");
    }
    let (e, n) = utm_from_geodetic(90.0, 0.0, zone(31, true)).unwrap();
    let (la, _) = geodetic_from_utm(e, n, zone(31, true)).unwrap();
    assert!((e - 500_000.0).abs() < 1e-6 && (la - 90.0).abs() < 1e-12);
}

#[test]
fn zones_and_epsg() {
    assert_eq!(UtmZone::from_epsg(32631).unwrap(), zone(31, true));
    assert_eq!(UtmZone::from_epsg(32760).unwrap(), zone(60, false));
    assert_eq!(zone(33, false).to_epsg(), 32733);
    assert_eq!(zone(1, true).to_epsg(), 32601);
    for code in [32600, 32661, 32700, 32761, 4326, 0] {
        assert!(matches!(UtmZone::from_epsg(code), Err(GeometryError::UnsupportedCrs { .. })));
    }
    assert!(UtmZone::new(0, true).is_err() && UtmZone::new(61, true).is_err());
    let c = |lat, lon| UtmZone::containing(lat, lon).unwrap().number;
    assert_eq!(c(45.8326, 6.8652), 32); // Mont Blanc
    assert_eq!(c(46.0, 5.99), 31);
    assert_eq!(c(0.0, -180.0), 1);
    assert_eq!(c(0.0, 180.0), 1);
    assert_eq!(c(0.0, 179.99), 60);
    assert_eq!(c(60.0, 5.0), 32); // Norway
    assert_eq!(c(60.0, 2.9), 31);
    assert_eq!(c(78.0, 8.0), 31); // Svalbard
    assert_eq!(c(78.0, 15.0), 33);
    assert_eq!(c(78.0, 25.0), 35);
    assert_eq!(c(78.0, 40.0), 37);
    assert!(!UtmZone::containing(-0.1, 7.0).unwrap().north);
    assert!(UtmZone::containing(f64::NAN, 7.0).is_err());
    assert!(utm_from_geodetic(45.0, 80.0, zone(32, true)).is_err());
    assert!(utm_from_geodetic(f64::NAN, 9.0, zone(32, true)).is_err());
    assert!(geodetic_from_utm(f64::INFINITY, 0.0, zone(32, true)).is_err());
}
