//! What a photo's EXIF says about where and how it was taken, read with `kamadak-exif`: the
//! GPS position (with the hemisphere signs, which LandscapeAR dropped), the GPS altitude, the
//! focal length (and its 35 mm equivalent) as a field-of-view prior, and the orientation tag,
//! which [`load_photo`] applies to the pixels.
//!
//! Camera frame: after [`load_photo`], the pixels are those of the upright image (as a viewer
//! shows it), and every camera quantity the localizer returns (pose, focal, principal point,
//! FOV, a gravity prior passed in) refers to that rotated image, not to the sensor's raw
//! layout.

use ::exif::{Exif, In, Reader, Tag, Value};
use image::RgbImage;
use image::metadata::Orientation;

/// Diagonal of the 36 x 24 mm "35 mm" frame, millimetres.
const FULL_FRAME_DIAGONAL_MM: f64 = 43.266_615_305_567_87;

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum ExifError {
    /// The EXIF block exists but does not parse.
    #[error("malformed EXIF data: {reason}")]
    Malformed {
        /// What the parser said.
        reason: String,
    },
    /// The image bytes do not decode.
    #[error("the image does not decode: {source}")]
    Decode {
        /// The decoder's error.
        #[from]
        source: image::ImageError,
    },
}

/// A GPS fix from EXIF.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExifGps {
    /// Latitude, degrees, negative in the southern hemisphere.
    pub lat: f64,
    /// Longitude, degrees, negative west of Greenwich.
    pub lon: f64,
    /// Altitude in metres above sea level (negative below it, per `GPSAltitudeRef`), if given.
    pub altitude_msl: Option<f64>,
}

/// The EXIF fields the localizer uses; all absent for a photo without EXIF.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PhotoExif {
    /// GPS position, if both latitude and longitude are present.
    pub gps: Option<ExifGps>,
    /// Focal length, millimetres.
    pub focal_length_mm: Option<f64>,
    /// 35 mm equivalent focal length, millimetres.
    pub focal_35mm: Option<f64>,
    /// Sensor pixels per millimetre along the raw image's x axis (`FocalPlaneXResolution`
    /// with its unit).
    pub focal_plane_px_per_mm: Option<f64>,
    /// Raw image width the focal-plane resolution refers to (`PixelXDimension`).
    pub pixel_x_dimension: Option<u32>,
    /// The EXIF orientation tag (1-8; 1 upright), if present.
    pub orientation: Option<u16>,
}

/// A decoded photo turned upright, with its EXIF.
#[derive(Debug, Clone)]
pub struct LoadedPhoto {
    /// The pixels after the EXIF orientation was applied.
    pub rgb: RgbImage,
    /// Width and height of the image as stored (before orientation).
    pub raw_size: (u32, u32),
    /// The EXIF fields.
    pub exif: PhotoExif,
}

fn rational(exif: &Exif, tag: Tag, ifd: In) -> Option<f64> {
    match &exif.get_field(tag, ifd)?.value {
        Value::Rational(v) => v.first().map(::exif::Rational::to_f64),
        Value::SRational(v) => v.first().map(::exif::SRational::to_f64),
        other => other.get_uint(0).map(f64::from),
    }
    .filter(|x| x.is_finite())
}

fn ascii_first(exif: &Exif, tag: Tag) -> Option<u8> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(v) => v.first().and_then(|s| s.first()).map(u8::to_ascii_uppercase),
        _ => None,
    }
}

/// Degrees from a GPS (degrees, minutes, seconds) triple, signed by its reference letter:
/// `negative` (`S` or `W`) makes it negative.
fn dms(exif: &Exif, tag: Tag, ref_tag: Tag, negative: u8) -> Option<f64> {
    let Value::Rational(v) = &exif.get_field(tag, In::PRIMARY)?.value else { return None };
    let part = |i: usize| v.get(i).map_or(0.0, ::exif::Rational::to_f64);
    let deg = part(0) + part(1) / 60.0 + part(2) / 3600.0;
    if !deg.is_finite() || v.is_empty() {
        return None;
    }
    Some(if ascii_first(exif, ref_tag) == Some(negative) { -deg } else { deg })
}

fn gps(exif: &Exif) -> Option<ExifGps> {
    let lat = dms(exif, Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S')?;
    let lon = dms(exif, Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W')?;
    let below = exif
        .get_field(Tag::GPSAltitudeRef, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .is_some_and(|r| r == 1);
    let altitude_msl =
        rational(exif, Tag::GPSAltitude, In::PRIMARY).map(|a| if below { -a } else { a });
    Some(ExifGps { lat, lon, altitude_msl })
}

/// Millimetres per `FocalPlaneResolutionUnit` (2 inch, 3 cm, 4 mm, 5 um).
fn unit_mm(unit: u32) -> Option<f64> {
    match unit {
        2 => Some(25.4),
        3 => Some(10.0),
        4 => Some(1.0),
        5 => Some(0.001),
        _ => None,
    }
}

impl PhotoExif {
    /// Reads the fields from a parsed EXIF block.
    pub fn from_exif(exif: &Exif) -> Self {
        let uint = |tag| exif.get_field(tag, In::PRIMARY).and_then(|f| f.value.get_uint(0));
        let positive = |x: f64| (x > 0.0).then_some(x);
        let unit = uint(Tag::FocalPlaneResolutionUnit).unwrap_or(2);
        let plane = rational(exif, Tag::FocalPlaneXResolution, In::PRIMARY)
            .and_then(|r| Some(r / unit_mm(unit)?))
            .and_then(positive);
        Self {
            gps: gps(exif),
            focal_length_mm: rational(exif, Tag::FocalLength, In::PRIMARY).and_then(positive),
            focal_35mm: uint(Tag::FocalLengthIn35mmFilm).map(f64::from).and_then(positive),
            focal_plane_px_per_mm: plane,
            pixel_x_dimension: uint(Tag::PixelXDimension).filter(|&w| w > 0),
            orientation: uint(Tag::Orientation).and_then(|o| u16::try_from(o).ok()),
        }
    }

    /// Whether the orientation swaps width and height (tags 5 to 8).
    pub fn swaps_axes(&self) -> bool {
        matches!(self.orientation, Some(5..=8))
    }

    /// Horizontal FOV in degrees of the upright image (`width` x `height` after orientation;
    /// `raw_width` is the stored width): from the 35 mm equivalent (the CIPA definition:
    /// the image diagonal corresponds to the 43.3 mm diagonal of the 35 mm frame), else from
    /// the focal length and the focal-plane resolution. `None` when neither is present.
    pub fn hfov_deg(&self, width: u32, height: u32, raw_width: u32) -> Option<f64> {
        let (w, h) = (f64::from(width), f64::from(height));
        if let Some(f35) = self.focal_35mm {
            let equivalent_width_mm = FULL_FRAME_DIAGONAL_MM * w / w.hypot(h);
            return Some(2.0 * (equivalent_width_mm / (2.0 * f35)).atan().to_degrees());
        }
        let focal_mm = self.focal_length_mm?;
        let sensor_px_per_mm = self.focal_plane_px_per_mm?;
        // The resolution refers to the raw image of PixelXDimension pixels; scale to ours.
        let scale = self.pixel_x_dimension.map_or(1.0, |d| f64::from(raw_width) / f64::from(d));
        let focal_px = focal_mm * sensor_px_per_mm * scale;
        let hfov = 2.0 * (w / 2.0 / focal_px).atan().to_degrees();
        (hfov.is_finite() && hfov > 0.0).then_some(hfov)
    }
}

/// The EXIF fields of an encoded photo (JPEG, PNG, TIFF, WebP, HEIF containers). A photo
/// without EXIF gives [`PhotoExif::default`].
///
/// # Errors
/// [`ExifError::Malformed`] when an EXIF block exists and does not parse.
pub fn read_exif(bytes: &[u8]) -> Result<PhotoExif, ExifError> {
    match Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) {
        Ok(exif) => Ok(PhotoExif::from_exif(&exif)),
        Err(::exif::Error::NotFound(_)) => Ok(PhotoExif::default()),
        Err(e) => Err(ExifError::Malformed { reason: e.to_string() }),
    }
}

/// Rotates or mirrors pixels as EXIF orientation `tag` says, giving the upright image
/// (unknown tags leave it as it is).
pub fn apply_orientation(rgb: RgbImage, tag: Option<u16>) -> RgbImage {
    let orientation = tag.and_then(|t| u8::try_from(t).ok()).and_then(Orientation::from_exif);
    match orientation {
        None | Some(Orientation::NoTransforms) => rgb,
        Some(o) => {
            let mut img = image::DynamicImage::ImageRgb8(rgb);
            img.apply_orientation(o);
            img.into_rgb8()
        }
    }
}

/// Decodes a photo, reads its EXIF and turns the pixels upright. Malformed EXIF is
/// ignored (the photo is used as stored, with no EXIF priors).
///
/// # Errors
/// [`ExifError::Decode`] when the pixels do not decode.
pub fn load_photo(bytes: &[u8]) -> Result<LoadedPhoto, ExifError> {
    let exif = read_exif(bytes).unwrap_or_default();
    let raw = image::load_from_memory(bytes)?.into_rgb8();
    let raw_size = raw.dimensions();
    Ok(LoadedPhoto { rgb: apply_orientation(raw, exif.orientation), raw_size, exif })
}

impl LoadedPhoto {
    /// The horizontal FOV prior from EXIF for the upright image, degrees.
    pub fn exif_hfov_deg(&self) -> Option<f64> {
        let (w, h) = self.rgb.dimensions();
        self.exif.hfov_deg(w, h, self.raw_size.0)
    }
}
