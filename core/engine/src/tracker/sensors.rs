//! Sensor inputs of the [`super::Tracker`] and the sensor-only orientation.
//!
//! ## Frames
//! - Camera frame (OpenCV/COLMAP, DESIGN.md): x right, y down, z forward, of the image as
//!   passed to the SDK (after any rotation of the pixels).
//! - World frame of the tracker: local ENU (east, north, up) anchored at the first position.
//! - Gyroscope rates are the angular velocity of the camera *expressed in the camera frame*
//!   (rad/s). Phone gyros report in device axes: rotate them first, e.g. with
//!   [`camera_rate_from_android_portrait`].
//! - A rotation delta ([`RotationInput::Delta`]) is `cam_from_prev_cam`: the rotation that
//!   takes a vector written in the previous frame's camera axes to the current camera axes
//!   (`v_cam = q v_prev_cam`). [`delta_from_ar_poses`] builds it from ARKit/ARCore camera
//!   transforms (whose camera axes are x right, y up, z backwards).

use lsar_geometry::Geodetic;
use lsar_geometry::pose::cam_from_enu_rotation;
use nalgebra::{Matrix3, Rotation3, UnitQuaternion, Vector3};

use crate::error::{CoreError, Result};

/// A GPS position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsFix {
    /// Latitude, longitude (degrees) and height above the WGS84 ellipsoid (metres).
    pub position: Geodetic,
    /// Horizontal accuracy (one sigma), metres.
    pub accuracy_m: f64,
}

/// A compass reading, already converted to the yaw of the optical axis: degrees clockwise
/// from *true* north (declination applied, device-to-camera axis change applied).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompassReading {
    /// Yaw of the optical axis, degrees clockwise from true north.
    pub yaw_deg: f64,
    /// The platform's stated accuracy (one sigma), degrees; used only if larger than
    /// [`super::NoiseModel::compass_sigma_deg`].
    pub accuracy_deg: f64,
}

/// How the device turned since the previous frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RotationInput {
    /// A gyroscope rate, rad/s, camera frame, held over the frame interval (sum several
    /// samples into one [`RotationInput::Delta`] for a better integral).
    Rate(Vector3<f64>),
    /// `cam_from_prev_cam` (see the module docs): integrated gyro samples or the relative
    /// rotation of ARKit/ARCore poses.
    Delta(UnitQuaternion<f64>),
    /// No rotation data for this frame (the pose is held, its uncertainty grows).
    None,
}

/// What the phone reports with one camera frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameInput {
    /// Capture time of the frame, seconds (any monotonic clock, the same as the fixes').
    pub timestamp_s: f64,
    /// Rotation since the previous frame.
    pub rotation: RotationInput,
    /// Gravity: unit vector pointing down, camera frame (DESIGN.md's gravity prior), if the
    /// accelerometer is trusted this frame (not during strong accelerations).
    pub gravity_in_cam: Option<Vector3<f64>>,
    /// Compass reading, if any this frame.
    pub compass: Option<CompassReading>,
    /// A new GPS position, if any this frame.
    pub gps: Option<GpsFix>,
}

impl FrameInput {
    /// A frame with only a rotation.
    pub fn rotation_only(timestamp_s: f64, rotation: RotationInput) -> Self {
        Self { timestamp_s, rotation, gravity_in_cam: None, compass: None, gps: None }
    }
}

/// The camera-frame angular velocity of a back camera on an Android phone held in portrait,
/// from the device-axes rate (x right, y up, z out of the screen): `(x, -y, -z)`.
pub fn camera_rate_from_android_portrait(device_rate: &Vector3<f64>) -> Vector3<f64> {
    Vector3::new(device_rate.x, -device_rate.y, -device_rate.z)
}

/// `cam_from_prev_cam` in the OpenCV camera frame from two ARKit/ARCore camera transforms
/// `world_from_camera` (their camera: x right, y up, z backwards). With
/// `C = diag(1, -1, -1)` (OpenCV camera to AR camera): `C cur^-1 prev C`.
pub fn delta_from_ar_poses(
    prev_world_from_ar_cam: &UnitQuaternion<f64>,
    cur_world_from_ar_cam: &UnitQuaternion<f64>,
) -> UnitQuaternion<f64> {
    let flip = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::PI);
    flip.inverse() * cur_world_from_ar_cam.inverse() * prev_world_from_ar_cam * flip
}

/// Pitch and roll in degrees (DESIGN.md conventions) of a camera whose gravity vector (down,
/// camera frame) is `gravity_in_cam`: `pitch = atan2(-g_z, |g_xy|)`, `roll = atan2(g_x, g_y)`
/// (from `down_in_cam = R_cam_from_enu (0, 0, -1)` and the rows of `R_cam_from_enu`).
///
/// # Errors
/// [`CoreError::InvalidInput`] for a zero or non-finite vector.
pub fn pitch_roll_from_gravity(gravity_in_cam: &Vector3<f64>) -> Result<(f64, f64)> {
    let n = gravity_in_cam.norm();
    if !n.is_finite() || n < 1e-9 {
        return Err(CoreError::InvalidInput { what: "gravity vector" });
    }
    let g = gravity_in_cam / n;
    let pitch = (-g.z).atan2(g.x.hypot(g.y)).to_degrees();
    let roll = g.x.atan2(g.y).to_degrees();
    Ok((pitch, roll))
}

/// `R_enu_from_cam` of a sensor-only pose: pitch and roll from gravity, yaw from the compass.
///
/// # Errors
/// As [`pitch_roll_from_gravity`]; [`CoreError::InvalidInput`] for a non-finite yaw.
pub fn sensor_only_enu_from_cam(
    gravity_in_cam: &Vector3<f64>,
    compass_yaw_deg: f64,
) -> Result<UnitQuaternion<f64>> {
    if !compass_yaw_deg.is_finite() {
        return Err(CoreError::InvalidInput { what: "compass yaw" });
    }
    let (pitch, roll) = pitch_roll_from_gravity(gravity_in_cam)?;
    Ok(quat_from_matrix(&cam_from_enu_rotation(compass_yaw_deg, pitch, roll).transpose()))
}

/// Yaw of the optical axis in degrees clockwise from north, [0, 360), of `R_enu_from_cam`.
pub fn yaw_deg_of(enu_from_cam: &UnitQuaternion<f64>) -> f64 {
    let f = enu_from_cam * Vector3::z();
    f.x.atan2(f.y).to_degrees().rem_euclid(360.0)
}

/// A unit quaternion from a (numerically) orthonormal matrix.
pub(crate) fn quat_from_matrix(m: &Matrix3<f64>) -> UnitQuaternion<f64> {
    UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(*m))
}

/// Wraps an angle in degrees to (-180, 180].
pub fn wrap_deg(a: f64) -> f64 {
    let r = a.rem_euclid(360.0);
    if r > 180.0 { r - 360.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gravity_gives_pitch_and_roll_and_sensor_pose_reproduces_the_angles() {
        let r = cam_from_enu_rotation(30.0, 10.0, -5.0);
        let down = r * Vector3::new(0.0, 0.0, -1.0);
        let (pitch, roll) = pitch_roll_from_gravity(&(down * 9.81)).unwrap();
        assert!((pitch - 10.0).abs() < 1e-9 && (roll + 5.0).abs() < 1e-9, "{pitch} {roll}");
        let q = sensor_only_enu_from_cam(&down, 30.0).unwrap();
        assert!((q.to_rotation_matrix().into_inner() - r.transpose()).abs().max() < 1e-9);
        assert!((yaw_deg_of(&q) - 30.0).abs() < 1e-9);
        assert!(pitch_roll_from_gravity(&Vector3::zeros()).is_err());
    }

    #[test]
    fn ar_poses_give_the_opencv_camera_delta() {
        let a = quat_from_matrix(&cam_from_enu_rotation(10.0, 2.0, 1.0).transpose());
        let b = quat_from_matrix(&cam_from_enu_rotation(13.0, 1.0, -2.0).transpose());
        // ARKit/ARCore camera axes: x right, y up, z backwards = OpenCV axes turned 180 deg
        // about x.
        let flip = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), std::f64::consts::PI);
        let delta = delta_from_ar_poses(&(a * flip), &(b * flip));
        assert!(delta.angle_to(&(b.inverse() * a)) < 1e-12);
        let rate = camera_rate_from_android_portrait(&Vector3::new(1.0, 2.0, 3.0));
        assert_eq!(rate, Vector3::new(1.0, -2.0, -3.0));
        assert!(
            (wrap_deg(190.0) + 170.0).abs() < 1e-12 && (wrap_deg(-180.0) - 180.0).abs() < 1e-12
        );
    }
}
