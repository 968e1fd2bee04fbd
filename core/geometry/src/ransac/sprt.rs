//! SPRT model verification (O. Chum, J. Matas, "Optimal Randomized RANSAC", PAMI 2008):
//! a model is checked on data in random order and rejected as soon as the likelihood ratio
//! of "bad model" against "good model" exceeds a threshold `A`, so a wrong model costs a few
//! dozen residuals instead of all of them.
//!
//! With `epsilon` the probability that a datum is consistent with a good model and `delta`
//! the same for a bad one, each consistent datum multiplies the ratio by `delta / epsilon`
//! and each inconsistent one by `(1 - delta) / (1 - epsilon)`. The threshold minimising the
//! expected run time is the fixed point of `A = K + 1 + ln A` with
//! `K = t_M C / m_S` (paper, eq. 8-10): `t_M` the cost of generating a sample's models in
//! datum checks, `m_S` the mean number of models per sample and
//! `C = (1 - delta) ln((1 - delta) / (1 - epsilon)) + delta ln(delta / epsilon)`. A good
//! model is rejected with probability at most `1 / A` (Wald), which the caller folds into
//! its iteration count. `epsilon` is the inlier ratio of the best model so far (a lower
//! bound of a good model's, which errs towards accepting); `delta` is estimated from the
//! rejected models.

use rand::Rng;

/// Smallest number of data checked in rejected models before `delta` is re-estimated.
const MIN_DELTA_SAMPLES: u64 = 200;

/// SPRT state of one [`super::lo_ransac`] call.
#[derive(Debug, Clone)]
pub(crate) struct Sprt {
    epsilon: f64,
    delta: f64,
    a: f64,
    /// `t_M`: cost of one `generate` call in datum checks.
    model_cost: f64,
    /// Data in random order, and where the next check starts.
    order: Vec<usize>,
    next: usize,
    /// Data checked, and found consistent, in rejected models.
    rejected_checked: u64,
    rejected_consistent: u64,
}

impl Sprt {
    /// SPRT over `num_data` data (a seeded random order), with `t_M = model_cost`.
    pub(crate) fn new(num_data: usize, model_cost: f64, rng: &mut impl Rng) -> Self {
        let mut order: Vec<usize> = (0..num_data).collect();
        // Fisher-Yates.
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        Self {
            epsilon: 0.0,
            delta: 0.01,
            a: f64::INFINITY,
            model_cost,
            order,
            next: 0,
            rejected_checked: 0,
            rejected_consistent: 0,
        }
    }

    /// Upper bound of the probability of rejecting a good model, `1 / A`.
    pub(crate) fn false_rejection(&self) -> f64 {
        1.0 / self.a
    }

    /// Sets `epsilon` (the best model's inlier ratio) and recomputes `A` for `models_per_sample`.
    pub(crate) fn set_epsilon(&mut self, epsilon: f64, models_per_sample: f64) {
        self.epsilon = epsilon;
        self.update_threshold(models_per_sample);
    }

    /// Re-estimates `delta` from the rejected models if it moved by more than 10 %; returns
    /// whether `A` changed.
    pub(crate) fn update_delta(&mut self, models_per_sample: f64) -> bool {
        if self.rejected_checked < MIN_DELTA_SAMPLES {
            return false;
        }
        #[allow(clippy::cast_precision_loss)]
        let estimate = (self.rejected_consistent as f64 / self.rejected_checked as f64).max(1e-4);
        if (estimate - self.delta).abs() <= 0.1 * self.delta {
            return false;
        }
        self.delta = estimate;
        self.update_threshold(models_per_sample);
        true
    }

    fn update_threshold(&mut self, models_per_sample: f64) {
        let (e, d) = (self.epsilon, self.delta);
        if !(d < e && e < 1.0) {
            // The test cannot tell good from bad models: accept everything.
            self.a = f64::INFINITY;
            return;
        }
        let c = (1.0 - d) * ((1.0 - d) / (1.0 - e)).ln() + d * (d / e).ln();
        let k = self.model_cost * c / models_per_sample.max(1e-3);
        let mut a = k + 1.0;
        for _ in 0..10 {
            a = k + 1.0 + a.ln();
        }
        self.a = if a.is_finite() && a > 1.0 { a } else { f64::INFINITY };
    }

    /// Runs the test on a model: `consistent(i)` says whether datum `i` is an inlier.
    /// Returns `false` if the model is rejected.
    pub(crate) fn accepts(&mut self, mut consistent: impl FnMut(usize) -> bool) -> bool {
        let n = self.order.len();
        if !self.a.is_finite() || n == 0 {
            return true;
        }
        let up = (1.0 - self.delta) / (1.0 - self.epsilon);
        let down = self.delta / self.epsilon;
        let mut lambda = 1.0;
        let mut hits = 0u64;
        for j in 0..n {
            let i = self.order[(self.next + j) % n];
            if consistent(i) {
                hits += 1;
                lambda *= down;
            } else {
                lambda *= up;
            }
            if lambda > self.a {
                self.next = (self.next + j + 1) % n;
                self.rejected_checked += j as u64 + 1;
                self.rejected_consistent += hits;
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn rejects_bad_models_early_and_keeps_good_ones() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut sprt = Sprt::new(1000, 100.0, &mut rng);
        sprt.set_epsilon(0.2, 1.0);
        assert!(sprt.false_rejection() > 0.0 && sprt.false_rejection() < 0.2);
        // A good model: every 5th datum an inlier.
        let good = |i: usize| i.is_multiple_of(5);
        let kept = (0..200).filter(|_| sprt.accepts(good)).count();
        assert!(kept >= 180, "good model kept {kept} / 200");
        // A bad model: one datum in 40; rejected after far fewer than 1000 checks.
        let before = sprt.rejected_checked;
        let bad = |i: usize| i % 40 == 7;
        let kept = (0..200).filter(|_| sprt.accepts(bad)).count();
        let per_model = (sprt.rejected_checked - before) as f64 / 200.0;
        assert!(kept == 0 && per_model < 100.0, "kept {kept}, {per_model} checks per model");
        // delta moves from its initial 0.01 to about 1 / 40.
        assert!(sprt.update_delta(1.0));
        assert!((sprt.delta - 0.025).abs() < 0.01, "{}", sprt.delta);
        // Without separation (epsilon <= delta) nothing is rejected.
        sprt.set_epsilon(0.005, 1.0);
        assert!(sprt.accepts(bad) && sprt.false_rejection() == 0.0);
    }
}
