//! Nothing the user had on disk is lost or overwritten silently.
//!
//! A run writes into its `--out` directory. Files there may be replaced only when they are ours: the
//! directory is one of our run directories (its `config.json` carries our checkpoint marker), or the file
//! itself is recognisably ours (the caller says how to tell). Anything else is refused with one line.

use std::fmt;
use std::path::{Path, PathBuf};

/// A note for the user: a write is replacing an earlier run's files in `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacing {
    /// The directory whose earlier run is being replaced.
    pub dir: PathBuf,
}

impl fmt::Display for Replacing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "replacing previous run in {}", self.dir.display())
    }
}

/// Why a file may not be written.
#[derive(Debug)]
pub enum OverwriteError {
    /// Something that is not ours is already there.
    NotOurs(PathBuf),
    /// A directory sits where the file would go.
    IsDir(PathBuf),
    /// The path could not even be inspected.
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for OverwriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOurs(p) => write!(
                f,
                "refusing to overwrite {}: it was not written by a zero-to-gpt run (move it away or pick another --out)",
                p.display()
            ),
            Self::IsDir(p) => write!(f, "cannot write {}: a directory is in the way", p.display()),
            Self::Io(p, e) => write!(f, "cannot inspect {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for OverwriteError {}

/// Whether `dir` is one of our run directories: it holds a `config.json` that our checkpoint code wrote.
pub fn is_run_dir(dir: &Path) -> bool {
    crate::checkpoint::is_our_config(&dir.join(crate::checkpoint::CONFIG_FILE))
}

/// Checks that writing `path` loses nothing: `Ok(None)` if nothing is there, `Ok(Some(note))` if what is
/// there is ours to replace (its directory [`is_run_dir`], or `is_ours(path)` recognises the file), and an
/// error otherwise.
pub fn guard_replace(
    path: &Path,
    is_ours: impl FnOnce(&Path) -> bool,
) -> Result<Option<Replacing>, OverwriteError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(OverwriteError::Io(path.to_path_buf(), e)),
    };
    if meta.is_dir() {
        return Err(OverwriteError::IsDir(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if is_run_dir(dir) || is_ours(path) {
        Ok(Some(Replacing { dir: dir.to_path_buf() }))
    } else {
        Err(OverwriteError::NotOurs(path.to_path_buf()))
    }
}
