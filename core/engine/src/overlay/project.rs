//! Projection of POIs into a photo whose camera pose is known in ECEF: pixel, distances,
//! bearing, elevation angle, and the in-front and inside-image tests.
//!
//! A point behind the camera (or in its plane, or beyond the range where the lens model's
//! radial distortion is monotonic and so invertible) has no pixel and never counts as inside
//! the image: a pinhole projects points behind the camera to plausible-looking pixels
//! (mirrored through the principal point), which is how LandscapeAR's visibility test let them
//! through.

use lsar_geometry::geodesy::geodesic_inverse;
use lsar_geometry::{Camera, CameraPose, Geodetic, LocalFrame};
use nalgebra::{Vector2, Vector3};
use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::overlay::poi::ResolvedPoi;

/// Where a POI falls in the photo and how it lies from the camera.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PoiProjection {
    /// The POI in the camera frame (x right, y down, z forward), metres.
    pub point_in_cam: Vector3<f64>,
    /// The POI in the ENU frame at the camera centre (east, north, up), metres.
    pub point_in_enu: Vector3<f64>,
    /// Pixel `(x, y)`, `(0, 0)` the centre of the top-left pixel; `None` behind the camera
    /// or beyond the valid range of the distortion model. May lie outside the image.
    pub pixel: Option<Vector2<f64>>,
    /// Whether the POI is in front of the camera (`z > 0` in the camera frame).
    pub in_front: bool,
    /// Whether the pixel exists and lies inside the image,
    /// `[-0.5, W - 0.5] x [-0.5, H - 0.5]` (pixel edges, not centres).
    pub in_image: bool,
    /// Length of the geodesic on the WGS84 ellipsoid between the camera's and the POI's
    /// latitude and longitude, metres (heights ignored: the map distance).
    pub distance_m: f64,
    /// Straight-line (3D) distance from the camera centre to the POI, metres.
    pub slant_distance_m: f64,
    /// Azimuth of the geodesic at the camera, degrees clockwise from true north, [0, 360).
    pub bearing_deg: f64,
    /// Angle of the line of sight above the horizontal plane at the camera (the plane
    /// through the camera perpendicular to the ellipsoid normal there, i.e. ENU's east-north
    /// plane), degrees, geometric (no atmospheric refraction). Includes the earth's
    /// curvature: a POI at the camera's height `d` metres away lies about `d / (2 R)` radians
    /// below 0.
    pub elevation_angle_deg: f64,
}

/// Projects POIs for one camera and pose (world = ECEF); build one per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Projector {
    camera: Camera,
    pose: CameraPose,
    center_ecef: Vector3<f64>,
    position: Geodetic,
    enu: LocalFrame,
    /// Squared normalised radius below which the radial distortion is monotonic.
    max_radius_sq: f64,
}

impl Projector {
    /// A projector for intrinsics `camera` and pose `cam_from_world` with world = ECEF.
    ///
    /// # Errors
    /// [`CoreError::Geometry`] for invalid intrinsics; [`CoreError::InvalidInput`] for a
    /// non-finite pose.
    pub fn new(camera: &Camera, pose: &CameraPose) -> Result<Self> {
        camera.validate()?;
        let finite = pose.rotation().iter().chain(pose.translation().iter()).all(|v| v.is_finite());
        if !finite {
            return Err(CoreError::InvalidInput { what: "camera pose is not finite" });
        }
        let center_ecef = pose.center();
        let enu = LocalFrame::from_ecef(&center_ecef);
        Ok(Self {
            camera: *camera,
            pose: *pose,
            center_ecef,
            position: enu.origin(),
            enu,
            max_radius_sq: monotonic_radius_sq(camera.k1, camera.k2),
        })
    }

    /// The intrinsics.
    pub fn camera(&self) -> &Camera {
        &self.camera
    }

    /// The pose (`cam_from_world`, world = ECEF).
    pub fn pose(&self) -> &CameraPose {
        &self.pose
    }

    /// The camera centre in ECEF metres.
    pub fn center_ecef(&self) -> Vector3<f64> {
        self.center_ecef
    }

    /// The camera centre as latitude, longitude (degrees) and ellipsoidal height (metres).
    pub fn position(&self) -> Geodetic {
        self.position
    }

    /// Pixel of a point in the camera frame under the checks of this module: `None` unless
    /// `z > 0`, the normalised radius is inside the monotonic range of the distortion, and the
    /// result is finite.
    pub fn pixel_of(&self, point_in_cam: &Vector3<f64>) -> Option<Vector2<f64>> {
        if point_in_cam.z.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let n = Vector2::new(point_in_cam.x / point_in_cam.z, point_in_cam.y / point_in_cam.z);
        if n.norm_squared() >= self.max_radius_sq {
            return None;
        }
        self.camera.project(point_in_cam)
    }

    /// Whether a pixel lies inside the image (between the outer edges of the border pixels).
    pub fn inside_image(&self, pixel: &Vector2<f64>) -> bool {
        let (w, h) = (f64::from(self.camera.width), f64::from(self.camera.height));
        (-0.5..=w - 0.5).contains(&pixel.x) && (-0.5..=h - 0.5).contains(&pixel.y)
    }

    /// Projects one resolved POI.
    pub fn project(&self, poi: &ResolvedPoi) -> PoiProjection {
        let point_in_cam = self.pose.transform_point(&poi.ecef);
        let point_in_enu = self.enu.enu_from_ecef(&poi.ecef);
        let pixel = self.pixel_of(&point_in_cam);
        let in_image = pixel.is_some_and(|p| self.inside_image(&p));
        let geodesic = geodesic_inverse(&self.position, &poi.position);
        let horizontal = point_in_enu.x.hypot(point_in_enu.y);
        PoiProjection {
            point_in_cam,
            point_in_enu,
            pixel,
            in_front: point_in_cam.z > 0.0,
            in_image,
            distance_m: geodesic.distance_m,
            slant_distance_m: (poi.ecef - self.center_ecef).norm(),
            bearing_deg: geodesic.azimuth1_deg,
            elevation_angle_deg: point_in_enu.z.atan2(horizontal).to_degrees(),
        }
    }
}

/// The squared normalised radius `s = r^2` up to which `r (1 + k1 s + k2 s^2)` increases
/// with `r`: the smallest positive root of `1 + 3 k1 s + 5 k2 s^2`, or infinity if none.
/// Beyond it the distorted image folds back, and points far outside the field of view would
/// land inside the image.
fn monotonic_radius_sq(k1: f64, k2: f64) -> f64 {
    let (a, b, c) = (5.0 * k2, 3.0 * k1, 1.0);
    let roots: [f64; 2] = if a == 0.0 {
        if b < 0.0 { [-c / b, f64::INFINITY] } else { [f64::INFINITY; 2] }
    } else {
        let disc = b * b - 4.0 * a * c;
        if disc < 0.0 {
            [f64::INFINITY; 2]
        } else {
            let sq = disc.sqrt();
            [(-b - sq) / (2.0 * a), (-b + sq) / (2.0 * a)]
        }
    };
    roots.into_iter().filter(|s| *s > 0.0).fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::monotonic_radius_sq;

    #[test]
    fn monotonic_range_of_radial_distortion() {
        assert!(monotonic_radius_sq(0.0, 0.0).is_infinite());
        assert!(monotonic_radius_sq(0.1, 0.01).is_infinite());
        // k1 < 0, k2 = 0: d/dr = 1 + 3 k1 r^2 = 0 at r^2 = -1 / (3 k1).
        assert!((monotonic_radius_sq(-0.2, 0.0) - 1.0 / 0.6).abs() < 1e-12);
        // k1 = 0, k2 < 0: 1 + 5 k2 s^2 = 0 at s = sqrt(-1 / (5 k2)).
        assert!((monotonic_radius_sq(0.0, -0.05) - 2.0).abs() < 1e-12);
        let s = monotonic_radius_sq(-0.3, 0.02);
        assert!((1.0 + 3.0 * -0.3 * s + 5.0 * 0.02 * s * s).abs() < 1e-12);
    }
}
