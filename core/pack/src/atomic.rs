//! Temporary files beside the destination, removed on drop unless persisted, and the atomic
//! publish step: fsync the file, rename it over the destination, fsync the directory.
//!
//! A killed process runs no destructor, so its temporary files stay. Each temporary file is
//! held under an exclusive advisory lock (`File::try_lock`: `flock` on Unix, `LockFileEx` on
//! Windows) for as long as its writer has it open, and the operating system drops the lock
//! when the process ends, however it ends. [`remove_stale`] deletes only files with this
//! module's name pattern for one destination whose lock it can take: their writer is gone.
//! `flock` locks belong to an open file, not to a process, so two writers in one process
//! respect each other too.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::{fs, io};

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
    /// Creates a new, empty temporary file beside `dest` (never an existing one) and locks it.
    ///
    /// A name already taken (a stale file of an earlier process with the same id) or a file
    /// that [`remove_stale`] unlinked between its creation and the lock is skipped for the
    /// next counter value.
    pub fn beside(dest: &Path, tag: &str) -> Result<Self> {
        let (dir, name) = split(dest)?;
        let mut last = io::Error::other("no attempt");
        for _ in 0..64 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!(".{name}.{tag}-{}-{n}", std::process::id()));
            let file = match OpenOptions::new().read(true).write(true).create_new(true).open(&path)
            {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    last = e;
                    continue;
                }
                Err(e) => return Err(PackError::Io { op: "create a temporary file", source: e }),
            };
            match file.try_lock() {
                Ok(()) => {}
                // Without lock support a temporary file is never removed as stale.
                Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {}
                Err(_) => continue,
            }
            if !still_at(&file, &path) {
                continue;
            }
            return Ok(Self {
                path,
                file: Some(BufWriter::with_capacity(1 << 20, file)),
                keep: false,
            });
        }
        Err(PackError::Io { op: "create a temporary file", source: last })
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
        // Renamed while still open, hence locked, so that no stale-file sweep can take it.
        fs::rename(&self.path, dest).map_err(PackError::io("rename the pack into place"))?;
        self.keep = true;
        drop(file);
        sync_dir(dest);
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file = None;
        if !self.keep {
            // Best effort: a leftover temporary file never sits at the destination's name.
            let _ = fs::remove_file(&self.path);
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

/// The directory and file name of a destination.
fn split(dest: &Path) -> Result<(&Path, String)> {
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.ok_or(PackError::InvalidInput { what: "destination has no file name" })?;
    Ok((dir, name))
}

/// Whether `name` is `.<dest_name>.<tag>-<digits>-<digits>` for one of `tags`: the name of a
/// temporary file of this module for that destination, and nothing else.
pub(crate) fn is_temp_name(name: &str, dest_name: &str, tags: &[&str]) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|r| r.strip_prefix(dest_name)) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('.') else { return false };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    tags.iter().any(|tag| {
        rest.strip_prefix(tag)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|r| r.split_once('-'))
            .is_some_and(|(pid, n)| digits(pid) && digits(n))
    })
}

/// Removes the temporary files that writers of `dest` left behind when their process was
/// killed: regular files (not links) in `dest`'s directory whose name matches
/// [`is_temp_name`] for `tags` and whose lock can be taken, so no open writer holds them.
/// Best effort: anything it cannot read, open or lock stays. Returns how many it removed.
pub(crate) fn remove_stale(dest: &Path, tags: &[&str]) -> usize {
    let Ok((dir, dest_name)) = split(dest) else { return 0 };
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temp_name(name, &dest_name, tags) {
            continue;
        }
        let path = entry.path();
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
            continue;
        }
        let Ok(file) = File::open(&path) else { continue };
        if file.try_lock().is_err() || !still_at(&file, &path) {
            continue;
        }
        if fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether `path` still names the open `file` (not unlinked, not replaced by another file).
fn still_at(file: &File, path: &Path) -> bool {
    let (Ok(a), Ok(b)) = (file.metadata(), fs::symlink_metadata(path)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        a.len() == b.len() && b.file_type().is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAGS: &[&str] = &["tmp", "kp", "sc"];

    #[test]
    fn temp_names_of_one_destination_only() {
        let yes = [".r.lsarpack.tmp-12-0", ".r.lsarpack.kp-1-99", ".r.lsarpack.sc-7-7"];
        for n in yes {
            assert!(is_temp_name(n, "r.lsarpack", TAGS), "{n}");
        }
        let no = [
            "r.lsarpack.tmp-12-0",
            ".r.lsarpack.tmp-12-0.bak",
            ".r.lsarpack.tmp-12-",
            ".r.lsarpack.tmp--0",
            ".r.lsarpack.tmp-1a-0",
            ".r.lsarpack.tmp-1-2-3",
            ".r.lsarpack.xx-12-0",
            ".r.lsarpack.tmp12-0",
            ".q.lsarpack.tmp-12-0",
            ".rr.lsarpack.tmp-12-0",
            ".r.lsarpack",
            ".r.lsarpack.tmp-1-2.tmp-3-4",
            "..r.lsarpack.tmp-1-2",
        ];
        for n in no {
            assert!(!is_temp_name(n, "r.lsarpack", TAGS), "{n}");
        }
        // Another destination whose name extends this one's is not this one's.
        assert!(!is_temp_name(".r.lsarpack.tmp-1-2.tmp-3-4", "r.lsarpack", TAGS));
        assert!(is_temp_name(".r.lsarpack.tmp-1-2.tmp-3-4", "r.lsarpack.tmp-1-2", TAGS));
    }

    #[test]
    fn stale_files_go_and_held_ones_stay() {
        let dir = std::env::temp_dir().join(format!("lsar-pack-atomic-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("r.lsarpack");
        // A live writer's file, held open (and locked) by this process.
        let live = TempFile::beside(&dest, "tmp").unwrap();
        let stale = dir.join(".r.lsarpack.kp-999999-3");
        fs::write(&stale, b"left by a killed build").unwrap();
        let other = dir.join(".other.lsarpack.tmp-999999-3");
        fs::write(&other, b"x").unwrap();
        let lookalike = dir.join(".r.lsarpack.tmp-999999-3.bak");
        fs::write(&lookalike, b"x").unwrap();
        let subdir = dir.join(".r.lsarpack.sc-999999-4");
        fs::create_dir(&subdir).unwrap();
        assert_eq!(remove_stale(&dest, TAGS), 1);
        assert!(!stale.exists());
        assert!(live.path.exists() && other.exists() && lookalike.exists() && subdir.exists());
        drop(live);
        fs::remove_dir_all(&dir).unwrap();
    }
}
