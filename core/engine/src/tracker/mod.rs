//! Live AR between visual fixes: the [`Tracker`] fuses the phone's sensors with the
//! Localizer's fixes at frame rate.
//!
//! ```text
//! GPS + gravity + compass --> sensor-only pose (TrackingMode::SensorOnly, compass 5-10 deg off)
//! every frame: gyro rate / rotation delta --> filter propagation (+ gravity, compass aiding)
//! still phone (gyro + gravity) --> filter update: gyro bias (still::StillDetector)
//! visual fix (Localizer) --gate--> filter update: orientation, gyro bias, compass bias
//!                        \-> FixRejection (typed reason)
//! displayed pose = blend (slerp over smoothing_s) * filter pose
//! needs_fix(): drift budget / no fix yet / max interval   labels(): stable POI labels
//! ```
//!
//! The filter's derivation is in [`filter`], the handling of late fixes in [`fix`], the fix
//! schedule in [`schedule`], the still-phone gyro calibration in [`still`], frames and
//! sensor conventions in [`sensors`]. The
//! world frame is ENU anchored at the first position (GPS or fix): yaw is measured against
//! north there, which differs from north at the camera by under 0.1 degree within 10 km.
//! Poses leave the tracker as `cam_from_world` with world = ECEF.

pub mod filter;
pub mod fix;
pub mod labels;
pub mod schedule;
pub mod sensors;
pub mod still;
pub mod types;

pub use filter::NoiseModel;
pub use fix::{FixOptions, FixOutcome, FixRejection, VisualFix};
pub use labels::{LabelOptions, LabelStabilizer};
pub use schedule::{FixReason, ScheduleOptions};
pub use sensors::{
    CompassReading, FrameInput, GpsFix, RotationInput, camera_rate_from_android_portrait,
    delta_from_ar_poses, pitch_roll_from_gravity, sensor_only_enu_from_cam, wrap_deg, yaw_deg_of,
};
pub use still::{StillCounts, StillOptions};
pub use types::{TrackState, TrackerOptions, TrackingMode};

use lsar_geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use nalgebra::{UnitQuaternion, Vector3};

use crate::error::{CoreError, Result};
use crate::overlay::{Label, Occluder, ResolvedPoi};
use filter::AttitudeFilter;
use fix::History;
use schedule::Schedule;
use sensors::quat_from_matrix;
use still::{StillDetector, StillStretch};

/// A correction being blended in: `displayed = offset(t) filter`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Blend {
    offset: UnitQuaternion<f64>,
    start_s: f64,
    duration_s: f64,
}

impl Blend {
    fn at(&self, t: f64) -> UnitQuaternion<f64> {
        if self.duration_s.is_nan() || self.duration_s <= 0.0 {
            return UnitQuaternion::identity();
        }
        let s = ((t - self.start_s) / self.duration_s).clamp(0.0, 1.0);
        self.offset.slerp(&UnitQuaternion::identity(), s)
    }
}

/// Fuses sensors and visual fixes into a pose per frame (see the module docs).
#[derive(Debug, Clone)]
pub struct Tracker {
    options: TrackerOptions,
    frame: Option<LocalFrame>,
    position_ecef: Option<Vector3<f64>>,
    filter: Option<AttitudeFilter>,
    mode: TrackingMode,
    last_t: Option<f64>,
    last_gravity_t: f64,
    last_compass_t: f64,
    last_gravity: Option<Vector3<f64>>,
    last_compass: Option<CompassReading>,
    history: History,
    /// Gyro-only orientation chain (see [`fix`]'s docs).
    chain: UnitQuaternion<f64>,
    schedule: Schedule,
    blend: Option<Blend>,
    rejected_run: (usize, Option<UnitQuaternion<f64>>),
    labels: LabelStabilizer,
    still: StillDetector,
    /// The latest still stretch seen before the filter started, used when it starts.
    still_pending: Option<StillStretch>,
    still_counts: StillCounts,
}

impl Tracker {
    /// A tracker with `options`.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for invalid options.
    pub fn new(options: TrackerOptions) -> Result<Self> {
        fix::validate(&options.fix)?;
        options.schedule.validate()?;
        options.still.validate()?;
        let o = [options.aid_interval_s, options.aid_gate_chi2, options.history_s];
        if !o.iter().all(|v| v.is_finite() && *v >= 0.0)
            || !options.noise.gyro_bias_prior_rad_s.iter().all(|v| v.is_finite())
        {
            return Err(CoreError::InvalidInput { what: "tracker options" });
        }
        Ok(Self {
            options,
            frame: None,
            position_ecef: None,
            filter: None,
            mode: TrackingMode::Uninitialised,
            last_t: None,
            last_gravity_t: f64::NEG_INFINITY,
            last_compass_t: f64::NEG_INFINITY,
            last_gravity: None,
            last_compass: None,
            history: History::new(options.history_s),
            chain: UnitQuaternion::identity(),
            schedule: Schedule::default(),
            blend: None,
            rejected_run: (0, None),
            labels: LabelStabilizer::new(),
            still: StillDetector::new(),
            still_pending: None,
            still_counts: StillCounts::default(),
        })
    }

    /// The options.
    pub fn options(&self) -> &TrackerOptions {
        &self.options
    }

    /// What the pose rests on.
    pub fn mode(&self) -> TrackingMode {
        self.mode
    }

    /// Processes one camera frame: GPS, then the rotation since the last frame, then the
    /// still-phone gyro bias measurement, then gravity and compass aiding. Returns the
    /// state, or `None` while uninitialised.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for a non-finite or decreasing timestamp or a non-finite
    /// rotation.
    pub fn update(&mut self, input: &FrameInput) -> Result<Option<TrackState>> {
        let t = input.timestamp_s;
        if !t.is_finite() || self.last_t.is_some_and(|l| t < l) {
            return Err(CoreError::InvalidInput { what: "frame timestamp" });
        }
        let dt = self.last_t.map_or(0.0, |l| t - l);
        self.last_t = Some(t);
        if let Some(gps) = input.gps.filter(|g| g.position.validate().is_ok()) {
            self.set_position(&gps.position.to_ecef());
        }
        if let Some(g) = input.gravity_in_cam {
            self.last_gravity = Some(g);
        }
        if let Some(c) = input.compass.filter(|c| c.yaw_deg.is_finite()) {
            self.last_compass = Some(c);
        }
        let phi = match input.rotation {
            RotationInput::Rate(w) => Some(w * dt),
            RotationInput::Delta(q) => Some(q.inverse().scaled_axis()),
            RotationInput::None => None,
        };
        if phi.is_some_and(|p| !p.iter().all(|v| v.is_finite())) {
            return Err(CoreError::InvalidInput { what: "frame rotation" });
        }
        let o = self.options;
        let still = self.detect_still(t, dt, phi, input.gravity_in_cam);
        if let Some(filter) = &mut self.filter {
            self.chain *= filter.propagate(phi, dt);
            self.schedule.rotation_since_fix_rad += phi.map_or(0.0, |p| p.norm());
            if let Some(w) = still {
                self.still_counts.applied += usize::from(Self::use_still(filter, &w, &o));
            }
            if let Some(g) = input.gravity_in_cam.filter(|_| o.use_gravity)
                && t - self.last_gravity_t >= o.aid_interval_s
            {
                self.last_gravity_t = t;
                let sigma = o.noise.gravity_sigma_deg.to_radians();
                filter.update_gravity(&g, sigma, o.aid_gate_chi2);
            }
            if let Some(c) = input.compass.filter(|_| o.use_compass)
                && t - self.last_compass_t >= o.aid_interval_s
            {
                self.last_compass_t = t;
                let sigma = o.noise.compass_sigma_deg.max(c.accuracy_deg).to_radians();
                filter.update_compass(c.yaw_deg.to_radians(), sigma, o.aid_gate_chi2);
            }
        } else if let (Some(g), Some(c), Some(_)) =
            (self.last_gravity, self.last_compass, self.position_ecef)
        {
            let q = sensor_only_enu_from_cam(&g, c.yaw_deg)?;
            self.start_filter(AttitudeFilter::new(q, o.noise, o.estimate_gyro_bias));
            self.mode = TrackingMode::SensorOnly;
        } else if still.is_some() {
            self.still_pending = still;
        }
        if self.filter.is_some() {
            self.history.push(t, self.chain);
        }
        Ok(self.state())
    }

    /// Offers a visual fix: checked (quality, time, position, agreement with the track),
    /// then used to correct the orientation and the biases, the jump blended in over
    /// [`FixOptions::smoothing_s`]. A fix before the sensors are ready initialises the track
    /// (rotation since its capture ignored).
    pub fn apply_fix(&mut self, fix: &VisualFix) -> FixOutcome {
        match self.try_fix(fix) {
            Ok(outcome) => outcome,
            Err(reason) => FixOutcome::Rejected(reason),
        }
    }

    fn try_fix(&mut self, fix: &VisualFix) -> Result<FixOutcome, FixRejection> {
        let o = self.options;
        fix::check_quality(fix, &o.fix)?;
        let t_now = self.last_t.unwrap_or(fix.timestamp_s);
        // Attempts count from the capture time: a slow Localizer does not delay the next
        // request by its own latency.
        let t_cap = fix.timestamp_s.min(t_now);
        self.schedule.last_attempt_s =
            Some(self.schedule.last_attempt_s.map_or(t_cap, |a| a.max(t_cap)));
        let center = fix.cam_from_world.center();
        if let Some(p) = self.position_ecef {
            let distance_m = (center - p).norm();
            if distance_m > o.fix.max_position_offset_m {
                return Err(FixRejection::PositionJump { distance_m });
            }
        }
        let enu = self.frame.unwrap_or_else(|| LocalFrame::from_ecef(&center));
        let meas_then = quat_from_matrix(
            &(fix.cam_from_world.rotation() * enu.ecef_from_enu_rotation()).transpose(),
        );
        let sigma = o.fix.sigma_deg.to_radians();
        let displayed_before = self.displayed(t_now);
        let Some(filter) = &mut self.filter else {
            let mut filter = AttitudeFilter::new(meas_then, o.noise, o.estimate_gyro_bias);
            filter.reset_attitude(sigma);
            self.history.push(t_now, self.chain);
            self.start_filter(filter);
            self.set_position(&center);
            self.accepted(fix.timestamp_s, 0.0);
            return Ok(FixOutcome::Accepted { correction_deg: 0.0, reset: true });
        };
        let window = self.history.window_since(fix.timestamp_s)?;
        let meas_now = meas_then * window.body;
        let (r, d2) = filter.attitude_innovation(&meas_now, sigma, &window.v);
        let angle_deg = r.norm().to_degrees();
        let mut reset = false;
        if d2 > o.fix.gate_chi2 && angle_deg > o.fix.min_contradiction_deg {
            let offset = UnitQuaternion::from_scaled_axis(r);
            let agrees = self.rejected_run.1.is_some_and(|prev| {
                prev.angle_to(&offset).to_degrees() < 2.0 * o.fix.min_contradiction_deg
            });
            let count = if agrees { self.rejected_run.0 + 1 } else { 1 };
            self.rejected_run = (count, Some(offset));
            if count < o.fix.recover_after.max(1) {
                return Err(FixRejection::ContradictsTrack { angle_deg, mahalanobis_sq: d2 });
            }
            filter.reset_attitude(std::f64::consts::PI);
            reset = true;
        }
        self.rejected_run = (0, None);
        filter.update_attitude(&meas_now, sigma, &window.v);
        let after = filter.enu_from_cam();
        let offset = displayed_before.unwrap_or(after) * after.inverse();
        self.blend = (offset.angle().to_degrees() > o.fix.max_snap_deg).then_some(Blend {
            offset,
            start_s: t_now,
            duration_s: o.fix.smoothing_s,
        });
        self.set_position(&center);
        self.accepted(fix.timestamp_s, 0.0);
        Ok(FixOutcome::Accepted { correction_deg: angle_deg, reset })
    }

    /// Feeds the frame to the still detector (when the gyro bias is estimated); the still
    /// stretch it hands out at this frame, if any.
    fn detect_still(
        &mut self,
        t: f64,
        dt: f64,
        phi: Option<Vector3<f64>>,
        gravity: Option<Vector3<f64>>,
    ) -> Option<StillStretch> {
        let o = &self.options;
        if !(o.estimate_gyro_bias && o.still.enabled) {
            return None;
        }
        let bias =
            self.filter.as_ref().map_or(o.noise.gyro_bias_prior_rad_s, AttitudeFilter::gyro_bias);
        let rate = phi.filter(|_| dt > 0.0).map(|p| p / dt);
        let window = self.still.push(t, dt, rate, gravity, &bias, &o.still);
        self.still_counts.detected += usize::from(window.is_some());
        window
    }

    /// Updates the gyro bias with a still stretch; whether it passed the gate.
    fn use_still(filter: &mut AttitudeFilter, w: &StillStretch, o: &TrackerOptions) -> bool {
        filter.update_gyro_bias(&w.mean_rate, w.sigma_rad_s, o.aid_gate_chi2).is_some()
    }

    /// Starts the filter, with the still stretch seen before, if any.
    fn start_filter(&mut self, mut filter: AttitudeFilter) {
        if let Some(w) = self.still_pending.take() {
            self.still_counts.applied +=
                usize::from(Self::use_still(&mut filter, &w, &self.options));
        }
        self.filter = Some(filter);
    }

    fn accepted(&mut self, t_fix: f64, rotation_rad: f64) {
        self.mode = TrackingMode::Visual;
        self.schedule.last_fix_s = Some(self.schedule.last_fix_s.map_or(t_fix, |l| l.max(t_fix)));
        self.schedule.rotation_since_fix_rad = rotation_rad;
    }

    fn set_position(&mut self, ecef: &Vector3<f64>) {
        if self.frame.is_none() {
            self.frame = Some(LocalFrame::from_ecef(ecef));
        }
        self.position_ecef = Some(*ecef);
    }

    /// Displayed `R_enu_from_cam` at time `t`.
    fn displayed(&self, t: f64) -> Option<UnitQuaternion<f64>> {
        let q = self.filter.as_ref()?.enu_from_cam();
        Some(self.blend.map_or(q, |b| b.at(t) * q))
    }

    /// The state at the latest frame, or `None` while uninitialised.
    pub fn state(&self) -> Option<TrackState> {
        let (filter, frame, center, t) =
            (self.filter.as_ref()?, self.frame?, self.position_ecef?, self.last_t?);
        let to_pose = |enu_from_cam: UnitQuaternion<f64>| {
            let r = enu_from_cam.inverse().to_rotation_matrix().into_inner()
                * frame.enu_from_ecef_rotation();
            CameraPose::from_rotation_center(quat_from_matrix(&r), &center)
        };
        Some(TrackState {
            mode: self.mode,
            pose: to_pose(self.displayed(t)?),
            filter_pose: to_pose(filter.enu_from_cam()),
            sigma_deg: filter.attitude_sigma().to_degrees(),
            timestamp_s: t,
        })
    }

    /// Whether the app should run the Localizer on the next frame, and why (`None`: not
    /// needed, or asked too recently). See [`schedule`] for the rule.
    pub fn needs_fix(&self) -> Option<FixReason> {
        let now = self.last_t?;
        let sigma = self.filter.as_ref().map_or(f64::INFINITY, AttitudeFilter::attitude_sigma);
        self.schedule.needs_fix(now, sigma, &self.options.schedule)
    }

    /// Predicted orientation error, degrees (what [`Self::needs_fix`] compares with the
    /// budget); infinite while uninitialised.
    pub fn predicted_error_deg(&self) -> f64 {
        let sigma = self.filter.as_ref().map_or(f64::INFINITY, AttitudeFilter::attitude_sigma);
        self.schedule.predicted_error_deg(sigma, &self.options.schedule)
    }

    /// Compass bias estimate and its sigma, degrees (compass yaw minus true yaw).
    pub fn compass_bias_deg(&self) -> Option<(f64, f64)> {
        let f = self.filter.as_ref()?;
        Some((f.compass_bias().to_degrees(), f.compass_bias_sigma().to_degrees()))
    }

    /// Gyro bias estimate (rad/s, camera frame) and the norm of its sigma (rad/s).
    pub fn gyro_bias(&self) -> Option<(Vector3<f64>, f64)> {
        let f = self.filter.as_ref()?;
        Some((f.gyro_bias(), f.gyro_bias_sigma()))
    }

    /// How often the phone was found still and how many of those windows corrected the
    /// gyro bias.
    pub fn still_counts(&self) -> StillCounts {
        self.still_counts
    }

    /// The position used for poses (last GPS or accepted fix).
    pub fn position(&self) -> Option<Geodetic> {
        self.position_ecef.map(|p| lsar_geometry::geodesy::geodetic_from_ecef(&p))
    }

    /// Labels for the latest frame's displayed pose, smoothed and decluttered with
    /// hysteresis (see [`LabelStabilizer`]); empty while uninitialised.
    ///
    /// # Errors
    /// As [`LabelStabilizer::update`].
    pub fn labels(
        &mut self,
        camera: &Camera,
        pois: &[ResolvedPoi],
        occluder: &dyn Occluder,
        options: &LabelOptions,
    ) -> Result<Vec<Label>> {
        let Some(state) = self.state() else { return Ok(Vec::new()) };
        self.labels.update(state.timestamp_s, camera, &state.pose, pois, occluder, options)
    }
}
