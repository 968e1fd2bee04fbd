//! Robust losses on squared residuals, for iteratively reweighted least squares.

/// A robust loss `rho(s)` of a squared residual `s` (pixels^2), with `rho(s) ~ s` for small
/// `s`. Its IRLS weight is `rho'(s)`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum RobustLoss {
    /// Plain least squares: `rho(s) = s`.
    #[default]
    Trivial,
    /// Huber with scale `c`: `s` below `c^2`, `2 c sqrt(s) - c^2` above.
    Huber {
        /// Scale in pixels.
        scale: f64,
    },
    /// Cauchy with scale `c`: `c^2 log(1 + s / c^2)`.
    Cauchy {
        /// Scale in pixels.
        scale: f64,
    },
    /// Truncated least squares: `min(s, tau^2)` (the MSAC cost; used for local
    /// optimisation inside RANSAC).
    Truncated {
        /// Threshold `tau` in pixels.
        threshold: f64,
    },
}

impl RobustLoss {
    /// `rho(s)`.
    #[inline]
    pub fn rho(&self, s: f64) -> f64 {
        match *self {
            Self::Trivial => s,
            Self::Huber { scale } => {
                let c2 = scale * scale;
                if s <= c2 { s } else { 2.0 * scale * s.sqrt() - c2 }
            }
            Self::Cauchy { scale } => {
                let c2 = scale * scale;
                c2 * (s / c2).ln_1p()
            }
            Self::Truncated { threshold } => s.min(threshold * threshold),
        }
    }

    /// The IRLS weight `rho'(s)`.
    #[inline]
    pub fn weight(&self, s: f64) -> f64 {
        match *self {
            Self::Trivial => 1.0,
            Self::Huber { scale } => {
                if s <= scale * scale {
                    1.0
                } else {
                    scale / s.sqrt()
                }
            }
            Self::Cauchy { scale } => 1.0 / (1.0 + s / (scale * scale)),
            Self::Truncated { threshold } => {
                if s < threshold * threshold {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_derivatives() {
        let losses = [
            RobustLoss::Trivial,
            RobustLoss::Huber { scale: 2.0 },
            RobustLoss::Cauchy { scale: 1.5 },
            RobustLoss::Truncated { threshold: 3.0 },
        ];
        for loss in losses {
            for s in [0.1, 1.0, 3.0, 7.5, 20.0] {
                let h = 1e-6;
                let d = (loss.rho(s + h) - loss.rho(s - h)) / (2.0 * h);
                assert!((d - loss.weight(s)).abs() < 1e-6, "{loss:?} at {s}");
            }
            assert!((loss.rho(1e-8) - 1e-8).abs() < 1e-12);
        }
    }
}
