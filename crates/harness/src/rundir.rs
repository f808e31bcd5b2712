//! A run's output directory (`--out`), checked before any training work so that a refusal never costs a
//! run: a file where the directory should be, an unwritable directory, a file of someone else's at one
//! of the names the run will write, a symlink there, or another run already writing into it each give one
//! line before the first step.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let (tensors, config) = (Vec::<harness::NamedTensor>::new(), ());
//! use harness::rundir::RunDir;
//! let run = RunDir::create("runs/mlp".as_ref(), "mlp")?; // before loading data or building the model
//! if let Some(note) = run.replacing() {
//!     eprintln!("{note}");
//! }
//! let mut log = run.log()?;
//! // ... train, and at every evaluation:
//! run.save_checkpoint(&config, &tensors)?; // pair-atomic: a kill leaves this one or the last one
//! # Ok(()) }
//! ```
//!
//! While a [`RunDir`] lives it holds an exclusive lock on `.zero-to-gpt.lock` in the directory (an OS
//! file lock: the kernel drops it when the process ends, however it ends, so a killed run never blocks
//! the next). The lock file itself stays, empty, beside the run's files.

use crate::checkpoint::{
    self, CONFIG_FILE, CheckpointError, NEXT_WEIGHTS_FILE, NamedTensor, WEIGHTS_FILE, is_our_config,
    is_our_weights,
};
use crate::overwrite::{self, OverwriteError, Replacing, guard_replace, is_our_temp};
use crate::runlog::{LOG_FILE, RunLogError, RunLogWriter, is_our_log};
use serde::Serialize;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The lock file every run holds while it writes into its directory.
pub const LOCK_FILE: &str = ".zero-to-gpt.lock";
/// The name whose temporary file probes that the directory is writable.
const PROBE: &str = "write-probe";

/// How to recognise a file as ours.
type IsOurs = fn(&Path) -> bool;

/// The files a run writes, each with how to recognise it as ours.
const OWNED: [(&str, IsOurs); 4] = [
    (CONFIG_FILE, is_our_config),
    (WEIGHTS_FILE, is_our_weights),
    (NEXT_WEIGHTS_FILE, is_our_weights),
    (LOG_FILE, is_our_log),
];

/// Why a directory cannot be a run's output directory; each prints as one line.
#[derive(Debug)]
pub enum RunDirError {
    /// The path names a file (or something else that is not a directory).
    NotADir(PathBuf),
    /// Nothing can be created in it.
    Unwritable(PathBuf, std::io::Error),
    /// Another run holds its lock.
    Busy(PathBuf),
    /// A file the run would write is not ours, or is a symlink.
    Overwrite(OverwriteError),
    /// It could not be created or inspected.
    Io(PathBuf, std::io::Error),
}

impl fmt::Display for RunDirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotADir(p) => write!(f, "--out {} is a file, not a directory", p.display()),
            Self::Unwritable(p, e) => write!(f, "cannot write into --out {}: {e}", p.display()),
            Self::Busy(p) => write!(
                f,
                "another run is writing to {} (wait for it to finish, or pick another --out)",
                p.display()
            ),
            Self::Overwrite(e) => e.fmt(f),
            Self::Io(p, e) => write!(f, "cannot use --out {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for RunDirError {}

/// A run's output directory, checked and locked; see the module docs.
#[derive(Debug)]
pub struct RunDir {
    dir: PathBuf,
    stage: String,
    replacing: Option<Replacing>,
    /// Whether `create` made the directory: a run that fails before writing anything removes it again.
    created: bool,
    /// Held for the lock; the kernel releases it when this is dropped or the process dies.
    _lock: File,
}

impl RunDir {
    /// Creates `dir` if needed and checks, in this order, touching nothing of the user's: that it is a
    /// directory, that files can be created in it, that each file a run writes there (`config.json`,
    /// the weights files, `log.jsonl`) is absent or ours and not a symlink, and that no other run holds
    /// its lock. Then takes the lock and removes temporary files killed runs left (`.NAME.tmp-PID` for
    /// those names only).
    pub fn create(dir: &Path, stage: &str) -> Result<RunDir, RunDirError> {
        let created = match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => false,
            Ok(_) => return Err(RunDirError::NotADir(dir.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(|e| RunDirError::Io(dir.to_path_buf(), e))?;
                true
            }
            Err(e) => return Err(RunDirError::Io(dir.to_path_buf(), e)),
        };
        probe_writable(dir)?;
        check_owned(dir)?; // before the lock file is created: a refused directory gets nothing new

        let lock_path = dir.join(LOCK_FILE);
        guard_replace(&lock_path, |_| true).map_err(RunDirError::Overwrite)?; // no symlink, no directory
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| RunDirError::Io(lock_path.clone(), e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(RunDirError::Busy(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => return Err(RunDirError::Io(lock_path, e)),
        }

        // Under the lock no other run is writing here: every temporary file of ours is a dead run's.
        remove_stale_temps(dir)?;
        let replacing = check_owned(dir)?; // again: the files may have changed before we held the lock
        // Finish a save a kill interrupted, so that model.safetensors is the committed weights.
        checkpoint::settle(dir).map_err(|e| match e {
            CheckpointError::Io(p, e) => RunDirError::Io(p, e),
            other => RunDirError::Io(dir.to_path_buf(), std::io::Error::other(other.to_string())),
        })?;
        Ok(RunDir { dir: dir.to_path_buf(), stage: stage.to_owned(), replacing, created, _lock: lock })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The stage whose run this is.
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// A note to show when the directory held an earlier run of ours, which this run replaces.
    pub fn replacing(&self) -> Option<&Replacing> {
        self.replacing.as_ref()
    }

    /// Starts the run log `log.jsonl` afresh. The file is created under a temporary name and renamed into
    /// place, so a symlink at `log.jsonl` is replaced (were it not already refused), never written through.
    pub fn log(&self) -> Result<RunLogWriter, RunLogError> {
        RunLogWriter::create(&self.dir.join(LOG_FILE))
    }

    /// Saves a checkpoint, atomically as a pair (see [`crate::checkpoint`]): a kill at any instant leaves
    /// the previous checkpoint or this one loadable. Refuses NaN/inf weights, saving nothing.
    pub fn save_checkpoint<C: Serialize>(
        &self,
        config: &C,
        tensors: &[NamedTensor],
    ) -> Result<(), CheckpointError> {
        // The files were checked at create; a user may have put something there since.
        check_owned(&self.dir)?;
        checkpoint::save_pair(&self.dir, &self.stage, config, tensors)
    }

    /// The path of another file the run will write in its directory (a figure, say), after checking that
    /// `name` is a plain file name and the file is absent or `is_ours`. Call it before the work.
    pub fn claim(&self, name: &str, is_ours: impl FnOnce(&Path) -> bool) -> Result<PathBuf, OverwriteError> {
        let path = self.dir.join(overwrite::checked_name(name)?);
        guard_replace(&path, is_ours)?;
        Ok(path)
    }
}

impl Drop for RunDir {
    /// A directory this run made and left holding nothing but its lock (the run was refused after the
    /// checks, say a `--text` that could not be read) is removed: a refused run leaves nothing behind.
    fn drop(&mut self) {
        if !self.created {
            return;
        }
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        let names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        if names.len() == 1 && names[0] == LOCK_FILE {
            let _ = std::fs::remove_file(self.dir.join(LOCK_FILE));
            let _ = std::fs::remove_dir(&self.dir); // only if empty: never anything of the user's
        }
    }
}

/// Creates and removes a temporary file: the only sure test that the directory is writable.
fn probe_writable(dir: &Path) -> Result<(), RunDirError> {
    let probe = overwrite::temp_path(&dir.join(PROBE));
    let _ = std::fs::remove_file(&probe); // a leftover of a killed run with our PID
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| RunDirError::Unwritable(dir.to_path_buf(), e))?;
    std::fs::remove_file(&probe).map_err(|e| RunDirError::Unwritable(dir.to_path_buf(), e))
}

/// Checks every file a run writes, each on its own: absent, or ours and a regular file. The note says an
/// earlier run's checkpoint is there (a log alone may be this run's own, or a run that saved nothing).
fn check_owned(dir: &Path) -> Result<Option<Replacing>, RunDirError> {
    let mut note = None;
    for (name, is_ours) in OWNED {
        let this = guard_replace(&dir.join(name), is_ours).map_err(RunDirError::Overwrite)?;
        if name != LOG_FILE {
            note = note.or(this);
        }
    }
    Ok(note)
}

/// Removes `.NAME.tmp-PID` files for the names a run writes, and nothing else.
fn remove_stale_temps(dir: &Path) -> Result<(), RunDirError> {
    let names: Vec<&str> = OWNED.iter().map(|(name, _)| *name).chain([PROBE]).collect();
    let entries = std::fs::read_dir(dir).map_err(|e| RunDirError::Io(dir.to_path_buf(), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if is_our_temp(&name.to_string_lossy(), &names) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}
