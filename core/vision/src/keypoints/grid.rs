//! Dense grid keypoints, the alternative to DoG that LandscapeAR (Brejcha et al., ECCV 2020)
//! uses for rendered views: points every `stride` pixels inside a border margin.

use super::{Keypoint, SkyMask};
use crate::error::{Result, VisionError};
use crate::image::Image;

/// Parameters of the grid detector.
#[derive(Debug, Clone, PartialEq)]
pub struct GridConfig {
    /// Spacing between points, pixels (>= 1).
    pub stride: usize,
    /// Distance kept from every image border, pixels.
    pub margin: usize,
    /// Scale given to every point, pixels.
    pub sigma: f64,
}

impl Default for GridConfig {
    fn default() -> Self {
        Self { stride: 16, margin: 32, sigma: 1.6 }
    }
}

/// Grid points over `img`, row by row, skipping sky when a mask is given.
///
/// # Errors
/// [`VisionError::InvalidParameter`] for a zero stride; [`VisionError::ImageTooSmall`] when
/// the margins leave no room.
pub fn detect_grid(
    img: &Image,
    config: &GridConfig,
    sky: Option<SkyMask<'_>>,
) -> Result<Vec<Keypoint>> {
    if config.stride == 0 {
        return Err(VisionError::InvalidParameter {
            name: "stride",
            reason: "must be >= 1".into(),
        });
    }
    let (w, h) = (img.width(), img.height());
    let required = 2 * config.margin + 1;
    if w < required || h < required {
        return Err(VisionError::ImageTooSmall { width: w, height: h, required });
    }
    let mut out = Vec::new();
    for y in (config.margin..h - config.margin).step_by(config.stride) {
        for x in (config.margin..w - config.margin).step_by(config.stride) {
            let (xf, yf) = (x as f64, y as f64);
            if sky.is_some_and(|m| m.is_sky(xf, yf, w, h)) {
                continue;
            }
            out.push(Keypoint { x: xf, y: yf, sigma: config.sigma, response: 0.0 });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_spacing_margin_and_sky() {
        let img = Image::zeros(100, 50, 3).unwrap();
        let cfg = GridConfig { stride: 10, margin: 5, sigma: 2.0 };
        let kps = detect_grid(&img, &cfg, None).unwrap();
        assert_eq!(kps.len(), 9 * 4);
        assert_eq!((kps[0].x, kps[0].y), (5.0, 5.0));
        assert_eq!((kps[10].x, kps[10].y), (15.0, 15.0));
        // Sky in the top half of a half-resolution depth map removes the first two rows.
        let depth: Vec<f32> =
            (0..50 * 25).map(|i| if i / 50 < 12 { f32::INFINITY } else { 100.0 }).collect();
        let depth = Image::new(50, 25, 1, depth).unwrap();
        let kps = detect_grid(&img, &cfg, Some(SkyMask { depth: &depth })).unwrap();
        assert!(kps.iter().all(|k| k.y >= 25.0));
        assert_eq!(kps.len(), 9 * 2);
        let bad = GridConfig { stride: 0, ..cfg };
        assert!(detect_grid(&img, &bad, None).is_err());
        let tiny = Image::zeros(10, 10, 1).unwrap();
        assert!(matches!(detect_grid(&tiny, &cfg, None), Err(VisionError::ImageTooSmall { .. })));
    }
}
