//! Gaussian blur and the Gaussian scale space of SIFT (Lowe, "Distinctive image features from
//! scale-invariant keypoints", IJCV 2004, section 3).
//!
//! Each octave holds `intervals + 3` images blurred to `sigma0 * 2^(i / intervals)` (in octave
//! pixels); the next octave starts from the image at twice the base blur, shrunk by two. The
//! shrink averages 2x2 blocks so that pixel centres follow the workspace convention
//! (`x' = (x + 0.5) / 2 - 0.5`); Lowe takes every second pixel instead, which shifts the grid by
//! half a pixel. The box average adds a blur of variance 1/12 octave pixel^2 (about 1.6 % on
//! sigma = 1.6), which detectors may ignore.

use crate::error::{Result, VisionError};
use crate::filter::{convolve_separable, gaussian_kernel};
use crate::image::Image;

/// Blurs every channel with a separable Gaussian of standard deviation `sigma` pixels
/// (kernel radius `ceil(3 sigma)`, borders replicated). `sigma <= 0` returns a copy.
pub fn gaussian_blur(img: &Image, sigma: f64) -> Image {
    let Some(kernel) = gaussian_kernel(sigma) else {
        return img.clone();
    };
    let (mut tmp, mut out) = (Vec::new(), vec![0.0; img.data().len()]);
    convolve_separable(
        img.data(),
        img.width(),
        img.height(),
        img.channels(),
        &kernel,
        &mut tmp,
        &mut out,
    );
    // The buffer has the size of a valid image, so this cannot fail; fall back to a copy.
    Image::new(img.width(), img.height(), img.channels(), out).unwrap_or_else(|_| img.clone())
}

/// A plain Gaussian pyramid: level 0 is `img`, each next level is the previous one blurred by
/// `sigma` (pixels) and halved in size (2x2 area average, pixel-centre convention). Stops after
/// `levels` levels or when a side would drop below 1 pixel.
///
/// # Errors
/// [`VisionError::InvalidParameter`] for `levels == 0`.
pub fn gaussian_pyramid(img: &Image, levels: usize, sigma: f64) -> Result<Vec<Image>> {
    if levels == 0 {
        return Err(VisionError::InvalidParameter {
            name: "levels",
            reason: "must be >= 1".into(),
        });
    }
    let mut out = vec![img.clone()];
    while out.len() < levels {
        let Some(last) = out.last() else { break };
        let (w, h) = (last.width() / 2, last.height() / 2);
        if w == 0 || h == 0 {
            break;
        }
        let next = gaussian_blur(last, sigma).resize(w, h)?;
        out.push(next);
    }
    Ok(out)
}

/// Parameters of the Gaussian scale space (defaults from Lowe 2004).
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleSpaceConfig {
    /// Blur of the first image of each octave, in octave pixels (Lowe: 1.6).
    pub sigma0: f64,
    /// Blur already present in the input image (Lowe: 0.5).
    pub assumed_blur: f64,
    /// Scales sampled per octave (Lowe: 3).
    pub intervals: usize,
    /// Enlarge the input by two first (Lowe does; finds small blobs, costs 4x).
    pub double_image: bool,
    /// Stop when an octave's shorter side would drop below this many pixels.
    pub min_size: usize,
    /// Upper bound on the number of octaves.
    pub max_octaves: usize,
}

impl Default for ScaleSpaceConfig {
    fn default() -> Self {
        Self {
            sigma0: 1.6,
            assumed_blur: 0.5,
            intervals: 3,
            double_image: false,
            min_size: 16,
            max_octaves: 8,
        }
    }
}

impl ScaleSpaceConfig {
    /// Checks the parameters against an input of `width x height` pixels; returns the
    /// smallest octave side allowed (`min_size`, at least 3).
    ///
    /// # Errors
    /// [`VisionError::InvalidParameter`] for `intervals == 0` or a non-positive `sigma0`;
    /// [`VisionError::ImageTooSmall`] when the image is smaller than `min_size`.
    pub fn check(&self, width: usize, height: usize) -> Result<usize> {
        if self.intervals == 0 || self.sigma0.is_nan() || self.sigma0 <= 0.0 {
            return Err(VisionError::InvalidParameter {
                name: "scale space",
                reason: "intervals must be >= 1 and sigma0 > 0".into(),
            });
        }
        let min_size = self.min_size.max(3);
        if width.min(height) < min_size {
            return Err(VisionError::ImageTooSmall { width, height, required: min_size });
        }
        Ok(min_size)
    }

    /// Blur (octave pixels) of image `i` of an octave: `sigma0 * 2^(i / intervals)`.
    pub fn sigma_at(&self, i: usize) -> f64 {
        let k = 2f64.powf(1.0 / self.intervals as f64);
        self.sigma0 * k.powi(i as i32)
    }

    /// Blur to add to image `i - 1` of an octave to obtain image `i` (`i >= 1`).
    pub fn increment(&self, i: usize) -> f64 {
        (self.sigma_at(i).powi(2) - self.sigma_at(i - 1).powi(2)).sqrt()
    }

    /// Input blur of the base image (`2 assumed_blur` when doubled) and the blur that brings
    /// it to `sigma0` (0 when it is already there).
    pub fn first_blur(&self) -> f64 {
        let blur = if self.double_image { 2.0 * self.assumed_blur } else { self.assumed_blur };
        (self.sigma0.powi(2) - blur.powi(2)).max(0.0).sqrt()
    }
}

/// One octave: `intervals + 3` progressively blurred images of the same size.
#[derive(Debug, Clone)]
pub struct Octave {
    /// Size of one octave pixel in base-image pixels (1 for the first octave, doubling).
    pub step: f64,
    /// The blurred images, blur `sigma0 * 2^(i / intervals)` in octave pixels.
    pub images: Vec<Image>,
}

/// The Gaussian scale space of a grey image.
#[derive(Debug, Clone)]
pub struct ScaleSpace {
    /// The configuration it was built with.
    pub config: ScaleSpaceConfig,
    /// Octaves from finest to coarsest.
    pub octaves: Vec<Octave>,
    /// Size of one base-image pixel in input pixels (0.5 when doubled, else 1).
    pub base_step: f64,
}

impl ScaleSpace {
    /// Builds the scale space of `img` (converted to grey).
    ///
    /// # Errors
    /// [`VisionError::InvalidParameter`] for `intervals == 0` or a non-positive `sigma0`;
    /// [`VisionError::ImageTooSmall`] when the image is smaller than `min_size`.
    pub fn new(img: &Image, config: &ScaleSpaceConfig) -> Result<Self> {
        let min_size = config.check(img.width(), img.height())?;
        let grey = img.to_grey();
        let (base, base_step) = if config.double_image {
            (grey.resize(grey.width() * 2, grey.height() * 2)?, 0.5)
        } else {
            (grey, 1.0)
        };
        let s = config.intervals;
        let mut octaves = Vec::new();
        let mut first = gaussian_blur(&base, config.first_blur());
        let mut step = 1.0;
        for _ in 0..config.max_octaves.max(1) {
            let mut images = Vec::with_capacity(s + 3);
            images.push(first);
            for i in 1..s + 3 {
                let next = gaussian_blur(images.last().unwrap_or(&base), config.increment(i));
                images.push(next);
            }
            let next_src = images.get(s).unwrap_or(&base).clone();
            octaves.push(Octave { step, images });
            let (nw, nh) = (next_src.width() / 2, next_src.height() / 2);
            if nw.min(nh) < min_size {
                break;
            }
            first = next_src.resize(nw, nh)?;
            step *= 2.0;
        }
        Ok(Self { config: config.clone(), octaves, base_step })
    }

    /// Maps an octave pixel position to input-image pixels (centre convention).
    pub fn to_input(&self, octave_step: f64, x: f64) -> f64 {
        let base = (x + 0.5) * octave_step - 0.5;
        (base + 0.5) * self.base_step - 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blur_preserves_constant_and_mean() {
        let img = Image::new(9, 7, 1, vec![0.25; 63]).unwrap();
        let b = gaussian_blur(&img, 1.3);
        assert!(b.data().iter().all(|v| (v - 0.25).abs() < 1e-6));
        let mut delta = vec![0.0; 31 * 31];
        delta[15 * 31 + 15] = 1.0;
        let d = Image::new(31, 31, 1, delta).unwrap();
        let b = gaussian_blur(&d, 2.0);
        let (sum, var): (f32, f32) =
            b.data().iter().enumerate().fold((0.0, 0.0), |(s, v), (i, &x)| {
                let dx = (i % 31) as f32 - 15.0;
                (s + x, v + x * dx * dx)
            });
        assert!((sum - 1.0).abs() < 1e-5);
        assert!((var - 4.0).abs() < 0.1, "{var}");
    }

    #[test]
    fn pyramid_levels() {
        let img = Image::new(40, 20, 3, vec![0.5; 40 * 20 * 3]).unwrap();
        let p = gaussian_pyramid(&img, 10, 1.0).unwrap();
        let sizes: Vec<_> = p.iter().map(|l| (l.width(), l.height())).collect();
        assert_eq!(sizes, vec![(40, 20), (20, 10), (10, 5), (5, 2), (2, 1), (1, 0)][..5]);
        assert!(p[4].data().iter().all(|v| (v - 0.5).abs() < 1e-6));
        assert!(gaussian_pyramid(&img, 0, 1.0).is_err());
    }

    #[test]
    fn scale_space_shapes() {
        let img = Image::zeros(100, 64, 1).unwrap();
        let ss = ScaleSpace::new(&img, &ScaleSpaceConfig::default()).unwrap();
        assert_eq!(ss.octaves.len(), 3);
        assert_eq!(ss.octaves[0].images.len(), 6);
        assert_eq!(ss.octaves[2].images[0].width(), 25);
        assert!((ss.to_input(2.0, 0.0) - 0.5).abs() < 1e-12);
        let small = Image::zeros(8, 8, 1).unwrap();
        assert!(matches!(
            ScaleSpace::new(&small, &ScaleSpaceConfig::default()),
            Err(VisionError::ImageTooSmall { .. })
        ));
    }
}
