//! The Transverse Mercator projection by Krüger's series to sixth order in the third
//! flattening `n`.
//!
//! Written from C. F. F. Karney, "Transverse Mercator with an accuracy of a few nanometers",
//! J. Geodesy 85 (2011) 475-485: conformal latitude `tau'` (eqs. 7-9), the series
//! coefficients `alpha_j` (eq. 35) and `beta_j` (eq. 36), the rectifying radius `A` (eq. 14),
//! and Newton's method for `tau(tau')` (eqs. 19-21). Accurate to 5 nm within 3900 km of the
//! central meridian. Also EPSG method 9807 (IOGP Guidance Note 7-2) with a latitude of origin.

use nalgebra::Complex;
use serde::{Deserialize, Serialize};

use super::ecef::{WGS84_A, WGS84_F};
use crate::error::{GeometryError, Result};

/// A Transverse Mercator projection on an ellipsoid of revolution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TransverseMercator {
    /// Semi-major axis, metres.
    a: f64,
    /// Flattening.
    f: f64,
    /// Scale on the central meridian.
    k0: f64,
    /// Longitude of the central meridian, degrees.
    lon0_deg: f64,
    /// False easting, metres.
    false_easting: f64,
    /// False northing, metres.
    false_northing: f64,
    /// First eccentricity.
    e: f64,
    /// `k0 A`, metres.
    k0_a: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
    /// Northing (before the false northing) of the latitude of origin on the central meridian.
    y_origin: f64,
}

impl TransverseMercator {
    /// A projection from its ellipsoid (`a` metres, flattening `f`), scale `k0` on the central
    /// meridian, latitude of origin and central meridian in degrees, and false easting and
    /// northing in metres.
    ///
    /// # Errors
    /// [`GeometryError::NonFinite`] or [`GeometryError::OutOfRange`] for a non-finite
    /// value, `a <= 0`, `f` outside [0, 0.1), `k0 <= 0` or a latitude of origin beyond 90.
    pub fn new(
        a: f64,
        f: f64,
        k0: f64,
        lat0_deg: f64,
        lon0_deg: f64,
        false_easting: f64,
        false_northing: f64,
    ) -> Result<Self> {
        let all = [a, f, k0, lat0_deg, lon0_deg, false_easting, false_northing];
        if !all.iter().all(|v| v.is_finite()) {
            return Err(GeometryError::NonFinite { what: "projection parameters" });
        }
        if !(a > 0.0 && (0.0..0.1).contains(&f) && k0 > 0.0 && lat0_deg.abs() <= 90.0) {
            return Err(GeometryError::OutOfRange { what: "projection parameters" });
        }
        let n = f / (2.0 - f);
        let (n2, n3) = (n * n, n * n * n);
        let (n4, n5, n6) = (n2 * n2, n2 * n3, n3 * n3);
        let big_a = a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        let alpha = [
            n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
                + 7891.0 * n6 / 37800.0,
            13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
                - 1_983_433.0 * n6 / 1_935_360.0,
            61.0 * n3 / 240.0 - 103.0 * n4 / 140.0
                + 15061.0 * n5 / 26880.0
                + 167_603.0 * n6 / 181_440.0,
            49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
            34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
            212_378_941.0 * n6 / 319_334_400.0,
        ];
        let beta = [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
                + 96199.0 * n6 / 604_800.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
                - 1_118_711.0 * n6 / 3_870_720.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
            4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
            4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
            20_648_693.0 * n6 / 638_668_800.0,
        ];
        let mut tm = Self {
            a,
            f,
            k0,
            lon0_deg,
            false_easting,
            false_northing,
            e: (f * (2.0 - f)).sqrt(),
            k0_a: k0 * big_a,
            alpha,
            beta,
            y_origin: 0.0,
        };
        tm.y_origin = tm.project_raw(lat0_deg, 0.0).1;
        Ok(tm)
    }

    /// The UTM projection of a zone's central meridian on WGS84: `k0 = 0.9996`, false easting
    /// 500 km, false northing 0 (north) or 10 000 km (south).
    pub fn utm(central_meridian_deg: f64, north: bool) -> Result<Self> {
        let false_northing = if north { 0.0 } else { 10_000_000.0 };
        Self::new(WGS84_A, WGS84_F, 0.9996, 0.0, central_meridian_deg, 500_000.0, false_northing)
    }

    /// Semi-major axis and flattening of the ellipsoid.
    pub fn ellipsoid(&self) -> (f64, f64) {
        (self.a, self.f)
    }

    /// `(x, y)` before false easting and northing, for a longitude relative to the central
    /// meridian in degrees.
    fn project_raw(&self, lat_deg: f64, dlon_deg: f64) -> (f64, f64) {
        let (sphi, cphi) = super::geodesic::sincosd(lat_deg);
        let (slam, clam) = super::geodesic::sincosd(dlon_deg);
        let (xip, etap) = if cphi == 0.0 {
            // At a pole: xi' = +-pi/2, eta' = 0.
            (std::f64::consts::FRAC_PI_2.copysign(sphi), 0.0)
        } else {
            let tau = sphi / cphi;
            let taup = conformal_tau(tau, self.e);
            (taup.atan2(clam), (slam / taup.hypot(clam)).asinh())
        };
        let zeta = Complex::new(xip, etap);
        let z = zeta + sin_series(&self.alpha, zeta);
        (self.k0_a * z.im, self.k0_a * z.re)
    }

    /// Easting and northing (metres) of a geodetic latitude and longitude (degrees).
    ///
    /// # Errors
    /// [`GeometryError::NonFinite`] for non-finite input, [`GeometryError::OutOfRange`] for a
    /// latitude beyond 90 or a longitude more than 60 degrees from the central meridian
    /// (where the series no longer hold).
    pub fn forward(&self, lat_deg: f64, lon_deg: f64) -> Result<(f64, f64)> {
        if !(lat_deg.is_finite() && lon_deg.is_finite()) {
            return Err(GeometryError::NonFinite { what: "latitude or longitude" });
        }
        if lat_deg.abs() > 90.0 {
            return Err(GeometryError::OutOfRange { what: "latitude" });
        }
        let dlon = super::geodesic::norm_deg(lon_deg - self.lon0_deg);
        if dlon.abs() > 60.0 {
            return Err(GeometryError::OutOfRange { what: "longitude from the central meridian" });
        }
        let (x, y) = self.project_raw(lat_deg, dlon);
        Ok((x + self.false_easting, y - self.y_origin + self.false_northing))
    }

    /// Geodetic latitude and longitude (degrees, longitude in (-180, 180]) of an easting and
    /// northing in metres.
    ///
    /// # Errors
    /// [`GeometryError::NonFinite`] for non-finite input, [`GeometryError::OutOfRange`] for
    /// a point farther than about 6700 km from the central meridian.
    pub fn inverse(&self, easting: f64, northing: f64) -> Result<(f64, f64)> {
        if !(easting.is_finite() && northing.is_finite()) {
            return Err(GeometryError::NonFinite { what: "easting or northing" });
        }
        let x = easting - self.false_easting;
        let y = northing - self.false_northing + self.y_origin;
        let zeta = Complex::new(y / self.k0_a, x / self.k0_a);
        if zeta.im.abs() > 1.05 {
            return Err(GeometryError::OutOfRange { what: "easting" });
        }
        let zp = zeta - sin_series(&self.beta, zeta);
        let (xip, etap) = (zp.re, zp.im);
        let (sxi, cxi) = xip.sin_cos();
        let sheta = etap.sinh();
        let r = sheta.hypot(cxi);
        let lat = if r == 0.0 {
            90.0_f64.copysign(sxi)
        } else {
            tau_from_conformal(sxi / r, self.e).atan().to_degrees()
        };
        let dlon = sheta.atan2(cxi).to_degrees();
        Ok((lat, super::geodesic::norm_deg(self.lon0_deg + dlon)))
    }
}

/// `tau' = tan` of the conformal latitude for `tau = tan phi` (Karney 2011, eqs. 7-9).
fn conformal_tau(tau: f64, e: f64) -> f64 {
    let tau1 = tau.hypot(1.0);
    let sig = (e * (e * tau / tau1).atanh()).sinh();
    tau * sig.hypot(1.0) - sig * tau1
}

/// `tau = tan phi` for `tau'` by Newton's method (Karney 2011, eqs. 19-21).
fn tau_from_conformal(taup: f64, e: f64) -> f64 {
    let e2m = 1.0 - e * e;
    let mut tau = taup / e2m;
    for _ in 0..10 {
        let taupa = conformal_tau(tau, e);
        let dtau =
            (taup - taupa) * (1.0 + e2m * tau * tau) / (e2m * tau.hypot(1.0) * taupa.hypot(1.0));
        tau += dtau;
        if dtau.abs() <= 1e-15 * tau.abs().max(1.0) {
            break;
        }
    }
    tau
}

/// `sum_{j=1..6} c[j-1] sin(2 j zeta)` for complex `zeta` by Clenshaw summation.
fn sin_series(c: &[f64; 6], zeta: Complex<f64>) -> Complex<f64> {
    let two_cos = (zeta * 2.0).cos() * 2.0;
    let mut b1 = Complex::new(0.0, 0.0);
    let mut b2 = Complex::new(0.0, 0.0);
    for &ck in c.iter().rev() {
        let b0 = two_cos * b1 - b2 + ck;
        b2 = b1;
        b1 = b0;
    }
    b1 * (zeta * 2.0).sin()
}
