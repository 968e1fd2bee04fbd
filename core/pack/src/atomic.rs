//! Temporary files beside the destination, removed on drop unless persisted, and the atomic
//! publish step: fsync the file, rename it over the destination, fsync the directory.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{PackError, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A file named `.<dest name>.<tag>-<pid>-<n>` in the destination's directory.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    keep: bool,
}

impl TempFile {
    /// Creates a new, empty temporary file beside `dest` (never an existing one).
    pub fn beside(dest: &Path, tag: &str) -> Result<Self> {
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.ok_or(PackError::InvalidInput { what: "destination has no file name" })?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}.{tag}-{}-{n}", std::process::id()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(PackError::io("create a temporary file"))?;
        Ok(Self { path, file: Some(BufWriter::with_capacity(1 << 20, file)), keep: false })
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> Result<&mut BufWriter<File>> {
        self.file.as_mut().ok_or(PackError::InvalidInput { what: "temporary file already closed" })
    }

    /// Writes all bytes.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer()?.write_all(bytes).map_err(PackError::io("write the pack"))
    }

    /// Flushes and returns the file, positioned at its start, for reading it back.
    pub fn rewind(&mut self) -> Result<&mut File> {
        let w = self.writer()?;
        w.flush().map_err(PackError::io("flush a temporary file"))?;
        let f = w.get_mut();
        f.seek(SeekFrom::Start(0)).map_err(PackError::io("seek a temporary file"))?;
        Ok(f)
    }

    /// Flushes, fsyncs, renames over `dest` and fsyncs the directory. After this the temporary
    /// name is gone and `dest` is the complete file; on error `dest` is unchanged.
    pub fn persist(mut self, dest: &Path) -> Result<()> {
        let mut w = self.file.take().ok_or(PackError::InvalidInput { what: "file closed" })?;
        w.flush().map_err(PackError::io("flush the pack"))?;
        let file = w
            .into_inner()
            .map_err(|e| PackError::Io { op: "flush the pack", source: e.into_error() })?;
        file.sync_all().map_err(PackError::io("sync the pack to disk"))?;
        drop(file);
        std::fs::rename(&self.path, dest).map_err(PackError::io("rename the pack into place"))?;
        self.keep = true;
        sync_dir(dest);
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file = None;
        if !self.keep {
            // Best effort: a leftover temporary file never sits at the destination's name.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Fsyncs the directory holding `path`, so that the rename itself is durable (Unix only; other
/// platforms cannot open directories as files, and a failure here loses nothing but durability
/// of the rename, so it is ignored).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
