//! makemore's default transformer: token and position embeddings, pre-norm blocks of causal
//! self-attention and a 4× GELU MLP (all Linear layers with bias), a final layer norm and an untied
//! `lm_head` without bias.

use rand::RngCore;

use super::{IGNORE, Model};
use autograd::Tensor;
use autograd::init;

/// A Linear layer's weight (in, out) and bias, PyTorch-initialised (U(±1/√in)).
struct Linear {
    w: Tensor,
    b: Option<Tensor>,
}

impl Linear {
    fn new(rng: &mut impl RngCore, n_in: usize, n_out: usize, bias: bool) -> Linear {
        let k = 1.0 / (n_in as f32).sqrt();
        let w = init::uniform(rng, &[n_in, n_out], -k, k);
        let b = bias.then(|| init::uniform(rng, &[n_out], -k, k));
        Linear { w, b }
    }

    fn forward(&self, x: Tensor) -> Tensor {
        x.linear(self.w, self.b)
    }
}

struct LayerNorm {
    gain: Tensor,
    bias: Tensor,
}

impl LayerNorm {
    fn new(n: usize) -> LayerNorm {
        LayerNorm { gain: init::constant(&[n], 1.0), bias: init::constant(&[n], 0.0) }
    }

    fn forward(&self, x: Tensor) -> Tensor {
        x.layer_norm(Some(self.gain), Some(self.bias), 1e-5)
    }
}

struct Block {
    ln_1: LayerNorm,
    c_attn: Linear,
    c_proj: Linear,
    ln_2: LayerNorm,
    c_fc: Linear,
    mlp_proj: Linear,
}

pub struct Gpt {
    wte: Tensor,
    wpe: Tensor,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    lm_head: Linear,
    n_head: usize,
    block_size: usize,
}

impl Gpt {
    pub fn new(
        rng: &mut impl RngCore,
        vocab: usize,
        block_size: usize,
        n_layer: usize,
        n_head: usize,
        n_embd: usize,
    ) -> Gpt {
        let c = n_embd;
        Gpt {
            wte: init::normal(rng, &[vocab, c], 0.0, 1.0),
            wpe: init::normal(rng, &[block_size, c], 0.0, 1.0),
            blocks: (0..n_layer)
                .map(|_| Block {
                    ln_1: LayerNorm::new(c),
                    c_attn: Linear::new(rng, c, 3 * c, true),
                    c_proj: Linear::new(rng, c, c, true),
                    ln_2: LayerNorm::new(c),
                    c_fc: Linear::new(rng, c, 4 * c, true),
                    mlp_proj: Linear::new(rng, 4 * c, c, true),
                })
                .collect(),
            ln_f: LayerNorm::new(c),
            lm_head: Linear::new(rng, c, vocab, false),
            n_head,
            block_size,
        }
    }

    /// nanoGPT's split: parameters with 2+ dims (matrices, embeddings) get weight decay, the rest not.
    pub fn parameter_groups(&self) -> (Vec<Tensor>, Vec<Tensor>) {
        self.parameters().into_iter().partition(|p| p.shape().len() >= 2)
    }

    /// Causal self-attention of one block, on (B, T, C).
    fn attention(&self, blk: &Block, x: Tensor) -> Tensor {
        let qkv = blk.c_attn.forward(x); // (B, T, 3C)
        // The heads are read in place out of q | k | v: no split into (B, H, T, D) copies.
        let y = qkv.causal_self_attention(self.n_head); // (B, T, C)
        blk.c_proj.forward(y)
    }
}

impl Model for Gpt {
    fn parameters(&self) -> Vec<Tensor> {
        let mut p = vec![self.wte, self.wpe];
        for blk in &self.blocks {
            for lin in [&blk.c_attn, &blk.c_proj, &blk.c_fc, &blk.mlp_proj] {
                p.push(lin.w);
                p.extend(lin.b);
            }
            p.extend([blk.ln_1.gain, blk.ln_1.bias, blk.ln_2.gain, blk.ln_2.bias]);
        }
        p.extend([self.ln_f.gain, self.ln_f.bias, self.lm_head.w]);
        p
    }

    fn loss(&self, idx: &[usize], targets: &[usize]) -> Tensor {
        let t = self.block_size;
        let b = idx.len() / t;
        let pos = self.wpe.narrow(0, 0, t); // (T, C)
        let mut x = self.wte.embedding(idx, &[b, t]) + pos; // (B, T, C)
        for blk in &self.blocks {
            x = x + self.attention(blk, blk.ln_1.forward(x));
            x = x + blk.mlp_proj.forward(blk.c_fc.forward(blk.ln_2.forward(x)).gelu());
        }
        let logits = self.lm_head.forward(self.ln_f.forward(x)); // (B, T, V)
        logits.cross_entropy_ignore(targets, IGNORE)
    }
}
