//! # lsar-core
//!
//! The public Rust API of lsar. It will hold the `Localizer` (photo + region packs + priors
//! -> camera pose, FOV and the peaks in view), the sensor tracker, and POI visibility and
//! overlay projection, composing lsar-geometry, lsar-vision and lsar-pack. Today it holds
//! the peak overlay ([`overlay`]) and re-exports the foundations.
#![deny(missing_docs)]

pub mod error;
pub mod overlay;

pub use error::{CoreError, Result};
pub use overlay::{Label, OverlayOptions, Poi, overlay_labels};

pub use lsar_geometry as geometry;
pub use lsar_pack as pack;
pub use lsar_vision as vision;
