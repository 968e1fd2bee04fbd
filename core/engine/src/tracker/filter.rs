//! The tracker's attitude filter: a multiplicative (error-state) extended Kalman filter on the
//! camera orientation, the gyroscope bias and the compass bias.
//!
//! ## Model
//! Nominal state: `q = R_enu_from_cam` (unit quaternion), gyro bias `b` (rad/s, camera frame),
//! compass bias `c` (rad, compass yaw minus true yaw). Error state (7): `x = [dtheta, db, dc]`
//! with the attitude error in the *world* (ENU) frame, `R_true = Exp(dtheta) R_hat`.
//!
//! - Propagation over `dt` with a measured body rotation `phi_m = omega_m dt` (rad, camera
//!   frame): `q <- q Exp(phi_m - b dt)` (first-order quaternion integration of
//!   `q' = 1/2 q (x) omega`, Trawny & Roumeliotis, "Indirect Kalman Filter for 3D Attitude
//!   Estimation", 2005, sec. 1.5; Sola, "Quaternion kinematics for the error-state Kalman
//!   filter", 2017, sec. 5.3.3 and 7). Error dynamics `dtheta' = -R db + noise`, so
//!   `F = [[I, -R dt, 0], [0, I, 0], [0, 0, 1]]`; process noise `Q_theta = s_arw^2 dt I`
//!   (angle random walk), `Q_b = s_bw^2 dt I` (bias random walk), `Q_c = s_cw^2 dt`. The
//!   gyro scale-factor error is systematic (error = scale error x rotation), not white: the
//!   fix schedule adds it to the predicted drift instead (see [`super::schedule`]).
//! - Visual fix, measured `R_fix` carried to the present through the gyro chain: residual
//!   `r = Log(R_fix B R_hat^T)`, `H = [I W 0]` (`W`: see [`super::fix`]).
//! - Gravity `g` (unit, down, camera frame): `g = R_hat^T Exp(-dtheta) d` with `d = (0,0,-1)`
//!   gives `H_theta = R_hat^T [d]x`.
//! - Gyro bias from a still stretch's mean rate ([`super::still`]): `z = b + n`,
//!   `H = [0 I 0]`.
//! - Compass `z = yaw + c`: with `f = R_hat e_z`, `yaw = atan2(f_x, f_y)`, `df = -[f]x
//!   dtheta`, `H_theta = -(f_y, -f_x, 0) [f]x / (f_x^2 + f_y^2)`, `H_c = 1`.
//!
//! Updates use the Joseph form `P = (I - K H) P (I - K H)^T + K R K^T` (Bar-Shalom, Li,
//! Kirubarajan, "Estimation with Applications to Tracking and Navigation", 2001, sec. 5.2);
//! the error is injected into the nominal state and reset to zero (the reset Jacobian is the
//! identity to first order for a world-frame error, Markley, "Attitude Error Representations
//! for Kalman Filtering", JGCD 2003). Before a fix, yaw and compass bias are only observed as
//! their sum; the first fix separates them through the covariance, and the gyro bias
//! follows from the drift seen between fixes (and from gravity for the horizontal axes).

use nalgebra::{Matrix3, SMatrix, UnitQuaternion, Vector3};

/// 7x7 covariance of the error state.
type Cov = SMatrix<f64, 7, 7>;

/// Noise model and priors of the filter (all one-sigma).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseModel {
    /// Gyro angle random walk (white rate noise density), rad/s/sqrt(Hz). Default 3e-4
    /// (phone MEMS gyros: 1e-4 to 3e-4).
    pub gyro_noise_rad_s_sqrt_hz: f64,
    /// Prior sigma of each gyro bias component, rad/s. Default 0.02 (uncalibrated phone
    /// gyros: 0.01 to 0.05; OS-calibrated ones leave about 0.003).
    pub gyro_bias_sigma_rad_s: f64,
    /// Prior mean of the gyro bias, rad/s, camera frame. Default zero. The bias of a phone's
    /// gyro changes slowly (temperature), so an app that stores the estimate of the previous
    /// session ([`super::Tracker::gyro_bias`]) can start from it with a smaller
    /// `gyro_bias_sigma_rad_s` (e.g. 0.003): the first fixes then need not reveal it.
    pub gyro_bias_prior_rad_s: Vector3<f64>,
    /// Gyro bias random walk, rad/s/sqrt(s). Default 1e-4.
    pub gyro_bias_walk_rad_s_sqrt_s: f64,
    /// Orientation random walk when a frame brings no rotation, rad/sqrt(s). Default 0.05.
    pub unaided_rad_sqrt_s: f64,
    /// Prior sigma of pitch and roll from gravity, degrees. Default 2.
    pub tilt_sigma_deg: f64,
    /// Noise of one gravity reading used by the filter, degrees. Default 1.5 (conservative:
    /// hand accelerations and accelerometer misalignment do not average out).
    pub gravity_sigma_deg: f64,
    /// Noise of one compass reading used by the filter, degrees. Default 3.
    pub compass_sigma_deg: f64,
    /// Prior sigma of the compass bias, degrees. Default 10 (phones are off by 5-10).
    pub compass_bias_sigma_deg: f64,
    /// Compass bias random walk, degrees/sqrt(s). Default 0.02.
    pub compass_bias_walk_deg_sqrt_s: f64,
}

impl Default for NoiseModel {
    fn default() -> Self {
        Self {
            gyro_noise_rad_s_sqrt_hz: 3e-4,
            gyro_bias_sigma_rad_s: 0.02,
            gyro_bias_prior_rad_s: Vector3::zeros(),
            gyro_bias_walk_rad_s_sqrt_s: 1e-4,
            unaided_rad_sqrt_s: 0.05,
            tilt_sigma_deg: 2.0,
            gravity_sigma_deg: 1.5,
            compass_sigma_deg: 3.0,
            compass_bias_sigma_deg: 10.0,
            compass_bias_walk_deg_sqrt_s: 0.02,
        }
    }
}

/// A correction applied to the orientation: `R_new = delta R_old` (world frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Correction {
    /// The world-frame rotation applied.
    pub delta: UnitQuaternion<f64>,
}

/// The multiplicative EKF (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttitudeFilter {
    enu_from_cam: UnitQuaternion<f64>,
    gyro_bias: Vector3<f64>,
    compass_bias: f64,
    cov: Cov,
    noise: NoiseModel,
    estimate_bias: bool,
}

impl AttitudeFilter {
    /// A filter at a sensor-only orientation (yaw from the compass: its sigma is the compass
    /// bias prior, fully correlated with the compass bias state).
    pub fn new(enu_from_cam: UnitQuaternion<f64>, noise: NoiseModel, estimate_bias: bool) -> Self {
        let mut cov = Cov::zeros();
        let tilt = noise.tilt_sigma_deg.to_radians().powi(2);
        let cb = noise.compass_bias_sigma_deg.to_radians().powi(2);
        let yaw = cb + noise.compass_sigma_deg.to_radians().powi(2);
        cov[(0, 0)] = tilt;
        cov[(1, 1)] = tilt;
        cov[(2, 2)] = yaw;
        // yaw = compass - c and dtheta_z = -dyaw, so cov(dtheta_z, dc) = +var(c).
        cov[(2, 6)] = cb;
        cov[(6, 2)] = cb;
        cov[(6, 6)] = cb;
        if estimate_bias {
            let b = noise.gyro_bias_sigma_rad_s.powi(2);
            for i in 3..6 {
                cov[(i, i)] = b;
            }
        }
        Self {
            enu_from_cam,
            gyro_bias: if estimate_bias { noise.gyro_bias_prior_rad_s } else { Vector3::zeros() },
            compass_bias: 0.0,
            cov,
            noise,
            estimate_bias,
        }
    }

    /// `R_enu_from_cam`.
    pub fn enu_from_cam(&self) -> UnitQuaternion<f64> {
        self.enu_from_cam
    }

    /// Gyro bias estimate, rad/s, camera frame.
    pub fn gyro_bias(&self) -> Vector3<f64> {
        self.gyro_bias
    }

    /// Compass bias estimate, radians (compass minus true yaw).
    pub fn compass_bias(&self) -> f64 {
        self.compass_bias
    }

    /// Sigma of the compass bias, radians.
    pub fn compass_bias_sigma(&self) -> f64 {
        self.cov[(6, 6)].max(0.0).sqrt()
    }

    /// Attitude error covariance (world frame, rad^2).
    pub fn attitude_cov(&self) -> Matrix3<f64> {
        self.cov.fixed_view::<3, 3>(0, 0).into_owned()
    }

    /// Largest standard deviation of the attitude error over all axes, radians (the square
    /// root of the covariance's trace bounds it).
    pub fn attitude_sigma(&self) -> f64 {
        self.attitude_cov().trace().max(0.0).sqrt()
    }

    /// Norm of the gyro bias sigma, rad/s.
    pub fn gyro_bias_sigma(&self) -> f64 {
        self.cov.fixed_view::<3, 3>(3, 3).trace().max(0.0).sqrt()
    }

    /// Propagates over `dt` seconds with a measured body rotation `phi_m` (rad, camera frame),
    /// or none (the orientation is held, its uncertainty grows). Returns the body rotation
    /// applied (`R_prev^T R_new`, bias removed).
    pub fn propagate(&mut self, phi_m: Option<Vector3<f64>>, dt: f64) -> UnitQuaternion<f64> {
        let mut applied = UnitQuaternion::identity();
        let dt = dt.max(0.0);
        let n = self.noise;
        let mut f = Cov::identity();
        let q_theta = match phi_m {
            Some(phi) => {
                let bias = if self.estimate_bias { self.gyro_bias * dt } else { Vector3::zeros() };
                let rot = self.enu_from_cam.to_rotation_matrix().into_inner();
                applied = UnitQuaternion::from_scaled_axis(phi - bias);
                self.enu_from_cam *= applied;
                if self.estimate_bias {
                    f.fixed_view_mut::<3, 3>(0, 3).copy_from(&(-rot * dt));
                }
                n.gyro_noise_rad_s_sqrt_hz.powi(2) * dt
            }
            None => n.unaided_rad_sqrt_s.powi(2) * dt,
        };
        self.cov = f * self.cov * f.transpose();
        for i in 0..3 {
            self.cov[(i, i)] += q_theta;
        }
        if self.estimate_bias {
            for i in 3..6 {
                self.cov[(i, i)] += n.gyro_bias_walk_rad_s_sqrt_s.powi(2) * dt;
            }
        }
        self.cov[(6, 6)] += n.compass_bias_walk_deg_sqrt_s.to_radians().powi(2) * dt;
        applied
    }

    /// Forgets the attitude: its covariance becomes `sigma^2 I` (rad), uncorrelated with the
    /// biases (after the track was found wrong).
    pub fn reset_attitude(&mut self, sigma: f64) {
        for i in 0..3 {
            for j in 0..7 {
                self.cov[(i, j)] = 0.0;
                self.cov[(j, i)] = 0.0;
            }
            self.cov[(i, i)] = sigma * sigma;
        }
    }

    /// The attitude measurement model: `H = [I, W, 0]` with `W = R_hat v` for a fix whose
    /// body rotation to the present was integrated over a window with integral `v` (see
    /// [`super::fix`]; `v = 0` for a measurement of the present attitude).
    fn attitude_h(&self, v: &Matrix3<f64>) -> SMatrix<f64, 3, 7> {
        let mut h = SMatrix::<f64, 3, 7>::zeros();
        h.fixed_view_mut::<3, 3>(0, 0).copy_from(&Matrix3::identity());
        if self.estimate_bias {
            let w = self.enu_from_cam.to_rotation_matrix().into_inner() * v;
            h.fixed_view_mut::<3, 3>(0, 3).copy_from(&w);
        }
        h
    }

    /// Residual (rad, world frame) and squared Mahalanobis distance of a measured attitude
    /// with noise `sigma` (rad per axis) and window integral `v` (see [`Self::attitude_h`]).
    pub fn attitude_innovation(
        &self,
        meas: &UnitQuaternion<f64>,
        sigma: f64,
        v: &Matrix3<f64>,
    ) -> (Vector3<f64>, f64) {
        let r = (meas * self.enu_from_cam.inverse()).scaled_axis();
        let h = self.attitude_h(v);
        let s = h * self.cov * h.transpose() + Matrix3::identity() * sigma * sigma;
        let d2 = s.try_inverse().map_or(f64::INFINITY, |si| (r.transpose() * si * r)[(0, 0)]);
        (r, d2)
    }

    /// Updates with a measured attitude `R_enu_from_cam` of noise `sigma` rad per axis and
    /// window integral `v` (see [`Self::attitude_h`]).
    pub fn update_attitude(
        &mut self,
        meas: &UnitQuaternion<f64>,
        sigma: f64,
        v: &Matrix3<f64>,
    ) -> Option<Correction> {
        let r = (meas * self.enu_from_cam.inverse()).scaled_axis();
        let h = self.attitude_h(v);
        self.update3(&r, &h, sigma * sigma, None)
    }

    /// Updates with a gravity reading (down, camera frame, any length) of noise `sigma` rad;
    /// skipped (None) beyond a chi-square gate of `gate` (3 dof).
    pub fn update_gravity(
        &mut self,
        g: &Vector3<f64>,
        sigma: f64,
        gate: f64,
    ) -> Option<Correction> {
        let n = g.norm();
        if !(n.is_finite() && n > 1e-9) {
            return None;
        }
        let d = Vector3::new(0.0, 0.0, -1.0);
        let cam_from_enu = self.enu_from_cam.inverse().to_rotation_matrix().into_inner();
        let r = g / n - cam_from_enu * d;
        let mut h = SMatrix::<f64, 3, 7>::zeros();
        h.fixed_view_mut::<3, 3>(0, 0).copy_from(&(cam_from_enu * d.cross_matrix()));
        self.update3(&r, &h, sigma * sigma, Some(gate))
    }

    /// Updates with a compass yaw (rad, clockwise from north) of noise `sigma` rad; skipped
    /// near the vertical (yaw undefined) and beyond a chi-square gate of `gate` (1 dof).
    pub fn update_compass(&mut self, yaw: f64, sigma: f64, gate: f64) -> Option<Correction> {
        let f = self.enu_from_cam * Vector3::z();
        let h2 = f.x * f.x + f.y * f.y;
        if !yaw.is_finite() || h2 < 0.05 {
            return None;
        }
        let pred = f.x.atan2(f.y) + self.compass_bias;
        let r = (yaw - pred + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
            - std::f64::consts::PI;
        let g = Vector3::new(f.y, -f.x, 0.0) / h2;
        let h_theta = -(g.transpose() * f.cross_matrix());
        let mut h = SMatrix::<f64, 1, 7>::zeros();
        h.fixed_view_mut::<1, 3>(0, 0).copy_from(&h_theta);
        h[(0, 6)] = 1.0;
        let s = (h * self.cov * h.transpose())[(0, 0)] + sigma * sigma;
        if s.is_nan() || s <= 0.0 || r * r / s > gate {
            return None;
        }
        let k = self.cov * h.transpose() / s;
        let dx = k * r;
        let ikh = Cov::identity() - k * h;
        self.cov = ikh * self.cov * ikh.transpose() + k * k.transpose() * (sigma * sigma);
        Some(self.inject(&dx))
    }

    /// Updates with a measurement of the gyro bias (rad/s, camera frame; a still stretch's
    /// mean rate, see [`super::still`]) of noise `sigma` rad/s per axis: `H = [0 I 0]`.
    /// Skipped (None) when the bias is not estimated or beyond a chi-square gate of `gate`
    /// (3 dof).
    pub fn update_gyro_bias(
        &mut self,
        bias: &Vector3<f64>,
        sigma: f64,
        gate: f64,
    ) -> Option<Correction> {
        if !self.estimate_bias {
            return None;
        }
        let r = bias - self.gyro_bias;
        let mut h = SMatrix::<f64, 3, 7>::zeros();
        h.fixed_view_mut::<3, 3>(0, 3).copy_from(&Matrix3::identity());
        self.update3(&r, &h, sigma * sigma, Some(gate))
    }

    /// A three-dimensional Kalman update (see the module docs); `gate`: chi-square limit.
    fn update3(
        &mut self,
        r: &Vector3<f64>,
        h: &SMatrix<f64, 3, 7>,
        var: f64,
        gate: Option<f64>,
    ) -> Option<Correction> {
        let noise = Matrix3::identity() * var;
        let s = h * self.cov * h.transpose() + noise;
        let si = s.try_inverse()?;
        if gate.is_some_and(|g| (r.transpose() * si * r)[(0, 0)] > g) {
            return None;
        }
        let k = self.cov * h.transpose() * si;
        let dx = k * r;
        let ikh = Cov::identity() - k * h;
        self.cov = ikh * self.cov * ikh.transpose() + k * noise * k.transpose();
        self.cov = (self.cov + self.cov.transpose()) * 0.5;
        Some(self.inject(&dx))
    }

    /// Moves the error estimate into the nominal state.
    fn inject(&mut self, dx: &SMatrix<f64, 7, 1>) -> Correction {
        let delta = UnitQuaternion::from_scaled_axis(Vector3::new(dx[0], dx[1], dx[2]));
        self.enu_from_cam = delta * self.enu_from_cam;
        if self.estimate_bias {
            self.gyro_bias += Vector3::new(dx[3], dx[4], dx[5]);
        }
        self.compass_bias += dx[6];
        Correction { delta }
    }
}
