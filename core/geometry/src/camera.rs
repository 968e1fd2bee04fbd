//! The pinhole camera: one focal length in pixels, a principal point, optional radial
//! distortion `k1`, `k2` on normalised coordinates.
//!
//! Pixel `(0, 0)` is the centre of the top-left pixel; x right, y down, z forward.
//! Projection of `point_in_cam = (X, Y, Z)` with `Z > 0`:
//! `n = (X/Z, Y/Z)`, `d = n (1 + k1 r^2 + k2 r^4)` with `r^2 = |n|^2`, `pixel = f d + pp`.

use nalgebra::{Vector2, Vector3};
use serde::{Deserialize, Serialize};

use crate::error::{GeometryError, Result};

/// Intrinsics of a pinhole camera with optional two-parameter radial distortion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Focal length in pixels (the same in x and y).
    pub focal_px: f64,
    /// Principal point in pixels, `(0, 0)` being the centre of the top-left pixel.
    pub principal_point: Vector2<f64>,
    /// First radial distortion coefficient (normalised coordinates).
    pub k1: f64,
    /// Second radial distortion coefficient (normalised coordinates).
    pub k2: f64,
}

impl Camera {
    /// A distortion-free camera with the principal point at the image centre
    /// `((W-1)/2, (H-1)/2)`.
    pub fn new(width: u32, height: u32, focal_px: f64) -> Self {
        Self {
            width,
            height,
            focal_px,
            principal_point: Self::centre_of(width, height),
            k1: 0.0,
            k2: 0.0,
        }
    }

    /// A distortion-free camera with a horizontal field of view in degrees.
    pub fn from_hfov_deg(width: u32, height: u32, hfov_deg: f64) -> Self {
        Self::new(width, height, focal_from_hfov_deg(width, hfov_deg))
    }

    /// The image centre in pixel coordinates: `((W-1)/2, (H-1)/2)`.
    pub fn centre_of(width: u32, height: u32) -> Vector2<f64> {
        Vector2::new((f64::from(width) - 1.0) / 2.0, (f64::from(height) - 1.0) / 2.0)
    }

    /// Checks sizes, focal length and coefficients.
    ///
    /// # Errors
    /// [`GeometryError::InvalidCamera`] for a zero size or a non-positive or non-finite focal
    /// length; [`GeometryError::NonFinite`] for a non-finite principal point or coefficient.
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(GeometryError::InvalidCamera { reason: "zero image size" });
        }
        if !(self.focal_px.is_finite() && self.focal_px > 0.0) {
            return Err(GeometryError::InvalidCamera { reason: "focal length must be positive" });
        }
        if !(self.principal_point.iter().all(|v| v.is_finite())
            && self.k1.is_finite()
            && self.k2.is_finite())
        {
            return Err(GeometryError::NonFinite { what: "camera intrinsics" });
        }
        Ok(())
    }

    /// Horizontal field of view in degrees: `2 atan((W/2) / f)`.
    pub fn hfov_deg(&self) -> f64 {
        hfov_deg_from_focal(self.width, self.focal_px)
    }

    /// Whether the camera has non-zero distortion.
    pub fn has_distortion(&self) -> bool {
        self.k1 != 0.0 || self.k2 != 0.0
    }

    /// Applies radial distortion to normalised coordinates.
    pub fn distort(&self, n: &Vector2<f64>) -> Vector2<f64> {
        let r2 = n.norm_squared();
        n * (1.0 + self.k1 * r2 + self.k2 * r2 * r2)
    }

    /// Inverts [`Self::distort`] by Newton's method on the radius (exact for the
    /// distortion-free case). Returns `None` where the model is not invertible (the radial
    /// map is not monotonic there) or the iteration fails to converge.
    pub fn undistort(&self, d: &Vector2<f64>) -> Option<Vector2<f64>> {
        if !self.has_distortion() {
            return Some(*d);
        }
        let rd = d.norm();
        if rd == 0.0 {
            return Some(*d);
        }
        // Solve g(r) = r (1 + k1 r^2 + k2 r^4) - rd = 0.
        let mut r = rd;
        for _ in 0..50 {
            let r2 = r * r;
            let g = r * (1.0 + self.k1 * r2 + self.k2 * r2 * r2) - rd;
            let dg = 1.0 + 3.0 * self.k1 * r2 + 5.0 * self.k2 * r2 * r2;
            if dg <= 0.0 {
                return None;
            }
            let step = g / dg;
            r -= step;
            if step.abs() <= 1e-15 * r.abs().max(1e-12) {
                return (r > 0.0).then(|| d * (r / rd));
            }
        }
        None
    }

    /// Pixel of a point in the camera frame, or `None` if it is not in front of the camera
    /// (`Z <= 0`) or not finite. The pixel may lie outside the image.
    pub fn project(&self, point_in_cam: &Vector3<f64>) -> Option<Vector2<f64>> {
        // Written so that a NaN depth is rejected too.
        if point_in_cam.z.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let n = Vector2::new(point_in_cam.x / point_in_cam.z, point_in_cam.y / point_in_cam.z);
        let pixel = self.distort(&n) * self.focal_px + self.principal_point;
        pixel.iter().all(|v| v.is_finite()).then_some(pixel)
    }

    /// Normalised, undistorted coordinates `(X/Z, Y/Z)` of a pixel.
    pub fn normalized_from_pixel(&self, pixel: &Vector2<f64>) -> Option<Vector2<f64>> {
        self.undistort(&((pixel - self.principal_point) / self.focal_px))
    }

    /// The unit ray through a pixel, in the camera frame (z > 0).
    pub fn unproject(&self, pixel: &Vector2<f64>) -> Option<Vector3<f64>> {
        let n = self.normalized_from_pixel(pixel)?;
        Some(Vector3::new(n.x, n.y, 1.0).normalize())
    }

    /// The 3D point at z-depth `depth` (metres along the optical axis) seen at `pixel`.
    pub fn unproject_depth(&self, pixel: &Vector2<f64>, depth: f64) -> Option<Vector3<f64>> {
        let n = self.normalized_from_pixel(pixel)?;
        Some(Vector3::new(n.x * depth, n.y * depth, depth))
    }

    /// The camera for the image resized by `scale`, under the pixel-centre convention
    /// `x' = (x + 0.5) s - 0.5`; the new size is `round(W s) x round(H s)` (at least 1).
    /// Distortion is on normalised coordinates and so unchanged.
    pub fn resized(&self, scale: f64) -> Self {
        Self {
            width: resized_len(self.width, scale),
            height: resized_len(self.height, scale),
            focal_px: self.focal_px * scale,
            principal_point: self.principal_point.map(|v| (v + 0.5) * scale - 0.5),
            k1: self.k1,
            k2: self.k2,
        }
    }
}

fn resized_len(len: u32, scale: f64) -> u32 {
    let v = (f64::from(len) * scale).round();
    if v < 1.0 {
        1
    } else if v > f64::from(u32::MAX) {
        u32::MAX
    } else {
        // In range by the checks above.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v as u32;
        n
    }
}

/// Focal length in pixels for an image `width` wide with horizontal FOV `hfov_deg`:
/// `f = (W/2) / tan(hfov/2)`.
pub fn focal_from_hfov_deg(width: u32, hfov_deg: f64) -> f64 {
    (f64::from(width) / 2.0) / (hfov_deg.to_radians() / 2.0).tan()
}

/// Horizontal FOV in degrees for a focal length in pixels: `2 atan((W/2) / f)`.
pub fn hfov_deg_from_focal(width: u32, focal_px: f64) -> f64 {
    2.0 * (f64::from(width) / 2.0 / focal_px).atan().to_degrees()
}
