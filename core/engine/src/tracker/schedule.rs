//! When to ask for a new visual fix: a drift budget, so the app runs the Localizer (hundreds
//! of milliseconds of CPU, battery) only when the overlay would otherwise go wrong.
//!
//! Predicted orientation error, degrees:
//! `e = k sqrt(trace P_theta) + s |rotation since the last fix|`, where `P_theta` is the
//! filter's attitude covariance (it grows with the gyro noise, the bias uncertainty times the
//! time since the fix, and the bias random walk) and `s` the gyro scale-factor error (a
//! systematic error proportional to how far the phone turned: motion spends the budget).
//! A fix is asked for when `e` exceeds the budget, when none came for `max_interval_s`, or
//! when there is none yet; never sooner than `min_interval_s` after the last attempt.

use crate::error::{CoreError, Result};

/// Why a new fix is wanted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FixReason {
    /// No fix was accepted yet (the pose is sensor only).
    NoFixYet,
    /// The predicted orientation error exceeds the budget.
    DriftBudget {
        /// Predicted error, degrees.
        predicted_error_deg: f64,
        /// The budget, degrees.
        budget_deg: f64,
    },
    /// The last accepted fix is older than `max_interval_s`.
    MaxInterval {
        /// Seconds since the last accepted fix.
        since_fix_s: f64,
    },
}

/// Options of the fix schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduleOptions {
    /// Largest predicted orientation error before a fix is asked for, degrees. Default 0.4.
    pub drift_budget_deg: f64,
    /// Multiplier `k` of the filter's total attitude sigma. Default 2.
    pub sigma_factor: f64,
    /// Gyro scale-factor error `s` (relative). Default 0.003.
    pub gyro_scale_error: f64,
    /// Never ask sooner than this after the capture time of the last fix attempt (accepted
    /// or rejected), seconds. Default 0.3 (the app also never runs two localizations at
    /// once).
    pub min_interval_s: f64,
    /// Ask at least this often, seconds. Default 30.
    pub max_interval_s: f64,
}

impl Default for ScheduleOptions {
    fn default() -> Self {
        Self {
            drift_budget_deg: 0.4,
            sigma_factor: 2.0,
            gyro_scale_error: 0.003,
            min_interval_s: 0.3,
            max_interval_s: 30.0,
        }
    }
}

impl ScheduleOptions {
    /// Checks that every value is finite and non-negative.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        let v = [
            self.drift_budget_deg,
            self.sigma_factor,
            self.gyro_scale_error,
            self.min_interval_s,
            self.max_interval_s,
        ];
        if !v.iter().all(|x| x.is_finite() && *x >= 0.0) {
            return Err(CoreError::InvalidInput { what: "tracker schedule options" });
        }
        Ok(())
    }
}

/// The schedule's memory: times of the last attempt and the last accepted fix, and the
/// rotation since the latter.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Schedule {
    /// Capture time of the last fix offered (accepted or not), seconds.
    pub last_attempt_s: Option<f64>,
    /// Capture time of the last accepted fix, seconds.
    pub last_fix_s: Option<f64>,
    /// Total rotation angle since the last accepted fix, radians.
    pub rotation_since_fix_rad: f64,
}

impl Schedule {
    /// The predicted orientation error in degrees for a filter attitude sigma (rad).
    pub fn predicted_error_deg(&self, attitude_sigma_rad: f64, options: &ScheduleOptions) -> f64 {
        options.sigma_factor * attitude_sigma_rad.to_degrees()
            + options.gyro_scale_error * self.rotation_since_fix_rad.to_degrees()
    }

    /// Whether to ask for a fix at time `now_s` (seconds), and why.
    pub fn needs_fix(
        &self,
        now_s: f64,
        attitude_sigma_rad: f64,
        options: &ScheduleOptions,
    ) -> Option<FixReason> {
        if self.last_attempt_s.is_some_and(|t| now_s - t < options.min_interval_s) {
            return None;
        }
        let Some(last_fix) = self.last_fix_s else {
            return Some(FixReason::NoFixYet);
        };
        let predicted = self.predicted_error_deg(attitude_sigma_rad, options);
        if predicted > options.drift_budget_deg {
            return Some(FixReason::DriftBudget {
                predicted_error_deg: predicted,
                budget_deg: options.drift_budget_deg,
            });
        }
        let since = now_s - last_fix;
        (since > options.max_interval_s).then_some(FixReason::MaxInterval { since_fix_s: since })
    }
}
