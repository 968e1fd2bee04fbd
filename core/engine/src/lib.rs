//! # lsar-core
//!
//! The public Rust API of lsar. It will hold the `Localizer` (photo + region packs + priors
//! -> camera pose, FOV and the peaks in view), the sensor tracker, and POI visibility and
//! overlay projection, composing lsar-geometry, lsar-vision and lsar-pack. Today it
//! re-exports the geometric foundations.
#![deny(missing_docs)]

pub use lsar_geometry as geometry;
pub use lsar_pack as pack;
pub use lsar_vision as vision;
