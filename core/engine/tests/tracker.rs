//! Simulated AR sessions for the `Tracker` (seeded): a camera at a fixed position panning and
//! tilting over a scene; a gyro with a constant bias of |b| = 0.0112 rad/s (0.64 deg/s, the
//! low end of uncalibrated phone gyros, 0.01-0.05 rad/s) and white noise 2e-4 rad/s/sqrt(Hz);
//! gravity with 0.3 deg noise; a compass 7 deg off with 2 deg noise at 10 Hz; visual fixes
//! = ground truth + 0.05 deg noise, captured when `needs_fix()` asks (from t = 2 s: the first
//! Localizer run takes a while) and delivered 0.25 s later; 50 seeds, cold and warm start.
//!
//! The hand (an assumption about real sessions, stated here): the user holds the phone up
//! still for the first second after the app opens (framing the view while it starts), then
//! starts panning (speed ramping up over 0.5 s). "Still" is a hand-held phone: tremor (two
//! 8-12 Hz oscillations of 0.01 deg per axis, about 0.015 rad/s rms in the gyro) and body
//! sway (three 0.2-1 Hz oscillations of 0.08 deg per axis), present over the whole session.
//! Fixes from the real Localizer on rendered frames: `desktop/tests/tracker_rendered.rs`.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers and assertions

use lsar_core::geometry::pose::cam_from_enu_rotation;
use lsar_core::geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use lsar_core::overlay::{FixedUndulation, NoOcclusion, OverlayOptions, Poi, ResolvedPoi};
use lsar_core::tracker::{
    CompassReading, FixOutcome, FixReason, FixRejection, FrameInput, GpsFix, LabelOptions,
    LabelStabilizer, RotationInput, Tracker, TrackerOptions, TrackingMode, VisualFix, wrap_deg,
};
use nalgebra::{Rotation3, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const HZ: f64 = 30.0;
const COMPASS_BIAS_DEG: f64 = 7.0;
const FIX_LATENCY_S: f64 = 0.25;
/// The phone is held still this long after the app opens, seconds.
const STILL_S: f64 = 1.0;
/// Then the panning speed ramps up over this long, seconds.
const RAMP_S: f64 = 0.5;

fn position() -> Geodetic {
    Geodetic::new(46.0, 7.5, 2500.0)
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn small_rotation(rng: &mut ChaCha8Rng, sigma_deg: f64) -> UnitQuaternion<f64> {
    let s = sigma_deg.to_radians();
    UnitQuaternion::from_scaled_axis(Vector3::new(gauss(rng), gauss(rng), gauss(rng)) * s)
}

/// Yaw, pitch, roll (degrees) of the panning path at path time u: panning and tilting.
fn gt_angles(u: f64) -> (f64, f64, f64) {
    let tau = std::f64::consts::TAU;
    (
        200.0 + 40.0 * (tau * u / 20.0).sin(),
        3.0 + 5.0 * (tau * u / 13.0).sin(),
        2.0 * (tau * u / 7.0).sin(),
    )
}

/// `R_enu_from_cam` of the panning path at path time u.
fn gt_q(u: f64) -> UnitQuaternion<f64> {
    let (y, p, r) = gt_angles(u);
    let m = cam_from_enu_rotation(y, p, r).transpose();
    UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(m))
}

/// Path time at session time t: 0 while held still, then the speed ramps up linearly.
fn path_time(t: f64) -> f64 {
    let s = (t - STILL_S).max(0.0);
    if s < RAMP_S { s * s / (2.0 * RAMP_S) } else { s - 0.5 * RAMP_S }
}

/// Oscillations (axis, amplitude rad, frequency Hz, phase rad) of a hand holding the phone.
struct Hand(Vec<(usize, f64, f64, f64)>);

impl Hand {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let mut waves = vec![];
        for axis in 0..3 {
            for (n, amp_deg, f_lo, f_hi) in [(2, 0.01, 8.0, 12.0), (3, 0.08, 0.2, 1.0)] {
                for _ in 0..n {
                    let f = f_lo + (f_hi - f_lo) * rng.random::<f64>();
                    let phase = std::f64::consts::TAU * rng.random::<f64>();
                    waves.push((axis, f64::to_radians(amp_deg), f, phase));
                }
            }
        }
        Self(waves)
    }

    /// The hand's rotation (camera frame) at t.
    fn at(&self, t: f64) -> UnitQuaternion<f64> {
        let mut v = Vector3::zeros();
        for &(axis, amp, f, phase) in &self.0 {
            v[axis] += amp * (std::f64::consts::TAU * f * t + phase).sin();
        }
        UnitQuaternion::from_scaled_axis(v)
    }
}

fn pose_of(enu_from_cam: &UnitQuaternion<f64>) -> CameraPose {
    let frame = LocalFrame::new(position());
    let r =
        enu_from_cam.inverse().to_rotation_matrix().into_inner() * frame.enu_from_ecef_rotation();
    let q = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(r));
    CameraPose::from_rotation_center(q, &position().to_ecef())
}

/// Angle in degrees between a pose and the orientation `truth` (`R_enu_from_cam`).
fn error_deg(pose: &CameraPose, truth: &UnitQuaternion<f64>) -> f64 {
    pose.quaternion().angle_to(&pose_of(truth).quaternion()).to_degrees()
}

fn yaw_error_deg(pose: &CameraPose, truth: &UnitQuaternion<f64>) -> f64 {
    wrap_deg(pose.angles_deg().yaw_deg - pose_of(truth).angles_deg().yaw_deg)
}

/// The session's path: still, then panning and tilting.
fn session_path(t: f64) -> UnitQuaternion<f64> {
    gt_q(path_time(t))
}

/// The simulated phone: `path` held by a hand.
struct Sim {
    rng: ChaCha8Rng,
    hand: Hand,
    path: fn(f64) -> UnitQuaternion<f64>,
    bias: Vector3<f64>,
    k: usize,
}

impl Sim {
    fn new(seed: u64) -> Self {
        Self::with_path(seed, session_path)
    }

    fn with_path(seed: u64, path: fn(f64) -> UnitQuaternion<f64>) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let hand = Hand::new(&mut rng);
        Self { rng, hand, path, bias: Vector3::new(0.006, -0.008, 0.005), k: 0 }
    }

    fn t(&self) -> f64 {
        self.k as f64 / HZ
    }

    /// Ground-truth `R_enu_from_cam` at t.
    fn truth(&self, t: f64) -> UnitQuaternion<f64> {
        (self.path)(t) * self.hand.at(t)
    }

    /// The next frame's sensor data.
    fn frame(&mut self) -> FrameInput {
        self.k += 1;
        let (t, dt) = (self.t(), 1.0 / HZ);
        let body = self.truth(t - dt).inverse() * self.truth(t);
        let noise = Vector3::new(gauss(&mut self.rng), gauss(&mut self.rng), gauss(&mut self.rng));
        let rate = body.scaled_axis() / dt + self.bias + noise * (2e-4 / dt.sqrt());
        let down = self.truth(t).inverse() * Vector3::new(0.0, 0.0, -1.0);
        let gravity = small_rotation(&mut self.rng, 0.3) * down;
        let yaw = pose_of(&self.truth(t)).angles_deg().yaw_deg;
        let compass = self.k.is_multiple_of(3).then(|| CompassReading {
            yaw_deg: yaw + COMPASS_BIAS_DEG + 2.0 * gauss(&mut self.rng),
            accuracy_deg: 0.0,
        });
        let gps = (self.k % 30 == 1).then_some(GpsFix { position: position(), accuracy_m: 5.0 });
        FrameInput {
            timestamp_s: t,
            rotation: RotationInput::Rate(rate),
            gravity_in_cam: Some(gravity),
            compass,
            gps,
        }
    }

    /// A fix of the frame at time t, off the truth by `extra` (world frame) and 0.05 deg noise.
    fn fix(&mut self, t: f64, extra: UnitQuaternion<f64>) -> VisualFix {
        let q = extra * small_rotation(&mut self.rng, 0.05) * self.truth(t);
        VisualFix { cam_from_world: pose_of(&q), timestamp_s: t, confidence: 0.9, inliers: 150 }
    }
}

/// Runs a session of `seconds` with fixes on demand; returns per-frame (t, displayed error,
/// filter error, yaw error, mode, sigma) and the capture times of the fixes.
struct Run {
    frames: Vec<(f64, f64, f64, f64, TrackingMode, f64)>,
    fixes: Vec<f64>,
    /// Frame times at which fixes were applied.
    applied: Vec<f64>,
    reasons: Vec<FixReason>,
}

fn run_session(tracker: &mut Tracker, sim: &mut Sim, seconds: f64) -> Run {
    let mut run = Run { frames: vec![], fixes: vec![], applied: vec![], reasons: vec![] };
    let mut in_flight: Option<f64> = None;
    while sim.t() < seconds {
        let input = sim.frame();
        let t = input.timestamp_s;
        let state = tracker.update(&input).unwrap();
        if let Some(t_cap) = in_flight.filter(|c| t >= c + FIX_LATENCY_S) {
            let fix = sim.fix(t_cap, UnitQuaternion::identity());
            let outcome = tracker.apply_fix(&fix);
            assert!(matches!(outcome, FixOutcome::Accepted { .. }), "{outcome:?} at {t}");
            run.applied.push(t);
            run.fixes.push(t_cap);
            in_flight = None;
        }
        if in_flight.is_none()
            && t >= 2.0
            && let Some(reason) = tracker.needs_fix()
        {
            run.reasons.push(reason);
            in_flight = Some(t);
        }
        let Some(s) = tracker.state().or(state) else { continue };
        let truth = sim.truth(t);
        run.frames.push((
            t,
            error_deg(&s.pose, &truth),
            error_deg(&s.filter_pose, &truth),
            yaw_error_deg(&s.pose, &truth),
            s.mode,
            s.sigma_deg,
        ));
    }
    run
}

const SEEDS: std::ops::RangeInclusive<u64> = 1..=50;

/// Worst filter and displayed errors (degrees) over the frames in `[from, to)`; the
/// displayed pose is checked from 0.3 s (the blending time) after `from`.
fn worst(run: &Run, from: f64, to: f64) -> (f64, f64) {
    let frames = run.frames.iter().filter(|f| f.0 >= from && f.0 < to);
    let filter = frames.clone().map(|f| f.2).fold(0.0, f64::max);
    let shown = frames.filter(|f| f.0 >= from + 0.3).map(|f| f.1).fold(0.0, f64::max);
    (filter, shown)
}

/// Worst errors (degrees) after the first fix of a cold-start session of `seed` with
/// `options`: filter pose from the first fix, displayed pose once its 0.3 s blend from the
/// sensor-only pose ended; the tracker, the phone and the run.
fn cold_start(seed: u64, options: TrackerOptions) -> ((f64, f64), Tracker, Sim, Run) {
    let mut tracker = Tracker::new(options).unwrap();
    let mut sim = Sim::new(seed);
    let run = run_session(&mut tracker, &mut sim, 60.0);
    check_before_first_fix(&run);
    (worst(&run, run.applied[0], f64::INFINITY), tracker, sim, run)
}

/// Cold start (gyro bias unknown, prior sigma 0.02 rad/s per axis) over 50 seeded sessions:
/// every frame after the first fix is within 0.5 degrees for every seed. The phone is held
/// still for the first second (module docs), so the still-phone calibration measures the
/// gyro bias before the first fix and the fix, captured 0.25 s before it is applied, is
/// carried to the present with a known bias. The control runs the same sessions without
/// it: the vertical bias is then seen only by the compass until the second fix, and the
/// first second after the first fix goes over 0.5 degrees for some seeds.
#[test]
fn cold_start_sessions_track_within_half_degree_after_the_first_fix() {
    let mut control_misses = vec![];
    let mut worst_all = (0.0f64, 0.0f64);
    for seed in SEEDS {
        let ((filter, shown), tracker, sim, run) = cold_start(seed, TrackerOptions::default());
        println!(
            "seed {seed}: worst error after the first fix {filter:.3} deg (filter) \
             {shown:.3} deg (displayed); {:?}",
            tracker.still_counts()
        );
        assert!(filter < 0.5, "seed {seed}: filter error {filter}");
        assert!(shown < 0.5, "seed {seed}: displayed error {shown}");
        assert!(tracker.still_counts().applied >= 1, "seed {seed}: {:?}", tracker.still_counts());
        check_biases_and_schedule(seed, &tracker, &sim, &run);
        worst_all = (worst_all.0.max(filter), worst_all.1.max(shown));

        let mut options = TrackerOptions::default();
        options.still.enabled = false;
        let ((filter, _), tracker, ..) = cold_start(seed, options);
        assert_eq!(tracker.still_counts().detected, 0);
        if filter >= 0.5 {
            control_misses.push((seed, filter));
        }
    }
    println!(
        "cold start: worst {:.3} deg (filter) {:.3} deg (displayed) over 50 seeds; without \
         the still calibration over 0.5 deg in {} seeds: {control_misses:?}",
        worst_all.0,
        worst_all.1,
        control_misses.len()
    );
    assert!(!control_misses.is_empty(), "the control does not need the still calibration");
}

/// Warm start: the gyro bias prior comes from a previous session of the same phone (another
/// seed, its final estimate, prior sigma 0.003 rad/s). Every frame after the first fix is
/// within 0.5 degrees for all 50 seeds.
#[test]
fn warm_start_sessions_track_within_half_degree_after_the_first_fix() {
    for seed in SEEDS {
        let mut previous = Tracker::new(TrackerOptions::default()).unwrap();
        run_session(&mut previous, &mut Sim::new(seed + 1000), 30.0);
        let mut options = TrackerOptions::default();
        options.noise.gyro_bias_prior_rad_s = previous.gyro_bias().unwrap().0;
        options.noise.gyro_bias_sigma_rad_s = 0.003;
        let mut tracker = Tracker::new(options).unwrap();
        let mut sim = Sim::new(seed);
        let run = run_session(&mut tracker, &mut sim, 60.0);
        check_before_first_fix(&run);
        let (filter, shown) = worst(&run, run.applied[0], f64::INFINITY);
        println!("seed {seed}: worst error after the first fix {filter:.3} / {shown:.3} deg");
        assert!(filter < 0.5, "seed {seed}: filter error {filter}");
        assert!(shown < 0.5, "seed {seed}: displayed error {shown}");
        check_biases_and_schedule(seed, &tracker, &sim, &run);
    }
}

/// Before any fix: sensor only, heading off by about the compass bias.
fn check_before_first_fix(run: &Run) {
    let before: Vec<_> = run.frames.iter().filter(|f| f.0 < run.applied[0]).collect();
    assert!(before.len() > 50);
    assert!(before.iter().all(|f| f.4 == TrackingMode::SensorOnly && f.5 > 5.0));
    let mean_yaw = before.iter().map(|f| f.3).sum::<f64>() / before.len() as f64;
    // Compass noise (2 deg) and gyro drift (up to 0.64 deg/s) come on top of the bias.
    assert!((mean_yaw - COMPASS_BIAS_DEG).abs() < 2.5, "mean yaw error before fix {mean_yaw}");
    assert!(before.iter().all(|f| (1.0..13.0).contains(&f.3)));
    let after = run.frames.iter().filter(|f| f.0 >= run.applied[0]);
    assert!(after.clone().all(|f| f.4 == TrackingMode::Visual));
}

/// The compass bias converges to 7 deg, the gyro bias to the truth; the schedule asks as
/// drift grows, and less often once the biases are known.
fn check_biases_and_schedule(seed: u64, tracker: &Tracker, sim: &Sim, run: &Run) {
    let (bias, _) = tracker.compass_bias_deg().unwrap();
    assert!((bias - COMPASS_BIAS_DEG).abs() < 0.5, "seed {seed}: compass bias {bias}");
    let (gyro, _) = tracker.gyro_bias().unwrap();
    assert!((gyro - sim.bias).norm() < 0.002, "seed {seed}: gyro bias {gyro:?}");
    let n = run.fixes.len();
    assert!((4..=40).contains(&n), "seed {seed}: {n} fixes in 60 s");
    assert!(run.reasons.iter().any(|r| matches!(r, FixReason::DriftBudget { .. })));
    let gaps: Vec<f64> = run.fixes.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| *g >= 0.3 - 1e-9), "{gaps:?}");
    let last = gaps[gaps.len() - 1];
    assert!(last > 2.0 * gaps[0], "seed {seed}: intervals do not grow: {gaps:?}");
}

/// A still phone whose gyro reads a bias of 0.01 rad/s about the vertical (no compass, so
/// nothing else reveals it). A fix at 0.5 s starts the track; fixes of the true orientation
/// captured at 1.0, 1.5 and 2.0 s arrive 8 frames (0.27 s) late. The delayed fixes carry
/// their bias coupling (`tracker::fix`), so the bias is learnt from their spacing and the
/// pose stays on the truth.
#[test]
fn delayed_fixes_reveal_a_gyro_bias_about_the_vertical() {
    let options = TrackerOptions { use_compass: false, ..TrackerOptions::default() };
    let mut tracker = Tracker::new(options).unwrap();
    let truth = pose_of(&gt_q(0.0));
    let down = gt_q(0.0).inverse() * Vector3::new(0.0, 0.0, -1.0);
    let bias = gt_q(0.0).inverse() * Vector3::new(0.0, 0.0, 0.01);
    let fix = |k: u32| VisualFix {
        cam_from_world: truth,
        timestamp_s: f64::from(k) / HZ,
        confidence: 0.9,
        inliers: 100,
    };
    let mut worst_after_third = 0.0f64;
    for k in 1..=120 {
        let input = FrameInput {
            timestamp_s: f64::from(k) / HZ,
            rotation: RotationInput::Rate(bias),
            gravity_in_cam: Some(down),
            compass: None,
            gps: None,
        };
        tracker.update(&input).unwrap();
        if k == 15 {
            assert!(matches!(tracker.apply_fix(&fix(k)), FixOutcome::Accepted { reset: true, .. }));
        }
        if [38, 53, 68].contains(&k) {
            let outcome = tracker.apply_fix(&fix(k - 8));
            assert!(matches!(outcome, FixOutcome::Accepted { .. }), "{outcome:?}");
        }
        if k >= 68 {
            let err = error_deg(&tracker.state().unwrap().filter_pose, &gt_q(0.0));
            worst_after_third = worst_after_third.max(err);
        }
    }
    let (gyro, _) = tracker.gyro_bias().unwrap();
    println!(
        "bias estimate {:?} (truth {:?}), worst error after the third fix \
         {worst_after_third:.4} deg",
        gyro.as_slice(),
        bias.as_slice()
    );
    assert!((gyro - bias).norm() < 0.001, "gyro bias {gyro:?}, truth {bias:?}");
    assert!(worst_after_third < 0.05, "{worst_after_third}");
}

/// Walking while panning (+-30 degrees every 8 s, up to 24 deg/s) with the step's bounce
/// (1.8 Hz, 1 degree of pitch; 0.9 Hz sway of 1.5 degrees of roll and 1 of yaw).
fn walking_path(t: f64) -> UnitQuaternion<f64> {
    let tau = std::f64::consts::TAU;
    let yaw = 200.0 + 30.0 * (tau * t / 8.0).sin() + (tau * 0.9 * t).sin();
    let pitch = 3.0 + (tau * 1.8 * t).sin();
    let roll = 1.5 * (tau * 0.9 * t + 1.0).sin();
    let m = cam_from_enu_rotation(yaw, pitch, roll).transpose();
    UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(m))
}

/// A turn about the vertical at 3 deg/s (0.052 rad/s): slow and steady, so the gyro's
/// variance is that of a still hand and gravity does not move.
fn slow_turn_path(t: f64) -> UnitQuaternion<f64> {
    gt_q(0.0).then_rotate_world(3.0 * t)
}

/// The session path for 20 s, then a turn about the vertical at 1 deg/s (0.017 rad/s,
/// under the still detector's magnitude threshold).
fn session_then_creep_path(t: f64) -> UnitQuaternion<f64> {
    let t0 = 20.0;
    session_path(t.min(t0)).then_rotate_world(1.0 * (t - t0).max(0.0))
}

/// `then_rotate_world`: turn an `R_enu_from_cam` about the world's up axis.
trait TurnAboutUp {
    fn then_rotate_world(self, deg: f64) -> Self;
}

impl TurnAboutUp for UnitQuaternion<f64> {
    fn then_rotate_world(self, deg: f64) -> Self {
        // Clockwise from above (yaw grows): a negative turn about up.
        UnitQuaternion::from_axis_angle(&Vector3::z_axis(), -deg.to_radians()) * self
    }
}

/// Feeds `seconds` of frames of `sim` to `tracker` (no fixes).
fn drive(tracker: &mut Tracker, sim: &mut Sim, seconds: f64) {
    while sim.t() < seconds {
        tracker.update(&sim.frame()).unwrap();
    }
}

/// The still detector does not take motion for stillness: walking while panning for 30 s
/// (20 seeds) gives no still stretch.
#[test]
fn still_detector_does_not_fire_while_walking_and_panning() {
    for seed in 1..=20 {
        let mut tracker = Tracker::new(TrackerOptions::default()).unwrap();
        let mut sim = Sim::with_path(seed, walking_path);
        drive(&mut tracker, &mut sim, 30.0);
        assert_eq!(tracker.still_counts().detected, 0, "seed {seed}");
    }
}

/// A steady slow turn is not a gyro bias (the classic failure of still detection). Cold
/// start, no compass (nothing else sees the vertical bias): turning at 3 deg/s about the
/// vertical for 10 s gives no still stretch, and the bias estimate about the vertical stays
/// at its prior (zero) instead of the turn rate. The control disables the magnitude test:
/// the turn is then taken for a bias.
#[test]
fn a_slow_steady_turn_is_not_taken_for_a_gyro_bias() {
    let up_in_cam = gt_q(0.0).inverse() * Vector3::z();
    let run = |max_rate_rad_s: f64| {
        let mut options = TrackerOptions { use_compass: false, ..TrackerOptions::default() };
        options.still.max_rate_rad_s = max_rate_rad_s;
        let mut tracker = Tracker::new(options).unwrap();
        tracker.update(&FrameInput::rotation_only(0.0, RotationInput::None)).unwrap();
        let mut sim = Sim::with_path(7, slow_turn_path);
        // Without a compass the filter starts from the first fix: give one of the start.
        let first = sim.fix(0.0, UnitQuaternion::identity());
        assert!(matches!(tracker.apply_fix(&first), FixOutcome::Accepted { .. }));
        drive(&mut tracker, &mut sim, 10.0);
        let (bias, _) = tracker.gyro_bias().unwrap();
        (tracker.still_counts(), bias.dot(&up_in_cam), sim.bias.dot(&up_in_cam))
    };
    let (counts, vertical, truth) = run(TrackerOptions::default().still.max_rate_rad_s);
    let turn = -3f64.to_radians();
    println!("vertical bias {vertical:.4} rad/s (truth {truth:.4}, turn {turn:.4}), {counts:?}");
    assert_eq!(counts.detected, 0);
    assert!(vertical.abs() < 0.002, "vertical bias estimate {vertical}");
    let (counts, vertical, _) = run(f64::INFINITY);
    println!("without the magnitude test: vertical bias {vertical:.4} rad/s, {counts:?}");
    assert!(counts.applied > 0 && (vertical - (turn + truth)).abs() < 0.01, "{vertical}");
}

/// Once fixes have pinned the bias down, a turn slower than the magnitude threshold (1 deg/s
/// about the vertical, 0.017 rad/s) may pass the still tests but not the filter's gate: the
/// bias estimate stays right.
#[test]
fn a_creeping_turn_after_fixes_fails_the_bias_gate() {
    let mut tracker = Tracker::new(TrackerOptions::default()).unwrap();
    let mut sim = Sim::with_path(3, session_then_creep_path);
    run_session(&mut tracker, &mut sim, 20.0);
    let before = tracker.still_counts();
    drive(&mut tracker, &mut sim, 30.0);
    let after = tracker.still_counts();
    let (gyro, _) = tracker.gyro_bias().unwrap();
    println!(
        "creeping turn: before {before:?}, after {after:?}, bias error {:.5}",
        (gyro - sim.bias).norm()
    );
    assert!(after.detected > before.detected, "the creep is not still: {after:?}");
    assert_eq!(after.applied, before.applied);
    assert!((gyro - sim.bias).norm() < 0.002, "gyro bias {gyro:?}");
}

#[test]
fn wrong_fix_is_rejected_with_reason_and_repeated_agreeing_fixes_recover() {
    let mut tracker = Tracker::new(TrackerOptions::default()).unwrap();
    let mut sim = Sim::new(5);
    run_session(&mut tracker, &mut sim, 20.0);
    let before = tracker.state().unwrap();
    let off = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), 20f64.to_radians());
    let t = sim.t() - 0.1;
    let outcome = tracker.apply_fix(&sim.fix(t, off));
    let FixOutcome::Rejected(FixRejection::ContradictsTrack { angle_deg, .. }) = outcome else {
        panic!("not rejected: {outcome:?}")
    };
    assert!((angle_deg - 20.0).abs() < 1.0, "{angle_deg}");
    assert_eq!(tracker.state().unwrap().pose, before.pose, "a rejected fix moved the pose");
    assert!(error_deg(&before.pose, &sim.truth(sim.t())) < 0.5);
    // A good fix is accepted afterwards.
    tracker.update(&sim.frame()).unwrap();
    let good = sim.fix(sim.t() - 0.05, UnitQuaternion::identity());
    assert!(matches!(tracker.apply_fix(&good), FixOutcome::Accepted { reset: false, .. }));
    // Three agreeing 20-degree fixes in a row: the track was wrong, the third resets it.
    let mut outcomes = vec![];
    for _ in 0..3 {
        for _ in 0..15 {
            tracker.update(&sim.frame()).unwrap();
        }
        outcomes.push(tracker.apply_fix(&sim.fix(sim.t() - 0.1, off)));
    }
    assert!(matches!(outcomes[0], FixOutcome::Rejected(FixRejection::ContradictsTrack { .. })));
    assert!(matches!(outcomes[1], FixOutcome::Rejected(FixRejection::ContradictsTrack { .. })));
    assert!(matches!(outcomes[2], FixOutcome::Accepted { reset: true, .. }), "{:?}", outcomes[2]);
    let truth = pose_of(&(off * sim.truth(sim.t()))).quaternion();
    let err = tracker.state().unwrap().filter_pose.quaternion().angle_to(&truth);
    assert!(err.to_degrees() < 0.5, "{}", err.to_degrees());
    // Bad quality fixes carry their reasons.
    let mut low = sim.fix(sim.t() - 0.1, UnitQuaternion::identity());
    low.confidence = 0.05;
    assert!(matches!(
        tracker.apply_fix(&low),
        FixOutcome::Rejected(FixRejection::LowConfidence { .. })
    ));
    let old = sim.fix(sim.t() - 10.0, UnitQuaternion::identity());
    assert!(matches!(tracker.apply_fix(&old), FixOutcome::Rejected(FixRejection::TooOld { .. })));
}

#[test]
fn needs_fix_waits_for_drift_and_respects_min_interval() {
    let mut tracker = Tracker::new(TrackerOptions::default()).unwrap();
    let mut sim = Sim::new(3);
    // Uninitialised until position, gravity and a compass reading arrived (frame 3).
    assert!(tracker.update(&sim.frame()).unwrap().is_none());
    assert_eq!(tracker.mode(), TrackingMode::Uninitialised);
    while tracker.update(&sim.frame()).unwrap().is_none() {}
    assert_eq!(tracker.mode(), TrackingMode::SensorOnly);
    assert_eq!(tracker.needs_fix(), Some(FixReason::NoFixYet));
    tracker.update(&sim.frame()).unwrap();
    let t_fix = sim.t();
    assert!(matches!(
        tracker.apply_fix(&sim.fix(t_fix, UnitQuaternion::identity())),
        FixOutcome::Accepted { .. }
    ));
    // Right after a fix: no request (min interval, then within the budget).
    let mut first_request = None;
    let mut last_pred = 0.0;
    while sim.t() < 20.0 {
        tracker.update(&sim.frame()).unwrap();
        let pred = tracker.predicted_error_deg();
        assert!(pred >= last_pred - 1e-9, "predicted drift fell without a fix");
        last_pred = pred;
        if let Some(r) = tracker.needs_fix() {
            first_request = Some((sim.t(), r));
            break;
        }
    }
    let (t, reason) = first_request.unwrap();
    // Not before the minimum interval (0.3 s from the capture), but soon: one fix does not
    // reveal the gyro bias, so the predicted drift crosses the 0.4 deg budget quickly.
    assert!(t - t_fix >= 0.3 - 1e-9, "asked too soon: {t}");
    assert!(
        matches!(reason, FixReason::DriftBudget { predicted_error_deg, budget_deg } if predicted_error_deg > budget_deg)
    );
    // The real drift is then below the predicted bound.
    let err = error_deg(&tracker.state().unwrap().filter_pose, &sim.truth(sim.t()));
    assert!(err < last_pred, "error {err} above the predicted {last_pred}");
}

fn label_scene(jitter_m: f64) -> Vec<ResolvedPoi> {
    // Two peaks 10 km north; B about 20 px above A on screen (the declutter boundary of
    // 18 px boxes with a 2 px gap); plus a far one.
    let frame = LocalFrame::new(position());
    let at = |name: &str, e: f64, n: f64, up: f64, prom: f64| {
        let g = frame.geodetic_from_enu(&Vector3::new(e, n, up));
        Poi {
            name: name.into(),
            lat: g.lat,
            lon: g.lon,
            elevation_msl: g.height,
            prominence: Some(prom),
        }
        .resolve(&FixedUndulation(0.0))
        .unwrap()
    };
    vec![
        at("A", 0.0, 10_000.0, 0.0, 900.0),
        at("B", 0.0, 10_000.0, 200.0 + jitter_m, 100.0),
        at("C", 3000.0, 20_000.0, 500.0, 500.0),
    ]
}

#[test]
fn labels_do_not_flicker_at_the_declutter_boundary() {
    let camera = Camera::new(1000, 750, 1000.0);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut stab = LabelStabilizer::new();
    let options = LabelOptions::default();
    let (mut toggles, mut plain_toggles) = (0, 0);
    let (mut shown_prev, mut plain_prev) = (None, None);
    let (mut raw_a, mut smooth_a) = (vec![], vec![]);
    for k in 0..300 {
        let t = k as f64 / HZ;
        // Sub-pixel pose jitter and B's height wobbling +-1.5 px around the boundary.
        let (jy, jp, jr) = (gauss(&mut rng), gauss(&mut rng), gauss(&mut rng));
        let pose = CameraPose::from_enu_angles(&position(), 0.02 * jy, 0.5 + 0.02 * jp, 0.02 * jr);
        let pois = label_scene(15.0 * (2.0 * rng.random::<f64>() - 1.0) + 3.0);
        let labels = stab.update(t, &camera, &pose, &pois, &NoOcclusion, &options).unwrap();
        let b_shown = labels.iter().any(|l| l.name == "B");
        if shown_prev.is_some_and(|p| p != b_shown) {
            toggles += 1;
        }
        shown_prev = Some(b_shown);
        let plain = lsar_core::overlay_labels(
            &camera,
            &pose,
            &pois,
            &NoOcclusion,
            &OverlayOptions::default(),
        )
        .unwrap();
        let b_plain = plain.iter().any(|l| l.name == "B");
        if plain_prev.is_some_and(|p| p != b_plain) {
            plain_toggles += 1;
        }
        plain_prev = Some(b_plain);
        if k > 30 {
            raw_a.push(plain.iter().find(|l| l.name == "A").unwrap().pixel[0]);
            smooth_a.push(labels.iter().find(|l| l.name == "A").unwrap().pixel[0]);
        }
    }
    println!("B toggles: stabilised {toggles}, plain declutter {plain_toggles}");
    assert!(plain_toggles > 30, "the scene is not at the boundary: {plain_toggles}");
    assert!(toggles <= 1, "{toggles} toggles");
    let std = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    println!("A pixel jitter: raw {:.3} px, smoothed {:.3} px", std(&raw_a), std(&smooth_a));
    assert!(std(&smooth_a) < 0.5 * std(&raw_a));

    // Hysteresis does not freeze: B well inside A's box hides, well clear shows again.
    let pose = CameraPose::from_enu_angles(&position(), 0.0, 0.5, 0.0);
    let shown_after = |stab: &mut LabelStabilizer, up: f64, t0: f64| {
        let pois = label_scene(up);
        let mut frame =
            |k| stab.update(t0 + k as f64 / HZ, &camera, &pose, &pois, &NoOcclusion, &options);
        (0..10).map(|k| frame(k).unwrap().iter().any(|l| l.name == "B")).collect::<Vec<_>>()
    };
    let inside = shown_after(&mut stab, -100.0, 20.0);
    assert!(!inside[9], "B still shown inside A: {inside:?}");
    let clear = shown_after(&mut stab, 300.0, 21.0);
    assert!(clear[9], "B not shown when clear: {clear:?}");

    // Options that cannot smooth or lay out are refused.
    let pois = label_scene(0.0);
    for bad in [
        LabelOptions { min_cutoff_hz: 0.0, ..options },
        LabelOptions { margin_px: f64::NAN, ..options },
        LabelOptions { beta: -1.0, ..options },
    ] {
        assert!(bad.validate().is_err());
        assert!(stab.update(22.0, &camera, &pose, &pois, &NoOcclusion, &bad).is_err());
    }
    assert!(options.validate().is_ok());
}
