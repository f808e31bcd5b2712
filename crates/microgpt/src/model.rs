//! The parameters and the model: microGPT's `state_dict` and its `gpt` function, which maps one token
//! and its position to logits over the next token, caching keys and values for the positions before.
//!
//! GPT-2, with microGPT's simplifications: RMSNorm instead of LayerNorm, no biases, ReLU instead of GeLU.

use anyhow::Result;
use autograd::Value;
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::pyrandom::PyRandom;

use std::path::Path;

use harness::vocab::Vocab;

use crate::config::{ModelConfig, Saved};

/// A weight matrix, one row per output: `linear` takes the dot product of each row with the input.
pub type Matrix = Vec<Vec<Value>>;

// ANCHOR: parameters
/// One transformer block's weights.
pub struct Layer {
    pub attn_wq: Matrix,
    pub attn_wk: Matrix,
    pub attn_wv: Matrix,
    pub attn_wo: Matrix,
    pub mlp_fc1: Matrix,
    pub mlp_fc2: Matrix,
}

/// All the knowledge of the model.
pub struct Gpt {
    pub config: ModelConfig,
    pub wte: Matrix,
    pub wpe: Matrix,
    pub lm_head: Matrix,
    pub layers: Vec<Layer>,
}

impl Gpt {
    /// Draws every weight from N(0, std²), in microGPT's order: wte, wpe, lm_head, then each layer's
    /// wq, wk, wv, wo, fc1, fc2, row by row. The order is what makes the numbers match the Python.
    pub fn new(config: ModelConfig, std: f64, rng: &mut PyRandom) -> Gpt {
        let mut matrix = |nout: usize, nin: usize| -> Matrix {
            (0..nout).map(|_| (0..nin).map(|_| Value::new(rng.gauss(0.0, std))).collect()).collect()
        };
        let (vocab_size, n_embd) = (config.vocab_size, config.n_embd);
        let wte = matrix(vocab_size, n_embd);
        let wpe = matrix(config.block_size, n_embd);
        let lm_head = matrix(vocab_size, n_embd);
        let layers = (0..config.n_layer)
            .map(|_| Layer {
                attn_wq: matrix(n_embd, n_embd),
                attn_wk: matrix(n_embd, n_embd),
                attn_wv: matrix(n_embd, n_embd),
                attn_wo: matrix(n_embd, n_embd),
                mlp_fc1: matrix(4 * n_embd, n_embd),
                mlp_fc2: matrix(n_embd, 4 * n_embd),
            })
            .collect();
        Gpt { config, wte, wpe, lm_head, layers }
    }

    /// The weight matrices by name, in microGPT's `state_dict` order.
    pub fn state_dict(&self) -> Vec<(String, &Matrix)> {
        let mut dict =
            vec![("wte".into(), &self.wte), ("wpe".into(), &self.wpe), ("lm_head".into(), &self.lm_head)];
        for (i, l) in self.layers.iter().enumerate() {
            let named = [
                ("attn_wq", &l.attn_wq),
                ("attn_wk", &l.attn_wk),
                ("attn_wv", &l.attn_wv),
                ("attn_wo", &l.attn_wo),
                ("mlp_fc1", &l.mlp_fc1),
                ("mlp_fc2", &l.mlp_fc2),
            ];
            dict.extend(named.map(|(name, m)| (format!("layer{i}.{name}"), m)));
        }
        dict
    }

    /// Every parameter, flattened in `state_dict` order (what Adam walks over).
    pub fn params(&self) -> Vec<Value> {
        self.state_dict()
            .into_iter()
            .flat_map(|(_, m)| m.iter().flatten().copied().collect::<Vec<_>>())
            .collect()
    }
}
// ANCHOR_END: parameters

// ANCHOR: model
/// `[Σ_i w[o][i]·x[i] for each output o]`: one fused dot-product node per output.
fn linear(x: &[Value], w: &Matrix) -> Vec<Value> {
    Value::matvec(w, x)
}

/// exp(xᵢ - max) / Σ exp(xⱼ - max): subtracting the max changes nothing but keeps exp from overflowing.
pub fn softmax(logits: &[Value]) -> Vec<Value> {
    let max_val = logits.iter().map(|v| v.data()).fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<Value> = logits.iter().map(|&v| (v - max_val).exp()).collect();
    let total = Value::sum(&exps);
    exps.iter().map(|&e| e / total).collect()
}

/// x / sqrt(mean(x²) + ε): rescales the vector to unit root-mean-square (no learned gain).
fn rmsnorm(x: &[Value]) -> Vec<Value> {
    let ms = Value::dot(x, x) / x.len() as f64;
    let scale = (ms + 1e-5).powf(-0.5);
    x.iter().map(|&xi| xi * scale).collect()
}

/// The keys and values of every position seen so far, per layer: attention at position t looks back
/// at all of them, so they are kept rather than recomputed.
pub struct KvCache {
    keys: Vec<Vec<Vec<Value>>>,
    values: Vec<Vec<Vec<Value>>>,
}

impl KvCache {
    pub fn new(n_layer: usize) -> KvCache {
        KvCache { keys: vec![Vec::new(); n_layer], values: vec![Vec::new(); n_layer] }
    }

    /// Forgets every position from `len` on.
    pub fn truncate(&mut self, len: usize) {
        self.keys.iter_mut().chain(&mut self.values).for_each(|layer| layer.truncate(len));
    }
}

impl Gpt {
    /// Logits over the next token, given the token at `pos_id` and the cache of the positions before.
    pub fn forward(&self, token_id: usize, pos_id: usize, cache: &mut KvCache) -> Vec<Value> {
        let head_dim = self.config.head_dim();
        let tok_emb = &self.wte[token_id];
        let pos_emb = &self.wpe[pos_id];
        let x: Vec<Value> = tok_emb.iter().zip(pos_emb).map(|(&t, &p)| t + p).collect();
        // Not redundant: the residual stream below starts from this normalised vector.
        let mut x = rmsnorm(&x);

        for (li, layer) in self.layers.iter().enumerate() {
            // 1) Multi-head attention block
            let x_residual = x;
            let xn = rmsnorm(&x_residual);
            let q = linear(&xn, &layer.attn_wq);
            let k = linear(&xn, &layer.attn_wk);
            let v = linear(&xn, &layer.attn_wv);
            cache.keys[li].push(k);
            cache.values[li].push(v);
            let (keys, values) = (&cache.keys[li], &cache.values[li]);
            let mut x_attn = Vec::with_capacity(self.config.n_embd);
            let mut v_j = Vec::with_capacity(values.len());
            for h in 0..self.config.n_head {
                let hs = h * head_dim..(h + 1) * head_dim;
                let q_h = &q[hs.clone()];
                let attn_logits: Vec<Value> = keys
                    .iter()
                    .map(|k_t| Value::dot(q_h, &k_t[hs.clone()]) / (head_dim as f64).powf(0.5))
                    .collect();
                let attn_weights = softmax(&attn_logits);
                for j in hs {
                    // Component j of every cached value: Σ_t w_t·v_t[j].
                    v_j.clear();
                    v_j.extend(values.iter().map(|v_t| v_t[j]));
                    x_attn.push(Value::dot(&attn_weights, &v_j));
                }
            }
            let x_out = linear(&x_attn, &layer.attn_wo);
            x = x_out.iter().zip(&x_residual).map(|(&a, &b)| a + b).collect();

            // 2) MLP block
            let x_residual = x;
            let xn = rmsnorm(&x_residual);
            let hidden: Vec<Value> = linear(&xn, &layer.mlp_fc1).iter().map(|h| h.relu()).collect();
            let x_out = linear(&hidden, &layer.mlp_fc2);
            x = x_out.iter().zip(&x_residual).map(|(&a, &b)| a + b).collect();
        }

        linear(&x, &self.lm_head)
    }
}
// ANCHOR_END: model

/// Weights in and out: for checkpoints and for evaluation threads, which each have their own tape.
impl Gpt {
    /// Every matrix's values, in `state_dict` order.
    pub fn weights(&self) -> Vec<Vec<f64>> {
        self.state_dict().into_iter().map(|(_, m)| m.iter().flatten().map(|v| v.data()).collect()).collect()
    }

    /// A model of shape `config` on this thread's tape, holding `weights` (in `state_dict` order).
    pub fn from_weights(config: ModelConfig, weights: &[Vec<f64>]) -> Gpt {
        let model = Gpt::new(config, 0.0, &mut PyRandom::new(0));
        for ((_, m), w) in model.state_dict().into_iter().zip(weights) {
            for (p, &d) in m.iter().flatten().zip(w) {
                p.set_data(d);
            }
        }
        model
    }

    pub fn to_tensors(&self) -> Vec<NamedTensor> {
        self.state_dict()
            .into_iter()
            .zip(self.weights())
            .map(|((name, m), data)| NamedTensor::f64(name, &[m.len(), m[0].len()], data))
            .collect()
    }

    /// Rebuilds the model a checkpoint describes, checking every tensor's name and shape.
    pub fn from_checkpoint<C>(config: ModelConfig, ckpt: &Checkpoint<C>) -> Result<Gpt> {
        config.validate()?;
        let mut model = Gpt::new(config, 0.0, &mut PyRandom::new(0));
        let names: Vec<String> = model.state_dict().into_iter().map(|(n, _)| n).collect();
        ckpt.expect_names(&names.iter().map(String::as_str).collect::<Vec<_>>())?;
        for (name, m) in model.state_dict() {
            let data = ckpt.expect_shape_f64(&name, &[m.len(), m[0].len()])?;
            for (p, &d) in m.iter().flatten().zip(data) {
                p.set_data(d);
            }
        }
        model.config.vocab_size = model.wte.len();
        Ok(model)
    }

    /// Loads a checkpoint written by `microgpt train`: the model and the vocabulary it was trained on.
    pub fn load(dir: &Path) -> Result<(Gpt, Vocab)> {
        let ckpt = harness::checkpoint::load::<Saved>(dir, crate::STAGE)?;
        let model = Gpt::from_checkpoint(ckpt.config.model.clone(), &ckpt)?;
        anyhow::ensure!(
            model.config.vocab_size == ckpt.config.vocab.len(),
            "the checkpoint's vocabulary has {} tokens but its weights have {}",
            ckpt.config.vocab.len(),
            model.config.vocab_size
        );
        Ok((model, ckpt.config.vocab))
    }
}
