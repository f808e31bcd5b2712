//! The model: GPT-2 as nanoGPT's model.py writes it. Token and position embeddings, `n_layer` blocks
//! of (norm → attention, norm → MLP), each added to the residual stream, a final norm and `lm_head`,
//! which shares its weights with the token embedding.

use anyhow::Result;
use autograd::{Tensor, init};
use harness::PyRandom;
use harness::checkpoint::{Checkpoint, NamedTensor};

use crate::attention::CausalSelfAttention;
use crate::config::ModelConfig;
use crate::layers::{Linear, Norm};
use crate::mlp::Mlp;

/// The target of a position with nothing to predict (padding after a name's end): the loss skips it.
pub const IGNORE: usize = usize::MAX;

/// Dropout in training (`rng` is `Some`), nothing in evaluation or at p = 0.
pub fn dropout(x: Tensor, p: f32, rng: &mut Option<&mut PyRandom>) -> Tensor {
    match rng {
        Some(rng) if p > 0.0 => x.dropout(p, rng),
        _ => x,
    }
}

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
    pub fn forward(&self, x: Tensor, rng: &mut Option<&mut PyRandom>) -> Tensor {
        let x = x + self.attn.forward(self.ln_1.forward(x), rng);
        x + self.mlp.forward(self.ln_2.forward(x), rng)
    }
}
// ANCHOR_END: block

/// The whole model.
pub struct Gpt {
    pub config: ModelConfig,
    /// (V, C): one vector per token.
    pub wte: Tensor,
    /// (block_size, C): one vector per position.
    pub wpe: Tensor,
    /// microGPT's extra norm of the embeddings (`embd_norm`).
    pub ln_e: Option<Norm>,
    pub h: Vec<Block>,
    /// The final norm (absent in microGPT).
    pub ln_f: Option<Norm>,
    /// (V, C), or `None` when tied: the logits are then `x · wteᵀ`.
    pub lm_head: Option<Linear>,
}

impl Gpt {
    /// A fresh model, every weight drawn from `rng` in nanoGPT's order: wte, wpe, the blocks, lm_head.
    pub fn new(config: ModelConfig, rng: &mut PyRandom, std: f32) -> Gpt {
        let (v, c) = (config.vocab_size, config.n_embd);
        let norm = || Norm::new(config.norm, c, config.bias);
        Gpt {
            wte: init::normal(rng, &[v, c], 0.0, std),
            wpe: init::normal(rng, &[config.block_size, c], 0.0, std),
            ln_e: config.embd_norm.then(norm),
            h: (0..config.n_layer)
                .map(|_| Block {
                    ln_1: norm(),
                    attn: CausalSelfAttention::new(&config, rng, std),
                    ln_2: norm(),
                    mlp: Mlp::new(&config, rng, std),
                })
                .collect(),
            ln_f: config.final_norm.then(norm),
            lm_head: (!config.tie_head).then(|| Linear::new(rng, c, v, false, std)),
            config,
        }
    }

    // ANCHOR: forward
    /// Logits (B, T, V) for token ids `idx` (B·T of them, row by row). `rng` is `Some` in training, for
    /// dropout.
    pub fn forward(&self, idx: &[usize], b: usize, t: usize, rng: &mut Option<&mut PyRandom>) -> Tensor {
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
        x = dropout(x, self.config.dropout, rng);
        for block in &self.h {
            x = block.forward(x, rng);
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
    pub fn loss(
        &self,
        idx: &[usize],
        targets: &[usize],
        b: usize,
        t: usize,
        rng: &mut Option<&mut PyRandom>,
    ) -> Tensor {
        self.forward(idx, b, t, rng).cross_entropy_ignore(targets, IGNORE)
    }
    // ANCHOR_END: forward

    /// Every parameter with its nanoGPT name, in a fixed order (the checkpoint's and AdamW's).
    pub fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut p = vec![("wte".to_string(), self.wte), ("wpe".to_string(), self.wpe)];
        if let Some(ln_e) = &self.ln_e {
            p.extend(ln_e.named_parameters("ln_e"));
        }
        for (i, block) in self.h.iter().enumerate() {
            p.extend(block.ln_1.named_parameters(&format!("h.{i}.ln_1")));
            p.extend(block.attn.named_parameters(&format!("h.{i}.attn")));
            p.extend(block.ln_2.named_parameters(&format!("h.{i}.ln_2")));
            p.extend(block.mlp.named_parameters(&format!("h.{i}.mlp")));
        }
        if let Some(ln_f) = &self.ln_f {
            p.extend(ln_f.named_parameters("ln_f"));
        }
        if let Some(lm_head) = &self.lm_head {
            p.extend(lm_head.named_parameters("lm_head"));
        }
        p
    }

    /// Every parameter, in `named_parameters` order.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// How many numbers the model learns (a tied head counts once).
    pub fn num_params(&self) -> usize {
        self.parameters().iter().map(|p| p.numel()).sum()
    }

    /// nanoGPT's optimizer groups: weight decay for the matrices and embeddings (2-D), none for biases
    /// and norm gains (1-D), which only shift or scale and do not overfit.
    pub fn parameter_groups(&self) -> (Vec<Tensor>, Vec<Tensor>) {
        self.parameters().into_iter().partition(|p| p.shape().len() >= 2)
    }
}

/// Checkpoint tensors under this prefix are the optimizer's state (`train.rs` saves AdamW's moments
/// beside the weights so that training can resume exactly); loading a model ignores them.
pub const OPTIMIZER_PREFIX: &str = "adamw.";

/// Checkpoint I/O: every parameter as an f32 tensor under its nanoGPT name.
impl Gpt {
    pub fn to_tensors(&self) -> Vec<NamedTensor> {
        self.named_parameters()
            .into_iter()
            .map(|(name, p)| NamedTensor::f32(name, p.shape().as_slice(), p.data()))
            .collect()
    }

    /// Overwrites every parameter with the checkpoint's, checking every name and shape.
    pub fn load<C>(&self, ckpt: &Checkpoint<C>) -> Result<()> {
        let named = self.named_parameters();
        let optimizer = ckpt.tensors.keys().filter(|n| n.starts_with(OPTIMIZER_PREFIX));
        let names: Vec<&str> =
            named.iter().map(|(n, _)| n.as_str()).chain(optimizer.map(String::as_str)).collect();
        ckpt.expect_names(&names)?;
        for (name, p) in named {
            p.set_data(ckpt.expect_shape(&name, p.shape().as_slice())?);
        }
        Ok(())
    }

    /// The model a checkpoint describes, with its weights.
    pub fn from_checkpoint<C>(config: ModelConfig, ckpt: &Checkpoint<C>) -> Result<Gpt> {
        config.validate()?;
        anyhow::ensure!(config.vocab_size > 0, "the checkpoint's config has vocab_size 0");
        let model = Gpt::new(config, &mut PyRandom::new(0), 0.0);
        model.load(ckpt)?;
        Ok(model)
    }
}
