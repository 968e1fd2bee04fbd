//! Shared helpers for lsar's cross-crate integration tests (`tests/integration/`).
#![deny(missing_docs)]

use std::path::PathBuf;

/// The `shared/data` folder beside the repository, if present.
///
/// Tests that need real data skip with a message when it is absent (a clone outside the
/// workspace).
pub fn shared_data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    dir.is_dir().then_some(dir)
}
