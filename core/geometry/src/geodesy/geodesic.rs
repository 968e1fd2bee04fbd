//! Geodesics on the WGS84 ellipsoid: the inverse problem (distance and azimuths between two
//! positions) and the direct problem (the position at a distance along an azimuth).
//!
//! Written from C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87 (2013) 43-55:
//! the auxiliary sphere with the series of [`super::geodesic_series`] (sixth order, good to
//! ~15 nm for WGS84), Newton's method on `lambda12(alpha1)` with the derivative from the
//! reduced length (eq. 46), and the astroid starting guess for nearly antipodal points
//! (eqs. 53-57). Our Newton iteration keeps a bracket of `alpha1` and falls back to bisection,
//! so it converges for every pair of points, antipodal ones included.
//!
//! Nearly equatorial geodesics need two precautions. `alpha1` is carried as the pair
//! `(sin alpha1, cos alpha1)` and moved by rotations, never as an angle in radians: from a point
//! at a tiny reduced latitude `beta1`, the solution has `cos alpha1 = O(beta1)` and
//! `lambda12(alpha1)` sweeps most of its range while `cos alpha1` changes by `O(beta1)`, far
//! below the resolution (~1e-16) of an angle near `pi / 2`. And latitudes and the longitude
//! difference are rounded to a multiple of 2^-57 degree (under a picometre on the ground), so
//! that squares of tiny angles cannot underflow: 1e-20 degree becomes 0 and takes the exact
//! equatorial path.
//!
//! Heights are ignored: the geodesic runs on the ellipsoid surface.

use serde::{Deserialize, Serialize};

use super::ecef::{Geodetic, WGS84_A, WGS84_F};
use super::geodesic_series as ser;

/// Solution of the inverse problem.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeodesicInverse {
    /// Length of the shortest geodesic on the ellipsoid, metres.
    pub distance_m: f64,
    /// Azimuth of the geodesic at the first point, degrees clockwise from true north, [0, 360).
    pub azimuth1_deg: f64,
    /// Azimuth (direction of travel) at the second point, degrees clockwise from north,
    /// [0, 360).
    pub azimuth2_deg: f64,
}

/// Solution of the direct problem.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeodesicDirect {
    /// The end point; its `height` is copied from the start point.
    pub position: Geodetic,
    /// Azimuth (direction of travel) at the end point, degrees clockwise from north, [0, 360).
    pub azimuth2_deg: f64,
}

const TINY: f64 = 1e-300;
const B: f64 = WGS84_A * (1.0 - WGS84_F);
const E2: f64 = WGS84_F * (2.0 - WGS84_F);
const EP2: f64 = E2 / (1.0 - E2);
const N3: f64 = WGS84_F / (2.0 - WGS84_F);

/// An angle in degrees rounded, when under 1/16 degree in magnitude, to a multiple of 2^-57
/// degree (7e-18 degree, 0.8 pm on the ground): the spacing of doubles just below 1/16.
/// Angles under 2^-58 degree become zero (keeping their sign), so that no later square
/// underflows.
fn round_tiny_deg(x: f64) -> f64 {
    const Q: f64 = 1.0 / 16.0;
    let y = x.abs();
    if y < Q {
        // For y < 1/32, Q - y lies in (1/32, 1/16) and is rounded to a multiple of 2^-57;
        // Q - (Q - y) is then exact. Larger y are multiples of 2^-57 already.
        (Q - (Q - y)).copysign(x)
    } else {
        x
    }
}

/// `(sin, cos)` of an angle in degrees, exact at multiples of 90 degrees.
pub(crate) fn sincosd(deg: f64) -> (f64, f64) {
    let r = deg % 360.0;
    let q = (r / 90.0).round();
    let (s, c) = (r - 90.0 * q).to_radians().sin_cos();
    // q is in [-4, 4].
    match (q as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// An angle in degrees reduced to [0, 360).
fn azimuth_deg(s: f64, c: f64) -> f64 {
    let a = s.atan2(c).to_degrees();
    if a < 0.0 {
        a + 360.0
    } else if a >= 360.0 {
        a - 360.0
    } else {
        a
    }
}

/// An angle in degrees reduced to (-180, 180].
pub(crate) fn norm_deg(x: f64) -> f64 {
    let y = x % 360.0;
    if y <= -180.0 {
        y + 360.0
    } else if y > 180.0 {
        y - 360.0
    } else {
        y
    }
}

fn normalize(s: f64, c: f64) -> (f64, f64) {
    let r = s.hypot(c);
    (s / r, c / r)
}

/// The angle `(sin, cos)` turned by `d` radians.
fn rotate((s, c): (f64, f64), d: f64) -> (f64, f64) {
    let (sd, cd) = d.sin_cos();
    normalize(s * cd + c * sd, c * cd - s * sd)
}

/// `sin(b - a)` of two angles given as `(sin, cos)`; for `a`, `b` in `[0, pi]` it is positive
/// exactly when `b > a`.
fn sin_diff(a: (f64, f64), b: (f64, f64)) -> f64 {
    a.1 * b.0 - a.0 * b.1
}

fn eps_of(k2: f64) -> f64 {
    k2 / (2.0 * (1.0 + (1.0 + k2).sqrt()) + k2)
}

/// Reduced latitude `tan beta = (1 - f) tan phi` as `(sin, cos)`, cos kept above zero.
fn reduced_latitude(lat_deg: f64) -> (f64, f64) {
    let (s, c) = sincosd(lat_deg);
    let (s, c) = normalize((1.0 - WGS84_F) * s, c);
    (s, c.max(TINY))
}

/// The end points in canonical position (Karney 2013, sect. 4): `beta1 <= 0`,
/// `|beta2| <= |beta1|`, `0 <= lambda12 <= pi`.
#[derive(Debug, Clone, Copy)]
struct Canon {
    sbet1: f64,
    cbet1: f64,
    dn1: f64,
    sbet2: f64,
    cbet2: f64,
    dn2: f64,
    lam12: f64,
    /// `lambda12` in degrees, for exact tests of 0 and 180.
    lam12_deg: f64,
}

/// Everything one evaluation of `lambda12(alpha1)` yields.
#[derive(Debug, Clone, Copy)]
struct Trial {
    /// `lambda12(alpha1) - lambda12`.
    v: f64,
    /// `d lambda12 / d alpha1`.
    dv: f64,
    s12: f64,
    salp2: f64,
    calp2: f64,
}

/// Distance `s12` and reduced length over `b`, `m12 / b`, for a geodesic with parameter
/// `eps` between `sigma1` and `sigma2` (Karney 2013, eqs. 7, 38).
fn lengths(eps: f64, sig12: f64, s1: (f64, f64), s2: (f64, f64), dn1: f64, dn2: f64) -> (f64, f64) {
    let (a1, a2) = (ser::a1(eps), ser::a2(eps));
    let (c1, c2) = (ser::c1(eps), ser::c2(eps));
    let b1 = ser::sin_series(&c1, s2.0, s2.1) - ser::sin_series(&c1, s1.0, s1.1);
    let b2 = ser::sin_series(&c2, s2.0, s2.1) - ser::sin_series(&c2, s1.0, s1.1);
    let s12 = B * a1 * (sig12 + b1);
    let j12 = (a1 - a2) * sig12 + (a1 * b1 - a2 * b2);
    let m12b = dn2 * s1.1 * s2.0 - dn1 * s1.0 * s2.1 - s1.1 * s2.1 * j12;
    (s12, m12b)
}

/// Evaluates `lambda12(alpha1)` and its derivative (Karney 2013, sect. 4), for
/// `alpha1 = (sin, cos)` in `[0, pi]`.
fn trial(c: &Canon, (salp1, mut calp1): (f64, f64)) -> Trial {
    if c.sbet1 == 0.0 && calp1 == 0.0 {
        // Break the degeneracy of the equatorial geodesic.
        calp1 = -TINY;
    }
    let salp0 = salp1 * c.cbet1;
    let calp0 = calp1.hypot(salp1 * c.sbet1);
    let sig1 = normalize(c.sbet1, calp1 * c.cbet1);
    let omg1 = normalize(salp0 * c.sbet1, calp1 * c.cbet1);
    let salp2 = if c.cbet2 == c.cbet1 { salp1 } else { salp0 / c.cbet2 };
    let calp2 = if c.cbet2 != c.cbet1 || c.sbet2.abs() != -c.sbet1 {
        // cos^2 beta2 - cos^2 beta1, written to keep its digits.
        let d = if c.cbet1 < -c.sbet1 {
            (c.cbet2 - c.cbet1) * (c.cbet1 + c.cbet2)
        } else {
            (c.sbet1 - c.sbet2) * (c.sbet1 + c.sbet2)
        };
        ((calp1 * c.cbet1).powi(2) + d).max(0.0).sqrt() / c.cbet2
    } else {
        calp1.abs()
    };
    let sig2 = normalize(c.sbet2, calp2 * c.cbet2);
    let omg2 = normalize(salp0 * c.sbet2, calp2 * c.cbet2);
    let sig12 =
        (sig1.1 * sig2.0 - sig1.0 * sig2.1).max(0.0).atan2(sig1.1 * sig2.1 + sig1.0 * sig2.0);
    let omg12 =
        (omg1.1 * omg2.0 - omg1.0 * omg2.1).max(0.0).atan2(omg1.1 * omg2.1 + omg1.0 * omg2.0);
    let eps = eps_of(EP2 * calp0 * calp0);
    let c3 = ser::c3(N3, eps);
    let b3 = ser::sin_series(&c3, sig2.0, sig2.1) - ser::sin_series(&c3, sig1.0, sig1.1);
    let lam = omg12 - WGS84_F * ser::a3(N3, eps) * salp0 * (sig12 + b3);
    let (s12, m12b) = lengths(eps, sig12, sig1, sig2, c.dn1, c.dn2);
    let dv = if calp2 == 0.0 {
        -2.0 * (1.0 - WGS84_F) * c.dn1 / c.sbet1
    } else {
        m12b * (1.0 - WGS84_F) / (calp2 * c.cbet2)
    };
    Trial { v: lam - c.lam12, dv, s12, salp2, calp2 }
}

/// The positive root `mu` of the astroid `x^2 / (1 + mu)^2 + y^2 / mu^2 = 1`, i.e. of
/// `mu^4 + 2 mu^3 + (1 - x^2 - y^2) mu^2 - 2 y^2 mu - y^2` (Karney 2013, eq. 55), for `y != 0`.
///
/// The left side decreases strictly in `mu > 0`, and the root lies in
/// `[max(|y|, |x| - 1), |x| + |y|]`; bisection, geometric while the bracket spans more than a
/// factor 2, finds it to full relative precision even when `y` (and so `mu`) is tiny.
fn astroid(x: f64, y: f64) -> f64 {
    let h = |m: f64| (x / (1.0 + m)).powi(2) + (y / m).powi(2) - 1.0;
    let (mut lo, mut hi) = (y.abs().max(x.abs() - 1.0), x.abs() + y.abs());
    for _ in 0..200 {
        let mid = if hi > 2.0 * lo { lo.sqrt() * hi.sqrt() } else { 0.5 * (lo + hi) };
        if mid <= lo || mid >= hi {
            break;
        }
        if h(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Starting guess of `alpha1` as `(sin, cos)` (Karney 2013, sect. 5): the auxiliary sphere
/// with the mean `w = sqrt(1 - e^2 cos^2 beta)` (eqs. 48-49), or the astroid near the antipode
/// (eqs. 53-57).
fn start(c: &Canon) -> (f64, f64) {
    let x = (c.lam12 - std::f64::consts::PI) / (WGS84_F * std::f64::consts::PI * c.cbet1);
    let y = (c.sbet1 * c.cbet2 + c.cbet1 * c.sbet2)
        / (WGS84_F * std::f64::consts::PI * c.cbet1 * c.cbet1);
    let (salp1, calp1) = if x > -4.0 && y.abs() < 4.0 {
        if y == 0.0 {
            // The limit y -> 0 of eq. 56: mu -> max(0, |x| - 1).
            let salp1 = (-x).min(1.0);
            (salp1, (1.0 - salp1 * salp1).max(0.0).sqrt())
        } else {
            let mu = astroid(x, y);
            (-x / (1.0 + mu), y / mu)
        }
    } else {
        let cb = 0.5 * (c.cbet1 + c.cbet2);
        let omg12 = c.lam12 / (1.0 - E2 * cb * cb).sqrt();
        let (somg, comg) = omg12.sin_cos();
        (c.cbet2 * somg, c.cbet1 * c.sbet2 - c.sbet1 * c.cbet2 * comg)
    };
    if salp1 >= 0.0 && salp1.hypot(calp1) > 0.0 { normalize(salp1, calp1) } else { (1.0, 0.0) }
}

/// Solves the canonical inverse problem; returns `(s12, salp1, calp1, salp2, calp2)`.
fn solve_canonical(c: &Canon, lat1_deg: f64) -> (f64, f64, f64, f64, f64) {
    let (slam, clam) = sincosd(c.lam12_deg);
    let pi = std::f64::consts::PI;
    if lat1_deg == -90.0 || slam == 0.0 {
        // alpha1 = lambda12 (north, or over the south pole), alpha2 = 0 (Karney 2013, sect. 4).
        let (salp1, calp1) = (slam, clam);
        let sig1 = normalize(c.sbet1, calp1 * c.cbet1);
        let sig2 = normalize(c.sbet2, c.cbet2);
        let sig12 =
            (sig1.1 * sig2.0 - sig1.0 * sig2.1).max(0.0).atan2(sig1.1 * sig2.1 + sig1.0 * sig2.0);
        let (s12, m12b) = lengths(eps_of(EP2), sig12, sig1, sig2, c.dn1, c.dn2);
        if sig12 < 1.0 || m12b >= 0.0 {
            return (s12, salp1, calp1, 0.0, 1.0);
        }
    }
    if c.sbet1 == 0.0 && c.sbet2 == 0.0 && c.lam12 <= (1.0 - WGS84_F) * pi {
        // Along the equator.
        return (WGS84_A * c.lam12, 1.0, 0.0, 1.0, 0.0);
    }
    // alpha1 as (sin, cos) in [0, pi], with a bracket [lo, hi] of the root of the increasing
    // v(alpha1) = lambda12(alpha1) - lambda12. Newton steps rotate alpha1, so that cos alpha1
    // keeps its relative precision when it is tiny (nearly equatorial geodesics).
    let (mut lo, mut hi) = ((0.0, 1.0), (0.0, -1.0));
    let mut alp1 = start(c);
    let mut t = trial(c, alp1);
    for _ in 0..MAX_ITER {
        // Converged, or NaN input.
        if t.v.is_nan() || t.v.abs() <= 2.0 * f64::EPSILON {
            break;
        }
        if t.v > 0.0 {
            hi = alp1
        } else {
            lo = alp1
        }
        let newton = if t.dv > 0.0 && (t.v / t.dv).abs() < pi {
            let n = rotate(alp1, -t.v / t.dv);
            (sin_diff(lo, n) > 0.0 && sin_diff(n, hi) > 0.0).then_some(n)
        } else {
            None
        };
        // Else bisect: turn lo by half the bracket's width, atan2 of (sin, cos) of the width.
        let next = newton.unwrap_or_else(|| {
            let width = sin_diff(lo, hi).atan2(lo.0 * hi.0 + lo.1 * hi.1);
            rotate(lo, 0.5 * width)
        });
        if next == alp1 {
            break;
        }
        alp1 = next;
        t = trial(c, alp1);
    }
    (t.s12, alp1.0, alp1.1, t.salp2, t.calp2)
}

/// Newton steps and bisections of the inverse problem, at most. Newton converges in a few;
/// pure bisection from `[0, pi]` would need about 120 to pin `cos alpha1 ~ 1e-19` (the least
/// after rounding) to full precision.
const MAX_ITER: usize = 150;

/// Solves the inverse geodesic problem on WGS84 between two positions (heights ignored).
///
/// Karney (2013); agrees with GeographicLib to better than a micrometre in distance (see the
/// tests), everywhere including nearly antipodal and nearly equatorial points. Latitudes and
/// the longitude difference under 1/16 degree are first rounded to a multiple of 2^-57 degree
/// (7e-18 degree, under a picometre on the ground), as GeographicLib does. At a pole the
/// azimuth is taken as the limit along the meridian of the given longitude. Non-finite input
/// gives non-finite output.
pub fn geodesic_inverse(a: &Geodetic, b: &Geodetic) -> GeodesicInverse {
    let mut lat1 = round_tiny_deg(a.lat.clamp(-90.0, 90.0));
    let mut lat2 = round_tiny_deg(b.lat.clamp(-90.0, 90.0));
    let mut lon12 = round_tiny_deg(norm_deg(norm_deg(b.lon) - norm_deg(a.lon)));
    let mut lonsign = if lon12 < 0.0 { -1.0 } else { 1.0 };
    lon12 = lon12.abs();
    let swapp = if lat1.abs() < lat2.abs() { -1.0 } else { 1.0 };
    if swapp < 0.0 {
        lonsign = -lonsign;
        std::mem::swap(&mut lat1, &mut lat2);
    }
    let latsign = if lat1 < 0.0 { 1.0 } else { -1.0 };
    lat1 *= latsign;
    lat2 *= latsign;
    let (sbet1, cbet1) = reduced_latitude(lat1);
    let (mut sbet2, mut cbet2) = reduced_latitude(lat2);
    // Keep the symmetry exact when |beta2| == |beta1|.
    if cbet1 < -sbet1 {
        if cbet2 == cbet1 {
            sbet2 = sbet1.copysign(sbet2);
        }
    } else if sbet2.abs() == -sbet1 {
        cbet2 = cbet1;
    }
    let canon = Canon {
        sbet1,
        cbet1,
        dn1: (1.0 + EP2 * sbet1 * sbet1).sqrt(),
        sbet2,
        cbet2,
        dn2: (1.0 + EP2 * sbet2 * sbet2).sqrt(),
        lam12: lon12.to_radians(),
        lam12_deg: lon12,
    };
    let (s12, mut salp1, mut calp1, mut salp2, mut calp2) = solve_canonical(&canon, lat1);
    if swapp < 0.0 {
        std::mem::swap(&mut salp1, &mut salp2);
        std::mem::swap(&mut calp1, &mut calp2);
    }
    salp1 *= swapp * lonsign;
    calp1 *= swapp * latsign;
    salp2 *= swapp * lonsign;
    calp2 *= swapp * latsign;
    GeodesicInverse {
        distance_m: s12,
        azimuth1_deg: azimuth_deg(salp1, calp1),
        azimuth2_deg: azimuth_deg(salp2, calp2),
    }
}

/// Solves the direct geodesic problem on WGS84: the point `distance_m` metres (any sign or
/// length, several times round the earth included) from `start` along initial azimuth
/// `azimuth1_deg` (clockwise from north). Karney (2013), sect. 3, with the reverted series
/// `C1'` (eq. 21) for `sigma(s)`. The returned longitude is in (-180, 180].
pub fn geodesic_direct(start: &Geodetic, azimuth1_deg: f64, distance_m: f64) -> GeodesicDirect {
    let (sbet1, cbet1) = reduced_latitude(start.lat.clamp(-90.0, 90.0));
    let (salp1, calp1) = sincosd(azimuth1_deg);
    let salp0 = salp1 * cbet1;
    let calp0 = calp1.hypot(salp1 * sbet1);
    let csig1_raw = if sbet1 == 0.0 && calp1 == 0.0 { 1.0 } else { calp1 * cbet1 };
    let (ssig1, csig1) = normalize(sbet1, csig1_raw);
    let (somg1, comg1) = (salp0 * sbet1, csig1_raw);
    let eps = eps_of(EP2 * calp0 * calp0);
    let c1 = ser::c1(eps);
    let tau1 = ssig1.atan2(csig1) + ser::sin_series(&c1, ssig1, csig1);
    let tau2 = tau1 + distance_m / (B * ser::a1(eps));
    let (st2, ct2) = tau2.sin_cos();
    let sig2 = tau2 + ser::sin_series(&ser::c1p(eps), st2, ct2);
    let sig12 = sig2 - ssig1.atan2(csig1);
    let (ssig2, csig2) = sig2.sin_cos();
    let sbet2 = calp0 * ssig2;
    let cbet2 = salp0.hypot(calp0 * csig2).max(TINY);
    let (salp2, calp2) = (salp0, calp0 * csig2);
    let (somg2, comg2) = (salp0 * ssig2, csig2);
    // omega tracks sigma (same sense as sign(alpha0)) and wraps with it: unroll with sig12.
    let e = 1.0_f64.copysign(salp0);
    let omg12 = e
        * (sig12 - (ssig2.atan2(csig2) - ssig1.atan2(csig1))
            + ((e * somg2).atan2(comg2) - (e * somg1).atan2(comg1)));
    let c3 = ser::c3(N3, eps);
    let b3 = ser::sin_series(&c3, ssig2, csig2) - ser::sin_series(&c3, ssig1, csig1);
    let lam12 = omg12 - WGS84_F * ser::a3(N3, eps) * salp0 * (sig12 + b3);
    let lat2 = sbet2.atan2((1.0 - WGS84_F) * cbet2).to_degrees();
    let lon2 = norm_deg(norm_deg(start.lon) + norm_deg(lam12.to_degrees()));
    GeodesicDirect {
        position: Geodetic::new(lat2, lon2, start.height),
        azimuth2_deg: azimuth_deg(salp2, calp2),
    }
}
