//! Visual fixes: what the tracker takes from a localization, the checks that reject one, and
//! the orientation history that carries a fix from its capture time to the present.
//!
//! A fix describes the frame it was computed on, captured `latency` seconds ago. With `G`
//! the gyro-only orientation chain (bias-corrected increments, no aiding corrections) at
//! capture and now, the body rotation since capture is `B = G_then^T G_now`, so the fix
//! measures the present orientation as `R_fix B`. `B` was integrated with the bias
//! *estimate*: a bias error `db` turns it by `-integral R(tau) db dtau` (world frame), so
//! the measurement of the present orientation is `z = Exp(dtheta + W db + n) R_hat` with
//! `W = integral_then^now R(tau) dtau = R_now V`, `V = integral G_now^T G_tau dtau`
//! (`Window::v`). This is what stochastic cloning of the capture-time attitude gives for a
//! constant bias (Roumeliotis and Burdick, "Stochastic Cloning: A generalized framework for
//! processing relative state measurements", ICRA 2002), without keeping a clone per frame;
//! the gyro white noise over the latency (under 0.01 degree for 0.25 s) is neglected. It is
//! what lets the first fixes, a fraction of a second apart, reveal the gyro bias instead of
//! being read as measurements of the present attitude.

use std::collections::VecDeque;

use lsar_geometry::CameraPose;
use nalgebra::{Matrix3, UnitQuaternion};

use crate::error::{CoreError, Result};
use crate::localizer::Localization;

/// A visual fix: the pose of one camera frame from the Localizer (or any other source).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VisualFix {
    /// `cam_from_world`, world = ECEF (metres), of the frame the fix was computed on.
    pub cam_from_world: CameraPose,
    /// Capture time of that frame, seconds, on the clock of [`super::FrameInput`].
    pub timestamp_s: f64,
    /// Confidence in [0, 1] (the Localizer's heuristic).
    pub confidence: f64,
    /// Inliers of the pose solve.
    pub inliers: usize,
}

impl VisualFix {
    /// A fix from a Localizer result for the frame captured at `timestamp_s`. This is the
    /// hook for the real pipeline: run the Localizer on a frame, pass its result here.
    ///
    /// # Errors
    /// As [`Localization::camera_and_pose`].
    pub fn from_localization(localization: &Localization, timestamp_s: f64) -> Result<Self> {
        let (_, pose) = localization.camera_and_pose()?;
        Ok(Self {
            cam_from_world: pose,
            timestamp_s,
            confidence: localization.confidence,
            inliers: localization.inliers,
        })
    }
}

/// Why a fix was rejected.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FixRejection {
    /// The pose or timestamp is not finite.
    NotFinite,
    /// Confidence below [`FixOptions::min_confidence`].
    LowConfidence {
        /// The fix's confidence.
        confidence: f64,
        /// The minimum.
        min: f64,
    },
    /// Fewer inliers than [`FixOptions::min_inliers`].
    TooFewInliers {
        /// The fix's inliers.
        inliers: usize,
        /// The minimum.
        min: usize,
    },
    /// Captured longer ago than the orientation history reaches (or before the session).
    TooOld {
        /// Seconds between capture and the latest frame.
        age_s: f64,
    },
    /// Captured after the latest frame.
    FromFuture {
        /// Seconds ahead of the latest frame.
        ahead_s: f64,
    },
    /// The camera centre is farther from the tracked position than
    /// [`FixOptions::max_position_offset_m`].
    PositionJump {
        /// Distance, metres.
        distance_m: f64,
    },
    /// The orientation contradicts the track (and so the recent fixes it rests on): its
    /// rotation from the prediction is beyond the chi-square gate *and* beyond
    /// [`FixOptions::min_contradiction_deg`].
    ContradictsTrack {
        /// Rotation between the fix and the prediction, degrees.
        angle_deg: f64,
        /// Squared Mahalanobis distance of that rotation (3 dof).
        mahalanobis_sq: f64,
    },
}

impl std::fmt::Display for FixRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFinite => write!(f, "fix pose or time is not finite"),
            Self::LowConfidence { confidence, min } => {
                write!(f, "confidence {confidence:.2} below {min:.2}")
            }
            Self::TooFewInliers { inliers, min } => write!(f, "{inliers} inliers, {min} required"),
            Self::TooOld { age_s } => {
                write!(f, "fix captured {age_s:.2} s ago, beyond the history")
            }
            Self::FromFuture { ahead_s } => write!(f, "fix captured {ahead_s:.2} s in the future"),
            Self::PositionJump { distance_m } => {
                write!(f, "fix position {distance_m:.0} m from the tracked position")
            }
            Self::ContradictsTrack { angle_deg, mahalanobis_sq } => write!(
                f,
                "fix is {angle_deg:.2} deg from the track (Mahalanobis^2 {mahalanobis_sq:.1})"
            ),
        }
    }
}

/// Acceptance rules for fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixOptions {
    /// Orientation noise of a fix, degrees per axis (one sigma). Default 0.1.
    pub sigma_deg: f64,
    /// Minimum confidence. Default 0.7 (the Localizer's calibrated confidence; about the raw
    /// score 0.19, where the calibration runs were 96-100 % within 2 degrees).
    pub min_confidence: f64,
    /// Minimum inliers. Default 12.
    pub min_inliers: usize,
    /// Chi-square gate (3 dof) on the rotation from the prediction. Default 16.27 (99.9 %).
    pub gate_chi2: f64,
    /// Rotations from the prediction below this many degrees are never called
    /// contradictions (protects against an over-confident covariance). Default 1.5.
    pub min_contradiction_deg: f64,
    /// After this many consecutive contradicting fixes that agree with each other (within
    /// `2 * min_contradiction_deg`), the track is taken to be wrong and the newest fix is
    /// accepted with a reset covariance. Default 3.
    pub recover_after: usize,
    /// Largest distance between a fix's camera centre and the tracked position, metres.
    /// Default 500.
    pub max_position_offset_m: f64,
    /// Time over which an accepted correction is blended in, seconds (slerp). Default 0.3.
    pub smoothing_s: f64,
    /// Corrections up to this many degrees are applied at once (the user accepts that
    /// much of a snap); larger ones are blended over `smoothing_s`. Default 0.
    pub max_snap_deg: f64,
}

impl Default for FixOptions {
    fn default() -> Self {
        Self {
            sigma_deg: 0.1,
            min_confidence: 0.7,
            min_inliers: 12,
            gate_chi2: 16.27,
            min_contradiction_deg: 1.5,
            recover_after: 3,
            max_position_offset_m: 500.0,
            smoothing_s: 0.3,
            max_snap_deg: 0.0,
        }
    }
}

/// What happened to a fix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FixOutcome {
    /// Accepted: the filter was corrected.
    Accepted {
        /// Size of the orientation correction, degrees.
        correction_deg: f64,
        /// Whether the track was reset (after repeated agreeing contradictions).
        reset: bool,
    },
    /// Rejected, with the reason.
    Rejected(FixRejection),
}

/// Checks that need no track: finiteness, confidence, inliers.
pub(crate) fn check_quality(fix: &VisualFix, options: &FixOptions) -> Result<(), FixRejection> {
    let pose = &fix.cam_from_world;
    let finite = pose.rotation().iter().chain(pose.translation().iter()).all(|v| v.is_finite())
        && fix.timestamp_s.is_finite();
    if !finite {
        return Err(FixRejection::NotFinite);
    }
    if fix.confidence.is_nan() || fix.confidence < options.min_confidence {
        return Err(FixRejection::LowConfidence {
            confidence: fix.confidence,
            min: options.min_confidence,
        });
    }
    if fix.inliers < options.min_inliers {
        return Err(FixRejection::TooFewInliers { inliers: fix.inliers, min: options.min_inliers });
    }
    Ok(())
}

/// Recent orientations of the gyro-only chain with their times, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct History {
    entries: VecDeque<(f64, UnitQuaternion<f64>)>,
    span_s: f64,
}

impl History {
    /// A history reaching `span_s` seconds back.
    pub fn new(span_s: f64) -> Self {
        Self { entries: VecDeque::with_capacity(256), span_s }
    }

    /// Appends the orientation at time `t` and forgets what is older than the span.
    pub fn push(&mut self, t: f64, enu_from_cam: UnitQuaternion<f64>) {
        self.entries.push_back((t, enu_from_cam));
        while self.entries.front().is_some_and(|(t0, _)| t - t0 > self.span_s) {
            self.entries.pop_front();
        }
    }

    /// The body rotation from time `t` to the latest entry and the integral `V` of the
    /// module docs (slerp between entries, trapezoid rule for `V`).
    ///
    /// # Errors
    /// [`FixRejection::TooOld`] or [`FixRejection::FromFuture`].
    pub fn window_since(&self, t: f64) -> Result<Window, FixRejection> {
        let (Some(&(t_first, _)), Some(&(t_last, q_last))) =
            (self.entries.front(), self.entries.back())
        else {
            return Err(FixRejection::TooOld { age_s: f64::INFINITY });
        };
        // A millisecond of slack for clock rounding.
        if t > t_last + 1e-3 {
            return Err(FixRejection::FromFuture { ahead_s: t - t_last });
        }
        if t < t_first - 1e-3 {
            return Err(FixRejection::TooOld { age_s: t_last - t });
        }
        let idx = self.entries.partition_point(|(ti, _)| *ti < t);
        let then =
            match (idx.checked_sub(1).and_then(|i| self.entries.get(i)), self.entries.get(idx)) {
                (Some(&(t0, q0)), Some(&(t1, q1))) if t1 > t0 => {
                    q0.slerp(&q1, ((t - t0) / (t1 - t0)).clamp(0.0, 1.0))
                }
                (_, Some(&(_, q))) | (Some(&(_, q)), None) => q,
                (None, None) => return Err(FixRejection::TooOld { age_s: t_last - t }),
            };
        let now_inv = q_last.inverse();
        let mut v = Matrix3::zeros();
        let mut prev = (t.min(t_last), (now_inv * then).to_rotation_matrix().into_inner());
        for &(ti, qi) in self.entries.range(idx..) {
            if ti <= prev.0 {
                continue;
            }
            let cur = (now_inv * qi).to_rotation_matrix().into_inner();
            v += (prev.1 + cur) * (0.5 * (ti - prev.0));
            prev = (ti, cur);
        }
        Ok(Window { body: then.inverse() * q_last, v })
    }
}

/// The gyro chain between a fix's capture and the latest frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    /// Body rotation `B = G_then^T G_now`.
    pub body: UnitQuaternion<f64>,
    /// `V = integral_then^now G_now^T G_tau dtau` (seconds; camera-now from camera-tau).
    pub v: Matrix3<f64>,
}

/// Validates [`FixOptions`].
///
/// # Errors
/// [`CoreError::InvalidInput`] for a negative or non-finite value.
pub(crate) fn validate(options: &FixOptions) -> Result<()> {
    let o = options;
    let values = [o.sigma_deg, o.gate_chi2, o.min_contradiction_deg, o.smoothing_s, o.max_snap_deg];
    if !values.iter().all(|v| v.is_finite() && *v >= 0.0) || o.sigma_deg <= 0.0 {
        return Err(CoreError::InvalidInput { what: "tracker fix options" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector3;

    #[test]
    fn window_of_a_constant_rotation_matches_the_closed_form() {
        // Rotation about the camera z axis at w rad/s, entries at 30 Hz over 1 s.
        let w = 1.0;
        let mut history = History::new(3.0);
        for k in 0..=30 {
            let t = f64::from(k) / 30.0;
            history.push(t, UnitQuaternion::from_scaled_axis(Vector3::z() * w * t));
        }
        let t = 0.51;
        let window = history.window_since(t).unwrap();
        let span = 1.0 - t;
        let expected_body = UnitQuaternion::from_scaled_axis(Vector3::z() * w * span);
        assert!(window.body.angle_to(&expected_body) < 1e-12);
        // V = integral over tau in [t, 1] of Rz(w (tau - 1)).
        let (s, c) = ((w * span).sin() / w, ((w * span).cos() - 1.0) / w);
        let expected = Matrix3::new(s, -c, 0.0, c, s, 0.0, 0.0, 0.0, span);
        assert!((window.v - expected).abs().max() < 1e-4, "{}", window.v - expected);
        assert!(matches!(history.window_since(1.1), Err(FixRejection::FromFuture { .. })));
        let mut short = History::new(0.5);
        short.push(0.0, UnitQuaternion::identity());
        short.push(1.0, UnitQuaternion::identity());
        assert!(matches!(short.window_since(0.2), Err(FixRejection::TooOld { .. })));
        assert_eq!(short.window_since(1.0).unwrap().v, Matrix3::zeros());
    }
}
