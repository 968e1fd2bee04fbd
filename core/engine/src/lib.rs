//! # lsar-core
//!
//! The public Rust API of lsar: the [`Localizer`] (photo + region packs + priors -> camera
//! pose, FOV and the peaks in view, [`localizer`]), POI visibility and overlay projection
//! ([`overlay`]), and the live [`Tracker`] that fuses phone sensors with visual fixes between
//! localizations ([`tracker`]); it composes lsar-geometry, lsar-vision and lsar-pack, which it
//! re-exports.
#![deny(missing_docs)]

pub mod error;
pub mod localizer;
pub mod overlay;
pub mod tracker;

pub use error::{CoreError, Result};
pub use localizer::{
    CancelToken, DescriptorModel, Localization, Localizer, LocalizerOptions, NotLocalized, Outcome,
    Priors, QueryFeatures, Reason,
};
pub use overlay::{Label, OverlayOptions, Poi, overlay_labels};
pub use tracker::{Tracker, TrackerOptions, VisualFix};

pub use lsar_geometry as geometry;
pub use lsar_pack as pack;
pub use lsar_vision as vision;
