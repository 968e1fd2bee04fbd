//! # lsar-geometry
//!
//! Everything geometric in lsar, in `f64` with nalgebra: geodesy (WGS84 geodetic, ECEF,
//! local ENU, UTM, EGM96 heights), the pinhole camera and its pose, the minimal absolute-pose
//! solvers, the one generic LO-RANSAC and Levenberg-Marquardt refinement. This crate knows
//! nothing of images, packs or neural networks.
//!
//! ## Conventions (the same text stands in ARCHITECTURE.md)
//!
//! - **Frames.** Geodetic WGS84 in degrees with `height` in metres above the WGS84
//!   ellipsoid; ECEF in metres; local ENU (east, north, up) anchored at an origin kept in full
//!   `f64`. Heights above sea level (EGM96 geoid) are called `elevation_msl`.
//! - **Names say frames.** A transform that maps frame `a` into frame `b` is `b_from_a`; a
//!   point expressed in frame `c` is `point_in_c`.
//! - **Camera.** x right, y down, z forward (OpenCV/COLMAP). Pixel `(0, 0)` is the centre of
//!   the top-left pixel, so the default principal point is `((W-1)/2, (H-1)/2)` and a resize by
//!   `s` maps `x' = (x + 0.5) s - 0.5`. One focal length `f` in pixels, optional radial `k1`,
//!   `k2` on normalised coordinates. FOV means horizontal FOV: `f = (W/2) / tan(hfov/2)`.
//! - **Pose.** `cam_from_world = (R, t)` maps `point_in_cam = R point_in_world + t`; the
//!   camera centre is `-R^T t`.
//! - **Angles** are relative to local ENU at the camera. Yaw `psi`: heading of the optical
//!   axis from true north, clockwise (east = 90). Pitch `theta`: optical axis above the
//!   horizon positive. Roll `phi`: positive turns the camera clockwise as seen by the
//!   photographer (the right edge of the image goes down). With
//!   `f = (sin psi cos theta, cos psi cos theta, sin theta)` the forward axis in ENU,
//!   `r0 = (cos psi, -sin psi, 0)` and `u0 = r0 x f`: `right = cos phi r0 - sin phi u0`,
//!   `up = sin phi r0 + cos phi u0`, and the rows of `R_cam_from_enu` are `(right, -up, f)`.
//! - **Gravity prior.** A unit vector pointing down, in the camera frame.
//! - **Solvers** centre and scale their inputs internally: terrain points sit kilometres away
//!   and ECEF coordinates are ~6.4e6 m.
#![deny(missing_docs)]

pub mod absolute_pose;
pub mod camera;
pub mod camera_json;
pub mod error;
pub mod geodesy;
pub mod pose;
pub mod ransac;
pub mod refine;
pub mod solvers;

pub use absolute_pose::{
    AbsolutePoseEstimate, AbsolutePoseOptions, FocalMode, estimate_absolute_pose,
};
pub use camera::Camera;
pub use camera_json::CameraJson;
pub use error::{GeometryError, Result};
pub use geodesy::{Geodetic, LocalFrame};
pub use pose::CameraPose;
