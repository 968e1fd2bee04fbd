//! Options and per-frame output of the [`super::Tracker`].

use lsar_geometry::CameraPose;

use super::filter::NoiseModel;
use super::fix::FixOptions;
use super::schedule::ScheduleOptions;
use super::still::StillOptions;

/// Options of the [`super::Tracker`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerOptions {
    /// Sensor noise and priors of the filter.
    pub noise: NoiseModel,
    /// Acceptance and smoothing of fixes.
    pub fix: FixOptions,
    /// When to ask for a fix.
    pub schedule: ScheduleOptions,
    /// Gyro bias from the windows where the phone is held still.
    pub still: StillOptions,
    /// Estimate the gyro bias (true for raw gyro rates; false for ARKit/ARCore rotations,
    /// which are already drift-corrected). Default true.
    pub estimate_gyro_bias: bool,
    /// Use gravity readings after initialisation (tilt aiding). Default true.
    pub use_gravity: bool,
    /// Use compass readings after initialisation (yaw aiding, compass bias). Default true.
    pub use_compass: bool,
    /// Smallest interval between two gravity (or two compass) updates, seconds: their noise
    /// is correlated over short times, so every reading is not new information. Default 0.1.
    pub aid_interval_s: f64,
    /// Chi-square gate of gravity, compass and still-window gyro bias updates (magnetic
    /// disturbance, hand acceleration, a slow turn taken for a still phone). Default 9.
    pub aid_gate_chi2: f64,
    /// How far back the orientation history reaches (the oldest fix accepted), seconds.
    /// Default 3.
    pub history_s: f64,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        Self {
            noise: NoiseModel::default(),
            fix: FixOptions::default(),
            schedule: ScheduleOptions::default(),
            still: StillOptions::default(),
            estimate_gyro_bias: true,
            use_gravity: true,
            use_compass: true,
            aid_interval_s: 0.1,
            aid_gate_chi2: 9.0,
            history_s: 3.0,
        }
    }
}

/// What the current pose rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingMode {
    /// Not enough sensor data yet (needs a position, gravity and a compass reading, or a fix).
    Uninitialised,
    /// Sensors only: GPS, gravity and the compass, whose heading may be 5-10 degrees off.
    SensorOnly,
    /// At least one visual fix was accepted.
    Visual,
}

/// The tracker's output for one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackState {
    /// What the pose rests on.
    pub mode: TrackingMode,
    /// Displayed pose (`cam_from_world`, world = ECEF): the filter's with the fix correction
    /// blended in.
    pub pose: CameraPose,
    /// The filter's pose (`cam_from_world`, world = ECEF), without blending.
    pub filter_pose: CameraPose,
    /// Total orientation sigma (square root of the attitude covariance's trace), degrees.
    pub sigma_deg: f64,
    /// Frame time, seconds.
    pub timestamp_s: f64,
}
