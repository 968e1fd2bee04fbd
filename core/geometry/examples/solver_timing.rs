//! Quick per-call timing of the minimal solvers (a profiling target; the criterion benches
//! are the reference numbers).
//!
//! `cargo run --release -p lsar-geometry --example solver_timing -- [p3p|p4pf|up3pf] [seconds | xPASSES]`
//!
//! Half the 512 problems are exact, half outlier samples; with the environment variable
//! `OUTL` set, all are outlier samples (what RANSAC at high outlier rates feeds the solver).

use lsar_geometry::absolute_pose::synth::{self, ProblemSpec, Scene};
use lsar_geometry::solvers::{FocalPose, Gravity, p3p, p4pf, up3pf};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("p4pf", String::as_str);
    // A number of seconds, or `xN` for exactly N passes over the 512 problems (for
    // instruction counts under valgrind).
    let arg = args.get(2).map_or("2", String::as_str);
    let passes: Option<u64> = arg.strip_prefix('x').and_then(|v| v.parse().ok());
    let seconds: f64 = arg.parse().unwrap_or(2.0);
    let probs: Vec<_> = (0..512u64)
        .map(|seed| {
            let outliers = if seed % 2 == 0 && std::env::var("OUTL").is_err() { 0.0 } else { 1.0 };
            let spec =
                ProblemSpec { outlier_ratio: outliers, ..ProblemSpec::exact(Scene::Generic, 4) };
            synth::generate(&spec, &mut synth::rng(seed))
        })
        .collect();
    let inputs: Vec<_> = probs
        .iter()
        .map(|p| (p.normalized(), p.centred_pixels(), p.points_3d.clone(), p.down_in_cam()))
        .collect();
    let mut out: Vec<FocalPose> = Vec::with_capacity(8);
    let (mut calls, mut sols) = (0u64, 0usize);
    let start = Instant::now();
    let mut pass = 0;
    while passes.map_or(start.elapsed().as_secs_f64() < seconds, |n| pass < n) {
        pass += 1;
        for (xn, xc, w, down) in &inputs {
            sols += match which {
                "p3p" => p3p(&[xn[0], xn[1], xn[2]], &[w[0], w[1], w[2]], &mut out),
                "up3pf" => {
                    let g = Gravity { down_in_cam: *down, down_in_world: -nalgebra::Vector3::z() };
                    up3pf(&[xc[0], xc[1], xc[2]], &[w[0], w[1], w[2]], &g, &mut out)
                }
                _ => p4pf(&[xc[0], xc[1], xc[2], xc[3]], &[w[0], w[1], w[2], w[3]], &mut out),
            };
            calls += 1;
        }
    }
    let dt = start.elapsed().as_secs_f64();
    println!(
        "{which}: {:.0} ns/call, {:.2} solutions/call (half exact, half outlier samples)",
        dt / calls as f64 * 1e9,
        sols as f64 / calls as f64
    );
}
