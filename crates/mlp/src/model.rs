//! The model: an embedding table C, hidden tanh layers, and an output layer to logits.
//!
//! makemore part 2's MLP has one hidden layer that reads the whole context at once. Part 5's WaveNet
//! has several, each fusing neighbouring pairs: the same layer with a different `group`, so one
//! forward pass serves both.

use anyhow::Result;
use autograd::tensor::BatchNorm1d;
use autograd::{Tensor, init};
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::pyrandom::PyRandom;

use crate::config::{ModelConfig, TrainConfig};

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
    pub bn: Option<BatchNorm1d>,
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

/// The hidden layers' (group, fan_in): one layer over the whole context, or pairs, log2(block) times.
fn layout(cfg: &ModelConfig) -> Vec<(usize, usize)> {
    if !cfg.wavenet {
        return vec![(cfg.block_size, cfg.block_size * cfg.n_embd)];
    }
    let n_layers = cfg.block_size.trailing_zeros() as usize;
    (0..n_layers).map(|i| (2, 2 * if i == 0 { cfg.n_embd } else { cfg.n_hidden })).collect()
}

impl Mlp {
    // ANCHOR: init
    /// Random weights. By default every number is N(0, 1), as in makemore part 2; `init.kaiming` and
    /// `init.scale_output` are part 3's fixes for a network that starts confidently wrong and saturated.
    pub fn new(config: ModelConfig, init: &TrainConfig, rng: &mut PyRandom) -> Mlp {
        let (v, h) = (config.vocab_size, config.n_hidden);
        let c = init::normal(rng, &[v, config.n_embd], 0.0, 1.0);
        let hidden = layout(&config)
            .into_iter()
            .map(|(group, fan_in)| {
                let w_std = if init.kaiming { init::TANH_GAIN / (fan_in as f32).sqrt() } else { 1.0 };
                let w = init::normal(rng, &[fan_in, h], 0.0, w_std);
                if config.uses_batchnorm() {
                    let mut bn = BatchNorm1d::new(h);
                    // Part 5 lets the running statistics follow faster than part 3's 0.001.
                    bn.momentum = if config.wavenet { 0.1 } else { 0.001 };
                    Hidden { group, w, b: None, bn: Some(bn) }
                } else {
                    let b_std = if init.kaiming { 0.01 } else { 1.0 };
                    Hidden { group, w, b: Some(init::normal(rng, &[h], 0.0, b_std)), bn: None }
                }
            })
            .collect();
        let (w_out, b_out) = if init.scale_output {
            (init::normal(rng, &[h, v], 0.0, 0.01), init::constant(&[v], 0.0))
        } else {
            (init::normal(rng, &[h, v], 0.0, 1.0), init::normal(rng, &[v], 0.0, 1.0))
        };
        Mlp { config, c, hidden, w_out, b_out }
    }
    // ANCHOR_END: init

    // ANCHOR: forward
    /// Logits (B, vocab_size) for `x`: B contexts of `block_size` token ids each, row-major. `training`
    /// selects batch statistics (and updates the running ones) over the running statistics. Each
    /// layer's tanh output is pushed onto `activations` if given (for the saturation diagnostic).
    pub fn forward(
        &mut self,
        x: &[usize],
        training: bool,
        mut activations: Option<&mut Vec<Tensor>>,
    ) -> Tensor {
        let t = self.config.block_size;
        let b = x.len() / t;
        let mut h = self.c.embedding(x, &[b * t]); // (B·T, n_embd): one row per position
        for layer in &mut self.hidden {
            let rows = h.shape()[0] / layer.group;
            // Concatenate `group` consecutive rows: (B·T', C) → (B·T'/group, group·C).
            let x = h.reshape(&[rows, usize::MAX]);
            let mut pre = x.linear(layer.w, layer.b); // (rows, n_hidden)
            if let Some(bn) = &mut layer.bn {
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
    pub fn loss(&mut self, x: &[usize], y: &[usize], training: bool) -> Tensor {
        self.forward(x, training, None).cross_entropy(y)
    }
    // ANCHOR_END: forward

    /// The trained parameters, in the order the RNG initialises them.
    pub fn params(&self) -> Vec<Tensor> {
        let mut p = vec![self.c];
        for layer in &self.hidden {
            p.push(layer.w);
            p.extend(layer.b);
            p.extend(layer.bn.iter().flat_map(BatchNorm1d::parameters));
        }
        p.extend([self.w_out, self.b_out]);
        p
    }

    /// How many numbers the model learns.
    pub fn num_params(&self) -> usize {
        self.params().iter().map(|p| p.numel()).sum()
    }

    /// The weights (and batch norm's running statistics), named as in the lecture: C, W1, b1, …, then the
    /// output layer with the next number (W2, b2 for the one-hidden-layer MLP).
    pub fn to_tensors(&self) -> Vec<NamedTensor> {
        let mut out = vec![named("C", self.c)];
        for (i, layer) in self.hidden.iter().enumerate() {
            let i = i + 1;
            out.push(named(&format!("W{i}"), layer.w));
            if let Some(b) = layer.b {
                out.push(named(&format!("b{i}"), b));
            }
            if let Some(bn) = &layer.bn {
                let n = bn.running_mean.len();
                out.push(named(&format!("bngain{i}"), bn.gain));
                out.push(named(&format!("bnbias{i}"), bn.bias));
                out.push(NamedTensor::f32(format!("bnmean{i}"), &[n], bn.running_mean.clone()));
                out.push(NamedTensor::f32(format!("bnvar{i}"), &[n], bn.running_var.clone()));
            }
        }
        let o = self.hidden.len() + 1;
        out.push(named(&format!("W{o}"), self.w_out));
        out.push(named(&format!("b{o}"), self.b_out));
        out
    }

    /// A model of `config`'s shape with the checkpoint's weights, every name and shape checked.
    pub fn from_checkpoint<C>(config: ModelConfig, init: &TrainConfig, ckpt: &Checkpoint<C>) -> Result<Mlp> {
        // Build the shape (its random numbers are overwritten), then load every tensor by name.
        let mut model = Mlp::new(config, init, &mut PyRandom::new(0));
        let expected = model.to_tensors();
        let names: Vec<&str> = expected.iter().map(|t| t.name.as_str()).collect();
        ckpt.expect_names(&names)?;
        let load = |t: Tensor, name: &str| -> Result<()> {
            t.set_data(ckpt.expect_shape(name, t.shape().as_slice())?);
            Ok(())
        };
        load(model.c, "C")?;
        for (i, layer) in model.hidden.iter_mut().enumerate() {
            let i = i + 1;
            load(layer.w, &format!("W{i}"))?;
            if let Some(b) = layer.b {
                load(b, &format!("b{i}"))?;
            }
            if let Some(bn) = &mut layer.bn {
                let n = bn.running_mean.len();
                load(bn.gain, &format!("bngain{i}"))?;
                load(bn.bias, &format!("bnbias{i}"))?;
                bn.running_mean = ckpt.expect_shape(&format!("bnmean{i}"), &[n])?.to_vec();
                bn.running_var = ckpt.expect_shape(&format!("bnvar{i}"), &[n])?.to_vec();
            }
        }
        let o = model.hidden.len() + 1;
        load(model.w_out, &format!("W{o}"))?;
        load(model.b_out, &format!("b{o}"))?;
        Ok(model)
    }
}

fn named(name: &str, t: Tensor) -> NamedTensor {
    NamedTensor::f32(name, t.shape().as_slice(), t.data())
}
