//! [`Tracker`]: lsar-core's tracker (live AR between visual fixes) behind the boundary. The
//! object holds the core tracker behind a mutex, so sensor callbacks, the render loop and the
//! thread that runs the Localizer may share it; each method converts its arguments and
//! delegates to the core in one call. Frames and units as in lsar-core's `tracker` module:
//! camera frame x right, y down, z forward; poses `cam_from_world` with world = ECEF.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lsar_core::geometry::{Camera, CameraPose, Geodetic};
use lsar_core::overlay::{
    DeclutterOptions, Egm96Exact, HorizonProfile, HorizonTolerance, LabelSize, NoOcclusion,
    OverlayOptions, ResolvedPoi, pois_from_pack, resolve_pois,
};
use lsar_core::pack::PackReader;
use lsar_core::tracker as core;
use nalgebra::{Quaternion, UnitQuaternion, Vector3};

use crate::error::ApiError;
use crate::records::{GeoPosition, HeadingPrior, Label, Localization, Vec3};

/// A GPS reading.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GpsSample {
    /// Position (height above the WGS84 ellipsoid).
    pub position: GeoPosition,
    /// Horizontal accuracy (one sigma), metres.
    pub accuracy_m: f64,
}

/// How the device turned since the previous frame.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum RotationSample {
    /// Gyroscope rate, rad/s, in the camera frame, held over the frame interval.
    Rate {
        /// Angular velocity.
        rate: Vec3,
    },
    /// `cam_from_prev_cam` as a unit quaternion (w, x, y, z): integrated gyro samples or the
    /// relative rotation of ARKit/ARCore poses.
    Delta {
        /// The quaternion, 4 values.
        quaternion_wxyz: Vec<f64>,
    },
    /// No rotation data this frame.
    Unknown,
}

/// What the phone reports with one camera frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SensorFrame {
    /// Capture time, seconds (monotonic; the clock of the fixes too).
    pub timestamp_s: f64,
    /// Rotation since the previous frame.
    pub rotation: RotationSample,
    /// Gravity (pointing down) in the camera frame, when the accelerometer is trusted.
    pub gravity_down_in_cam: Option<Vec3>,
    /// Compass: yaw of the optical axis from true north and its accuracy, degrees.
    pub compass: Option<HeadingPrior>,
    /// A new GPS reading.
    pub gps: Option<GpsSample>,
}

/// What the pose rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TrackingMode {
    /// Not enough data yet: needs a position, gravity and a compass reading, or a fix.
    Uninitialised,
    /// Sensors only; the compass may be 5-10 degrees off.
    SensorOnly,
    /// At least one visual fix was accepted.
    Visual,
}

/// The displayed pose of the latest frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TrackedPose {
    /// What the pose rests on.
    pub mode: TrackingMode,
    /// `cam_from_world` (ECEF) as a unit quaternion (w, x, y, z).
    pub quaternion_wxyz: Vec<f64>,
    /// `cam_from_world` rotation, row-major, 9 values.
    pub rotation: Vec<f64>,
    /// Camera centre in ECEF, metres, 3 values.
    pub camera_center: Vec<f64>,
    /// Camera position.
    pub position: GeoPosition,
    /// Heading of the optical axis, degrees clockwise from north.
    pub yaw_deg: f64,
    /// Optical axis above the horizon, degrees.
    pub pitch_deg: f64,
    /// Roll, degrees (positive: right edge down).
    pub roll_deg: f64,
    /// Orientation uncertainty (total one sigma), degrees.
    pub sigma_deg: f64,
    /// Frame time, seconds.
    pub timestamp_s: f64,
}

/// A visual fix from any source (the Localizer's results go through
/// [`Tracker::apply_localization`]).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisualFix {
    /// `cam_from_world` (ECEF) as a unit quaternion (w, x, y, z), 4 values.
    pub quaternion_wxyz: Vec<f64>,
    /// Camera centre in ECEF, metres, 3 values.
    pub camera_center: Vec<f64>,
    /// Capture time of the frame, seconds.
    pub timestamp_s: f64,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// Inliers of the pose solve.
    pub inliers: u64,
}

/// Why a fix was rejected (lsar-core's `FixRejection`).
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FixRejectionReason {
    /// The pose or time is not finite.
    NotFinite,
    /// Confidence below the minimum.
    LowConfidence {
        /// The fix's confidence.
        confidence: f64,
        /// The minimum.
        min: f64,
    },
    /// Too few inliers.
    TooFewInliers {
        /// The fix's inliers.
        inliers: u64,
        /// The minimum.
        min: u64,
    },
    /// Captured before the orientation history begins.
    TooOld {
        /// Seconds between capture and the latest frame.
        age_s: f64,
    },
    /// Captured after the latest frame.
    FromFuture {
        /// Seconds ahead.
        ahead_s: f64,
    },
    /// The camera centre is too far from the tracked position.
    PositionJump {
        /// Distance, metres.
        distance_m: f64,
    },
    /// The orientation contradicts the track.
    ContradictsTrack {
        /// Rotation from the prediction, degrees.
        angle_deg: f64,
        /// Its squared Mahalanobis distance.
        mahalanobis_sq: f64,
    },
    /// A reason this version of the bindings does not know.
    Other,
}

impl From<&core::FixRejection> for FixRejectionReason {
    fn from(r: &core::FixRejection) -> Self {
        use core::FixRejection as R;
        let n = |x: usize| x as u64;
        match *r {
            R::NotFinite => Self::NotFinite,
            R::LowConfidence { confidence, min } => Self::LowConfidence { confidence, min },
            R::TooFewInliers { inliers, min } => {
                Self::TooFewInliers { inliers: n(inliers), min: n(min) }
            }
            R::TooOld { age_s } => Self::TooOld { age_s },
            R::FromFuture { ahead_s } => Self::FromFuture { ahead_s },
            R::PositionJump { distance_m } => Self::PositionJump { distance_m },
            R::ContradictsTrack { angle_deg, mahalanobis_sq } => {
                Self::ContradictsTrack { angle_deg, mahalanobis_sq }
            }
            #[allow(unreachable_patterns)] // FixRejection is non-exhaustive
            _ => Self::Other,
        }
    }
}

/// What happened to a fix.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FixResult {
    /// Accepted: the pose was corrected (the jump is blended in).
    Accepted {
        /// Size of the correction, degrees.
        correction_deg: f64,
        /// Whether the track was reset after repeated agreeing contradictions.
        reset: bool,
    },
    /// Rejected, with the reason and the core's message.
    Rejected {
        /// The reason.
        reason: FixRejectionReason,
        /// Its text.
        message: String,
    },
}

impl From<core::FixOutcome> for FixResult {
    fn from(o: core::FixOutcome) -> Self {
        match o {
            core::FixOutcome::Accepted { correction_deg, reset } => {
                Self::Accepted { correction_deg, reset }
            }
            core::FixOutcome::Rejected(r) => {
                Self::Rejected { reason: (&r).into(), message: r.to_string() }
            }
        }
    }
}

/// Why the app should run the Localizer now.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Enum)]
pub enum FixRequest {
    /// No fix was accepted yet.
    NoFixYet,
    /// The predicted orientation error exceeds the budget.
    DriftBudget {
        /// Predicted error, degrees.
        predicted_error_deg: f64,
        /// The budget, degrees.
        budget_deg: f64,
    },
    /// The last fix is older than the longest interval.
    MaxInterval {
        /// Seconds since the last accepted fix.
        since_fix_s: f64,
    },
}

impl From<core::FixReason> for FixRequest {
    fn from(r: core::FixReason) -> Self {
        match r {
            core::FixReason::NoFixYet => Self::NoFixYet,
            core::FixReason::DriftBudget { predicted_error_deg, budget_deg } => {
                Self::DriftBudget { predicted_error_deg, budget_deg }
            }
            core::FixReason::MaxInterval { since_fix_s } => Self::MaxInterval { since_fix_s },
        }
    }
}

/// The options an app usually sets; the rest keep lsar-core's defaults
/// ([`tracker_default_settings`]).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct TrackerSettings {
    /// Estimate the gyro bias: true for raw gyro rates, false for ARKit/ARCore rotations.
    pub estimate_gyro_bias: bool,
    /// Gyro bias to start from (rad/s, camera frame), e.g. the previous session's
    /// [`Tracker::gyro_bias`]; none: zero.
    pub gyro_bias_prior: Option<Vec3>,
    /// Prior sigma of each gyro bias component, rad/s (0.02 cold; about 0.003 with a stored
    /// prior).
    pub gyro_bias_sigma_rad_s: f64,
    /// Largest predicted orientation error before a fix is asked for, degrees.
    pub drift_budget_deg: f64,
    /// Time over which a fix's correction is blended in, seconds.
    pub smoothing_s: f64,
}

/// lsar-core's default [`TrackerSettings`] (raw gyro rates, cold start).
#[uniffi::export]
pub fn tracker_default_settings() -> TrackerSettings {
    let o = core::TrackerOptions::default();
    TrackerSettings {
        estimate_gyro_bias: o.estimate_gyro_bias,
        gyro_bias_prior: None,
        gyro_bias_sigma_rad_s: o.noise.gyro_bias_sigma_rad_s,
        drift_budget_deg: o.schedule.drift_budget_deg,
        smoothing_s: o.fix.smoothing_s,
    }
}

impl From<TrackerSettings> for core::TrackerOptions {
    fn from(s: TrackerSettings) -> Self {
        let mut o = Self { estimate_gyro_bias: s.estimate_gyro_bias, ..Self::default() };
        o.noise.gyro_bias_prior_rad_s = s.gyro_bias_prior.map_or(Vector3::zeros(), vec3);
        o.noise.gyro_bias_sigma_rad_s = s.gyro_bias_sigma_rad_s;
        o.schedule.drift_budget_deg = s.drift_budget_deg;
        o.fix.smoothing_s = s.smoothing_s;
        o
    }
}

/// How the tracker's labels are laid out and stabilised (lsar-core's `LabelOptions`); the
/// field defaults are lsar-core's ([`label_default_settings`]).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LabelSettings {
    /// Drop POIs farther than this, metres; none: no limit.
    #[uniffi(default = None)]
    pub max_distance_m: Option<f64>,
    /// Keep POIs hidden behind the horizon (with `visible: false`).
    #[uniffi(default = false)]
    pub include_hidden: bool,
    /// Box width per character of the name, pixels (ignored with `fixed_width_px`).
    #[uniffi(default = 8.0)]
    pub char_width_px: f64,
    /// Space left and right of the name, pixels (ignored with `fixed_width_px`).
    #[uniffi(default = 4.0)]
    pub padding_px: f64,
    /// Every box this wide instead of sized from the name, pixels.
    #[uniffi(default = None)]
    pub fixed_width_px: Option<f64>,
    /// Box height, pixels.
    #[uniffi(default = 18.0)]
    pub box_height_px: f64,
    /// Length of the leader line from the POI up to its box, pixels.
    #[uniffi(default = 30.0)]
    pub leader_px: f64,
    /// Smallest free space between two shown boxes, pixels.
    #[uniffi(default = 2.0)]
    pub gap_px: f64,
    /// Show at most this many labels (the highest-priority ones).
    #[uniffi(default = None)]
    pub max_labels: Option<u32>,
    /// Drop POIs less prominent than this (and those of unknown prominence), metres.
    #[uniffi(default = None)]
    pub min_prominence_m: Option<f64>,
    /// Overlap beyond the gap that a shown label tolerates before hiding, pixels.
    #[uniffi(default = 6.0)]
    pub margin_px: f64,
    /// Frames a shown label must be covered before it hides.
    #[uniffi(default = 5)]
    pub hide_after_frames: u32,
    /// Frames a hidden label must be clear before it shows.
    #[uniffi(default = 3)]
    pub show_after_frames: u32,
    /// Smoothing of label positions (1-euro filter): cutoff at rest, Hz.
    #[uniffi(default = 1.5)]
    pub min_cutoff_hz: f64,
    /// Smoothing: cutoff increase per pixel/s of label speed, Hz.
    #[uniffi(default = 0.05)]
    pub beta: f64,
    /// Smoothing: cutoff of the speed estimate, Hz.
    #[uniffi(default = 1.0)]
    pub derivative_cutoff_hz: f64,
}

/// lsar-core's default [`LabelSettings`].
#[uniffi::export]
pub fn label_default_settings() -> LabelSettings {
    core::LabelOptions::default().into()
}

impl From<core::LabelOptions> for LabelSettings {
    fn from(o: core::LabelOptions) -> Self {
        let d = o.overlay.declutter;
        let (char_width_px, padding_px, fixed_width_px, box_height_px) = match d.size {
            LabelSize::FromName { char_width_px, height_px, padding_px } => {
                (char_width_px, padding_px, None, height_px)
            }
            LabelSize::Fixed { width_px, height_px } => {
                // The name-sized fields keep lsar-core's defaults.
                let (char_width_px, padding_px) = match DeclutterOptions::default().size {
                    LabelSize::FromName { char_width_px, padding_px, .. } => {
                        (char_width_px, padding_px)
                    }
                    LabelSize::Fixed { .. } => (0.0, 0.0),
                };
                (char_width_px, padding_px, Some(width_px), height_px)
            }
        };
        Self {
            max_distance_m: o.overlay.max_distance_m,
            include_hidden: o.overlay.include_hidden,
            char_width_px,
            padding_px,
            fixed_width_px,
            box_height_px,
            leader_px: d.leader_px,
            gap_px: d.gap_px,
            max_labels: d.max_labels.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            min_prominence_m: d.min_prominence_m,
            margin_px: o.margin_px,
            hide_after_frames: o.hide_after_frames,
            show_after_frames: o.show_after_frames,
            min_cutoff_hz: o.min_cutoff_hz,
            beta: o.beta,
            derivative_cutoff_hz: o.derivative_cutoff_hz,
        }
    }
}

impl From<LabelSettings> for core::LabelOptions {
    fn from(s: LabelSettings) -> Self {
        let size = match s.fixed_width_px {
            Some(width_px) => LabelSize::Fixed { width_px, height_px: s.box_height_px },
            None => LabelSize::FromName {
                char_width_px: s.char_width_px,
                height_px: s.box_height_px,
                padding_px: s.padding_px,
            },
        };
        let declutter = DeclutterOptions {
            size,
            leader_px: s.leader_px,
            gap_px: s.gap_px,
            max_labels: s.max_labels.map(|n| n as usize),
            min_prominence_m: s.min_prominence_m,
        };
        Self {
            overlay: OverlayOptions {
                max_distance_m: s.max_distance_m,
                include_hidden: s.include_hidden,
                declutter,
            },
            margin_px: s.margin_px,
            hide_after_frames: s.hide_after_frames,
            show_after_frames: s.show_after_frames,
            min_cutoff_hz: s.min_cutoff_hz,
            beta: s.beta,
            derivative_cutoff_hz: s.derivative_cutoff_hz,
        }
    }
}

/// A gyro bias estimate.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GyroBias {
    /// Bias, rad/s, camera frame.
    pub bias: Vec3,
    /// Norm of its sigma, rad/s.
    pub sigma_rad_s: f64,
}

fn vec3(v: Vec3) -> Vector3<f64> {
    Vector3::new(v.x, v.y, v.z)
}

fn quat(wxyz: &[f64], what: &str) -> Result<UnitQuaternion<f64>, ApiError> {
    let [w, x, y, z]: [f64; 4] = wxyz.try_into().map_err(|_| ApiError::input(what))?;
    let q = Quaternion::new(w, x, y, z);
    let n = q.norm();
    if !n.is_finite() || (n - 1.0).abs() > 1e-3 {
        return Err(ApiError::input(what));
    }
    Ok(UnitQuaternion::from_quaternion(q))
}

impl TryFrom<&SensorFrame> for core::FrameInput {
    type Error = ApiError;

    fn try_from(f: &SensorFrame) -> Result<Self, ApiError> {
        let rotation = match &f.rotation {
            RotationSample::Rate { rate } => core::RotationInput::Rate(vec3(*rate)),
            RotationSample::Delta { quaternion_wxyz } => {
                core::RotationInput::Delta(quat(quaternion_wxyz, "rotation delta quaternion")?)
            }
            RotationSample::Unknown => core::RotationInput::None,
        };
        Ok(Self {
            timestamp_s: f.timestamp_s,
            rotation,
            gravity_in_cam: f.gravity_down_in_cam.map(vec3),
            compass: f
                .compass
                .map(|c| core::CompassReading { yaw_deg: c.yaw_deg, accuracy_deg: c.accuracy_deg }),
            gps: f.gps.map(|g| core::GpsFix {
                position: Geodetic::new(g.position.lat, g.position.lon, g.position.height),
                accuracy_m: g.accuracy_m,
            }),
        })
    }
}

impl From<&core::TrackState> for TrackedPose {
    fn from(s: &core::TrackState) -> Self {
        let p = &s.pose;
        let (q, r, c, angles, geo) =
            (p.quaternion(), p.rotation(), p.center(), p.angles_deg(), p.position());
        Self {
            mode: mode(s.mode),
            quaternion_wxyz: vec![q.w, q.i, q.j, q.k],
            rotation: (0..9).map(|k| r[(k / 3, k % 3)]).collect(),
            camera_center: c.iter().copied().collect(),
            position: GeoPosition { lat: geo.lat, lon: geo.lon, height: geo.height },
            yaw_deg: angles.yaw_deg,
            pitch_deg: angles.pitch_deg,
            roll_deg: angles.roll_deg,
            sigma_deg: s.sigma_deg,
            timestamp_s: s.timestamp_s,
        }
    }
}

fn mode(m: core::TrackingMode) -> TrackingMode {
    match m {
        core::TrackingMode::Uninitialised => TrackingMode::Uninitialised,
        core::TrackingMode::SensorOnly => TrackingMode::SensorOnly,
        core::TrackingMode::Visual => TrackingMode::Visual,
    }
}

/// The pack whose POIs are labelled, and the horizon nearest the last labelled position.
#[derive(Debug)]
struct Overlay {
    pack: PackReader,
    pois: Vec<ResolvedPoi>,
    /// Camera centre (ECEF) the horizon was chosen for, and the horizon.
    horizon: Option<(Vector3<f64>, Option<HorizonProfile>)>,
}

/// A camera moving farther than this from where the horizon was chosen chooses again, metres.
const HORIZON_REFRESH_M: f64 = 50.0;

#[derive(Debug)]
struct State {
    tracker: lsar_core::Tracker,
    overlay: Option<Overlay>,
    labels: core::LabelOptions,
}

/// Fuses the phone's sensors with visual fixes into a pose per camera frame; thread-safe.
#[derive(Debug, uniffi::Object)]
pub struct Tracker {
    inner: Mutex<State>,
}

impl Tracker {
    /// The state; a panic cannot leave it half-updated (the core never panics), so a
    /// poisoned lock is taken over.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Tracker {
    /// A tracker with `settings` ([`tracker_default_settings`] for the defaults).
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for negative or non-finite settings.
    #[uniffi::constructor]
    pub fn new(settings: TrackerSettings) -> Result<Arc<Self>, ApiError> {
        let tracker = lsar_core::Tracker::new(settings.into())?;
        let state = State { tracker, overlay: None, labels: core::LabelOptions::default() };
        Ok(Arc::new(Self { inner: Mutex::new(state) }))
    }

    /// Processes one camera frame; returns the displayed pose, or none while uninitialised.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a decreasing or non-finite time or a bad rotation.
    pub fn update(&self, frame: SensorFrame) -> Result<Option<TrackedPose>, ApiError> {
        let input = core::FrameInput::try_from(&frame)?;
        Ok(self.lock().tracker.update(&input)?.as_ref().map(TrackedPose::from))
    }

    /// The displayed pose of the latest frame, or none while uninitialised.
    pub fn pose(&self) -> Option<TrackedPose> {
        self.lock().tracker.state().as_ref().map(TrackedPose::from)
    }

    /// What the pose rests on.
    pub fn mode(&self) -> TrackingMode {
        mode(self.lock().tracker.mode())
    }

    /// Offers a visual fix.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a quaternion or centre of the wrong length.
    pub fn apply_fix(&self, fix: VisualFix) -> Result<FixResult, ApiError> {
        let q = quat(&fix.quaternion_wxyz, "fix quaternion")?;
        let [x, y, z]: [f64; 3] = fix
            .camera_center
            .as_slice()
            .try_into()
            .map_err(|_| ApiError::input("fix camera centre length"))?;
        let fix = core::VisualFix {
            cam_from_world: CameraPose::from_rotation_center(q, &Vector3::new(x, y, z)),
            timestamp_s: fix.timestamp_s,
            confidence: fix.confidence,
            inliers: usize::try_from(fix.inliers).unwrap_or(usize::MAX),
        };
        Ok(self.lock().tracker.apply_fix(&fix).into())
    }

    /// Offers a localization of the frame captured at `timestamp_s` as a fix.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for an altered localization record.
    pub fn apply_localization(
        &self,
        localization: Localization,
        timestamp_s: f64,
    ) -> Result<FixResult, ApiError> {
        let loc = lsar_core::Localization::try_from(&localization)?;
        let fix = core::VisualFix::from_localization(&loc, timestamp_s)?;
        Ok(self.lock().tracker.apply_fix(&fix).into())
    }

    /// Whether to run the Localizer on the next frame, and why; none: not needed now.
    pub fn needs_fix(&self) -> Option<FixRequest> {
        self.lock().tracker.needs_fix().map(FixRequest::from)
    }

    /// Predicted orientation error, degrees (infinite while uninitialised).
    pub fn predicted_error_deg(&self) -> f64 {
        self.lock().tracker.predicted_error_deg()
    }

    /// Compass bias estimate (compass minus true yaw), degrees.
    pub fn compass_bias_deg(&self) -> Option<f64> {
        self.lock().tracker.compass_bias_deg().map(|(b, _)| b)
    }

    /// Gyro bias estimate: store it and pass it as the next session's prior.
    pub fn gyro_bias(&self) -> Option<GyroBias> {
        self.lock()
            .tracker
            .gyro_bias()
            .map(|(b, sigma_rad_s)| GyroBias { bias: Vec3 { x: b.x, y: b.y, z: b.z }, sigma_rad_s })
    }

    /// Labels the POIs of this pack from now on (resolved once; occlusion from the pack's
    /// horizon nearest the camera).
    ///
    /// # Errors
    /// [`ApiError::PackMissing`], [`ApiError::PackInvalid`].
    pub fn set_overlay_pack(&self, pack_path: String) -> Result<(), ApiError> {
        let pack = PackReader::open(pack_path, None).map_err(lsar_core::CoreError::from)?;
        let pois = resolve_pois(&pois_from_pack(&pack)?, &Egm96Exact)?;
        self.lock().overlay = Some(Overlay { pack, pois, horizon: None });
        Ok(())
    }

    /// Lays out and stabilises [`Self::labels`] with `settings` from now on.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a negative or non-finite length, rate or limit.
    pub fn set_label_settings(&self, settings: LabelSettings) -> Result<(), ApiError> {
        let options = core::LabelOptions::from(settings);
        options.validate()?;
        self.lock().labels = options;
        Ok(())
    }

    /// The settings [`Self::labels`] uses.
    pub fn label_settings(&self) -> LabelSettings {
        self.lock().labels.into()
    }

    /// Labels for the displayed pose of the latest frame (camera of `width` x `height`
    /// pixels and horizontal FOV `hfov_deg`), smoothed and decluttered with hysteresis;
    /// empty while uninitialised or without [`Self::set_overlay_pack`].
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] for a bad camera; [`ApiError::PackInvalid`].
    pub fn labels(&self, width: u32, height: u32, hfov_deg: f64) -> Result<Vec<Label>, ApiError> {
        let camera = Camera::from_hfov_deg(width, height, hfov_deg);
        camera.validate().map_err(|_| ApiError::input("camera size or field of view"))?;
        let mut state = self.lock();
        let State { tracker, overlay, labels: options } = &mut *state;
        let (Some(overlay), Some(pose)) = (overlay.as_mut(), tracker.state()) else {
            return Ok(Vec::new());
        };
        let center = pose.pose.center();
        let stale =
            overlay.horizon.as_ref().is_none_or(|(at, _)| (at - center).norm() > HORIZON_REFRESH_M);
        if stale {
            let profile = HorizonProfile::nearest_in_pack(
                &overlay.pack,
                &center,
                HorizonTolerance::default(),
            )?;
            overlay.horizon = Some((center, profile));
        }
        let labels = match overlay.horizon.as_ref().and_then(|(_, p)| p.as_ref()) {
            Some(profile) => tracker.labels(&camera, &overlay.pois, profile, options)?,
            None => tracker.labels(&camera, &overlay.pois, &NoOcclusion, options)?,
        };
        Ok(labels.into_iter().map(Label::from).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn tracker_is_send_and_sync_and_round_trips_settings() {
        send_sync::<Tracker>();
        let s = tracker_default_settings();
        let o = core::TrackerOptions::from(s);
        assert_eq!(o, core::TrackerOptions::default());
        let mut bad = s;
        bad.drift_budget_deg = f64::NAN;
        assert!(matches!(Tracker::new(bad), Err(ApiError::InvalidInput { .. })));
    }

    #[test]
    fn label_settings_round_trip_and_are_validated() {
        let s = label_default_settings();
        assert_eq!(core::LabelOptions::from(s), core::LabelOptions::default());
        let fixed = LabelSettings { fixed_width_px: Some(120.0), max_labels: Some(7), ..s };
        let o = core::LabelOptions::from(fixed);
        assert_eq!(o.overlay.declutter.size, LabelSize::Fixed { width_px: 120.0, height_px: 18.0 });
        assert_eq!(LabelSettings::from(o), fixed);
        let tracker = Tracker::new(tracker_default_settings()).unwrap();
        tracker.set_label_settings(fixed).unwrap();
        assert_eq!(tracker.label_settings(), fixed);
        let bad = LabelSettings { min_cutoff_hz: 0.0, ..s };
        assert!(matches!(tracker.set_label_settings(bad), Err(ApiError::InvalidInput { .. })));
        let bad = LabelSettings { gap_px: f64::NAN, ..s };
        assert!(matches!(tracker.set_label_settings(bad), Err(ApiError::InvalidInput { .. })));
        assert_eq!(tracker.label_settings(), fixed);
    }

    #[test]
    fn quaternions_of_the_wrong_length_or_norm_are_input_errors() {
        assert!(quat(&[1.0, 0.0, 0.0], "q").is_err());
        assert!(quat(&[2.0, 0.0, 0.0, 0.0], "q").is_err());
        assert!(quat(&[f64::NAN, 0.0, 0.0, 0.0], "q").is_err());
        let q = quat(&[0.0, 1.0, 0.0, 0.0], "q").unwrap();
        assert!((q.angle() - std::f64::consts::PI).abs() < 1e-12);
    }
}
