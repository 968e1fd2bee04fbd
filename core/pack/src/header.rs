//! The 64-byte file header: magic, format version, where the section table is, the file length
//! and the CRC-32s of the header and the table. Layout in `FORMAT.md`, "Header".

use bytemuck::{Pod, Zeroable};

use crate::error::{PackError, Result};

/// The first eight bytes of every region pack.
pub const MAGIC: [u8; 8] = *b"LSARPACK";
/// The major format version this crate writes and reads. A reader refuses any other major.
pub const FORMAT_MAJOR: u16 = 1;
/// The minor format version this crate writes. Minor versions only add (new section kinds,
/// new metadata keys); a reader reads any minor of its major and ignores what it does not know.
pub const FORMAT_MINOR: u16 = 0;
/// Length of the header in bytes.
pub const HEADER_LEN: u64 = 64;
/// Alignment of the section table, every section and the end of the file.
pub const ALIGN: u64 = 64;
/// Length of one section-table entry in bytes.
pub const SECTION_ENTRY_LEN: u64 = 32;
/// Largest number of sections a reader accepts.
pub const MAX_SECTIONS: u32 = 256;

/// The header as stored (little-endian, `repr(C)`, no padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub(crate) struct RawHeader {
    pub magic: [u8; 8],
    pub major: u16,
    pub minor: u16,
    pub header_len: u32,
    pub section_count: u32,
    pub entry_len: u32,
    pub table_offset: u64,
    pub file_len: u64,
    pub table_crc: u32,
    pub flags: u32,
    pub reserved: [u8; 12],
    pub header_crc: u32,
}

/// The validated facts of a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Major format version.
    pub major: u16,
    /// Minor format version.
    pub minor: u16,
    /// Number of entries in the section table.
    pub section_count: u32,
    /// Offset of the section table (always 64 in format 1).
    pub table_offset: u64,
    /// Length of the whole file in bytes.
    pub file_len: u64,
    /// CRC-32 of the section table's bytes.
    pub table_crc: u32,
}

impl Header {
    /// Offset one past the section table.
    pub fn table_end(&self) -> u64 {
        self.table_offset + u64::from(self.section_count) * SECTION_ENTRY_LEN
    }
}

/// Rounds `n` up to a multiple of [`ALIGN`]; `None` on overflow.
pub(crate) fn align_up(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|v| v / ALIGN * ALIGN)
}

/// CRC-32 (IEEE 802.3, as zlib's `crc32`) of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Encodes a header for a file with `section_count` sections whose table has CRC `table_crc`.
pub(crate) fn encode(section_count: u32, file_len: u64, table_crc: u32) -> [u8; 64] {
    let mut raw = RawHeader {
        magic: MAGIC,
        major: FORMAT_MAJOR,
        minor: FORMAT_MINOR,
        header_len: 64,
        section_count,
        entry_len: 32,
        table_offset: HEADER_LEN,
        file_len,
        table_crc,
        flags: 0,
        reserved: [0; 12],
        header_crc: 0,
    };
    let mut out = [0u8; 64];
    out.copy_from_slice(bytemuck::bytes_of(&raw));
    raw.header_crc = crc32(out.get(..60).unwrap_or_default());
    out.copy_from_slice(bytemuck::bytes_of(&raw));
    out
}

/// Decodes and checks the header at the start of `bytes` (the whole file).
///
/// Checks, in this order: length, magic, major version, header CRC, fixed fields, the file
/// length against `bytes.len()`, and that the table fits in the file.
pub(crate) fn decode(bytes: &[u8]) -> Result<Header> {
    let actual = bytes.len() as u64;
    let head = bytes.get(..64).ok_or(PackError::Truncated { needed: HEADER_LEN, actual })?;
    let raw: RawHeader = bytemuck::try_pod_read_unaligned(head)
        .map_err(|_| PackError::Truncated { needed: HEADER_LEN, actual })?;
    if raw.magic != MAGIC {
        return Err(PackError::BadMagic);
    }
    if raw.major != FORMAT_MAJOR {
        return Err(PackError::UnsupportedVersion {
            found_major: raw.major,
            found_minor: raw.minor,
            supported_major: FORMAT_MAJOR,
        });
    }
    let computed = crc32(head.get(..60).unwrap_or_default());
    if computed != raw.header_crc {
        return Err(PackError::ChecksumMismatch {
            part: "header",
            stored: raw.header_crc,
            computed,
        });
    }
    if u64::from(raw.header_len) != HEADER_LEN {
        return Err(PackError::BadHeader { field: "header_len" });
    }
    if u64::from(raw.entry_len) != SECTION_ENTRY_LEN {
        return Err(PackError::BadHeader { field: "entry_len" });
    }
    if raw.table_offset != HEADER_LEN {
        return Err(PackError::BadHeader { field: "table_offset" });
    }
    if raw.section_count > MAX_SECTIONS {
        return Err(PackError::BadHeader { field: "section_count" });
    }
    if raw.flags != 0 || raw.reserved != [0; 12] {
        return Err(PackError::BadHeader { field: "flags" });
    }
    if !raw.file_len.is_multiple_of(ALIGN) {
        return Err(PackError::BadHeader { field: "file_len" });
    }
    if raw.file_len != actual {
        return Err(PackError::LengthMismatch { expected: raw.file_len, actual });
    }
    let header = Header {
        major: raw.major,
        minor: raw.minor,
        section_count: raw.section_count,
        table_offset: raw.table_offset,
        file_len: raw.file_len,
        table_crc: raw.table_crc,
    };
    if header.table_end() > actual {
        return Err(PackError::Truncated { needed: header.table_end(), actual });
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_64_bytes_and_round_trips() {
        assert_eq!(size_of::<RawHeader>(), 64);
        let mut file = vec![0u8; 192];
        file[..64].copy_from_slice(&encode(2, 192, 7));
        let h = decode(&file).unwrap();
        assert_eq!((h.section_count, h.file_len, h.table_crc, h.table_end()), (2, 192, 7, 128));
    }

    #[test]
    fn align_up_rounds_to_64() {
        assert_eq!(align_up(0), Some(0));
        assert_eq!(align_up(1), Some(64));
        assert_eq!(align_up(64), Some(64));
        assert_eq!(align_up(u64::MAX), None);
    }
}
