//! The data as this stage reads it: every (context → next character) example of every name, split the
//! canonical 80/10/10 way, and minibatches drawn from them.

use anyhow::{Result, ensure};
use harness::{PyRandom, Split, Vocab};

/// The names, tokenised and split, as examples.
pub struct Dataset {
    /// Characters ↔ ids: every character of the file, so validation names encode too.
    pub vocab: Vocab,
    /// The training examples.
    pub train: Examples,
    /// The validation examples.
    pub val: Examples,
    /// The test examples (touched once, at the very end, if ever).
    pub test: Examples,
}

impl Dataset {
    /// Tokenises `docs`, splits them, and slides a window of `block_size` over every name.
    pub fn new(docs: &[String], block_size: usize) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let split = Split::new(docs);
        ensure!(
            !split.train.is_empty() && !split.val.is_empty(),
            "{} names are too few to split 80/10/10 into training and validation names",
            docs.len()
        );
        let encode = |words: &[String]| -> Result<Examples> {
            let words: Vec<Vec<usize>> =
                words.iter().map(|w| vocab.encode_with_bos(w)).collect::<Result<_, _>>()?;
            Ok(Examples::new(&words, block_size, vocab.bos()))
        };
        Ok(Dataset {
            train: encode(&split.train)?,
            val: encode(&split.val)?,
            test: encode(&split.test)?,
            vocab,
        })
    }
}

// ANCHOR: examples
/// Examples of one split: `x` holds `block_size` token ids per example (row-major), `y` the next one.
pub struct Examples {
    pub block_size: usize,
    pub x: Vec<usize>,
    pub y: Vec<usize>,
}

impl Examples {
    /// makemore's `build_dataset`: slide a window of `block_size` tokens over each word, starting from a
    /// context of all BOS (`...`), so "emma" gives `... → e`, `..e → m`, `.em → m`, `emm → a`, `mma → .`.
    pub fn new(words: &[Vec<usize>], block_size: usize, bos: usize) -> Examples {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for word in words {
            let mut context = vec![bos; block_size];
            // `word` is [BOS, c1, …, ck, BOS]: predict every token after the first.
            for &ix in &word[1..] {
                x.extend_from_slice(&context);
                y.push(ix);
                context.rotate_left(1);
                context[block_size - 1] = ix;
            }
        }
        Examples { block_size, x, y }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}
// ANCHOR_END: examples

// ANCHOR: batch
/// A minibatch: `batch_size` examples drawn uniformly with replacement (`torch.randint`).
pub fn minibatch(data: &Examples, batch_size: usize, rng: &mut PyRandom) -> (Vec<usize>, Vec<usize>) {
    let t = data.block_size;
    let (mut x, mut y) = (Vec::with_capacity(batch_size * t), Vec::with_capacity(batch_size));
    for _ in 0..batch_size {
        let i = rng.randbelow(data.len() as u64) as usize;
        x.extend_from_slice(&data.x[i * t..][..t]);
        y.push(data.y[i]);
    }
    (x, y)
}
// ANCHOR_END: batch
