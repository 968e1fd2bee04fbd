//! Which terrain and appearance may be trained on.
//!
//! - **Reserved for evaluation** (never in training data, refused by [`check_trainable`]):
//!   procedural terrain with seeds `>= 1000` and anything in Colorado (the Front Range grids
//!   of `shared/data/dem`). Training terrain: procedural seeds below 1000 and the SRTM tile
//!   N44E005.
//! - **Train/validation split by region** ([`default_split`]): procedural seeds with
//!   `seed % 5 == 4` are validation, other seeds and DEM tiles training, so validation terrain
//!   is never seen in training. A directory never holds one region in both splits
//!   (checked by the generator).
//! - **Held-out appearance**: the photo style's palette [`HELD_OUT_PALETTE`] is used only in
//!   the validation split; training views use the other palettes ([`photo_seed_for`]).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::error::{DatasetError, Result};
use super::shard::Split;
use crate::dem::LatLonBounds;

/// Procedural seeds from here on are reserved for evaluation.
pub const FIRST_EVAL_SEED: u64 = 1000;

/// Colorado's extent (south, north, west, east), slightly padded.
const COLORADO: (f64, f64, f64, f64) = (36.9, 41.1, -109.1, -102.0);

/// Palettes of the renderer's photo style (`render/photo.rs`, `PALETTES`).
pub const PHOTO_PALETTES: usize = 4;

/// The photo palette kept out of training and used for validation only.
pub const HELD_OUT_PALETTE: usize = 3;

/// Where the terrain comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TerrainSource {
    /// Procedural terrain ([`crate::synth`]) with this seed.
    Synth {
        /// The seed.
        seed: u64,
    },
    /// DEM files; `name` is the region name (e.g. the tile name `N44E005`).
    Dem {
        /// Region name.
        name: String,
    },
}

impl TerrainSource {
    /// The region name stored in shards: `synth-<seed>` or the DEM name.
    pub fn region_name(&self) -> String {
        match self {
            Self::Synth { seed } => format!("synth-{seed}"),
            Self::Dem { name } => name.clone(),
        }
    }
}

/// Refuses terrain reserved for evaluation.
///
/// # Errors
/// [`DatasetError::ReservedForEvaluation`] for procedural seeds `>= 1000`, DEMs overlapping
/// Colorado, or names that say Colorado / Front Range.
pub fn check_trainable(source: &TerrainSource, bounds: Option<&LatLonBounds>) -> Result<()> {
    let region = source.region_name();
    let reserved = match source {
        TerrainSource::Synth { seed } => *seed >= FIRST_EVAL_SEED,
        TerrainSource::Dem { name } => {
            let n = name.to_ascii_lowercase();
            let named =
                n.contains("colorado") || n.contains("front_range") || n.contains("frontrange");
            let (s, no, w, e) = COLORADO;
            let inside =
                bounds.is_some_and(|b| b.south < no && b.north > s && b.west < e && b.east > w);
            named || inside
        }
    };
    if reserved {
        return Err(DatasetError::ReservedForEvaluation { region });
    }
    Ok(())
}

/// The split a region belongs to by default.
pub fn default_split(source: &TerrainSource) -> Split {
    match source {
        TerrainSource::Synth { seed } if seed % 5 == 4 => Split::Val,
        _ => Split::Train,
    }
}

/// The palette the photo style picks for `seed`. This mirrors the first draw of
/// `render/photo.rs` (`ChaCha8Rng::seed_from_u64(seed)`, then an index below
/// [`PHOTO_PALETTES`]); keep the two in step when the photo style changes.
pub fn photo_palette(seed: u64) -> usize {
    ChaCha8Rng::seed_from_u64(seed).random_range(0..PHOTO_PALETTES)
}

/// A photo-style seed for a view of `split`: training views never get
/// [`HELD_OUT_PALETTE`], validation views always do.
pub fn photo_seed_for<R: Rng>(split: Split, rng: &mut R) -> u64 {
    loop {
        let seed: u64 = rng.random();
        let held_out = photo_palette(seed) == HELD_OUT_PALETTE;
        if held_out == (split == Split::Val) {
            return seed;
        }
    }
}
