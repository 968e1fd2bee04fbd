//! Where a pack's bytes live: a read-only memory map of the file (kept open), or an owned,
//! 64-byte aligned copy for tests and platforms without mmap.
//!
//! ## If the file changes while it is mapped
//! The map shows the file's current bytes, not a snapshot. lsar never changes a pack in place:
//! the writer builds a new file under a temporary name and renames it over the old one, which
//! leaves the inode this reader holds (the file stays open) untouched, so a rebuilt pack never
//! disturbs an open reader. Another program that writes into the file in place can make any
//! accessor return changed values; every access still goes through bounds-checked slices whose
//! lengths were fixed and validated on open, so no access reaches outside the map, and
//! [`crate::PackReader::verify`] reports the change as a checksum or length error. A program
//! that *truncates* the file in place makes reads of the cut pages fault (SIGBUS on Unix); no
//! safe user-space code can prevent that, so the reader narrows it: it checks the length on
//! open (header length == file length == map length), and `verify` re-checks the length of the
//! open file before it reads anything.

// The one place in lsar-pack with `unsafe`: creating the memory map.
#![allow(unsafe_code)]

use std::fs::File;
use std::path::Path;

use bytemuck::{Pod, Zeroable};
use memmap2::Mmap;

use crate::error::{PackError, Result};
use crate::header::HEADER_LEN;

/// A 64-byte aligned block, the unit of owned storage.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(64))]
pub(crate) struct Block([u8; 64]);

/// The bytes of a pack.
pub(crate) enum Storage {
    /// A read-only map of an open file.
    Mapped {
        /// The map.
        map: Mmap,
        /// The file, kept open for the lifetime of the map.
        file: File,
    },
    /// An aligned copy.
    Owned {
        /// The blocks.
        blocks: Vec<Block>,
        /// Bytes used in `blocks`.
        len: usize,
    },
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mapped { map, .. } => write!(f, "Storage::Mapped({} bytes)", map.len()),
            Self::Owned { len, .. } => write!(f, "Storage::Owned({len} bytes)"),
        }
    }
}

impl Storage {
    /// Opens and maps a file read-only, after checking that it is at least a header long.
    pub fn map_file(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(PackError::io("open the pack"))?;
        let len = file.metadata().map_err(PackError::io("read the pack's length"))?.len();
        if len < HEADER_LEN {
            return Err(PackError::Truncated { needed: HEADER_LEN, actual: len });
        }
        if usize::try_from(len).is_err() {
            return Err(PackError::InvalidValue { what: "file length (exceeds address space)" });
        }
        // SAFETY: `Mmap::map` is unsafe because the mapped file may be changed by another
        // process while mapped, which would change (or, if truncated, invalidate) memory this
        // process treats as immutable bytes. lsar only ever replaces packs by rename, never in
        // place, and keeps `file` open with the map, so its own tools cannot cause that. The
        // map is only ever read as `&[u8]` through bounds-checked slices sized on open; see the
        // module docs for what a third program that edits the file in place can cause.
        let map = unsafe { Mmap::map(&file) }.map_err(PackError::io("map the pack"))?;
        if map.len() as u64 != len {
            return Err(PackError::LengthMismatch { expected: len, actual: map.len() as u64 });
        }
        Ok(Self::Mapped { map, file })
    }

    /// Copies bytes into aligned owned storage.
    pub fn copy_of(bytes: &[u8]) -> Self {
        let mut blocks = vec![Block([0; 64]); bytes.len().div_ceil(64)];
        let dst: &mut [u8] = bytemuck::cast_slice_mut(&mut blocks);
        if let Some(d) = dst.get_mut(..bytes.len()) {
            d.copy_from_slice(bytes);
        }
        Self::Owned { blocks, len: bytes.len() }
    }

    /// All bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Mapped { map, .. } => map,
            Self::Owned { blocks, len } => {
                let all: &[u8] = bytemuck::cast_slice(blocks);
                all.get(..*len).unwrap_or_default()
            }
        }
    }

    /// Checks that the open file still has the length it had when mapped.
    pub fn check_unchanged(&self) -> Result<()> {
        if let Self::Mapped { map, file } = self {
            let now = file.metadata().map_err(PackError::io("read the pack's length"))?.len();
            if now != map.len() as u64 {
                return Err(PackError::LengthMismatch { expected: map.len() as u64, actual: now });
            }
        }
        Ok(())
    }

    /// Whether the bytes are a memory map.
    pub fn is_mapped(&self) -> bool {
        matches!(self, Self::Mapped { .. })
    }
}
