//! The model: GPT-2 as nanoGPT's model.py writes it, in model.py's order. LayerNorm (and the Linear
//! layer PyTorch gives model.py), CausalSelfAttention, MLP, Block, then GPT: token and position
//! embeddings, `n_layer` blocks of (norm → attention, norm → MLP), each added to the residual stream, a
//! final norm and `lm_head`, which shares its weights with the token embedding. `--variant microgpt`
//! swaps in microGPT's choices at the four places they differ.

use std::rc::Rc;

use anyhow::{Context, Result, ensure};
use autograd::{Tensor, init};
use harness::PyRandom;
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::cli::Saved;
use tokenizer::Tokenizer;

use crate::config::{Config, ModelConfig, Variant};
use crate::data::Source;

/// The copy of the BPE a `--tokenizer` run keeps in its run directory, beside the weights.
pub const TOKENIZER_FILE: &str = "tokenizer.model";

/// The target of a position with nothing to predict (padding after a name's end): the loss skips it.
pub const IGNORE: usize = usize::MAX;

// ANCHOR: mode
/// PyTorch's `model.train()` and `model.eval()`: in training, dropout draws its masks from the step's
/// random stream; in evaluation (estimates, sampling) it does nothing and the model is deterministic.
pub enum Mode<'a> {
    Train(&'a mut PyRandom),
    Eval,
}

impl Mode<'_> {
    /// `nn.Dropout(p)`: in training, zero each number with probability `p` and scale the rest by
    /// 1 / (1 - p); in evaluation, the identity.
    pub fn dropout(&mut self, x: Tensor, p: f32) -> Tensor {
        match self {
            Mode::Train(rng) if p > 0.0 => x.dropout(p, rng),
            _ => x,
        }
    }
}
// ANCHOR_END: mode

// ANCHOR: norm
/// Normalises each position's vector of `n_embd` numbers, so that no layer sees inputs whose scale
/// drifts as the residual stream grows.
pub enum Norm {
    /// (x - mean) / std · weight + bias: GPT-2's LayerNorm (the bias only with `bias = true`).
    LayerNorm { weight: Tensor, bias: Option<Tensor> },
    /// x / rms(x): microGPT's RMSNorm, with no learned gain.
    RmsNorm,
}

/// The ε of both norms: PyTorch's LayerNorm and microGPT's rmsnorm use 1e-5.
const EPS: f32 = 1e-5;

impl Norm {
    /// (..., C) → (..., C).
    pub fn forward(&self, x: Tensor) -> Tensor {
        match self {
            Norm::LayerNorm { weight, bias } => x.layer_norm(Some(*weight), *bias, EPS),
            Norm::RmsNorm => x.rms_norm(None, EPS),
        }
    }
}
// ANCHOR_END: norm

// ANCHOR: linear
/// `y = x Wᵀ + b`, with W stored (out, in) as PyTorch's `nn.Linear` and microGPT's matrices: row `o`
/// of W is what output `o` takes the dot product of the input with.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// (..., in) → (..., out): one matrix product over all positions of the batch at once.
    pub fn forward(&self, x: Tensor) -> Tensor {
        x.linear_t(self.weight, self.bias)
    }
}
// ANCHOR_END: linear

// ANCHOR: attention
/// Causal multi-head self-attention: every position gathers information from the positions before it,
/// weighting each by how well its query matches their keys.
pub struct CausalSelfAttention {
    /// (3·C, C): q, k and v of every head in one matrix (microGPT's wq, wk and wv stacked by rows).
    pub c_attn: Linear,
    /// (C, C): mixes the heads' outputs back into the residual stream.
    pub c_proj: Linear,
    n_head: usize,
    dropout: f32,
}

impl CausalSelfAttention {
    /// (B, T, C) → (B, T, C). Position t sees positions 0..=t only, so one pass over a sequence trains
    /// all T next-token predictions at once without any of them seeing its answer.
    pub fn forward(&self, x: Tensor, mode: &mut Mode) -> Tensor {
        let &[b, t, c] = x.shape().as_slice() else { panic!("attention: x must be (B, T, C)") };
        let (h, d) = (self.n_head, c / self.n_head);
        // Each position asks a question (query), advertises what it holds (key), and offers a content
        // (value); each head does this in its own D = C / n_head dimensions.
        let qkv = self.c_attn.forward(x); // (B, T, 3C)
        let y = match mode {
            Mode::Train(rng) if self.dropout > 0.0 => {
                // Written out, so that dropout can reach the attention weights.
                let heads = |i: usize| qkv.narrow(2, i * c, c).reshape(&[b, t, h, d]).transpose(1, 2); // (B, H, T, D)
                let (q, k, v) = (heads(0), heads(1), heads(2));
                let att = q.matmul_t(k) * (1.0 / (d as f32).sqrt()); // (B, H, T, T) scores
                let att = att.causal_mask().softmax(); // future positions get weight 0
                let y = att.dropout(self.dropout, rng).matmul(v); // (B, H, T, D)
                y.transpose(1, 2).reshape(&[b, t, c]) // (B, T, C): the heads side by side again
            }
            // The same numbers as the lines above without dropout, in one fused op that reads the
            // heads in place out of qkv and keeps the (T, T) attention matrices to itself.
            _ => qkv.causal_self_attention(h), // (B, T, C)
        };
        mode.dropout(self.c_proj.forward(y), self.dropout)
    }
}
// ANCHOR_END: attention

// ANCHOR: mlp
/// The MLP of a block: after attention has gathered information from other positions, each position
/// thinks about it on its own — widen 4×, a nonlinearity, narrow back.
pub struct Mlp {
    /// (4·C, C)
    pub c_fc: Linear,
    /// (C, 4·C): writes into the residual stream, so it starts smaller (see `Gpt::new`).
    pub c_proj: Linear,
    /// GPT-2's GELU or microGPT's ReLU.
    pub variant: Variant,
    dropout: f32,
}

impl Mlp {
    /// (B, T, C) → (B, T, C).
    pub fn forward(&self, x: Tensor, mode: &mut Mode) -> Tensor {
        let h = self.c_fc.forward(x); // (B, T, 4C)
        let h = match self.variant {
            Variant::Gpt2 => h.gelu(),
            Variant::Microgpt => h.relu(),
        };
        mode.dropout(self.c_proj.forward(h), self.dropout) // (B, T, C)
    }
}
// ANCHOR_END: mlp

// ANCHOR: block
/// One transformer block. Pre-norm: each branch reads a normalised copy of the residual stream and
/// adds its result back, so the stream itself is a sum that gradients flow through unchanged.
pub struct Block {
    pub ln_1: Norm,
    pub attn: CausalSelfAttention,
    pub ln_2: Norm,
    pub mlp: Mlp,
}

impl Block {
    /// (B, T, C) → (B, T, C): communicate (attention), then compute (MLP).
    pub fn forward(&self, x: Tensor, mode: &mut Mode) -> Tensor {
        let x = x + self.attn.forward(self.ln_1.forward(x), mode);
        x + self.mlp.forward(self.ln_2.forward(x), mode)
    }
}
// ANCHOR_END: block

// ANCHOR: gpt
/// The whole model.
pub struct Gpt {
    pub config: ModelConfig,
    /// (V, C): one vector per token.
    pub wte: Tensor,
    /// (block_size, C): one vector per position.
    pub wpe: Tensor,
    /// microGPT's extra norm of the embeddings.
    pub ln_e: Option<Norm>,
    pub h: Vec<Block>,
    /// The final norm (GPT-2's; microGPT has none).
    pub ln_f: Option<Norm>,
    /// (V, C), or `None` when tied: the logits are then `x · wteᵀ`.
    pub lm_head: Option<Linear>,
    /// The BPE whose token ids the model reads and writes (text mode's `--tokenizer`); characters if none.
    pub tokenizer: Option<Rc<Tokenizer>>,
}
// ANCHOR_END: gpt

impl Gpt {
    // ANCHOR: init
    /// A fresh model, initialised nanoGPT's way (`_init_weights`) in one place: every matrix
    /// N(0, std²), drawn from `rng` in the order wte, wpe, the blocks, lm_head; biases 0; norm gains 1.
    /// The projections that write into the residual stream (`c_proj`) get std / √(2·n_layer): 2·n_layer
    /// of them add up along the stream, and this keeps their sum at the scale of one.
    pub fn new(config: ModelConfig, rng: &mut PyRandom, std: f32) -> Gpt {
        let (v, c, variant) = (config.vocab_size, config.n_embd, config.variant);
        let proj_std = std / (2.0 * config.n_layer as f32).sqrt();
        let wte = init::normal(rng, &[v, c], 0.0, std);
        let wpe = init::normal(rng, &[config.block_size, c], 0.0, std);
        let mut linear = |n_in: usize, n_out: usize, bias: bool, std: f32| Linear {
            weight: init::normal(rng, &[n_out, n_in], 0.0, std),
            bias: bias.then(|| init::constant(&[n_out], 0.0)),
        };
        let norm = || match variant {
            Variant::Gpt2 => Norm::LayerNorm {
                weight: init::constant(&[c], 1.0),
                bias: config.bias.then(|| init::constant(&[c], 0.0)),
            },
            Variant::Microgpt => Norm::RmsNorm,
        };
        let (bias, dropout) = (config.bias, config.dropout);
        let h = (0..config.n_layer)
            .map(|_| Block {
                ln_1: norm(),
                attn: CausalSelfAttention {
                    c_attn: linear(c, 3 * c, bias, std),
                    c_proj: linear(c, c, bias, proj_std),
                    n_head: config.n_head,
                    dropout,
                },
                ln_2: norm(),
                mlp: Mlp {
                    c_fc: linear(c, 4 * c, bias, std),
                    c_proj: linear(4 * c, c, bias, proj_std),
                    variant,
                    dropout,
                },
            })
            .collect();
        Gpt {
            ln_e: (variant == Variant::Microgpt).then(norm),
            ln_f: (variant == Variant::Gpt2).then(norm),
            lm_head: (!config.tie_head).then(|| linear(c, v, false, std)),
            wte,
            wpe,
            h,
            config,
            tokenizer: None,
        }
    }
    // ANCHOR_END: init

    // ANCHOR: forward
    /// Logits (B, T, V) for token ids `idx` (B·T of them, row by row).
    pub fn forward(&self, idx: &[usize], b: usize, t: usize, mode: &mut Mode) -> Tensor {
        assert!(
            t <= self.config.block_size,
            "forward: {t} positions, block_size is {}",
            self.config.block_size
        );
        let tok_emb = self.wte.embedding(idx, &[b, t]); // (B, T, C): what each token is
        let pos_emb = self.wpe.narrow(0, 0, t); // (T, C): where it is
        let mut x = tok_emb + pos_emb; // (B, T, C)
        if let Some(ln_e) = &self.ln_e {
            x = ln_e.forward(x);
        }
        x = mode.dropout(x, self.config.dropout);
        for block in &self.h {
            x = block.forward(x, mode);
        }
        if let Some(ln_f) = &self.ln_f {
            x = ln_f.forward(x);
        }
        match &self.lm_head {
            Some(lm_head) => lm_head.forward(x),
            None => x.linear_t(self.wte, None), // (B, T, V): each position's similarity to every token
        }
    }

    /// The mean cross-entropy of predicting `targets` (B·T, `IGNORE` where there is nothing to predict).
    pub fn loss(&self, idx: &[usize], targets: &[usize], b: usize, t: usize, mode: &mut Mode) -> Tensor {
        self.forward(idx, b, t, mode).cross_entropy_ignore(targets, IGNORE)
    }
    // ANCHOR_END: forward

    /// Every parameter with its nanoGPT name, in a fixed order (the checkpoint's and AdamW's).
    pub fn named_tensors(&self) -> Vec<(String, Tensor)> {
        fn norm(p: &mut Vec<(String, Tensor)>, name: &str, norm: &Norm) {
            if let Norm::LayerNorm { weight, bias } = norm {
                p.push((format!("{name}.weight"), *weight));
                p.extend(bias.map(|b| (format!("{name}.bias"), b)));
            }
        }
        fn linear(p: &mut Vec<(String, Tensor)>, name: &str, linear: &Linear) {
            p.push((format!("{name}.weight"), linear.weight));
            p.extend(linear.bias.map(|b| (format!("{name}.bias"), b)));
        }
        let mut p = vec![("wte".to_string(), self.wte), ("wpe".to_string(), self.wpe)];
        if let Some(ln_e) = &self.ln_e {
            norm(&mut p, "ln_e", ln_e);
        }
        for (i, block) in self.h.iter().enumerate() {
            norm(&mut p, &format!("h.{i}.ln_1"), &block.ln_1);
            linear(&mut p, &format!("h.{i}.attn.c_attn"), &block.attn.c_attn);
            linear(&mut p, &format!("h.{i}.attn.c_proj"), &block.attn.c_proj);
            norm(&mut p, &format!("h.{i}.ln_2"), &block.ln_2);
            linear(&mut p, &format!("h.{i}.mlp.c_fc"), &block.mlp.c_fc);
            linear(&mut p, &format!("h.{i}.mlp.c_proj"), &block.mlp.c_proj);
        }
        if let Some(ln_f) = &self.ln_f {
            norm(&mut p, "ln_f", ln_f);
        }
        if let Some(lm_head) = &self.lm_head {
            linear(&mut p, "lm_head", lm_head);
        }
        p
    }

    /// Every parameter, in `named_tensors` order.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.named_tensors().into_iter().map(|(_, p)| p).collect()
    }

    /// How many numbers the model learns (a tied head counts once).
    pub fn num_params(&self) -> usize {
        self.parameters().iter().map(|p| p.numel()).sum()
    }

    /// The weights by name, for the checkpoint: every parameter as an f32 tensor under its nanoGPT name.
    pub fn named_parameters(&self) -> Vec<NamedTensor> {
        self.named_tensors()
            .into_iter()
            .map(|(name, p)| NamedTensor::f32(name, p.shape().as_slice(), p.data()))
            .collect()
    }

    /// Rebuilds a model from a checkpoint, checking that the weights fit the saved config; with the copy
    /// of its BPE that training left beside the weights, if it read BPE tokens.
    pub fn from_checkpoint(ckpt: &Checkpoint<Saved<Config>>) -> Result<Gpt> {
        let Config { model, train } = &ckpt.config.config;
        let source = if train.text.is_some() { Source::Text } else { Source::Names };
        let tokenizer = match &train.tokenizer {
            Some(_) => Some(Rc::new(tokenizer::files::load(&ckpt.dir.join(TOKENIZER_FILE)).context(
                "the run was trained on BPE tokens (--tokenizer), and its copy of the tokenizer is missing",
            )?)),
            None => None,
        };
        let vocab_size = tokenizer.as_ref().map_or(ckpt.config.vocab.len(), |t| t.vocab_size());
        let config = ModelConfig { vocab_size, source, ..model.clone() };
        let mut model = Gpt::with_weights_of(&config, ckpt)?;
        model.tokenizer = tokenizer;
        ckpt.expect_names(&model.named_tensors().iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())?;
        Ok(model)
    }

    /// The model `config` describes, with the weights of the same names in `ckpt` (which may hold more,
    /// such as the optimizer's state), every shape checked.
    pub fn with_weights_of<C>(config: &ModelConfig, ckpt: &Checkpoint<C>) -> Result<Gpt> {
        config.validate()?;
        ensure!(config.vocab_size > 0, "the checkpoint's config has vocab_size 0");
        config.check_memory(1)?;
        let model = Gpt::new(config.clone(), &mut PyRandom::new(0), 0.0);
        for (name, p) in model.named_tensors() {
            p.set_data(ckpt.expect_shape(&name, p.shape().as_slice())?);
        }
        Ok(model)
    }
}
