//! The one JSON shape of a camera (DESIGN.md), used by every tool and binding:
//!
//! ```json
//! { "width": 1024, "height": 768, "focal_px": 886.8, "fov_deg": 60.0,
//!   "principal_point": [511.5, 383.5], "k1": 0.0, "k2": 0.0,
//!   "cam_from_world": { "rotation": [[1,0,0],[0,1,0],[0,0,1]], "translation": [0,0,0] },
//!   "camera_center": [0, 0, 0], "frame": "ecef",
//!   "position": { "lat": 46.1, "lon": 7.2, "height": 2950.1, "elevation_msl": 2902.6 },
//!   "yaw_deg": 212.0, "pitch_deg": 3.5, "roll_deg": -1.0 }
//! ```
//!
//! **Extra keys.** Tools add their own keys (inliers, errors, timings) beside these. On read,
//! unknown keys are ignored (serde's default); to write extra keys, a tool embeds
//! [`CameraJson`] with `#[serde(flatten)]` in its own struct. `position` and the angles are
//! written only for `"frame": "ecef"` and are optional on read.
//!
//! **Authority.** `focal_px`, `principal_point`, `k1`, `k2` and `cam_from_world` define the
//! camera; `fov_deg`, `camera_center`, `position` and the angles are derived and checked by
//! [`CameraJson::to_parts`] with tolerances loose enough for values rounded for display:
//! FOV 0.01 degrees, centre 1 mm (+1e-9 relative), position 1 cm, angles 0.01 degrees (as
//! the angle between the two rotations, so gimbal lock is no problem).

use nalgebra::{Matrix3, Vector2, Vector3};
use serde::{Deserialize, Serialize};

use crate::camera::Camera;
use crate::error::{GeometryError, Result};
use crate::geodesy::{Geodetic, ecef_from_geodetic, egm96_undulation};
use crate::pose::{CameraPose, cam_from_enu_rotation};

/// What the world coordinates of a camera JSON are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonFrame {
    /// ECEF metres (WGS84); `position` and the angles are given.
    Ecef,
    /// Whatever Cartesian frame the user gave; no `position`, no angles.
    Input,
}

/// The `cam_from_world` object: `rotation` as nested rows, `translation`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoseJson {
    /// `R` as three rows.
    pub rotation: [[f64; 3]; 3],
    /// `t`.
    pub translation: [f64; 3],
}

/// The `position` object (frame "ecef" only).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PositionJson {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub height: f64,
    /// Height above sea level (EGM96), metres.
    pub elevation_msl: f64,
}

/// A camera (intrinsics and pose) in DESIGN.md's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraJson {
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Focal length, pixels.
    pub focal_px: f64,
    /// Horizontal field of view, degrees (derived from `focal_px`).
    pub fov_deg: f64,
    /// Principal point, pixels; `(0, 0)` is the centre of the top-left pixel.
    pub principal_point: [f64; 2],
    /// Radial distortion `k1`.
    pub k1: f64,
    /// Radial distortion `k2`.
    pub k2: f64,
    /// The pose.
    pub cam_from_world: PoseJson,
    /// The camera centre `-R^T t` in world coordinates (derived).
    pub camera_center: [f64; 3],
    /// The world frame.
    pub frame: JsonFrame,
    /// The centre as a geodetic position (frame "ecef" only; derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<PositionJson>,
    /// Yaw relative to ENU at the camera, degrees (frame "ecef" only; derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yaw_deg: Option<f64>,
    /// Pitch, degrees (frame "ecef" only; derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitch_deg: Option<f64>,
    /// Roll, degrees (frame "ecef" only; derived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_deg: Option<f64>,
}

impl CameraJson {
    /// The JSON form of a camera and pose. For [`JsonFrame::Ecef`] the position, its height
    /// above sea level (exact EGM96, about a millisecond) and the angles are filled in.
    pub fn from_parts(camera: &Camera, pose: &CameraPose, frame: JsonFrame) -> Self {
        let undulation = match frame {
            JsonFrame::Ecef => {
                let p = pose.position();
                egm96_undulation(p.lat, p.lon)
            }
            JsonFrame::Input => 0.0,
        };
        Self::from_parts_with_undulation(camera, pose, frame, undulation)
    }

    /// As [`Self::from_parts`] with the geoid undulation at the camera given (e.g. from a
    /// [`crate::geodesy::GeoidGrid`]); ignored for [`JsonFrame::Input`].
    pub fn from_parts_with_undulation(
        camera: &Camera,
        pose: &CameraPose,
        frame: JsonFrame,
        undulation: f64,
    ) -> Self {
        let r = pose.rotation();
        let t = pose.translation();
        let c = pose.center();
        let mut json = Self {
            width: camera.width,
            height: camera.height,
            focal_px: camera.focal_px,
            fov_deg: camera.hfov_deg(),
            principal_point: [camera.principal_point.x, camera.principal_point.y],
            k1: camera.k1,
            k2: camera.k2,
            cam_from_world: PoseJson {
                rotation: [
                    [r[(0, 0)], r[(0, 1)], r[(0, 2)]],
                    [r[(1, 0)], r[(1, 1)], r[(1, 2)]],
                    [r[(2, 0)], r[(2, 1)], r[(2, 2)]],
                ],
                translation: [t.x, t.y, t.z],
            },
            camera_center: [c.x, c.y, c.z],
            frame,
            position: None,
            yaw_deg: None,
            pitch_deg: None,
            roll_deg: None,
        };
        if frame == JsonFrame::Ecef {
            let p = pose.position();
            let a = pose.angles_deg();
            json.position = Some(PositionJson {
                lat: p.lat,
                lon: p.lon,
                height: p.height,
                elevation_msl: p.height - undulation,
            });
            json.yaw_deg = Some(a.yaw_deg);
            json.pitch_deg = Some(a.pitch_deg);
            json.roll_deg = Some(a.roll_deg);
        }
        json
    }

    /// The camera and pose, validated: the camera as [`Camera::validate`], the rotation
    /// finite and orthonormal with determinant +1 (to 1e-6), and the derived fields
    /// consistent with them (tolerances in the module docs).
    ///
    /// # Errors
    /// [`GeometryError::InvalidCamera`], [`GeometryError::NonFinite`],
    /// [`GeometryError::NotARotation`] or [`GeometryError::Inconsistent`] naming the field.
    pub fn to_parts(&self) -> Result<(Camera, CameraPose)> {
        let camera = Camera {
            width: self.width,
            height: self.height,
            focal_px: self.focal_px,
            principal_point: Vector2::new(self.principal_point[0], self.principal_point[1]),
            k1: self.k1,
            k2: self.k2,
        };
        camera.validate()?;
        let rot = &self.cam_from_world.rotation;
        let r = Matrix3::from_fn(|i, j| rot[i][j]);
        let t = Vector3::from(self.cam_from_world.translation);
        let pose = CameraPose::from_rotation_translation(&r, &t)?;
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        if !finite(&[self.fov_deg]) || !finite(&self.camera_center) {
            return Err(GeometryError::NonFinite { what: "fov_deg or camera_center" });
        }
        if (self.fov_deg - camera.hfov_deg()).abs() > 0.01 {
            return Err(GeometryError::Inconsistent { what: "fov_deg and focal_px" });
        }
        let c = pose.center();
        let given_c = Vector3::from(self.camera_center);
        if (c - given_c).norm() > 1e-3 + 1e-9 * c.norm() {
            return Err(GeometryError::Inconsistent { what: "camera_center and cam_from_world" });
        }
        match self.frame {
            JsonFrame::Input => {
                if self.position.is_some() || self.yaw_deg.is_some() {
                    return Err(GeometryError::Inconsistent {
                        what: "frame \"input\" with position or angles",
                    });
                }
            }
            JsonFrame::Ecef => self.check_ecef_fields(&pose)?,
        }
        Ok((camera, pose))
    }

    fn check_ecef_fields(&self, pose: &CameraPose) -> Result<()> {
        if let Some(p) = &self.position {
            if !finite4(p) {
                return Err(GeometryError::NonFinite { what: "position" });
            }
            let given = ecef_from_geodetic(&Geodetic::new(p.lat, p.lon, p.height));
            if (given - pose.center()).norm() > 0.01 {
                return Err(GeometryError::Inconsistent { what: "position and cam_from_world" });
            }
        }
        let angles = [self.yaw_deg, self.pitch_deg, self.roll_deg];
        match angles {
            [None, None, None] => Ok(()),
            [Some(y), Some(p), Some(r)] => {
                if !(y.is_finite() && p.is_finite() && r.is_finite()) {
                    return Err(GeometryError::NonFinite { what: "yaw, pitch or roll" });
                }
                let enu = crate::geodesy::LocalFrame::from_ecef(&pose.center());
                let from_angles = cam_from_enu_rotation(y, p, r);
                let actual = pose.rotation() * enu.ecef_from_enu_rotation();
                let cos =
                    (((from_angles.transpose() * actual).trace() - 1.0) / 2.0).clamp(-1.0, 1.0);
                if cos.acos().to_degrees() > 0.01 {
                    return Err(GeometryError::Inconsistent { what: "angles and cam_from_world" });
                }
                Ok(())
            }
            _ => {
                Err(GeometryError::Inconsistent { what: "yaw, pitch and roll must come together" })
            }
        }
    }
}

fn finite4(p: &PositionJson) -> bool {
    [p.lat, p.lon, p.height, p.elevation_msl].iter().all(|v| v.is_finite())
}
