//! Should duplicate 3D points be merged across viewpoints as they are across the views of one
//! viewpoint? For a pack built without merging (`lsar pack build ... --merge-3d-px 0`) this
//! finds pairs of keypoints whose 3D points satisfy the merge rule of `pack_build::dedup`
//! (2 pixels of the views' sampling, as ground footprint at the nearer range), once for pairs
//! in two views of the same viewpoint and once for pairs in two different viewpoints, and
//! compares their descriptors: the L2 distance of the unit rows, against that of random
//! pairs. Pairs whose descriptors are as close as a same-viewpoint duplicate are redundant;
//! pairs as far apart as random keypoints describe the place from another direction and are
//! both useful to a query taken from either side.
//!
//! Run: `LSAR_MERGE_PACK=off.lsarpack cargo bench -p lsar-desktop --bench pack_merge` (prints
//! a table).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use lsar_desktop::pack_build::dedup::{are_duplicates, merge_tolerance_rad};
use lsar_pack::PackReader;
use nalgebra::Vector3;

struct Kp {
    viewpoint: usize,
    view: usize,
    point: Vector3<f64>,
    row: Vec<f32>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>().sqrt()
}

fn main() {
    let Ok(path) = std::env::var("LSAR_MERGE_PACK") else {
        println!("set LSAR_MERGE_PACK to a pack built with --merge-3d-px 0");
        return;
    };
    let pack = PackReader::open(&path, None).unwrap();
    let views = pack.views();
    let v0 = &views[0];
    let tol = merge_tolerance_rad(2.0, v0.width, v0.hfov_deg, 3000.0);
    let centres: Vec<Vector3<f64>> =
        pack.viewpoints().iter().map(|v| Vector3::from(v.position_enu)).collect();
    let spacing = centres.iter().skip(1).map(|c| (c - centres[0]).norm()).fold(f64::MAX, f64::min);
    let d = pack.descriptors();
    let mut kps = Vec::new();
    for (vi, vp) in pack.viewpoints().iter().enumerate() {
        let first_view = vp.first_view as usize;
        for (v, view) in views.iter().enumerate().skip(first_view).take(vp.view_count as usize) {
            let first = view.first_keypoint as usize;
            for (i, kp) in pack.view_keypoints(v).unwrap().iter().enumerate() {
                let mut row = vec![0.0f32; d.dim()];
                d.row_into(first + i, &mut row).unwrap();
                let point = Vector3::from(kp.point_enu.map(f64::from));
                kps.push(Kp { viewpoint: vi, view: v, point, row });
            }
        }
    }
    // No pair farther apart than the rule allows at the largest range can match.
    let max_range = kps.iter().map(|k| (k.point - centres[k.viewpoint]).norm()).fold(0.0, f64::max);
    let (mut same, mut across, mut across_angle) = (Vec::new(), Vec::new(), Vec::<f64>::new());
    let mut with_twin_across = vec![false; kps.len()];
    for (i, a) in kps.iter().enumerate() {
        for (j, b) in kps.iter().enumerate().skip(i + 1) {
            if (a.point - b.point).norm() > tol * max_range {
                continue;
            }
            if a.viewpoint == b.viewpoint {
                if a.view != b.view
                    && are_duplicates(&a.point, &b.point, &centres[a.viewpoint], tol)
                {
                    same.push(dist(&a.row, &b.row));
                }
                continue;
            }
            // The rule at each keypoint's own range from its own viewpoint, the nearer one.
            let (ca, cb) = (&centres[a.viewpoint], &centres[b.viewpoint]);
            let range = (a.point - ca).norm().min((b.point - cb).norm());
            if (a.point - b.point).norm() <= tol * range {
                across.push(dist(&a.row, &b.row));
                let (ra, rb) = ((ca - a.point).normalize(), (cb - b.point).normalize());
                across_angle.push(ra.dot(&rb).clamp(-1.0, 1.0).acos().to_degrees());
                with_twin_across[i] = true;
                with_twin_across[j] = true;
            }
        }
    }
    // Random pairs: a fixed-seed sample.
    let mut state = 7u64;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    let random: Vec<f64> = (0..20_000)
        .map(|_| {
            let (a, b) = (next(kps.len()), next(kps.len()));
            dist(&kps[a].row, &kps[b].row)
        })
        .collect();
    let twins = with_twin_across.iter().filter(|&&t| t).count();
    println!(
        "pack {path}: {} viewpoints ({spacing:.0} m apart), {} keypoints, rule {:.3} mrad",
        centres.len(),
        kps.len(),
        tol * 1e3
    );
    println!("| pairs | count | median descriptor distance |");
    println!("|---|---|---|");
    println!("| two views of one viewpoint | {} | {:.3} |", same.len(), median(same));
    println!(
        "| two viewpoints ({twins} keypoints, {:.1} %, have one; median angle between the rays {:.1} deg) | {} | {:.3} |",
        100.0 * twins as f64 / kps.len() as f64,
        median(across_angle.clone()),
        across.len(),
        median(across.clone())
    );
    for (lo, hi) in [(0.0, 2.0), (2.0, 5.0), (5.0, 10.0), (10.0, 20.0), (20.0, 180.0)] {
        let sel: Vec<f64> = across
            .iter()
            .zip(&across_angle)
            .filter(|&(_, a)| (lo..hi).contains(a))
            .map(|(d, _)| *d)
            .collect();
        println!(
            "| two viewpoints, rays {lo}-{hi} deg apart | {} | {:.3} |",
            sel.len(),
            median(sel)
        );
    }
    println!("| random | {} | {:.3} |", random.len(), median(random));
}
