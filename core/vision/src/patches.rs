//! FOV-normalised patches (LandscapeAR, Brejcha et al., ECCV 2020, section 4): the image is
//! resampled so that its width becomes `(hfov / pi) * reference_width` pixels (LandscapeAR:
//! 3000), then a fixed `64 x 64` window is cut around each keypoint. A patch therefore spans
//! the same angle whatever the camera: `64 * 180 / 3000 = 3.84` degrees.
//!
//! Patch pixel `(u, v)` of a keypoint at `(x, y)` (input pixels) samples the resampled image at
//! `(x' + u - (S - 1) / 2, y' + v - (S - 1) / 2)`, where `x' = (x + 0.5) s - 0.5` and `S` is the
//! patch size: the keypoint sits at the patch centre. Sampling is bilinear with zeros outside
//! the image.

use crate::error::{Result, VisionError};
use crate::image::Image;
use crate::keypoints::Keypoint;
use rayon::prelude::*;

/// A batch of square patches, layout `N x C x S x S` (PyTorch NCHW), values in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Patches {
    size: usize,
    channels: usize,
    data: Vec<f32>,
}

impl Patches {
    /// Wraps `N x channels x size x size` values.
    ///
    /// # Errors
    /// [`VisionError::BufferSize`] when the length is not a multiple of one patch;
    /// [`VisionError::InvalidParameter`] for a zero size or channel count.
    pub fn new(size: usize, channels: usize, data: Vec<f32>) -> Result<Self> {
        if size == 0 || channels == 0 {
            return Err(VisionError::InvalidParameter {
                name: "patch",
                reason: "size and channels must be positive".into(),
            });
        }
        let per = size * size * channels;
        if !data.len().is_multiple_of(per) {
            return Err(VisionError::BufferSize {
                expected: data.len().div_ceil(per) * per,
                got: data.len(),
            });
        }
        Ok(Self { size, channels, data })
    }

    /// Number of patches.
    pub fn len(&self) -> usize {
        self.data.len() / (self.size * self.size * self.channels)
    }

    /// True when there are no patches.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Side length in pixels.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Channels per patch (3 for RGB, 1 for grey).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// All values, NCHW.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The values, NCHW, giving up the patches (to reuse the buffer, e.g. with
    /// [`PatchExtractor::extract_into`]).
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// The values of patch `i` (C x S x S), `None` past the end.
    pub fn patch(&self, i: usize) -> Option<&[f32]> {
        let per = self.size * self.size * self.channels;
        self.data.get(i * per..(i + 1) * per)
    }
}

/// Parameters of FOV-normalised patch extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchConfig {
    /// Patch side, pixels (LandscapeAR: 64).
    pub size: usize,
    /// Width the image would have for a 180-degree horizontal FOV (LandscapeAR: 3000).
    pub reference_width: f64,
}

impl Default for PatchConfig {
    fn default() -> Self {
        Self { size: 64, reference_width: 3000.0 }
    }
}

impl PatchConfig {
    /// Angle spanned by one patch, radians.
    pub fn patch_angle(&self) -> f64 {
        self.size as f64 * std::f64::consts::PI / self.reference_width
    }
}

/// Cuts FOV-normalised patches out of one image.
#[derive(Debug, Clone)]
pub struct PatchExtractor {
    scaled: Image,
    scale_x: f64,
    scale_y: f64,
    size: usize,
}

impl PatchExtractor {
    /// Resamples `img` (grey or RGB) for a horizontal field of view `hfov` (radians).
    ///
    /// # Errors
    /// [`VisionError::InvalidParameter`] for `hfov` outside `(0, pi)` or a zero patch size;
    /// [`VisionError::ImageTooSmall`] when the resampled image is smaller than one patch.
    pub fn new(img: &Image, hfov: f64, config: &PatchConfig) -> Result<Self> {
        if !(hfov > 0.0 && hfov < std::f64::consts::PI) {
            return Err(VisionError::InvalidParameter {
                name: "hfov",
                reason: "must be in (0, pi) radians".into(),
            });
        }
        if config.size == 0 || config.reference_width.is_nan() || config.reference_width <= 0.0 {
            return Err(VisionError::InvalidParameter {
                name: "patch config",
                reason: "size and reference width must be positive".into(),
            });
        }
        let target_w = hfov / std::f64::consts::PI * config.reference_width;
        let approx_scale = target_w / img.width() as f64;
        let w = target_w.round() as usize;
        let h = (img.height() as f64 * approx_scale).round() as usize;
        if w < config.size || h < config.size {
            return Err(VisionError::ImageTooSmall { width: w, height: h, required: config.size });
        }
        // The sides are rounded; use the exact per-axis factors so x' = (x + 0.5) s - 0.5 holds.
        let scaled =
            if w == img.width() && h == img.height() { img.clone() } else { img.resize(w, h)? };
        let scale_x = w as f64 / img.width() as f64;
        let scale_y = h as f64 / img.height() as f64;
        Ok(Self { scaled, scale_x, scale_y, size: config.size })
    }

    /// The resampled image.
    pub fn scaled_image(&self) -> &Image {
        &self.scaled
    }

    /// Horizontal resampling factor `s` (resampled width / input width).
    pub fn scale(&self) -> f64 {
        self.scale_x
    }

    /// One patch per keypoint, same order, in the image's channels.
    ///
    /// # Errors
    /// None in practice (the patch shape is valid by construction).
    pub fn extract(&self, keypoints: &[Keypoint]) -> Result<Patches> {
        self.extract_into(keypoints, Vec::new())
    }

    /// [`Self::extract`] into the allocation of `buffer` (its values are discarded), so that
    /// repeated extraction does not allocate once the buffer is large enough.
    ///
    /// Patches are cut in parallel. The keypoint's sub-pixel offset is the same for every
    /// pixel of its patch, so the bilinear weights are computed once per patch; patches that
    /// lie inside the image read rows directly, the others sample pixel by pixel with zeros
    /// outside.
    ///
    /// # Errors
    /// As [`Self::extract`].
    pub fn extract_into(&self, keypoints: &[Keypoint], mut buffer: Vec<f32>) -> Result<Patches> {
        let (s, ch) = (self.size, self.scaled.channels());
        let per = s * s * ch;
        buffer.clear();
        buffer.resize(keypoints.len() * per, 0.0);
        buffer.par_chunks_mut(per).zip(keypoints).for_each(|(out, kp)| {
            let cx = (kp.x + 0.5) * self.scale_x - 0.5;
            let cy = (kp.y + 0.5) * self.scale_y - 0.5;
            self.cut(cx, cy, out);
        });
        Patches::new(s, ch, buffer)
    }

    /// Writes the patch centred at (cx, cy) (resampled pixels) into `out` (C x S x S).
    fn cut(&self, cx: f64, cy: f64, out: &mut [f32]) {
        let (s, ch) = (self.size, self.scaled.channels());
        let (w, h) = (self.scaled.width(), self.scaled.height());
        let half = (s as f64 - 1.0) / 2.0;
        let (left, top) = (cx - half, cy - half);
        let (x0, y0) = (left.floor(), top.floor());
        let inside =
            x0 >= 0.0 && y0 >= 0.0 && x0 + (s as f64) < w as f64 && y0 + (s as f64) < h as f64;
        if !inside {
            for (c, plane) in out.chunks_exact_mut(s * s).enumerate() {
                for (v, row) in plane.chunks_exact_mut(s).enumerate() {
                    for (u, o) in row.iter_mut().enumerate() {
                        *o = self.scaled.sample_bilinear(left + u as f64, top + v as f64, c);
                    }
                }
            }
            return;
        }
        let (fx, fy) = ((left - x0) as f32, (top - y0) as f32);
        let (xi, yi) = (x0 as usize, y0 as usize);
        let data = self.scaled.data();
        let stride = w * ch;
        for (c, plane) in out.chunks_exact_mut(s * s).enumerate() {
            for (v, row) in plane.chunks_exact_mut(s).enumerate() {
                // Rows y0 + v and y0 + v + 1, from column x0, channel c: s + 1 samples each.
                let start = (yi + v) * stride + xi * ch + c;
                let (Some(r0), Some(r1)) = (
                    data.get(start..start + s * ch + 1),
                    data.get(start + stride..start + stride + s * ch + 1),
                ) else {
                    continue;
                };
                for (u, o) in row.iter_mut().enumerate() {
                    let (a, b) = (r0[u * ch], r0[(u + 1) * ch]);
                    let (d, e) = (r1[u * ch], r1[(u + 1) * ch]);
                    let top = a * (1.0 - fx) + b * fx;
                    let bottom = d * (1.0 - fx) + e * fx;
                    *o = top * (1.0 - fy) + bottom * fy;
                }
            }
        }
    }
}

/// Area-downsamples patches by an integer `factor` (e.g. 64 -> 32 for HardTFeat).
///
/// # Errors
/// [`VisionError::InvalidParameter`] when `factor` is zero or does not divide the size.
pub fn downsample_patches(p: &Patches, factor: usize) -> Result<Patches> {
    if factor == 0 || !p.size().is_multiple_of(factor) {
        return Err(VisionError::InvalidParameter {
            name: "factor",
            reason: "must divide the patch size".into(),
        });
    }
    let (s, n) = (p.size(), p.size() / factor);
    let norm = 1.0 / (factor * factor) as f32;
    let mut out = Vec::with_capacity(p.data().len() / (factor * factor));
    for plane in p.data().chunks_exact(s * s) {
        for y in 0..n {
            for x in 0..n {
                let mut acc = 0.0;
                for dy in 0..factor {
                    let row = &plane[(y * factor + dy) * s + x * factor..][..factor];
                    acc += row.iter().sum::<f32>();
                }
                out.push(acc * norm);
            }
        }
    }
    Patches::new(n, p.channels(), out)
}

/// Converts RGB patches to grey (BT.601 luma, as [`Image::to_grey`]); grey patches are cloned.
pub fn grey_patches(p: &Patches) -> Patches {
    if p.channels() != 3 {
        return p.clone();
    }
    let plane = p.size() * p.size();
    let mut out = Vec::with_capacity(p.data().len() / 3);
    for patch in p.data().chunks_exact(3 * plane) {
        let (r, rest) = patch.split_at(plane);
        let (g, b) = rest.split_at(plane);
        out.extend(r.iter().zip(g).zip(b).map(|((r, g), b)| 0.299 * r + 0.587 * g + 0.114 * b));
    }
    Patches { size: p.size(), channels: 1, data: out }
}
