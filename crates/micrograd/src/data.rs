//! The data as this stage reads it: every name as `[BOS, c1, …, cn, BOS]`, split the canonical 80/10/10
//! way into training and validation names.

use anyhow::{Result, ensure};
use harness::{Split, Vocab};

/// The names, tokenised and split.
pub struct Dataset {
    /// Characters ↔ ids: every character of the file, so validation names encode too.
    pub vocab: Vocab,
    /// The training names.
    pub train: Vec<Vec<usize>>,
    /// The validation names.
    pub val: Vec<Vec<usize>>,
}

impl Dataset {
    /// Tokenises `docs` and splits them.
    pub fn new(docs: &[String]) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let split = Split::new(docs);
        ensure!(
            !split.train.is_empty() && !split.val.is_empty(),
            "{} names are too few to split 80/10/10 into training and validation names",
            docs.len()
        );
        let encode = |words: &[String]| -> Result<Vec<Vec<usize>>> {
            words.iter().map(|w| Ok(vocab.encode_with_bos(w)?)).collect()
        };
        Ok(Dataset { train: encode(&split.train)?, val: encode(&split.val)?, vocab })
    }
}
