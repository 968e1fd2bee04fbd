//! Series of Karney's geodesic algorithms, to sixth order in the small parameter `eps`.
//!
//! All coefficients are those of C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87
//! (2013) 43-55: `A1`, `C1l` (eqs. 17-18), `C1'l` (eq. 21), `A2`, `C2l` (eqs. 42-43) and
//! `A3`, `C3l` (eqs. 24-25). `eps = (sqrt(1 + k^2) - 1) / (sqrt(1 + k^2) + 1)` with
//! `k = e' cos(alpha0)`; `n = f / (2 - f)` is the third flattening.

/// `A1 = (1 + eps^2/4 + eps^4/64 + eps^6/256) / (1 - eps)` (Karney 2013, eq. 17).
pub(crate) fn a1(eps: f64) -> f64 {
    let e2 = eps * eps;
    (1.0 + e2 * (1.0 / 4.0 + e2 * (1.0 / 64.0 + e2 / 256.0))) / (1.0 - eps)
}

/// `C1l`, l = 1..6, of `I1(sigma) = A1 (sigma + sum C1l sin 2 l sigma)` (Karney 2013, eq. 18).
pub(crate) fn c1(eps: f64) -> [f64; 6] {
    let e2 = eps * eps;
    let e3 = e2 * eps;
    let e4 = e2 * e2;
    let e5 = e4 * eps;
    let e6 = e3 * e3;
    [
        -eps / 2.0 + 3.0 * e3 / 16.0 - e5 / 32.0,
        -e2 / 16.0 + e4 / 32.0 - 9.0 * e6 / 2048.0,
        -e3 / 48.0 + 3.0 * e5 / 256.0,
        -5.0 * e4 / 512.0 + 3.0 * e6 / 512.0,
        -7.0 * e5 / 1280.0,
        -7.0 * e6 / 2048.0,
    ]
}

/// `C1'l`, l = 1..6, of the reverted series `sigma = tau + sum C1'l sin 2 l tau` with
/// `tau = s / (b A1)` (Karney 2013, eq. 21).
pub(crate) fn c1p(eps: f64) -> [f64; 6] {
    let e2 = eps * eps;
    let e3 = e2 * eps;
    let e4 = e2 * e2;
    let e5 = e4 * eps;
    let e6 = e3 * e3;
    [
        eps / 2.0 - 9.0 * e3 / 32.0 + 205.0 * e5 / 1536.0,
        5.0 * e2 / 16.0 - 37.0 * e4 / 96.0 + 1335.0 * e6 / 4096.0,
        29.0 * e3 / 96.0 - 75.0 * e5 / 128.0,
        539.0 * e4 / 1536.0 - 2391.0 * e6 / 2560.0,
        3467.0 * e5 / 7680.0,
        38081.0 * e6 / 61440.0,
    ]
}

/// `A2 = (1 - eps) (1 + eps^2/4 + 9 eps^4/64 + 25 eps^6/256)` (Karney 2013, eq. 42).
pub(crate) fn a2(eps: f64) -> f64 {
    let e2 = eps * eps;
    (1.0 - eps) * (1.0 + e2 * (1.0 / 4.0 + e2 * (9.0 / 64.0 + 25.0 * e2 / 256.0)))
}

/// `C2l`, l = 1..6, of `I2(sigma) = A2 (sigma + sum C2l sin 2 l sigma)` (Karney 2013, eq. 43).
pub(crate) fn c2(eps: f64) -> [f64; 6] {
    let e2 = eps * eps;
    let e3 = e2 * eps;
    let e4 = e2 * e2;
    let e5 = e4 * eps;
    let e6 = e3 * e3;
    [
        eps / 2.0 + e3 / 16.0 + e5 / 32.0,
        3.0 * e2 / 16.0 + e4 / 32.0 + 35.0 * e6 / 2048.0,
        5.0 * e3 / 48.0 + 5.0 * e5 / 256.0,
        35.0 * e4 / 512.0 + 7.0 * e6 / 512.0,
        63.0 * e5 / 1280.0,
        77.0 * e6 / 2048.0,
    ]
}

/// `A3` of `I3(sigma) = A3 (sigma + sum C3l sin 2 l sigma)` (Karney 2013, eq. 24), for third
/// flattening `n`.
pub(crate) fn a3(n: f64, eps: f64) -> f64 {
    let c = [
        1.0,
        -(0.5 - 0.5 * n),
        -(0.25 + n / 8.0 - 3.0 * n * n / 8.0),
        -(1.0 / 16.0 + 3.0 * n / 16.0 + n * n / 16.0),
        -(3.0 / 64.0 + n / 32.0),
        -3.0 / 128.0,
    ];
    horner(&c, eps)
}

/// `C3l`, l = 1..5, of `I3` (Karney 2013, eq. 25), for third flattening `n`.
pub(crate) fn c3(n: f64, eps: f64) -> [f64; 5] {
    let n2 = n * n;
    let e = eps;
    [
        e * horner(
            &[
                0.25 - n / 4.0,
                0.125 - n2 / 8.0,
                3.0 / 64.0 + 3.0 * n / 64.0 - n2 / 64.0,
                5.0 / 128.0 + n / 64.0,
                3.0 / 128.0,
            ],
            e,
        ),
        e * e
            * horner(
                &[
                    1.0 / 16.0 - 3.0 * n / 32.0 + n2 / 32.0,
                    3.0 / 64.0 - n / 32.0 - 3.0 * n2 / 64.0,
                    3.0 / 128.0 + n / 128.0,
                    5.0 / 256.0,
                ],
                e,
            ),
        e * e
            * e
            * horner(
                &[
                    5.0 / 192.0 - 3.0 * n / 64.0 + 5.0 * n2 / 192.0,
                    3.0 / 128.0 - 5.0 * n / 192.0,
                    7.0 / 512.0,
                ],
                e,
            ),
        e.powi(4) * horner(&[7.0 / 512.0 - 7.0 * n / 256.0, 7.0 / 512.0], e),
        e.powi(5) * 21.0 / 2560.0,
    ]
}

/// `c[0] + c[1] x + c[2] x^2 + ...` by Horner's rule.
fn horner(c: &[f64], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// `sum_{l=1..L} c[l-1] sin(2 l sigma)` by Clenshaw summation, from `sin sigma` and
/// `cos sigma` (Karney 2013, eq. 59).
pub(crate) fn sin_series(c: &[f64], sin_sigma: f64, cos_sigma: f64) -> f64 {
    // sin(2 l s) satisfies the recurrence with multiplier 2 cos 2s.
    let two_cos_2s = 2.0 * (cos_sigma - sin_sigma) * (cos_sigma + sin_sigma);
    let mut b1 = 0.0;
    let mut b2 = 0.0;
    for &ck in c.iter().rev() {
        let b0 = ck + two_cos_2s * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    // sum = b1 sin 2s (the k = 1 term closes the recurrence: y = b1 sin(2s) + b2 * 0 ...).
    2.0 * sin_sigma * cos_sigma * b1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clenshaw_matches_direct_sum() {
        let c = [0.3, -0.2, 0.11, 0.05, -0.03, 0.007];
        for s in [-2.0_f64, -0.3, 0.0, 0.4, 1.2, 3.0] {
            let direct: f64 =
                c.iter().enumerate().map(|(i, ci)| ci * (2.0 * (i as f64 + 1.0) * s).sin()).sum();
            let fast = sin_series(&c, s.sin(), s.cos());
            assert!((direct - fast).abs() < 1e-15, "{direct} {fast}");
        }
    }

    #[test]
    fn series_reduce_to_sphere_at_zero_eps() {
        assert_eq!(a1(0.0), 1.0);
        assert_eq!(a2(0.0), 1.0);
        assert_eq!(a3(0.0, 0.0), 1.0);
        assert!(c1(0.0).iter().chain(c2(0.0).iter()).all(|&v| v == 0.0));
    }
}
