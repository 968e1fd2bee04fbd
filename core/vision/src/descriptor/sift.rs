//! A SIFT-like descriptor (Lowe, "Distinctive image features from scale-invariant keypoints",
//! IJCV 2004, section 6.1) computed on a whole square patch, as the classic baseline.
//!
//! The patch (converted to grey) is split into 4 x 4 cells; every pixel's gradient votes with
//! its magnitude, weighted by a Gaussian of sigma = half the patch width, into 8 orientation
//! bins, with trilinear interpolation over the two cell axes and the orientation. The 128
//! values are L2-normalised, clipped at 0.2 and normalised again. There is no dominant
//! orientation: patches are upright (gravity is known in lsar). A flat patch, which has no
//! gradients, gets the uniform unit vector.

use super::{Descriptor, Descriptors, l2_normalise};
use crate::error::{Result, VisionError};
use crate::patches::{Patches, grey_patches};
use rayon::prelude::*;

const CELLS: usize = 4;
const BINS: usize = 8;

/// The SIFT-like descriptor for patches of a given size (64 for FOV-normalised patches).
#[derive(Debug, Clone, PartialEq)]
pub struct SiftDescriptor {
    /// Patch side in pixels.
    pub patch_size: usize,
    /// Clipping threshold after the first normalisation (Lowe: 0.2).
    pub clip: f32,
}

impl Default for SiftDescriptor {
    fn default() -> Self {
        Self { patch_size: 64, clip: 0.2 }
    }
}

impl SiftDescriptor {
    /// The Gaussian window of the patch (sigma = half the patch side), row-major.
    fn window(&self) -> Vec<f32> {
        let s = self.patch_size;
        let centre = (s as f32 - 1.0) / 2.0;
        let sigma = s as f32 / 2.0;
        (0..s * s)
            .map(|i| {
                let (dx, dy) = ((i % s) as f32 - centre, (i / s) as f32 - centre);
                (-(dx * dx + dy * dy) / (2.0 * sigma * sigma)).exp()
            })
            .collect()
    }

    /// The descriptor of one grey `size x size` patch; `window` from [`Self::window`].
    fn describe_one(&self, p: &[f32], window: &[f32]) -> [f32; CELLS * CELLS * BINS] {
        let s = self.patch_size;
        let at = |x: usize, y: usize| p.get(y * s + x).copied().unwrap_or(0.0);
        let mut hist = [0.0f32; CELLS * CELLS * BINS];
        let cell = s as f32 / CELLS as f32;
        for y in 0..s {
            for x in 0..s {
                let gx = 0.5 * (at((x + 1).min(s - 1), y) - at(x.saturating_sub(1), y));
                let gy = 0.5 * (at(x, (y + 1).min(s - 1)) - at(x, y.saturating_sub(1)));
                let mag = gx.hypot(gy);
                if mag == 0.0 {
                    continue;
                }
                let w = mag * window.get(y * s + x).copied().unwrap_or(0.0);
                let angle = gy.atan2(gx).rem_euclid(std::f32::consts::TAU);
                let o = angle / std::f32::consts::TAU * BINS as f32;
                // Continuous cell coordinates: cell centres at 0, 1, 2, 3.
                let cx = (x as f32 + 0.5) / cell - 0.5;
                let cy = (y as f32 + 0.5) / cell - 0.5;
                let (x0, y0, o0) = (cx.floor(), cy.floor(), o.floor());
                let (fx, fy, fo) = (cx - x0, cy - y0, o - o0);
                for (iy, wy) in [(y0 as i32, 1.0 - fy), (y0 as i32 + 1, fy)] {
                    for (ix, wx) in [(x0 as i32, 1.0 - fx), (x0 as i32 + 1, fx)] {
                        if !(0..CELLS as i32).contains(&iy) || !(0..CELLS as i32).contains(&ix) {
                            continue;
                        }
                        for (io, wo) in
                            [(o0 as usize % BINS, 1.0 - fo), ((o0 as usize + 1) % BINS, fo)]
                        {
                            let idx = (iy as usize * CELLS + ix as usize) * BINS + io;
                            if let Some(h) = hist.get_mut(idx) {
                                *h += w * wx * wy * wo;
                            }
                        }
                    }
                }
            }
        }
        l2_normalise(&mut hist);
        hist.iter_mut().for_each(|h| *h = h.min(self.clip));
        l2_normalise(&mut hist);
        if hist.iter().all(|&h| h == 0.0) {
            hist = [1.0 / ((CELLS * CELLS * BINS) as f32).sqrt(); CELLS * CELLS * BINS];
        }
        hist
    }
}

impl Descriptor for SiftDescriptor {
    fn dim(&self) -> usize {
        CELLS * CELLS * BINS
    }

    fn patch_size(&self) -> usize {
        self.patch_size
    }

    /// Accepts grey or RGB patches of `patch_size`.
    fn describe(&self, patches: &Patches) -> Result<Descriptors> {
        if patches.size() != self.patch_size {
            return Err(VisionError::Dimension { expected: self.patch_size, got: patches.size() });
        }
        let converted;
        let grey = if patches.channels() == 1 {
            patches
        } else {
            converted = grey_patches(patches);
            &converted
        };
        let (plane, dim) = (self.patch_size * self.patch_size, self.dim());
        // Patches are independent: described in parallel, rows in patch order.
        let window = self.window();
        let mut out = vec![0.0f32; grey.len() * dim];
        out.par_chunks_mut(dim)
            .zip(grey.data().par_chunks_exact(plane))
            .for_each(|(row, p)| row.copy_from_slice(&self.describe_one(p, &window)));
        Descriptors::new(dim, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_length_orientation_and_flat() {
        let s = 64;
        // A horizontal ramp: all gradients point along +x (bin 0).
        let ramp: Vec<f32> = (0..s * s).map(|i| (i % s) as f32 / s as f32).collect();
        let flat = vec![0.3; s * s];
        let p = Patches::new(s, 1, [ramp, flat].concat()).unwrap();
        let d = SiftDescriptor::default().describe(&p).unwrap();
        for i in 0..2 {
            let n: f32 = d.row(i).unwrap().iter().map(|v| v * v).sum();
            assert!((n - 1.0).abs() < 1e-5);
        }
        let r = d.row(0).unwrap();
        let bin0: f32 = r.chunks(8).map(|c| c[0]).sum();
        let others: f32 = r.chunks(8).map(|c| c[1..].iter().sum::<f32>()).sum();
        assert!(bin0 > 10.0 * others, "{bin0} {others}");
        assert!(
            SiftDescriptor::default()
                .describe(&Patches::new(32, 1, vec![0.0; 1024]).unwrap())
                .is_err()
        );
    }

    #[test]
    fn batch_rows_follow_patch_order() {
        let s = 64;
        let mut state = 12345u32;
        let data: Vec<f32> = (0..37 * s * s)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32
            })
            .collect();
        let sift = SiftDescriptor::default();
        let batch = sift.describe(&Patches::new(s, 1, data.clone()).unwrap()).unwrap();
        for (i, p) in data.chunks_exact(s * s).enumerate() {
            let one = sift.describe(&Patches::new(s, 1, p.to_vec()).unwrap()).unwrap();
            assert_eq!(one.row(0), batch.row(i), "patch {i}");
        }
        // RGB patches are described as their grey conversion.
        let rgb: Vec<f32> = data[..s * s].iter().flat_map(|&v| [v, v, v]).collect();
        let planar: Vec<f32> =
            (0..3).flat_map(|c| rgb.iter().skip(c).step_by(3).copied()).collect();
        let grey = grey_patches(&Patches::new(s, 3, planar.clone()).unwrap());
        let from_rgb = sift.describe(&Patches::new(s, 3, planar).unwrap()).unwrap();
        assert_eq!(from_rgb, sift.describe(&grey).unwrap());
    }
}
