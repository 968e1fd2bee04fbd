//! Procedural alpine terrain, seeded and deterministic: ridged fractal relief with valleys
//! and a few prominent named summits, 20 x 20 km at 30 m on an EPSG:4326 grid, so that a
//! fresh clone can demo and test without downloads.
//!
//! The default centre is [`DEFAULT_CENTER`] (46.5 N, 8.0 E, in the Swiss Alps; the relief
//! is invented and has nothing to do with the real mountains there). Heights are metres
//! above sea level (EGM96), like SRTM.

pub(crate) mod noise;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::dem::{Crs, DemGrid, GeoTransform};
use noise::{fbm, ridged};

/// Default centre of synthetic terrain: latitude, longitude in degrees.
pub const DEFAULT_CENTER: (f64, f64) = (46.5, 8.0);

/// Parameters of [`synthesize`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthParams {
    /// The seed; equal seeds give equal terrain.
    pub seed: u64,
    /// Centre latitude and longitude, degrees.
    pub center: (f64, f64),
    /// Side of the square, metres.
    pub size_m: f64,
    /// Sample spacing, metres.
    pub cell_m: f64,
}

impl Default for SynthParams {
    fn default() -> Self {
        Self { seed: 1, center: DEFAULT_CENTER, size_m: 20_000.0, cell_m: 30.0 }
    }
}

/// A named summit of synthetic terrain (a local maximum of the grid).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summit {
    /// Generated name.
    pub name: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Height above sea level, metres.
    pub elevation_msl: f64,
}

/// Synthetic terrain: the grid and its summits.
#[derive(Debug, Clone)]
pub struct SynthTerrain {
    /// Heights above sea level on an EPSG:4326 grid, north-up.
    pub grid: DemGrid,
    /// The prominent summits, highest first.
    pub summits: Vec<Summit>,
}

/// Generates terrain; `None` only for nonsensical parameters (non-positive sizes, a centre
/// beyond +-85 degrees latitude).
pub fn synthesize(p: &SynthParams) -> Option<SynthTerrain> {
    let (lat0, lon0) = p.center;
    if !(p.size_m > 0.0 && p.cell_m > 0.0 && p.size_m / p.cell_m < 20_000.0 && lat0.abs() < 85.0) {
        return None;
    }
    let n = (p.size_m / p.cell_m).round() as usize + 1;
    let m_per_deg_lat = 111_132.0;
    let m_per_deg_lon = 111_320.0 * lat0.to_radians().cos();
    let (dx, dy) = (p.cell_m / m_per_deg_lon, p.cell_m / m_per_deg_lat);
    let half = (n - 1) as f64 / 2.0;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let nseed: u64 = rng.random();
    // Summit centres (metres from the centre), heights and radii.
    let peaks: Vec<(f64, f64, f64, f64)> = (0..rng.random_range(4..=6))
        .map(|_| {
            let r = 0.38 * p.size_m;
            (
                rng.random_range(-r..r),
                rng.random_range(-r..r),
                rng.random_range(900.0..1600.0),
                rng.random_range(1500.0..3000.0) * p.size_m / 20_000.0,
            )
        })
        .collect();
    let base = rng.random_range(700.0..1100.0_f64);
    // A main valley through the map: a line through the centre at a random angle.
    let (va_sin, va_cos) = rng.random_range(0.0..std::f64::consts::PI).sin_cos();
    let valley_w = 0.08 * p.size_m;
    let relief = rng.random_range(1300.0..1900.0_f64);
    let heights: Vec<f32> = (0..n * n)
        .into_par_iter()
        .map(|k| {
            let (c, r) = ((k % n) as f64, (k / n) as f64);
            let (x, y) = ((c - half) * p.cell_m, (half - r) * p.cell_m);
            let s = 1.0 / 6000.0;
            let ridge = f64::from(ridged(nseed, x * s, y * s, 6));
            let hills = f64::from(fbm(nseed ^ 7, x * s * 0.5, y * s * 0.5, 4));
            // Ridged relief (sharp crests, wide valleys) and a main valley carved through it.
            let mut h = base + relief * ridge.powf(1.4) * (0.6 + 0.8 * hills);
            let across = (x * va_sin - y * va_cos) / valley_w;
            h -= 0.5 * relief * ridge.powf(0.5) * (-across * across).exp();
            for &(px, py, ph, pr) in &peaks {
                let d2 = ((x - px).powi(2) + (y - py).powi(2)) / (pr * pr);
                h += ph * (-d2).exp() * (0.7 + 0.3 * ridge);
            }
            h as f32
        })
        .collect();
    let transform = GeoTransform {
        crs: Crs::Geographic,
        x0: lon0 - half * dx,
        y0: lat0 + half * dy,
        dx,
        dy: -dy,
    };
    let grid = DemGrid::new(n, n, heights, transform)?;
    let summits = find_summits(&grid, &peaks, p, &mut rng);
    Some(SynthTerrain { grid, summits })
}

/// The highest sample within each peak's radius, named; duplicates removed.
fn find_summits(
    grid: &DemGrid,
    peaks: &[(f64, f64, f64, f64)],
    p: &SynthParams,
    rng: &mut ChaCha8Rng,
) -> Vec<Summit> {
    let n = grid.width();
    let half = (n - 1) as f64 / 2.0;
    let mut found: Vec<(usize, usize, f32)> = Vec::new();
    for &(px, py, _, pr) in peaks {
        let (pc, prow) = (px / p.cell_m + half, half - py / p.cell_m);
        let rad = pr / p.cell_m;
        let mut best: Option<(usize, usize, f32)> = None;
        let lo_r = (prow - rad).max(0.0) as usize;
        let hi_r = ((prow + rad) as usize).min(n - 1);
        let lo_c = (pc - rad).max(0.0) as usize;
        let hi_c = ((pc + rad) as usize).min(n - 1);
        for r in lo_r..=hi_r {
            for c in lo_c..=hi_c {
                if let Some(h) = grid.at(c, r)
                    && best.is_none_or(|b| h > b.2)
                {
                    best = Some((c, r, h));
                }
            }
        }
        if let Some(b) = best
            && !found.iter().any(|f| f.0 == b.0 && f.1 == b.1)
        {
            found.push(b);
        }
    }
    found.sort_by(|a, b| b.2.total_cmp(&a.2));
    found
        .into_iter()
        .filter_map(|(c, r, h)| {
            let (lat, lon) = grid.lat_lon_of(c as f64, r as f64)?;
            Some(Summit { name: summit_name(rng), lat, lon, elevation_msl: f64::from(h) })
        })
        .collect()
}

const PREFIX: [&str; 7] = ["Piz", "Monte", "Pic", "Mont", "Cima", "Punta", "Gross"];
const SYLLABLES: [&str; 14] = [
    "val", "dor", "ser", "mar", "tor", "bel", "gran", "ros", "lin", "cor", "fal", "ner", "sca",
    "bri",
];
const ENDING: [&str; 7] = ["a", "o", "ina", "ette", "horn", "berg", "el"];

/// A random summit name.
fn summit_name(rng: &mut ChaCha8Rng) -> String {
    let mut root = String::new();
    for _ in 0..rng.random_range(1..=2) {
        root.push_str(SYLLABLES[rng.random_range(0..SYLLABLES.len())]);
    }
    root.push_str(ENDING[rng.random_range(0..ENDING.len())]);
    let mut chars = root.chars();
    let cap: String =
        chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
    format!("{} {cap}", PREFIX[rng.random_range(0..PREFIX.len())])
}
