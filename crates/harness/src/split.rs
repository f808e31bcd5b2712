//! The canonical split every stage uses, so that their losses are measured on the same words:
//!
//! ```python
//! random.seed(42)
//! random.shuffle(docs)
//! n1, n2 = int(0.8 * len(docs)), int(0.9 * len(docs))
//! train, val, test = docs[:n1], docs[n1:n2], docs[n2:]
//! ```
//!
//! (makemore splits its tensors the same 80/10/10 way; microGPT trains on the whole shuffled list.)

use crate::pyrandom::PyRandom;

/// The seed of the shuffle, Karpathy's.
pub const SPLIT_SEED: u64 = 42;

/// The documents shuffled once, and cut 80% / 10% / 10%.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// All documents in shuffled order (what microGPT trains on).
    pub shuffled: Vec<String>,
    /// `shuffled[..n1]`, `n1 = int(0.8 * n)`: what the model learns from.
    pub train: Vec<String>,
    /// `shuffled[n1..n2]`, `n2 = int(0.9 * n)`: watched during training, for tuning.
    pub val: Vec<String>,
    /// `shuffled[n2..]`: touched only to report the final number.
    pub test: Vec<String>,
}

impl Split {
    /// Shuffles a copy of `docs` with `PyRandom::new(42)` and cuts it.
    pub fn new(docs: &[String]) -> Self {
        let shuffled: Vec<String> =
            shuffled_indices(docs.len()).into_iter().map(|i| docs[i].clone()).collect();
        let (n1, n2) = cuts(shuffled.len());
        Self {
            train: shuffled[..n1].to_vec(),
            val: shuffled[n1..n2].to_vec(),
            test: shuffled[n2..].to_vec(),
            shuffled,
        }
    }
}

/// The shuffle of the split as a permutation: `Split::new(docs).shuffled[k]` is
/// `docs[shuffled_indices(docs.len())[k]]` (a shuffle's swaps depend only on the length). For callers
/// that need the positions of the split's words rather than copies of them.
pub fn shuffled_indices(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    PyRandom::new(SPLIT_SEED).shuffle(&mut order);
    order
}

/// `(n1, n2)`: the shuffled documents' train, val and test parts are `..n1`, `n1..n2` and `n2..`.
pub fn cuts(n: usize) -> (usize, usize) {
    // Python's int() truncates toward zero, as `as usize` does for non-negative floats.
    ((0.8 * n as f64) as usize, (0.9 * n as f64) as usize)
}

/// How many next-character predictions the documents make: each word of `len` characters predicts
/// `len + 1` tokens (its characters, then BOS). The denominator of a per-token loss over them.
pub fn n_predictions(docs: &[String]) -> usize {
    docs.iter().map(|d| d.chars().count() + 1).sum()
}
