//! The one error type of lsar-pack.
//!
//! Messages name the part of the file that is wrong (a section, a field) and numbers about the
//! file's structure; they never contain file paths, coordinates or other user data.

use thiserror::Error;

/// `Result` with [`PackError`].
pub type Result<T, E = PackError> = std::result::Result<T, E>;

/// Everything that can go wrong while writing, opening, reading or verifying a region pack.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PackError {
    /// An operating-system call failed.
    #[error("i/o error while trying to {op}")]
    Io {
        /// What was being done ("open the pack", "write a section", ...).
        op: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is shorter than its structure needs.
    #[error("pack is truncated: needs at least {needed} bytes, has {actual}")]
    Truncated {
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The first eight bytes are not the pack magic.
    #[error("not a region pack (wrong magic)")]
    BadMagic,
    /// The pack's major format version is not one this reader understands.
    #[error(
        "pack format {found_major}.{found_minor} is not supported (this reader reads {supported_major}.x)"
    )]
    UnsupportedVersion {
        /// Major version in the file.
        found_major: u16,
        /// Minor version in the file.
        found_minor: u16,
        /// Major version this reader reads.
        supported_major: u16,
    },
    /// A fixed header field has a value this format does not allow.
    #[error("bad header field `{field}`")]
    BadHeader {
        /// The field's name as in FORMAT.md.
        field: &'static str,
    },
    /// The file length differs from the length recorded in the header, or the file changed
    /// length after it was opened.
    #[error("file length {actual} differs from the expected {expected}")]
    LengthMismatch {
        /// Length recorded (header) or seen on open.
        expected: u64,
        /// Length found.
        actual: u64,
    },
    /// A CRC-32 does not match the bytes it covers.
    #[error("checksum mismatch in {part}: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// "header", "section table" or a section name.
        part: &'static str,
        /// Checksum stored in the file.
        stored: u32,
        /// Checksum of the bytes.
        computed: u32,
    },
    /// A section's offset is not a multiple of 64.
    #[error("section {section} is misaligned (offset {offset})")]
    MisalignedSection {
        /// Section name.
        section: &'static str,
        /// Its offset.
        offset: u64,
    },
    /// A section reaches outside the file or into the header or section table.
    #[error(
        "section {section} is out of range (offset {offset}, length {length}, file {file_len})"
    )]
    SectionOutOfRange {
        /// Section name.
        section: &'static str,
        /// Its offset.
        offset: u64,
        /// Its length.
        length: u64,
        /// The file length.
        file_len: u64,
    },
    /// Two sections share bytes.
    #[error("sections {first} and {second} overlap")]
    OverlappingSections {
        /// The section that starts first.
        first: &'static str,
        /// The section that starts inside it.
        second: &'static str,
    },
    /// A section kind occurs twice in the table.
    #[error("section {section} occurs more than once")]
    DuplicateSection {
        /// Section name.
        section: &'static str,
    },
    /// A required section is absent (or one that must be absent is present).
    #[error("section {section} is missing or not allowed here")]
    MissingSection {
        /// Section name.
        section: &'static str,
    },
    /// A section's length is not its record count times its record size, or it exceeds a limit.
    #[error("section {section} has length {length} for {count} records of {record_size} bytes")]
    SectionSize {
        /// Section name.
        section: &'static str,
        /// Length in bytes.
        length: u64,
        /// Record count from the table.
        count: u64,
        /// Bytes per record (0 where the section has no fixed record size).
        record_size: u64,
    },
    /// Two counts that must agree do not.
    #[error("count mismatch for {what}: expected {expected}, found {found}")]
    CountMismatch {
        /// What is counted.
        what: &'static str,
        /// The count implied by another part of the pack.
        expected: u64,
        /// The count found.
        found: u64,
    },
    /// A cross-reference (an index or a range) points outside its target.
    #[error("{what} {index} refers outside its target")]
    BadReference {
        /// Kind of record holding the reference.
        what: &'static str,
        /// Index of that record.
        index: u64,
    },
    /// A value is not allowed (not finite, out of its range, unknown code).
    #[error("invalid value in {what}")]
    InvalidValue {
        /// The field.
        what: &'static str,
    },
    /// The metadata section is not valid JSON of the expected shape.
    #[error("metadata is not valid (JSON error at line {line}, column {column})")]
    BadMetadata {
        /// Line of the JSON error.
        line: usize,
        /// Column of the JSON error.
        column: usize,
    },
    /// A padding byte between or after sections is not zero.
    #[error("non-zero padding byte at offset {offset}")]
    NonZeroPadding {
        /// Offset of the first non-zero padding byte.
        offset: u64,
    },
    /// The pack was built with another descriptor model than the one expected.
    #[error(
        "pack was built for descriptor model `{found}`, expected `{expected}` (or its hash differs)"
    )]
    ModelMismatch {
        /// The expected model id.
        expected: String,
        /// The model id in the pack.
        found: String,
    },
    /// An index passed to an accessor is out of range.
    #[error("{what} index {index} out of range (count {count})")]
    OutOfRange {
        /// What was indexed.
        what: &'static str,
        /// The index.
        index: u64,
        /// The number of items.
        count: u64,
    },
    /// Input given to the writer is not valid.
    #[error("invalid writer input: {what}")]
    InvalidInput {
        /// What is wrong.
        what: &'static str,
    },
    /// The writer received a descriptor row of the wrong width.
    #[error("descriptor rows have {expected} values, got {found}")]
    DescriptorDim {
        /// Dimension declared in the metadata.
        expected: usize,
        /// Values given.
        found: usize,
    },
}

impl PackError {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |source| Self::Io { op, source }
    }
}
