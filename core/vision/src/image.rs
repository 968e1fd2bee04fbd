//! Images as `f32` arrays: decoding, grey/RGB conversion, resizing and sampling.
//!
//! Conventions (DESIGN.md): pixel (0, 0) is the centre of the top-left pixel, so pixel `i`
//! covers the interval `[i - 0.5, i + 0.5)`, and a resize by a factor `s` maps
//! `x' = (x + 0.5) s - 0.5`. Values are in `[0, 1]`, channels interleaved (row-major HWC).

use crate::error::{Result, VisionError};

/// An image of `f32` values in `[0, 1]`, row-major, channels interleaved.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    width: usize,
    height: usize,
    channels: usize,
    data: Vec<f32>,
}

impl Image {
    /// Wraps a pixel buffer of `width * height * channels` values (channels 1 or 3).
    ///
    /// # Errors
    /// [`VisionError::EmptyImage`] for a zero side, [`VisionError::Channels`] for a channel
    /// count other than 1 or 3, [`VisionError::BufferSize`] when the buffer length is wrong.
    pub fn new(width: usize, height: usize, channels: usize, data: Vec<f32>) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(VisionError::EmptyImage { width, height });
        }
        if channels != 1 && channels != 3 {
            return Err(VisionError::Channels { channels });
        }
        let expected = width * height * channels;
        if data.len() != expected {
            return Err(VisionError::BufferSize { expected, got: data.len() });
        }
        Ok(Self { width, height, channels, data })
    }

    /// A black image.
    ///
    /// # Errors
    /// As [`Image::new`].
    pub fn zeros(width: usize, height: usize, channels: usize) -> Result<Self> {
        Self::new(width, height, channels, vec![0.0; width * height * channels])
    }

    /// Builds an image from 8-bit values (`channels` 1 or 3), scaled to `[0, 1]`.
    ///
    /// # Errors
    /// As [`Image::new`].
    pub fn from_u8(width: usize, height: usize, channels: usize, data: &[u8]) -> Result<Self> {
        Self::new(width, height, channels, data.iter().map(|&v| f32::from(v) / 255.0).collect())
    }

    /// Decodes PNG or JPEG bytes into an RGB image.
    ///
    /// # Errors
    /// [`VisionError::Decode`] when the bytes are not a decodable image,
    /// [`VisionError::EmptyImage`] for a zero-sized one.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let img = image::load_from_memory(bytes)
            .map_err(|e| VisionError::Decode { reason: e.to_string() })?;
        let rgb = img.to_rgb32f();
        let (w, h) = (rgb.width() as usize, rgb.height() as usize);
        Self::new(w, h, 3, rgb.into_raw())
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of channels (1 or 3).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The interleaved values.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Value at an integer pixel; `None` outside the image.
    pub fn get(&self, x: usize, y: usize, c: usize) -> Option<f32> {
        if x >= self.width || y >= self.height || c >= self.channels {
            return None;
        }
        self.data.get((y * self.width + x) * self.channels + c).copied()
    }

    /// Value at an integer pixel, with `0` outside the image.
    fn at_or_zero(&self, x: isize, y: isize, c: usize) -> f32 {
        if x < 0 || y < 0 {
            return 0.0;
        }
        self.get(x as usize, y as usize, c).unwrap_or(0.0)
    }

    /// Bilinear sample at a sub-pixel position; the image is extended by zeros outside.
    pub fn sample_bilinear(&self, x: f64, y: f64, c: usize) -> f32 {
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = ((x - x0) as f32, (y - y0) as f32);
        let (xi, yi) = (x0 as isize, y0 as isize);
        let top = self.at_or_zero(xi, yi, c) * (1.0 - fx) + self.at_or_zero(xi + 1, yi, c) * fx;
        let bottom =
            self.at_or_zero(xi, yi + 1, c) * (1.0 - fx) + self.at_or_zero(xi + 1, yi + 1, c) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// Grey image (ITU-R BT.601 luma `0.299 R + 0.587 G + 0.114 B`); a grey image is cloned.
    pub fn to_grey(&self) -> Image {
        if self.channels == 1 {
            return self.clone();
        }
        let data = self.data.chunks_exact(3).map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]);
        Image { width: self.width, height: self.height, channels: 1, data: data.collect() }
    }

    /// RGB image (grey replicated into three channels); an RGB image is cloned.
    pub fn to_rgb(&self) -> Image {
        if self.channels == 3 {
            return self.clone();
        }
        let data = self.data.iter().flat_map(|&v| [v, v, v]).collect();
        Image { width: self.width, height: self.height, channels: 3, data }
    }

    /// Resizes to `new_width x new_height` (pixel centres map as `x' = (x + 0.5) s - 0.5`).
    ///
    /// Shrinking averages the exact source area under each output pixel (no aliasing);
    /// enlarging interpolates bilinearly with the border pixels repeated.
    ///
    /// # Errors
    /// [`VisionError::EmptyImage`] when a requested side is zero.
    pub fn resize(&self, new_width: usize, new_height: usize) -> Result<Image> {
        if new_width == 0 || new_height == 0 {
            return Err(VisionError::EmptyImage { width: new_width, height: new_height });
        }
        let (mut tmp, mut out) = (Vec::new(), vec![0.0; new_width * new_height * self.channels]);
        crate::filter::resize_into(
            &self.data,
            (self.width, self.height),
            self.channels,
            (new_width, new_height),
            &mut tmp,
            &mut out,
        );
        Image::new(new_width, new_height, self.channels, out)
    }

    /// Resizes by a scale factor `s` (sides rounded to the nearest integer, at least 1).
    ///
    /// # Errors
    /// [`VisionError::InvalidParameter`] for a non-positive or non-finite scale.
    pub fn resize_by(&self, s: f64) -> Result<Image> {
        if !(s.is_finite() && s > 0.0) {
            return Err(VisionError::InvalidParameter {
                name: "scale",
                reason: "must be finite and positive".into(),
            });
        }
        let w = ((self.width as f64 * s).round() as usize).max(1);
        let h = ((self.height as f64 * s).round() as usize).max(1);
        self.resize(w, h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_garbage_and_reads_png() {
        assert!(matches!(Image::decode(b"not an image"), Err(VisionError::Decode { .. })));
        let mut png = Vec::new();
        let buf = image::RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8 * 50, y as u8, 7]));
        buf.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let img = Image::decode(&png).unwrap();
        assert_eq!((img.width(), img.height(), img.channels()), (5, 3, 3));
        assert!((img.get(4, 2, 0).unwrap() - 200.0 / 255.0).abs() < 1e-6);
        assert!((img.get(4, 2, 1).unwrap() - 2.0 / 255.0).abs() < 1e-6);
    }

    #[test]
    fn empty_and_bad_buffers_are_errors() {
        assert!(matches!(Image::zeros(0, 4, 1), Err(VisionError::EmptyImage { .. })));
        assert!(matches!(Image::new(2, 2, 1, vec![0.0; 3]), Err(VisionError::BufferSize { .. })));
        assert!(matches!(Image::zeros(2, 2, 2), Err(VisionError::Channels { .. })));
        let img = Image::zeros(4, 4, 1).unwrap();
        assert!(matches!(img.resize(0, 3), Err(VisionError::EmptyImage { .. })));
    }

    #[test]
    fn resize_keeps_pixel_centre_convention() {
        // A linear ramp v = x stays linear: output pixel x' holds (x' + 0.5) / s - 0.5.
        let ramp: Vec<f32> = (0..64).map(|i| (i % 8) as f32).collect();
        let img = Image::new(8, 8, 1, ramp).unwrap();
        let half = img.resize(4, 4).unwrap();
        for xo in 0..4 {
            let expected = (xo as f32 + 0.5) * 2.0 - 0.5;
            assert!((half.get(xo, 1, 0).unwrap() - expected).abs() < 1e-5);
        }
        let up = img.resize(16, 16).unwrap();
        for xo in 1..15 {
            let expected = ((xo as f32 + 0.5) / 2.0 - 0.5).clamp(0.0, 7.0);
            assert!((up.get(xo, 3, 0).unwrap() - expected).abs() < 1e-5, "{xo}");
        }
        // Area averaging preserves the mean for integer and fractional factors.
        let third = img.resize(3, 5).unwrap();
        let mean = third.data().iter().sum::<f32>() / 15.0;
        assert!((mean - 3.5).abs() < 1e-5);
    }

    #[test]
    fn grey_and_rgb_round_trip() {
        let img = Image::from_u8(1, 1, 3, &[255, 0, 51]).unwrap();
        assert_eq!(img.data(), &[1.0, 0.0, 0.2]);
        let img = Image::new(1, 1, 3, vec![1.0, 0.5, 0.0]).unwrap();
        let g = img.to_grey();
        assert!((g.data()[0] - (0.299 + 0.2935)).abs() < 1e-6);
        assert_eq!(g.to_rgb().data(), &[g.data()[0]; 3]);
        assert!((img.sample_bilinear(-0.5, 0.0, 0) - 0.5).abs() < 1e-6);
    }
}
