//! The blocked matcher against brute force.

use lsar_vision::{Descriptors, MatchOptions, knn_matches, match_descriptors};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_unit(n: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| {
            let v: Vec<f32> = (0..128).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        })
        .collect()
}

fn brute(a: &[Vec<f32>], b: &[Vec<f32>], o: &MatchOptions) -> Vec<(usize, usize, f64)> {
    let dist = |x: &[f32], y: &[f32]| {
        x.iter().zip(y).map(|(p, q)| (f64::from(*p) - f64::from(*q)).powi(2)).sum::<f64>().sqrt()
    };
    let swapped = b.len() < a.len();
    let (s, d) = if swapped { (b, a) } else { (a, b) };
    let nn = |x: &[f32], set: &[Vec<f32>]| {
        let mut ds: Vec<(f64, usize)> =
            set.iter().enumerate().map(|(j, y)| (dist(x, y), j)).collect();
        ds.sort_by(|p, q| p.0.total_cmp(&q.0));
        (ds[0].1, ds[0].0, ds.get(1).map_or(f64::INFINITY, |p| p.0))
    };
    let mut best: Vec<Option<(usize, f64)>> = vec![None; d.len()];
    for (i, x) in s.iter().enumerate() {
        let (j, d1, d2) = nn(x, d);
        if o.mutual && nn(&d[j], s).0 != i {
            continue;
        }
        if o.ratio.is_some_and(|r| d1 >= f64::from(r) * d2) {
            continue;
        }
        if best[j].is_none_or(|(_, bd)| d1 < bd) {
            best[j] = Some((i, d1));
        }
    }
    let mut out: Vec<(usize, usize, f64)> = best
        .iter()
        .enumerate()
        .filter_map(|(j, b)| b.map(|(i, dd)| if swapped { (j, i, dd) } else { (i, j, dd) }))
        .collect();
    out.sort_by(|p, q| p.2.total_cmp(&q.2));
    out
}

#[test]
fn equals_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let b = random_unit(700, &mut rng);
    // Half of `a` are noisy copies of rows of `b`, so there are real matches and collisions.
    let mut a = random_unit(150, &mut rng);
    for (k, row) in a.iter_mut().enumerate().take(75) {
        let src = &b[(k * 7) % 40];
        for (x, y) in row.iter_mut().zip(src) {
            *x = y + (0.02 + 0.004 * k as f32) * *x;
        }
    }
    let to_desc = |v: &[Vec<f32>]| Descriptors::new(128, v.concat()).unwrap();
    let (da, db) = (to_desc(&a), to_desc(&b));
    for mutual in [false, true] {
        for ratio in [None, Some(0.8)] {
            let o = MatchOptions { mutual, ratio, block_elements: 5000 };
            for (x, y, dx, dy) in [(&da, &db, &a, &b), (&db, &da, &b, &a)] {
                let got = match_descriptors(x, y, &o).unwrap();
                let want = brute(dx, dy, &o);
                assert_eq!(got.len(), want.len(), "{o:?}");
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!((g.query, g.train), (w.0, w.1), "{o:?}");
                    assert!((f64::from(g.distance) - w.2).abs() < 1e-4);
                }
                assert!(got.windows(2).all(|p| p[0].distance <= p[1].distance));
            }
        }
    }
    // The plain rule keeps one match per target: 150 sources, 40 distinct copied targets.
    let plain = match_descriptors(&da, &db, &MatchOptions::default()).unwrap();
    let mut targets: Vec<usize> = plain.iter().map(|m| m.train).collect();
    targets.sort_unstable();
    targets.dedup();
    assert_eq!(targets.len(), plain.len());
    assert!(
        match_descriptors(
            &da,
            &Descriptors::new(64, vec![0.0; 64]).unwrap(),
            &MatchOptions::default()
        )
        .is_err()
    );
    let empty = Descriptors::new(128, Vec::new()).unwrap();
    assert!(match_descriptors(&da, &empty, &MatchOptions::default()).unwrap().is_empty());
    let bad = MatchOptions { ratio: Some(1.5), ..MatchOptions::default() };
    assert!(match_descriptors(&da, &db, &bad).is_err());
}

#[test]
fn knn_equals_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let a = random_unit(90, &mut rng);
    let b = random_unit(400, &mut rng);
    let to_desc = |v: &[Vec<f32>]| Descriptors::new(128, v.concat()).unwrap();
    let (da, db) = (to_desc(&a), to_desc(&b));
    for k in [1, 3] {
        // A block of 1000 floats holds two rows of 400: several blocks.
        let got = knn_matches(&da, &db, k, 1000).unwrap();
        assert_eq!(got.len(), 90 * k);
        assert!(got.windows(2).all(|p| p[0].distance <= p[1].distance));
        for (i, x) in a.iter().enumerate() {
            let mut ds: Vec<(f64, usize)> = b
                .iter()
                .enumerate()
                .map(|(j, y)| {
                    let d2: f64 = x.iter().zip(y).map(|(p, q)| f64::from(p - q).powi(2)).sum();
                    (d2.sqrt(), j)
                })
                .collect();
            ds.sort_by(|p, q| p.0.total_cmp(&q.0));
            let mut mine: Vec<&lsar_vision::Match> = got.iter().filter(|m| m.query == i).collect();
            mine.sort_by(|p, q| p.distance.total_cmp(&q.distance));
            for (m, (d, j)) in mine.iter().zip(&ds) {
                assert_eq!(m.train, *j);
                assert!((f64::from(m.distance) - d).abs() < 1e-4);
            }
        }
    }
    // k larger than the set: every target once.
    assert_eq!(knn_matches(&da, &to_desc(&b[..2]), 5, 1 << 20).unwrap().len(), 180);
    assert!(knn_matches(&da, &db, 0, 1 << 20).is_err());
    assert!(knn_matches(&da, &Descriptors::new(64, vec![0.0; 64]).unwrap(), 1, 1 << 20).is_err());
    let empty = Descriptors::new(128, Vec::new()).unwrap();
    assert!(knn_matches(&da, &empty, 2, 1 << 20).unwrap().is_empty());
}
