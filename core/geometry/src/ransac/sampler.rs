//! Minimal-sample generators: uniform, and PROSAC (Chum, Matas, "Matching with PROSAC -
//! progressive sample consensus", CVPR 2005), which draws first from the best-ranked data.

use rand::Rng;

/// How samples are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sampling {
    /// Every minimal sample equally likely.
    #[default]
    Uniform,
    /// PROSAC: the data are sorted best first (e.g. by descriptor distance) and samples grow
    /// from the top of the list; uniform once the whole list is in play.
    Prosac,
}

/// Draws minimal samples of distinct indices in `0..num_data`.
#[derive(Debug, Clone)]
pub struct Sampler {
    kind: Sampling,
    num_data: usize,
    sample_size: usize,
    /// PROSAC state: size of the current top subset `n`, iteration `t`, `T_n` and `T'_n`.
    subset: usize,
    t: u64,
    t_n: f64,
    t_n_prime: u64,
}

impl Sampler {
    /// A sampler for `num_data` data and samples of `sample_size`. `max_draws` is PROSAC's
    /// `T_N`, the number of draws after which it must have become uniform.
    pub fn new(kind: Sampling, num_data: usize, sample_size: usize, max_draws: u64) -> Self {
        let m = sample_size;
        // T_m = T_N prod_{i<m} (m - i) / (N - i): expected draws of an m-subset in T_N.
        let mut t_n = max_draws.max(1) as f64;
        for i in 0..m.min(num_data) {
            t_n *= (m - i) as f64 / (num_data - i) as f64;
        }
        Self { kind, num_data, sample_size, subset: m, t: 0, t_n, t_n_prime: 1 }
    }

    /// Fills `sample` (length = sample size) with distinct indices. Returns `false` if there
    /// are fewer data than the sample size.
    pub fn draw(&mut self, rng: &mut impl Rng, sample: &mut [usize]) -> bool {
        let (n, m) = (self.num_data, self.sample_size);
        if n < m || sample.len() != m || m == 0 {
            return false;
        }
        match self.kind {
            Sampling::Uniform => draw_distinct(rng, n, sample),
            Sampling::Prosac => {
                self.t += 1;
                if self.t >= self.t_n_prime && self.subset < n {
                    // Grow the subset: T_{n+1} = T_n (n + 1) / (n + 1 - m).
                    let next = self.t_n * (self.subset + 1) as f64 / (self.subset + 1 - m) as f64;
                    self.t_n_prime += (next - self.t_n).ceil().max(1.0) as u64;
                    self.t_n = next;
                    self.subset += 1;
                }
                if self.subset >= n || self.t_n_prime < self.t {
                    draw_distinct(rng, self.subset.min(n), sample);
                } else {
                    // m - 1 from the top n - 1, plus the n-th.
                    draw_distinct(rng, self.subset - 1, &mut sample[..m - 1]);
                    sample[m - 1] = self.subset - 1;
                }
            }
        }
        true
    }
}

/// `sample.len()` distinct indices uniformly from `0..n` (rejection; samples are small).
fn draw_distinct(rng: &mut impl Rng, n: usize, sample: &mut [usize]) {
    for i in 0..sample.len() {
        loop {
            let v = rng.random_range(0..n);
            if !sample[..i].contains(&v) {
                sample[i] = v;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn samples_are_distinct_and_in_range() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for kind in [Sampling::Uniform, Sampling::Prosac] {
            let mut s = Sampler::new(kind, 20, 4, 1000);
            let mut sample = [0; 4];
            for _ in 0..2000 {
                assert!(s.draw(&mut rng, &mut sample));
                for (i, a) in sample.iter().enumerate() {
                    assert!(*a < 20 && !sample[..i].contains(a));
                }
            }
        }
        let mut s = Sampler::new(Sampling::Uniform, 3, 4, 10);
        assert!(!s.draw(&mut rng, &mut [0; 4]));
    }

    #[test]
    fn prosac_starts_at_the_top() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let mut s = Sampler::new(Sampling::Prosac, 1000, 3, 100_000);
        let mut sample = [0; 3];
        for _ in 0..20 {
            s.draw(&mut rng, &mut sample);
            assert!(sample.iter().all(|&i| i < 50), "{sample:?}");
        }
    }
}
