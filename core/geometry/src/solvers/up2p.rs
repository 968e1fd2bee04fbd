//! UP2P: calibrated pose from two correspondences when gravity is known in both frames (the
//! problem of Kukelova, Bujnak, Pajdla, "Closed-form solutions to minimal absolute pose
//! problems with known vertical direction", ACCV 2010; linear formulation derived here).

use nalgebra::{Matrix3, Point3, SMatrix, Vector2, Vector3};

use super::upright::{Gravity, camera_point_rows, cross_rows, null_space};
use super::{FocalPose, centre_and_scale};

/// Calibrated pose from two correspondences and the gravity direction.
///
/// With both frames rotated so that "down" is `+y` ([`Gravity::alignments`]), the pose is
/// `Y_cam = R_y(theta) X + t`, linear in `m = (c, s, t1, t2, t3, 1)`. Each ray `q_i` gives
/// two rows of `q_i x Y_cam = 0`: a 4x6 system with a 2-dimensional null space
/// `m = a n1 + b n2`; `c^2 + s^2 = m_6^2` is a homogeneous quadratic in `(a, b)`. Solutions
/// with a point behind the camera are dropped.
///
/// Input normalisation: `x` are normalised image coordinates (`(pixel - pp) / f`); world
/// points are centred on their midpoint and scaled to unit RMS distance inside. At most 2
/// solutions, `focal` 1. Duplicated points, a baseline along gravity only, or non-finite
/// input give 0 solutions.
pub fn up2p(
    x: &[Vector2<f64>; 2],
    xw: &[Point3<f64>; 2],
    gravity: &Gravity,
    out: &mut Vec<FocalPose>,
) -> usize {
    out.clear();
    let Some((centroid, sigma)) = centre_and_scale(xw) else { return 0 };
    let Some((rc, rw)) = gravity.alignments() else { return 0 };
    let q = x.map(|p| rc * Vector3::new(p.x, p.y, 1.0));
    let w = xw.map(|p| rw * (p.coords - centroid) / sigma);
    if !q.iter().all(|v| v.iter().all(|c| c.is_finite())) {
        return 0;
    }
    let axis = rc * Vector3::z();
    let mut a = SMatrix::<f64, 4, 6>::zeros();
    for i in 0..2 {
        let rows = cross_rows(&q[i], &camera_point_rows(&w[i]), &axis);
        for (k, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                a[(2 * i + k, c)] = *v;
            }
        }
    }
    let Some(ns) = null_space(&a, 2) else { return 0 };
    let (n1, n2) = (ns.column(0), ns.column(1));
    // (a n1 + n2) with c^2 + s^2 - m6^2 = 0: qa tau^2 + qb tau + qc = 0.
    let quad = |u: usize, v: usize| n1[u] * n2[v] + n1[v] * n2[u];
    let qa = n1[0] * n1[0] + n1[1] * n1[1] - n1[5] * n1[5];
    let qb = quad(0, 0) + quad(1, 1) - quad(5, 5);
    let qc = n2[0] * n2[0] + n2[1] * n2[1] - n2[5] * n2[5];
    let (taus, nt) = super::poly::solve_quadratic(qa, qb, qc);
    for &tau in &taus[..nt] {
        let m = n1 * tau + n2;
        if m[5] == 0.0 {
            continue;
        }
        let m = m / m[5];
        let Some(pose) = pose_from_m(&m.fixed_rows::<5>(0).into_owned(), &q, &w, &rc, &rw) else {
            continue;
        };
        out.push(
            FocalPose { translation: pose.translation * sigma, ..pose }.shifted_world(&centroid),
        );
    }
    out.len()
}

/// Pose (in the normalised, centred world) from `(c, s, t)`, if every point is in front.
pub(crate) fn pose_from_m(
    m: &nalgebra::SVector<f64, 5>,
    q: &[Vector3<f64>],
    w: &[Vector3<f64>],
    rc: &Matrix3<f64>,
    rw: &Matrix3<f64>,
) -> Option<FocalPose> {
    let norm = (m[0] * m[0] + m[1] * m[1]).sqrt();
    if !(norm > 0.0 && norm.is_finite()) {
        return None;
    }
    let (c, s) = (m[0] / norm, m[1] / norm);
    let ry = Matrix3::new(c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c);
    let t = Vector3::new(m[2], m[3], m[4]);
    for (qi, wi) in q.iter().zip(w) {
        if !((ry * wi + t).dot(qi) > 0.0) {
            return None;
        }
    }
    let rotation = rc.transpose() * ry * rw;
    let translation = rc.transpose() * t;
    Some(FocalPose { rotation, translation, focal: 1.0 })
}
