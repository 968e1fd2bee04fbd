//! P3P: calibrated absolute pose from three 2D-3D correspondences, Lambda Twist
//! (M. Persson, K. Nordberg, "Lambda Twist: An Accurate Fast Robust Perspective Three Point
//! (P3P) Solver", ECCV 2018), written from the paper.

use nalgebra::{Matrix3, Point3, Vector2, Vector3};

use super::FocalPose;
use super::poly::{largest_root_cubic_monic, solve_cubic_monic, solve_quadratic};

/// Calibrated pose from three correspondences (Lambda Twist).
///
/// Unknowns: the depths `lambda_i > 0` along the unit bearings `y_i` of the normalised image
/// points `x` (`y_i ~ (x_i, 1)`). Equations: `|lambda_i y_i - lambda_j y_j|^2 = |X_i - X_j|^2`
/// for the three pairs. Two homogeneous conics `D1 = a23 M12 - a12 M23`,
/// `D2 = a23 M13 - a13 M23` are combined into the degenerate member `D0 = D1 + g D2` of their
/// pencil (`det(D1 + g D2) = 0`, a cubic in `g`, of which one real root is needed: the
/// largest, by Cardano or a monotone Newton iteration, without trigonometry); `D0` factors
/// into two planes through the
/// origin, each intersected with `D2` (a quadratic), the scale comes from `a_ij`, and the
/// depths are polished by Gauss-Newton. The pose follows from the two point triads.
///
/// Input normalisation: world points are centred on their centroid inside; `x` must be
/// normalised image coordinates (`(pixel - pp) / f`). Up to 4 solutions, all with positive
/// depths; `focal` is 1. Collinear, duplicated or non-finite input gives 0 solutions.
pub fn p3p(x: &[Vector2<f64>; 3], xw: &[Point3<f64>; 3], out: &mut Vec<FocalPose>) -> usize {
    out.clear();
    let centroid = (xw[0].coords + xw[1].coords + xw[2].coords) / 3.0;
    let mut y = [Vector3::zeros(); 3];
    for (yi, xi) in y.iter_mut().zip(x) {
        match Vector3::new(xi.x, xi.y, 1.0).try_normalize(0.0) {
            Some(v) if v.iter().all(|c| c.is_finite()) => *yi = v,
            _ => return 0,
        }
    }
    let w = xw.map(|p| p.coords - centroid);
    let (d12, d13, d23) = (w[0] - w[1], w[0] - w[2], w[1] - w[2]);
    let (a12, a13, a23) = (d12.norm_squared(), d13.norm_squared(), d23.norm_squared());
    // Collinear or duplicated world points: the triangle has (almost) no area. Compared
    // squared, against the mean squared distance to the centroid, (a12 + a13 + a23) / 9.
    let ms = (a12 + a13 + a23) / 9.0;
    let normal = d12.cross(&d13);
    if !(normal.norm_squared() > 1e-20 * ms * ms) {
        return 0;
    }
    // The world triad is the same for every solution: invert it once.
    let Some(world_inv) = Matrix3::from_columns(&[d12, d13, normal]).try_inverse() else {
        return 0;
    };
    let (b12, b13, b23) = (y[0].dot(&y[1]), y[0].dot(&y[2]), y[1].dot(&y[2]));
    let d1 =
        Matrix3::new(a23, -a23 * b12, 0.0, -a23 * b12, a23 - a12, a12 * b23, 0.0, a12 * b23, -a12);
    let d2 =
        Matrix3::new(a23, 0.0, -a23 * b13, 0.0, -a13, a13 * b23, -a23 * b13, a13 * b23, a23 - a13);
    // det(D1 + g D2) = c3 g^3 + c2 g^2 + c1 g + c0.
    let col = |m: &Matrix3<f64>, i: usize| m.column(i).into_owned();
    let det3 = |a: Vector3<f64>, b: Vector3<f64>, c: Vector3<f64>| a.dot(&b.cross(&c));
    let (p0, p1, p2) = (col(&d1, 0), col(&d1, 1), col(&d1, 2));
    let (q0, q1, q2) = (col(&d2, 0), col(&d2, 1), col(&d2, 2));
    let c3 = det3(q0, q1, q2);
    let c2 = det3(p0, q1, q2) + det3(q0, p1, q2) + det3(q0, q1, p2);
    let c1 = det3(q0, p1, p2) + det3(p0, q1, p2) + det3(p0, p1, q2);
    let c0 = det3(p0, p1, p2);
    if c3 == 0.0 || !c3.is_finite() {
        return 0;
    }
    // Any real root makes D0 degenerate; the largest is found without trigonometry and
    // works except in degenerate configurations, where the others are tried.
    let (b, c, d) = (c2 / c3, c1 / c3, c0 / c3);
    let split = largest_root_cubic_monic(b, c, d)
        .and_then(|g| split_degenerate_conic(&(d1 + d2 * g)))
        .or_else(|| {
            let (gammas, ng) = solve_cubic_monic(b, c, d);
            gammas[..ng].iter().find_map(|&g| split_degenerate_conic(&(d1 + d2 * g)))
        });
    let Some((e1, e2, e3, s)) = split else {
        return 0;
    };
    let mut lambdas = [[0.0; 3]; 4];
    let mut count = 0;
    for sign in [1.0, -1.0] {
        // Plane through the origin: (e1 - sign s e2) . lambda = 0, basis (e3, n x e3).
        let n = e1 - e2 * (sign * s);
        let Some(b2) = n.cross(&e3).try_normalize(1e-300) else { continue };
        let b1 = e3;
        let qa = b1.dot(&(d2 * b1));
        let qb = 2.0 * b1.dot(&(d2 * b2));
        let qc = b2.dot(&(d2 * b2));
        // lambda ~ tau b1 + b2: qa tau^2 + qb tau + qc = 0.
        let (taus, nt) = solve_quadratic(qa, qb, qc);
        for &tau in &taus[..nt] {
            let v = b1 * tau + b2;
            let Some(l) = scale_depths(&v, &y, [a12, a13, a23]) else { continue };
            if count < 4 {
                lambdas[count] = refine_depths(l, [a12, a13, a23], [b12, b13, b23]);
                count += 1;
            }
        }
    }
    for l in &lambdas[..count] {
        let cam = [y[0] * l[0], y[1] * l[1], y[2] * l[2]];
        let (e12, e13) = (cam[0] - cam[1], cam[0] - cam[2]);
        let cam_m = Matrix3::from_columns(&[e12, e13, e12.cross(&e13)]);
        let rotation = cam_m * world_inv;
        let translation = cam[0] - rotation * w[0];
        let pose = FocalPose { rotation, translation, focal: 1.0 }.shifted_world(&centroid);
        if pose.rotation.iter().chain(pose.translation.iter()).all(|v| v.is_finite()) {
            out.push(pose);
        }
    }
    out.len()
}

/// `(e1, e2, e3, s)` of [`split_degenerate_conic`].
type ConicSplit = (Vector3<f64>, Vector3<f64>, Vector3<f64>, f64);

/// Eigen-decomposition of a rank-2 symmetric matrix with eigenvalues of opposite signs:
/// returns `(e1, e2, e3, s)` with `e3` the null vector and `s = sqrt(-sigma2 / sigma1)`.
fn split_degenerate_conic(d0: &Matrix3<f64>) -> Option<ConicSplit> {
    let e3 = null_vector(d0)?;
    let tr = d0.trace();
    let minors = d0[(0, 0)] * d0[(1, 1)] - d0[(0, 1)] * d0[(1, 0)] + d0[(0, 0)] * d0[(2, 2)]
        - d0[(0, 2)] * d0[(2, 0)]
        + d0[(1, 1)] * d0[(2, 2)]
        - d0[(1, 2)] * d0[(2, 1)];
    if !(minors < 0.0) {
        return None;
    }
    let (sig, n) = solve_quadratic(1.0, -tr, minors);
    if n != 2 {
        return None;
    }
    // sigma1 the larger in magnitude keeps s <= 1.
    let (s1, s2) = if sig[0].abs() >= sig[1].abs() { (sig[0], sig[1]) } else { (sig[1], sig[0]) };
    let e1 = null_vector(&(d0 - Matrix3::identity() * s1))?;
    let e2 = e3.cross(&e1);
    let s = (-s2 / s1).sqrt();
    s.is_finite().then_some((e1, e2, e3, s))
}

/// Unit null vector of a rank-2 3x3 matrix: the largest cross product of two rows.
fn null_vector(m: &Matrix3<f64>) -> Option<Vector3<f64>> {
    let (r0, r1, r2) = (m.row(0).transpose(), m.row(1).transpose(), m.row(2).transpose());
    let c = [r0.cross(&r1), r0.cross(&r2), r1.cross(&r2)];
    let best = c.iter().max_by(|a, b| a.norm_squared().total_cmp(&b.norm_squared()))?;
    best.try_normalize(1e-300)
}

/// Scales a depth direction `v` so that the largest pairwise distance matches; `None` if the
/// depths do not share one sign.
fn scale_depths(v: &Vector3<f64>, y: &[Vector3<f64>; 3], a: [f64; 3]) -> Option<[f64; 3]> {
    let pairs = [(0, 1, a[0]), (0, 2, a[1]), (1, 2, a[2])];
    let (i, j, aij) = pairs.into_iter().max_by(|p, q| p.2.total_cmp(&q.2))?;
    let dist2 = (y[i] * v[i] - y[j] * v[j]).norm_squared();
    if !(dist2 > 0.0) {
        return None;
    }
    let k = (aij / dist2).sqrt();
    let l = v * k;
    if l.iter().all(|&c| c > 0.0) {
        Some([l[0], l[1], l[2]])
    } else if l.iter().all(|&c| c < 0.0) {
        Some([-l[0], -l[1], -l[2]])
    } else {
        None
    }
}

/// Gauss-Newton on `l_i^2 + l_j^2 - 2 b_ij l_i l_j = a_ij` (at most 5 steps, kept only while
/// the residual decreases, none once it is at rounding level).
fn refine_depths(mut l: [f64; 3], a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    let residual = |l: &[f64; 3]| {
        Vector3::new(
            l[0] * l[0] + l[1] * l[1] - 2.0 * b[0] * l[0] * l[1] - a[0],
            l[0] * l[0] + l[2] * l[2] - 2.0 * b[1] * l[0] * l[2] - a[1],
            l[1] * l[1] + l[2] * l[2] - 2.0 * b[2] * l[1] * l[2] - a[2],
        )
    };
    let mut r = residual(&l);
    // Residuals within a few rounding errors of the squared distances need no step.
    let done = 4.0 * f64::EPSILON * a[0].max(a[1]).max(a[2]);
    for _ in 0..5 {
        if r.amax() <= done {
            break;
        }
        let j = Matrix3::new(
            2.0 * (l[0] - b[0] * l[1]),
            2.0 * (l[1] - b[0] * l[0]),
            0.0,
            2.0 * (l[0] - b[1] * l[2]),
            0.0,
            2.0 * (l[2] - b[1] * l[0]),
            0.0,
            2.0 * (l[1] - b[2] * l[2]),
            2.0 * (l[2] - b[2] * l[1]),
        );
        let Some(ji) = j.try_inverse() else { break };
        let step = ji * r;
        let cand = [l[0] - step[0], l[1] - step[1], l[2] - step[2]];
        let rc = residual(&cand);
        if !(rc.norm_squared() < r.norm_squared()) {
            break;
        }
        l = cand;
        r = rc;
    }
    l
}
