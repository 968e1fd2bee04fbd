//! Accuracy and speed figures of the geodesy module, printed, not asserted (the asserting
//! tests are in geodesy.rs, utm.rs and geoid.rs). Run with
//! `cargo test -p lsar-geometry --release --test geodesy_figures -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]
use geographiclib_rs::{Geodesic, InverseGeodesic};
use lsar_geometry::geodesy::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
#[test]
#[ignore = "prints figures; slow"]
fn measure() {
    let g = Geodesic::wgs84();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let (mut worst_s, mut worst_a) = (0.0f64, 0.0f64);
    let mut pairs = vec![];
    for i in 0..200_000 {
        let lat1: f64 = rng.random_range(-90.0..90.0);
        let lon1: f64 = rng.random_range(-180.0..180.0);
        let (lat2, lon2) = if i % 2 == 0 {
            (rng.random_range(-90.0..90.0), rng.random_range(-180.0..180.0))
        } else {
            (-lat1 + rng.random_range(-0.5..0.5f64), lon1 + 180.0 + rng.random_range(-1.0..0.5f64))
        };
        pairs.push((lat1, lon1, lat2, lon2));
    }
    let t = Instant::now();
    let ours: Vec<_> = pairs
        .iter()
        .map(|&(a, b, c, d)| geodesic_inverse(&Geodetic::new(a, b, 0.0), &Geodetic::new(c, d, 0.0)))
        .collect();
    let el = t.elapsed();
    for (&(a, b, c, d), o) in pairs.iter().zip(&ours) {
        let (s, a1, _a2, _): (f64, f64, f64, f64) = g.inverse(a, b, c, d);
        worst_s = worst_s.max((o.distance_m - s).abs());
        let da = ((o.azimuth1_deg - a1).rem_euclid(360.0) + 180.0).rem_euclid(360.0) - 180.0;
        worst_a = worst_a.max(da.abs().to_radians() * s.clamp(1.0, 1e7));
    }
    println!(
        "geodesic: {} pairs (half nearly antipodal) {:?} per call; max |ds| {:.3e} m, max az err x dist {:.3e} m",
        pairs.len(),
        el / pairs.len() as u32,
        worst_s,
        worst_a
    );
    // UTM round trip
    let mut worst = 0.0f64;
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..200_000 {
        let z = UtmZone::new(rng.random_range(1..=60u8), rng.random_bool(0.5)).unwrap();
        let lat = if z.north { rng.random_range(0.0..84.0) } else { rng.random_range(-80.0..0.0) };
        let lon = z.central_meridian_deg() + rng.random_range(-3.0..3.0);
        let (e, nn) = utm_from_geodetic(lat, lon, z).unwrap();
        let (la, lo) = geodetic_from_utm(e, nn, z).unwrap();
        let d =
            geodesic_inverse(&Geodetic::new(lat, lon, 0.0), &Geodetic::new(la, lo, 0.0)).distance_m;
        worst = worst.max(d);
        n += 1;
    }
    println!(
        "utm round trip (incl. geodesic check) {:?} per point, worst ground error {:.3e} m over {n}",
        t.elapsed() / n,
        worst
    );
    let t = Instant::now();
    let mut s = 0.0;
    for i in 0..200 {
        s += egm96_undulation(45.0 + i as f64 * 0.01, 7.0);
    }
    println!("egm96_undulation {:?} per call ({s})", t.elapsed() / 200);
    let t = Instant::now();
    let grid = GeoidGrid::new(45.0, 47.0, 5.0, 8.0, 0.05).unwrap();
    println!("GeoidGrid 2x3 deg at 0.05: {:?} build, shape {:?}", t.elapsed(), grid.shape());
    let mut worst = 0.0f64;
    for _ in 0..3000 {
        let (la, lo) = (rng.random_range(45.0..47.0), rng.random_range(5.0..8.0));
        worst = worst.max((grid.undulation(la, lo) - egm96_undulation(la, lo)).abs());
    }
    println!("GeoidGrid worst bilinear error 0.05 deg Alps (3000 random): {worst:.4} m");
    let grid = GeoidGrid::new(45.0, 47.0, 5.0, 8.0, 0.1).unwrap();
    let mut worst = 0.0f64;
    for _ in 0..3000 {
        let (la, lo) = (rng.random_range(45.0..47.0), rng.random_range(5.0..8.0));
        worst = worst.max((grid.undulation(la, lo) - egm96_undulation(la, lo)).abs());
    }
    println!("GeoidGrid worst bilinear error 0.1 deg Alps: {worst:.4} m");
    let t = Instant::now();
    let mut s = 0.0;
    for i in 0..1_000_000 {
        s += grid.undulation(45.5 + (i % 1000) as f64 * 1e-3, 6.0 + (i / 1000) as f64 * 1e-3);
    }
    println!("GeoidGrid look-up {:?} per call ({s})", t.elapsed() / 1_000_000);
}
