//! Accuracy metrics of `lsar eval`, as LandscapeAR reports them (Brejcha et al., ECCV 2020,
//! section 5): rotation error (the angle of `R_est R_true^T`), camera-centre error (metres),
//! FOV error, their cumulative curves and recalls at thresholds, and medians over all
//! queries where a failure counts as an infinite error.
//!
//! The calibration check of the confidence: among localizations with confidence >= 0.8, the
//! share within 2 degrees (the target: at least 0.95).

use lsar_core::Localization;
use lsar_core::geometry::{Camera, CameraPose};
use serde::Serialize;

/// Confidence from which a result is claimed correct.
pub const CONFIDENT: f64 = 0.8;
/// Rotation error (degrees) a confident result must stay within.
pub const CONFIDENT_ROT_DEG: f64 = 2.0;

/// The errors of one query against its truth; all infinite for a failure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct QueryErrors {
    /// Rotation error, degrees.
    pub rot_deg: f64,
    /// Camera-centre error, metres.
    pub centre_m: f64,
    /// Absolute horizontal FOV error, degrees.
    pub fov_deg: f64,
    /// FOV error relative to the true FOV.
    pub fov_rel: f64,
    /// Confidence of the localization (0 for a failure).
    pub confidence: f64,
    /// Wall time of the call, milliseconds.
    pub ms: f64,
}

impl QueryErrors {
    /// A failed query: every error infinite.
    pub fn failure(ms: f64) -> Self {
        let inf = f64::INFINITY;
        Self { rot_deg: inf, centre_m: inf, fov_deg: inf, fov_rel: inf, confidence: 0.0, ms }
    }

    /// Whether the query localized.
    pub fn localized(&self) -> bool {
        self.rot_deg.is_finite()
    }

    /// Whether it counts for `recall_rot2deg_fov3pct`: rotation within 2 degrees and FOV
    /// within 3 %.
    pub fn within_target(&self) -> bool {
        self.rot_deg < 2.0 && self.fov_rel < 0.03
    }
}

/// Rotation error in degrees between two rotations of the same frames.
pub fn rotation_error_deg(a: &CameraPose, b: &CameraPose) -> f64 {
    let r = a.rotation() * b.rotation().transpose();
    ((r.trace() - 1.0) / 2.0).clamp(-1.0, 1.0).acos().to_degrees()
}

/// The errors of a localization (world = ECEF) against the true camera.
///
/// # Errors
/// When the localization's camera JSON does not convert (never for a localizer result).
pub fn errors(
    loc: &Localization,
    truth_camera: &Camera,
    truth_pose: &CameraPose,
) -> lsar_core::geometry::Result<QueryErrors> {
    let (camera, pose) = loc.camera_and_pose()?;
    let true_fov = truth_camera.hfov_deg();
    let fov_deg = (camera.hfov_deg() - true_fov).abs();
    Ok(QueryErrors {
        rot_deg: rotation_error_deg(&pose, truth_pose),
        centre_m: (pose.center() - truth_pose.center()).norm(),
        fov_deg,
        fov_rel: fov_deg / true_fov,
        confidence: loc.confidence,
        ms: loc.timings_ms.total_ms,
    })
}

/// The median of values (the mean of the two middle ones for an even count; infinite values
/// sort last, so more than half failures give an infinite median). `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let (a, b) = (v.get((n - 1) / 2)?, v.get(n / 2)?);
    Some(if a == b { *a } else { (a + b) / 2.0 })
}

/// The share of `values` strictly below `threshold` (failures are infinite: never below).
pub fn recall(values: &[f64], threshold: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().filter(|&&v| v < threshold).count() as f64 / values.len() as f64
}

/// Calibration of the confidence: how many results claim `>= CONFIDENT` and how many of
/// them are within [`CONFIDENT_ROT_DEG`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// The confidence threshold (0.8).
    pub confidence_at_least: f64,
    /// The rotation error bound, degrees (2).
    pub within_rot_deg: f64,
    /// Results with confidence >= the threshold.
    pub confident: usize,
    /// Of those, results within the bound.
    pub confident_and_correct: usize,
    /// `confident_and_correct / confident`; `None` (JSON null) when nothing was confident.
    pub share: Option<f64>,
    /// Target share (0.95).
    pub target: f64,
}

/// Summary of one descriptor over all queries (the JSON of `lsar eval` per descriptor).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Queries evaluated.
    pub queries: usize,
    /// Share with rotation error below 1 degree.
    pub recall_rot_1deg: f64,
    /// Below 2 degrees.
    pub recall_rot_2deg: f64,
    /// Below 5 degrees.
    pub recall_rot_5deg: f64,
    /// Below 10 degrees.
    pub recall_rot_10deg: f64,
    /// Rotation error below 2 degrees and relative FOV error below 3 %.
    pub recall_rot2deg_fov3pct: f64,
    /// Median rotation error, degrees (failures infinite; JSON null when infinite).
    pub median_rot_deg: Option<f64>,
    /// Median camera-centre error, metres (as above).
    pub median_center_m: Option<f64>,
    /// Median horizontal FOV error, degrees (as above).
    pub median_fov_deg: Option<f64>,
    /// Queries not localized.
    pub failures: usize,
    /// Median wall time of a localization call, milliseconds (all queries).
    pub median_ms: Option<f64>,
    /// Calibration of the confidence.
    pub calibration: Calibration,
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Summarises the errors of one descriptor.
pub fn summarise(results: &[QueryErrors]) -> Summary {
    let rot: Vec<f64> = results.iter().map(|r| r.rot_deg).collect();
    let centre: Vec<f64> = results.iter().map(|r| r.centre_m).collect();
    let fov: Vec<f64> = results.iter().map(|r| r.fov_deg).collect();
    let ms: Vec<f64> = results.iter().map(|r| r.ms).collect();
    let both = results.iter().filter(|r| r.within_target()).count();
    let confident: Vec<&QueryErrors> =
        results.iter().filter(|r| r.localized() && r.confidence >= CONFIDENT).collect();
    let correct = confident.iter().filter(|r| r.rot_deg <= CONFIDENT_ROT_DEG).count();
    let n = results.len();
    Summary {
        queries: n,
        recall_rot_1deg: recall(&rot, 1.0),
        recall_rot_2deg: recall(&rot, 2.0),
        recall_rot_5deg: recall(&rot, 5.0),
        recall_rot_10deg: recall(&rot, 10.0),
        recall_rot2deg_fov3pct: if n == 0 { 0.0 } else { both as f64 / n as f64 },
        median_rot_deg: finite(median(&rot)),
        median_center_m: finite(median(&centre)),
        median_fov_deg: finite(median(&fov)),
        failures: results.iter().filter(|r| !r.localized()).count(),
        median_ms: median(&ms),
        calibration: Calibration {
            confidence_at_least: CONFIDENT,
            within_rot_deg: CONFIDENT_ROT_DEG,
            confident: confident.len(),
            confident_and_correct: correct,
            share: (!confident.is_empty()).then(|| correct as f64 / confident.len() as f64),
            target: 0.95,
        },
    }
}

/// Lower edges of the median-terrain-depth bands of [`recall_by_depth`], metres; the last
/// band is open. The first edge is the rejection rule's smallest median depth.
pub const DEPTH_BANDS_M: [f64; 4] = [500.0, 1000.0, 2000.0, 4000.0];

/// `recall_rot2deg_fov3pct` over the queries whose view's median terrain depth falls in one
/// band: how the recall depends on how far the photographed terrain is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DepthBand {
    /// Lower edge, metres (inclusive).
    pub from_m: f64,
    /// Upper edge, metres (exclusive; JSON null for the open last band).
    pub to_m: Option<f64>,
    /// Queries in the band.
    pub queries: usize,
    /// Their share within 2 degrees and 3 % of FOV (JSON null without queries).
    pub recall_rot2deg_fov3pct: Option<f64>,
}

/// The recall per [`DEPTH_BANDS_M`] band; `median_depths_m[i]` belongs to `results[i]`.
/// Depths below the first edge are counted in the first band.
pub fn recall_by_depth(results: &[QueryErrors], median_depths_m: &[f64]) -> Vec<DepthBand> {
    let n = DEPTH_BANDS_M.len();
    (0..n)
        .map(|b| {
            let from_m = DEPTH_BANDS_M[b];
            let to_m = DEPTH_BANDS_M.get(b + 1).copied();
            let in_band: Vec<&QueryErrors> = results
                .iter()
                .zip(median_depths_m)
                .filter(|&(_, &d)| (b == 0 || d >= from_m) && to_m.is_none_or(|t| d < t))
                .map(|(r, _)| r)
                .collect();
            let good = in_band.iter().filter(|r| r.within_target()).count();
            #[allow(clippy::cast_precision_loss)]
            let recall = (!in_band.is_empty()).then(|| good as f64 / in_band.len() as f64);
            DepthBand { from_m, to_m, queries: in_band.len(), recall_rot2deg_fov3pct: recall }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsar_core::geometry::Geodetic;

    fn ok(rot: f64, fov_rel: f64, conf: f64) -> QueryErrors {
        QueryErrors {
            rot_deg: rot,
            centre_m: 10.0 * rot,
            fov_deg: fov_rel * 50.0,
            fov_rel,
            confidence: conf,
            ms: 100.0,
        }
    }

    #[test]
    fn medians_count_failures_as_infinite() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[1.0, f64::INFINITY, f64::INFINITY]), Some(f64::INFINITY));
        assert_eq!(median(&[1.0, 2.0, f64::INFINITY]), Some(2.0));
        let s = summarise(&[
            ok(0.5, 0.01, 0.9),
            QueryErrors::failure(50.0),
            QueryErrors::failure(60.0),
        ]);
        assert_eq!(s.median_rot_deg, None, "two of three failed: the median is infinite");
        assert_eq!(s.failures, 2);
        assert_eq!(s.median_ms, Some(60.0));
    }

    #[test]
    fn recalls_and_calibration() {
        let results = [
            ok(0.5, 0.01, 0.9),
            ok(1.5, 0.05, 0.85),
            ok(3.0, 0.01, 0.95),
            ok(7.0, 0.01, 0.2),
            QueryErrors::failure(10.0),
        ];
        let s = summarise(&results);
        assert_eq!(s.recall_rot_1deg, 0.2);
        assert_eq!(s.recall_rot_2deg, 0.4);
        assert_eq!(s.recall_rot_5deg, 0.6);
        assert_eq!(s.recall_rot_10deg, 0.8);
        // 1.5 degrees passes the rotation bound but not the 3 % FOV bound.
        assert_eq!(s.recall_rot2deg_fov3pct, 0.2);
        assert_eq!(s.median_rot_deg, Some(3.0));
        assert_eq!(s.calibration.confident, 3);
        assert_eq!(s.calibration.confident_and_correct, 2);
        assert!((s.calibration.share.unwrap_or(0.0) - 2.0 / 3.0).abs() < 1e-12);
        let none = summarise(&[ok(1.0, 0.0, 0.1)]);
        assert_eq!(none.calibration.share, None);
    }

    #[test]
    fn recall_per_depth_band() {
        let results = [
            ok(0.5, 0.01, 0.9),         // 700 m: good
            QueryErrors::failure(10.0), // 900 m
            ok(1.0, 0.05, 0.9),         // 1000 m: FOV off, so not good
            ok(0.2, 0.0, 0.9),          // 1999 m: good
            ok(0.3, 0.0, 0.9),          // 9000 m: good
            ok(3.0, 0.0, 0.9),          // 450 m (below the first edge): rotation off
        ];
        let depths = [700.0, 900.0, 1000.0, 1999.0, 9000.0, 450.0];
        let bands = recall_by_depth(&results, &depths);
        let got: Vec<(usize, Option<f64>)> =
            bands.iter().map(|b| (b.queries, b.recall_rot2deg_fov3pct)).collect();
        assert_eq!(got, vec![(3, Some(1.0 / 3.0)), (2, Some(0.5)), (0, None), (1, Some(1.0))]);
        assert_eq!(bands[3].to_m, None);
        assert_eq!(bands[1].to_m, Some(2000.0));
        assert_eq!(bands.iter().map(|b| b.queries).sum::<usize>(), results.len());
    }

    #[test]
    fn rotation_error_of_known_rotations() {
        let p = Geodetic::new(46.5, 8.0, 2000.0);
        let a = CameraPose::from_enu_angles(&p, 30.0, 2.0, 1.0);
        let b = CameraPose::from_enu_angles(&p, 33.0, 2.0, 1.0);
        // A yaw change at pitch 2 degrees is a rotation of almost exactly that angle.
        assert!((rotation_error_deg(&a, &b) - 3.0).abs() < 0.01, "{}", rotation_error_deg(&a, &b));
        assert!(rotation_error_deg(&a, &a) < 1e-6);
        let c = CameraPose::from_enu_angles(&p, 30.0, 2.0, 6.0);
        assert!((rotation_error_deg(&a, &c) - 5.0).abs() < 1e-6);
    }
}
