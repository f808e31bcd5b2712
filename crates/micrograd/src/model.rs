//! The names model of this stage: a neural bigram built from scalars. The previous character, one-hot,
//! goes through one linear [`Layer`] of `vocab_size` neurons; their outputs are the logits of the next
//! character, turned into probabilities by a softmax.

use anyhow::Result;
use autograd::Value;
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::cli::Saved;
use harness::{PyRandom, Vocab};

use crate::config::{Config, ModelConfig};
use crate::nn::{Activation, Layer, Module};

/// A bigram model: the next character's logits from the previous character alone.
#[derive(Debug, Clone)]
pub struct Bigram {
    /// Characters ↔ ids; `vocab.len()` inputs and outputs.
    pub vocab: Vocab,
    /// `vocab_size` linear neurons of `vocab_size` inputs each: neuron `j` scores character `j`.
    pub layer: Layer,
}

// ANCHOR: forward
impl Bigram {
    /// Fresh weights uniform in (-init_scale, init_scale), biases 0.
    pub fn new(vocab: Vocab, config: &ModelConfig, rng: &mut PyRandom) -> Bigram {
        let n = vocab.len();
        Bigram { layer: Layer::with_scale(n, n, Activation::Linear, config.init_scale, rng), vocab }
    }

    /// The logits of the character after `prev`. The input is a one-hot vector of `Value`s and each
    /// neuron takes its full dot product with it, zeros and all: that is what the scalar engine does.
    /// (Every product but one is `w·0`, so the result is just column `prev` of the weights plus the
    /// biases; the later stages use that to replace this whole layer with a table lookup.)
    pub fn logits(&self, prev: usize) -> Vec<Value> {
        let x: Vec<Value> =
            (0..self.vocab.len()).map(|i| Value::new(if i == prev { 1.0 } else { 0.0 })).collect();
        self.layer.forward(&x)
    }

    /// The losses of every prediction in one encoded document (`[BOS, c1, …, cn, BOS]`): the negative
    /// log probability the model gave each character that actually came next.
    pub fn losses(&self, tokens: &[usize]) -> Vec<Value> {
        tokens.windows(2).map(|pair| -softmax(&self.logits(pair[0]))[pair[1]].ln()).collect()
    }
}

/// Probabilities from logits: `exp(lᵢ - max) / Σⱼ exp(lⱼ - max)`. Subtracting the largest logit (a
/// constant, so it changes neither the result nor the gradients) keeps `exp` from overflowing.
pub fn softmax(logits: &[Value]) -> Vec<Value> {
    let max = logits.iter().map(|l| l.data()).fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<Value> = logits.iter().map(|&l| (l - max).exp()).collect();
    let total = Value::sum(&exps);
    exps.iter().map(|&e| e / total).collect()
}
// ANCHOR_END: forward

impl Module for Bigram {
    fn parameters(&self) -> Vec<Value> {
        self.layer.parameters()
    }
}

impl Bigram {
    /// The weights by name: `w` (vocab, vocab), row = neuron = next character, column = previous
    /// character; `b` (vocab).
    pub fn named_parameters(&self) -> Vec<NamedTensor> {
        let n = self.vocab.len();
        let w = self.layer.neurons.iter().flat_map(|neuron| neuron.w.iter().map(|w| w.data())).collect();
        let b = self.layer.neurons.iter().map(|neuron| neuron.b.data()).collect();
        vec![NamedTensor::f64("w", &[n, n], w), NamedTensor::f64("b", &[n], b)]
    }

    /// Rebuilds a model from a checkpoint, checking that the weights fit its vocabulary.
    pub fn from_checkpoint(ckpt: &Checkpoint<Saved<Config>>) -> Result<Bigram> {
        let vocab = ckpt.config.vocab.clone();
        let n = vocab.len();
        ckpt.expect_names(&["w", "b"])?;
        let (w, b) = (ckpt.expect_shape_f64("w", &[n, n])?, ckpt.expect_shape_f64("b", &[n])?);
        let config = ModelConfig { vocab_size: n, init_scale: 0.0 };
        config.check_memory(1)?;
        let model = Bigram::new(vocab, &config, &mut PyRandom::new(0));
        for (j, neuron) in model.layer.neurons.iter().enumerate() {
            for (i, wi) in neuron.w.iter().enumerate() {
                wi.set_data(w[j * n + i]);
            }
            neuron.b.set_data(b[j]);
        }
        Ok(model)
    }
}
