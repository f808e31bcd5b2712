//! A trained tokenizer on disk: `tokenizer.model` (minbpe's format, what `load` reads),
//! `tokenizer.vocab` (for reading) and `tokenizer.tiktoken` (tiktoken's ranks) in one directory.
//!
//! Nothing the user had is lost: a file already there is replaced only if it is recognisably one of
//! these (by its first line), every file is checked before any is written, and each is written to a
//! temporary name first and then renamed over, so a crash never leaves half a model.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::model_file::{self, VERSION};
use crate::{Error, Tokenizer};

pub const MODEL_FILE: &str = "tokenizer.model";
pub const VOCAB_FILE: &str = "tokenizer.vocab";
pub const TIKTOKEN_FILE: &str = "tokenizer.tiktoken";

/// The largest model file read: a vocabulary of [`crate::MAX_VOCAB_SIZE`] takes about 16 MB.
const MAX_MODEL_BYTES: u64 = 64 << 20;

/// How to recognise each of our files by its first line.
fn first_line_of(name: &str) -> &'static str {
    match name {
        MODEL_FILE => VERSION,
        VOCAB_FILE => "[\\u0000] 0",
        _ => "AA== 0",
    }
}

/// Whether the file at `path` begins with `line` and a newline.
fn starts_with_line(path: &Path, line: &str) -> bool {
    let mut head = vec![0u8; line.len() + 1];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok()
        && head[..line.len()] == *line.as_bytes()
        && (head[line.len()] == b'\n' || head[line.len()] == b'\r')
}

/// What [`save`] wrote.
#[derive(Debug)]
pub struct Saved {
    pub written: Vec<PathBuf>,
    /// Why there is no `tokenizer.tiktoken`, if there is none.
    pub no_tiktoken: Option<Error>,
}

/// Writes `tok`'s files into `dir` (created if needed), refusing with one line if a file there is not
/// ours.
pub fn save(dir: &Path, tok: &Tokenizer) -> Result<Saved> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for name in [MODEL_FILE, VOCAB_FILE, TIKTOKEN_FILE] {
        let path = dir.join(name);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => bail!("cannot inspect {}: {e}", path.display()),
            Ok(meta) if meta.is_dir() => bail!("cannot write {}: a directory is in the way", path.display()),
            Ok(_) if starts_with_line(&path, first_line_of(name)) => {}
            Ok(_) => bail!(
                "refusing to overwrite {}: it is not a tokenizer file written here (move it away or pick another --out)",
                path.display()
            ),
        }
    }
    let mut written = Vec::new();
    for (name, text) in [(MODEL_FILE, model_file::model_text(tok)), (VOCAB_FILE, model_file::vocab_text(tok))]
    {
        written.push(write_atomically(&dir.join(name), &text)?);
    }
    let no_tiktoken = match model_file::tiktoken_ranks(tok) {
        Ok(text) => {
            written.push(write_atomically(&dir.join(TIKTOKEN_FILE), &text)?);
            None
        }
        Err(e) => {
            // An earlier run's ranks would not match this model: they go (they are ours, checked above).
            let stale = dir.join(TIKTOKEN_FILE);
            if stale.exists() {
                std::fs::remove_file(&stale).with_context(|| format!("cannot remove {}", stale.display()))?;
            }
            Some(e)
        }
    };
    Ok(Saved { written, no_tiktoken })
}

fn write_atomically(path: &Path, text: &str) -> Result<PathBuf> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("tokenizer");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path.to_path_buf())
}

/// Loads a tokenizer from a directory holding `tokenizer.model`, or from a `.model` file itself (such
/// as one minbpe saved).
pub fn load(path: &Path) -> Result<Tokenizer> {
    let file = if path.is_dir() { path.join(MODEL_FILE) } else { path.to_path_buf() };
    let meta = std::fs::metadata(&file).with_context(|| format!("cannot read {}", file.display()))?;
    if meta.len() > MAX_MODEL_BYTES {
        bail!("{} is not a minbpe model file: {} bytes is far too large for one", file.display(), meta.len());
    }
    // Read one byte past the cap at most: the length of a link to a device is no bound.
    let mut bytes = Vec::new();
    std::fs::File::open(&file)
        .and_then(|f| f.take(MAX_MODEL_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("cannot read {}", file.display()))?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        bail!("{} is not a minbpe model file: it is far too large for one", file.display());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!("{} is not a minbpe model file: it is not UTF-8 text", file.display())
    })?;
    model_file::parse_model(&text).with_context(|| format!("{}", file.display()))
}
