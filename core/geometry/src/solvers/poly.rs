//! Univariate polynomials shared by the minimal solvers: real roots of quadratics and cubics
//! in closed form, fixed-size polynomial arithmetic for eliminations, and (re-exported from
//! `sturm.rs`) real roots of polynomials up to degree 8 by Sturm sequences.
//!
//! Coefficients are stored lowest degree first: `c[0] + c[1] x + ... + c[d] x^d`.

pub use super::sturm::{sturm_real_roots, sturm_roots_above};

/// Largest degree handled by [`Coeffs`] and [`sturm_real_roots`].
pub const MAX_DEGREE: usize = 8;

/// Coefficients of a polynomial of degree at most [`MAX_DEGREE`], lowest degree first; the
/// entries above the degree are zero.
pub type Coeffs = [f64; MAX_DEGREE + 1];

/// Product of a polynomial of degree at most `DA` and one of degree at most `DB`
/// (`DA + DB <= MAX_DEGREE`; constant bounds let the compiler unroll).
#[inline(always)]
#[allow(clippy::needless_range_loop)] // indexes two arrays with constant bounds
pub fn mul<const DA: usize, const DB: usize>(a: &Coeffs, b: &Coeffs) -> Coeffs {
    let mut r = [0.0; MAX_DEGREE + 1];
    for i in 0..=DA {
        for j in 0..=DB {
            if let Some(v) = r.get_mut(i + j) {
                *v += a[i] * b[j];
            }
        }
    }
    r
}

/// `a + b` (whole arrays).
#[inline(always)]
pub fn add(a: &Coeffs, b: &Coeffs) -> Coeffs {
    std::array::from_fn(|i| a[i] + b[i])
}

/// `a - b` (whole arrays).
#[inline(always)]
pub fn sub(a: &Coeffs, b: &Coeffs) -> Coeffs {
    std::array::from_fn(|i| a[i] - b[i])
}

/// `s a`.
#[inline(always)]
pub fn scale(a: &Coeffs, s: f64) -> Coeffs {
    std::array::from_fn(|i| a[i] * s)
}

/// Value of `c[0] + c[1] x + ...` at `x`.
pub fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &a| acc * x + a)
}

/// Real roots of `a x^2 + b x + c` (numerically stable form); a vanishing `a` falls back to
/// the linear case. Returns the roots and their count (a double root is reported twice).
pub fn solve_quadratic(a: f64, b: f64, c: f64) -> ([f64; 2], usize) {
    if a == 0.0 {
        if b == 0.0 {
            return ([0.0; 2], 0);
        }
        return ([-c / b, 0.0], 1);
    }
    let disc = b * b - 4.0 * a * c;
    if !(disc >= 0.0) {
        return ([0.0; 2], 0);
    }
    let q = -0.5 * (b + b.signum() * disc.sqrt());
    if q == 0.0 {
        return ([0.0, 0.0], 2);
    }
    ([q / a, c / q], 2)
}

/// Real roots of the monic cubic `x^3 + b x^2 + c x + d` by the trigonometric / Cardano
/// formulas, each polished by two Newton steps. Returns the roots and their count.
pub fn solve_cubic_monic(b: f64, c: f64, d: f64) -> ([f64; 3], usize) {
    let b3 = b / 3.0;
    let p = c - b * b3;
    let q = 2.0 * b3 * b3 * b3 - b3 * c + d;
    let mut roots = [0.0; 3];
    let n;
    let disc = q * q / 4.0 + p * p * p / 27.0;
    if disc > 0.0 {
        let s = disc.sqrt();
        let u = (-q / 2.0 + s).cbrt();
        let v = (-q / 2.0 - s).cbrt();
        roots[0] = u + v - b3;
        n = 1;
    } else if p < 0.0 {
        let m = 2.0 * (-p / 3.0).sqrt();
        let arg = (3.0 * q / (p * m)).clamp(-1.0, 1.0);
        let theta = arg.acos() / 3.0;
        for (k, r) in roots.iter_mut().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let kf = k as f64;
            *r = m * (theta - 2.0 * std::f64::consts::PI * kf / 3.0).cos() - b3;
        }
        n = 3;
    } else {
        roots[0] = -b3;
        n = 1;
    }
    for r in roots.iter_mut().take(n) {
        for _ in 0..2 {
            let f = ((*r + b) * *r + c) * *r + d;
            let df = (3.0 * *r + 2.0 * b) * *r + c;
            if df != 0.0 {
                *r -= f / df;
            }
        }
    }
    (roots, n)
}

/// The largest real root of the monic cubic `x^3 + b x^2 + c x + d` (no trigonometry, one
/// cube root at most). With `x = y - b/3` the cubic is `y^3 + p y + q`. One real root
/// (discriminant `q^2/4 + p^3/27 > 0`): Cardano with the cancellation-free sign choice and
/// `v = -p / (3 u)`. Three real roots: Newton from `y = 2 sqrt(-p/3)`, an upper bound of the
/// roots (they are `2 sqrt(-p/3) cos(.)`), where the cubic is convex, so the steps decrease
/// monotonically to the largest root. `None` for non-finite input.
pub fn largest_root_cubic_monic(b: f64, c: f64, d: f64) -> Option<f64> {
    let b3 = b / 3.0;
    let p = c - b * b3;
    let q = (2.0 * b3 * b3 - c) * b3 + d;
    let h = |y: f64| (y * y + p) * y + q;
    let disc = 0.25 * q * q + p * p * p / 27.0;
    let mut y = if disc > 0.0 {
        let a = -0.5 * q - disc.sqrt().copysign(q);
        let u = a.cbrt();
        if u == 0.0 { 0.0 } else { u - p / (3.0 * u) }
    } else {
        2.0 * (-p / 3.0).max(0.0).sqrt()
    };
    for _ in 0..60 {
        let f = h(y);
        let df = 3.0 * y * y + p;
        if f == 0.0 || df == 0.0 {
            break;
        }
        let step = f / df;
        let next = y - step;
        // From above, the iterates decrease; a rise means rounding noise at the root.
        if disc <= 0.0 && !(next < y) {
            break;
        }
        y = next;
        if step.abs() <= 1e-15 * y.abs().max(1e-300) {
            break;
        }
    }
    let x = y - b3;
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_roots(roots: &[f64]) -> Vec<f64> {
        let mut c = vec![1.0];
        for &r in roots {
            let mut n = vec![0.0; c.len() + 1];
            for (i, &a) in c.iter().enumerate() {
                n[i + 1] += a;
                n[i] -= r * a;
            }
            c = n;
        }
        c
    }

    #[test]
    fn largest_cubic_root() {
        // Three roots (well separated, close, double), one root, triple root.
        // Tolerances follow the conditioning: eps / gap for a close pair, sqrt(eps) for a
        // double root, cbrt(eps) for a triple one.
        for (roots, tol) in [
            ([1.0, 2.0, 3.0], 1e-14),
            ([-5.0, 0.1, 0.1000001], 1e-8),
            ([-2.0, 4.0, 4.0], 1e-7),
            ([7.0, 7.0, 7.0], 1e-4),
        ] {
            let c = from_roots(&roots);
            let r = largest_root_cubic_monic(c[2], c[1], c[0]).unwrap();
            let want = roots.iter().copied().fold(f64::MIN, f64::max);
            assert!((r - want).abs() <= tol * want.abs().max(1.0), "{roots:?}: {r}");
        }
        // x^3 + x + 1 has one real root near -0.6823.
        let r = largest_root_cubic_monic(0.0, 1.0, 1.0).unwrap();
        assert!((r * r * r + r + 1.0).abs() < 1e-14, "{r}");
        // (x - 3)(x^2 + 1): the real root of a cubic with a complex pair.
        let r = largest_root_cubic_monic(-3.0, 1.0, -3.0).unwrap();
        assert!((r - 3.0).abs() < 1e-14, "{r}");
        assert!(largest_root_cubic_monic(f64::NAN, 1.0, 1.0).is_none());
    }

    #[test]
    fn cubic_and_quadratic() {
        let (r, n) = solve_cubic_monic(-6.0, 11.0, -6.0);
        assert_eq!(n, 3);
        let mut got = r.to_vec();
        got.sort_by(f64::total_cmp);
        for (g, e) in got.iter().zip([1.0, 2.0, 3.0]) {
            assert!((g - e).abs() < 1e-12);
        }
        let (r, n) = solve_cubic_monic(0.0, 1.0, 1.0);
        assert_eq!(n, 1);
        assert!((r[0] * r[0] * r[0] + r[0] + 1.0).abs() < 1e-12);
        let (r, n) = solve_quadratic(1.0, -3.0, 2.0);
        assert_eq!(n, 2);
        assert!((r[0] - 2.0).abs() < 1e-15 && (r[1] - 1.0).abs() < 1e-15);
        assert_eq!(solve_quadratic(1.0, 0.0, 1.0).1, 0);
    }

    #[test]
    fn poly_arithmetic() {
        let mut a = [0.0; MAX_DEGREE + 1];
        let mut b = [0.0; MAX_DEGREE + 1];
        a[..2].copy_from_slice(&[1.0, 2.0]);
        b[..3].copy_from_slice(&[-1.0, 0.0, 3.0]);
        let p = sub(&add(&mul::<1, 2>(&a, &b), &a), &scale(&b, 2.0));
        for x in [-2.0, 0.5, 3.0] {
            let e =
                (1.0 + 2.0 * x) * (3.0 * x * x - 1.0) + (1.0 + 2.0 * x) - 2.0 * (3.0 * x * x - 1.0);
            assert!((horner(&p, x) - e).abs() < 1e-12);
        }
    }
}
