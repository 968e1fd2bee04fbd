//! Difference-of-Gaussians keypoints (Lowe, "Distinctive image features from scale-invariant
//! keypoints", IJCV 2004): scale-space extrema of the DoG, refined to sub-pixel and sub-scale
//! position with a quadratic fit (section 4), rejected at low contrast `|D(x)| < threshold`
//! and on edges `tr(H)^2 / det(H) >= (r + 1)^2 / r` (section 4.1).
//!
//! The scale space ([`crate::pyramid::ScaleSpaceConfig`]) is built one octave at a time in the
//! buffers of a [`DogWorkspace`]: each Gaussian image is the previous one blurred by the
//! increment `sqrt(sigma_i^2 - sigma_(i-1)^2)` (Lowe 2004, section 3), and as soon as image
//! `i + 1` exists image `i` is replaced in place by the DoG `G_(i+1) - G_i`, so an octave
//! needs `intervals + 3` buffers whatever its depth. The next octave starts from
//! `G_intervals` (twice the octave's base blur) shrunk by two, taken before it becomes a DoG.
//! Extrema are searched row by row in parallel and the rows collected in order, so the
//! keypoints and their order do not depend on the number of threads.

use rayon::prelude::*;

use super::dog_refine::{DogPlane, is_extremum, refine};
use super::{Keypoint, SkyMask, keep_best};
use crate::error::Result;
use crate::filter::{convolve_separable, gaussian_kernel, grown, resize_into};
use crate::image::Image;
use crate::pyramid::ScaleSpaceConfig;

/// Parameters of the DoG detector (defaults from Lowe 2004, values in `[0, 1]` images).
#[derive(Debug, Clone, PartialEq)]
pub struct DogConfig {
    /// The scale space.
    pub scale_space: ScaleSpaceConfig,
    /// Minimum `|D|` at the refined extremum (Lowe: 0.03).
    pub contrast_threshold: f32,
    /// Maximum ratio of principal curvatures `r` (Lowe: 10).
    pub edge_threshold: f32,
    /// Keep only the `n` strongest keypoints.
    pub max_keypoints: Option<usize>,
    /// Keypoints closer than this to a border (input pixels) are dropped.
    pub border: f64,
}

impl Default for DogConfig {
    fn default() -> Self {
        Self {
            scale_space: ScaleSpaceConfig::default(),
            contrast_threshold: 0.03,
            edge_threshold: 10.0,
            max_keypoints: None,
            border: 5.0,
        }
    }
}

/// Buffers of the DoG detector, kept between calls so that repeated detections do not
/// allocate (and fault in) the octave images again. One workspace serves one call at a time.
#[derive(Debug, Default, Clone)]
pub struct DogWorkspace {
    /// The octave's images: Gaussians, turned into DoGs in place.
    planes: Vec<Vec<f32>>,
    /// The first image of the next octave (and the base image before its blur).
    next: Vec<f32>,
    /// Intermediate rows of the separable passes.
    tmp: Vec<f32>,
}

impl DogWorkspace {
    /// An empty workspace; buffers grow on first use.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Detects DoG keypoints of `img`, strongest first; sky pixels (per `sky`) are skipped.
///
/// # Errors
/// As [`ScaleSpaceConfig::check`] (image smaller than the scale space's minimum size, bad
/// parameters).
pub fn detect_dog(
    img: &Image,
    config: &DogConfig,
    sky: Option<SkyMask<'_>>,
) -> Result<Vec<Keypoint>> {
    detect_dog_with(img, config, sky, &mut DogWorkspace::new())
}

/// [`detect_dog`] with the buffers of `workspace` (same keypoints, no allocation of octave
/// images once the workspace has grown to the image size).
///
/// # Errors
/// As [`detect_dog`].
pub fn detect_dog_with(
    img: &Image,
    config: &DogConfig,
    sky: Option<SkyMask<'_>>,
    workspace: &mut DogWorkspace,
) -> Result<Vec<Keypoint>> {
    let ssc = &config.scale_space;
    let min_size = ssc.check(img.width(), img.height())?;
    let s = ssc.intervals;
    let octaves = ssc.max_octaves.max(1);
    let grey_image;
    let grey = if img.channels() == 1 {
        img.data()
    } else {
        grey_image = img.to_grey();
        grey_image.data()
    };
    let DogWorkspace { planes, next, tmp } = workspace;
    planes.resize_with(s + 3, Vec::new);
    let (mut w, mut h) = (img.width(), img.height());
    if ssc.double_image {
        (w, h) = (2 * w, 2 * h);
        resize_into(grey, (img.width(), img.height()), 1, (w, h), tmp, grown(next, w * h));
    } else {
        grown(next, w * h).copy_from_slice(grey);
    }
    let ctx = Context {
        config,
        sky,
        input: (img.width(), img.height()),
        base_step: if ssc.double_image { 0.5 } else { 1.0 },
    };
    let first = gaussian_kernel(ssc.first_blur());
    blur_into(&next[..w * h], (w, h), first.as_deref(), tmp, grown(&mut planes[0], w * h));
    let kernels: Vec<Option<Vec<f32>>> =
        (1..s + 3).map(|i| gaussian_kernel(ssc.increment(i))).collect();
    let mut step = 1.0;
    let mut out = Vec::new();
    for octave in 0..octaves {
        let (n, nw, nh) = (w * h, w / 2, h / 2);
        let has_next = octave + 1 < octaves && nw.min(nh) >= min_size;
        for (i, kernel) in (1..s + 3).zip(&kernels) {
            let (lower, upper) = planes.split_at_mut(i);
            let prev = &mut lower[i - 1][..n];
            let cur = grown(&mut upper[0], n);
            if i == s + 1 && has_next {
                resize_into(prev, (w, h), 1, (nw, nh), tmp, grown(next, nw * nh));
            }
            blur_into(prev, (w, h), kernel.as_deref(), tmp, cur);
            // DoG in place of the lower Gaussian: D = G_i - G_(i-1).
            prev.par_chunks_mut(w * 64).zip(cur.par_chunks(w * 64)).for_each(|(d, g)| {
                d.iter_mut().zip(g).for_each(|(d, g)| *d = g - *d);
            });
        }
        let dogs: Vec<DogPlane<'_>> =
            planes[..s + 2].iter().map(|v| DogPlane { w, h, v: &v[..n] }).collect();
        out.extend(scan_octave(&dogs, step, &ctx));
        if !has_next {
            break;
        }
        std::mem::swap(next, &mut planes[0]);
        (w, h) = (nw, nh);
        step *= 2.0;
    }
    Ok(keep_best(out, config.max_keypoints))
}

/// Blurs a one-channel `w x h` image into `out` (a copy without a kernel).
fn blur_into(
    src: &[f32],
    (w, h): (usize, usize),
    kernel: Option<&[f32]>,
    tmp: &mut Vec<f32>,
    out: &mut [f32],
) {
    match kernel {
        Some(k) => convolve_separable(src, w, h, 1, k, tmp, out),
        None => out.copy_from_slice(src),
    }
}

/// What maps octave samples to keypoints of the input image.
struct Context<'a> {
    config: &'a DogConfig,
    sky: Option<SkyMask<'a>>,
    /// Input image size, pixels.
    input: (usize, usize),
    /// Size of one base-image pixel in input pixels (0.5 when doubled).
    base_step: f64,
}

/// The keypoints of one octave (`intervals + 2` DoGs, octave pixel = `step` base pixels), in
/// scale, row, column order.
fn scan_octave(dogs: &[DogPlane<'_>], step: f64, ctx: &Context<'_>) -> Vec<Keypoint> {
    let s = ctx.config.scale_space.intervals;
    let Some(h) = dogs.first().map(|d| d.h) else { return Vec::new() };
    let rows = h.saturating_sub(2);
    (0..s * rows)
        .into_par_iter()
        .flat_map_iter(|t| scan_row(dogs, 1 + t / rows, 1 + t % rows, step, ctx))
        .collect()
}

/// The keypoints found at row `y` of DoG `i` (`1 <= i <= intervals`, `1 <= y < h - 1`).
fn scan_row<'a>(
    dogs: &[DogPlane<'a>],
    i: usize,
    y: usize,
    step: f64,
    ctx: &Context<'_>,
) -> Vec<Keypoint> {
    let cfg = ctx.config;
    let rows_of = |d: DogPlane<'a>| [d.row(y - 1), d.row(y), d.row(y + 1)];
    let rows = [rows_of(dogs[i - 1]), rows_of(dogs[i]), rows_of(dogs[i + 1])];
    let centre = rows[1][1];
    let pre = 0.5 * cfg.contrast_threshold;
    let (w, h) = ctx.input;
    #[allow(clippy::cast_precision_loss)]
    let (wf, hf) = (w as f64, h as f64);
    let to_input = |x: f64| {
        let base = (x + 0.5) * step - 0.5;
        (base + 0.5) * ctx.base_step - 0.5
    };
    let mut out = Vec::new();
    for x in candidates(rows[1], pre) {
        if !is_extremum(&rows, x, centre[x]) {
            continue;
        }
        let Some((xo, yo, so, response)) = refine(dogs, i, x, y, cfg) else { continue };
        let (xi, yi) = (to_input(xo), to_input(yo));
        let inside = xi >= cfg.border
            && yi >= cfg.border
            && xi <= wf - 1.0 - cfg.border
            && yi <= hf - 1.0 - cfg.border;
        if !inside || ctx.sky.is_some_and(|m| m.is_sky(xi, yi, w, h)) {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        let sigma = cfg.scale_space.sigma0 * 2f64.powf(so / s_f64(cfg)) * step * ctx.base_step;
        out.push(Keypoint { x: xi, y: yi, sigma, response });
    }
    out
}

/// Columns of the centre row of `rows` (rows y - 1, y, y + 1 of one DoG) where `|v| > pre` and
/// `v` is above or below all four neighbours in that DoG: a necessary condition for an
/// extremum, evaluated without branches over blocks of columns so that it vectorises.
fn candidates<'a>(rows: [&'a [f32]; 3], pre: f32) -> impl Iterator<Item = usize> + 'a {
    const BLOCK: usize = 64;
    let [up, centre, down] = rows;
    let end = centre.len().saturating_sub(1).min(up.len()).min(down.len());
    (1..end).step_by(BLOCK).flat_map(move |x0| {
        let len = BLOCK.min(end - x0);
        let (l, c, r) = (&centre[x0 - 1..][..len], &centre[x0..][..len], &centre[x0 + 1..][..len]);
        let (u, d) = (&up[x0..][..len], &down[x0..][..len]);
        let mut mask = [false; BLOCK];
        for (j, m) in mask[..len].iter_mut().enumerate() {
            let v = c[j];
            let above = (v > l[j]) & (v > r[j]) & (v > u[j]) & (v > d[j]);
            let below = (v < l[j]) & (v < r[j]) & (v < u[j]) & (v < d[j]);
            *m = (v.abs() > pre) & (above | below);
        }
        (0..len).filter(move |&j| mask[j]).map(move |j| x0 + j)
    })
}

/// Intervals per octave as `f64`.
#[allow(clippy::cast_precision_loss)]
fn s_f64(cfg: &DogConfig) -> f64 {
    cfg.scale_space.intervals as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(w: usize, h: usize, blobs: &[(f64, f64, f64)]) -> Image {
        let mut data = vec![0.1f32; w * h];
        for (idx, v) in data.iter_mut().enumerate() {
            let (x, y) = ((idx % w) as f64, (idx / w) as f64);
            for &(bx, by, s) in blobs {
                let r2 = (x - bx).powi(2) + (y - by).powi(2);
                *v += (0.8 * (-r2 / (2.0 * s * s)).exp()) as f32;
            }
        }
        Image::new(w, h, 1, data).unwrap()
    }

    #[test]
    fn finds_blobs_at_position_and_scale() {
        let truth = [(40.3, 50.0, 3.0), (120.0, 60.6, 5.0), (80.0, 130.0, 8.0)];
        let img = blobs(192, 192, &truth);
        let kps = detect_dog(&img, &DogConfig::default(), None).unwrap();
        for &(bx, by, s) in &truth {
            let best = kps
                .iter()
                .min_by(|a, b| {
                    let da = (a.x - bx).hypot(a.y - by);
                    let db = (b.x - bx).hypot(b.y - by);
                    da.total_cmp(&db)
                })
                .unwrap();
            let dist = (best.x - bx).hypot(best.y - by);
            assert!(dist < 0.5, "blob at ({bx}, {by}) found at ({}, {})", best.x, best.y);
            // A Gaussian blob of std s peaks in the normalised Laplacian at sigma = s.
            assert!((best.sigma / s - 1.0).abs() < 0.2, "scale {} vs {s}", best.sigma);
        }
        // N best, border and sky.
        let cfg = DogConfig { max_keypoints: Some(2), ..DogConfig::default() };
        let two = detect_dog(&img, &cfg, None).unwrap();
        assert_eq!(two.len(), 2);
        assert!(two[0].response >= two[1].response);
        let depth: Vec<f32> =
            (0..192 * 192).map(|i| if i / 192 < 96 { f32::INFINITY } else { 10.0 }).collect();
        let depth = Image::new(192, 192, 1, depth).unwrap();
        let ground =
            detect_dog(&img, &DogConfig::default(), Some(SkyMask { depth: &depth })).unwrap();
        assert!(!ground.is_empty() && ground.iter().all(|k| k.y > 95.0));
    }

    #[test]
    fn flat_image_has_no_keypoints() {
        let img = Image::new(64, 64, 1, vec![0.5; 64 * 64]).unwrap();
        assert!(detect_dog(&img, &DogConfig::default(), None).unwrap().is_empty());
    }
}
