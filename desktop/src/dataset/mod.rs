//! Training data for the cross-domain descriptor: pair shards (the on-disk format), their
//! in-memory form for training, and their generation from DEMs with the CPU renderer.
//!
//! A sample is one 3D terrain point seen from two viewpoints A and B: a photo-style and a
//! render-style 64x64 FOV-normalised patch from each view (LandscapeAR, Brejcha et al.,
//! ECCV 2020, section 4). The anchor is the photo patch of A, the positive the render patch of
//! B; the other two feed the optional auxiliary photo-photo and render-render terms.
//! [`policy`] says which terrain and appearance may be trained on.

mod error;
mod generate;
mod pairs;
pub mod policy;
mod shard;
mod store;

pub use error::{DatasetError, Result};
pub use generate::{GenerateReport, GenerateSpec, check_split_consistency, generate};
pub use pairs::{
    PairGenerator, PairParams, PairSamples, Sampling, pack_keypoints, photo_keypoints,
    sampler_query_options,
};
pub use shard::{
    PairShard, SHARD_FORMAT, SHARD_VERSION, Split, read_shard, read_shard_metadata,
    shard_from_bytes, shard_to_bytes, write_shard,
};
pub use store::{PairDataset, PatchSet, PointTag, shard_paths};
