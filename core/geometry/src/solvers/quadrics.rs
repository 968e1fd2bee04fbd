//! Intersection of three quadrics in three unknowns by a hidden-variable elimination to one
//! univariate polynomial of degree 8 (the construction of Kukelova, Heller, Fitzgibbon,
//! "Efficient intersection of three quadrics and applications in computer vision", CVPR
//! 2016, re-derived here), used by [`super::p4pf`].
//!
//! Each quadric is `q_k(c) = c^T Q_k c` with `c = (x0, x1, x2, 1)`. Hiding one unknown `h`,
//! the other two `(a, b)` enter through the monomials `a^2, ab, b^2` (constant coefficients,
//! the 3x3 block `A`) and `a, b, 1` (coefficients polynomial in `h`, the block `B(h)`).
//! Inverting `A` expresses `(a^2, ab, b^2) = L(h) (a, b, 1)`. Three consistency relations,
//! `b a^2 - a (ab) = 0`, `b (ab) - a b^2 = 0` and `a^2 b^2 - (ab)^2 = 0`, reduced with `L`,
//! become `M(h) (a, b, 1) = 0` with `M` 3x3 and `det M(h)` of degree 8. The unknown to hide
//! is the one whose `A` block is best conditioned, after an optional fixed rotation of the
//! three unknowns when no choice is well conditioned.

use nalgebra::{Matrix3, Matrix4, Vector3};

use super::poly::{Coeffs, MAX_DEGREE, add, horner, mul, scale, sturm_roots_above, sub};

/// A polynomial from its lowest coefficients.
fn coeffs(c: &[f64]) -> Coeffs {
    let mut p = [0.0; MAX_DEGREE + 1];
    p[..c.len()].copy_from_slice(c);
    p
}

/// A block conditioning score (`|det A| / |A|_F^3`) above which no other change of
/// variables is tried.
const GOOD_BLOCK: f64 = 0.02;

/// The quadric in the new unknowns `y = t x` (`x = t^T y`, the fourth coordinate kept).
fn transform(q: &Matrix4<f64>, t: &Matrix3<f64>) -> Matrix4<f64> {
    let s = Matrix4::from_fn(|i, j| {
        if i < 3 && j < 3 {
            t[(j, i)]
        } else if i == j {
            1.0
        } else {
            0.0
        }
    });
    s.transpose() * q * s
}

/// Relative tolerance of the univariate roots: the caller polishes the solution it keeps
/// (P4Pf's Gauss-Newton on all four quadrics), so Newton steps beyond this are wasted; 1e-6
/// gives the same failure rates as 1e-9 over the 10,000-problem tests, 1e-4 does not.
const ROOT_TOL: f64 = 1e-6;

/// Changes of variables tried in turn: the identity, then fixed rotations that mix all three
/// unknowns.
fn mixing_rotations() -> [Matrix3<f64>; 4] {
    let rot = |axis: Vector3<f64>, angle: f64| {
        nalgebra::Rotation3::from_axis_angle(&nalgebra::Unit::new_normalize(axis), angle)
            .into_inner()
    };
    [
        Matrix3::identity(),
        rot(Vector3::new(1.0, 2.0, 3.0), 0.9),
        rot(Vector3::new(-2.0, 1.0, 0.5), 1.3),
        rot(Vector3::new(0.3, -1.0, 2.0), 2.1),
    ]
}

/// Real solutions of three quadrics `c^T Q_k c = 0`, `c = (x0, x1, x2, 1)`, to about 1e-6
/// relative (polish before use), written into `out`; returns how many (at most 8). Returns 0 if no hidden variable gives an invertible
/// block of quadratic coefficients. With `positive_only`, solutions with a clearly negative
/// unknown are skipped (and, when no change of variables is needed, the hidden unknown is
/// only searched above 0).
pub(crate) fn solve_three_quadrics(
    q: &[Matrix4<f64>; 3],
    positive_only: bool,
    out: &mut [Vector3<f64>; 8],
) -> usize {
    // Pick a change of variables (identity or one of a few fixed rotations) and the hidden
    // unknown h with the best-conditioned block of quadratic coefficients.
    // (score, hidden, kept a, kept b, quadratic block, change of variables)
    type Choice = (f64, usize, usize, usize, Matrix3<f64>, Matrix3<f64>);
    let mut best: Option<Choice> = None;
    for (ti, t) in mixing_rotations().into_iter().enumerate() {
        let qt: [Matrix4<f64>; 3] =
            if ti == 0 { *q } else { std::array::from_fn(|k| transform(&q[k], &t)) };
        for (h, a, b) in [(2, 0, 1), (1, 0, 2), (0, 1, 2)] {
            let m = Matrix3::from_fn(|k, col| match col {
                0 => qt[k][(a, a)],
                1 => 2.0 * qt[k][(a, b)],
                _ => qt[k][(b, b)],
            });
            let norm = m.norm();
            let score = if norm > 0.0 { m.determinant().abs() / (norm * norm * norm) } else { 0.0 };
            if score.is_finite() && best.as_ref().is_none_or(|bst| score > bst.0) {
                best = Some((score, h, a, b, m, t));
            }
        }
        if best.as_ref().is_some_and(|b| b.0 > GOOD_BLOCK) {
            break;
        }
    }
    let Some((score, h, a, b, amat, t)) = best else { return 0 };
    if !(score > 1e-14) {
        return 0;
    }
    let identity = t == Matrix3::identity();
    let q: [Matrix4<f64>; 3] =
        if identity { *q } else { std::array::from_fn(|k| transform(&q[k], &t)) };
    let Some(ainv) = amat.try_inverse() else { return 0 };
    // B_k(h) = [a-coefficient, b-coefficient, constant], polynomials in h (degrees 1, 1, 2).
    let bpoly: [[Coeffs; 3]; 3] = std::array::from_fn(|k| {
        let qk = &q[k];
        [
            coeffs(&[2.0 * qk[(a, 3)], 2.0 * qk[(a, h)]]),
            coeffs(&[2.0 * qk[(b, 3)], 2.0 * qk[(b, h)]]),
            coeffs(&[qk[(3, 3)], 2.0 * qk[(h, 3)], qk[(h, h)]]),
        ]
    });
    // L = -A^{-1} B: rows for a^2, ab, b^2; columns for a, b, 1 (degrees 1, 1, 2). Plain
    // loops: nested `array::from_fn` was not always inlined and then copied its arrays.
    let mut l = [[[0.0; MAX_DEGREE + 1]; 3]; 3];
    for (r, lr) in l.iter_mut().enumerate() {
        for (col, lrc) in lr.iter_mut().enumerate() {
            for (d, v) in lrc.iter_mut().enumerate().take(3) {
                *v = -(ainv[(r, 0)] * bpoly[0][col][d]
                    + ainv[(r, 1)] * bpoly[1][col][d]
                    + ainv[(r, 2)] * bpoly[2][col][d]);
            }
        }
    }
    let [l0, l1, l2] = &l;
    // Row 1: b a^2 - a (ab); row 2: b (ab) - a b^2, with weights (of L0, L1, L2) of degree 1.
    let lin_row = |w: [Coeffs; 3], extra: [Coeffs; 2]| -> [Coeffs; 3] {
        let col = |c: usize| {
            add(
                &add(&mul::<1, 1>(&w[0], &l0[c]), &mul::<1, 1>(&w[1], &l1[c])),
                &mul::<1, 1>(&w[2], &l2[c]),
            )
        };
        let last = add(
            &add(&mul::<1, 2>(&w[0], &l0[2]), &mul::<1, 2>(&w[1], &l1[2])),
            &mul::<1, 2>(&w[2], &l2[2]),
        );
        [add(&col(0), &extra[0]), add(&col(1), &extra[1]), last]
    };
    let row1 =
        lin_row([scale(&l1[0], -1.0), sub(&l0[0], &l1[1]), l0[1]], [scale(&l1[2], -1.0), l0[2]]);
    let row2 =
        lin_row([scale(&l2[0], -1.0), sub(&l1[0], &l2[1]), l1[1]], [scale(&l2[2], -1.0), l1[2]]);
    // Row 3: (L0.v)(L2.v) - (L1.v)^2 expanded in monomials of (a, b), then reduced.
    let two = |x: &Coeffs| scale(x, 2.0);
    let caa = sub(&mul::<1, 1>(&l0[0], &l2[0]), &mul::<1, 1>(&l1[0], &l1[0]));
    let cab = sub(
        &add(&mul::<1, 1>(&l0[0], &l2[1]), &mul::<1, 1>(&l0[1], &l2[0])),
        &two(&mul::<1, 1>(&l1[0], &l1[1])),
    );
    let cbb = sub(&mul::<1, 1>(&l0[1], &l2[1]), &mul::<1, 1>(&l1[1], &l1[1]));
    let ca = sub(
        &add(&mul::<1, 2>(&l0[0], &l2[2]), &mul::<1, 2>(&l2[0], &l0[2])),
        &two(&mul::<1, 2>(&l1[0], &l1[2])),
    );
    let cb = sub(
        &add(&mul::<1, 2>(&l0[1], &l2[2]), &mul::<1, 2>(&l2[1], &l0[2])),
        &two(&mul::<1, 2>(&l1[1], &l1[2])),
    );
    let c1 = sub(&mul::<2, 2>(&l0[2], &l2[2]), &mul::<2, 2>(&l1[2], &l1[2]));
    let r3col = |c: usize, extra: &Coeffs| {
        add(
            &add(
                &add(&mul::<2, 1>(&caa, &l0[c]), &mul::<2, 1>(&cab, &l1[c])),
                &mul::<2, 1>(&cbb, &l2[c]),
            ),
            extra,
        )
    };
    let last3 = add(
        &add(
            &add(&mul::<2, 2>(&caa, &l0[2]), &mul::<2, 2>(&cab, &l1[2])),
            &mul::<2, 2>(&cbb, &l2[2]),
        ),
        &c1,
    );
    let row3 = [r3col(0, &ca), r3col(1, &cb), last3];
    // det M: row degrees (2, 2, 3), (2, 2, 3), (3, 3, 4).
    let m0 = sub(&mul::<2, 4>(&row2[1], &row3[2]), &mul::<3, 3>(&row2[2], &row3[1]));
    let m1 = sub(&mul::<2, 4>(&row2[0], &row3[2]), &mul::<3, 3>(&row2[2], &row3[0]));
    let m2 = sub(&mul::<2, 3>(&row2[0], &row3[1]), &mul::<2, 3>(&row2[1], &row3[0]));
    let det = add(
        &sub(&mul::<2, 6>(&row1[0], &m0), &mul::<2, 6>(&row1[1], &m1)),
        &mul::<3, 5>(&row1[2], &m2),
    );
    let rows = [row1, row2, row3];
    // Trim negligible leading coefficients.
    let cmax = det.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if !(cmax > 0.0 && cmax.is_finite()) {
        return 0;
    }
    let mut deg = MAX_DEGREE;
    while deg > 0 && det[deg].abs() <= 1e-13 * cmax {
        deg -= 1;
    }
    let mut roots = [0.0; MAX_DEGREE];
    let min = if positive_only && identity { 0.0 } else { f64::NEG_INFINITY };
    let nroots = sturm_roots_above(&det[..=deg], min, ROOT_TOL, &mut roots);
    let mut n = 0;
    for &hv in &roots[..nroots] {
        // Entry degrees of M: rows (2, 2, 3), (2, 2, 3), (3, 3, 4).
        const DEG: [[usize; 3]; 3] = [[2, 2, 3], [2, 2, 3], [3, 3, 4]];
        let m = Matrix3::from_fn(|r, col| horner(&rows[r][col][..=DEG[r][col]], hv));
        let (r0, r1, r2) = (m.row(0).transpose(), m.row(1).transpose(), m.row(2).transpose());
        let cands = [r0.cross(&r1), r0.cross(&r2), r1.cross(&r2)];
        let Some(v) = cands.iter().max_by(|x, y| x.norm_squared().total_cmp(&y.norm_squared()))
        else {
            continue;
        };
        if v.z == 0.0 {
            continue;
        }
        let mut sol = Vector3::zeros();
        sol[h] = hv;
        sol[a] = v.x / v.z;
        sol[b] = v.y / v.z;
        let sol = if identity { sol } else { t.transpose() * sol };
        let tol = -0.05 * sol.amax().max(1.0);
        if positive_only && sol.iter().any(|&v| v < tol) {
            continue;
        }
        if sol.iter().all(|s| s.is_finite()) && n < out.len() {
            out[n] = sol;
            n += 1;
        }
    }
    n
}
