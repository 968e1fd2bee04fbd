//! # lsar-vision
//!
//! Images and learned features for lsar: decoding and resizing, a Gaussian pyramid, DoG and
//! grid keypoints, FOV-normalised 64x64 patches, descriptors (the LandscapeAR two-branch
//! network in candle, a SIFT-like baseline, HardTFeat) and descriptor matching.
//! It knows nothing of region packs.
//!
//! Pixel (0, 0) is the centre of the top-left pixel; a resize by `s` maps
//! `x' = (x + 0.5) s - 0.5` (DESIGN.md). Image values are `f32` in `[0, 1]`.
//!
//! The query side of the pipeline, step by step:
//! ```text
//! let img = Image::decode(&jpeg_bytes)?;                                  // RGB, [0, 1]
//! let kps = keypoints::detect_dog(&img, &DogConfig::default(), None)?;    // Lowe 2004
//! let patches = PatchExtractor::new(&img, hfov, &PatchConfig::default())?.extract(&kps)?;
//! let net = descriptor::weights::load_from_file(&Config::default(), path, DType::F32,
//!                                               &select_device())?;
//! let query = net.branch(Branch::Photo).describe(&patches)?;             // N x 128
//! let matches = match_descriptors(&query, &rendered, &MatchOptions::default())?;
//! ```
#![deny(missing_docs)]

pub mod descriptor;
pub mod device;
pub mod error;
mod filter;
pub mod image;
pub mod keypoints;
pub mod matching;
pub mod patches;
pub mod pyramid;

pub use descriptor::cpu::{Backend, SimdLevel};
pub use descriptor::hardtfeat::HardTFeat;
pub use descriptor::net::{Branch, BranchNet, Config, DescriptorNet};
pub use descriptor::sift::SiftDescriptor;
pub use descriptor::{Descriptor, Descriptors};
pub use device::select_device;
pub use error::{Result, VisionError};
pub use image::Image;
pub use keypoints::{Keypoint, SkyMask};
pub use matching::{Match, MatchOptions, knn_matches, match_descriptors};
pub use patches::{PatchConfig, PatchExtractor, Patches};
