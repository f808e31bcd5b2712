//! The model, twice. `Counts` is the bigram table of the lecture's first half: N[i, j] counts how often
//! token j follows token i. `Bigram` is its second half: a (V, V) weight matrix W whose row i, pushed
//! through softmax, is the distribution of the token after i — learned by gradient descent.

use anyhow::{Result, ensure};
use autograd::{Tensor, TensorTape, init};
use harness::PyRandom;
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::cli::Saved;

use crate::config::{Config, ModelConfig};

// ANCHOR: counts
/// The bigram table N (V, V), row-major: `n[i * V + j]` = how often token j follows token i.
#[derive(Clone, Debug, PartialEq)]
pub struct Counts {
    pub vocab_size: usize,
    pub n: Vec<u32>,
}

impl Counts {
    /// Counts every pair of neighbours in `words` (each already `[BOS, c1, …, ck, BOS]`).
    pub fn from_words(words: &[Vec<usize>], vocab_size: usize) -> Counts {
        let mut n = vec![0u32; vocab_size * vocab_size];
        for w in words {
            for pair in w.windows(2) {
                n[pair[0] * vocab_size + pair[1]] += 1;
            }
        }
        Counts { vocab_size, n }
    }

    /// The probabilities P (V, V): each row of N + smoothing, divided by its sum. A row that was never
    /// seen (and not smoothed) stays all zeros.
    pub fn probs(&self, smoothing: f64) -> Vec<f64> {
        let v = self.vocab_size;
        let mut p: Vec<f64> = self.n.iter().map(|&c| c as f64 + smoothing).collect();
        for row in p.chunks_exact_mut(v) {
            let sum: f64 = row.iter().sum();
            if sum > 0.0 {
                row.iter_mut().for_each(|x| *x /= sum);
            }
        }
        p
    }
}
// ANCHOR_END: counts

// ANCHOR: nll
/// The average negative log-likelihood of `words` under the table `probs` (V, V): the mean over every
/// predicted token of −log P[previous, next]. Infinite if some bigram has probability 0.
pub fn nll(probs: &[f64], vocab_size: usize, words: &[Vec<usize>]) -> f64 {
    let (mut log_likelihood, mut n) = (0.0, 0);
    for w in words {
        for pair in w.windows(2) {
            log_likelihood += probs[pair[0] * vocab_size + pair[1]].ln();
            n += 1;
        }
    }
    -log_likelihood / n as f64
}
// ANCHOR_END: nll

// ANCHOR: bigram
/// The bigram model, twice: the counts N of the training words, and the neural bigram, one linear layer
/// without bias, V inputs (one-hot) and V outputs (logits).
pub struct Bigram {
    pub config: ModelConfig,
    /// The count model's table.
    pub counts: Counts,
    /// (V, V): row i holds the logits ("log-counts") of the token after token i.
    pub w: Tensor,
}

impl Bigram {
    /// W ~ N(0, 1), as the lecture's `torch.randn((27, 27))`, beside the counts.
    pub fn new(config: &ModelConfig, counts: Counts, rng: &mut PyRandom) -> Bigram {
        let v = config.vocab_size;
        Bigram { w: init::normal(rng, &[v, v], 0.0, 1.0), counts, config: config.clone() }
    }

    /// Logits (N, V) for the tokens `xs`. The lecture's `F.one_hot(xs, V).float() @ W` multiplies a
    /// one-hot row by W, which picks out row `xs[i]` of W: an embedding lookup, without the zeros.
    pub fn forward(&self, xs: &[usize]) -> Tensor {
        self.w.embedding(xs, &[xs.len()]) // (N, V)
    }

    /// The loss: cross-entropy (softmax, then the mean of −log `p[target]`) plus `reg`·mean(W²).
    pub fn loss(&self, xs: &[usize], ys: &[usize], reg: f32) -> Tensor {
        let logits = self.forward(xs); // (N, V)
        let nll = logits.cross_entropy(ys);
        if reg > 0.0 { nll + self.w.powf(2.0).mean() * reg } else { nll }
    }

    /// The table of probabilities the network has learned, softmax(W) row by row (V, V): what the count
    /// model's P is, to compare and to sample from.
    pub fn probs(&self) -> Vec<f64> {
        let _no_grad = TensorTape::no_grad();
        let _scope = TensorTape::scope();
        self.w.softmax().data().iter().map(|&p| p as f64).collect()
    }
    // ANCHOR_END: bigram

    /// The weights by name: the network's `W` and the counts `N`, both (V, V).
    pub fn named_parameters(&self) -> Vec<NamedTensor> {
        let v = self.config.vocab_size;
        vec![
            NamedTensor::f32("W", &[v, v], self.w.data()),
            NamedTensor::f32("N", &[v, v], self.counts.n.iter().map(|&c| c as f32).collect()),
        ]
    }

    /// Rebuilds both models from a checkpoint, checking that the weights fit its vocabulary.
    pub fn from_checkpoint(ckpt: &Checkpoint<Saved<Config>>) -> Result<Bigram> {
        let v = ckpt.config.vocab.len();
        let config = ModelConfig { vocab_size: v, ..ckpt.config.config.model.clone() };
        config.validate()?;
        config.check_memory(0)?;
        ckpt.expect_names(&["W", "N"])?;
        let w = Tensor::param(ckpt.expect_shape("W", &[v, v])?, &[v, v]);
        let n = ckpt.expect_shape("N", &[v, v])?;
        ensure!(
            n.iter().all(|&c| c >= 0.0 && c.fract() == 0.0 && c < 16_777_216.0),
            "the checkpoint's counts N are not whole numbers"
        );
        let counts = Counts { vocab_size: v, n: n.iter().map(|&c| c as u32).collect() };
        Ok(Bigram { config, counts, w })
    }
}
