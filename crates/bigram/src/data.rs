//! The data as this stage reads it: every word as `[BOS, c1, …, ck, BOS]`, split the canonical 80/10/10
//! way, and the (current, next) pairs the neural bigram learns from.

use anyhow::{Result, ensure};
use harness::{Split, Vocab};

/// The words, tokenised and split.
pub struct Dataset {
    /// Characters ↔ ids: every character of the file, so validation words encode too.
    pub vocab: Vocab,
    /// Every word of the file, in file order (the lecture counts them all).
    pub all: Vec<Vec<usize>>,
    /// The training words.
    pub train: Vec<Vec<usize>>,
    /// The validation words.
    pub val: Vec<Vec<usize>>,
    /// The test words.
    pub test: Vec<Vec<usize>>,
}

impl Dataset {
    /// Tokenises `docs` and splits them.
    pub fn new(docs: &[String]) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let split = Split::new(docs);
        ensure!(
            !split.train.is_empty() && !split.val.is_empty(),
            "{} words are too few to split 80/10/10 into training and validation words",
            docs.len()
        );
        let encode = |words: &[String]| -> Result<Vec<Vec<usize>>> {
            words.iter().map(|w| Ok(vocab.encode_with_bos(w)?)).collect()
        };
        Ok(Dataset {
            all: encode(docs)?,
            train: encode(&split.train)?,
            val: encode(&split.val)?,
            test: encode(&split.test)?,
            vocab,
        })
    }
}

// ANCHOR: pairs
/// The training set of the neural bigram: inputs xs (the current token) and targets ys (the next one),
/// one pair per prediction.
pub fn pairs(words: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    words.iter().flat_map(|w| w.windows(2)).map(|p| (p[0], p[1])).unzip()
}
// ANCHOR_END: pairs
