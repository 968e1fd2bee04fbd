//! What the phone knows before localization: GPS, compass, accelerometer, lens.
//!
//! All priors are optional except the GPS position. Angles are in degrees relative to local
//! ENU at the camera (DESIGN.md); the gravity vector is in the camera frame of the image as
//! passed to the localizer (x right, y down, z forward), pointing down.

// Negated comparisons (`!(x > 0.0)`) are deliberate: they also reject NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use lsar_geometry::Geodetic;
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// A compass heading of the optical axis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeadingPrior {
    /// Yaw of the optical axis, degrees clockwise from true north.
    pub yaw_deg: f64,
    /// One-sigma accuracy, degrees (phone compasses: 5-10).
    pub accuracy_deg: f64,
}

/// Where a field-of-view prior comes from; it decides how much it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FovSource {
    /// Given by the user or a calibrated camera: treated as exact (P3P, focal not refined).
    Exact,
    /// Derived from EXIF (focal length, 35 mm equivalent): a prior good to
    /// [`FovPrior::max_ratio`] on the focal length.
    Exif,
}

/// A prior on the horizontal field of view of the image as passed to the localizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FovPrior {
    /// Horizontal field of view, degrees, in (0, 180).
    pub hfov_deg: f64,
    /// Where it comes from.
    pub source: FovSource,
    /// For [`FovSource::Exif`]: the largest accepted ratio between the estimated and the prior
    /// focal length (> 1; 1.15 by default).
    pub max_ratio: f64,
}

impl FovPrior {
    /// An exact horizontal FOV in degrees.
    pub fn exact(hfov_deg: f64) -> Self {
        Self { hfov_deg, source: FovSource::Exact, max_ratio: 1.0 }
    }

    /// A prior from a focal length in pixels of an image `width` pixels wide
    /// (`hfov = 2 atan((W/2) / f)`); exact or EXIF-like per `source`.
    pub fn from_focal_px(width: u32, focal_px: f64, source: FovSource) -> Self {
        let hfov_deg = lsar_geometry::camera::hfov_deg_from_focal(width, focal_px);
        match source {
            FovSource::Exact => Self::exact(hfov_deg),
            FovSource::Exif => Self::exif(hfov_deg),
        }
    }

    /// An EXIF-derived horizontal FOV in degrees, trusted to 15 % on the focal length.
    pub fn exif(hfov_deg: f64) -> Self {
        Self { hfov_deg, source: FovSource::Exif, max_ratio: 1.15 }
    }
}

/// The priors of one localization.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Priors {
    /// GPS position; `height` in metres above the WGS84 ellipsoid. Latitude and longitude
    /// find the viewpoints; the whole fix is the camera-centre hypothesis of the GPS-anchored
    /// first solve ([`super::LocalizerOptions::gps_anchor`]).
    pub gps: Geodetic,
    /// One-sigma horizontal GPS accuracy, metres (> 0).
    pub gps_accuracy_m: f64,
    /// Compass heading, if any.
    pub heading: Option<HeadingPrior>,
    /// Unit vector pointing down in the camera frame (accelerometer), if any.
    pub gravity_down_in_cam: Option<[f64; 3]>,
    /// Horizontal field of view, if known.
    pub fov: Option<FovPrior>,
}

impl Priors {
    /// Priors with only a GPS position (metres of one-sigma accuracy).
    pub fn from_gps(gps: Geodetic, gps_accuracy_m: f64) -> Self {
        Self { gps, gps_accuracy_m, heading: None, gravity_down_in_cam: None, fov: None }
    }

    /// Checks every value: finite, latitude in [-90, 90], longitude in [-180, 360], accuracy
    /// > 0, heading accuracy > 0, gravity non-zero, FOV in (0, 180) and ratio > 1 for EXIF.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] naming the prior.
    pub fn validate(&self) -> Result<()> {
        let bad = |what| Err(CoreError::InvalidInput { what });
        let g = &self.gps;
        if !(g.lat.is_finite() && g.lon.is_finite() && g.height.is_finite()) {
            return bad("gps position not finite");
        }
        if !((-90.0..=90.0).contains(&g.lat) && (-180.0..=360.0).contains(&g.lon)) {
            return bad("gps latitude or longitude out of range");
        }
        if !(self.gps_accuracy_m.is_finite() && self.gps_accuracy_m > 0.0) {
            return bad("gps accuracy must be a positive number of metres");
        }
        if let Some(h) = &self.heading
            && !(h.yaw_deg.is_finite() && h.accuracy_deg.is_finite() && h.accuracy_deg > 0.0)
        {
            return bad("heading prior not finite or accuracy not positive");
        }
        if let Some(d) = &self.gravity_down_in_cam {
            let v = Vector3::from(*d);
            if !(v.iter().all(|x| x.is_finite()) && v.norm() > 1e-9) {
                return bad("gravity vector zero or not finite");
            }
        }
        if let Some(f) = &self.fov {
            if !(f.hfov_deg > 0.0 && f.hfov_deg < 180.0) {
                return bad("fov prior must be in (0, 180) degrees");
            }
            if f.source == FovSource::Exif && !(f.max_ratio > 1.0 && f.max_ratio.is_finite()) {
                return bad("exif fov prior ratio must be > 1");
            }
        }
        Ok(())
    }

    /// The gravity prior as a unit vector in the camera frame.
    pub fn gravity_unit(&self) -> Option<Vector3<f64>> {
        self.gravity_down_in_cam.and_then(|d| Vector3::from(d).try_normalize(1e-12))
    }
}

/// Signed difference `a - b` of two angles in degrees, wrapped to (-180, 180].
pub fn angle_diff_deg(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_catches_absurd_values() {
        let ok = Priors::from_gps(Geodetic::new(46.0, 7.0, 1000.0), 20.0);
        assert!(ok.validate().is_ok());
        let mut p = ok;
        p.gps.lat = 200.0;
        assert!(p.validate().is_err());
        p = ok;
        p.gps.lon = f64::NAN;
        assert!(p.validate().is_err());
        p = ok;
        p.gps_accuracy_m = 0.0;
        assert!(p.validate().is_err());
        p = ok;
        p.gravity_down_in_cam = Some([0.0; 3]);
        assert!(p.validate().is_err());
        p = ok;
        p.fov = Some(FovPrior::exact(180.0));
        assert!(p.validate().is_err());
        p = ok;
        p.heading = Some(HeadingPrior { yaw_deg: 10.0, accuracy_deg: f64::NAN });
        assert!(p.validate().is_err());
    }

    #[test]
    fn fov_from_focal() {
        let f = FovPrior::from_focal_px(1000, 500.0, FovSource::Exact);
        assert!((f.hfov_deg - 90.0).abs() < 1e-9);
        assert_eq!(f.source, FovSource::Exact);
    }

    #[test]
    fn angle_difference_wraps() {
        assert!((angle_diff_deg(350.0, 10.0) + 20.0).abs() < 1e-12);
        assert!((angle_diff_deg(10.0, 350.0) - 20.0).abs() < 1e-12);
        assert!((angle_diff_deg(180.0, 0.0) - 180.0).abs() < 1e-12);
    }
}
