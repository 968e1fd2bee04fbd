//! Seeded lattice value noise and fractal sums (deterministic across platforms: integer
//! hashing, no global state).

/// Smooth value noise in [0, 1] on the integer lattice hashed with `seed`.
pub(crate) fn value_noise(seed: u64, x: f64, y: f64) -> f32 {
    let hash = |i: i64, j: i64| {
        let mut h = seed
            ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        h ^= h >> 29;
        h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 32;
        (h & 0xFFFF) as f32 / 65535.0
    };
    let (fx, fy) = (x.floor(), y.floor());
    let (i, j) = (fx as i64, fy as i64);
    let (tx, ty) = ((x - fx) as f32, (y - fy) as f32);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let a = hash(i, j) + sx * (hash(i + 1, j) - hash(i, j));
    let b = hash(i, j + 1) + sx * (hash(i + 1, j + 1) - hash(i, j + 1));
    a + sy * (b - a)
}

/// Fractal (fBm) sum of `octaves` octaves of value noise, normalised to [0, 1].
pub(crate) fn fbm(seed: u64, x: f64, y: f64, octaves: u32) -> f32 {
    let (mut sum, mut amp, mut freq, mut norm) = (0.0, 0.5, 1.0, 0.0);
    for o in 0..octaves {
        sum += amp * value_noise(seed.wrapping_add(u64::from(o)), x * freq, y * freq);
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / norm
}

/// Ridged multifractal noise in [0, 1]: sharp crests where the noise crosses its middle,
/// each octave weighted by the previous one (Musgrave's ridged multifractal, simplified).
pub(crate) fn ridged(seed: u64, x: f64, y: f64, octaves: u32) -> f32 {
    let (mut sum, mut amp, mut freq, mut norm, mut weight) = (0.0, 0.5, 1.0, 0.0, 1.0_f32);
    for o in 0..octaves {
        let n = value_noise(seed.wrapping_add(100 + u64::from(o)), x * freq, y * freq);
        let r = 1.0 - (2.0 * n - 1.0).abs();
        let r = r * r * weight;
        weight = (r * 2.0).clamp(0.0, 1.0);
        sum += amp * r;
        norm += amp;
        amp *= 0.5;
        freq *= 2.1;
    }
    sum / norm
}
