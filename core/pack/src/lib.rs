//! # lsar-pack
//!
//! The region pack: the single file a phone downloads for offline localization. This crate
//! holds the format (specified in `FORMAT.md` beside this crate's `Cargo.toml`), a streaming
//! [`PackWriter`] that renames the finished file into place, and a zero-copy [`PackReader`]
//! (memory map or bytes) that validates the structure on open without reading the bulk
//! sections and checks every byte in [`PackReader::verify`]. It knows nothing of candle.
//!
//! ```no_run
//! # fn main() -> lsar_pack::Result<()> {
//! use lsar_pack::PackReader;
//! let pack = PackReader::open("region.lsarpack", None)?;
//! let mut near = Vec::new();
//! pack.viewpoints_within([1200.0, -300.0], 2000.0, &mut near);
//! for &vp in &near {
//!     for view in pack.viewpoint_views(vp as usize)? {
//!         let _ = view.yaw_deg;
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! All stored positions are in metres in the local ENU frame of the pack origin
//! ([`PackReader::local_frame`]); heights are above the WGS84 ellipsoid except
//! `elevation_msl`. The format is little-endian and read in place, so this crate supports
//! little-endian targets only (all of lsar's platforms are).
#![deny(missing_docs)]

#[cfg(target_endian = "big")]
compile_error!("lsar-pack reads packs in place and needs a little-endian target");

mod atomic;
mod descriptors;
pub mod error;
mod header;
mod index;
mod metadata;
mod reader;
mod records;
mod sections;
mod storage;
mod validate;
mod verify;
mod writer;

pub use descriptors::Descriptors;
pub use error::{PackError, Result};
pub use header::{ALIGN, FORMAT_MAJOR, FORMAT_MINOR, HEADER_LEN, Header, MAGIC, SECTION_ENTRY_LEN};
pub use index::ViewpointIndex;
pub use metadata::{Bounds, DescriptorEncoding, MAX_METADATA_LEN, Metadata, ModelId, unix_now};
pub use reader::PackReader;
pub use records::{HorizonSample, Keypoint, Poi, View, Viewpoint};
pub use sections::{SectionEntry, SectionKind, kind_name};
pub use verify::VerifyReport;
pub use writer::{PackWriter, ViewParams};
