//! The peak overlay (pipeline step 7): POIs projected with the solved pose, those hidden by
//! terrain removed, labels decluttered.
//!
//! ```text
//! pack POIs --pois_from_pack--> Poi --resolve (EGM96: msl -> ellipsoid)--> ResolvedPoi
//! ResolvedPoi + Camera + CameraPose (world = ECEF) --Projector--> PoiProjection
//!   in front and inside the image?  --Occluder (pack horizon)-->  Visibility
//!   --> Label (+ text box) --declutter--> the labels to draw
//! ```
//!
//! Resolve POIs once per pack (the exact EGM96 look-up costs about 1.3 ms per POI, or pass a
//! [`lsar_geometry::geodesy::GeoidGrid`]), then call [`overlay_labels`] (or
//! [`overlay_labels_for_pack`], which picks the occluder from the pack) every frame.

mod declutter;
mod poi;
mod project;
mod visibility;

pub use declutter::{
    DeclutterOptions, Label, LabelBox, LabelSize, declutter, label_box, priority_order,
};
pub use poi::{
    Egm96Exact, FixedUndulation, Poi, ResolvedPoi, UndulationModel, geoid_grid_for_pack,
    pois_from_pack, resolve_pois,
};
pub use project::{PoiProjection, Projector};
pub use visibility::{HorizonProfile, HorizonTolerance, NoOcclusion, Occluder, Visibility};

use lsar_geometry::{Camera, CameraPose};
use lsar_pack::PackReader;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};

/// Options of [`overlay_labels`]. The default: no distance limit, hidden POIs removed,
/// [`DeclutterOptions::default`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct OverlayOptions {
    /// Drop POIs whose geodesic distance from the camera exceeds this many metres; `None`:
    /// no limit.
    pub max_distance_m: Option<f64>,
    /// Also return POIs the occluder calls hidden (with `visible: false`, after every visible
    /// one in priority). Default `false`: hidden POIs are removed.
    pub include_hidden: bool,
    /// Label boxes and declutter.
    pub declutter: DeclutterOptions,
}

/// Every POI that is in front of the camera, inside the image, within the distance limit and
/// (unless `include_hidden`) not hidden, as a label with its box, in input order and not
/// decluttered.
///
/// # Errors
/// As [`Projector::new`]; [`CoreError::InvalidInput`] for a negative or NaN distance limit.
pub fn candidate_labels(
    camera: &Camera,
    pose: &CameraPose,
    pois: &[ResolvedPoi],
    occluder: &dyn Occluder,
    options: &OverlayOptions,
) -> Result<Vec<Label>> {
    let projector = Projector::new(camera, pose)?;
    let max_distance = options.max_distance_m.unwrap_or(f64::INFINITY);
    if max_distance.is_nan() || max_distance < 0.0 {
        return Err(CoreError::InvalidInput { what: "overlay distance limit" });
    }
    let center = projector.center_ecef();
    let mut labels = Vec::new();
    for poi in pois {
        let p = projector.project(poi);
        let Some(pixel) = p.pixel.filter(|_| p.in_front && p.in_image) else {
            continue;
        };
        if p.distance_m.is_nan() || p.distance_m > max_distance {
            continue;
        }
        let visibility = occluder.is_visible(&center, &poi.ecef);
        if visibility.is_hidden() && !options.include_hidden {
            continue;
        }
        let pixel = [pixel.x, pixel.y];
        labels.push(Label {
            name: poi.poi.name.clone(),
            pixel,
            label_box: label_box(pixel, &poi.poi.name, &options.declutter),
            lat: poi.poi.lat,
            lon: poi.poi.lon,
            elevation_msl: poi.poi.elevation_msl,
            height: poi.position.height,
            prominence: poi.poi.prominence,
            distance_m: p.distance_m,
            slant_distance_m: p.slant_distance_m,
            bearing_deg: p.bearing_deg,
            elevation_angle_deg: p.elevation_angle_deg,
            visible: !visibility.is_hidden(),
            visibility,
        });
    }
    Ok(labels)
}

/// The labels to draw for a photo with intrinsics `camera` and pose `pose` (world = ECEF):
/// [`candidate_labels`] then [`declutter`], in priority order.
///
/// # Errors
/// As [`candidate_labels`].
pub fn overlay_labels(
    camera: &Camera,
    pose: &CameraPose,
    pois: &[ResolvedPoi],
    occluder: &dyn Occluder,
    options: &OverlayOptions,
) -> Result<Vec<Label>> {
    let labels = candidate_labels(camera, pose, pois, occluder, options)?;
    Ok(declutter(labels, &options.declutter))
}

/// [`overlay_labels`] with the horizon of the pack viewpoint nearest the camera as occluder
/// ([`HorizonProfile::nearest_in_pack`]); with no viewpoint within
/// `tolerance.max_camera_offset_m`, or a pack without horizons, nothing is hidden.
///
/// # Errors
/// As [`overlay_labels`] and [`HorizonProfile::nearest_in_pack`].
pub fn overlay_labels_for_pack(
    pack: &PackReader,
    camera: &Camera,
    pose: &CameraPose,
    pois: &[ResolvedPoi],
    tolerance: HorizonTolerance,
    options: &OverlayOptions,
) -> Result<Vec<Label>> {
    match HorizonProfile::nearest_in_pack(pack, &pose.center(), tolerance)? {
        Some(profile) => overlay_labels(camera, pose, pois, &profile, options),
        None => overlay_labels(camera, pose, pois, &NoOcclusion, options),
    }
}
