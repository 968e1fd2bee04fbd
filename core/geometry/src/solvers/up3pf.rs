//! UP3Pf: pose and focal length from three correspondences when gravity is known in both
//! frames (own derivation; the problem class of Kukelova, Bujnak, Pajdla, ACCV 2010).

use nalgebra::{Matrix6, Point3, SMatrix, Vector2, Vector3};

use super::up2p::pose_from_m;
use super::upright::{Gravity, camera_point_rows, cross_rows, null_space};
use super::{FocalPose, centre_and_scale};

/// Pose and focal length from three correspondences and the gravity direction.
///
/// The gravity measured in the camera frame is metric, so the aligned ray of a centred pixel
/// `(u, v)` is `q(f) = R_c (u, v, f) = a + f b`, linear in the unknown focal `f`. With
/// `Y_cam = R_y(theta) X + t` linear in `m = (c, s, t1, t2, t3, 1)` (see [`super::up2p`]),
/// two rows of `q_i(f) x Y_cam = 0` per point give `(A0 + f A1) m = 0` with `A0`, `A1` 6x6:
/// `f` solves the generalised eigenproblem, `f = -1 / eig(A0^-1 A1)` (at most 6 real
/// values). Each positive `f` gives `m` as the null vector of `A0 + f A1`; `(c, s)` is
/// normalised (`c^2 + s^2 = 1` is implied only for exact data: 2.5 points are minimal, the
/// sixth equation is used). Solutions with a point behind the camera are dropped.
///
/// Input normalisation: `x` are pixels relative to the principal point, divided by their
/// mean norm inside; world points are centred and scaled to unit RMS distance. At most 6
/// solutions, `focal` in the units of `x`. Degenerate or non-finite input gives 0 solutions.
pub fn up3pf(
    x: &[Vector2<f64>; 3],
    xw: &[Point3<f64>; 3],
    gravity: &Gravity,
    out: &mut Vec<FocalPose>,
) -> usize {
    out.clear();
    let rho = x.iter().map(|p| p.norm()).sum::<f64>() / 3.0;
    if !(rho.is_finite() && rho > 0.0) {
        return 0;
    }
    let Some((centroid, sigma)) = centre_and_scale(xw) else { return 0 };
    let Some((rc, rw)) = gravity.alignments() else { return 0 };
    let a = x.map(|p| rc * Vector3::new(p.x / rho, p.y / rho, 0.0));
    let b = rc * Vector3::z();
    let w = xw.map(|p| rw * (p.coords - centroid) / sigma);
    let mut a0 = Matrix6::zeros();
    let mut a1 = Matrix6::zeros();
    for i in 0..3 {
        let ys = camera_point_rows(&w[i]);
        let r0 = cross_rows(&a[i], &ys, &b);
        let r1 = cross_rows(&b, &ys, &b);
        for k in 0..2 {
            for c in 0..6 {
                a0[(2 * i + k, c)] = r0[k][c];
                a1[(2 * i + k, c)] = r1[k][c];
            }
        }
    }
    let Some(a0_inv) = a0.try_inverse() else { return 0 };
    let mtx = a0_inv * a1;
    if !mtx.iter().all(|v| v.is_finite()) {
        return 0;
    }
    let eig = mtx.complex_eigenvalues();
    for lambda in eig.iter() {
        if !(lambda.im.abs() <= 1e-9 * lambda.re.abs()) || lambda.re == 0.0 {
            continue;
        }
        let f = -1.0 / lambda.re;
        if !(f > 0.0 && f.is_finite()) {
            continue;
        }
        let af: SMatrix<f64, 6, 6> = a0 + a1 * f;
        let Some(ns) = null_space(&af, 1) else { continue };
        let m = ns.column(0);
        if m[5] == 0.0 {
            continue;
        }
        let m = m / m[5];
        let q = [a[0] + b * f, a[1] + b * f, a[2] + b * f];
        let Some(pose) = pose_from_m(&m.fixed_rows::<5>(0).into_owned(), &q, &w, &rc, &rw) else {
            continue;
        };
        out.push(
            FocalPose { translation: pose.translation * sigma, focal: f * rho, ..pose }
                .shifted_world(&centroid),
        );
    }
    out.len()
}
