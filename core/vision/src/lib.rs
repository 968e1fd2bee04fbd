//! # lsar-vision
//!
//! Images and learned features for lsar: decoding and resizing, a Gaussian pyramid, DoG and
//! grid keypoints, FOV-normalised 64x64 patches, descriptors (the LandscapeAR two-branch
//! network in candle, a SIFT-like baseline, HardTFeat) and descriptor matching.
//! It knows nothing of region packs.
#![deny(missing_docs)]
