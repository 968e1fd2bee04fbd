//! Shared parts of the upright (gravity-aware) solvers: the gravity prior, the rotations that
//! align "down" with `+y`, the linear constraints of one correspondence, and a small null
//! space by Gauss-Jordan elimination with complete pivoting.
//!
//! In the aligned frames the unknown rotation is a rotation about `y` by the yaw `theta`:
//! `R_y = [[c, 0, s], [0, 1, 0], [-s, 0, c]]` with `c = cos theta`, `s = sin theta`. For an
//! aligned world point `(X, Y, Z)` and translation `t`, `Y_cam = R_y X + t` is linear in
//! `m = (c, s, t1, t2, t3, 1)`. A ray `q` through the point gives `q x Y_cam = 0`, of which
//! the two rows that contain the largest component of a reference direction are kept.

use nalgebra::{Matrix3, Rotation3, SMatrix, SVector, Vector3};

/// Gravity known in both frames: the pose is then known up to a rotation about the
/// vertical (yaw) and the translation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gravity {
    /// Unit vector pointing down, in the camera frame (e.g. from the phone's accelerometer).
    pub down_in_cam: Vector3<f64>,
    /// Unit vector pointing down, in the world frame (`-z` in ENU; minus the ellipsoid normal
    /// near the scene in ECEF).
    pub down_in_world: Vector3<f64>,
}

impl Gravity {
    /// `(aligned_from_cam, aligned_from_world)`: rotations that take each "down" to `+y`.
    /// `None` for a zero or non-finite vector.
    pub fn alignments(&self) -> Option<(Matrix3<f64>, Matrix3<f64>)> {
        Some((align_down_to_y(&self.down_in_cam)?, align_down_to_y(&self.down_in_world)?))
    }
}

/// The smallest rotation taking the direction `down` to `+y`.
fn align_down_to_y(down: &Vector3<f64>) -> Option<Matrix3<f64>> {
    let d = down.try_normalize(1e-300)?;
    if !d.iter().all(|v| v.is_finite()) {
        return None;
    }
    match Rotation3::rotation_between(&d, &Vector3::y()) {
        Some(r) => Some(r.into_inner()),
        // Antiparallel: half a turn about x.
        None => {
            Some(Rotation3::from_axis_angle(&Vector3::x_axis(), std::f64::consts::PI).into_inner())
        }
    }
}

/// Coefficients of `Y_cam = R_y X + t` over `m = (c, s, t1, t2, t3, 1)`: rows x, y, z.
pub(crate) fn camera_point_rows(x: &Vector3<f64>) -> [[f64; 6]; 3] {
    [
        [x.x, x.z, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0, 0.0, x.y],
        [x.z, -x.x, 0.0, 0.0, 1.0, 0.0],
    ]
}

/// The two rows of `q x Y = 0` that contain `q[k]` for the largest `|reference[k]|`.
pub(crate) fn cross_rows(
    q: &Vector3<f64>,
    y: &[[f64; 6]; 3],
    reference: &Vector3<f64>,
) -> [[f64; 6]; 2] {
    let k = reference.iamax();
    let row = |i: usize| -> [f64; 6] {
        // Row i of q x Y: q[j] Y[l] - q[l] Y[j] with (i, j, l) cyclic.
        let (j, l) = ((i + 1) % 3, (i + 2) % 3);
        std::array::from_fn(|c| q[j] * y[l][c] - q[l] * y[j][c])
    };
    // Rows that contain q[k]: the two with i != k.
    [row((k + 1) % 3), row((k + 2) % 3)]
}

/// Null space of an `R x C` matrix assumed to have rank `C - nullity`, by Gauss-Jordan
/// elimination with complete pivoting. Returns the basis as the columns of a `C x C` matrix
/// (the first `nullity` columns are used), or `None` if a pivot vanishes.
pub(crate) fn null_space<const R: usize, const C: usize>(
    a: &SMatrix<f64, R, C>,
    nullity: usize,
) -> Option<SMatrix<f64, C, C>> {
    let mut m = *a;
    let rank = C.checked_sub(nullity)?;
    if rank > R {
        return None;
    }
    let mut pivot_col = [0usize; C];
    let mut is_pivot = [false; C];
    let scale = m.amax();
    if !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    for r in 0..rank {
        // Largest remaining entry among rows >= r and non-pivot columns.
        let mut best = (0.0, r, 0);
        for i in r..R {
            for j in (0..C).filter(|&j| !is_pivot[j]) {
                if m[(i, j)].abs() > best.0 {
                    best = (m[(i, j)].abs(), i, j);
                }
            }
        }
        let (val, pi, pj) = best;
        if !(val > 1e-14 * scale) {
            return None;
        }
        m.swap_rows(r, pi);
        is_pivot[pj] = true;
        pivot_col[r] = pj;
        let inv = 1.0 / m[(r, pj)];
        let prow: SVector<f64, C> = m.row(r).transpose() * inv;
        m.set_row(r, &prow.transpose());
        for i in (0..R).filter(|&i| i != r) {
            let f = m[(i, pj)];
            if f != 0.0 {
                let new = m.row(i) - prow.transpose() * f;
                m.set_row(i, &new);
            }
        }
    }
    let mut basis = SMatrix::<f64, C, C>::zeros();
    for (k, free) in (0..C).filter(|&j| !is_pivot[j]).take(nullity).enumerate() {
        basis[(free, k)] = 1.0;
        for r in 0..rank {
            basis[(pivot_col[r], k)] = -m[(r, free)];
        }
    }
    Some(basis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_space_annihilates() {
        let a = SMatrix::<f64, 4, 6>::from_fn(|i, j| {
            ((i * 7 + j * 3) % 11) as f64 - 5.0 + (i * j) as f64 * 0.1
        });
        let n = null_space(&a, 2).unwrap();
        for k in 0..2 {
            let v = n.column(k);
            assert!(v.norm() > 0.5);
            assert!((a * v).norm() < 1e-12 * v.norm());
        }
        let g = Gravity { down_in_cam: Vector3::new(0.1, 0.9, 0.2), down_in_world: -Vector3::z() };
        let (rc, rw) = g.alignments().unwrap();
        assert!((rc * g.down_in_cam.normalize() - Vector3::y()).norm() < 1e-12);
        assert!((rw * g.down_in_world - Vector3::y()).norm() < 1e-12);
    }
}
