//! The camera pose `cam_from_world` and its yaw, pitch and roll relative to local ENU.
//!
//! `point_in_cam = R point_in_world + t`; the centre is `C = -R^T t`. The angles follow the
//! crate convention (see [`crate`]): with `f = (sin psi cos theta, cos psi cos theta,
//! sin theta)` the forward axis in ENU, `r0 = (cos psi, -sin psi, 0)`, `u0 = r0 x f`,
//! `right = cos phi r0 - sin phi u0`, `up = sin phi r0 + cos phi u0`, the rows of
//! `R_cam_from_enu` are `(right, -up, f)`. For an ECEF world,
//! `R_cam_from_ecef = R_cam_from_enu R_enu_from_ecef`, ENU taken at the camera centre.

use nalgebra::{Isometry3, Matrix3, Rotation3, Translation3, UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

use crate::error::{GeometryError, Result};
use crate::geodesy::{Geodetic, LocalFrame, ecef_from_geodetic, geodetic_from_ecef};

/// Below this horizontal norm of the forward axis (about 0.0002 degrees from the vertical)
/// yaw and roll are not separable: [`rotation_to_angles_deg`] then reports roll 0.
const GIMBAL_EPS: f64 = 1e-9;

/// Yaw, pitch and roll in degrees relative to local ENU at the camera.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct YawPitchRoll {
    /// Heading of the optical axis from true north, clockwise, in [0, 360).
    pub yaw_deg: f64,
    /// Elevation of the optical axis above the horizon, in [-90, 90].
    pub pitch_deg: f64,
    /// Rotation about the optical axis; positive turns the right edge down, in (-180, 180].
    pub roll_deg: f64,
}

/// `R_cam_from_enu` of yaw, pitch and roll in degrees (the crate's formula).
pub fn cam_from_enu_rotation(yaw_deg: f64, pitch_deg: f64, roll_deg: f64) -> Matrix3<f64> {
    let (sy, cy) = yaw_deg.to_radians().sin_cos();
    let (sp, cp) = pitch_deg.to_radians().sin_cos();
    let (sr, cr) = roll_deg.to_radians().sin_cos();
    let f = Vector3::new(sy * cp, cy * cp, sp);
    let r0 = Vector3::new(cy, -sy, 0.0);
    let u0 = r0.cross(&f);
    let right = r0 * cr - u0 * sr;
    let up = r0 * sr + u0 * cr;
    Matrix3::from_rows(&[right.transpose(), (-up).transpose(), f.transpose()])
}

/// The exact inverse of [`cam_from_enu_rotation`] for a rotation matrix. In gimbal lock
/// (optical axis within ~0.0002 degrees of the vertical) roll is set to 0 and the whole
/// rotation about the vertical goes into yaw; the returned angles still reproduce the matrix.
pub fn rotation_to_angles_deg(cam_from_enu: &Matrix3<f64>) -> YawPitchRoll {
    let right = cam_from_enu.row(0).transpose();
    let up = -cam_from_enu.row(1).transpose();
    let f = cam_from_enu.row(2).transpose();
    let horiz = f.x.hypot(f.y);
    let pitch = f.z.atan2(horiz);
    let (yaw, roll) = if horiz > GIMBAL_EPS {
        let yaw = f.x.atan2(f.y);
        let r0 = Vector3::new(yaw.cos(), -yaw.sin(), 0.0);
        let u0 = r0.cross(&f).normalize();
        (yaw, up.dot(&r0).atan2(up.dot(&u0)))
    } else {
        // right = (cos(psi -+ phi), -sin(psi -+ phi), 0): with phi = 0, psi from `right`.
        ((-right.y).atan2(right.x), 0.0)
    };
    let mut yaw_deg = yaw.to_degrees();
    if yaw_deg < 0.0 {
        yaw_deg += 360.0;
    }
    if yaw_deg >= 360.0 {
        yaw_deg -= 360.0;
    }
    let mut roll_deg = roll.to_degrees();
    if roll_deg <= -180.0 {
        roll_deg += 360.0;
    }
    YawPitchRoll { yaw_deg, pitch_deg: pitch.to_degrees(), roll_deg }
}

/// A camera pose: the rigid transform `cam_from_world`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraPose {
    /// `point_in_cam = R point_in_world + t`.
    pub cam_from_world: Isometry3<f64>,
}

impl CameraPose {
    /// A pose from `cam_from_world`.
    pub fn new(cam_from_world: Isometry3<f64>) -> Self {
        Self { cam_from_world }
    }

    /// A pose from a rotation matrix `R` and translation `t`, checked: finite, orthonormal to
    /// 1e-6 and determinant +1. The rotation is re-orthonormalised.
    ///
    /// # Errors
    /// [`GeometryError::NonFinite`] or [`GeometryError::NotARotation`].
    pub fn from_rotation_translation(r: &Matrix3<f64>, t: &Vector3<f64>) -> Result<Self> {
        if !(r.iter().all(|v| v.is_finite()) && t.iter().all(|v| v.is_finite())) {
            return Err(GeometryError::NonFinite { what: "pose" });
        }
        let err = (r.transpose() * r - Matrix3::identity()).abs().max();
        if err > 1e-6 || r.determinant() <= 0.0 {
            return Err(GeometryError::NotARotation { what: "cam_from_world rotation" });
        }
        let rot = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(*r));
        Ok(Self::new(Isometry3::from_parts(Translation3::from(*t), rot)))
    }

    /// A pose from its rotation and its centre `C` (then `t = -R C`).
    pub fn from_rotation_center(
        cam_from_world: UnitQuaternion<f64>,
        center: &Vector3<f64>,
    ) -> Self {
        let t = -(cam_from_world * center);
        Self::new(Isometry3::from_parts(Translation3::from(t), cam_from_world))
    }

    /// The same camera turned by `turn_deg` about the world's z axis through its centre:
    /// `R' = R Rz(turn)`, so the view direction turns clockwise seen from +z. In a local ENU
    /// world that is a turn about the plumb line that adds `turn_deg` to the yaw and keeps
    /// pitch and roll.
    pub fn turned_about_world_z(&self, turn_deg: f64) -> Self {
        let turn = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), turn_deg.to_radians());
        Self::from_rotation_center(self.cam_from_world.rotation * turn, &self.center())
    }

    /// A pose in ECEF (world = ECEF) of a camera at `position` looking along yaw, pitch and
    /// roll (degrees) relative to ENU at `position`.
    pub fn from_enu_angles(
        position: &Geodetic,
        yaw_deg: f64,
        pitch_deg: f64,
        roll_deg: f64,
    ) -> Self {
        let enu = LocalFrame::new(*position);
        let r = cam_from_enu_rotation(yaw_deg, pitch_deg, roll_deg) * enu.enu_from_ecef_rotation();
        Self::from_rotation_center(quat(&r), &ecef_from_geodetic(position))
    }

    /// A pose whose world is the local ENU `frame` (for example a region's origin), of a
    /// camera at `position` looking along yaw, pitch and roll (degrees) relative to ENU at
    /// the camera (not at the frame's origin: the two differ by the earth's curvature).
    pub fn from_enu_angles_in_frame(
        frame: &LocalFrame,
        position: &Geodetic,
        yaw_deg: f64,
        pitch_deg: f64,
        roll_deg: f64,
    ) -> Self {
        Self::from_enu_angles(position, yaw_deg, pitch_deg, roll_deg).ecef_to_frame(frame)
    }

    /// Rotation matrix `R` of `cam_from_world`.
    pub fn rotation(&self) -> Matrix3<f64> {
        self.cam_from_world.rotation.to_rotation_matrix().into_inner()
    }

    /// Translation `t` of `cam_from_world`.
    pub fn translation(&self) -> Vector3<f64> {
        self.cam_from_world.translation.vector
    }

    /// The camera centre in world coordinates, `C = -R^T t`.
    pub fn center(&self) -> Vector3<f64> {
        self.cam_from_world.inverse_transform_vector(&-self.translation())
    }

    /// The rotation of `cam_from_world` as a unit quaternion: Hamilton convention, active
    /// rotation of world vectors into the camera frame (`v_cam = q v_world q*`), the same as
    /// COLMAP's `qvec`. Written `[w, x, y, z]` (w first) wherever it goes to JSON.
    pub fn quaternion(&self) -> UnitQuaternion<f64> {
        self.cam_from_world.rotation
    }

    /// A point of the world in the camera frame.
    pub fn transform_point(&self, point_in_world: &Vector3<f64>) -> Vector3<f64> {
        self.cam_from_world.rotation * point_in_world + self.translation()
    }

    /// The geodetic position of the centre, for a pose whose world is ECEF.
    pub fn position(&self) -> Geodetic {
        geodetic_from_ecef(&self.center())
    }

    /// Yaw, pitch and roll relative to ENU at the camera centre, for a pose whose world is
    /// ECEF: the exact inverse of [`Self::from_enu_angles`] (see [`rotation_to_angles_deg`]
    /// for gimbal lock). Within about 1e-9 degrees of a pole the ECEF centre no longer
    /// carries the longitude that orients ENU there, and yaw is relative to the meridian of
    /// the longitude [`geodetic_from_ecef`] returns.
    pub fn angles_deg(&self) -> YawPitchRoll {
        let enu = LocalFrame::from_ecef(&self.center());
        rotation_to_angles_deg(&(self.rotation() * enu.ecef_from_enu_rotation()))
    }

    /// Yaw, pitch and roll relative to ENU at the camera centre, for a pose whose world is the
    /// local ENU `frame`.
    pub fn angles_deg_in_frame(&self, frame: &LocalFrame) -> YawPitchRoll {
        self.frame_to_ecef(frame).angles_deg()
    }

    /// The same camera with world = ECEF, for a pose whose world is the local ENU `frame`:
    /// `cam_from_ecef = cam_from_frame frame_from_ecef`.
    pub fn frame_to_ecef(&self, frame: &LocalFrame) -> Self {
        let r = self.rotation() * frame.enu_from_ecef_rotation();
        let center = frame.ecef_from_enu(&self.center());
        Self::from_rotation_center(quat(&r), &center)
    }

    /// The same camera with world = the local ENU `frame`, for a pose whose world is ECEF:
    /// `cam_from_frame = cam_from_ecef ecef_from_frame`.
    pub fn ecef_to_frame(&self, frame: &LocalFrame) -> Self {
        let r = self.rotation() * frame.ecef_from_enu_rotation();
        let center = frame.enu_from_ecef(&self.center());
        Self::from_rotation_center(quat(&r), &center)
    }
}

/// The unit quaternion of a (numerically) orthonormal matrix.
fn quat(r: &Matrix3<f64>) -> UnitQuaternion<f64> {
    UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(*r))
}
