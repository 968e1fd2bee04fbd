//! Scale-space extremum test and sub-pixel refinement of DoG keypoints (Lowe, "Distinctive
//! image features from scale-invariant keypoints", IJCV 2004, sections 3-4.1).

use super::DogConfig;

/// One difference-of-Gaussians image of an octave (row-major, `w x h`).
#[derive(Clone, Copy)]
pub(super) struct DogPlane<'a> {
    pub(super) w: usize,
    pub(super) h: usize,
    pub(super) v: &'a [f32],
}

impl<'a> DogPlane<'a> {
    /// The value at (x, y); 0 outside (refinement keeps positions one pixel inside).
    fn at(&self, x: usize, y: usize) -> f32 {
        self.v.get(y * self.w + x).copied().unwrap_or(0.0)
    }

    /// Row `y` (empty past the end).
    pub(super) fn row(&self, y: usize) -> &'a [f32] {
        self.v.get(y * self.w..(y + 1) * self.w).unwrap_or(&[])
    }
}

/// Whether `v = c[1][x]` is a strict maximum or a strict minimum of its 26 neighbours in space
/// and scale. `rows[d][r]` is row `y - 1 + r` of DoG `i - 1 + d`; `x` is at least 1 and at most
/// the row length minus 2. The first comparison decides which of the two is possible, so each
/// remaining neighbour is compared once.
pub(super) fn is_extremum(rows: &[[&[f32]; 3]; 3], x: usize, v: f32) -> bool {
    let Some(&left) = rows[1][1].get(x - 1) else { return false };
    if v > left {
        all_neighbours(rows, x, |n| v > n)
    } else if v < left {
        all_neighbours(rows, x, |n| v < n)
    } else {
        false
    }
}

/// Whether `keep` holds for the 26 neighbours of column `x` of the centre row of `rows`: the
/// eight of the same scale first (they reject most candidates), then the two other scales.
#[inline]
fn all_neighbours(rows: &[[&[f32]; 3]; 3], x: usize, keep: impl Fn(f32) -> bool) -> bool {
    let three = |row: &[f32]| match row.get(x - 1..=x + 1) {
        Some(&[a, b, c]) => keep(a) && keep(b) && keep(c),
        _ => false,
    };
    let centre = match rows[1][1].get(x - 1..=x + 1) {
        Some(&[a, _, c]) => keep(a) && keep(c),
        _ => false,
    };
    centre
        && three(rows[1][0])
        && three(rows[1][2])
        && rows[0].iter().all(|r| three(r))
        && rows[2].iter().all(|r| three(r))
}

/// Quadratic refinement (Lowe 2004, eq. 2-3) of the extremum at sample (x, y) of DoG `i`, with
/// the contrast and edge tests (section 4.1); returns (x, y, scale index, |D|) in octave units.
/// Moves to the neighbouring sample and fits again (at most five fits) while an offset
/// exceeds half a sample; `dogs` holds the `intervals + 2` DoGs of the octave.
pub(super) fn refine(
    dogs: &[DogPlane<'_>],
    mut i: usize,
    mut x: usize,
    mut y: usize,
    cfg: &DogConfig,
) -> Option<(f64, f64, f64, f32)> {
    let s = cfg.scale_space.intervals;
    for _ in 0..5 {
        let (c, p, n) = (dogs.get(i)?, dogs.get(i - 1)?, dogs.get(i + 1)?);
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
            #[allow(clippy::cast_precision_loss)]
            let (xo, yo, io) = (x as f64, y as f64, i as f64);
            return Some((
                xo + f64::from(off[0]),
                yo + f64::from(off[1]),
                io + f64::from(off[2]),
                value.abs(),
            ));
        }
        // Move to the neighbouring sample and fit again.
        let step = |p: usize, o: f32, hi: usize| -> Option<usize> {
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            let q = p as i64 + o.round() as i64;
            #[allow(clippy::cast_possible_wrap, clippy::cast_sign_loss)]
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

    #[test]
    fn extremum_needs_all_26_neighbours() {
        let flat = [0.0f32; 3];
        let mut centre = [[&flat[..]; 3]; 3];
        let peak = [0.0, 1.0, 0.0];
        centre[1][1] = &peak;
        assert!(is_extremum(&centre, 1, 1.0));
        // A tie with any neighbour, in any scale, is no strict extremum.
        for d in 0..3 {
            for r in 0..3 {
                let mut rows = centre;
                let tie = if d == 1 && r == 1 { [1.0, 1.0, 0.0] } else { [0.0, 0.0, 1.0] };
                rows[d][r] = &tie;
                assert!(!is_extremum(&rows, 1, 1.0), "scale {d} row {r}");
            }
        }
        let dip = [0.0, -1.0, 0.0];
        centre[1][1] = &dip;
        assert!(is_extremum(&centre, 1, -1.0));
        assert!(!is_extremum(&centre, 1, f32::NAN));
    }
}
