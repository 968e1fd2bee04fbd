//! Plain records crossing the boundary, mirrored from lsar-core with `From`/`TryFrom` (the
//! core types stay free of UniFFI). Units and frames as in DESIGN.md: degrees, metres,
//! `height` above the WGS84 ellipsoid, `elevation_msl` above sea level (EGM96).

use lsar_core::geometry::Geodetic;
use lsar_core::geometry::camera_json::{CameraJson, JsonFrame, PoseJson, PositionJson};
use lsar_core::localizer::{FovPrior as CoreFov, HeadingPrior as CoreHeading};

use crate::error::ApiError;

/// A WGS84 position: degrees, `height` in metres above the ellipsoid (Android GPS altitude;
/// convert iOS altitude, which is above sea level).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct GeoPosition {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
    /// Metres above the WGS84 ellipsoid.
    pub height: f64,
}

/// A compass heading prior (phone compasses are off by 5-10 degrees).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct HeadingPrior {
    /// Heading of the optical axis, degrees clockwise from true north.
    pub yaw_deg: f64,
    /// One-sigma accuracy, degrees.
    pub accuracy_deg: f64,
}

/// Where a FOV prior comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FovSource {
    /// Known exactly (calibrated camera): the focal length is fixed.
    Exact,
    /// From EXIF or the camera API: the focal length may differ by up to 15 %.
    Exif,
}

/// A horizontal field-of-view prior.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct FovPrior {
    /// Horizontal FOV of the upright frame, degrees.
    pub hfov_deg: f64,
    /// How much to trust it.
    pub source: FovSource,
}

/// A vector in the camera frame (x right, y down, z forward).
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Vec3 {
    /// x (right).
    pub x: f64,
    /// y (down).
    pub y: f64,
    /// z (forward).
    pub z: f64,
}

/// What the phone knows besides the pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Priors {
    /// GPS fix, with the GPS altitude as `height`: the Localizer takes the whole fix as the
    /// camera centre of its first solve (an altitude tens of metres off is fine; a fix far
    /// off in height only costs that solve, which then falls back to one without the fix).
    pub gps: GeoPosition,
    /// GPS horizontal accuracy, metres (one sigma).
    pub gps_accuracy_m: f64,
    /// Compass heading.
    pub heading: Option<HeadingPrior>,
    /// Gravity (pointing down) in the camera frame of the upright frame.
    pub gravity_down_in_cam: Option<Vec3>,
    /// Field of view.
    pub fov: Option<FovPrior>,
}

impl From<Priors> for lsar_core::Priors {
    fn from(p: Priors) -> Self {
        Self {
            gps: Geodetic::new(p.gps.lat, p.gps.lon, p.gps.height),
            gps_accuracy_m: p.gps_accuracy_m,
            heading: p
                .heading
                .map(|h| CoreHeading { yaw_deg: h.yaw_deg, accuracy_deg: h.accuracy_deg }),
            gravity_down_in_cam: p.gravity_down_in_cam.map(|g| [g.x, g.y, g.z]),
            fov: p.fov.map(|f| match f.source {
                FovSource::Exact => CoreFov::exact(f.hfov_deg),
                FovSource::Exif => CoreFov::exif(f.hfov_deg),
            }),
        }
    }
}

/// The camera in DESIGN.md's JSON shape (frame "ecef").
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CameraRecord {
    /// Image width, pixels (upright frame).
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Focal length, pixels.
    pub focal_px: f64,
    /// Horizontal FOV, degrees.
    pub fov_deg: f64,
    /// Principal point x, pixels.
    pub principal_x: f64,
    /// Principal point y, pixels.
    pub principal_y: f64,
    /// Radial distortion k1.
    pub k1: f64,
    /// Radial distortion k2.
    pub k2: f64,
    /// `cam_from_world` rotation (ECEF), row-major, 9 values.
    pub rotation: Vec<f64>,
    /// `cam_from_world` translation, metres, 3 values.
    pub translation: Vec<f64>,
    /// Camera centre in ECEF, metres, 3 values.
    pub camera_center: Vec<f64>,
    /// Camera position (ellipsoidal height).
    pub position: Option<GeoPosition>,
    /// Camera elevation above sea level, metres.
    pub elevation_msl: Option<f64>,
    /// Heading of the optical axis, degrees clockwise from north.
    pub yaw_deg: Option<f64>,
    /// Optical axis above the horizon, degrees.
    pub pitch_deg: Option<f64>,
    /// Roll, degrees (positive: right edge down).
    pub roll_deg: Option<f64>,
}

impl From<&CameraJson> for CameraRecord {
    fn from(c: &CameraJson) -> Self {
        Self {
            width: c.width,
            height: c.height,
            focal_px: c.focal_px,
            fov_deg: c.fov_deg,
            principal_x: c.principal_point[0],
            principal_y: c.principal_point[1],
            k1: c.k1,
            k2: c.k2,
            rotation: c.cam_from_world.rotation.iter().flatten().copied().collect(),
            translation: c.cam_from_world.translation.to_vec(),
            camera_center: c.camera_center.to_vec(),
            position: c.position.map(|p| GeoPosition { lat: p.lat, lon: p.lon, height: p.height }),
            elevation_msl: c.position.map(|p| p.elevation_msl),
            yaw_deg: c.yaw_deg,
            pitch_deg: c.pitch_deg,
            roll_deg: c.roll_deg,
        }
    }
}

impl TryFrom<&CameraRecord> for CameraJson {
    type Error = ApiError;

    fn try_from(c: &CameraRecord) -> Result<Self, ApiError> {
        let bad = || ApiError::input("camera record rotation/translation/centre length");
        let r: [f64; 9] = c.rotation.as_slice().try_into().map_err(|_| bad())?;
        let translation: [f64; 3] = c.translation.as_slice().try_into().map_err(|_| bad())?;
        let camera_center: [f64; 3] = c.camera_center.as_slice().try_into().map_err(|_| bad())?;
        let rotation = [[r[0], r[1], r[2]], [r[3], r[4], r[5]], [r[6], r[7], r[8]]];
        let position = c.position.map(|p| PositionJson {
            lat: p.lat,
            lon: p.lon,
            height: p.height,
            elevation_msl: c.elevation_msl.unwrap_or(f64::NAN),
        });
        let json = Self {
            width: c.width,
            height: c.height,
            focal_px: c.focal_px,
            fov_deg: c.fov_deg,
            principal_point: [c.principal_x, c.principal_y],
            k1: c.k1,
            k2: c.k2,
            cam_from_world: PoseJson { rotation, translation },
            camera_center,
            frame: JsonFrame::Ecef,
            position,
            yaw_deg: c.yaw_deg,
            pitch_deg: c.pitch_deg,
            roll_deg: c.roll_deg,
        };
        json.to_parts().map_err(|_| ApiError::input("camera record is not consistent"))?;
        Ok(json)
    }
}

/// A successful localization.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Localization {
    /// The camera: intrinsics, pose, position and angles.
    pub camera: CameraRecord,
    /// Orientation `cam_from_world` as a unit quaternion (w, x, y, z).
    pub quaternion_wxyz: Vec<f64>,
    /// Matches that agree with the pose.
    pub inliers: u64,
    /// Matches tried.
    pub correspondences: u64,
    /// Reprojection RMSE of the inliers, pixels.
    pub reprojection_rmse_px: f64,
    /// Confidence in [0, 1].
    pub confidence: f64,
    /// Minimal solver that found the pose.
    pub solver: String,
    /// Index of the pack (as opened) that localized the photo.
    pub pack_index: u32,
    /// Wall time of the call, milliseconds.
    pub total_ms: f64,
}

impl From<lsar_core::Localization> for Localization {
    fn from(l: lsar_core::Localization) -> Self {
        Self {
            camera: (&l.camera_json).into(),
            quaternion_wxyz: l.quaternion_wxyz.to_vec(),
            inliers: l.inliers as u64,
            correspondences: l.correspondences as u64,
            reprojection_rmse_px: l.reprojection_rmse_px,
            confidence: l.confidence,
            solver: l.solver,
            pack_index: u32::try_from(l.pack).unwrap_or(u32::MAX),
            total_ms: l.timings_ms.total_ms,
        }
    }
}

impl TryFrom<&Localization> for lsar_core::Localization {
    type Error = ApiError;

    fn try_from(l: &Localization) -> Result<Self, ApiError> {
        let q: [f64; 4] = l
            .quaternion_wxyz
            .as_slice()
            .try_into()
            .map_err(|_| ApiError::input("quaternion length"))?;
        Ok(Self {
            localized: true,
            camera_json: CameraJson::try_from(&l.camera)?,
            quaternion_wxyz: q,
            inliers: usize::try_from(l.inliers).unwrap_or(usize::MAX),
            correspondences: usize::try_from(l.correspondences).unwrap_or(usize::MAX),
            reprojection_rmse_px: l.reprojection_rmse_px,
            confidence: l.confidence,
            solver: l.solver.clone(),
            patch_hfov_deg: l.camera.fov_deg,
            views: Vec::new(),
            pack: l.pack_index as usize,
            contradicted_priors: Vec::new(),
            timings_ms: lsar_core::localizer::Timings::default(),
        })
    }
}

/// A peak label to draw over the frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Label {
    /// POI name.
    pub name: String,
    /// Pixel of the POI in the upright frame (x, y).
    pub x: f64,
    /// Pixel y.
    pub y: f64,
    /// Label box: left, top, right, bottom, pixels.
    pub box_ltrb: Vec<f64>,
    /// Elevation above sea level, metres.
    pub elevation_msl: f64,
    /// Geodesic distance from the camera, metres.
    pub distance_m: f64,
    /// Bearing from the camera, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Whether the terrain leaves it visible (false only with `include_hidden`).
    pub visible: bool,
}

impl From<lsar_core::Label> for Label {
    fn from(l: lsar_core::Label) -> Self {
        let b = l.label_box;
        Self {
            name: l.name,
            x: l.pixel[0],
            y: l.pixel[1],
            box_ltrb: vec![b.x_min, b.y_min, b.x_max, b.y_max],
            elevation_msl: l.elevation_msl,
            distance_m: l.distance_m,
            bearing_deg: l.bearing_deg,
            visible: l.visible,
        }
    }
}

/// Options of `project_pois`.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct OverlayOptions {
    /// Drop POIs farther than this, metres.
    pub max_distance_m: Option<f64>,
    /// Keep hidden POIs (with `visible: false`).
    pub include_hidden: bool,
    /// Keep at most this many labels.
    pub max_labels: Option<u32>,
}

impl From<OverlayOptions> for lsar_core::OverlayOptions {
    fn from(o: OverlayOptions) -> Self {
        let mut out = Self {
            max_distance_m: o.max_distance_m,
            include_hidden: o.include_hidden,
            ..Self::default()
        };
        out.declutter.max_labels = o.max_labels.map(|n| n as usize);
        out
    }
}
