//! Minimal and non-minimal absolute pose solvers, one per file, one call shape:
//!
//! ```text
//! fn solver(x: &[Vector2<f64>; N], xw: &[Point3<f64>; N], out: &mut Vec<FocalPose>) -> usize
//! ```
//!
//! `x` are image points relative to the principal point: normalised coordinates
//! `(X/Z, Y/Z)` for solvers with a known focal length (the returned `focal` is then 1), and
//! centred pixels for unknown-focal solvers (the returned `focal` is in pixels). `xw` are
//! world points in any Cartesian metric frame; every solver centres and scales them (and the
//! image points) inside, so ECEF coordinates (~6.4e6 m) and kilometre depths lose no digits.
//! Solutions are appended to `out` (cleared first) and their number is returned; degenerate
//! or non-finite input gives 0 solutions, never an error or a panic. The upright solvers take
//! one more argument, the [`Gravity`] direction in both frames, the centre-known solvers
//! ([`c2p`], [`c2pf`]) the camera centre in the world frame; [`epnp`] takes slices.
//!
//! | solver | problem | points | unknowns | max solutions | method | time (1) | GT missed (2) |
//! |---|---|---|---|---|---|---|---|
//! | [`p3p`] | calibrated pose | 3 | R, t | 4 | Lambda Twist (Persson & Nordberg, ECCV 2018) | 0.34 us (3) | 0 / 0 % |
//! | [`p4pf`] | pose + focal | 4 | R, t, f | 1 (of 8, filtered) | depth-parametrised camera, three quadrics to a degree-8 univariate (E3Q3-style; the problem of Bujnak et al. CVPR 2008) | 2.0 us (3) | 0.09 / 0.56 % |
//! | [`up2p`] | upright calibrated pose | 2 | yaw, t | 2 | 4x6 null space + one quadratic (the problem of Kukelova et al. ACCV 2010) | 0.9 us | 0 / 0 % |
//! | [`up3pf`] | upright pose + focal | 3 | yaw, t, f | 6 | `(A0 + f A1) m = 0`, 6x6 generalised eigenvalues (own derivation) | 9 us | 0 / 0 % |
//! | [`c2p`] | rotation, centre known | 2 | R | 1 | bearing alignment (TRIAD, symmetric form) | 0.06 us (4) | 0 (5) |
//! | [`c2pf`] | rotation + focal, centre known | 2 | R, f | 2 | ray angle = bearing angle, a quadratic in f^2 (own derivation) | 0.11 us (4) | 0 of 2000 (5) |
//! | [`epnp`] | calibrated pose, n >= 4 | n | R, t | 1 | EPnP (Lepetit et al., IJCV 2009), N = 1..3 + Gauss-Newton; coplanar points: 3 control points, N = 1, 2 | 37 us (n = 10) | 0 / 0 % |
//!
//! (1) criterion, shared 2-core VM at load ~7 (see `bench/README.md`; roughly 2-3x a quiet
//! machine). (2) share of 10,000 noise-free problems without a solution within 1e-6 of the
//! truth, random / terrain scenes (`tests/pose_solvers.rs`). (3) CPU time per call (half
//! exact, half outlier samples), which matched quiet-machine criterion times for the previous
//! build (`bench/README.md`, second pass). (4) criterion, 2026-11-27 18:05 UTC, load 2-5, same
//! run as p3p 0.34 us and p4pf 2.2 us on generic scenes. (5) the solvers' unit tests (exact
//! rotation; 2000 random scenes for c2pf), not `tests/pose_solvers.rs`.

// Negated comparisons (`!(x > 0.0)`) are deliberate throughout: they also reject NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod c2p;
mod c2pf;
mod epnp;
mod p3p;
mod p4pf;
pub mod poly;
mod quadrics;
mod sturm;
mod up2p;
mod up3pf;
mod upright;

pub use c2p::c2p;
pub use c2pf::c2pf;
pub use epnp::epnp;
pub use p3p::p3p;
pub use p4pf::p4pf;
pub use up2p::up2p;
pub use up3pf::up3pf;
pub use upright::Gravity;

use nalgebra::{Isometry3, Matrix3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};

/// A solver's output: `cam_from_world` as a rotation matrix and a translation, and the focal
/// length in the units of the image points the solver was given (1 for known-focal solvers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalPose {
    /// Rotation of `cam_from_world` (orthonormal, det +1).
    pub rotation: Matrix3<f64>,
    /// Translation of `cam_from_world`: `point_in_cam = rotation * point_in_world + translation`.
    pub translation: Vector3<f64>,
    /// Focal length (1 for known-focal solvers).
    pub focal: f64,
}

impl FocalPose {
    /// The identity pose with focal 1.
    pub fn identity() -> Self {
        Self { rotation: Matrix3::identity(), translation: Vector3::zeros(), focal: 1.0 }
    }

    /// `point_in_cam` of a world point.
    #[inline]
    pub fn transform(&self, point_in_world: &Vector3<f64>) -> Vector3<f64> {
        self.rotation * point_in_world + self.translation
    }

    /// The camera centre in the world frame, `-R^T t`.
    pub fn center(&self) -> Vector3<f64> {
        -(self.rotation.transpose() * self.translation)
    }

    /// `cam_from_world` as an isometry (the rotation is re-orthonormalised).
    pub fn cam_from_world(&self) -> Isometry3<f64> {
        let rotation =
            UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix(&self.rotation));
        Isometry3::from_parts(Translation3::from(self.translation), rotation)
    }

    /// The same camera for world points expressed as `point - offset`: if `self` maps
    /// `point - offset`, the result maps `point` (`t' = t - R offset`).
    pub fn shifted_world(&self, offset: &Vector3<f64>) -> Self {
        Self { translation: self.translation - self.rotation * offset, ..*self }
    }
}

/// Centroid and RMS distance to it of a set of points; `None` if not finite or all equal.
pub(crate) fn centre_and_scale(points: &[Point3<f64>]) -> Option<(Vector3<f64>, f64)> {
    if points.is_empty() {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let n = points.len() as f64;
    let centroid = points.iter().fold(Vector3::zeros(), |a, p| a + p.coords) / n;
    let ms = points.iter().map(|p| (p.coords - centroid).norm_squared()).sum::<f64>() / n;
    let scale = ms.sqrt();
    (centroid.iter().all(|v| v.is_finite()) && scale.is_finite() && scale > 0.0)
        .then_some((centroid, scale))
}

/// An orthonormal rotation closest (for small errors) to `m`, by Gram-Schmidt from the third
/// row: `r3 = m3/|m3|`, `r1 = m1 - (m1.r3) r3` normalised, `r2 = r3 x r1`.
pub(crate) fn orthonormalize_rows(m: &Matrix3<f64>) -> Option<Matrix3<f64>> {
    let r3 = m.row(2).transpose().try_normalize(1e-300)?;
    let m1 = m.row(0).transpose();
    let r1 = (m1 - r3 * m1.dot(&r3)).try_normalize(1e-300)?;
    let r2 = r3.cross(&r1);
    Some(Matrix3::from_rows(&[r1.transpose(), r2.transpose(), r3.transpose()]))
}
