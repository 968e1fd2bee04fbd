//! Integration tests of lsar-vision (one binary; modules per topic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod dog_fast;
mod dog_reference;
mod fast;
mod hardtfeat;
mod matching;
mod net;
mod patches;
mod reference;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `n` random RGB 64x64 patches with values in [0, 1] (NCHW).
pub fn random_patches(n: usize, seed: u64) -> lsar_vision::Patches {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = (0..n * 3 * 64 * 64).map(|_| rng.random_range(0.0f32..1.0)).collect();
    lsar_vision::Patches::new(64, 3, data).unwrap()
}

/// The shared data folder, or `None` (with a message) when it is absent.
pub fn shared_data() -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: shared data not found at {}", p.display());
        None
    }
}
