//! Separable Gaussian convolution and resizing over contiguous rows.
//!
//! The horizontal pass convolves a border-padded copy of each row; the vertical pass adds
//! whole rows of the intermediate image, each weighted by one kernel tap. Both passes read
//! memory in order, so the inner loops vectorise, and rows are split among rayon tasks.
//! Every output value is still the sum `0 + k[0] p[0] + k[1] p[1] + ...` in tap order, the
//! order of a direct per-pixel loop: the result is the same for any loop structure or number
//! of threads.

use rayon::prelude::*;

/// Rows per rayon task: enough work per task to amortise scheduling on small images.
const ROWS_PER_TASK: usize = 16;

/// The normalised Gaussian kernel of standard deviation `sigma` pixels, radius `ceil(3 sigma)`;
/// `None` for `sigma <= 0` or NaN (no blur).
pub(crate) fn gaussian_kernel(sigma: f64) -> Option<Vec<f32>> {
    if sigma.is_nan() || sigma <= 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    let radius = (3.0 * sigma).ceil() as i64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= sum);
    Some(kernel)
}

/// Convolves `src` (`width x height`, `channels` interleaved) with the odd-length `kernel` along
/// x, then along y, borders replicated, into `out` (exactly `width * height * channels` long).
/// `tmp` grows as needed and is never shrunk, so a reused one does not allocate.
pub(crate) fn convolve_separable(
    src: &[f32],
    width: usize,
    height: usize,
    channels: usize,
    kernel: &[f32],
    tmp: &mut Vec<f32>,
    out: &mut [f32],
) {
    let row = width * channels;
    let radius = kernel.len() / 2;
    if row == 0 || height == 0 || out.len() != row * height || src.len() != row * height {
        return;
    }
    let tmp = grown(tmp, row * height);
    tmp.par_chunks_mut(row * ROWS_PER_TASK).zip(src.par_chunks(row * ROWS_PER_TASK)).for_each(
        |(dst, src)| {
            let mut padded = vec![0.0f32; row + 2 * radius * channels];
            for (d, s) in dst.chunks_exact_mut(row).zip(src.chunks_exact(row)) {
                pad_row(s, width, channels, radius, &mut padded);
                let taps: Vec<(&[f32], f32)> = kernel
                    .iter()
                    .enumerate()
                    .map(|(k, &kv)| (&padded[k * channels..k * channels + row], kv))
                    .collect();
                weighted_sum(&taps, d);
            }
        },
    );
    let tmp = &tmp[..];
    out.par_chunks_mut(row * ROWS_PER_TASK).enumerate().for_each(|(block, dst)| {
        for (j, d) in dst.chunks_exact_mut(row).enumerate() {
            let y = block * ROWS_PER_TASK + j;
            let taps: Vec<(&[f32], f32)> = kernel
                .iter()
                .enumerate()
                .map(|(k, &kv)| {
                    let ys = (y + k).saturating_sub(radius).min(height - 1);
                    (&tmp[ys * row..(ys + 1) * row], kv)
                })
                .collect();
            weighted_sum(&taps, d);
        }
    });
}

/// Lanes summed in registers at a time (a multiple of every SIMD width in use).
const LANES: usize = 32;

/// `out[j] = 0 + w_0 a_0[j] + w_1 a_1[j] + ...` for `taps = [(a_0, w_0), ...]`, each slice at
/// least as long as `out`, summed in tap order. Blocks of [`LANES`] outputs stay in registers
/// across all taps, so `out` is written once.
fn weighted_sum(taps: &[(&[f32], f32)], out: &mut [f32]) {
    let n = out.len();
    let full = n - n % LANES;
    for (b, block) in out[..full].chunks_exact_mut(LANES).enumerate() {
        let mut acc = [0.0f32; LANES];
        for &(src, w) in taps {
            let src = &src[b * LANES..(b + 1) * LANES];
            for (a, &p) in acc.iter_mut().zip(src) {
                *a += w * p;
            }
        }
        block.copy_from_slice(&acc);
    }
    for (j, o) in out.iter_mut().enumerate().skip(full) {
        let mut acc = 0.0f32;
        for &(src, w) in taps {
            acc += w * src[j];
        }
        *o = acc;
    }
}

/// The first `len` values of `buf`, grown (zero-filled) when shorter; never shrunk, so a
/// reused buffer is not written twice.
pub(crate) fn grown(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// Copies one row into `padded` with `radius` replicated pixels on each side.
fn pad_row(src: &[f32], width: usize, channels: usize, radius: usize, padded: &mut [f32]) {
    let row = width * channels;
    let (left, rest) = padded.split_at_mut(radius * channels);
    let (mid, right) = rest.split_at_mut(row);
    mid.copy_from_slice(src);
    for px in left.chunks_exact_mut(channels) {
        px.copy_from_slice(&src[..channels]);
    }
    for px in right.chunks_exact_mut(channels) {
        px.copy_from_slice(&src[row - channels..]);
    }
}

/// Per output index, the source indices and weights of a 1-D resize from `n` to `m` samples:
/// an area average when shrinking, linear interpolation when enlarging, both with the
/// pixel-centre convention `x' = (x + 0.5) s - 0.5`.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
fn axis_weights(n: usize, m: usize) -> Vec<Vec<(usize, f32)>> {
    let s = m as f64 / n as f64;
    (0..m)
        .map(|o| {
            if s < 1.0 {
                // Output pixel o covers [o, o + 1) in edge coordinates, i.e. [o/s, (o+1)/s) in
                // source edge coordinates; source pixel i covers [i, i + 1).
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

/// Resizes `src` (`width x height`, `channels` interleaved) to `new_width x new_height` into
/// `out` (exactly `new_width * new_height * channels` long; horizontal pass into `tmp`, which
/// grows as needed, then vertical). Nothing is written when a size does not match.
pub(crate) fn resize_into(
    src: &[f32],
    (width, height): (usize, usize),
    channels: usize,
    (new_width, new_height): (usize, usize),
    tmp: &mut Vec<f32>,
    out: &mut [f32],
) {
    let ch = channels;
    let (row_in, row) = (width * ch, new_width * ch);
    if row_in == 0 || row == 0 || src.len() != row_in * height || out.len() != row * new_height {
        return;
    }
    let wx = axis_weights(width, new_width);
    let wy = axis_weights(height, new_height);
    let tmp = grown(tmp, height * row);
    tmp.par_chunks_mut(row).zip(src.par_chunks(row_in)).for_each(|(dst, src)| {
        for (xo, taps) in wx.iter().enumerate() {
            for c in 0..ch {
                let mut acc = 0.0f32;
                for &(xi, w) in taps {
                    acc += w * src.get(xi * ch + c).copied().unwrap_or(0.0);
                }
                if let Some(d) = dst.get_mut(xo * ch + c) {
                    *d = acc;
                }
            }
        }
    });
    let tmp = &tmp[..];
    out.par_chunks_mut(row).zip(wy.par_iter()).for_each(|(dst, taps)| {
        let rows: Vec<(&[f32], f32)> =
            taps.iter().map(|&(yi, w)| (&tmp[yi * row..(yi + 1) * row], w)).collect();
        weighted_sum(&rows, dst);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct per-pixel convolution with clamped indices.
    fn direct(src: &[f32], w: usize, h: usize, ch: usize, k: &[f32]) -> Vec<f32> {
        let r = (k.len() / 2) as isize;
        let (wi, hi) = (w as isize, h as isize);
        let pass = |src: &[f32], horizontal: bool| {
            let mut out = vec![0.0f32; src.len()];
            for y in 0..hi {
                for x in 0..wi {
                    for c in 0..ch {
                        let mut acc = 0.0;
                        for (j, &kv) in k.iter().enumerate() {
                            let d = j as isize - r;
                            let (xs, ys) = if horizontal {
                                ((x + d).clamp(0, wi - 1), y)
                            } else {
                                (x, (y + d).clamp(0, hi - 1))
                            };
                            acc += kv * src[((ys * wi + xs) as usize) * ch + c];
                        }
                        out[((y * wi + x) as usize) * ch + c] = acc;
                    }
                }
            }
            out
        };
        pass(&pass(src, true), false)
    }

    #[test]
    fn rows_in_order_equal_the_direct_loop_bit_for_bit() {
        // Sizes around the task block and smaller than the kernel radius.
        for &(w, h, ch, sigma) in
            &[(37, 41, 1, 1.3), (5, 3, 3, 2.5), (64, 16, 1, 0.7), (1, 20, 1, 1.0)]
        {
            let src: Vec<f32> =
                (0..w * h * ch).map(|i| ((i * 7919) % 1000) as f32 / 999.0).collect();
            let k = gaussian_kernel(sigma).unwrap();
            let (mut tmp, mut out) = (Vec::new(), vec![0.0; w * h * ch]);
            convolve_separable(&src, w, h, ch, &k, &mut tmp, &mut out);
            let want = direct(&src, w, h, ch, &k);
            assert_eq!(out.len(), want.len());
            assert!(out.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()), "{w}x{h}x{ch}");
        }
        assert!(gaussian_kernel(0.0).is_none() && gaussian_kernel(f64::NAN).is_none());
    }
}
