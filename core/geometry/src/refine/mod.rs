//! Levenberg-Marquardt refinement of an absolute pose, the focal length and optionally the
//! radial distortion `k1`, `k2`, on reprojection errors in pixels with a robust loss.
//!
//! Residual of a correspondence (pixel `x` relative to the principal point, world point
//! `X`): `r = f d(n) - x`, with `p = R X + t`, `n = (p_x / p_z, p_y / p_z)`,
//! `d(n) = n (1 + k1 |n|^2 + k2 |n|^4)`. Parameters: a left rotation increment
//! `R <- exp([w]x) R`, `t <- t + dt`, `f <- f exp(df)`, `k <- k + dk`, with analytic
//! Jacobians. Each step solves `(H + lambda diag(H)) delta = -g` on the IRLS-weighted normal
//! equations; `lambda` shrinks by 10 on success and grows by 10 on failure. Stops on a small
//! gradient, a small step, a small relative cost decrease, or the iteration cap. A point
//! behind the camera costs `rho(1e12)`. An optional [`GravityPrior`] adds a residual on the
//! rotation, an optional [`CentrePrior`] one on the camera centre. World points should be centred by the caller
//! (kilometre-scale coordinates are fine, 6.4e6 m offsets are not).

// Negated comparisons (`!(x > 0.0)`) are deliberate throughout: they also reject NaN.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

mod loss;

pub use loss::RobustLoss;

use nalgebra::{Matrix3, SMatrix, SVector, Vector2, Vector3};

use crate::solvers::{FocalPose, Gravity};

type Mat9 = SMatrix<f64, 9, 9>;
type Vec9 = SVector<f64, 9>;

/// Squared residual charged for a point behind the camera.
const BEHIND_CAMERA_S: f64 = 1e12;

/// A camera being refined: pose, focal length in pixels (`pose.focal`), distortion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefinedCamera {
    /// `cam_from_world` and the focal length in pixels.
    pub pose: FocalPose,
    /// First radial coefficient.
    pub k1: f64,
    /// Second radial coefficient.
    pub k2: f64,
}

/// Which parameters move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefineParams {
    /// Rotation and translation.
    Pose,
    /// Rotation, translation and focal length.
    #[default]
    PoseFocal,
    /// Rotation, translation, focal length, `k1` and `k2`.
    PoseFocalDistortion,
}

/// A gravity prior for [`refine_camera`]: the residual
/// `weight * (R down_in_world - down_in_cam)` (pixels; both directions normalised) is added to
/// the reprojection residuals, unweighted by the robust loss. Its rotation Jacobian under the
/// left increment `R <- exp([w]x) R` is `-weight [R down_in_world]x`.
///
/// `weight` is pixels per radian: one pixel of reprojection error costs as much as `1 / weight`
/// radians of misaligned gravity, i.e. `weight = sigma_px / sigma_gravity` for independent
/// Gaussian errors (maximum likelihood); 1 px against 1 degree is `57.3`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GravityPrior {
    /// Down in the camera and world frames.
    pub gravity: Gravity,
    /// Pixels per radian of misalignment.
    pub weight: f64,
}

impl GravityPrior {
    /// The prior for a gravity measured to `sigma_deg` degrees, against reprojection errors
    /// of about one pixel. `None` for a zero, negative or non-finite sigma or gravity.
    pub fn new(gravity: Gravity, sigma_deg: f64) -> Option<Self> {
        let ok = |v: &Vector3<f64>| v.iter().all(|c| c.is_finite()) && v.norm() > 0.0;
        (sigma_deg > 0.0
            && sigma_deg.is_finite()
            && ok(&gravity.down_in_cam)
            && ok(&gravity.down_in_world))
        .then(|| Self { gravity, weight: 1.0 / sigma_deg.to_radians() })
    }

    /// Residual `weight (R d_w - d_c)` and `g = R d_w` (for the Jacobian).
    fn residual(&self, rotation: &Matrix3<f64>) -> (Vector3<f64>, Vector3<f64>) {
        let dw = self.gravity.down_in_world.normalize();
        let dc = self.gravity.down_in_cam.normalize();
        let g = rotation * dw;
        ((g - dc) * self.weight, g)
    }
}

/// A camera-centre prior for [`refine_camera`] (a GPS fix): the residual
/// `weight * (C - centre)` with `C = -R^T t` (pixels), added to the reprojection residuals
/// unweighted by the robust loss. Under the left increment `R <- exp([w]x) R`, `t <- t + dt`,
/// `dC = -R^T [t]x w - R^T dt`.
///
/// `weight` is pixels per metre: one pixel of reprojection error costs as much as
/// `1 / weight` metres of centre offset, i.e. `weight = 1 / sigma_m` against one-pixel
/// reprojection noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CentrePrior {
    /// The prior centre, in the frame of the world points given to [`refine_camera`].
    pub centre: Vector3<f64>,
    /// Pixels per metre of centre offset.
    pub weight: f64,
}

impl CentrePrior {
    /// The prior for a centre known to `sigma_m` metres (isotropic). `None` for a zero,
    /// negative or non-finite sigma, or a non-finite centre.
    pub fn new(centre: Vector3<f64>, sigma_m: f64) -> Option<Self> {
        (sigma_m > 0.0 && sigma_m.is_finite() && centre.iter().all(|v| v.is_finite()))
            .then(|| Self { centre, weight: 1.0 / sigma_m })
    }

    /// Adds the prior's cost and, if `normal` is given, its normal equations.
    fn add(
        &self,
        r: &Matrix3<f64>,
        t: &Vector3<f64>,
        normal: Option<(&mut Mat9, &mut Vec9)>,
    ) -> f64 {
        let rt = r.transpose();
        let res = (-(rt * t) - self.centre) * self.weight;
        if let Some((h, grad)) = normal {
            let skew_t = Matrix3::new(0.0, -t.z, t.y, t.z, 0.0, -t.x, -t.y, t.x, 0.0);
            let mut j = SMatrix::<f64, 3, 9>::zeros();
            j.fixed_view_mut::<3, 3>(0, 0).copy_from(&(-(rt * skew_t) * self.weight));
            j.fixed_view_mut::<3, 3>(0, 3).copy_from(&(-rt * self.weight));
            *h += j.transpose() * j;
            *grad += j.transpose() * res;
        }
        res.norm_squared()
    }
}

/// Options of [`refine_camera`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefineOptions {
    /// Parameters to refine.
    pub params: RefineParams,
    /// Robust loss on squared pixel residuals.
    pub loss: RobustLoss,
    /// Most iterations (accepted or rejected steps).
    pub max_iterations: usize,
    /// Stop when the largest gradient component falls below this.
    pub gradient_tol: f64,
    /// Stop when the step is below this (relative to the parameters).
    pub step_tol: f64,
    /// Stop when the cost decreases by less than this share.
    pub relative_cost_tol: f64,
    /// Gravity prior on the rotation, if any.
    pub gravity: Option<GravityPrior>,
    /// Prior on the camera centre, if any.
    pub centre: Option<CentrePrior>,
}

impl Default for RefineOptions {
    fn default() -> Self {
        Self {
            params: RefineParams::PoseFocal,
            loss: RobustLoss::Cauchy { scale: 1.0 },
            max_iterations: 100,
            gradient_tol: 1e-10,
            step_tol: 1e-10,
            relative_cost_tol: 1e-12,
            gravity: None,
            centre: None,
        }
    }
}

/// Why the refinement stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Termination {
    /// Gradient below tolerance.
    #[default]
    Gradient,
    /// Step below tolerance.
    Step,
    /// Relative cost decrease below tolerance.
    Cost,
    /// Iteration cap reached.
    MaxIterations,
    /// The normal equations could not be solved.
    Singular,
}

/// What [`refine_camera`] did.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LmStats {
    /// Iterations (accepted and rejected steps).
    pub iterations: usize,
    /// Cost `sum rho(|r|^2)` before.
    pub initial_cost: f64,
    /// Cost after.
    pub final_cost: f64,
    /// Why it stopped.
    pub termination: Termination,
}

/// Cost and, if `normal` is given, the weighted normal equations `(H, g)` at `cam`.
fn linearize(
    x: &[Vector2<f64>],
    xw: &[Vector3<f64>],
    indices: &[usize],
    cam: &RefinedCamera,
    loss: &RobustLoss,
    (gravity, centre): (Option<&GravityPrior>, Option<&CentrePrior>),
    mut normal: Option<(&mut Mat9, &mut Vec9)>,
) -> f64 {
    let (r, t, f) = (&cam.pose.rotation, &cam.pose.translation, cam.pose.focal);
    let mut cost = 0.0;
    if let Some(prior) = centre {
        cost += prior.add(r, t, normal.as_mut().map(|(h, g)| (&mut **h, &mut **g)));
    }
    if let Some(prior) = gravity {
        let (res, g) = prior.residual(r);
        cost += res.norm_squared();
        if let Some((h, grad)) = normal.as_mut() {
            // J = -weight [g]x: J^T J = weight^2 (|g|^2 I - g g^T), J^T r = weight (g x r).
            let w2 = prior.weight * prior.weight;
            let jtj = (Matrix3::identity() * g.norm_squared() - g * g.transpose()) * w2;
            let jtr = g.cross(&res) * prior.weight;
            let mut hb = h.fixed_view_mut::<3, 3>(0, 0);
            hb += jtj;
            let mut gb = grad.fixed_rows_mut::<3>(0);
            gb += jtr;
        }
    }
    for &i in indices {
        let (Some(xi), Some(wi)) = (x.get(i), xw.get(i)) else { continue };
        let pc = r * wi;
        let p = pc + t;
        if !(p.z > 0.0) {
            cost += loss.rho(BEHIND_CAMERA_S);
            continue;
        }
        let iz = 1.0 / p.z;
        let n = Vector2::new(p.x * iz, p.y * iz);
        let rho2 = n.norm_squared();
        let g = 1.0 + cam.k1 * rho2 + cam.k2 * rho2 * rho2;
        let res = n * (f * g) - xi;
        let s = res.norm_squared();
        cost += loss.rho(s);
        let Some((h, grad)) = normal.as_mut() else { continue };
        let w = loss.weight(s);
        if w == 0.0 {
            continue;
        }
        // dd/dn = g I + 2 (k1 + 2 k2 rho2) n n^T; dn/dp.
        let c = 2.0 * (cam.k1 + 2.0 * cam.k2 * rho2);
        let ddn = nalgebra::Matrix2::new(
            g + c * n.x * n.x,
            c * n.x * n.y,
            c * n.x * n.y,
            g + c * n.y * n.y,
        );
        let dnp = nalgebra::Matrix2x3::new(iz, 0.0, -n.x * iz, 0.0, iz, -n.y * iz);
        let drp = ddn * dnp * f;
        let neg_skew = Matrix3::new(0.0, pc.z, -pc.y, -pc.z, 0.0, pc.x, pc.y, -pc.x, 0.0);
        let drw = drp * neg_skew;
        let mut j = SMatrix::<f64, 2, 9>::zeros();
        j.fixed_view_mut::<2, 3>(0, 0).copy_from(&drw);
        j.fixed_view_mut::<2, 3>(0, 3).copy_from(&drp);
        j.set_column(6, &(n * (f * g)));
        j.set_column(7, &(n * (f * rho2)));
        j.set_column(8, &(n * (f * rho2 * rho2)));
        **h += j.transpose() * j * w;
        **grad += j.transpose() * res * w;
    }
    cost
}

/// Applies a parameter step.
fn apply(cam: &RefinedCamera, d: &Vec9) -> RefinedCamera {
    let w = Vector3::new(d[0], d[1], d[2]);
    let dr = nalgebra::Rotation3::new(w).into_inner();
    RefinedCamera {
        pose: FocalPose {
            rotation: dr * cam.pose.rotation,
            translation: cam.pose.translation + Vector3::new(d[3], d[4], d[5]),
            focal: cam.pose.focal * d[6].exp(),
        },
        k1: cam.k1 + d[7],
        k2: cam.k2 + d[8],
    }
}

/// Refines `cam` on the correspondences `indices` of (`x`, `xw`): `x` pixels relative to the
/// principal point, `xw` world points (centred by the caller). Returns the statistics; `cam`
/// is only ever replaced by a camera of lower cost.
pub fn refine_camera(
    x: &[Vector2<f64>],
    xw: &[Vector3<f64>],
    indices: &[usize],
    cam: &mut RefinedCamera,
    options: &RefineOptions,
) -> LmStats {
    let active = match options.params {
        RefineParams::Pose => 6,
        RefineParams::PoseFocal => 7,
        RefineParams::PoseFocalDistortion => 9,
    };
    let loss = &options.loss;
    let mut stats = LmStats::default();
    let mut h = Mat9::zeros();
    let mut g = Vec9::zeros();
    let priors = (options.gravity.as_ref(), options.centre.as_ref());
    let mut cost = linearize(x, xw, indices, cam, loss, priors, Some((&mut h, &mut g)));
    stats.initial_cost = cost;
    let mut lambda = 1e-3;
    stats.termination = Termination::MaxIterations;
    while stats.iterations < options.max_iterations {
        for k in active..9 {
            h.row_mut(k).fill(0.0);
            h.column_mut(k).fill(0.0);
            h[(k, k)] = 1.0;
            g[k] = 0.0;
        }
        if g.amax() < options.gradient_tol {
            stats.termination = Termination::Gradient;
            break;
        }
        stats.iterations += 1;
        let mut damped = h;
        for k in 0..9 {
            damped[(k, k)] += lambda * h[(k, k)].max(1e-12);
        }
        let Some(chol) = damped.cholesky() else {
            lambda *= 10.0;
            if lambda > 1e16 {
                stats.termination = Termination::Singular;
                break;
            }
            continue;
        };
        let delta = -chol.solve(&g);
        let cand = apply(cam, &delta);
        let new_cost = linearize(x, xw, indices, &cand, loss, priors, None);
        if new_cost < cost {
            let scale = cam.pose.translation.norm() + 1.0;
            let small_step = delta.fixed_rows::<3>(0).norm()
                + delta.fixed_rows::<3>(3).norm() / scale
                + delta.fixed_rows::<3>(6).norm()
                < options.step_tol;
            let small_decrease = cost - new_cost < options.relative_cost_tol * cost;
            *cam = cand;
            h.fill(0.0);
            g.fill(0.0);
            cost = linearize(x, xw, indices, cam, loss, priors, Some((&mut h, &mut g)));
            lambda = (lambda / 10.0).max(1e-12);
            if small_step {
                stats.termination = Termination::Step;
                break;
            }
            if small_decrease {
                stats.termination = Termination::Cost;
                break;
            }
        } else {
            lambda *= 10.0;
            if lambda > 1e16 {
                stats.termination = Termination::Step;
                break;
            }
        }
    }
    stats.final_cost = cost;
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient (reprojection with distortion, plus the gravity and centre
    /// priors) equals
    /// half the central difference of the cost along each parameter of [`apply`].
    #[test]
    fn gradient_matches_finite_differences() {
        let xw: Vec<Vector3<f64>> = (0..12)
            .map(|i| {
                let f = f64::from(i);
                Vector3::new((f * 1.7).sin() * 40.0, (f * 0.9).cos() * 30.0, (f * 2.3).sin() * 25.0)
            })
            .collect();
        let pose = FocalPose {
            rotation: nalgebra::Rotation3::new(Vector3::new(0.1, -0.2, 0.05)).into_inner(),
            translation: Vector3::new(3.0, -2.0, 200.0),
            focal: 900.0,
        };
        let cam = RefinedCamera { pose, k1: -0.03, k2: 0.01 };
        // Observations off the model so that every residual is non-zero.
        let x: Vec<Vector2<f64>> = xw
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let p = pose.transform(w);
                Vector2::new(p.x / p.z, p.y / p.z) * 900.0
                    + Vector2::new(0.7, -0.4) * (i % 3) as f64
            })
            .collect();
        let prior = GravityPrior {
            gravity: Gravity {
                down_in_cam: Vector3::new(0.05, 1.0, 0.1),
                down_in_world: Vector3::new(0.0, 0.0, -1.0),
            },
            weight: 30.0,
        };
        // A centre prior 40 m off the camera's centre.
        let centre = CentrePrior::new(pose.center() + Vector3::new(30.0, -20.0, 18.0), 7.0);
        let priors = (Some(&prior), centre.as_ref());
        let idx: Vec<usize> = (0..xw.len()).collect();
        let loss = RobustLoss::Trivial;
        let (mut h, mut g) = (Mat9::zeros(), Vec9::zeros());
        linearize(&x, &xw, &idx, &cam, &loss, priors, Some((&mut h, &mut g)));
        for k in 0..9 {
            let eps = 1e-6;
            let mut d = Vec9::zeros();
            d[k] = eps;
            let plus = linearize(&x, &xw, &idx, &apply(&cam, &d), &loss, priors, None);
            let minus = linearize(&x, &xw, &idx, &apply(&cam, &(-d)), &loss, priors, None);
            let numeric = (plus - minus) / (4.0 * eps);
            let tol = 1e-5 * (1.0 + g[k].abs());
            assert!((numeric - g[k]).abs() < tol, "parameter {k}: {numeric} vs {}", g[k]);
        }
    }
}
