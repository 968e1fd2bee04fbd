//! The diagnoses of one descriptor's queries summed up for the eval report.

use serde_json::{Value, json};

use super::Diagnosis;
use crate::eval::metrics::QueryErrors;

/// Upper ends of the bins of [`summary`]'s `by_repeatable_beyond_2km`.
const SUPPORT_BINS: [usize; 3] = [20, 40, 80];

/// The diagnoses of one descriptor's queries summed up: keypoints, `possible` and correct
/// matches per depth band; the queries and the ones within the target (2 degrees, FOV within
/// 3 %) per bin of repeatable keypoints beyond 2 km (`possible_by_depth` of the two far
/// bands; bins below 20, 20-40, 40-80, from 80); and the failed queries whose true rotation
/// at the GPS fix is confirmed by the guided check (at least `min_inliers` inliers), with the
/// queries whose turned rotation is (a wrong hypothesis confirmed).
pub fn summary(
    diagnoses: &[Option<Diagnosis>],
    errors: &[QueryErrors],
    min_inliers: usize,
) -> Value {
    let mut keypoints = [0usize; 3];
    let mut possible = [0usize; 3];
    let mut correct = [0usize; 3];
    let mut bins = [(0usize, 0usize); 4];
    let (mut failed_confirmed, mut turned_confirmed, mut failed) = (0, 0, 0);
    for (d, e) in diagnoses.iter().zip(errors) {
        let Some(d) = d else { continue };
        for (total, add) in [
            (&mut keypoints, &d.keypoints_by_depth),
            (&mut possible, &d.possible_by_depth),
            (&mut correct, &d.correct_by_depth),
        ] {
            total.iter_mut().zip(add).for_each(|(t, a)| *t += a);
        }
        let far = d.possible_by_depth.iter().skip(1).sum::<usize>();
        let bin = SUPPORT_BINS.iter().take_while(|&&b| far >= b).count();
        if let Some(slot) = bins.get_mut(bin) {
            slot.0 += 1;
            slot.1 += usize::from(e.within_target());
        }
        if !e.within_target() {
            failed += 1;
            failed_confirmed += usize::from(d.true_rotation.inliers >= min_inliers);
        }
        turned_confirmed += usize::from(d.turned_rotation.inliers >= min_inliers);
    }
    let bands = |v: [usize; 3]| json!({ "below_2km": v[0], "2_to_5km": v[1], "beyond_5km": v[2] });
    let bin_rows: Vec<Value> = bins
        .iter()
        .enumerate()
        .map(|(i, &(queries, within))| {
            json!({
                "from": if i == 0 { 0 } else { SUPPORT_BINS.get(i - 1).copied().unwrap_or(0) },
                "to": SUPPORT_BINS.get(i).copied(),
                "queries": queries,
                "within_target": within,
            })
        })
        .collect();
    json!({
        "keypoints_by_depth": bands(keypoints),
        "possible_by_depth": bands(possible),
        "correct_by_depth": bands(correct),
        "by_repeatable_beyond_2km": bin_rows,
        "failed": failed,
        "failed_confirmed_at_true_rotation": failed_confirmed,
        "confirmed_at_turned_rotation": turned_confirmed,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Guided;
    use super::*;

    fn diagnosis(far: usize, true_inliers: usize, turned_inliers: usize) -> Diagnosis {
        Diagnosis {
            keypoints_by_depth: [10, far, 5],
            possible_by_depth: [3, far, 0],
            correct_by_depth: [0, far / 2, 0],
            true_rotation: Guided { rematched: true_inliers, inliers: true_inliers },
            turned_rotation: Guided { rematched: 1, inliers: turned_inliers },
            ..Diagnosis::default()
        }
    }

    fn errors(rot_deg: f64, fov_rel: f64) -> QueryErrors {
        QueryErrors { rot_deg, fov_rel, ..QueryErrors::failure(1.0) }
    }

    #[test]
    fn sums_bands_bins_and_guided_checks() {
        let d = vec![
            Some(diagnosis(5, 0, 0)),
            Some(diagnosis(30, 20, 0)),
            Some(diagnosis(30, 5, 0)),
            Some(diagnosis(100, 50, 12)),
            None,
        ];
        let e = vec![
            QueryErrors::failure(1.0),
            errors(0.5, 0.05),
            QueryErrors::failure(1.0),
            errors(0.5, 0.01),
            errors(0.1, 0.0),
        ];
        let s = summary(&d, &e, 12);
        assert_eq!(s["keypoints_by_depth"]["below_2km"], 40);
        assert_eq!(s["possible_by_depth"]["2_to_5km"], 165);
        assert_eq!(s["correct_by_depth"]["2_to_5km"], 2 + 15 + 15 + 50);
        let bins = s["by_repeatable_beyond_2km"].as_array().unwrap();
        let row = |i: usize| {
            (bins[i]["queries"].as_u64().unwrap(), bins[i]["within_target"].as_u64().unwrap())
        };
        assert_eq!([row(0), row(1), row(2), row(3)], [(1, 0), (2, 0), (0, 0), (1, 1)]);
        assert_eq!(bins[3]["to"], Value::Null);
        assert_eq!(bins[1]["from"], 20);
        // Query 1 is 0.5 degrees off but its FOV 5 % off: failed, and confirmed at the truth.
        assert_eq!(s["failed"], 3);
        assert_eq!(s["failed_confirmed_at_true_rotation"], 1);
        assert_eq!(s["confirmed_at_turned_rotation"], 1);
    }
}
