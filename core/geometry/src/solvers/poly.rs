//! Univariate polynomials shared by the minimal solvers: real roots of quadratics and cubics
//! in closed form, and of polynomials up to degree 8 by Sturm sequences with safeguarded
//! Newton refinement, plus fixed-size polynomial arithmetic for eliminations.
//!
//! Coefficients are stored lowest degree first: `c[0] + c[1] x + ... + c[d] x^d`.

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

/// A Sturm sequence `p0 = p, p1 = p', p_{k+2} = -rem(p_k, p_{k+1})`, each stored with zeros
/// above its degree so that evaluation is a fixed, branch-free Horner scheme.
struct SturmSeq {
    seq: [[f64; MAX_DEGREE + 1]; MAX_DEGREE + 1],
    degs: [usize; MAX_DEGREE + 1],
    len: usize,
}

impl SturmSeq {
    /// Sign changes of the sequence at `x`.
    fn sign_changes(&self, x: f64) -> usize {
        let mut changes = 0;
        let mut last = 0.0f64;
        for p in &self.seq[..self.len] {
            let mut v = 0.0;
            for k in (0..=MAX_DEGREE).rev() {
                v = v * x + p[k];
            }
            if v != 0.0 {
                if last != 0.0 && (v > 0.0) != (last > 0.0) {
                    changes += 1;
                }
                last = v;
            }
        }
        changes
    }
}

/// Real roots of `c[0] + ... + c[d] x^d` (`d = c.len() - 1 <= 8`, leading coefficient
/// non-zero) written into `out`; returns how many. Roots are isolated by Sturm's theorem
/// (bisection of a Cauchy-bounded interval), then refined by Newton steps safeguarded by
/// bisection. Multiple roots are reported once. Non-finite coefficients give no roots.
pub fn sturm_real_roots(c: &[f64], out: &mut [f64; MAX_DEGREE]) -> usize {
    sturm_roots_above(c, f64::NEG_INFINITY, 1e-15, out)
}

/// [`sturm_real_roots`] restricted to roots above `min` (`min` = 0 or negative infinity is
/// typical), refined to the relative tolerance `tol` (1e-15 for full precision; callers that
/// polish the roots afterwards save Newton steps with a looser one).
pub fn sturm_roots_above(c: &[f64], min: f64, tol: f64, out: &mut [f64; MAX_DEGREE]) -> usize {
    let Some(d) = c.len().checked_sub(1) else { return 0 };
    if d == 0 || d > MAX_DEGREE || c.iter().any(|v| !v.is_finite()) {
        return 0;
    }
    let lead = c[d];
    if lead == 0.0 {
        return 0;
    }
    // Sturm sequence: p0 = monic p, p1 = p0', p_{k+1} = -rem(p_{k-1}, p_k).
    // Substitute x = s y with s = |c_0 / c_d|^(1/d), the geometric mean of the roots'
    // magnitudes, so that the roots in y are O(1) and the coefficients balanced.
    #[allow(clippy::cast_precision_loss)]
    let mut s = (c[0] / lead).abs().powf(1.0 / d as f64);
    if !(s > 0.0 && s.is_finite()) {
        s = 1.0;
    }
    let mut st = SturmSeq {
        seq: [[0.0; MAX_DEGREE + 1]; MAX_DEGREE + 1],
        degs: [0; MAX_DEGREE + 1],
        len: 2,
    };
    let mut sp = 1.0;
    for (dst, ci) in st.seq[0].iter_mut().zip(c) {
        *dst = ci / lead * sp;
        sp *= s;
    }
    // Monic in y: divide by s^d.
    let sd = sp / s;
    for v in st.seq[0].iter_mut().take(d + 1) {
        *v /= sd;
    }
    st.degs[0] = d;
    for i in 1..=d {
        #[allow(clippy::cast_precision_loss)]
        let fi = i as f64;
        st.seq[1][i - 1] = fi * st.seq[0][i];
    }
    st.degs[1] = d - 1;
    while st.degs[st.len - 1] > 0 && st.len <= MAX_DEGREE {
        let len = st.len;
        let (dn, dd) = (st.degs[len - 2], st.degs[len - 1]);
        let den = st.seq[len - 1];
        let mut r = st.seq[len - 2];
        for k in (0..=dn - dd).rev() {
            let f = r[k + dd] / den[dd];
            for j in 0..=dd {
                r[k + j] -= f * den[j];
            }
            r[k + dd] = 0.0;
        }
        // Degree of the remainder, treating tiny values relative to the numerator as zero.
        let scale = st.seq[len - 2][..=dn].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut rd = dd - 1;
        while rd > 0 && r[rd].abs() <= 1e-14 * scale {
            rd -= 1;
        }
        if r[rd].abs() <= 1e-14 * scale {
            break; // a repeated factor: the sequence ends here
        }
        for (k, v) in r.iter_mut().enumerate() {
            *v = if k <= rd { -*v } else { 0.0 };
        }
        st.seq[len] = r;
        st.degs[len] = rd;
        st.len += 1;
    }
    // Fujiwara's bound on the roots of the monic polynomial: 2 max_k |a_{d-k}|^(1/k).
    let mut bound = 0.0f64;
    for k in 1..=d {
        let a = st.seq[0][d - k].abs();
        if a > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let r = if k == 1 { a } else { a.powf(1.0 / k as f64) };
            bound = bound.max(r);
        }
    }
    let bound = 2.0 * bound.max(1e-300) * (1.0 + 1e-12);
    let mut n = 0;
    // Stack of intervals (lo, hi, changes at lo, changes at hi).
    let mut stack = [(0.0, 0.0, 0usize, 0usize); 40];
    let mut top = 0;
    let lo = if min.is_finite() { (min / s).max(-bound) } else { -bound };
    if lo >= bound {
        return 0;
    }
    stack[0] = (lo, bound, st.sign_changes(lo), st.sign_changes(bound));
    top += 1;
    let mut guard = 0;
    while top > 0 && guard < 2000 {
        guard += 1;
        top -= 1;
        let (lo, hi, clo, chi) = stack[top];
        let count = clo.saturating_sub(chi);
        if count == 0 {
            continue;
        }
        if count == 1 || hi - lo <= 1e-14 * (1.0 + hi.abs()) {
            if n < MAX_DEGREE {
                out[n] = s * refine_root(&st.seq[0][..=d], lo, hi, tol);
                n += 1;
            }
            continue;
        }
        let mid = 0.5 * (lo + hi);
        let cmid = st.sign_changes(mid);
        if top + 2 <= stack.len() {
            stack[top] = (lo, mid, clo, cmid);
            stack[top + 1] = (mid, hi, cmid, chi);
            top += 2;
        }
    }
    n
}

/// Refines the single root of `p` in `(lo, hi]` by Newton steps kept inside the bracket, to
/// the relative tolerance `rel_tol`.
fn refine_root(p: &[f64], mut lo: f64, mut hi: f64, rel_tol: f64) -> f64 {
    let mut flo = horner(p, lo);
    let fhi = horner(p, hi);
    if fhi == 0.0 {
        return hi;
    }
    if flo * fhi > 0.0 {
        // Root of even multiplicity or touching a bound: the midpoint is the best guess.
        return 0.5 * (lo + hi);
    }
    let mut x = 0.5 * (lo + hi);
    for _ in 0..100 {
        let (mut f, mut df) = (0.0, 0.0);
        for &a in p.iter().rev() {
            df = df * x + f;
            f = f * x + a;
        }
        if f == 0.0 {
            return x;
        }
        if (f > 0.0) == (flo > 0.0) {
            lo = x;
            flo = f;
        } else {
            hi = x;
        }
        let newton = x - f / df;
        let next = if df != 0.0 && newton > lo && newton < hi { newton } else { 0.5 * (lo + hi) };
        let tol = rel_tol * x.abs().max(1e-6);
        if (next - x).abs() <= tol || hi - lo <= tol {
            return next;
        }
        x = next;
    }
    x
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
    fn sturm_finds_all_real_roots() {
        let roots = [-3.5, -1.0, 0.25, 0.3, 2.0, 7.0, 11.0, 40.0];
        let c = from_roots(&roots);
        let mut out = [0.0; MAX_DEGREE];
        let n = sturm_real_roots(&c, &mut out);
        assert_eq!(n, 8);
        let mut got = out[..n].to_vec();
        got.sort_by(f64::total_cmp);
        for (g, r) in got.iter().zip(roots.iter()) {
            assert!((g - r).abs() < 1e-9 * (1.0 + r.abs()), "{g} vs {r}");
        }
    }

    #[test]
    fn sturm_skips_complex_roots() {
        // (x^2 + 1)(x - 2)(x + 0.5)
        let c = [-1.0, -1.5, 0.0, -1.5, 1.0];
        let mut out = [0.0; MAX_DEGREE];
        let n = sturm_real_roots(&c, &mut out);
        assert_eq!(n, 2);
        let mut got = out[..n].to_vec();
        got.sort_by(f64::total_cmp);
        assert!((got[0] + 0.5).abs() < 1e-12 && (got[1] - 2.0).abs() < 1e-12);
        assert_eq!(sturm_real_roots(&[1.0, f64::NAN, 1.0], &mut out), 0);
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
