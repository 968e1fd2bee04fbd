//! C2P: calibrated camera rotation from two correspondences when the camera centre is known
//! (a GPS fix), by aligning two pairs of bearings (the TRIAD construction of Black, "A
//! passive system for determining the attitude of a satellite", AIAA J. 1964, in its
//! symmetric form).

use nalgebra::{Matrix3, Point3, Vector2, Vector3};

use super::FocalPose;

/// The rotation `R` that maps the world bearings `b` onto the camera rays `r` (all unit),
/// splitting any mismatch of their angles evenly: with `e1 = (v1 + v2)/|.|`,
/// `e2 = (v1 - v2)/|.|`, `e3 = e1 x e2` built from either pair, `R = E_r E_b^T`. `None`
/// when a pair is (anti)parallel or not finite.
pub(crate) fn rotation_from_bearings(
    b: &[Vector3<f64>; 2],
    r: &[Vector3<f64>; 2],
) -> Option<Matrix3<f64>> {
    let frame = |v: &[Vector3<f64>; 2]| -> Option<Matrix3<f64>> {
        let e1 = (v[0] + v[1]).try_normalize(1e-12)?;
        let e2 = (v[0] - v[1]).try_normalize(1e-12)?;
        let e3 = e1.cross(&e2);
        Some(Matrix3::from_columns(&[e1, e2, e3]))
    };
    let rot = frame(r)? * frame(b)?.transpose();
    rot.iter().all(|v| v.is_finite()).then_some(rot)
}

/// Unit bearings from `centre` to two world points; `None` for a point at the centre or a
/// non-finite coordinate.
pub(crate) fn bearings(xw: &[Point3<f64>; 2], centre: &Point3<f64>) -> Option<[Vector3<f64>; 2]> {
    let b0 = (xw[0] - centre).try_normalize(1e-12)?;
    let b1 = (xw[1] - centre).try_normalize(1e-12)?;
    (b0.iter().chain(b1.iter()).all(|v| v.is_finite())).then_some([b0, b1])
}

/// Calibrated pose from two correspondences and the known camera centre.
///
/// The rotation maps the bearings `b_i = (X_i - C)/|X_i - C|` onto the rays
/// `r_i = (x_i, 1)/|(x_i, 1)|` ([`rotation_from_bearings`]; exact when the two angles agree,
/// balanced otherwise: 2 points over-determine the 3 rotation parameters by one), and
/// `t = -R C`. RANSAC's score rejects samples whose angles disagree.
///
/// Input normalisation: `x` are normalised image coordinates (`(pixel - pp) / f`); world
/// points only enter as directions from `centre`, so their scale is irrelevant. At most 1
/// solution, `focal` 1. Coincident directions, a point at the centre or non-finite input give
/// 0 solutions.
pub fn c2p(
    x: &[Vector2<f64>; 2],
    xw: &[Point3<f64>; 2],
    centre: &Point3<f64>,
    out: &mut Vec<FocalPose>,
) -> usize {
    out.clear();
    let Some(b) = bearings(xw, centre) else { return 0 };
    let ray = |p: &Vector2<f64>| Vector3::new(p.x, p.y, 1.0).try_normalize(1e-300);
    let (Some(r0), Some(r1)) = (ray(&x[0]), ray(&x[1])) else { return 0 };
    let Some(rotation) = rotation_from_bearings(&b, &[r0, r1]) else { return 0 };
    out.push(FocalPose { rotation, translation: -(rotation * centre.coords), focal: 1.0 });
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Rotation3, Vector3};

    fn project(r: &Matrix3<f64>, c: &Point3<f64>, p: &Point3<f64>) -> Vector2<f64> {
        let q = r * (p - c);
        Vector2::new(q.x / q.z, q.y / q.z)
    }

    #[test]
    fn recovers_the_rotation_exactly() {
        let r = *Rotation3::from_euler_angles(0.3, -1.2, 2.0).matrix();
        let c = Point3::new(4.2e6, 6.0e5, 4.7e6);
        let ahead = |u: f64, v: f64, d: f64| c + r.transpose() * Vector3::new(u, v, 1.0) * d;
        let xw = [ahead(0.3, -0.1, 2500.0), ahead(-0.2, 0.05, 800.0)];
        let x = [project(&r, &c, &xw[0]), project(&r, &c, &xw[1])];
        let mut out = Vec::new();
        assert_eq!(c2p(&x, &xw, &c, &mut out), 1);
        assert!((out[0].rotation - r).norm() < 1e-12, "{}", out[0].rotation - r);
        assert!((out[0].center() - c.coords).norm() < 1e-6);
    }

    #[test]
    fn degenerate_input_gives_nothing() {
        let c = Point3::origin();
        let mut out = Vec::new();
        let x = [Vector2::new(0.1, 0.0), Vector2::new(-0.1, 0.0)];
        // Both points along one direction from the centre.
        let same = [Point3::new(0.0, 0.0, 10.0), Point3::new(0.0, 0.0, 20.0)];
        assert_eq!(c2p(&x, &same, &c, &mut out), 0);
        // A point at the centre.
        assert_eq!(c2p(&x, &[c, Point3::new(1.0, 0.0, 5.0)], &c, &mut out), 0);
        // NaN.
        let nan = [Vector2::new(f64::NAN, 0.0), Vector2::new(0.1, 0.0)];
        assert_eq!(
            c2p(&nan, &[Point3::new(1.0, 0.0, 5.0), Point3::new(-1.0, 0.0, 5.0)], &c, &mut out),
            0
        );
    }
}
