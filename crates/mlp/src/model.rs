//! The model: an embedding table C, hidden tanh layers, and an output layer to logits.
//!
//! makemore part 2's MLP has one hidden layer that reads the whole context at once. Part 5's WaveNet
//! has several, each fusing neighbouring pairs: the same layer with a different `group`, so one
//! forward pass serves both.

use std::cell::RefCell;

use anyhow::Result;
use autograd::tensor::BatchNorm1d;
use autograd::{Tensor, init};
use harness::PyRandom;
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::cli::Saved;

use crate::config::{Config, ModelConfig};

// ANCHOR: parameters
/// One hidden layer: concatenate `group` consecutive vectors, multiply by W, add b (or batch-normalise),
/// squash with tanh.
pub struct Hidden {
    /// How many consecutive positions one output row reads: the whole context for the MLP, 2 for WaveNet.
    pub group: usize,
    /// (group · fan_in_per_position, n_hidden)
    pub w: Tensor,
    /// (n_hidden), absent with batch norm (its shift makes a bias redundant).
    pub b: Option<Tensor>,
    /// Batch norm over the n_hidden pre-activations (in a cell: a training forward pass updates its
    /// running statistics, as calling PyTorch's module does).
    pub bn: Option<RefCell<BatchNorm1d>>,
}

/// The MLP language model.
pub struct Mlp {
    pub config: ModelConfig,
    /// The embedding table (vocab_size, n_embd): row i is character i's learned vector.
    pub c: Tensor,
    pub hidden: Vec<Hidden>,
    /// Output layer (n_hidden, vocab_size) and its bias: logits for the next character.
    pub w_out: Tensor,
    pub b_out: Tensor,
}
// ANCHOR_END: parameters

// ANCHOR: layout
/// The hidden layers' (group, fan_in): one layer over the whole context, or pairs, log2(block) times.
fn layout(cfg: &ModelConfig) -> Vec<(usize, usize)> {
    if !cfg.wavenet {
        return vec![(cfg.block_size, cfg.block_size * cfg.n_embd)];
    }
    let n_layers = cfg.block_size.trailing_zeros() as usize;
    (0..n_layers).map(|i| (2, 2 * if i == 0 { cfg.n_embd } else { cfg.n_hidden })).collect()
}
// ANCHOR_END: layout

impl Mlp {
    // ANCHOR: init
    /// Random weights. By default every number is N(0, 1), as in makemore part 2; `--kaiming` and
    /// `--scale-output` are part 3's fixes for a network that starts confidently wrong and saturated.
    pub fn new(config: &ModelConfig, rng: &mut PyRandom) -> Mlp {
        let (v, h) = (config.vocab_size, config.n_hidden);
        let c = init::normal(rng, &[v, config.n_embd], 0.0, 1.0);
        let hidden = layout(config)
            .into_iter()
            .map(|(group, fan_in)| {
                let w_std = if config.kaiming { init::TANH_GAIN / (fan_in as f32).sqrt() } else { 1.0 };
                let w = init::normal(rng, &[fan_in, h], 0.0, w_std);
                if config.uses_batchnorm() {
                    let mut bn = BatchNorm1d::new(h);
                    // Part 5 lets the running statistics follow faster than part 3's 0.001.
                    bn.momentum = if config.wavenet { 0.1 } else { 0.001 };
                    Hidden { group, w, b: None, bn: Some(RefCell::new(bn)) }
                } else {
                    let b_std = if config.kaiming { 0.01 } else { 1.0 };
                    Hidden { group, w, b: Some(init::normal(rng, &[h], 0.0, b_std)), bn: None }
                }
            })
            .collect();
        let (w_out, b_out) = if config.scale_output {
            (init::normal(rng, &[h, v], 0.0, 0.01), init::constant(&[v], 0.0))
        } else {
            (init::normal(rng, &[h, v], 0.0, 1.0), init::normal(rng, &[v], 0.0, 1.0))
        };
        Mlp { config: config.clone(), c, hidden, w_out, b_out }
    }
    // ANCHOR_END: init

    // ANCHOR: forward
    /// Logits (B, vocab_size) for `x`: B contexts of `block_size` token ids each, row-major. `training`
    /// selects batch statistics (and updates the running ones) over the running statistics. Each
    /// layer's tanh output is pushed onto `activations` if given (for the saturation diagnostic).
    pub fn forward(&self, x: &[usize], training: bool, mut activations: Option<&mut Vec<Tensor>>) -> Tensor {
        let t = self.config.block_size;
        let b = x.len() / t;
        let mut h = self.c.embedding(x, &[b * t]); // (B·T, n_embd): one row per position
        for layer in &self.hidden {
            let rows = h.shape()[0] / layer.group;
            // Concatenate `group` consecutive rows: (B·T', C) → (B·T'/group, group·C).
            let x = h.reshape(&[rows, usize::MAX]);
            let mut pre = x.linear(layer.w, layer.b); // (rows, n_hidden)
            if let Some(bn) = &layer.bn {
                let mut bn = bn.borrow_mut();
                bn.training = training;
                pre = bn.forward(pre); // (rows, n_hidden), each neuron ~ N(0, 1) over the batch
            }
            h = pre.tanh();
            if let Some(acts) = activations.as_deref_mut() {
                acts.push(h);
            }
        }
        h.linear(self.w_out, Some(self.b_out)) // (B, vocab_size)
    }

    /// The mean cross-entropy of the next characters `y` given the contexts `x`.
    pub fn loss(&self, x: &[usize], y: &[usize], training: bool) -> Tensor {
        self.forward(x, training, None).cross_entropy(y)
    }
    // ANCHOR_END: forward

    /// The trained parameters by name, as in the lecture: C, W1, b1 (or bngain1, bnbias1), …, then the
    /// output layer with the next number (W2, b2 for the one-hidden-layer MLP).
    fn named(&self) -> Vec<(String, Tensor)> {
        let mut p = vec![("C".to_owned(), self.c)];
        for (i, layer) in (1..).zip(&self.hidden) {
            p.push((format!("W{i}"), layer.w));
            p.extend(layer.b.map(|b| (format!("b{i}"), b)));
            if let Some(bn) = &layer.bn {
                let bn = bn.borrow();
                p.extend([(format!("bngain{i}"), bn.gain), (format!("bnbias{i}"), bn.bias)]);
            }
        }
        let o = self.hidden.len() + 1;
        p.extend([(format!("W{o}"), self.w_out), (format!("b{o}"), self.b_out)]);
        p
    }

    /// The trained parameters, in the order the RNG initialises them.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.named().into_iter().map(|(_, t)| t).collect()
    }

    /// How many numbers the model learns.
    pub fn num_params(&self) -> usize {
        self.parameters().iter().map(|p| p.numel()).sum()
    }

    /// The weights by name, and batch norm's running statistics (bnmean1, bnvar1, …).
    pub fn named_parameters(&self) -> Vec<NamedTensor> {
        let mut out: Vec<NamedTensor> = (self.named().into_iter())
            .map(|(name, t)| NamedTensor::f32(name, t.shape().as_slice(), t.data()))
            .collect();
        for (i, bn) in (1..).zip(&self.hidden).filter_map(|(i, l)| Some((i, l.bn.as_ref()?.borrow()))) {
            let n = bn.running_mean.len();
            out.push(NamedTensor::f32(format!("bnmean{i}"), &[n], bn.running_mean.clone()));
            out.push(NamedTensor::f32(format!("bnvar{i}"), &[n], bn.running_var.clone()));
        }
        out
    }

    /// Rebuilds a model from a checkpoint, checking every name and shape against its saved config.
    pub fn from_checkpoint(ckpt: &Checkpoint<Saved<Config>>) -> Result<Mlp> {
        let config = ModelConfig { vocab_size: ckpt.config.vocab.len(), ..ckpt.config.config.model.clone() };
        config.validate()?;
        config.check_memory(1)?;
        // Build the shape (its random numbers are overwritten), then load every array by name.
        let model = Mlp::new(&config, &mut PyRandom::new(0));
        ckpt.expect_names(&model.named_parameters().iter().map(|t| t.name.as_str()).collect::<Vec<_>>())?;
        for (name, t) in model.named() {
            t.set_data(ckpt.expect_shape(&name, t.shape().as_slice())?);
        }
        for (i, layer) in (1..).zip(&model.hidden) {
            if let Some(bn) = &layer.bn {
                let mut bn = bn.borrow_mut();
                let n = bn.running_mean.len();
                bn.running_mean = ckpt.expect_shape(&format!("bnmean{i}"), &[n])?.to_vec();
                bn.running_var = ckpt.expect_shape(&format!("bnvar{i}"), &[n])?.to_vec();
            }
        }
        Ok(model)
    }
}
