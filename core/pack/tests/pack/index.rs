//! The spatial index answers exactly what a brute-force scan answers.

use lsar_pack::ViewpointIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn brute(points: &[[f64; 2]], c: [f64; 2], r: f64) -> Vec<u32> {
    (0..points.len() as u32)
        .filter(|&i| {
            let [x, y] = points[i as usize];
            (x - c[0]).powi(2) + (y - c[1]).powi(2) <= r * r
        })
        .collect()
}

#[test]
fn grid_query_equals_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut out = Vec::new();
    for layout in 0..5 {
        for &n in &[1usize, 2, 17, 300, 2500] {
            let points: Vec<[f64; 2]> = (0..n)
                .map(|i| match layout {
                    // Uniform over 20 km.
                    0 => [rng.random_range(-1e4..1e4), rng.random_range(-1e4..1e4)],
                    // A regular 1 km grid, as the builder lays viewpoints out.
                    1 => [(i % 50) as f64 * 1000.0, (i / 50) as f64 * 1000.0],
                    // All on one line.
                    2 => [rng.random_range(-5e4..5e4), 12.5],
                    // Clustered, with duplicates.
                    3 => [
                        (rng.random_range(0..4) as f64) * 3e3,
                        (rng.random_range(0..4) as f64) * 3e3,
                    ],
                    // Two far clusters.
                    _ => {
                        let far = if i % 2 == 0 { 0.0 } else { 8e5 };
                        [far + rng.random_range(0.0..100.0), rng.random_range(0.0..100.0)]
                    }
                })
                .collect();
            let index = ViewpointIndex::build(points.clone());
            for _ in 0..60 {
                let c = [rng.random_range(-2e4..6e4), rng.random_range(-2e4..6e4)];
                let r = match rng.random_range(0..4) {
                    0 => 0.0,
                    1 => rng.random_range(0.0..500.0),
                    2 => rng.random_range(0.0..5e3),
                    _ => rng.random_range(0.0..1e6),
                };
                index.within(c, r, &mut out);
                assert_eq!(out, brute(&points, c, r), "layout {layout}, n {n}, c {c:?}, r {r}");
            }
            // Exactly on a point, radius 0.
            let p = points[n / 2];
            index.within(p, 0.0, &mut out);
            assert_eq!(out, brute(&points, p, 0.0));
        }
    }
}
