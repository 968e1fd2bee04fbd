//! EPnP: calibrated pose from n >= 4 correspondences (V. Lepetit, F. Moreno-Noguer, P. Fua,
//! "EPnP: An accurate O(n) solution to the PnP problem", IJCV 2009), written from the paper.

use nalgebra::{DMatrix, Matrix3, Point3, SMatrix, SVector, SymmetricEigen, Vector2, Vector3};

use super::{FocalPose, centre_and_scale};

type Mat12 = SMatrix<f64, 12, 12>;
type Vec12 = SVector<f64, 12>;

/// Pairs of control points: the six distance constraints.
const PAIRS: [(usize, usize); 6] = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];

/// Calibrated pose from `n >= 4` correspondences (non-minimal; least squares).
///
/// Each world point is written in barycentric coordinates `alpha_i` of four control points
/// (the centroid and the principal axes of the points); each correspondence gives two linear
/// equations in the 12 camera coordinates of the control points, `M x = 0`. `x` is sought in
/// the span of the 1, 2 or 3 right singular vectors of `M` of smallest singular values, with
/// weights from the control points' pairwise distances (linearisation of the paper's
/// N = 1..3 cases), each refined by Gauss-Newton on the four weights; the pose follows by
/// absolute orientation, and the candidate of least reprojection error is kept.
///
/// Input normalisation: `x` normalised image coordinates; world points centred and scaled to
/// unit RMS distance inside. At most 1 solution, `focal` 1. Fewer than 4 points, differing
/// lengths, coplanar or collinear points (the planar case of the paper is not implemented),
/// or non-finite input give 0 solutions.
pub fn epnp(x: &[Vector2<f64>], xw: &[Point3<f64>], out: &mut Vec<FocalPose>) -> usize {
    out.clear();
    if x.len() < 4 || x.len() != xw.len() || x.iter().any(|p| !p.iter().all(|v| v.is_finite())) {
        return 0;
    }
    let Some((centroid, sigma)) = centre_and_scale(xw) else { return 0 };
    let w: Vec<Vector3<f64>> = xw.iter().map(|p| (p.coords - centroid) / sigma).collect();
    // Control points: c0 = 0 (the centroid), c1..c3 along the principal axes.
    let cov = w.iter().fold(Matrix3::zeros(), |a, p| a + p * p.transpose()) / w.len() as f64;
    let eig = SymmetricEigen::new(cov);
    let emax = eig.eigenvalues.amax();
    if !(eig.eigenvalues.min() > 1e-10 * emax) {
        return 0;
    }
    let mut ctrl = [Vector3::zeros(); 4];
    for k in 0..3 {
        ctrl[k + 1] = eig.eigenvectors.column(k) * eig.eigenvalues[k].sqrt();
    }
    let basis = Matrix3::from_columns(&[ctrl[1], ctrl[2], ctrl[3]]);
    let Some(basis_inv) = basis.try_inverse() else { return 0 };
    let alphas: Vec<[f64; 4]> = w
        .iter()
        .map(|p| {
            let a = basis_inv * p;
            [1.0 - a.sum(), a.x, a.y, a.z]
        })
        .collect();
    let mut mtm = Mat12::zeros();
    for (al, xi) in alphas.iter().zip(x) {
        let mut r1 = Vec12::zeros();
        let mut r2 = Vec12::zeros();
        for j in 0..4 {
            r1[3 * j] = al[j];
            r1[3 * j + 2] = -xi.x * al[j];
            r2[3 * j + 1] = al[j];
            r2[3 * j + 2] = -xi.y * al[j];
        }
        mtm += r1 * r1.transpose() + r2 * r2.transpose();
    }
    let es = SymmetricEigen::new(mtm);
    let mut order: [usize; 12] = std::array::from_fn(|i| i);
    order.sort_by(|&a, &b| es.eigenvalues[a].total_cmp(&es.eigenvalues[b]));
    let kernel: [Vec12; 4] = std::array::from_fn(|k| es.eigenvectors.column(order[k]).into_owned());
    let world_d2: [f64; 6] = PAIRS.map(|(i, j)| (ctrl[i] - ctrl[j]).norm_squared());
    let mut best: Option<(f64, FocalPose)> = None;
    for n in 1..=3 {
        let Some(betas) = initial_betas(&kernel, &world_d2, n) else { continue };
        let betas = gauss_newton(&kernel, &world_d2, betas);
        let Some((err, pose)) = pose_from_betas(&kernel, &betas, &alphas, &w, x) else { continue };
        if best.as_ref().is_none_or(|b| err < b.0) {
            best = Some((err, pose));
        }
    }
    if let Some((_, pose)) = best {
        let pose = FocalPose { translation: pose.translation * sigma, ..pose };
        out.push(pose.shifted_world(&centroid));
    }
    out.len()
}

/// Difference of control points `i` and `j` in kernel vector `v`.
fn diff(v: &Vec12, i: usize, j: usize) -> Vector3<f64> {
    Vector3::new(v[3 * i] - v[3 * j], v[3 * i + 1] - v[3 * j + 1], v[3 * i + 2] - v[3 * j + 2])
}

/// Weights of the first `n` kernel vectors from the six distances, linearised in the
/// products `beta_a beta_b` (least squares).
fn initial_betas(kernel: &[Vec12; 4], d2: &[f64; 6], n: usize) -> Option<[f64; 4]> {
    let prods: Vec<(usize, usize)> = (0..n).flat_map(|a| (a..n).map(move |b| (a, b))).collect();
    let mut l = DMatrix::<f64>::zeros(6, prods.len());
    for (r, &(i, j)) in PAIRS.iter().enumerate() {
        for (c, &(a, b)) in prods.iter().enumerate() {
            let dot = diff(&kernel[a], i, j).dot(&diff(&kernel[b], i, j));
            l[(r, c)] = if a == b { dot } else { 2.0 * dot };
        }
    }
    let rhs = DMatrix::from_column_slice(6, 1, d2);
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

/// Gauss-Newton on the four weights: `|sum_k beta_k (v_k,i - v_k,j)|^2 = d2_ij`.
fn gauss_newton(kernel: &[Vec12; 4], d2: &[f64; 6], mut betas: [f64; 4]) -> [f64; 4] {
    for _ in 0..5 {
        let mut jtj = SMatrix::<f64, 4, 4>::zeros();
        let mut jtr = SVector::<f64, 4>::zeros();
        for (r, &(i, j)) in PAIRS.iter().enumerate() {
            let dk: [Vector3<f64>; 4] = std::array::from_fn(|k| diff(&kernel[k], i, j));
            let d = dk.iter().zip(betas).fold(Vector3::zeros(), |a, (v, b)| a + v * b);
            let res = d.norm_squared() - d2[r];
            let jac = SVector::<f64, 4>::from_fn(|k, _| 2.0 * d.dot(&dk[k]));
            jtj += jac * jac.transpose();
            jtr += jac * res;
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
    kernel: &[Vec12; 4],
    betas: &[f64; 4],
    alphas: &[[f64; 4]],
    w: &[Vector3<f64>],
    x: &[Vector2<f64>],
) -> Option<(f64, FocalPose)> {
    let v = kernel.iter().zip(betas).fold(Vec12::zeros(), |a, (k, b)| a + k * *b);
    let ctrl: [Vector3<f64>; 4] =
        std::array::from_fn(|j| Vector3::new(v[3 * j], v[3 * j + 1], v[3 * j + 2]));
    let mut cam: Vec<Vector3<f64>> =
        alphas.iter().map(|a| (0..4).fold(Vector3::zeros(), |s, j| s + ctrl[j] * a[j])).collect();
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
