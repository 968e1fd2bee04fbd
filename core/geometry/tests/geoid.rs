//! EGM96 geoid undulation against NGA's published test values, and the interpolating grid
//! against the exact model.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

use lsar_geometry::geodesy::{
    GeoidGrid, egm96_undulation, ellipsoidal_from_msl, msl_from_ellipsoidal,
};

/// NGA, EGM96 "readme.txt" of the WW15MGH.GRD distribution, sample output OUTINTPT.DAT:
/// latitude, longitude (0..360), geoid height in metres.
const NGA: [(f64, f64, f64); 6] = [
    (38.628_155_0, 269.779_155_0, -31.628),
    (-14.621_217_0, 305.021_114_0, -2.969),
    (46.874_319_0, 102.448_729_0, -43.575),
    (-23.617_446_0, 133.874_712_0, 15.871),
    (38.625_473_0, 359.999_500_0, 50.066),
    (-0.466_744_0, 0.002_300_0, 17.329),
];

#[test]
fn egm96_matches_nga_test_values() {
    for (lat, lon, n) in NGA {
        // The published values are interpolated from the 15' grid; the spherical harmonic
        // sum agrees to a few millimetres. Also in the -180..180 form of the longitude.
        for lon in [lon, lon - 360.0] {
            let ours = egm96_undulation(lat, lon);
            assert!((ours - n).abs() < 0.02, "{lat} {lon}: {ours} vs {n}");
        }
    }
    assert!(egm96_undulation(f64::NAN, 0.0).is_nan());
}

#[test]
fn grid_matches_exact_model() {
    // The Alps around Mont Blanc and Zermatt, 0.05 degree step.
    let grid = GeoidGrid::new(45.5, 46.5, 6.5, 8.0, 0.05).unwrap();
    assert_eq!(grid.shape(), (21, 31));
    let mut worst: f64 = 0.0;
    for i in 0..=20 {
        for j in 0..=30 {
            let (lat, lon) = (45.5 + 0.0493 * f64::from(i), 6.5 + 0.0487 * f64::from(j));
            let d = (grid.undulation(lat, lon) - egm96_undulation(lat, lon)).abs();
            worst = worst.max(d);
        }
    }
    // Documented tolerance of GeoidGrid: 2 cm at 0.05 degrees in the Alps.
    assert!(worst < 0.02, "worst {worst}");
    // On a node it is the exact value; outside the box the exact fallback.
    assert!((grid.undulation(46.0, 7.0) - egm96_undulation(46.0, 7.0)).abs() < 1e-12);
    assert!(!grid.contains(10.0, 7.0));
    assert!((grid.undulation(10.0, 7.0) - egm96_undulation(10.0, 7.0)).abs() < 1e-12);
    // Around 50 m above the ellipsoid in the Alps; heights convert both ways.
    let n = grid.undulation(45.8326, 6.8652);
    assert!((45.0..56.0).contains(&n), "{n}");
    let h = grid.ellipsoidal_from_msl(45.8326, 6.8652, 4808.7);
    assert!((h - 4808.7 - n).abs() < 1e-9);
    assert!((grid.msl_from_ellipsoidal(45.8326, 6.8652, h) - 4808.7).abs() < 1e-9);
    assert_eq!(msl_from_ellipsoidal(ellipsoidal_from_msl(100.0, 50.0), 50.0), 100.0);
}

#[test]
fn grid_across_the_antimeridian_and_bad_boxes() {
    let grid = GeoidGrid::new(-18.0, -17.0, 179.0, 181.0, 0.25).unwrap();
    for lon in [179.1, 179.9, -179.9, -179.1] {
        let d = grid.undulation(-17.5, lon) - egm96_undulation(-17.5, lon);
        assert!(grid.contains(-17.5, lon) && d.abs() < 0.2, "{lon} {d}");
    }
    assert!(GeoidGrid::new(46.0, 45.0, 6.0, 7.0, 0.05).is_err());
    assert!(GeoidGrid::new(45.0, 46.0, 6.0, 7.0, 0.0).is_err());
    assert!(GeoidGrid::new(45.0, 46.0, 6.0, f64::NAN, 0.05).is_err());
}
