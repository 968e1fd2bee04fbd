//! Fixed-size records as stored in the pack: little-endian, `repr(C)`, no padding, read in
//! place through `bytemuck`. Field order, offsets and units in `FORMAT.md`.

use bytemuck::{Pod, Zeroable};

/// A place where panoramas were rendered: a camera position about 50 m above the ground.
///
/// Its views are `first_view .. first_view + view_count` of the view section, and the
/// keypoints of all its views are `first_keypoint .. first_keypoint + keypoint_count`.
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub struct Viewpoint {
    /// Camera position in metres, local ENU (east, north, up) of the pack origin.
    pub position_enu: [f64; 3],
    /// Height of the ground below the camera in metres above the WGS84 ellipsoid.
    pub ground_height: f64,
    /// Index of this viewpoint's first view.
    pub first_view: u32,
    /// Number of views.
    pub view_count: u32,
    /// Index of the first keypoint of this viewpoint's first view.
    pub first_keypoint: u32,
    /// Number of keypoints over all its views.
    pub keypoint_count: u32,
}

/// One rendered view of a viewpoint: orientation, field of view, image size and its keypoints
/// (`first_keypoint .. first_keypoint + keypoint_count`).
///
/// Angles follow lsar's conventions (relative to local ENU at the camera: yaw clockwise from
/// true north, pitch up positive, roll clockwise as seen by the photographer).
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub struct View {
    /// Yaw in degrees.
    pub yaw_deg: f64,
    /// Pitch in degrees.
    pub pitch_deg: f64,
    /// Roll in degrees.
    pub roll_deg: f64,
    /// Horizontal field of view in degrees.
    pub hfov_deg: f64,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Index of the first keypoint of this view.
    pub first_keypoint: u32,
    /// Number of keypoints of this view.
    pub keypoint_count: u32,
}

/// A keypoint of a rendered view and the 3D terrain point it sees.
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub struct Keypoint {
    /// Terrain point in metres, local ENU of the pack origin (f32: the origin is near).
    pub point_enu: [f32; 3],
    /// Index of the view the keypoint was detected in (set by the writer).
    pub view: u32,
    /// Pixel position (x right, y down; (0, 0) is the centre of the top-left pixel).
    pub pixel: [f32; 2],
    /// Detection scale in pixels.
    pub scale: f32,
    /// Detector response (0 where the detector has none).
    pub response: f32,
}

/// A point of interest (a summit, a hut): name, position, elevation and prominence.
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub struct Poi {
    /// WGS84 latitude in degrees.
    pub lat: f64,
    /// WGS84 longitude in degrees.
    pub lon: f64,
    /// Elevation in metres above sea level (EGM96).
    pub elevation_msl: f32,
    /// Topographic prominence in metres (NaN if unknown).
    pub prominence: f32,
    /// Byte offset of the name in the string section.
    pub name_offset: u32,
    /// Byte length of the name (UTF-8).
    pub name_len: u32,
}

/// One azimuth bin of a viewpoint's horizon: the highest terrain seen in that direction.
///
/// Bin `k` of `n` covers azimuths `[k, k + 1) * 360 / n` degrees clockwise from true north,
/// seen from the viewpoint's camera position.
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub struct HorizonSample {
    /// Elevation angle of the skyline above the horizontal plane in degrees (-90 if none).
    pub elevation_deg: f32,
    /// Distance to the skyline point in metres (infinity if the bin sees no terrain).
    pub distance_m: f32,
}

/// The binary region record: everything a reader needs exact or before it reads any other
/// section.
#[derive(Debug, Clone, Copy, PartialEq, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct RegionRecord {
    /// Origin in ECEF metres.
    pub origin_ecef: [f64; 3],
    /// Origin latitude, longitude (degrees), height above the ellipsoid (metres).
    pub origin_geodetic: [f64; 3],
    /// South, west, north, east in degrees.
    pub bounds: [f64; 4],
    /// SHA-256 of the descriptor model's weights (zero for weightless baselines).
    pub model_sha256: [u8; 32],
    /// Values per descriptor row.
    pub descriptor_dim: u32,
    /// 1 = f16, 2 = int8 with per-row f32 scale.
    pub descriptor_encoding: u32,
    /// Azimuth bins per viewpoint in the horizon section.
    pub horizon_bins: u32,
    /// Zero.
    pub reserved: u32,
}

/// Record sizes in bytes, as `FORMAT.md` states them.
pub(crate) mod size {
    /// [`super::Viewpoint`].
    pub const VIEWPOINT: u64 = 48;
    /// [`super::View`].
    pub const VIEW: u64 = 48;
    /// [`super::Keypoint`].
    pub const KEYPOINT: u64 = 32;
    /// [`super::Poi`].
    pub const POI: u64 = 32;
    /// [`super::HorizonSample`].
    pub const HORIZON: u64 = 8;
    /// [`super::RegionRecord`].
    pub const REGION: u64 = 128;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes_match_the_format() {
        assert_eq!(size_of::<Viewpoint>() as u64, size::VIEWPOINT);
        assert_eq!(size_of::<View>() as u64, size::VIEW);
        assert_eq!(size_of::<Keypoint>() as u64, size::KEYPOINT);
        assert_eq!(size_of::<Poi>() as u64, size::POI);
        assert_eq!(size_of::<HorizonSample>() as u64, size::HORIZON);
        assert_eq!(size_of::<RegionRecord>() as u64, size::REGION);
    }
}
