//! Real roots of univariate polynomials up to degree 8 by Sturm sequences: isolation by
//! bisection on sign-change counts, then safeguarded Halley refinement. Coefficients are
//! stored lowest degree first.

use super::poly::{MAX_DEGREE, horner};

/// A Sturm sequence `p0 = p, p1 = p', p_{k+1} = -rem(p_{k-1}, p_k)`.
///
/// In the generic case every remainder drops the degree by one, so each quotient
/// `q_k = p_{k-1} div p_k` is linear and `p_{k+1} = (a_k x + b_k) p_k - p_{k-1}`: the
/// sequence is evaluated by this three-term recurrence, run from the constant end, in O(d)
/// operations instead of O(d^2) (the representation of Sturm sequences used e.g. in
/// Larsson's `sturm.h` for PoseLib).
/// When some remainder drops more than one degree, the polynomials are evaluated in full.
struct SturmSeq {
    /// The polynomials, zero above their degree.
    seq: [[f64; MAX_DEGREE + 1]; MAX_DEGREE + 1],
    /// Quotients `(a_k, b_k)` with `p_{k+1} = (a_k x + b_k) p_k - p_{k-1}` (index `k`).
    quot: [(f64, f64); MAX_DEGREE + 1],
    degs: [usize; MAX_DEGREE + 1],
    len: usize,
    /// Whether every quotient is linear (the recurrence holds).
    linear: bool,
}

impl SturmSeq {
    /// Builds the sequence of the monic polynomial `p0` of degree `d >= 1`.
    fn new(p0: [f64; MAX_DEGREE + 1], d: usize) -> Self {
        let mut st = Self {
            seq: [[0.0; MAX_DEGREE + 1]; MAX_DEGREE + 1],
            quot: [(0.0, 0.0); MAX_DEGREE + 1],
            degs: [0; MAX_DEGREE + 1],
            len: 2,
            linear: true,
        };
        st.seq[0] = p0;
        st.degs[0] = d;
        for (i, &c) in p0.iter().enumerate().take(d + 1).skip(1) {
            #[allow(clippy::cast_precision_loss)]
            let fi = i as f64;
            st.seq[1][i - 1] = fi * c;
        }
        st.degs[1] = d - 1;
        while st.degs[st.len - 1] > 0 && st.len <= MAX_DEGREE {
            let len = st.len;
            let (dn, dd) = (st.degs[len - 2], st.degs[len - 1]);
            let den = st.seq[len - 1];
            let mut r = st.seq[len - 2];
            let mut q = [0.0; 2];
            for k in (0..=dn - dd).rev() {
                let f = r[k + dd] / den[dd];
                if let Some(qk) = q.get_mut(k) {
                    *qk = f;
                }
                for j in 0..=dd {
                    r[k + j] -= f * den[j];
                }
                r[k + dd] = 0.0;
            }
            st.linear &= dn == dd + 1;
            st.quot[len - 1] = (q[1], q[0]);
            // Degree of the remainder, treating tiny values relative to the numerator as zero.
            let scale = st.seq[len - 2][..=dn].iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let mut rd = dd - 1;
            while rd > 0 && r[rd].abs() <= 1e-14 * scale {
                rd -= 1;
            }
            if r[rd].abs() <= 1e-14 * scale {
                break; // a repeated factor: the sequence ends here
            }
            st.linear &= rd + 1 == dd;
            for (k, v) in r.iter_mut().enumerate() {
                *v = if k <= rd { -*v } else { 0.0 };
            }
            st.seq[len] = r;
            st.degs[len] = rd;
            st.len += 1;
        }
        st
    }

    /// Sign changes of the sequence at `x`, counted without branches: bit `k` of a mask is
    /// set where `p_k(x) < 0`, and changes are the set bits of `mask ^ (mask >> 1)`. A zero
    /// `p_k(x)` with `0 < k < len - 1` may count as positive because its neighbours have
    /// opposite signs there (a Sturm sequence property), so the count is the same; a zero
    /// `p_0(x)` takes the sign of `p_1(x)`, which counts roots in `(a, b]`.
    fn sign_changes(&self, x: f64) -> usize {
        let len = self.len;
        let mut mask = 0u32;
        let mut set = |k: usize, v: f64| mask |= u32::from(v < 0.0) << k;
        let (p0, p1);
        if self.linear {
            // Backwards from the two last polynomials, p_{k-1} = (a_k x + b_k) p_k - p_{k+1}:
            // the values grow with the degree, so there is no cancellation of large terms.
            let horner_at = |k: usize| {
                let p = &self.seq[k];
                (0..=self.degs[k]).rev().fold(0.0, |acc, j| acc * x + p[j])
            };
            let (mut next, mut cur) = (horner_at(len - 1), horner_at(len - 2));
            set(len - 1, next);
            set(len - 2, cur);
            for k in (1..len - 1).rev() {
                let (a, b) = self.quot[k];
                let prev = (a * x + b) * cur - next;
                set(k - 1, prev);
                (next, cur) = (cur, prev);
            }
            (p0, p1) = (cur, next);
        } else {
            let value = |k: usize| {
                let p = &self.seq[k];
                (0..=MAX_DEGREE).rev().fold(0.0, |acc, j| acc * x + p[j])
            };
            for k in 0..len {
                set(k, value(k));
            }
            (p0, p1) = (value(0), value(1));
        }
        if p0 == 0.0 {
            mask = (mask & !1) | u32::from(p1 < 0.0);
        }
        ((mask ^ (mask >> 1)) & ((1u32 << (len - 1)) - 1)).count_ones() as usize
    }
}

/// `2^k` for an integer `k` in the normal range (exact).
fn pow2(k: i32) -> f64 {
    f64::from_bits(((i64::from(k.clamp(-1022, 1023)) + 1023) as u64) << 52)
}

/// Binary exponent `e` of a positive finite `a` with `2^e <= a < 2^(e+1)` (subnormals give
/// -1023, an underestimate that keeps `a < 2^(e+1)`).
fn exponent(a: f64) -> i32 {
    ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023
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
    // Substitute x = s y with s a power of two near |c_0 / c_d|^(1/d), the geometric mean of
    // the roots' magnitudes, so that the roots in y are O(1) and the coefficients balanced;
    // a power of two scales without rounding.
    let ratio = (c[0] / lead).abs();
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let s = if ratio > 0.0 && ratio.is_finite() {
        pow2((f64::from(exponent(ratio)) / d as f64).round() as i32)
    } else {
        1.0
    };
    // Monic in y: p0_k = c_k s^k / (c_d s^d).
    let mut p0 = [0.0; MAX_DEGREE + 1];
    let mut sk = 1.0;
    for (dst, ci) in p0.iter_mut().zip(c) {
        *dst = ci / lead * sk;
        sk *= s;
    }
    let sd = sk / s;
    for v in p0.iter_mut().take(d + 1) {
        *v /= sd;
    }
    // Fujiwara's bound on the roots of the monic polynomial, 2 max_k |a_{d-k}|^(1/k), with
    // each k-th root rounded up to a power of two (at most twice as loose, no pow call).
    let mut bound = 0.0f64;
    for k in 1..=d {
        let a = p0[d - k].abs();
        if a > 0.0 {
            #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
            let r = pow2((exponent(a) + 1).div_euclid(k as i32) + 1);
            bound = bound.max(r);
        }
    }
    let bound = 2.0 * bound.max(1e-300);
    let st = SturmSeq::new(p0, d);
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

/// Refines the single root of `p` in `(lo, hi]` to the relative tolerance `rel_tol`: Halley
/// steps (cubic convergence for the latency of a Newton step, as `p`, `p'` and `p''` come
/// from one Horner pass) while they stay inside the bracket, bisection otherwise, starting
/// from the regula-falsi point of the bracket (closer to the root than the midpoint when `p`
/// is nearly linear across it).
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
    let falsi = lo - flo * (hi - lo) / (fhi - flo);
    let mut x = if falsi > lo && falsi < hi { falsi } else { 0.5 * (lo + hi) };
    for _ in 0..100 {
        // p, p' and p''/2 in one Horner pass (three chains in lockstep: the latency of one).
        let (mut f, mut df, mut ddf) = (0.0, 0.0, 0.0);
        for &a in p.iter().rev() {
            ddf = ddf * x + df;
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
        // Halley: x - 2 f f' / (2 f'^2 - f f''), with ddf = f''/2.
        let den = df * df - f * ddf;
        let halley = x - f * df / den;
        let next = if den != 0.0 && halley > lo && halley < hi { halley } else { 0.5 * (lo + hi) };
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
    fn sturm_non_generic_sequences() {
        // x^4 - 1 and x^5 - x: remainders drop several degrees (full evaluation path).
        let mut out = [0.0; MAX_DEGREE];
        let n = sturm_real_roots(&[-1.0, 0.0, 0.0, 0.0, 1.0], &mut out);
        let mut got = out[..n].to_vec();
        got.sort_by(f64::total_cmp);
        assert_eq!(got.len(), 2);
        assert!((got[0] + 1.0).abs() < 1e-14 && (got[1] - 1.0).abs() < 1e-14, "{got:?}");
        let n = sturm_real_roots(&[0.0, -1.0, 0.0, 0.0, 0.0, 1.0], &mut out);
        let mut got = out[..n].to_vec();
        got.sort_by(f64::total_cmp);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(
            (got[0] + 1.0).abs() < 1e-14 && got[1].abs() < 1e-14 && (got[2] - 1.0).abs() < 1e-14
        );
    }

    #[test]
    fn recurrence_matches_full_evaluation() {
        // Seeded pseudo-random degree-8 polynomials with 0-8 real roots spread over six
        // orders of magnitude: the three-term recurrence counts the same sign changes as the
        // explicit sequence, and every real root is found.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for trial in 0..500 {
            let nreal = trial % 5 * 2;
            let mut roots: Vec<f64> = (0..nreal)
                .map(|_| (next() - 0.5).signum() * 10f64.powf(6.0 * next() - 3.0))
                .collect();
            let mut c = from_roots(&roots);
            for _ in 0..(8 - nreal) / 2 {
                // A complex pair: x^2 + b x + q with b^2 < 4 q.
                let q = 10f64.powf(4.0 * next() - 2.0);
                let b = (next() - 0.5) * q.sqrt();
                let mut n = vec![0.0; c.len() + 2];
                for (i, &a) in c.iter().enumerate() {
                    n[i] += q * a;
                    n[i + 1] += b * a;
                    n[i + 2] += a;
                }
                c = n;
            }
            let mut p0 = [0.0; MAX_DEGREE + 1];
            p0[..9].copy_from_slice(&c);
            let st = SturmSeq::new(p0, 8);
            if st.linear {
                let full = SturmSeq { linear: false, ..SturmSeq::new(p0, 8) };
                for _ in 0..20 {
                    let x = (next() - 0.5) * 2e3;
                    assert_eq!(st.sign_changes(x), full.sign_changes(x), "trial {trial} at {x}");
                }
            }
            let mut out = [0.0; MAX_DEGREE];
            let n = sturm_real_roots(&c, &mut out);
            roots.sort_by(f64::total_cmp);
            roots.dedup_by(|a, b| (*a - *b).abs() < 1e-6 * b.abs());
            let mut got = out[..n].to_vec();
            got.sort_by(f64::total_cmp);
            assert_eq!(got.len(), roots.len(), "trial {trial}: {got:?} vs {roots:?}");
            for (g, r) in got.iter().zip(&roots) {
                assert!((g - r).abs() < 1e-6 * r.abs(), "trial {trial}: {g} vs {r}");
            }
            // Positive roots only.
            let n = sturm_roots_above(&c, 0.0, 1e-15, &mut out);
            let mut got = out[..n].to_vec();
            got.sort_by(f64::total_cmp);
            let positive: Vec<f64> = roots.iter().copied().filter(|r| *r > 0.0).collect();
            assert_eq!(got.len(), positive.len(), "trial {trial}: {got:?} vs {positive:?}");
            for (g, r) in got.iter().zip(&positive) {
                assert!((g - r).abs() < 1e-6 * r.abs(), "trial {trial}: {g} vs {r}");
            }
        }
    }
}
