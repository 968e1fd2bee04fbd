//! Still-phone gyro calibration: while the phone is held still, the mean gyro rate over a
//! stretch of frames is the gyro bias plus the hand's net rotation over the stretch divided
//! by its length, so it measures the bias with a noise that falls with the stretch's length
//! (a hand held still sways by a bounded angle).
//!
//! This is the zero-rate counterpart of the zero-velocity update of inertial navigation
//! (Foxlin, "Pedestrian Tracking with Shoe-Mounted Inertial Sensors", IEEE CG&A 2005) and
//! what phone sensor stacks do in the background (Android's gyroscope calibration,
//! `GyroCal` in the AOSP context hub runtime: window variance tests on gyro and
//! accelerometer, then the window mean as the offset).
//!
//! A stretch of consecutive frames at least [`StillOptions::window_s`] long is *still* when
//! all hold:
//! - every frame in it brought a rotation (a gap breaks the stretch);
//! - the rate's deviation from its mean is small (rms of its norm at most
//!   [`StillOptions::max_rate_std_rad_s`], over the stretch and over its last
//!   [`StillOptions::guard_s`] seconds): hand tremor passes, panning and walking do not;
//! - gravity turned by at most [`StillOptions::max_gravity_change_deg`] between the mean of
//!   the stretch's first half and of its second half: the phone did not tilt;
//! - the mean rate is within [`StillOptions::max_rate_rad_s`] of the current bias estimate.
//!   A turn at a constant rate has a small variance and, about the vertical, leaves gravity
//!   unchanged: only this magnitude test tells it from a bias (the classic failure of
//!   still detection). A constant turn slower than the threshold about the vertical cannot
//!   be told from a bias by inertial sensors; the filter's chi-square gate on the bias
//!   measurement rejects it once fixes have pinned the bias down.
//!
//! A still stretch grows frame by frame; it is handed out once, when it reaches
//! [`StillOptions::max_window_s`] or when a frame breaks it, with its noise
//! [`StillOptions::hand_wander_deg`] divided by its length. The tests see motion only some
//! time after it starts (the statistics of a long still stretch dilute a few moving
//! frames), so a stretch that motion ended loses its last [`StillOptions::guard_s`]
//! seconds first. A stretch that is not still loses its oldest frames until it is shorter
//! than `window_s`. Stretches never share frames, so their measurements are not counted
//! twice.

use std::collections::VecDeque;

use nalgebra::Vector3;

use crate::error::{CoreError, Result};

/// Options of the still-phone gyro calibration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StillOptions {
    /// Use still stretches as gyro bias measurements (only when the gyro bias is
    /// estimated). Default true.
    pub enabled: bool,
    /// Shortest still stretch used, seconds. Default 0.5.
    pub window_s: f64,
    /// Longest still stretch: a longer one is handed out in pieces of this length, seconds.
    /// Default 2.
    pub max_window_s: f64,
    /// Largest rms norm of the rate's deviation from its mean, rad/s. Default 0.04
    /// (2.3 deg/s: twice the gyro noise, tremor and sway of a hand holding a phone still,
    /// about 0.02 rad/s; walking and changes of panning speed exceed it).
    pub max_rate_std_rad_s: f64,
    /// Largest turn of gravity between the stretch's halves, degrees. Default 1 (about four
    /// standard deviations of a hand's sway, `hand_wander_deg`, plus the noise of two
    /// half-window means of gravity readings with 0.3 degree noise at 30 Hz). On long
    /// stretches it refuses slow tilts the magnitude test lets through (a 1 deg/s tilt over
    /// 2 s).
    pub max_gravity_change_deg: f64,
    /// Largest distance of the stretch's mean rate from the bias estimate, rad/s. Default
    /// 0.035 (2 deg/s, above the zero-rate offset of most phone gyros, 0.5 to 1 deg/s): a
    /// larger mean is a turn, not a bias.
    pub max_rate_rad_s: f64,
    /// Seconds dropped from the end of a still stretch that motion ended, and the length of
    /// the stretch's end tested on its own. Default 0.2 (a panning start at 25 deg/s^2 is
    /// seen about 0.17 s after it began).
    pub guard_s: f64,
    /// Net rotation of a phone held still over a stretch, degrees, one sigma per axis (body
    /// sway: its pointing wanders by a bounded angle). The bias measurement's noise is this
    /// divided by the stretch's length. Default 0.15.
    pub hand_wander_deg: f64,
}

impl Default for StillOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            window_s: 0.5,
            max_window_s: 2.0,
            max_rate_std_rad_s: 0.04,
            max_gravity_change_deg: 1.0,
            max_rate_rad_s: 0.035,
            guard_s: 0.2,
            hand_wander_deg: 0.15,
        }
    }
}

impl StillOptions {
    /// Checks that the lengths and the wander are finite and positive and the thresholds
    /// not negative (they may be infinite).
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        let thresholds = [
            self.max_rate_std_rad_s,
            self.max_gravity_change_deg,
            self.max_rate_rad_s,
            self.guard_s,
        ];
        let positive = [self.window_s, self.max_window_s, self.hand_wander_deg];
        let ok = positive.iter().all(|v| v.is_finite() && *v > 0.0)
            && self.max_window_s >= self.window_s
            && thresholds.iter().all(|v| !v.is_nan() && *v >= 0.0);
        if !ok {
            return Err(CoreError::InvalidInput { what: "tracker still options" });
        }
        Ok(())
    }
}

/// How often the phone was found still, and how many of those stretches the filter used as
/// bias measurements (the others failed its chi-square gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StillCounts {
    /// Still stretches found.
    pub detected: usize,
    /// Still stretches used as gyro bias measurements.
    pub applied: usize,
}

/// One frame in the stretch: end time, interval, measured rate (rad/s, camera frame) and the
/// unit gravity reading if any.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    t: f64,
    dt: f64,
    rate: Vector3<f64>,
    gravity: Option<Vector3<f64>>,
}

/// A still stretch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StillStretch {
    /// Mean measured rate over the stretch, rad/s, camera frame.
    pub mean_rate: Vector3<f64>,
    /// Noise of `mean_rate` as a bias measurement, rad/s per axis.
    pub sigma_rad_s: f64,
}

/// The detector's memory: the frames of the current stretch and whether it is still.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StillDetector {
    samples: VecDeque<Sample>,
    still: bool,
}

impl StillDetector {
    /// An empty detector.
    pub fn new() -> Self {
        Self { samples: VecDeque::with_capacity(64), still: false }
    }

    /// Adds the frame ending at `t` (interval `dt`, measured rate `rate` or none, gravity
    /// `gravity` in any length) and returns a still stretch when it ends (see the module
    /// docs). `bias` is the current bias estimate.
    pub fn push(
        &mut self,
        t: f64,
        dt: f64,
        rate: Option<Vector3<f64>>,
        gravity: Option<Vector3<f64>>,
        bias: &Vector3<f64>,
        options: &StillOptions,
    ) -> Option<StillStretch> {
        let Some(rate) = rate.filter(|_| dt > 0.0 && dt.is_finite()) else {
            // A gap is not motion: the stretch is handed out whole.
            let ended = self.still.then(|| self.evaluate(self.samples.len(), bias, options));
            self.samples.clear();
            self.still = false;
            return ended.flatten();
        };
        let gravity = gravity.and_then(|g| {
            let n = g.norm();
            (n.is_finite() && n > 1e-9).then(|| g / n)
        });
        self.samples.push_back(Sample { t, dt, rate, gravity });
        if self.span() < options.window_s - 1e-9 {
            return None;
        }
        match self.evaluate(self.samples.len(), bias, options) {
            Some(window) if self.span() >= options.max_window_s - 1e-9 => {
                self.samples.clear();
                self.still = false;
                Some(window)
            }
            Some(_) => {
                self.still = true;
                None
            }
            None => {
                let ended = if std::mem::take(&mut self.still) {
                    self.motion_ended(bias, options)
                } else {
                    None
                };
                while self.span() >= options.window_s - 1e-9 {
                    self.samples.pop_front();
                }
                ended
            }
        }
    }

    /// The stretch was still up to the previous frame and this one moved: the stretch
    /// without its last `guard_s` seconds if it is still long enough; the frames handed out
    /// are dropped (the rest may start the next stretch).
    fn motion_ended(
        &mut self,
        bias: &Vector3<f64>,
        options: &StillOptions,
    ) -> Option<StillStretch> {
        let moved = self.samples.len().saturating_sub(1);
        let last_still = self.samples.get(moved.saturating_sub(1)).map_or(0.0, |s| s.t);
        let keep = self
            .samples
            .range(..moved)
            .take_while(|s| s.t <= last_still - options.guard_s + 1e-9)
            .count();
        let start = self.samples.front().map_or(0.0, |s| s.t - s.dt);
        let long = keep
            .checked_sub(1)
            .and_then(|i| self.samples.get(i))
            .is_some_and(|s| s.t - start >= options.window_s - 1e-9);
        let window = if long { self.evaluate(keep, bias, options) } else { None };
        if window.is_some() {
            self.samples.drain(..keep);
        }
        window
    }

    /// Seconds covered by the frames held.
    fn span(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(a), Some(b)) => b.t - (a.t - a.dt),
            _ => 0.0,
        }
    }

    /// The statistics of the first `n` frames if they pass every test.
    fn evaluate(
        &self,
        n: usize,
        bias: &Vector3<f64>,
        options: &StillOptions,
    ) -> Option<StillStretch> {
        let samples = self.samples.range(..n.min(self.samples.len()));
        let span: f64 = samples.clone().map(|s| s.dt).sum();
        if span <= 0.0 {
            return None;
        }
        let mean = samples.clone().map(|s| s.rate * s.dt).sum::<Vector3<f64>>() / span;
        let var =
            samples.clone().map(|s| (s.rate - mean).norm_squared() * s.dt).sum::<f64>() / span;
        // The latest `guard_s` seconds alone: motion starting at the end of a long stretch
        // shows there first.
        let t_end = samples.clone().next_back().map_or(0.0, |s| s.t);
        let recent =
            samples.clone().rev().take_while(|s| s.t - s.dt >= t_end - options.guard_s - 1e-9);
        let recent_span: f64 = recent.clone().map(|s| s.dt).sum();
        let recent_var = recent.map(|s| (s.rate - mean).norm_squared() * s.dt).sum::<f64>()
            / recent_span.max(f64::MIN_POSITIVE);
        if var.sqrt().max(recent_var.sqrt()) > options.max_rate_std_rad_s
            || (mean - bias).norm() > options.max_rate_rad_s
        {
            return None;
        }
        let (start, end) = (samples.clone().next()?, samples.clone().next_back()?);
        let (t0, t1) = (start.t - start.dt, end.t);
        let mid = 0.5 * (t0 + t1);
        let half_mean = |first: bool| {
            let sum: Vector3<f64> = samples
                .clone()
                .filter(|s| (s.t - 0.5 * s.dt < mid) == first)
                .filter_map(|s| s.gravity)
                .sum();
            let n = sum.norm();
            (n > 1e-9).then(|| sum / n)
        };
        let (a, b) = (half_mean(true)?, half_mean(false)?);
        let turn_deg = a.cross(&b).norm().atan2(a.dot(&b)).to_degrees();
        let sigma_rad_s = options.hand_wander_deg.to_radians() / (t1 - t0);
        (turn_deg <= options.max_gravity_change_deg)
            .then_some(StillStretch { mean_rate: mean, sigma_rad_s })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 1.0 / 30.0;

    /// Feeds `n` frames of `rate(k)` and `gravity(k)`; returns the frames where a still
    /// stretch was handed out.
    fn run(
        n: usize,
        rate: impl Fn(usize) -> Option<Vector3<f64>>,
        gravity: impl Fn(usize) -> Vector3<f64>,
        bias: Vector3<f64>,
    ) -> Vec<(usize, StillStretch)> {
        let mut d = StillDetector::new();
        let o = StillOptions::default();
        (1..=n)
            .filter_map(|k| {
                let t = k as f64 * DT;
                d.push(t, DT, rate(k), Some(gravity(k)), &bias, &o).map(|w| (k, w))
            })
            .collect()
    }

    fn down() -> Vector3<f64> {
        Vector3::new(0.05, 0.99, -0.1)
    }

    #[test]
    fn still_stretches_give_their_mean_rate_once() {
        let bias = Vector3::new(0.01, -0.02, 0.005);
        let tremor = Vector3::new(0.01, -0.01, 0.01);
        // Zero-mean alternating tremor on top of the bias: the mean is the bias.
        let still = |k: usize| bias + tremor * if k.is_multiple_of(2) { 1.0 } else { -1.0 };
        let wander = StillOptions::default().hand_wander_deg.to_radians();
        // 3 s still: one 2 s stretch (60 frames) handed out when it is full.
        let fired = run(90, |k| Some(still(k)), |_| down(), bias);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].0, 60);
        assert!((fired[0].1.mean_rate - bias).norm() < 1e-12);
        assert!((fired[0].1.sigma_rad_s - wander / 2.0).abs() < 1e-9);
        // 1 s still, then a turn at 0.5 rad/s: handed out at the frame that moves, without
        // its last 0.2 s (6 frames).
        let turn = |k: usize| Some(if k <= 30 { still(k) } else { Vector3::new(0.0, 0.5, 0.0) });
        let fired = run(90, turn, |_| down(), bias);
        assert_eq!(fired.iter().map(|f| f.0).collect::<Vec<_>>(), vec![31]);
        assert!((fired[0].1.mean_rate - bias).norm() < 1e-12);
        assert!((fired[0].1.sigma_rad_s - wander / 0.8).abs() < 1e-9);
        // A turn starting slowly (rate ramping at 0.5 rad/s^2) after 1 s: handed out when
        // the turn is seen, without the frames that had begun to turn.
        let ramp = |k: usize| {
            Some(still(k) + Vector3::new(0.0, 0.5 * ((k as f64 - 30.0) * DT).max(0.0), 0.0))
        };
        let fired = run(90, ramp, |_| down(), bias);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert!((fired[0].1.mean_rate - bias).norm() < 1e-12, "{fired:?}");
        // A frame without a rotation ends the stretch too; 0.6 s still, then a gap.
        let gap = |k: usize| (k != 19).then(|| still(k + 1));
        let fired = run(30, gap, |_| down(), bias);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].0, 19);
        assert!((fired[0].1.mean_rate - bias).norm() < 1e-12);
        // Less than `window_s` still: nothing.
        let short =
            |k: usize| Some(if k.is_multiple_of(12) { Vector3::new(0.3, 0.0, 0.0) } else { bias });
        assert!(run(90, short, |_| down(), bias).is_empty());
    }

    #[test]
    fn motion_tilt_fast_turns_and_gaps_are_not_still() {
        let zero = Vector3::zeros();
        // Oscillating rate of 0.08 rad/s amplitude (a shaking or walking phone).
        let shaking = |k: usize| Some(Vector3::new(0.0, 0.08 * (k as f64 * 0.9).sin(), 0.0));
        assert!(run(90, shaking, |_| down(), zero).is_empty());
        // A constant turn at 0.05 rad/s (2.9 deg/s) about the camera's vertical: no variance,
        // gravity unchanged; the magnitude test refuses it.
        assert!(run(90, |_| Some(Vector3::new(0.0, 0.05, 0.0)), |_| down(), zero).is_empty());
        // The same turn with the bias estimate at that rate is still (it is a bias then).
        let turn = Vector3::new(0.0, 0.05, 0.0);
        assert_eq!(run(60, |_| Some(turn), |_| down(), turn).len(), 1);
        // A tilt at 8 deg/s about x, with the bias estimate at its rate so that only gravity
        // can refuse it: gravity turns by 2 deg between the halves' centres.
        let w = 8f64.to_radians();
        let tilt = |k: usize| {
            nalgebra::Rotation3::from_axis_angle(&Vector3::x_axis(), -w * k as f64 * DT) * down()
        };
        let tilt_rate = Vector3::new(w, 0.0, 0.0);
        assert!(run(90, |_| Some(tilt_rate), tilt, tilt_rate).is_empty());
        assert_eq!(run(60, |_| Some(tilt_rate), |_| down(), tilt_rate).len(), 1);
        // A frame without a rotation every 10 frames: never 15 frames in a row.
        let gappy = |k: usize| (!k.is_multiple_of(10)).then_some(zero);
        assert!(run(90, gappy, |_| down(), zero).is_empty());
    }
}
