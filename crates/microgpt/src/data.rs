//! microGPT's dataset and tokenizer sections: the documents, shuffled by the run's random stream, each
//! encoded as `[BOS, c1, …, cn, BOS]`; and the canonical split's validation words, for the val loss.

use anyhow::{Result, ensure};
use harness::{PyRandom, Vocab, split};

// ANCHOR: dataset
/// The documents, tokenised.
pub struct Dataset {
    /// Characters ↔ ids: every character of the file, plus BOS.
    pub vocab: Vocab,
    /// Documents in the order training visits them (microGPT's `docs` after `random.shuffle`).
    pub train: Vec<Vec<usize>>,
    /// The canonical split's validation words, which the val loss is measured on.
    pub val: Vec<Vec<usize>>,
}

impl Dataset {
    /// Shuffles with `rng` exactly as microGPT's `random.shuffle(docs)` does (it is the first use of
    /// the random stream, so the initialisation that follows sees the same stream as in Python).
    pub fn new(docs: &[String], rng: &mut PyRandom, held_out: bool) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let encode = |d: &String| vocab.encode_with_bos(d).map_err(anyhow::Error::from);
        let mut order: Vec<usize> = (0..docs.len()).collect();
        rng.shuffle(&mut order);
        // The canonical split is a shuffle of its own (seed 42); with --held-out, training skips the
        // words it sets aside for validation and test.
        let canonical = split::shuffled_indices(docs.len());
        let (n1, n2) = split::cuts(docs.len());
        let mut is_train = vec![false; docs.len()];
        for &i in &canonical[..n1] {
            is_train[i] = true;
        }
        let train: Vec<_> = order
            .iter()
            .filter(|&&i| !held_out || is_train[i])
            .map(|&i| encode(&docs[i]))
            .collect::<Result<_>>()?;
        ensure!(!train.is_empty(), "--held-out leaves no training words in {} documents", docs.len());
        let val = canonical[n1..n2].iter().map(|&i| encode(&docs[i])).collect::<Result<_>>()?;
        Ok(Dataset { vocab, train, val })
    }
}
// ANCHOR_END: dataset
