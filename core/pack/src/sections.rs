//! The section table: one 32-byte entry per section (kind, CRC-32, offset, length, record
//! count), and the structural checks every reader runs on open: alignment, bounds, overlap,
//! duplicates, required kinds and `length == count * record size`. Layout in `FORMAT.md`.

use std::ops::Range;

use bytemuck::{Pod, Zeroable};

use crate::error::{PackError, Result};
use crate::header::{ALIGN, Header, crc32};

/// One entry of the section table as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct SectionEntry {
    /// Section kind code (see [`SectionKind`]); unknown codes are allowed and skipped.
    pub kind: u32,
    /// CRC-32 of the section's `length` bytes.
    pub crc32: u32,
    /// Offset of the section from the start of the file; a multiple of 64.
    pub offset: u64,
    /// Length of the section in bytes (without padding).
    pub length: u64,
    /// Number of records (bytes for the metadata and string sections).
    pub count: u64,
}

/// The section kinds of format 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum SectionKind {
    /// UTF-8 JSON: name, model id, build parameters, creation time, tool version.
    Metadata = 1,
    /// One 128-byte binary record: origin, bounds, model hash, descriptor layout.
    Region = 2,
    /// UTF-8 bytes referenced by (offset, length) pairs.
    Strings = 3,
    /// [`crate::Viewpoint`] records.
    Viewpoints = 4,
    /// [`crate::View`] records.
    Views = 5,
    /// [`crate::Keypoint`] records.
    Keypoints = 6,
    /// Descriptor rows: `dim` f16 or `dim` i8 values each.
    Descriptors = 7,
    /// One f32 scale per descriptor row; present only for int8 descriptors.
    DescriptorScales = 8,
    /// [`crate::Poi`] records.
    Pois = 9,
    /// [`crate::HorizonSample`] records, `horizon_bins` per viewpoint.
    Horizons = 10,
}

impl SectionKind {
    /// All kinds of format 1, in the order the writer lays them out after the descriptors.
    pub const ALL: [SectionKind; 10] = [
        Self::Descriptors,
        Self::Keypoints,
        Self::DescriptorScales,
        Self::Metadata,
        Self::Region,
        Self::Strings,
        Self::Viewpoints,
        Self::Views,
        Self::Pois,
        Self::Horizons,
    ];

    /// The kind for a code, `None` for codes this reader does not know.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| *k as u32 == code)
    }

    /// The section's name in messages and in `FORMAT.md`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Metadata => "metadata",
            Self::Region => "region",
            Self::Strings => "strings",
            Self::Viewpoints => "viewpoints",
            Self::Views => "views",
            Self::Keypoints => "keypoints",
            Self::Descriptors => "descriptors",
            Self::DescriptorScales => "descriptor_scales",
            Self::Pois => "pois",
            Self::Horizons => "horizons",
        }
    }
}

/// Name of a section kind code (`"unknown"` for codes this reader does not know).
pub fn kind_name(code: u32) -> &'static str {
    SectionKind::from_code(code).map_or("unknown", SectionKind::name)
}

/// The section table after the structural checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct SectionTable {
    /// Entries in file order of the table.
    pub entries: Vec<SectionEntry>,
}

impl SectionTable {
    /// The entry of a known kind.
    pub fn get(&self, kind: SectionKind) -> Option<&SectionEntry> {
        self.entries.iter().find(|e| e.kind == kind as u32)
    }

    /// The byte range of a known kind's section.
    pub fn range(&self, kind: SectionKind) -> Option<Range<usize>> {
        self.get(kind).and_then(entry_range)
    }
}

/// Byte range of an entry; `None` if it does not fit in `usize` (never after validation).
pub(crate) fn entry_range(e: &SectionEntry) -> Option<Range<usize>> {
    let start = usize::try_from(e.offset).ok()?;
    let end = usize::try_from(e.offset.checked_add(e.length)?).ok()?;
    Some(start..end)
}

/// Reads the section table of `bytes` (the whole file) and checks its CRC and structure:
/// every section 64-byte aligned, inside the file, after the table, no two overlapping, no
/// known kind twice. O(n log n) in the number of sections; reads no section bytes.
pub(crate) fn decode_table(bytes: &[u8], header: &Header) -> Result<SectionTable> {
    let file_len = header.file_len;
    let start = usize::try_from(header.table_offset)
        .map_err(|_| PackError::Truncated { needed: header.table_end(), actual: file_len })?;
    let end = usize::try_from(header.table_end())
        .map_err(|_| PackError::Truncated { needed: header.table_end(), actual: file_len })?;
    let table = bytes
        .get(start..end)
        .ok_or(PackError::Truncated { needed: header.table_end(), actual: file_len })?;
    let computed = crc32(table);
    if computed != header.table_crc {
        return Err(PackError::ChecksumMismatch {
            part: "section table",
            stored: header.table_crc,
            computed,
        });
    }
    let entries: Vec<SectionEntry> =
        table.chunks_exact(32).filter_map(|c| bytemuck::try_pod_read_unaligned(c).ok()).collect();
    let first_free = crate::header::align_up(header.table_end()).unwrap_or(u64::MAX);
    for e in &entries {
        let section = kind_name(e.kind);
        if e.kind == 0 {
            return Err(PackError::InvalidValue { what: "section kind 0" });
        }
        if !e.offset.is_multiple_of(ALIGN) {
            return Err(PackError::MisalignedSection { section, offset: e.offset });
        }
        let end = e.offset.checked_add(e.length);
        if e.offset < first_free || end.is_none_or(|end| end > file_len) {
            return Err(PackError::SectionOutOfRange {
                section,
                offset: e.offset,
                length: e.length,
                file_len,
            });
        }
        if entry_range(e).is_none() {
            return Err(PackError::SectionOutOfRange {
                section,
                offset: e.offset,
                length: e.length,
                file_len,
            });
        }
    }
    check_overlaps_and_duplicates(&entries)?;
    Ok(SectionTable { entries })
}

fn check_overlaps_and_duplicates(entries: &[SectionEntry]) -> Result<()> {
    let mut by_offset: Vec<&SectionEntry> = entries.iter().collect();
    by_offset.sort_by_key(|e| (e.offset, e.length));
    for pair in by_offset.windows(2) {
        if let [a, b] = pair {
            // Empty sections occupy no bytes and overlap nothing.
            let a_end = a.offset.saturating_add(a.length);
            if a.length > 0 && b.length > 0 && b.offset < a_end {
                return Err(PackError::OverlappingSections {
                    first: kind_name(a.kind),
                    second: kind_name(b.kind),
                });
            }
        }
    }
    let mut known: Vec<u32> =
        entries.iter().map(|e| e.kind).filter(|k| SectionKind::from_code(*k).is_some()).collect();
    known.sort_unstable();
    for pair in known.windows(2) {
        if let [a, b] = pair
            && a == b
        {
            return Err(PackError::DuplicateSection { section: kind_name(*a) });
        }
    }
    Ok(())
}

/// The entry of a required kind, with `length == count * record_size` checked (a record size of
/// 0 means bytes: `count == length`).
pub(crate) fn required(
    table: &SectionTable,
    kind: SectionKind,
    record_size: u64,
) -> Result<SectionEntry> {
    let e = *table.get(kind).ok_or(PackError::MissingSection { section: kind.name() })?;
    check_size(&e, kind, record_size)?;
    Ok(e)
}

/// Checks `length == count * record_size` (or `count == length` for byte sections).
pub(crate) fn check_size(e: &SectionEntry, kind: SectionKind, record_size: u64) -> Result<()> {
    let expected = if record_size == 0 { Some(e.count) } else { e.count.checked_mul(record_size) };
    if expected != Some(e.length) {
        return Err(PackError::SectionSize {
            section: kind.name(),
            length: e.length,
            count: e.count,
            record_size,
        });
    }
    Ok(())
}
