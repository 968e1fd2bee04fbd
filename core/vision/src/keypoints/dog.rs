//! Difference-of-Gaussians keypoints (Lowe, "Distinctive image features from scale-invariant
//! keypoints", IJCV 2004): scale-space extrema of the DoG, refined to sub-pixel and sub-scale
//! position with a quadratic fit (section 4), rejected at low contrast `|D(x)| < threshold`
//! and on edges `tr(H)^2 / det(H) >= (r + 1)^2 / r` (section 4.1).

use super::{Keypoint, SkyMask, keep_best};
use crate::error::Result;
use crate::image::Image;
use crate::pyramid::{ScaleSpace, ScaleSpaceConfig};

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

/// Detects DoG keypoints of `img`, strongest first; sky pixels (per `sky`) are skipped.
///
/// # Errors
/// As [`ScaleSpace::new`] (image smaller than the scale space's minimum size, bad parameters).
pub fn detect_dog(
    img: &Image,
    config: &DogConfig,
    sky: Option<SkyMask<'_>>,
) -> Result<Vec<Keypoint>> {
    let ss = ScaleSpace::new(img, &config.scale_space)?;
    let s = config.scale_space.intervals;
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::new();
    for oct in &ss.octaves {
        let dogs: Vec<Dog> = oct.images.windows(2).map(|p| Dog::new(&p[0], &p[1])).collect();
        let (ow, oh) = (dogs[0].w, dogs[0].h);
        let pre = 0.5 * config.contrast_threshold;
        for i in 1..=s {
            for y in 1..oh - 1 {
                for x in 1..ow - 1 {
                    let v = dogs[i].at(x, y);
                    if v.abs() <= pre || !is_extremum(&dogs, i, x, y, v) {
                        continue;
                    }
                    let Some(kp) = refine(&dogs, i, x, y, config) else { continue };
                    let (xo, yo, so, resp) = kp;
                    let xi = ss.to_input(oct.step, xo);
                    let yi = ss.to_input(oct.step, yo);
                    let inside = xi >= config.border
                        && yi >= config.border
                        && xi <= w as f64 - 1.0 - config.border
                        && yi <= h as f64 - 1.0 - config.border;
                    if !inside || sky.is_some_and(|m| m.is_sky(xi, yi, w, h)) {
                        continue;
                    }
                    let sigma = config.scale_space.sigma0
                        * 2f64.powf(so / s as f64)
                        * oct.step
                        * ss.base_step;
                    out.push(Keypoint { x: xi, y: yi, sigma, response: resp });
                }
            }
        }
    }
    Ok(keep_best(out, config.max_keypoints))
}

/// One difference-of-Gaussians image.
struct Dog {
    w: usize,
    h: usize,
    v: Vec<f32>,
}

impl Dog {
    fn new(a: &Image, b: &Image) -> Self {
        let v = b.data().iter().zip(a.data()).map(|(p, q)| p - q).collect();
        Self { w: a.width(), h: a.height(), v }
    }

    fn at(&self, x: usize, y: usize) -> f32 {
        self.v.get(y * self.w + x).copied().unwrap_or(0.0)
    }
}

/// Strict maximum or minimum over the 26 neighbours in space and scale.
fn is_extremum(dogs: &[Dog], i: usize, x: usize, y: usize, v: f32) -> bool {
    let (mut is_max, mut is_min) = (true, true);
    for d in &dogs[i - 1..=i + 1] {
        for yy in y - 1..=y + 1 {
            for xx in x - 1..=x + 1 {
                if std::ptr::eq(d, &dogs[i]) && xx == x && yy == y {
                    continue;
                }
                let n = d.at(xx, yy);
                is_max &= v > n;
                is_min &= v < n;
            }
        }
        if !is_max && !is_min {
            return false;
        }
    }
    is_max || is_min
}

/// Quadratic refinement (Lowe 2004, eq. 2-3); returns (x, y, scale index, |D|) in octave units.
fn refine(
    dogs: &[Dog],
    mut i: usize,
    mut x: usize,
    mut y: usize,
    cfg: &DogConfig,
) -> Option<(f64, f64, f64, f32)> {
    let s = cfg.scale_space.intervals;
    for _ in 0..5 {
        let (c, p, n) = (&dogs[i], &dogs[i - 1], &dogs[i + 1]);
        let v = c.at(x, y);
        let g = [
            0.5 * (c.at(x + 1, y) - c.at(x - 1, y)),
            0.5 * (c.at(x, y + 1) - c.at(x, y - 1)),
            0.5 * (n.at(x, y) - p.at(x, y)),
        ];
        let dxx = c.at(x + 1, y) + c.at(x - 1, y) - 2.0 * v;
        let dyy = c.at(x, y + 1) + c.at(x, y - 1) - 2.0 * v;
        let dss = n.at(x, y) + p.at(x, y) - 2.0 * v;
        let dxy = 0.25
            * (c.at(x + 1, y + 1) - c.at(x - 1, y + 1) - c.at(x + 1, y - 1) + c.at(x - 1, y - 1));
        let dxs = 0.25 * (n.at(x + 1, y) - n.at(x - 1, y) - p.at(x + 1, y) + p.at(x - 1, y));
        let dys = 0.25 * (n.at(x, y + 1) - n.at(x, y - 1) - p.at(x, y + 1) + p.at(x, y - 1));
        let hm = [[dxx, dxy, dxs], [dxy, dyy, dys], [dxs, dys, dss]];
        let off = solve3(hm, [-g[0], -g[1], -g[2]])?;
        if off.iter().all(|o| o.abs() < 0.5) {
            let value = v + 0.5 * (g[0] * off[0] + g[1] * off[1] + g[2] * off[2]);
            if value.abs() < cfg.contrast_threshold {
                return None;
            }
            let (tr, det) = (dxx + dyy, dxx * dyy - dxy * dxy);
            let r = cfg.edge_threshold;
            if det <= 0.0 || tr * tr * r >= (r + 1.0) * (r + 1.0) * det {
                return None;
            }
            let xo = x as f64 + f64::from(off[0]);
            let yo = y as f64 + f64::from(off[1]);
            return Some((xo, yo, i as f64 + f64::from(off[2]), value.abs()));
        }
        // Move to the neighbouring sample and fit again.
        let step = |p: usize, o: f32, hi: usize| -> Option<usize> {
            let q = p as i64 + o.round() as i64;
            (q >= 1 && q < hi as i64 - 1).then_some(q as usize)
        };
        x = step(x, off[0], c.w)?;
        y = step(y, off[1], c.h)?;
        i = step(i, off[2], s + 2)?;
    }
    None
}

/// Solves a 3x3 linear system by Cramer's rule; `None` when singular.
fn solve3(m: [[f32; 3]; 3], b: [f32; 3]) -> Option<[f32; 3]> {
    let det = |a: [[f32; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
            - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-12 || !d.is_finite() {
        return None;
    }
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let mut mk = m;
        for r in 0..3 {
            mk[r][k] = b[r];
        }
        *o = det(mk) / d;
    }
    Some(out)
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
