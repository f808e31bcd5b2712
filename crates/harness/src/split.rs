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
        let mut shuffled = docs.to_vec();
        PyRandom::new(SPLIT_SEED).shuffle(&mut shuffled);
        let n = shuffled.len();
        // Python's int() truncates toward zero, as `as usize` does for non-negative floats.
        let n1 = (0.8 * n as f64) as usize;
        let n2 = (0.9 * n as f64) as usize;
        Self {
            train: shuffled[..n1].to_vec(),
            val: shuffled[n1..n2].to_vec(),
            test: shuffled[n2..].to_vec(),
            shuffled,
        }
    }
}

/// How many next-character predictions the documents make: each word of `len` characters predicts
/// `len + 1` tokens (its characters, then BOS). The denominator of a per-token loss over them.
pub fn n_predictions(docs: &[String]) -> usize {
    docs.iter().map(|d| d.chars().count() + 1).sum()
}
