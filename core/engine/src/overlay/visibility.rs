//! Occlusion of POIs by terrain: the [`Occluder`] abstraction, the no-op [`NoOcclusion`], and
//! [`HorizonProfile`], which judges POIs against a region pack's coarse horizon of the
//! viewpoint nearest to the camera.
//!
//! ## What a horizon profile can and cannot decide
//! A pack stores, per viewpoint and azimuth bin, the skyline's elevation angle above the
//! horizontal plane and the distance to the skyline point (FORMAT.md, section `horizons`).
//! Seen from the viewpoint, a POI
//! - above the skyline of its bin (within [`HorizonTolerance::elevation_deg`]) is
//!   [`Visibility::Visible`]: nothing in that direction rises higher;
//! - below it and farther than the skyline point (beyond the distance tolerance) is
//!   [`Visibility::Hidden`]: the skyline ridge stands in front of it;
//! - below it and nearer than the skyline point is [`Visibility::Undecided`]: it stands in
//!   front of the ridge, and whether nearer terrain hides it is not in a one-line profile
//!   (that needs a depth panorama).
//!
//! Further limits: the skyline of a bin is the highest terrain over the bin's whole azimuth
//! range, so a POI beside a higher ridge in the same bin can be called hidden (keep bins
//! narrow, around 1 degree); the profile is seen from the viewpoint (rendered some 50 m above
//! the ground), not from the camera, so [`HorizonProfile`] answers `Undecided` when the camera
//! is farther from the viewpoint than [`HorizonTolerance::max_camera_offset_m`]; angles are
//! geometric (atmospheric refraction, which lifts distant terrain by about 13 % of the
//! curvature drop, is ignored on both sides of the comparison).

use lsar_geometry::LocalFrame;
use lsar_pack::{HorizonSample, PackReader};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// Whether terrain hides a POI from the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Nothing hides it (or no occlusion is modelled).
    Visible,
    /// Terrain hides it.
    Hidden,
    /// The occluder cannot tell (in front of the skyline ridge and below it, or no data for
    /// this camera position). The overlay shows such POIs.
    Undecided,
}

impl Visibility {
    /// Whether the POI is known to be hidden (`Undecided` is not).
    pub fn is_hidden(self) -> bool {
        self == Self::Hidden
    }
}

/// Decides whether terrain hides a point from a camera.
pub trait Occluder {
    /// Visibility of `poi_ecef` seen from `camera_center_ecef` (both ECEF metres).
    fn is_visible(&self, camera_center_ecef: &Vector3<f64>, poi_ecef: &Vector3<f64>) -> Visibility;
}

/// An occluder that hides nothing: every POI is [`Visibility::Visible`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoOcclusion;

impl Occluder for NoOcclusion {
    fn is_visible(&self, _camera: &Vector3<f64>, _poi: &Vector3<f64>) -> Visibility {
        Visibility::Visible
    }
}

/// Tolerances of [`HorizonProfile`]: a POI is hidden only when it is clearly below and
/// clearly behind the skyline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HorizonTolerance {
    /// A POI less than this many degrees below the skyline counts as on it (visible): a
    /// summit is usually its own skyline, and DEMs, heights and bins are coarse. Default 0.25.
    pub elevation_deg: f64,
    /// Relative distance margin: hidden only beyond `skyline distance * (1 + distance_rel) +
    /// distance_m`. Default 0.05.
    pub distance_rel: f64,
    /// Absolute distance margin in metres (see `distance_rel`). Default 200.
    pub distance_m: f64,
    /// Farthest the camera centre may be from the viewpoint (3D, metres) for the profile to
    /// judge; farther, every POI is `Undecided`. Default 1000.
    pub max_camera_offset_m: f64,
}

impl Default for HorizonTolerance {
    fn default() -> Self {
        Self {
            elevation_deg: 0.25,
            distance_rel: 0.05,
            distance_m: 200.0,
            max_camera_offset_m: 1000.0,
        }
    }
}

/// The horizon of one pack viewpoint: per azimuth bin (bin `k` of `n` covers
/// `[k, k + 1) * 360 / n` degrees clockwise from true north) the skyline's elevation angle in
/// degrees above the horizontal plane at the viewpoint and the straight-line distance in
/// metres to the skyline point, as stored in a pack. See the module docs for what it decides.
#[derive(Debug, Clone, PartialEq)]
pub struct HorizonProfile {
    /// ENU at the viewpoint's camera position: the frame of the stored angles.
    frame: LocalFrame,
    samples: Vec<HorizonSample>,
    tolerance: HorizonTolerance,
}

impl HorizonProfile {
    /// A profile seen from `viewpoint_ecef` (ECEF metres) with `samples` clockwise from north.
    ///
    /// # Errors
    /// [`CoreError::InvalidInput`] for no samples, a non-finite viewpoint, a NaN sample or a
    /// negative distance, or a negative or NaN tolerance.
    pub fn new(
        viewpoint_ecef: &Vector3<f64>,
        samples: Vec<HorizonSample>,
        tolerance: HorizonTolerance,
    ) -> Result<Self> {
        if samples.is_empty() {
            return Err(CoreError::InvalidInput { what: "horizon profile has no samples" });
        }
        if !viewpoint_ecef.iter().all(|v| v.is_finite()) {
            return Err(CoreError::InvalidInput { what: "horizon viewpoint is not finite" });
        }
        let bad = |s: &HorizonSample| {
            s.elevation_deg.is_nan() || s.distance_m.is_nan() || s.distance_m < 0.0
        };
        if samples.iter().any(bad) {
            return Err(CoreError::InvalidInput { what: "horizon sample is not a number" });
        }
        let t = &tolerance;
        let tols = [t.elevation_deg, t.distance_rel, t.distance_m, t.max_camera_offset_m];
        if !tols.iter().all(|v| *v >= 0.0) {
            return Err(CoreError::InvalidInput { what: "horizon tolerance" });
        }
        Ok(Self { frame: LocalFrame::from_ecef(viewpoint_ecef), samples, tolerance })
    }

    /// The profile of viewpoint `index` of a pack.
    ///
    /// # Errors
    /// [`CoreError::Pack`] for a bad index; as [`HorizonProfile::new`] (a pack without
    /// horizon bins has no samples).
    pub fn from_pack_viewpoint(
        pack: &PackReader,
        index: usize,
        tolerance: HorizonTolerance,
    ) -> Result<Self> {
        let vp = pack.viewpoint(index)?;
        let ecef = pack.local_frame().ecef_from_enu(&Vector3::from(vp.position_enu));
        Self::new(&ecef, pack.horizon(index)?.to_vec(), tolerance)
    }

    /// The profile of the pack viewpoint nearest (3D) to the camera centre, if one lies within
    /// `tolerance.max_camera_offset_m` and the pack has horizons; ties go to the lower index.
    ///
    /// # Errors
    /// As [`HorizonProfile::from_pack_viewpoint`]; [`CoreError::InvalidInput`] for a
    /// non-finite camera centre.
    pub fn nearest_in_pack(
        pack: &PackReader,
        camera_center_ecef: &Vector3<f64>,
        tolerance: HorizonTolerance,
    ) -> Result<Option<Self>> {
        if !camera_center_ecef.iter().all(|v| v.is_finite()) {
            return Err(CoreError::InvalidInput { what: "camera centre is not finite" });
        }
        if pack.metadata().horizon_bins == 0 {
            return Ok(None);
        }
        let cam = pack.local_frame().enu_from_ecef(camera_center_ecef);
        let mut near = Vec::new();
        pack.viewpoints_within([cam.x, cam.y], tolerance.max_camera_offset_m, &mut near);
        let mut best: Option<(usize, f64)> = None;
        for i in near.into_iter().map(|i| i as usize) {
            let d = (Vector3::from(pack.viewpoint(i)?.position_enu) - cam).norm();
            if d <= tolerance.max_camera_offset_m && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        best.map(|(i, _)| Self::from_pack_viewpoint(pack, i, tolerance)).transpose()
    }

    /// The viewpoint's position in ECEF metres.
    pub fn viewpoint_ecef(&self) -> Vector3<f64> {
        self.frame.origin_ecef()
    }

    /// The samples, clockwise from north.
    pub fn samples(&self) -> &[HorizonSample] {
        &self.samples
    }

    /// The tolerances in use.
    pub fn tolerance(&self) -> &HorizonTolerance {
        &self.tolerance
    }

    /// The sample whose bin contains `azimuth_deg` (degrees clockwise from north, any value;
    /// reduced to [0, 360)).
    pub fn sample_at(&self, azimuth_deg: f64) -> HorizonSample {
        let n = self.samples.len();
        let az = azimuth_deg.rem_euclid(360.0);
        // In [0, n] for a finite azimuth (NaN casts to 0); clamped below.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let k = ((az / 360.0 * n as f64).floor() as usize).min(n.saturating_sub(1));
        self.samples
            .get(k)
            .copied()
            .unwrap_or(HorizonSample { elevation_deg: -90.0, distance_m: f32::INFINITY })
    }

    /// Visibility of an ECEF point seen from the viewpoint, whatever the camera.
    pub fn classify(&self, point_ecef: &Vector3<f64>) -> Visibility {
        let enu = self.frame.enu_from_ecef(point_ecef);
        let horizontal = enu.x.hypot(enu.y);
        let azimuth_deg = enu.x.atan2(enu.y).to_degrees();
        let elevation_deg = enu.z.atan2(horizontal).to_degrees();
        let sky = self.sample_at(azimuth_deg);
        let (sky_elevation, sky_distance) =
            (f64::from(sky.elevation_deg), f64::from(sky.distance_m));
        if !sky_distance.is_finite() || sky_elevation <= -90.0 {
            return Visibility::Visible;
        }
        if elevation_deg >= sky_elevation - self.tolerance.elevation_deg {
            return Visibility::Visible;
        }
        let t = &self.tolerance;
        if enu.norm() > sky_distance * (1.0 + t.distance_rel) + t.distance_m {
            Visibility::Hidden
        } else {
            Visibility::Undecided
        }
    }
}

impl Occluder for HorizonProfile {
    /// [`HorizonProfile::classify`], or `Undecided` when the camera is farther from the
    /// viewpoint than `max_camera_offset_m` (or not finite).
    fn is_visible(&self, camera_center_ecef: &Vector3<f64>, poi_ecef: &Vector3<f64>) -> Visibility {
        let offset = (camera_center_ecef - self.frame.origin_ecef()).norm();
        if offset <= self.tolerance.max_camera_offset_m {
            self.classify(poi_ecef)
        } else {
            Visibility::Undecided
        }
    }
}
