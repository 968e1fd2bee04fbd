//! The absolute-pose [`Estimator`] of [`super::estimate_absolute_pose`]: a minimal solver,
//! the MSAC score on pixel reprojection errors, and local optimisation by Levenberg-Marquardt
//! with a truncated loss.

use nalgebra::{Matrix3, Point3, Vector2, Vector3};

use crate::ransac::{Estimator, Score};
use crate::refine::{
    CentrePrior, RefineOptions, RefineParams, RefinedCamera, RobustLoss, refine_camera,
};
use crate::solvers::{FocalPose, Gravity, c2p, c2pf, p3p, p4pf, up2p, up3pf};

/// The minimal solver inside RANSAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinimalSolver {
    /// [`p3p`]: known focal length.
    P3p,
    /// [`p4pf`]: unknown focal length.
    P4pf,
    /// [`up2p`]: known focal length and gravity.
    Up2p,
    /// [`up3pf`]: unknown focal length, known gravity.
    Up3pf,
    /// [`c2p`]: known focal length, approximately known camera centre (hypotheses only: the
    /// local optimisation and the final refinement estimate the full pose).
    C2p,
    /// [`c2pf`]: unknown focal length, approximately known camera centre (as [`Self::C2p`]).
    C2pf,
}

impl MinimalSolver {
    /// Correspondences per minimal sample.
    pub fn sample_size(self) -> usize {
        match self {
            Self::Up2p | Self::C2p | Self::C2pf => 2,
            Self::P3p | Self::Up3pf => 3,
            Self::P4pf => 4,
        }
    }

    /// Time of one call in checks of one correspondence (SPRT's `t_M`): the criterion
    /// medians of `benches/pose_solvers.rs` (p3p 0.41 us, up2p 0.44 us, p4pf 2.3 us, up3pf
    /// 4.3 us; c2p 0.06 us, c2pf 0.11 us) over about 4 ns per reprojection check.
    pub fn generate_cost(self) -> f64 {
        match self {
            Self::C2p => 15.0,
            Self::C2pf => 30.0,
            Self::P3p | Self::Up2p => 100.0,
            Self::P4pf => 600.0,
            Self::Up3pf => 1000.0,
        }
    }

    /// Whether the solver estimates the focal length.
    pub fn estimates_focal(self) -> bool {
        matches!(self, Self::P4pf | Self::Up3pf | Self::C2pf)
    }
}

/// Absolute pose estimator over centred pixels and centred world points.
#[derive(Debug)]
pub(crate) struct PoseEstimator<'a> {
    /// Pixels relative to the principal point (undistorted).
    pub x: &'a [Vector2<f64>],
    /// World points relative to their centroid.
    pub xw: &'a [Vector3<f64>],
    pub solver: MinimalSolver,
    /// The focal length for known-focal solvers (pixels).
    pub focal: f64,
    /// Accepted focal range for unknown-focal solvers (pixels).
    pub focal_range: (f64, f64),
    pub threshold: f64,
    pub gravity: Option<Gravity>,
    /// Camera centre prior, relative to the world centroid (centre-known solvers).
    pub centre: Option<Point3<f64>>,
    /// Prior on the centre for the local optimisation, in the same centred frame.
    pub centre_prior: Option<CentrePrior>,
    /// Buffers, allocated once.
    pub solutions: Vec<FocalPose>,
    pub indices: Vec<usize>,
}

impl PoseEstimator<'_> {
    fn point(&self, i: usize) -> Point3<f64> {
        Point3::from(self.xw.get(i).copied().unwrap_or_else(Vector3::zeros))
    }

    fn pixel(&self, i: usize) -> Vector2<f64> {
        self.x.get(i).copied().unwrap_or_else(Vector2::zeros)
    }

    /// Local optimisation options: truncated least squares on all data.
    fn lo_options(&self) -> RefineOptions {
        RefineOptions {
            params: if self.solver.estimates_focal() {
                RefineParams::PoseFocal
            } else {
                RefineParams::Pose
            },
            loss: RobustLoss::Truncated { threshold: self.threshold },
            max_iterations: 10,
            centre: self.centre_prior,
            ..RefineOptions::default()
        }
    }
}

impl Estimator for PoseEstimator<'_> {
    type Model = FocalPose;

    fn sample_size(&self) -> usize {
        self.solver.sample_size()
    }

    fn num_data(&self) -> usize {
        self.x.len().min(self.xw.len())
    }

    fn generate(&mut self, sample: &[usize], models: &mut Vec<FocalPose>) {
        let f = self.focal;
        let mut sols = std::mem::take(&mut self.solutions);
        let normalized = |i: usize| self.pixel(i) / f;
        match (self.solver, sample, self.gravity.as_ref()) {
            (MinimalSolver::P3p, &[a, b, c], _) => {
                let x = [normalized(a), normalized(b), normalized(c)];
                p3p(&x, &[self.point(a), self.point(b), self.point(c)], &mut sols);
            }
            (MinimalSolver::P4pf, &[a, b, c, d], _) => {
                let x = [self.pixel(a), self.pixel(b), self.pixel(c), self.pixel(d)];
                let xw = [self.point(a), self.point(b), self.point(c), self.point(d)];
                p4pf(&x, &xw, &mut sols);
            }
            (MinimalSolver::Up2p, &[a, b], Some(g)) => {
                up2p(
                    &[normalized(a), normalized(b)],
                    &[self.point(a), self.point(b)],
                    g,
                    &mut sols,
                );
            }
            (MinimalSolver::Up3pf, &[a, b, c], Some(g)) => {
                let x = [self.pixel(a), self.pixel(b), self.pixel(c)];
                up3pf(&x, &[self.point(a), self.point(b), self.point(c)], g, &mut sols);
            }
            (MinimalSolver::C2p, &[a, b], _) => match &self.centre {
                Some(c) => {
                    c2p(
                        &[normalized(a), normalized(b)],
                        &[self.point(a), self.point(b)],
                        c,
                        &mut sols,
                    );
                }
                None => sols.clear(),
            },
            (MinimalSolver::C2pf, &[a, b], _) => match &self.centre {
                Some(c) => {
                    c2pf(
                        &[self.pixel(a), self.pixel(b)],
                        &[self.point(a), self.point(b)],
                        c,
                        &mut sols,
                    );
                }
                None => sols.clear(),
            },
            _ => sols.clear(),
        }
        for s in &sols {
            let focal = if self.solver.estimates_focal() { s.focal } else { f };
            if focal >= self.focal_range.0 && focal <= self.focal_range.1 {
                models.push(FocalPose { focal, ..*s });
            }
        }
        self.solutions = sols;
    }

    fn score(&self, model: &FocalPose, bound: f64) -> Score {
        score_pose(
            &model.rotation,
            &model.translation,
            model.focal,
            self.x,
            self.xw,
            self.threshold,
            bound,
        )
    }

    fn is_inlier(&self, model: &FocalPose, i: usize) -> Option<bool> {
        let (xi, wi) = (self.x.get(i)?, self.xw.get(i)?);
        let p = model.rotation * wi + model.translation;
        if !(p.z > 0.0) {
            return Some(false);
        }
        let iz = model.focal / p.z;
        let (ex, ey) = (p.x * iz - xi.x, p.y * iz - xi.y);
        Some(ex * ex + ey * ey < self.threshold * self.threshold)
    }

    fn generate_cost(&self) -> f64 {
        self.solver.generate_cost()
    }

    fn refine(&mut self, model: &FocalPose) -> Option<FocalPose> {
        self.indices.clear();
        self.indices.extend(0..self.num_data());
        let mut cam = RefinedCamera { pose: *model, k1: 0.0, k2: 0.0 };
        refine_camera(self.x, self.xw, &self.indices, &mut cam, &self.lo_options());
        Some(cam.pose)
    }
}

/// MSAC score of a pinhole camera (no distortion) on pixels relative to the principal point:
/// `sum min(|r|^2, tau^2)`, points behind the camera cost `tau^2`. Stops once above `bound`.
pub(crate) fn score_pose(
    rotation: &Matrix3<f64>,
    translation: &Vector3<f64>,
    focal: f64,
    x: &[Vector2<f64>],
    xw: &[Vector3<f64>],
    threshold: f64,
    bound: f64,
) -> Score {
    let tau2 = threshold * threshold;
    let mut cost = 0.0;
    let mut inliers = 0;
    for (xi, wi) in x.iter().zip(xw) {
        let p = rotation * wi + translation;
        let s = if p.z > 0.0 {
            let iz = focal / p.z;
            let (ex, ey) = (p.x * iz - xi.x, p.y * iz - xi.y);
            ex * ex + ey * ey
        } else {
            f64::INFINITY
        };
        if s < tau2 {
            inliers += 1;
            cost += s;
        } else {
            cost += tau2;
        }
        if cost > bound {
            break;
        }
    }
    Score { inliers, cost }
}
