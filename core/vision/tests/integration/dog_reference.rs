//! The DoG detector as it was before the separable-pass rewrite (lsar commit 5679c5f): direct
//! per-pixel blur loops, the whole scale space kept, one DoG image per scale. It is the
//! reference the fast detector must reproduce (`dog_fast` tests) and the peer of the
//! `dog` bench. It uses only lsar-vision's public types and its own copies of the blur and
//! the resize, so later changes to the library do not change it.
#![allow(dead_code)]

use lsar_vision::Image;
use lsar_vision::keypoints::{DogConfig, Keypoint, SkyMask, keep_best};

/// The old per-pixel separable blur (kernel radius `ceil(3 sigma)`, borders replicated).
pub fn gaussian_blur(img: &Image, sigma: f64) -> Image {
    if sigma.is_nan() || sigma <= 0.0 {
        return img.clone();
    }
    let radius = (3.0 * sigma).ceil() as isize;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    let (w, h, ch) = (img.width() as isize, img.height() as isize, img.channels());
    let src = img.data();
    let mut tmp = vec![0.0f32; src.len()];
    for y in 0..h {
        for x in 0..w {
            for c in 0..ch {
                let mut acc = 0.0;
                for (k, &kv) in kernel.iter().enumerate() {
                    let xs = (x + k as isize - radius).clamp(0, w - 1);
                    acc += kv * src[((y * w + xs) as usize) * ch + c];
                }
                tmp[((y * w + x) as usize) * ch + c] = acc;
            }
        }
    }
    let mut out = vec![0.0f32; src.len()];
    for y in 0..h {
        for x in 0..w {
            for c in 0..ch {
                let mut acc = 0.0;
                for (k, &kv) in kernel.iter().enumerate() {
                    let ys = (y + k as isize - radius).clamp(0, h - 1);
                    acc += kv * tmp[((ys * w + x) as usize) * ch + c];
                }
                out[((y * w + x) as usize) * ch + c] = acc;
            }
        }
    }
    Image::new(img.width(), img.height(), ch, out).unwrap()
}

/// The old serial area/bilinear resize.
pub fn resize(img: &Image, new_width: usize, new_height: usize) -> Image {
    let (width, height, ch) = (img.width(), img.height(), img.channels());
    let data = img.data();
    let wx = axis_weights(width, new_width);
    let wy = axis_weights(height, new_height);
    let mut tmp = vec![0.0f32; height * new_width * ch];
    for y in 0..height {
        let src = &data[y * width * ch..(y + 1) * width * ch];
        let dst = &mut tmp[y * new_width * ch..(y + 1) * new_width * ch];
        for (xo, taps) in wx.iter().enumerate() {
            for &(xi, w) in taps {
                for c in 0..ch {
                    dst[xo * ch + c] += w * src[xi * ch + c];
                }
            }
        }
    }
    let row = new_width * ch;
    let mut out = vec![0.0f32; new_height * row];
    for (yo, taps) in wy.iter().enumerate() {
        let dst = &mut out[yo * row..(yo + 1) * row];
        for &(yi, w) in taps {
            let src = &tmp[yi * row..(yi + 1) * row];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += w * s;
            }
        }
    }
    Image::new(new_width, new_height, ch, out).unwrap()
}

fn axis_weights(n: usize, m: usize) -> Vec<Vec<(usize, f32)>> {
    let s = m as f64 / n as f64;
    (0..m)
        .map(|o| {
            if s < 1.0 {
                let (a, b) = (o as f64 / s, (o + 1) as f64 / s);
                let (lo, hi) = (a.floor() as usize, (b.ceil() as usize).min(n));
                (lo..hi)
                    .filter_map(|i| {
                        let overlap = (b.min((i + 1) as f64) - a.max(i as f64)).max(0.0);
                        (overlap > 0.0).then_some((i, (overlap * s) as f32))
                    })
                    .collect()
            } else {
                let x = ((o as f64 + 0.5) / s - 0.5).clamp(0.0, (n - 1) as f64);
                let i0 = x.floor() as usize;
                let f = (x - i0 as f64) as f32;
                let i1 = (i0 + 1).min(n - 1);
                if f == 0.0 { vec![(i0, 1.0)] } else { vec![(i0, 1.0 - f), (i1, f)] }
            }
        })
        .collect()
}

struct Octave {
    step: f64,
    images: Vec<Image>,
}

/// The old scale space: every octave's `intervals + 3` images; returns (octaves, base step).
fn scale_space(img: &Image, config: &DogConfig) -> (Vec<Octave>, f64) {
    let c = &config.scale_space;
    let min_size = c.min_size.max(3);
    let grey = img.to_grey();
    let (base, base_step, blur) = if c.double_image {
        (resize(&grey, grey.width() * 2, grey.height() * 2), 0.5, 2.0 * c.assumed_blur)
    } else {
        (grey, 1.0, c.assumed_blur)
    };
    let s = c.intervals;
    let k = 2f64.powf(1.0 / s as f64);
    let sigma_at = |i: usize| c.sigma0 * k.powi(i as i32);
    let mut octaves = Vec::new();
    let mut first = gaussian_blur(&base, (c.sigma0.powi(2) - blur.powi(2)).max(0.0).sqrt());
    let mut step = 1.0;
    for _ in 0..c.max_octaves.max(1) {
        let mut images = Vec::with_capacity(s + 3);
        images.push(first);
        for i in 1..s + 3 {
            let inc = (sigma_at(i).powi(2) - sigma_at(i - 1).powi(2)).sqrt();
            let next = gaussian_blur(images.last().unwrap(), inc);
            images.push(next);
        }
        let next_src = images[s].clone();
        octaves.push(Octave { step, images });
        let (nw, nh) = (next_src.width() / 2, next_src.height() / 2);
        if nw.min(nh) < min_size {
            break;
        }
        first = resize(&next_src, nw, nh);
        step *= 2.0;
    }
    (octaves, base_step)
}

/// The old detector (valid inputs only: no parameter or size checks).
pub fn detect_dog(img: &Image, config: &DogConfig, sky: Option<SkyMask<'_>>) -> Vec<Keypoint> {
    let (octaves, base_step) = scale_space(img, config);
    let to_input = |octave_step: f64, x: f64| {
        let base = (x + 0.5) * octave_step - 0.5;
        (base + 0.5) * base_step - 0.5
    };
    let s = config.scale_space.intervals;
    let (w, h) = (img.width(), img.height());
    let mut out = Vec::new();
    for oct in &octaves {
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
                    let Some((xo, yo, so, resp)) = refine(&dogs, i, x, y, config) else {
                        continue;
                    };
                    let xi = to_input(oct.step, xo);
                    let yi = to_input(oct.step, yo);
                    let inside = xi >= config.border
                        && yi >= config.border
                        && xi <= w as f64 - 1.0 - config.border
                        && yi <= h as f64 - 1.0 - config.border;
                    if !inside || sky.is_some_and(|m| m.is_sky(xi, yi, w, h)) {
                        continue;
                    }
                    let sigma =
                        config.scale_space.sigma0 * 2f64.powf(so / s as f64) * oct.step * base_step;
                    out.push(Keypoint { x: xi, y: yi, sigma, response: resp });
                }
            }
        }
    }
    keep_best(out, config.max_keypoints)
}

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
