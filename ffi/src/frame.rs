//! Camera frames: borrowed pixel bytes plus a [`FrameInfo`], converted once to lsar-core's
//! [`Image`] (f32 in [0, 1], RGB or grey), turned upright by the frame's rotation.
//!
//! The bytes are never copied before this conversion: UniFFI passes `&[u8]` borrowed (Kotlin:
//! a direct `ByteBuffer`), and the JNI fast path reads a direct buffer in place. YUV frames
//! are converted with BT.601 full-range coefficients (Android camera and iOS
//! `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange`).

use lsar_core::vision::Image;

use crate::error::ApiError;

/// Pixel layout of a camera frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PixelFormat {
    /// 4 bytes per pixel: red, green, blue, alpha.
    Rgba,
    /// 4 bytes per pixel: blue, green, red, alpha (iOS `kCVPixelFormatType_32BGRA`).
    Bgra,
    /// 3 bytes per pixel: red, green, blue.
    Rgb,
    /// 1 byte per pixel: luminance.
    Grey,
    /// Y plane, then an interleaved V/U plane at half resolution (Android camera1).
    Nv21,
    /// Y plane, then an interleaved U/V plane at half resolution (iOS bi-planar).
    Nv12,
    /// Android `YUV_420_888`: three planes with their own strides (`localize_yuv`).
    Yuv420888,
}

/// Clockwise rotation that turns the frame upright (Android `rotationDegrees`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Rotation {
    /// Upright already.
    Deg0,
    /// Rotate 90 degrees clockwise.
    Deg90,
    /// Rotate 180 degrees.
    Deg180,
    /// Rotate 270 degrees clockwise.
    Deg270,
}

/// Size and layout of a frame's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct FrameInfo {
    /// Width of the buffer in pixels (before rotation).
    pub width: u32,
    /// Height of the buffer in pixels (before rotation).
    pub height: u32,
    /// Pixel layout.
    pub format: PixelFormat,
    /// Rotation to upright.
    pub rotation: Rotation,
    /// Bytes per row of the first (or only) plane; 0: tightly packed.
    pub row_stride: u32,
    /// Bytes per row of the chroma planes (NV21/NV12/YUV_420_888); 0: as `row_stride`.
    pub uv_row_stride: u32,
    /// Bytes between two chroma samples of a plane (YUV_420_888: 1 planar, 2 interleaved);
    /// 0: 1.
    pub uv_pixel_stride: u32,
}

/// The bytes of a frame: one buffer, or the three planes of a `YUV_420_888` image.
#[derive(Debug, Clone, Copy)]
pub enum Planes<'a> {
    /// One buffer (every format but `Yuv420888`).
    Packed(&'a [u8]),
    /// Y, U and V planes.
    Yuv {
        /// Luma plane.
        y: &'a [u8],
        /// Cb plane.
        u: &'a [u8],
        /// Cr plane.
        v: &'a [u8],
    },
}

/// Reads one byte, bounds-checked.
fn at(buf: &[u8], i: usize) -> Result<u8, ApiError> {
    buf.get(i).copied().ok_or_else(|| ApiError::input("frame buffer shorter than its layout"))
}

/// `c / 255` for every byte value: the values of the division, looked up.
const UNIT: [f32; 256] = {
    let mut t = [0f32; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i as f32 / 255.0;
        i += 1;
    }
    t
};

/// BT.601 full range YCbCr -> RGB in [0, 1].
fn rgb_from_yuv(y: u8, u: u8, v: u8) -> [f32; 3] {
    let (y, u, v) = (f32::from(y), f32::from(u) - 128.0, f32::from(v) - 128.0);
    let c = |x: f32| (x / 255.0).clamp(0.0, 1.0);
    [c(y + 1.402 * v), c(y - 0.344_136 * u - 0.714_136 * v), c(y + 1.772 * u)]
}

/// The frame as an upright core [`Image`]: RGB for colour formats, grey for `Grey`.
///
/// # Errors
/// [`ApiError::InvalidInput`] for a zero size, a stride smaller than a row, a buffer shorter
/// than its layout, or planes that do not fit the format.
pub fn image_from_frame(planes: Planes<'_>, info: &FrameInfo) -> Result<Image, ApiError> {
    let packed_upright = info.rotation == Rotation::Deg0
        && matches!(
            info.format,
            PixelFormat::Rgba | PixelFormat::Bgra | PixelFormat::Rgb | PixelFormat::Grey
        );
    match planes {
        Planes::Packed(bytes) if packed_upright => packed_rows(bytes, info),
        _ => per_pixel(planes, info),
    }
}

/// Bytes a plane of `rows` rows needs: `(rows - 1) * stride + last` (the last row may lack
/// its padding), checked for overflow (a 32-bit `usize` on armv7), so that every index below
/// it is computed without overflow.
fn layout_len(rows: usize, stride: usize, last: usize) -> Result<usize, ApiError> {
    rows.saturating_sub(1)
        .checked_mul(stride)
        .and_then(|n| n.checked_add(last))
        .ok_or_else(|| ApiError::input("frame layout larger than the address space"))
}

/// Checks that the planes hold the frame's layout (before any allocation or index).
fn check_planes(
    planes: Planes<'_>,
    format: PixelFormat,
    first: &Layout,
    (uv_stride, uv_px): (usize, usize),
) -> Result<(), ApiError> {
    let (cw, ch) = (first.w.div_ceil(2), first.h.div_ceil(2));
    let too_large = || ApiError::input("frame layout larger than the address space");
    let need = |buf: &[u8], len: usize| {
        if buf.len() < len {
            Err(ApiError::input("frame buffer shorter than its layout"))
        } else {
            Ok(())
        }
    };
    match (format, planes) {
        (PixelFormat::Nv21 | PixelFormat::Nv12, Planes::Packed(b)) => {
            let chroma = layout_len(ch, uv_stride, 2 * cw)?;
            let luma = first.h.checked_mul(first.stride).ok_or_else(too_large)?;
            need(b, luma.checked_add(chroma).ok_or_else(too_large)?)
        }
        (PixelFormat::Yuv420888, Planes::Yuv { y, u, v }) => {
            let last = (cw - 1).checked_mul(uv_px).and_then(|n| n.checked_add(1));
            let chroma = layout_len(ch, uv_stride, last.ok_or_else(too_large)?)?;
            need(y, layout_len(first.h, first.stride, first.row)?)?;
            need(u, chroma)?;
            need(v, chroma)
        }
        (PixelFormat::Yuv420888, _) | (_, Planes::Yuv { .. }) => {
            Err(ApiError::input("planes do not match the pixel format"))
        }
        (_, Planes::Packed(b)) => need(b, layout_len(first.h, first.stride, first.row)?),
    }
}

/// The first plane's geometry, validated: size, bytes per pixel, bytes per row of pixels
/// and the row stride.
#[derive(Debug, Clone, Copy)]
struct Layout {
    w: usize,
    h: usize,
    bpp: usize,
    row: usize,
    stride: usize,
}

impl Layout {
    fn of(info: &FrameInfo) -> Result<Self, ApiError> {
        let (w, h) = (info.width as usize, info.height as usize);
        if w == 0 || h == 0 {
            return Err(ApiError::input("frame width and height must be positive"));
        }
        let bpp = bytes_per_pixel(info.format);
        let row = w.checked_mul(bpp).ok_or_else(|| ApiError::input("frame row too long"))?;
        let stride = if info.row_stride == 0 { row } else { info.row_stride as usize };
        if stride < row {
            return Err(ApiError::input("row stride smaller than a row"));
        }
        Ok(Self { w, h, bpp, row, stride })
    }
}

/// Bytes per pixel of the first plane.
fn bytes_per_pixel(format: PixelFormat) -> usize {
    match format {
        PixelFormat::Rgba | PixelFormat::Bgra => 4,
        PixelFormat::Rgb => 3,
        _ => 1,
    }
}

/// The image of an upright RGBA, BGRA, RGB or GREY frame, row by row (the camera preview's
/// common case; one bounds check per row). Gives the values of [`per_pixel`].
fn packed_rows(bytes: &[u8], info: &FrameInfo) -> Result<Image, ApiError> {
    let Layout { w, h, row, stride, .. } = Layout::of(info)?;
    let need = layout_len(h, stride, row)?;
    if bytes.len() < need {
        return Err(ApiError::input("frame buffer shorter than its layout"));
    }
    let channels = if info.format == PixelFormat::Grey { 1 } else { 3 };
    let mut out = Vec::with_capacity(w * h * channels);
    let unit = |c: u8| UNIT[usize::from(c)];
    for y in 0..h {
        let row = bytes
            .get(y * stride..y * stride + row)
            .ok_or_else(|| ApiError::input("frame buffer shorter than its layout"))?;
        match info.format {
            PixelFormat::Rgba => {
                for p in row.chunks_exact(4) {
                    out.extend_from_slice(&[unit(p[0]), unit(p[1]), unit(p[2])]);
                }
            }
            PixelFormat::Bgra => {
                for p in row.chunks_exact(4) {
                    out.extend_from_slice(&[unit(p[2]), unit(p[1]), unit(p[0])]);
                }
            }
            // RGB and GREY: every byte is a channel.
            _ => out.extend(row.iter().map(|&c| unit(c))),
        }
    }
    Image::new(w, h, channels, out).map_err(|e| ApiError::from(lsar_core::CoreError::from(e)))
}

/// Any frame, one pixel at a time: each output pixel is read from its rotated source
/// position.
fn per_pixel(planes: Planes<'_>, info: &FrameInfo) -> Result<Image, ApiError> {
    let layout = Layout::of(info)?;
    let Layout { w, h, bpp, stride, .. } = layout;
    let uv_stride = if info.uv_row_stride == 0 { stride } else { info.uv_row_stride as usize };
    let uv_px = info.uv_pixel_stride.max(1) as usize;
    check_planes(planes, info.format, &layout, (uv_stride, uv_px))?;
    let (ow, oh) = match info.rotation {
        Rotation::Deg0 | Rotation::Deg180 => (w, h),
        Rotation::Deg90 | Rotation::Deg270 => (h, w),
    };
    let channels = if info.format == PixelFormat::Grey { 1 } else { 3 };
    let mut out = Vec::with_capacity(ow * oh * channels);
    for oy in 0..oh {
        for ox in 0..ow {
            let (sx, sy) = match info.rotation {
                Rotation::Deg0 => (ox, oy),
                Rotation::Deg90 => (oy, h - 1 - ox),
                Rotation::Deg180 => (w - 1 - ox, h - 1 - oy),
                Rotation::Deg270 => (w - 1 - oy, ox),
            };
            let rgb = match (info.format, planes) {
                (PixelFormat::Grey, Planes::Packed(b)) => {
                    out.push(UNIT[usize::from(at(b, sy * stride + sx)?)]);
                    continue;
                }
                (PixelFormat::Rgba | PixelFormat::Rgb, Planes::Packed(b)) => {
                    let i = sy * stride + sx * bpp;
                    [at(b, i)?, at(b, i + 1)?, at(b, i + 2)?].map(|c| UNIT[usize::from(c)])
                }
                (PixelFormat::Bgra, Planes::Packed(b)) => {
                    let i = sy * stride + sx * 4;
                    [at(b, i + 2)?, at(b, i + 1)?, at(b, i)?].map(|c| UNIT[usize::from(c)])
                }
                (PixelFormat::Nv21 | PixelFormat::Nv12, Planes::Packed(b)) => {
                    let uv = stride * h + (sy / 2) * uv_stride + (sx / 2) * 2;
                    let (a, c) = (at(b, uv)?, at(b, uv + 1)?);
                    let (u, v) = if info.format == PixelFormat::Nv12 { (a, c) } else { (c, a) };
                    rgb_from_yuv(at(b, sy * stride + sx)?, u, v)
                }
                (PixelFormat::Yuv420888, Planes::Yuv { y, u, v }) => {
                    let c = (sy / 2) * uv_stride + (sx / 2) * uv_px;
                    rgb_from_yuv(at(y, sy * stride + sx)?, at(u, c)?, at(v, c)?)
                }
                _ => return Err(ApiError::input("planes do not match the pixel format")),
            };
            out.extend_from_slice(&rgb);
        }
    }
    Image::new(ow, oh, channels, out).map_err(|e| ApiError::from(lsar_core::CoreError::from(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(width: u32, height: u32, format: PixelFormat, rotation: Rotation) -> FrameInfo {
        FrameInfo {
            width,
            height,
            format,
            rotation,
            row_stride: 0,
            uv_row_stride: 0,
            uv_pixel_stride: 0,
        }
    }

    #[test]
    fn rgba_bgra_and_rgb_agree() {
        let rgba = [255u8, 0, 0, 255, 0, 255, 0, 255];
        let bgra = [0u8, 0, 255, 255, 0, 255, 0, 255];
        let rgb = [255u8, 0, 0, 0, 255, 0];
        let a =
            image_from_frame(Planes::Packed(&rgba), &info(2, 1, PixelFormat::Rgba, Rotation::Deg0));
        let b =
            image_from_frame(Planes::Packed(&bgra), &info(2, 1, PixelFormat::Bgra, Rotation::Deg0));
        let c =
            image_from_frame(Planes::Packed(&rgb), &info(2, 1, PixelFormat::Rgb, Rotation::Deg0));
        let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
        assert_eq!(a.data(), b.data());
        assert_eq!(a.data(), c.data());
        assert_eq!(a.data(), &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn rotations_turn_the_frame_upright() {
        // 3x2 grey: rows [0 1 2] [3 4 5].
        let g = [0u8, 1, 2, 3, 4, 5];
        let run = |r| {
            let img =
                image_from_frame(Planes::Packed(&g), &info(3, 2, PixelFormat::Grey, r)).unwrap();
            let v: Vec<u8> = img.data().iter().map(|x| (x * 255.0).round() as u8).collect();
            (img.width(), img.height(), v)
        };
        assert_eq!(run(Rotation::Deg0), (3, 2, vec![0, 1, 2, 3, 4, 5]));
        assert_eq!(run(Rotation::Deg90), (2, 3, vec![3, 0, 4, 1, 5, 2]));
        assert_eq!(run(Rotation::Deg180), (3, 2, vec![5, 4, 3, 2, 1, 0]));
        assert_eq!(run(Rotation::Deg270), (2, 3, vec![2, 5, 1, 4, 0, 3]));
    }

    #[test]
    fn nv21_nv12_and_yuv420888_agree_with_strides() {
        // 2x2 frame, Y = 100, one chroma sample (U = 90, V = 200); row stride 4 with padding.
        let nv21 = [100u8, 100, 0, 0, 100, 100, 0, 0, 200, 90, 0, 0];
        let nv12 = [100u8, 100, 0, 0, 100, 100, 0, 0, 90, 200, 0, 0];
        let mut i = info(2, 2, PixelFormat::Nv21, Rotation::Deg0);
        i.row_stride = 4;
        let a = image_from_frame(Planes::Packed(&nv21), &i).unwrap();
        i.format = PixelFormat::Nv12;
        let b = image_from_frame(Planes::Packed(&nv12), &i).unwrap();
        i.format = PixelFormat::Yuv420888;
        i.uv_row_stride = 2;
        i.uv_pixel_stride = 2; // interleaved chroma, as most Android devices deliver it
        let (y, u, v) = ([100u8, 100, 0, 0, 100, 100], [90u8, 200], [200u8, 90]);
        let c = image_from_frame(Planes::Yuv { y: &y, u: &u, v: &v }, &i).unwrap();
        assert_eq!(a.data(), b.data());
        assert_eq!(a.data(), c.data());
        let px = rgb_from_yuv(100, 90, 200);
        assert_eq!(&a.data()[..3], &px);
        assert!(px[0] > px[2], "red-ish: {px:?}");
    }

    #[test]
    fn row_path_equals_the_per_pixel_path() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);
        for format in [PixelFormat::Rgba, PixelFormat::Bgra, PixelFormat::Rgb, PixelFormat::Grey] {
            for (w, h, pad) in [(1, 1, 0), (7, 5, 3), (33, 2, 0), (16, 9, 12)] {
                let mut i = info(w, h, format, Rotation::Deg0);
                let row = w as usize * bytes_per_pixel(format);
                i.row_stride = (row + pad) as u32;
                // The last row needs no padding.
                let len = (h as usize - 1) * (row + pad) + row;
                let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
                let fast = packed_rows(&bytes, &i).unwrap();
                let slow = per_pixel(Planes::Packed(&bytes), &i).unwrap();
                assert_eq!((fast.width(), fast.height()), (slow.width(), slow.height()));
                assert_eq!(fast.channels(), slow.channels());
                assert_eq!(fast.data(), slow.data(), "{format:?} {w}x{h}+{pad}");
                let short = packed_rows(&bytes[..len - 1], &i);
                assert!(matches!(short, Err(ApiError::InvalidInput { .. })));
            }
        }
        assert_eq!(UNIT[255], 1.0);
        assert_eq!(UNIT[51], 51.0 / 255.0);
    }

    #[test]
    fn bad_layouts_are_input_errors() {
        let short = [0u8; 5];
        let e =
            image_from_frame(Planes::Packed(&short), &info(2, 2, PixelFormat::Rgb, Rotation::Deg0));
        assert!(matches!(e, Err(ApiError::InvalidInput { .. })));
        let e = image_from_frame(
            Planes::Packed(&short),
            &info(0, 2, PixelFormat::Grey, Rotation::Deg0),
        );
        assert!(matches!(e, Err(ApiError::InvalidInput { .. })));
        let mut i = info(4, 1, PixelFormat::Rgba, Rotation::Deg0);
        i.row_stride = 8;
        let e = image_from_frame(Planes::Packed(&[0u8; 16]), &i);
        assert!(matches!(e, Err(ApiError::InvalidInput { .. })));
        let yuv = info(2, 2, PixelFormat::Yuv420888, Rotation::Deg0);
        let e = image_from_frame(Planes::Packed(&[0u8; 6]), &yuv);
        assert!(matches!(e, Err(ApiError::InvalidInput { .. })));
        // Sizes far beyond the buffer fail before any allocation, rotated or not.
        for r in [Rotation::Deg0, Rotation::Deg90] {
            for f in [PixelFormat::Rgba, PixelFormat::Nv21] {
                let huge = info(u32::MAX, u32::MAX, f, r);
                let e = image_from_frame(Planes::Packed(&short), &huge);
                assert!(matches!(e, Err(ApiError::InvalidInput { .. })), "{f:?} {r:?}");
            }
        }
        // NV21 whose chroma plane is cut short (luma complete).
        let e = image_from_frame(
            Planes::Packed(&[0u8; 5]),
            &info(2, 2, PixelFormat::Nv21, Rotation::Deg0),
        );
        assert!(matches!(e, Err(ApiError::InvalidInput { .. })));
        let (y, uv) = ([0u8; 4], [0u8; 0]);
        let e = image_from_frame(Planes::Yuv { y: &y, u: &uv, v: &uv }, &yuv);
        assert!(matches!(e, Err(ApiError::InvalidInput { .. })));
    }
}
