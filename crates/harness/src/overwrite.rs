//! Nothing the user had on disk is lost or overwritten silently: the one guard every writer goes through
//! (checkpoints, the run log, figures, `cargo xtask`'s outputs).
//!
//! The rules:
//! - **Ownership is per file.** A file may be replaced only when that file itself is recognisably ours
//!   (the caller says how to tell: a marker inside it). A directory holding one file of ours does not make
//!   its other files ours.
//! - **Symlinks are never followed.** A symlink where we would write is refused, and files are written to
//!   a fresh temporary name (created exclusively, so a link planted there is not followed either) and
//!   renamed into place, which replaces a directory entry and never writes through it.
//! - **Names stay inside the chosen directory.** A name built from user input (`--prefix`) must be a
//!   plain file name: no `/`, no `..`, not absolute ([`checked_name`]).
//! - **Temporary files have one pattern**, `.NAME.tmp-PID`, so a later run can recognise (and remove) the
//!   ones a killed run left behind, and nothing else ([`is_our_temp`]).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
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

/// Why a file may not be written; each prints as one line.
#[derive(Debug)]
pub enum OverwriteError {
    /// Something that is not ours is already there.
    NotOurs(PathBuf),
    /// A symlink sits where the file would go (writing would change its target, or the link).
    Symlink(PathBuf),
    /// A directory sits where the file would go.
    IsDir(PathBuf),
    /// A name from the user would leave the chosen directory (or is empty).
    BadName(String),
    /// The path could not be inspected or written.
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
            Self::Symlink(p) => write!(
                f,
                "refusing to write {}: it is a symlink (zero-to-gpt never writes through links; remove it or pick another --out)",
                p.display()
            ),
            Self::IsDir(p) => write!(f, "cannot write {}: a directory is in the way", p.display()),
            Self::BadName(name) => write!(
                f,
                "`{name}` is not a plain file name: it must not be empty, absolute, or contain `/`, `\\` or `..`"
            ),
            Self::Io(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for OverwriteError {}

/// Checks that writing `path` loses nothing: `Ok(None)` if nothing is there, `Ok(Some(note))` if the file
/// there is ours to replace (`is_ours(path)` recognises it), and an error otherwise — for a file that is
/// not ours, a symlink (whatever it points to) or a directory.
pub fn guard_replace(
    path: &Path,
    is_ours: impl FnOnce(&Path) -> bool,
) -> Result<Option<Replacing>, OverwriteError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(OverwriteError::Io(path.to_path_buf(), e)),
    };
    if meta.file_type().is_symlink() {
        return Err(OverwriteError::Symlink(path.to_path_buf()));
    }
    if meta.is_dir() {
        return Err(OverwriteError::IsDir(path.to_path_buf()));
    }
    // Only a regular file can carry our marker; a FIFO or device is never read (reading could block).
    if meta.is_file() && is_ours(path) {
        Ok(Some(Replacing { dir: parent_of(path).to_path_buf() }))
    } else {
        Err(OverwriteError::NotOurs(path.to_path_buf()))
    }
}

/// `name` if it is a plain file name that stays inside the directory it is joined to: not empty, not
/// `.` or `..`, no path separator, no NUL. For names built from user input, such as `--prefix`.
pub fn checked_name(name: &str) -> Result<&str, OverwriteError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0'])
        || Path::new(name).is_absolute();
    if bad { Err(OverwriteError::BadName(name.to_owned())) } else { Ok(name) }
}

/// The directory `path` is in (`.` for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The temporary name `path` is written under before it is renamed into place: `.NAME.tmp-PID` beside
/// it. Hidden, and recognisable by [`is_our_temp`].
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Whether `file_name` is a temporary file that [`temp_path`] made for one of `names`: `.NAME.tmp-PID`
/// with `NAME` in `names` and `PID` all digits.
pub fn is_our_temp(file_name: &str, names: &[&str]) -> bool {
    names.iter().any(|name| {
        file_name
            .strip_prefix('.')
            .and_then(|rest| rest.strip_prefix(*name))
            .and_then(|rest| rest.strip_prefix(".tmp-"))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Creates `path`'s temporary file exclusively: a file (or a planted symlink) already at that name is
/// removed first if it is a leftover of ours, and `create_new` never follows a link.
pub fn create_temp(path: &Path) -> Result<(PathBuf, File), OverwriteError> {
    let tmp = temp_path(path);
    // Same name means same PID: a leftover of a killed run whose PID came round again.
    let _ = std::fs::remove_file(&tmp);
    let file = OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| OverwriteError::Io(path.to_path_buf(), e))?;
    Ok((tmp, file))
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it over `path` and syncs the
/// directory: readers see the old file or the new one, never a torn one, and after a crash the new one
/// is on disk once this returns. Does not check ownership: call [`guard_replace`] (or [`write_guarded`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OverwriteError> {
    let (tmp, mut file) = create_temp(path)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| OverwriteError::Io(path.to_path_buf(), e));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(parent_of(path))
}

/// Creates an empty file at `path` (replacing what is there) without following a symlink, and returns it
/// open for appending: the run log's way to start afresh.
pub fn create_fresh(path: &Path) -> Result<File, OverwriteError> {
    let (tmp, file) = create_temp(path)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(OverwriteError::Io(path.to_path_buf(), e));
    }
    sync_dir(parent_of(path))?;
    Ok(file)
}

/// [`guard_replace`] then [`write_atomic`]: writes `path` unless something not ours is there.
pub fn write_guarded(
    path: &Path,
    bytes: &[u8],
    is_ours: impl FnOnce(&Path) -> bool,
) -> Result<Option<Replacing>, OverwriteError> {
    let note = guard_replace(path, is_ours)?;
    write_atomic(path, bytes)?;
    Ok(note)
}

/// [`write_guarded`] for a copy of the file `from`.
pub fn copy_guarded(
    from: &Path,
    to: &Path,
    is_ours: impl FnOnce(&Path) -> bool,
) -> Result<Option<Replacing>, OverwriteError> {
    let bytes = std::fs::read(from).map_err(|e| OverwriteError::Io(from.to_path_buf(), e))?;
    write_guarded(to, &bytes, is_ours)
}

/// Makes a rename in `dir` durable (on Unix; elsewhere renames are made durable by the file system).
pub fn sync_dir(dir: &Path) -> Result<(), OverwriteError> {
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| OverwriteError::Io(dir.to_path_buf(), e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Whether the file at `path` starts with `prefix` (reading only that much): a cheap marker test.
pub fn starts_with(path: &Path, prefix: &[u8]) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(prefix.len());
    File::open(path).and_then(|f| f.take(prefix.len() as u64).read_to_end(&mut head)).is_ok()
        && head == prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_escapes_do_not() {
        for good in ["mlp", "mlp-loss", "a.b", "..x", "x.."] {
            assert_eq!(checked_name(good).unwrap(), good);
        }
        for bad in ["", ".", "..", "../x", "a/b", "/abs", "a\\b", "a\0b"] {
            let e = checked_name(bad).unwrap_err().to_string();
            assert!(e.contains("not a plain file name") && !e.contains('\n'), "{bad:?}: {e}");
        }
    }

    #[test]
    fn only_our_temp_pattern_is_recognised() {
        let names = ["config.json", "log.jsonl"];
        assert!(is_our_temp(".config.json.tmp-123", &names));
        assert!(is_our_temp(".log.jsonl.tmp-9", &names));
        for other in
            [".config.json.tmp-", ".config.json.tmp-12a", "config.json.tmp-1", ".notes.tmp-1", ".log.jsonl"]
        {
            assert!(!is_our_temp(other, &names), "{other}");
        }
    }

    #[test]
    fn temp_names_are_hidden_siblings() {
        let t = temp_path(Path::new("a/b/model.safetensors"));
        assert_eq!(t, PathBuf::from(format!("a/b/.model.safetensors.tmp-{}", std::process::id())));
        assert!(is_our_temp(&t.file_name().unwrap().to_string_lossy(), &["model.safetensors"]));
    }
}
