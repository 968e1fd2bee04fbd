//! # lsar-pack
//!
//! The region pack: the single file a phone downloads for offline localization. It will hold
//! the format (documented in `FORMAT.md`), a streaming writer that renames into place, and a
//! zero-copy memory-mapped reader that validates every section on open. It knows nothing of
//! candle.
#![deny(missing_docs)]
