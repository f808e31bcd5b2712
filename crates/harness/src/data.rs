//! The documents: one per line of a UTF-8 text file, read exactly as microGPT's Python reads them:
//!
//! ```python
//! docs = [l.strip() for l in open(path).read().strip().split('\n') if l.strip()]
//! ```
//!
//! Text mode means universal newlines (`\r\n` and a lone `\r` end a line too), and `str.strip()` removes
//! what `str.isspace()` calls whitespace (see [`is_py_space`]). Other Unicode line separators (`\u{2028}`,
//! `\x0c`, …) do not split lines — `split('\n')` only splits at `\n` — but are stripped from the ends.

use crate::limits::{LimitError, MAX_DATA_BYTES, check_memory, human_bytes};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why the documents could not be loaded; each prints as one line naming the file.
#[derive(Debug)]
pub enum DataError {
    /// No file at the path.
    NotFound(PathBuf),
    /// The file exists but could not be read (a directory, no permission, …).
    Io(PathBuf, std::io::Error),
    /// The bytes are not UTF-8; `line` is 1-based.
    NotUtf8 { path: PathBuf, line: usize },
    /// Nothing but whitespace: no documents to learn from.
    Empty(PathBuf),
    /// Larger than [`MAX_DATA_BYTES`].
    TooLarge(PathBuf),
    /// A directory, not a file.
    IsDir(PathBuf),
    /// Its documents would not fit in the memory a run may use.
    Memory(LimitError),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(p) => write!(
                f,
                "data file not found: {} (the repo ships data/names.txt; give any file with --data FILE)",
                p.display()
            ),
            Self::Io(p, e) => write!(f, "cannot read data file {}: {e}", p.display()),
            Self::NotUtf8 { path, line } => {
                write!(f, "data file {} is not UTF-8 text: invalid bytes on line {line}", path.display())
            }
            Self::Empty(p) => {
                write!(f, "data file {} holds no documents (it is empty or all whitespace)", p.display())
            }
            Self::TooLarge(p) => write!(
                f,
                "data file {} is larger than {}, the most a stage reads",
                p.display(),
                human_bytes(u128::from(MAX_DATA_BYTES))
            ),
            Self::IsDir(p) => write!(f, "--data {} is a directory; give a text file", p.display()),
            Self::Memory(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DataError {}

/// Where the repo's `data/names.txt` is: the default for `--data`, found from this crate's source
/// directory at compile time so that `cargo run` works from any working directory.
pub fn default_data_path() -> PathBuf {
    // CARGO_MANIFEST_DIR is <workspace>/crates/harness.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).join("data").join("names.txt")
}

/// The cheap part of [`load_docs`]'s checks, from the file's metadata alone (never opened, so a FIFO is
/// left for `load_docs` to read once): it exists and, if a regular file, is not larger than
/// [`MAX_DATA_BYTES`]. For refusing a missing `--data` before any other work, even the run directory.
pub fn check_data(path: &Path) -> Result<(), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound(path.to_path_buf()),
        _ => DataError::Io(path.to_path_buf(), e),
    })?;
    if meta.is_dir() {
        return Err(DataError::IsDir(path.to_path_buf()));
    }
    if meta.is_file() && meta.len() > MAX_DATA_BYTES {
        return Err(DataError::TooLarge(path.to_path_buf()));
    }
    Ok(())
}

/// Reads the documents of `path`, one per non-blank line, stripped like Python's `str.strip()`.
///
/// Refuses a file larger than [`MAX_DATA_BYTES`] (checked before reading a regular file, and by reading
/// at most one byte more than the cap from anything else, such as a pipe or `/dev/zero`), and one whose
/// documents would need more memory than [`check_memory`] allows.
pub fn load_docs(path: &Path) -> Result<Vec<String>, DataError> {
    let io_err = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::NotFound(path.to_path_buf()),
        _ => DataError::Io(path.to_path_buf(), e),
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if meta.is_dir() {
        return Err(DataError::IsDir(path.to_path_buf()));
    }
    if meta.is_file() && meta.len() > MAX_DATA_BYTES {
        return Err(DataError::TooLarge(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_DATA_BYTES + 1).read_to_end(&mut bytes).map_err(io_err)?;
    if bytes.len() as u64 > MAX_DATA_BYTES {
        return Err(DataError::TooLarge(path.to_path_buf()));
    }
    // What parsing holds at its peak: the text and its newline-normalised copy, and for each line a
    // String (24 bytes) plus its heap block (at least 16 with the allocator's bookkeeping) and bytes.
    let lines = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u128 + 1;
    let estimate = 3 * bytes.len() as u128 + lines * 40;
    check_memory(&format!("data file {}", path.display()), estimate).map_err(DataError::Memory)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| DataError::NotUtf8 {
        path: path.to_path_buf(),
        line: line_breaks(&bytes[..e.valid_up_to()]) + 1,
    })?;
    let docs = parse_docs(text);
    if docs.is_empty() {
        return Err(DataError::Empty(path.to_path_buf()));
    }
    Ok(docs)
}

/// The documents of `text`, as Python's text mode + `strip` + `split('\n')` would find them.
pub fn parse_docs(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n"); // universal newlines
    text.split('\n').map(py_strip).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Python's `str.strip()` with no argument.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str.isspace()` for one character: Unicode `White_Space` (what Rust's `char::is_whitespace`
/// tests) plus the four ASCII separators `\x1c`–`\x1f`, which Python also counts because their
/// bidirectional class is B or S. Checked against Python 3.11 over every code point.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// How many line breaks (`\n`, `\r\n` or a lone `\r`, each counting once) `bytes` holds.
fn line_breaks(bytes: &[u8]) -> usize {
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
        if b == b'\n' || (b == b'\r' && !crlf) {
            n += 1;
        }
    }
    n
}
