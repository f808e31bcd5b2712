//! microGPT's parameters (a dict of weight matrices by name) and its `gpt` function (one token and its
//! position in, logits over the next token out). GPT-2 with RMSNorm, no biases and ReLU.

use std::collections::BTreeMap;

use anyhow::Result;
use autograd::Value;
use harness::{Checkpoint, NamedTensor, PyRandom, cli::Saved};

use crate::config::{Config, ModelConfig};

// ANCHOR: parameters
/// A weight matrix, one row per output: `linear` takes the dot product of each row with the input.
pub type Matrix = Vec<Vec<Value>>;

/// All the knowledge of the model: microGPT's `state_dict`, the weight matrices by name (in name order).
pub struct Gpt {
    pub config: ModelConfig,
    pub state_dict: BTreeMap<String, Matrix>,
}

impl Gpt {
    /// Draws every weight from N(0, init_std²), in microGPT's order: wte, wpe, lm_head, then each
    /// layer's matrices, row by row. The order is what makes the numbers match the Python.
    pub fn new(config: &ModelConfig, rng: &mut PyRandom) -> Gpt {
        let (n_embd, std) = (config.n_embd, config.init_std);
        let mut matrix = |nout: usize, nin: usize| -> Matrix {
            (0..nout).map(|_| (0..nin).map(|_| Value::new(rng.gauss(0.0, std))).collect()).collect()
        };
        let mut state_dict = BTreeMap::new();
        state_dict.insert("wte".to_string(), matrix(config.vocab_size, n_embd));
        state_dict.insert("wpe".to_string(), matrix(config.block_size, n_embd));
        state_dict.insert("lm_head".to_string(), matrix(config.vocab_size, n_embd));
        for i in 0..config.n_layer {
            state_dict.insert(format!("layer{i}.attn_wq"), matrix(n_embd, n_embd));
            state_dict.insert(format!("layer{i}.attn_wk"), matrix(n_embd, n_embd));
            state_dict.insert(format!("layer{i}.attn_wv"), matrix(n_embd, n_embd));
            state_dict.insert(format!("layer{i}.attn_wo"), matrix(n_embd, n_embd));
            state_dict.insert(format!("layer{i}.mlp_fc1"), matrix(4 * n_embd, n_embd));
            state_dict.insert(format!("layer{i}.mlp_fc2"), matrix(n_embd, 4 * n_embd));
        }
        Gpt { config: config.clone(), state_dict }
    }

    /// Every parameter, flattened: `[p for mat in state_dict.values() for row in mat for p in row]`.
    pub fn parameters(&self) -> Vec<Value> {
        self.state_dict.values().flat_map(|mat| mat.iter().flatten().copied()).collect()
    }
}
// ANCHOR_END: parameters

// ANCHOR: model
/// Per layer, the key (or value) vector of every position so far: microGPT's `keys` (or `values`).
pub type Cache = Vec<Vec<Vec<Value>>>;
/// `[sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]`: one dot-product node per row of `w`, adding
/// in Python's order (`Value::matvec` sums four rows side by side, to the same bits).
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

impl Gpt {
    /// Logits over the next token, given the token at `pos_id`; its key and value join the cache of
    /// the positions before, where attention at this and every later position finds them.
    pub fn gpt(&self, token_id: usize, pos_id: usize, keys: &mut Cache, values: &mut Cache) -> Vec<Value> {
        let (state_dict, n_head) = (&self.state_dict, self.config.n_head);
        let head_dim = self.config.n_embd / n_head;
        let tok_emb = &state_dict["wte"][token_id]; // token embedding
        let pos_emb = &state_dict["wpe"][pos_id]; // position embedding
        let mut x: Vec<Value> = tok_emb.iter().zip(pos_emb).map(|(&t, &p)| t + p).collect();
        x = rmsnorm(&x); // not redundant: the residual stream below starts from this normalised vector
        for li in 0..self.config.n_layer {
            let layer = format!("layer{li}.");
            let w = |name: &str| &state_dict[&[layer.as_str(), name].concat()]; // f'layer{li}.{name}'
            // 1) Multi-head attention block
            let x_residual = x.clone();
            x = rmsnorm(&x);
            let q = linear(&x, w("attn_wq"));
            let k = linear(&x, w("attn_wk"));
            let v = linear(&x, w("attn_wv"));
            keys[li].push(k);
            values[li].push(v);
            let (mut x_attn, mut v_j) = (Vec::with_capacity(self.config.n_embd), vec![]);
            for h in 0..n_head {
                let hs = h * head_dim..(h + 1) * head_dim;
                let q_h = &q[hs.clone()];
                let k_h = keys[li].iter().map(|ki| &ki[hs.clone()]); // the head's part of every key
                let attn_logits: Vec<Value> =
                    k_h.map(|k_t| Value::dot(q_h, k_t) / (head_dim as f64).powf(0.5)).collect();
                let attn_weights = softmax(&attn_logits);
                for j in hs {
                    // Component j of the head's output: Σ_t attn_weights[t]·v_t[j].
                    v_j.clear();
                    v_j.extend(values[li].iter().map(|v_t| v_t[j]));
                    x_attn.push(Value::dot(&attn_weights, &v_j));
                }
            }
            x = linear(&x_attn, w("attn_wo"));
            x = x.iter().zip(&x_residual).map(|(&a, &b)| a + b).collect();
            // 2) MLP block
            let x_residual = x.clone();
            x = rmsnorm(&x);
            x = linear(&x, w("mlp_fc1"));
            x = x.iter().map(|xi| xi.relu()).collect();
            x = linear(&x, w("mlp_fc2"));
            x = x.iter().zip(&x_residual).map(|(&a, &b)| a + b).collect();
        }
        linear(&x, &state_dict["lm_head"])
    }
}
// ANCHOR_END: model

impl Gpt {
    /// The weights by name, for the checkpoint: the state dict as it is, each matrix (n_out, n_in).
    pub fn named_parameters(&self) -> Vec<NamedTensor> {
        let data = |mat: &Matrix| mat.iter().flatten().map(|p| p.data()).collect();
        self.state_dict
            .iter()
            .map(|(name, m)| NamedTensor::f64(name, &[m.len(), m[0].len()], data(m)))
            .collect()
    }

    /// Rebuilds a model from a checkpoint, checking every tensor's name and shape.
    pub fn from_checkpoint(ckpt: &Checkpoint<Saved<Config>>) -> Result<Gpt> {
        let config = ModelConfig { vocab_size: ckpt.config.vocab.len(), ..ckpt.config.config.model.clone() };
        config.validate()?;
        let model = Gpt::new(&config, &mut PyRandom::new(0));
        ckpt.expect_names(&model.state_dict.keys().map(String::as_str).collect::<Vec<_>>())?;
        for (name, mat) in &model.state_dict {
            let data = ckpt.expect_shape_f64(name, &[mat.len(), mat[0].len()])?;
            mat.iter().flatten().zip(data).for_each(|(p, &d)| p.set_data(d));
        }
        Ok(model)
    }
}
