//! P4Pf: absolute pose and focal length from four 2D-3D correspondences.
//!
//! The problem of Bujnak, Kukelova, Pajdla ("A general solution to the P4P problem for camera
//! with unknown focal length", CVPR 2008), solved with a projective-depth parametrisation and
//! the three-quadrics elimination of `quadrics.rs` (as PoseLib's P4Pf, Kukelova et al.
//! CVPR 2016, but derived here from the depths instead of a QR null space).

use nalgebra::{Matrix3, Matrix4, Point3, Vector2, Vector3, Vector4};

use super::quadrics::solve_three_quadrics;
use super::{FocalPose, centre_and_scale, orthonormalize_rows};

/// Largest accepted `max(fx/fy, fy/fx) - 1` of the filtered solution.
const MAX_ASPECT_ERROR: f64 = 1.0;

/// Largest reprojection error of a sample point accepted, in units of the mean image radius
/// (noisy samples reproject to about their noise; failed roots by O(1)).
const MAX_SAMPLE_ERROR: f64 = 0.25;

/// Most Gauss-Newton steps polishing a root.
const MAX_POLISH_STEPS: usize = 8;

/// Pose and focal length from four correspondences (unknown focal, square pixels).
///
/// Model: `lambda_i (u_i, v_i, 1) = P (X_i, 1)` with `P = s diag(fx, fy, 1) [R | t]`. Writing
/// `W` for the 4x4 matrix of rows `(X_i, 1)` and `c_i = lambda_i` for the projective depths,
/// the rows of `P` are exactly `P1 = W^-1 diag(u) c`, `P2 = W^-1 diag(v) c`, `P3 = W^-1 c`:
/// the depths parametrise every camera that reprojects the four points. The three
/// row-orthogonality constraints of the left 3x3 block are quadrics in `c` (with `c_4 = 1`),
/// solved by a hidden-variable elimination (`solvers/quadrics.rs`: a degree-8 univariate, at
/// most 8 real roots). Roots with a non-positive depth or a mirrored `P` are dropped; the
/// rest are ranked by `max(fx/fy, fy/fx) - 1` (below 1) and polished in that order by
/// Gauss-Newton on those three quadrics plus `|row1| = |row2|` (`fx = fy`); the first whose
/// camera reprojects the four points (to 25 % of their mean image radius: noisy samples
/// pass, failed roots do not) is returned.
///
/// Input normalisation: `x` are pixels relative to the principal point; they are divided by
/// their mean norm, and the world points are centred on their centroid and scaled to unit
/// RMS distance, inside. Returns at most 1 solution, `focal` in the units of `x`. Coplanar,
/// collinear, duplicated or non-finite points give 0 solutions (the planar case needs a
/// homography-based solver).
pub fn p4pf(x: &[Vector2<f64>; 4], xw: &[Point3<f64>; 4], out: &mut Vec<FocalPose>) -> usize {
    out.clear();
    let rho = x.iter().map(|p| p.norm()).sum::<f64>() / 4.0;
    if !(rho.is_finite() && rho > 0.0) {
        return 0;
    }
    let Some((centroid, sigma)) = centre_and_scale(xw) else { return 0 };
    let u = Vector4::from_fn(|i, _| x[i].x / rho);
    let v = Vector4::from_fn(|i, _| x[i].y / rho);
    let w = Matrix4::from_fn(|i, j| if j < 3 { (xw[i][j] - centroid[j]) / sigma } else { 1.0 });
    // |det W| = |det(X2 - X1, X3 - X1, X4 - X1)| = 6 x the volume of the normalised
    // tetrahedron (subtracting row 1 from the others zeroes the column of ones).
    let e = |i: usize| {
        Vector3::new(w[(i, 0)] - w[(0, 0)], w[(i, 1)] - w[(0, 1)], w[(i, 2)] - w[(0, 2)])
    };
    if !(e(1).dot(&e(2).cross(&e(3))).abs() > 1e-9) {
        return 0;
    }
    let Some(g) = w.try_inverse() else { return 0 };
    let g3 = g.fixed_rows::<3>(0);
    let h = g3.transpose() * g3;
    let q12 = Matrix4::from_fn(|i, j| 0.5 * (u[i] * v[j] + u[j] * v[i]) * h[(i, j)]);
    let q13 = Matrix4::from_fn(|i, j| 0.5 * (u[i] + u[j]) * h[(i, j)]);
    let q23 = Matrix4::from_fn(|i, j| 0.5 * (v[i] + v[j]) * h[(i, j)]);
    let qeq = Matrix4::from_fn(|i, j| (u[i] * u[j] - v[i] * v[j]) * h[(i, j)]);
    // Unit Frobenius norm: balances the elimination and the polishing.
    let unit = |q: Matrix4<f64>| {
        let n = q.norm();
        if n > 0.0 { q / n } else { q }
    };
    let (q12, q13, q23, qeq) = (unit(q12), unit(q13), unit(q23), unit(qeq));
    let quads = [q12, q13, q23, qeq];
    let mut sols = [Vector3::zeros(); 8];
    let n = solve_three_quadrics(&[q12, q13, q23], true, &mut sols);
    // The camera rows for depths c, if the depths are positive and P is not mirrored, with
    // the aspect error max(fx/fy, fy/fx) - 1.
    let camera_of = |c: &Vector4<f64>| {
        if !c.iter().all(|&ci| ci > 0.0 && ci.is_finite()) {
            return None;
        }
        let (p1, p2, p3) = (g * u.component_mul(c), g * v.component_mul(c), g * c);
        let m = Matrix3::new(p1[0], p1[1], p1[2], p2[0], p2[1], p2[2], p3[0], p3[1], p3[2]);
        if !(m.determinant() > 0.0) {
            return None;
        }
        let n3 = m.row(2).norm();
        let (fx, fy) = (m.row(0).norm() / n3, m.row(1).norm() / n3);
        let aspect = (fx / fy).max(fy / fx) - 1.0;
        (aspect < MAX_ASPECT_ERROR).then_some((aspect, m, [p1[3], p2[3], p3[3]], fx, fy, n3))
    };
    // Rank the unpolished roots (1e-9 relative) by aspect error, then polish them in that
    // order and return the first whose camera reprojects the four points.
    let mut cands = [(f64::INFINITY, Vector4::zeros()); 8];
    let mut nc = 0;
    for s in &sols[..n] {
        let c = Vector4::new(s.x, s.y, s.z, 1.0);
        if let Some((aspect, ..)) = camera_of(&c) {
            cands[nc] = (aspect, c);
            nc += 1;
        }
    }
    let cands = &mut cands[..nc];
    cands.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sample points in the normalised frame, for the reprojection check.
    let wn: [Vector3<f64>; 4] =
        std::array::from_fn(|i| Vector3::new(w[(i, 0)], w[(i, 1)], w[(i, 2)]));
    for (_, c) in cands.iter() {
        let Some((_, m, p4, fx, fy, n3)) = camera_of(&polish(&quads, *c)) else { continue };
        let f = 0.5 * (fx + fy);
        let (sx, sz) = (1.0 / (f * n3), 1.0 / n3);
        let scaled = Matrix3::from_rows(&[m.row(0) * sx, m.row(1) * sx, m.row(2) * sz]);
        let Some(rotation) = orthonormalize_rows(&scaled) else { continue };
        let t = Vector3::new(p4[0] * sx, p4[1] * sx, p4[2] * sz);
        let reprojects = wn.iter().enumerate().all(|(i, x)| {
            let q = rotation * x + t;
            q.z > 0.0 && (f * q.x / q.z - u[i]).hypot(f * q.y / q.z - v[i]) < MAX_SAMPLE_ERROR
        });
        if !reprojects {
            continue;
        }
        let pose =
            FocalPose { rotation, translation: t * sigma, focal: f * rho }.shifted_world(&centroid);
        if pose.rotation.iter().chain(pose.translation.iter()).all(|v| v.is_finite()) {
            out.push(pose);
            break;
        }
    }
    out.len()
}

/// Gauss-Newton on the four quadrics `c^T Q_k c = 0` over `(c1, c2, c3)` with `c4 = 1`
/// (at most [`MAX_POLISH_STEPS`] steps, each kept only if it lowers the residual).
fn polish(q: &[Matrix4<f64>; 4], mut c: Vector4<f64>) -> Vector4<f64> {
    let resid = |c: &Vector4<f64>| Vector4::from_fn(|k, _| c.dot(&(q[k] * c)));
    let mut r = resid(&c);
    for _ in 0..MAX_POLISH_STEPS {
        let mut jtj = Matrix3::zeros();
        let mut jtr = Vector3::zeros();
        for (k, qk) in q.iter().enumerate() {
            let gk = (qk * c).fixed_rows::<3>(0) * 2.0;
            jtj += gk * gk.transpose();
            jtr += gk * r[k];
        }
        let Some(step) = jtj.cholesky().map(|ch| ch.solve(&jtr)) else { break };
        let cand = Vector4::new(c.x - step.x, c.y - step.y, c.z - step.z, 1.0);
        let rc = resid(&cand);
        if !(rc.norm_squared() < r.norm_squared()) {
            break;
        }
        c = cand;
        r = rc;
        if step.norm() <= 1e-14 * c.norm() {
            break;
        }
    }
    c
}
