//! EPnP: calibrated pose from n >= 4 correspondences (V. Lepetit, F. Moreno-Noguer, P. Fua,
//! "EPnP: An accurate O(n) solution to the PnP problem", IJCV 2009), written from the paper,
//! with its planar case (three control points).

use nalgebra::{
    DMatrix, DVector, Matrix3, Point3, SMatrix, SVector, SymmetricEigen, Vector2, Vector3,
};

use super::{FocalPose, centre_and_scale};

/// Pairs of the four control points of the general case: six distance constraints.
const PAIRS_3D: [(usize, usize); 6] = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
/// Pairs of the three control points of the planar case: three distance constraints.
const PAIRS_PLANAR: [(usize, usize); 3] = [(0, 1), (0, 2), (1, 2)];

/// Smallest-to-largest eigenvalue ratio of the point covariance below which the points are
/// treated as coplanar (planar case) and, for the middle eigenvalue, as collinear (no
/// solution).
const FLAT: f64 = 1e-10;

/// Calibrated pose from `n >= 4` correspondences (non-minimal; least squares).
///
/// Each world point is written in barycentric coordinates `alpha_i` of four control points
/// (the centroid and the principal axes of the points); each correspondence gives two linear
/// equations in the 12 camera coordinates of the control points, `M x = 0`. `x` is sought in
/// the span of the 1, 2 or 3 right singular vectors of `M` of smallest singular values, with
/// weights from the control points' pairwise distances (linearisation of the paper's
/// N = 1..3 cases), each refined by Gauss-Newton on the weights; the pose follows by absolute
/// orientation, and the candidate of least reprojection error is kept.
///
/// Planar case (paper, section 3.4): when the points are coplanar (smallest covariance
/// eigenvalue below `1e-10` of the largest) three control points span their plane, `M` has
/// 9 columns, there are three distance constraints, and N = 1, 2 are tried.
///
/// Input normalisation: `x` normalised image coordinates; world points centred and scaled to
/// unit RMS distance inside. At most 1 solution, `focal` 1. Fewer than 4 points, differing
/// lengths, collinear points or non-finite input give 0 solutions.
pub fn epnp(x: &[Vector2<f64>], xw: &[Point3<f64>], out: &mut Vec<FocalPose>) -> usize {
    out.clear();
    if x.len() < 4 || x.len() != xw.len() || x.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
        return 0;
    }
    let Some((centroid, sigma)) = centre_and_scale(xw) else { return 0 };
    let w: Vec<Vector3<f64>> = xw.iter().map(|p| (p.coords - centroid) / sigma).collect();
    let cov = w.iter().fold(Matrix3::zeros(), |a, p| a + p * p.transpose()) / w.len() as f64;
    let eig = SymmetricEigen::new(cov);
    let mut axes = [0, 1, 2];
    axes.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let ev = axes.map(|k| eig.eigenvalues[k]);
    if !(ev[1] > FLAT * ev[0]) {
        return 0;
    }
    // Control points: c0 = 0 (the centroid), then along the principal axes, largest first.
    let axis = |k: usize| eig.eigenvectors.column(axes[k]) * ev[k].sqrt();
    let pose = if ev[2] > FLAT * ev[0] {
        let basis = Matrix3::from_columns(&[axis(0), axis(1), axis(2)]);
        let Some(inv) = basis.try_inverse() else { return 0 };
        let alphas: Vec<[f64; 4]> = w
            .iter()
            .map(|p| {
                let a = inv * p;
                [1.0 - a.sum(), a.x, a.y, a.z]
            })
            .collect();
        let ctrl = [Vector3::zeros(), axis(0), axis(1), axis(2)];
        solve(4, &alphas, &ctrl, &PAIRS_3D, 3, &w, x)
    } else {
        // Coordinates in the plane: projections on the two in-plane axes, divided by their
        // squared lengths (the axes are orthogonal).
        let (a0, a1) = (axis(0), axis(1));
        let alphas: Vec<[f64; 4]> = w
            .iter()
            .map(|p| {
                let (u, v) = (p.dot(&a0) / ev[0], p.dot(&a1) / ev[1]);
                [1.0 - u - v, u, v, 0.0]
            })
            .collect();
        let ctrl = [Vector3::zeros(), a0, a1, Vector3::zeros()];
        solve(3, &alphas, &ctrl, &PAIRS_PLANAR, 2, &w, x)
    };
    if let Some(pose) = pose {
        let pose = FocalPose { translation: pose.translation * sigma, ..pose };
        out.push(pose.shifted_world(&centroid));
    }
    out.len()
}

/// The EPnP core for `k` control points (`3 k` unknowns): null space of `M^T M`, the
/// weights for N = 1..`max_n` kernel vectors, Gauss-Newton on min(4, pairs) weights, and the
/// pose of least reprojection error.
fn solve(
    k: usize,
    alphas: &[[f64; 4]],
    ctrl: &[Vector3<f64>; 4],
    pairs: &[(usize, usize)],
    max_n: usize,
    w: &[Vector3<f64>],
    x: &[Vector2<f64>],
) -> Option<FocalPose> {
    let dim = 3 * k;
    let mut mtm = DMatrix::<f64>::zeros(dim, dim);
    let mut r1 = DVector::<f64>::zeros(dim);
    let mut r2 = DVector::<f64>::zeros(dim);
    for (al, xi) in alphas.iter().zip(x) {
        for j in 0..k {
            r1[3 * j] = al[j];
            r1[3 * j + 2] = -xi.x * al[j];
            r2[3 * j + 1] = al[j];
            r2[3 * j + 2] = -xi.y * al[j];
        }
        mtm.ger(1.0, &r1, &r1, 1.0);
        mtm.ger(1.0, &r2, &r2, 1.0);
    }
    let es = SymmetricEigen::new(mtm);
    let mut order: Vec<usize> = (0..dim).collect();
    order.sort_by(|&a, &b| es.eigenvalues[a].total_cmp(&es.eigenvalues[b]));
    let kernel: [DVector<f64>; 4] =
        std::array::from_fn(|i| es.eigenvectors.column(order[i]).into_owned());
    let d2: Vec<f64> = pairs.iter().map(|&(i, j)| (ctrl[i] - ctrl[j]).norm_squared()).collect();
    let free = pairs.len().min(4);
    let mut best: Option<(f64, FocalPose)> = None;
    for n in 1..=max_n {
        let Some(betas) = initial_betas(&kernel, &d2, pairs, n) else { continue };
        let betas = gauss_newton(&kernel, &d2, pairs, free, betas);
        let Some((err, pose)) = pose_from_betas(k, &kernel, &betas, alphas, w, x) else {
            continue;
        };
        if best.as_ref().is_none_or(|b| err < b.0) {
            best = Some((err, pose));
        }
    }
    best.map(|b| b.1)
}

/// Difference of control points `i` and `j` in kernel vector `v`.
fn diff(v: &DVector<f64>, i: usize, j: usize) -> Vector3<f64> {
    Vector3::new(v[3 * i] - v[3 * j], v[3 * i + 1] - v[3 * j + 1], v[3 * i + 2] - v[3 * j + 2])
}

/// Weights of the first `n` kernel vectors from the six distances, linearised in the
/// products `beta_a beta_b` (least squares).
fn initial_betas(
    kernel: &[DVector<f64>; 4],
    d2: &[f64],
    pairs: &[(usize, usize)],
    n: usize,
) -> Option<[f64; 4]> {
    let prods: Vec<(usize, usize)> = (0..n).flat_map(|a| (a..n).map(move |b| (a, b))).collect();
    let mut l = DMatrix::<f64>::zeros(pairs.len(), prods.len());
    for (r, &(i, j)) in pairs.iter().enumerate() {
        for (c, &(a, b)) in prods.iter().enumerate() {
            let dot = diff(&kernel[a], i, j).dot(&diff(&kernel[b], i, j));
            l[(r, c)] = if a == b { dot } else { 2.0 * dot };
        }
    }
    let rhs = DMatrix::from_column_slice(pairs.len(), 1, d2);
    let sol = l.svd(true, true).solve(&rhs, 1e-14).ok()?;
    let b11 = sol[(0, 0)];
    let b1 = b11.abs().sqrt();
    if !(b1 > 0.0) {
        return None;
    }
    let mut betas = [0.0; 4];
    betas[0] = b1;
    // beta_1 beta_k for k > 0 sits in the first n entries of the product list.
    for k in 1..n {
        betas[k] = sol[(k, 0)] / b1;
    }
    Some(betas)
}

/// Gauss-Newton on the first `free` weights: `|sum_k beta_k (v_k,i - v_k,j)|^2 = d2_ij`.
fn gauss_newton(
    kernel: &[DVector<f64>; 4],
    d2: &[f64],
    pairs: &[(usize, usize)],
    free: usize,
    mut betas: [f64; 4],
) -> [f64; 4] {
    for _ in 0..5 {
        let mut jtj = SMatrix::<f64, 4, 4>::zeros();
        let mut jtr = SVector::<f64, 4>::zeros();
        for (r, &(i, j)) in pairs.iter().enumerate() {
            let dk: [Vector3<f64>; 4] = std::array::from_fn(|k| diff(&kernel[k], i, j));
            let d = dk.iter().zip(betas).fold(Vector3::zeros(), |a, (v, b)| a + v * b);
            let res = d.norm_squared() - d2[r];
            let jac =
                SVector::<f64, 4>::from_fn(|k, _| if k < free { 2.0 * d.dot(&dk[k]) } else { 0.0 });
            jtj += jac * jac.transpose();
            jtr += jac * res;
        }
        // Fixed weights: identity rows so that the system stays invertible.
        for k in free..4 {
            jtj[(k, k)] = 1.0;
        }
        let Some(step) = jtj.try_inverse().map(|m| m * jtr) else { break };
        for (b, s) in betas.iter_mut().zip(step.iter()) {
            *b -= s;
        }
    }
    betas
}

/// Pose and mean squared reprojection error from the weights.
fn pose_from_betas(
    k: usize,
    kernel: &[DVector<f64>; 4],
    betas: &[f64; 4],
    alphas: &[[f64; 4]],
    w: &[Vector3<f64>],
    x: &[Vector2<f64>],
) -> Option<(f64, FocalPose)> {
    let v = kernel.iter().zip(betas).fold(DVector::zeros(3 * k), |a, (kv, b)| a + kv * *b);
    let ctrl: Vec<Vector3<f64>> =
        (0..k).map(|j| Vector3::new(v[3 * j], v[3 * j + 1], v[3 * j + 2])).collect();
    let mut cam: Vec<Vector3<f64>> = alphas
        .iter()
        .map(|a| ctrl.iter().zip(a).fold(Vector3::zeros(), |s, (c, aj)| s + c * *aj))
        .collect();
    let mean_z = cam.iter().map(|p| p.z).sum::<f64>();
    if mean_z < 0.0 {
        cam.iter_mut().for_each(|p| *p = -*p);
    }
    // Absolute orientation (Procrustes without scale).
    let nf = cam.len() as f64;
    let (pc, wc) = (cam.iter().sum::<Vector3<f64>>() / nf, w.iter().sum::<Vector3<f64>>() / nf);
    let h =
        cam.iter().zip(w).fold(Matrix3::zeros(), |a, (p, q)| a + (p - pc) * (q - wc).transpose());
    let svd = h.svd(true, true);
    let (u, vt) = (svd.u?, svd.v_t?);
    let d = (u * vt).determinant().signum();
    let rotation = u * Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, d)) * vt;
    let translation = pc - rotation * wc;
    let mut err = 0.0;
    for (p, xi) in w.iter().zip(x) {
        let q = rotation * p + translation;
        if !(q.z > 0.0) {
            return None;
        }
        err += (Vector2::new(q.x / q.z, q.y / q.z) - xi).norm_squared();
    }
    let pose = FocalPose { rotation, translation, focal: 1.0 };
    (err.is_finite() && pose.rotation.iter().all(|v| v.is_finite())).then_some((err / nf, pose))
}
