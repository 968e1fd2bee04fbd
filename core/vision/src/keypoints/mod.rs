//! Keypoints: a DoG detector after Lowe (IJCV 2004) and the dense grid of LandscapeAR
//! (Brejcha et al., ECCV 2020), both with an optional sky mask from a depth map.

pub mod dog;
mod dog_refine;
pub mod grid;

pub use dog::{DogConfig, DogWorkspace, detect_dog, detect_dog_with};
pub use grid::{GridConfig, detect_grid};

use crate::image::Image;

/// A keypoint in input-image pixels (pixel (0, 0) = centre of the top-left pixel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Keypoint {
    /// Column, pixels.
    pub x: f64,
    /// Row, pixels.
    pub y: f64,
    /// Scale: the blur (sigma) at which the blob responds most, in input pixels.
    pub sigma: f64,
    /// Detector response (|DoG| at the extremum; 0 for grid points).
    pub response: f32,
}

/// A per-pixel depth map (metres, one channel); `+inf` marks sky.
///
/// It may have another resolution than the image: positions are scaled by the size ratio
/// with the pixel-centre convention.
#[derive(Debug, Clone, Copy)]
pub struct SkyMask<'a> {
    /// The depth map (one channel).
    pub depth: &'a Image,
}

impl SkyMask<'_> {
    /// True when the depth at image position (x, y) of an image `width x height` is `+inf`
    /// (nearest depth pixel; positions outside the map are not sky).
    pub fn is_sky(&self, x: f64, y: f64, width: usize, height: usize) -> bool {
        let sx = self.depth.width() as f64 / width as f64;
        let sy = self.depth.height() as f64 / height as f64;
        let (dx, dy) = (((x + 0.5) * sx - 0.5).round(), ((y + 0.5) * sy - 0.5).round());
        if dx < 0.0 || dy < 0.0 {
            return false;
        }
        self.depth.get(dx as usize, dy as usize, 0).is_some_and(|d| d == f32::INFINITY)
    }
}

/// Keeps the `n` keypoints of largest response (all when `n` is `None`), strongest first.
pub fn keep_best(mut kps: Vec<Keypoint>, n: Option<usize>) -> Vec<Keypoint> {
    kps.sort_by(|a, b| b.response.total_cmp(&a.response));
    if let Some(n) = n {
        kps.truncate(n);
    }
    kps
}
