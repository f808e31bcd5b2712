//! The data as batches of (B, T) inputs and targets, from either source:
//!
//! - names (one per line, the canonical split): each name one row, makemore's way:
//!   `x = [BOS, c1 … cn, pad …]`, `y = [c1 … cn, BOS, IGNORE …]` (names longer than T - 1 are cut);
//! - a plain text file (`--text`): one stream of characters, 90% to train on and 10% held out; an
//!   example is any window of T + 1 characters, predicting each of its last T from the ones before.
//!   With `--tokenizer`, the stream is the text's BPE token ids instead (nanoGPT's Shakespeare with
//!   GPT-2's tokenizer, here with one `tokenizer train` learned).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use harness::{PyRandom, Split, Vocab};
use tokenizer::Tokenizer;

use crate::model::IGNORE;

// ANCHOR: examples
/// The examples of one split.
pub enum Examples {
    /// One row of T inputs and T targets per name, stored back to back.
    Rows { x: Vec<usize>, y: Vec<usize> },
    /// A stream of tokens; the example at `i` is the window `i..i + T + 1`.
    Stream(Vec<usize>),
}

/// A batch of B sequences of T tokens, row by row, and their targets.
#[derive(Default, Clone, Debug, PartialEq)]
pub struct Batch {
    pub x: Vec<usize>,
    pub y: Vec<usize>,
    pub b: usize,
}
// ANCHOR_END: examples

impl Batch {
    /// How many targets are predictions to learn (not padding).
    pub fn n_targets(&self) -> usize {
        self.y.iter().filter(|&&y| y != IGNORE).count()
    }

    /// The UTF-8 bytes of the text the targets stand for, `token_bytes[id]` each (padding excluded).
    pub fn n_bytes(&self, token_bytes: &[usize]) -> usize {
        self.y.iter().filter(|&&y| y != IGNORE).map(|&y| token_bytes[y]).sum()
    }
}

// ANCHOR: rows
/// makemore's rows for names: `[BOS] + name + [BOS]`, input the first T tokens, target the next T;
/// positions past the name's end have input BOS (padding) and target `IGNORE`.
pub fn name_rows(docs: &[Vec<usize>], bos: usize, t: usize) -> Examples {
    let (mut x, mut y) = (vec![bos; docs.len() * t], vec![IGNORE; docs.len() * t]);
    for (i, doc) in docs.iter().enumerate() {
        let seq: Vec<usize> = [bos].into_iter().chain(doc.iter().copied()).chain([bos]).collect();
        let n = t.min(seq.len() - 1);
        x[i * t..i * t + n].copy_from_slice(&seq[..n]);
        y[i * t..i * t + n].copy_from_slice(&seq[1..=n]);
    }
    Examples::Rows { x, y }
}
// ANCHOR_END: rows

impl Examples {
    /// How many distinct examples there are for sequences of `t` tokens.
    pub fn len(&self, t: usize) -> usize {
        match self {
            Examples::Rows { x, .. } => x.len() / t,
            Examples::Stream(tokens) => tokens.len().saturating_sub(t),
        }
    }

    /// Appends example `i` to `batch`.
    fn push(&self, i: usize, t: usize, batch: &mut Batch) {
        match self {
            Examples::Rows { x, y } => {
                batch.x.extend_from_slice(&x[i * t..(i + 1) * t]);
                batch.y.extend_from_slice(&y[i * t..(i + 1) * t]);
            }
            Examples::Stream(tokens) => {
                batch.x.extend_from_slice(&tokens[i..i + t]);
                batch.y.extend_from_slice(&tokens[i + 1..i + t + 1]);
            }
        }
        batch.b += 1;
    }

    // ANCHOR: get_batch
    /// nanoGPT's `get_batch`: `b` examples drawn uniformly with replacement (makemore's way too).
    pub fn get_batch(&self, rng: &mut PyRandom, b: usize, t: usize, batch: &mut Batch) {
        batch.x.clear();
        batch.y.clear();
        batch.b = 0;
        let n = self.len(t) as u64;
        for _ in 0..b {
            self.push(rng.randbelow(n) as usize, t, batch);
        }
    }
    // ANCHOR_END: get_batch

    /// Every example once, in batches of up to `b`: every name, or the stream cut into consecutive
    /// windows (each token predicted once). For the exact loss of a whole split.
    pub fn all(&self, b: usize, t: usize) -> Vec<Batch> {
        let starts: Vec<usize> = match self {
            Examples::Rows { .. } => (0..self.len(t)).collect(),
            Examples::Stream(_) => (0..self.len(t)).step_by(t).collect(),
        };
        starts
            .chunks(b)
            .map(|chunk| {
                let mut batch = Batch::default();
                chunk.iter().for_each(|&i| self.push(i, t, &mut batch));
                batch
            })
            .collect()
    }
}

/// Where the examples come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// One name per line; a sample is one name.
    #[default]
    Names,
    /// One stream of characters; a sample is a continuation of the prompt.
    Text,
}

/// Both splits, tokenised, with their vocabulary.
pub struct Dataset {
    pub source: Source,
    pub vocab: Vocab,
    /// The BPE the text is tokenised with, if not characters.
    pub tokenizer: Option<Tokenizer>,
    /// How many token ids there are: `vocab.len()` for characters, the BPE's vocabulary size else.
    pub vocab_size: usize,
    /// The UTF-8 bytes of the text each token id stands for (BOS: the newline that ends a name), to
    /// turn a loss into bits per byte.
    pub token_bytes: Vec<usize>,
    pub train: Examples,
    pub val: Examples,
}

impl Dataset {
    /// The text file `text` if there is one (in the tokens of the BPE in `tokenizer`, if given), else the
    /// names in `names`.
    pub fn new(
        names: &Path,
        text: Option<&Path>,
        tokenizer: Option<&Path>,
        block_size: usize,
    ) -> Result<Dataset> {
        match (text, tokenizer) {
            (Some(text), Some(tok)) => {
                let bpe =
                    tokenizer::files::load(tok).with_context(|| format!("--tokenizer {}", tok.display()))?;
                Dataset::text_bpe(text, bpe, block_size)
            }
            (Some(text), None) => Dataset::text(text, block_size),
            (None, Some(_)) => anyhow::bail!("--tokenizer is for --text: names are learned as characters"),
            (None, None) => Dataset::names(names, block_size),
        }
    }

    /// The names file on the canonical split (train and val; test stays untouched).
    pub fn names(path: &Path, block_size: usize) -> Result<Dataset> {
        let docs = harness::load_docs(path)?;
        let vocab = Vocab::from_docs(&docs);
        let split = Split::new(&docs);
        let encode = |docs: &[String]| -> Result<Vec<Vec<usize>>> {
            Ok(docs.iter().map(|d| vocab.encode(d)).collect::<Result<_, _>>()?)
        };
        let (train, val) = (encode(&split.train)?, encode(&split.val)?);
        ensure!(!train.is_empty() && !val.is_empty(), "{}: too few names to split", path.display());
        let bos = vocab.bos();
        Ok(Dataset {
            source: Source::Names,
            train: name_rows(&train, bos, block_size),
            val: name_rows(&val, bos, block_size),
            tokenizer: None,
            vocab_size: vocab.len(),
            token_bytes: char_bytes(&vocab),
            vocab,
        })
    }

    /// A plain text file as one stream of characters, the first 90% for training, the rest held out.
    pub fn text(path: &Path, block_size: usize) -> Result<Dataset> {
        let text = read_text(path)?;
        let vocab = Vocab::from_docs(&[&text]);
        let tokens = vocab.encode(&text)?;
        let (train, val) = split_stream(path, tokens, block_size, "characters")?;
        Ok(Dataset {
            source: Source::Text,
            tokenizer: None,
            vocab_size: vocab.len(),
            token_bytes: char_bytes(&vocab),
            vocab,
            train: Examples::Stream(train),
            val: Examples::Stream(val),
        })
    }

    /// A plain text file as one stream of `tok`'s token ids, the first 90% of them for training.
    pub fn text_bpe(path: &Path, tok: Tokenizer, block_size: usize) -> Result<Dataset> {
        let text = read_text(path)?;
        // The characters' split (the first 90% of the characters to learn from), each part encoded on
        // its own: the val text is the character model's to the byte, so bits per byte compare the two.
        let n = (0.9 * text.chars().count() as f64) as usize;
        let cut = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
        let encode = |part: &str| -> Result<Vec<usize>> {
            let ids =
                tok.encode_ordinary(part).with_context(|| format!("cannot encode {}", path.display()))?;
            Ok(ids.into_iter().map(|id| id as usize).collect())
        };
        let (train, val) = (encode(&text[..cut])?, encode(&text[cut..])?);
        check_parts(path, &train, &val, block_size, "tokens")?;
        let token_bytes = (0..tok.vocab_size() as u32).map(|id| tok.token_bytes(id).map_or(0, <[u8]>::len));
        Ok(Dataset {
            source: Source::Text,
            vocab_size: tok.vocab_size(),
            token_bytes: token_bytes.collect(),
            tokenizer: Some(tok),
            // Saved in the checkpoint as every stage's vocabulary is; sampling decodes with the BPE.
            vocab: Vocab::from_docs(&[&text]),
            train: Examples::Stream(train),
            val: Examples::Stream(val),
        })
    }
}

/// A file's text: refused in one line if unreadable, not UTF-8, or blank.
fn read_text(path: &Path) -> Result<String> {
    let bytes = harness::limits::read_file_at_most(path, harness::limits::MAX_DATA_BYTES)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    ensure!(!text.trim().is_empty(), "{} is empty", path.display());
    Ok(text)
}

/// The first 90% of `tokens` to train on, the rest held out; each part must hold a window.
fn split_stream(
    path: &Path,
    tokens: Vec<usize>,
    block_size: usize,
    what: &str,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let n = (0.9 * tokens.len() as f64) as usize;
    let (train, val) = (tokens[..n].to_vec(), tokens[n..].to_vec());
    check_parts(path, &train, &val, block_size, what)?;
    Ok((train, val))
}

/// Each part must hold more than one window of `block_size` + 1.
fn check_parts(path: &Path, train: &[usize], val: &[usize], block_size: usize, what: &str) -> Result<()> {
    for (name, part) in [("training", train), ("validation", val)] {
        ensure!(
            part.len() > block_size,
            "{}: the {name} part has {} {what}, too few for --block-size {block_size}",
            path.display(),
            part.len()
        );
    }
    Ok(())
}

/// The UTF-8 length of each character of `vocab`, and 1 for BOS (a name's end is its newline).
fn char_bytes(vocab: &Vocab) -> Vec<usize> {
    vocab.chars().iter().map(|c| c.len_utf8()).chain([1]).collect()
}
