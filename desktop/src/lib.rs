//! # lsar-desktop
//!
//! The library side of the `lsar` desktop tool: everything that prepares data for the
//! phone. It will hold DEM ingest (SRTM `.hgt`, GeoTIFF, Esri ASCII), the CPU terrain
//! renderer, the region-pack builder, training-data generation, descriptor training, COLMAP
//! driving and evaluation. The `lsar` binary (`src/main.rs`, `src/cli/`) is a thin clap
//! front end over these modules.
#![deny(missing_docs)]

pub mod dataset;
pub mod default_model;
pub mod dem;
pub mod eval;
pub mod exif;
pub mod overlay_draw;
pub mod pack_build;
pub mod render;
pub mod synth;
pub mod train;
