//! [`PackReader`]: opens a pack (memory map or bytes), validates its structure, and hands out
//! typed zero-copy views of its sections and a spatial index of its viewpoints.

use std::path::Path;

use lsar_geometry::{Geodetic, LocalFrame};

use crate::descriptors::Descriptors;
use crate::error::{PackError, Result};
use crate::header::{self, Header};
use crate::index::ViewpointIndex;
use crate::metadata::{DescriptorEncoding, Metadata, ModelId};
use crate::records::{HorizonSample, Keypoint, Poi, View, Viewpoint};
use crate::sections::{self, SectionEntry, SectionKind, SectionTable};
use crate::storage::Storage;
use crate::validate::{cast, check_open};

/// An open region pack.
///
/// Opening checks the header, the section table and every section's bounds, alignment, size
/// and count, the metadata, and the viewpoint/view/keypoint ranges; it reads the header, the
/// table, the metadata, the region record, the viewpoints and the views (all small), never the
/// keypoints, descriptors, strings, POIs or horizons. [`PackReader::verify`] checks everything
/// else (every checksum, padding, every keypoint's view, every POI name).
///
/// Accessors never panic: indices are checked and return [`PackError::OutOfRange`].
#[derive(Debug)]
pub struct PackReader {
    storage: Storage,
    header: Header,
    table: SectionTable,
    metadata: Metadata,
    index: ViewpointIndex,
}

impl PackReader {
    /// Opens and memory-maps a pack file; the file stays open while the reader lives.
    ///
    /// # Errors
    /// I/O errors, any structural error (see [`PackError`]), or
    /// [`PackError::ModelMismatch`] if `expected_model` is given and the pack was built with
    /// another descriptor model (id or hash).
    pub fn open(path: impl AsRef<Path>, expected_model: Option<&ModelId>) -> Result<Self> {
        Self::from_storage(Storage::map_file(path.as_ref())?, expected_model)
    }

    /// Opens a pack from bytes (copied into aligned memory), for tests and for platforms
    /// without memory maps.
    ///
    /// # Errors
    /// As [`PackReader::open`], without the I/O errors.
    pub fn from_bytes(bytes: &[u8], expected_model: Option<&ModelId>) -> Result<Self> {
        Self::from_storage(Storage::copy_of(bytes), expected_model)
    }

    fn from_storage(storage: Storage, expected_model: Option<&ModelId>) -> Result<Self> {
        let bytes = storage.bytes();
        let header = header::decode(bytes)?;
        let table = sections::decode_table(bytes, &header)?;
        let metadata = check_open(bytes, &table)?;
        if let Some(expected) = expected_model
            && *expected != metadata.model
        {
            return Err(PackError::ModelMismatch {
                expected: expected.id.clone(),
                found: metadata.model.id,
            });
        }
        let viewpoints: &[Viewpoint] = cast(bytes, table.range(SectionKind::Viewpoints));
        let positions = viewpoints.iter().map(|v| [v.position_enu[0], v.position_enu[1]]).collect();
        let index = ViewpointIndex::build(positions);
        Ok(Self { storage, header, table, metadata, index })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.storage.bytes()
    }

    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The validated header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The pack's metadata.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The local ENU frame at the pack origin, in which all stored positions are given.
    pub fn local_frame(&self) -> LocalFrame {
        LocalFrame::new(self.metadata.origin)
    }

    /// The section table entries, in table order (unknown kinds included).
    pub fn sections(&self) -> &[SectionEntry] {
        &self.table.entries
    }

    /// The file length in bytes.
    pub fn file_len(&self) -> u64 {
        self.header.file_len
    }

    /// Whether the pack is memory-mapped (rather than an owned copy).
    pub fn is_mapped(&self) -> bool {
        self.storage.is_mapped()
    }

    fn section<T: bytemuck::Pod>(&self, kind: SectionKind) -> &[T] {
        cast(self.bytes(), self.table.range(kind))
    }

    /// All viewpoints.
    pub fn viewpoints(&self) -> &[Viewpoint] {
        self.section(SectionKind::Viewpoints)
    }

    /// All views, grouped by viewpoint.
    pub fn views(&self) -> &[View] {
        self.section(SectionKind::Views)
    }

    /// All keypoints, grouped by view.
    pub fn keypoints(&self) -> &[Keypoint] {
        self.section(SectionKind::Keypoints)
    }

    /// All POIs.
    pub fn pois(&self) -> &[Poi] {
        self.section(SectionKind::Pois)
    }

    /// All horizon samples: `horizon_bins` per viewpoint, by viewpoint.
    pub fn horizon_samples(&self) -> &[HorizonSample] {
        self.section(SectionKind::Horizons)
    }

    /// The string section's bytes.
    pub fn strings(&self) -> &[u8] {
        self.section(SectionKind::Strings)
    }

    /// All descriptor rows (row `i` belongs to keypoint `i`).
    pub fn descriptors(&self) -> Descriptors<'_> {
        let dim = self.metadata.descriptor_dim as usize;
        match self.metadata.descriptor_encoding {
            DescriptorEncoding::F16 => {
                Descriptors::F16 { dim, values: self.section(SectionKind::Descriptors) }
            }
            DescriptorEncoding::Int8 => Descriptors::Int8 {
                dim,
                codes: self.section(SectionKind::Descriptors),
                scales: self.section(SectionKind::DescriptorScales),
            },
        }
    }

    /// Viewpoint `i`.
    ///
    /// # Errors
    /// [`PackError::OutOfRange`].
    pub fn viewpoint(&self, i: usize) -> Result<&Viewpoint> {
        let all = self.viewpoints();
        all.get(i).ok_or(out_of_range("viewpoint", i, all.len()))
    }

    /// The views of viewpoint `i`.
    ///
    /// # Errors
    /// [`PackError::OutOfRange`].
    pub fn viewpoint_views(&self, i: usize) -> Result<&[View]> {
        let vp = self.viewpoint(i)?;
        let first = vp.first_view as usize;
        let views = self.views();
        views
            .get(first..first.saturating_add(vp.view_count as usize))
            .ok_or(PackError::BadReference { what: "viewpoint", index: i as u64 })
    }

    /// The keypoints of view `v` (global view index).
    ///
    /// # Errors
    /// [`PackError::OutOfRange`].
    pub fn view_keypoints(&self, v: usize) -> Result<&[Keypoint]> {
        let views = self.views();
        let view = views.get(v).ok_or(out_of_range("view", v, views.len()))?;
        let first = view.first_keypoint as usize;
        self.keypoints()
            .get(first..first.saturating_add(view.keypoint_count as usize))
            .ok_or(PackError::BadReference { what: "view", index: v as u64 })
    }

    /// The horizon of viewpoint `i` (`horizon_bins` samples clockwise from north).
    ///
    /// # Errors
    /// [`PackError::OutOfRange`].
    pub fn horizon(&self, i: usize) -> Result<&[HorizonSample]> {
        let bins = self.metadata.horizon_bins as usize;
        let n = self.viewpoints().len();
        if i >= n {
            return Err(out_of_range("viewpoint", i, n));
        }
        let first = i.saturating_mul(bins);
        self.horizon_samples()
            .get(first..first.saturating_add(bins))
            .ok_or(PackError::BadReference { what: "horizon of viewpoint", index: i as u64 })
    }

    /// The name of a POI.
    ///
    /// # Errors
    /// [`PackError::BadReference`] if the name lies outside the string section or is not
    /// UTF-8 (only in a damaged pack; [`PackReader::verify`] finds it).
    pub fn poi_name(&self, poi: &Poi) -> Result<&str> {
        let first = poi.name_offset as usize;
        let bytes = self.strings().get(first..first.saturating_add(poi.name_len as usize));
        bytes.and_then(|b| std::str::from_utf8(b).ok()).ok_or(PackError::BadReference {
            what: "poi name at",
            index: u64::from(poi.name_offset),
        })
    }

    /// The spatial index of the viewpoints.
    pub fn index(&self) -> &ViewpointIndex {
        &self.index
    }

    /// Fills `out` with the viewpoints within `radius_m` metres (horizontally, in the ENU
    /// plane of the origin) of `center_en` (east, north in metres), ascending.
    pub fn viewpoints_within(&self, center_en: [f64; 2], radius_m: f64, out: &mut Vec<u32>) {
        self.index.within(center_en, radius_m, out);
    }

    /// As [`PackReader::viewpoints_within`] for a geodetic position.
    pub fn viewpoints_near(&self, position: &Geodetic, radius_m: f64, out: &mut Vec<u32>) {
        let enu = self.local_frame().enu_from_geodetic(position);
        self.index.within([enu.x, enu.y], radius_m, out);
    }
}

fn out_of_range(what: &'static str, index: usize, count: usize) -> PackError {
    PackError::OutOfRange { what, index: index as u64, count: count as u64 }
}
