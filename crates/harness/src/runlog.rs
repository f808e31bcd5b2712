//! The run log: one JSON line per evaluation, the same fields for every stage, so that
//! `cargo xtask compare` can put every stage's loss curve on one plot.
//!
//! ```json
//! {"stage":"bigram","step":100,"tokens_seen":3200,"elapsed_s":0.41,"train_loss":2.47,"val_loss":null}
//! ```

use crate::overwrite::{
    OverwriteError, Replacing, create_fresh, create_temp, guard_replace, parent_of, sync_dir,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The run log's file name inside a run directory.
pub const LOG_FILE: &str = "log.jsonl";

/// One evaluation during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Which stage wrote it (`micrograd`, `bigram`, `mlp`, `nanogpt`, `microgpt`).
    pub stage: String,
    /// Optimisation steps taken so far.
    pub step: usize,
    /// Training tokens (next-character predictions) the model has learned from so far: the fair x-axis
    /// across stages with different batch sizes.
    pub tokens_seen: u64,
    /// Wall-clock seconds since training started.
    pub elapsed_s: f64,
    /// Mean loss on the training split, `null` when not computed at this step. (A NaN would also be
    /// written as `null`, JSON having no NaN; stages stop on a NaN loss before logging it.)
    pub train_loss: Option<f64>,
    /// Mean loss on the validation split, `null` when not computed at this step.
    pub val_loss: Option<f64>,
    /// The same evaluation in bits per byte of the text predicted (the summed loss ÷ its UTF-8 bytes ÷
    /// ln 2): comparable across tokenizers. Absent from stages that do not compute it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_bpb: Option<f64>,
    /// Of `elapsed_s`, the seconds spent training: evaluations and checkpoints left out. The time a
    /// trainer took to reach a loss, whatever its evaluations cost (`cargo xtask ladder` compares it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_s: Option<f64>,
}

/// Why the run log could not be written or read; one line each.
#[derive(Debug)]
pub enum RunLogError {
    /// A file or directory operation failed.
    Io(PathBuf, std::io::Error),
    /// A line of the log is not a [`Record`]; `line` is 1-based.
    BadLine { path: PathBuf, line: usize, msg: String },
    /// The log would replace a file that is not ours.
    Overwrite(OverwriteError),
}

impl fmt::Display for RunLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(p, e) => write!(f, "run log {}: {e}", p.display()),
            Self::BadLine { path, line, msg } => {
                write!(f, "run log {} line {line} is not a run log record: {msg}", path.display())
            }
            Self::Overwrite(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RunLogError {}

/// Appends records to a run log, one flushed line each, so a run that crashes keeps its log so far.
#[derive(Debug)]
pub struct RunLogWriter {
    file: File,
    path: PathBuf,
    replacing: Option<Replacing>,
    /// A log started with [`RunLogWriter::create_pending`] and not yet committed: its temporary name.
    pending: Option<PathBuf>,
    /// Whether a pending log dropped uncommitted (the run failed) is put in place or removed.
    keep_on_drop: bool,
}

impl RunLogWriter {
    /// Starts a fresh log at `path`, creating its directory. An existing file there is replaced only if it
    /// is ours ([`is_our_log`]: it reads back as a run log), and never through a symlink: the new file is
    /// created under a temporary name and renamed into place. ([`crate::rundir::RunDir::log`] is this for
    /// a run directory.)
    pub fn create(path: &Path) -> Result<Self, RunLogError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| RunLogError::Io(dir.to_path_buf(), e))?;
        }
        let replacing = guard_replace(path, is_our_log).map_err(RunLogError::Overwrite)?;
        let file = create_fresh(path).map_err(RunLogError::Overwrite)?;
        Ok(Self { file, path: path.to_path_buf(), replacing, pending: None, keep_on_drop: false })
    }

    /// Starts a fresh log that is written under a temporary name beside `path` and takes its place only
    /// at [`RunLogWriter::commit`]: a run commits its log with its first checkpoint, so that an earlier
    /// run's log and checkpoint stay together until the new run has both. Dropped uncommitted (the run
    /// failed before its first checkpoint), the log is put in place when `keep_on_drop` (there is no
    /// earlier checkpoint to pair with) and removed otherwise. A kill leaves the temporary file, which
    /// the next run in the directory removes.
    pub fn create_pending(path: &Path, keep_on_drop: bool) -> Result<Self, RunLogError> {
        let replacing = guard_replace(path, is_our_log).map_err(RunLogError::Overwrite)?;
        let (tmp, file) = create_temp(path).map_err(RunLogError::Overwrite)?;
        Ok(Self { file, path: path.to_path_buf(), replacing, pending: Some(tmp), keep_on_drop })
    }

    /// Puts a pending log in place (renaming it over an earlier log of ours, never through a symlink);
    /// does nothing for a log already in place.
    pub fn commit(&mut self) -> Result<(), RunLogError> {
        let Some(tmp) = self.pending.take() else { return Ok(()) };
        guard_replace(&self.path, is_our_log).map_err(RunLogError::Overwrite)?;
        std::fs::rename(&tmp, &self.path).map_err(|e| RunLogError::Io(self.path.clone(), e))?;
        sync_dir(parent_of(&self.path)).map_err(RunLogError::Overwrite)
    }

    /// Writes one record as one line, straight to the file.
    pub fn append(&mut self, record: &Record) -> Result<(), RunLogError> {
        let mut line = serde_json::to_string(record).expect("a Record always serialises");
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| RunLogError::Io(self.path.clone(), e))
    }

    /// The note to show if creating the log replaced an earlier run's log.
    pub fn replacing(&self) -> Option<&Replacing> {
        self.replacing.as_ref()
    }

    /// Where the log is being written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLogWriter {
    fn drop(&mut self) {
        if let Some(tmp) = self.pending.take() {
            // Best effort, as a drop must be: a failure leaves the temporary file for the next run.
            if self.keep_on_drop {
                let _ = std::fs::rename(&tmp, &self.path);
            } else {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }
}

/// Whether `path` is a run log of ours: empty (a run killed before its first evaluation), or every
/// complete line a [`Record`] with at least one of them, and at most a torn last line after them (a run
/// killed mid-write). Files over 1 GiB are not read, and not ours.
pub fn is_our_log(path: &Path) -> bool {
    if std::fs::metadata(path).map_or(true, |m| m.len() > crate::limits::MAX_DATA_BYTES) {
        return false;
    }
    let Ok(bytes) = crate::limits::read_file_at_most(path, crate::limits::MAX_DATA_BYTES) else {
        return false;
    };
    let Ok(text) = String::from_utf8(bytes) else { return false };
    if text.is_empty() {
        return true;
    }
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => return false, // one unterminated line: nothing proves it is a log
    };
    let mut records = 0;
    for line in complete.lines().filter(|l| !l.trim().is_empty()) {
        if serde_json::from_str::<Record>(line).is_err() {
            return false;
        }
        records += 1;
    }
    records > 0
}

/// Reads a run log back, every non-blank line a [`Record`]; a bad line is named in the error.
pub fn read_run_log(path: &Path) -> Result<Vec<Record>, RunLogError> {
    let io = |e| RunLogError::Io(path.to_path_buf(), e);
    let bytes = crate::limits::read_file_at_most(path, crate::limits::MAX_DATA_BYTES).map_err(io)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| io(std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text")))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| RunLogError::BadLine {
                path: path.to_path_buf(),
                line: i + 1,
                msg: e.to_string(),
            })
        })
        .collect()
}
