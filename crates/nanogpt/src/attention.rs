//! Causal multi-head self-attention: every position gathers information from the positions before it,
//! weighting each by how well its query matches their keys.

use autograd::Tensor;
use harness::PyRandom;

use crate::config::ModelConfig;
use crate::layers::Linear;
use crate::model::dropout;

/// One block's attention: the fused query/key/value projection and the output projection.
pub struct CausalSelfAttention {
    /// (3·C, C): q, k and v of every head in one matrix (microGPT's wq, wk and wv stacked by rows).
    pub c_attn: Linear,
    /// (C, C): mixes the heads' outputs back into the residual stream.
    pub c_proj: Linear,
    n_head: usize,
    dropout: f32,
}

impl CausalSelfAttention {
    /// nanoGPT's init: N(0, std²), and std / √(2·n_layer) for `c_proj`, which writes into the residual
    /// stream (2·n_layer such writes add up; this keeps their sum at the scale of one).
    pub fn new(config: &ModelConfig, rng: &mut PyRandom, std: f32) -> CausalSelfAttention {
        let c = config.n_embd;
        let proj_std = std / (2.0 * config.n_layer as f32).sqrt();
        CausalSelfAttention {
            c_attn: Linear::new(rng, c, 3 * c, config.bias, std),
            c_proj: Linear::new(rng, c, c, config.bias, proj_std),
            n_head: config.n_head,
            dropout: config.dropout,
        }
    }

    // ANCHOR: forward
    /// (B, T, C) → (B, T, C). Position t sees positions 0..=t only, so one pass over a sequence trains
    /// all T next-token predictions at once without any of them seeing its answer.
    pub fn forward(&self, x: Tensor, rng: &mut Option<&mut PyRandom>) -> Tensor {
        let &[b, t, c] = x.shape().as_slice() else { panic!("attention: x must be (B, T, C)") };
        let (h, d) = (self.n_head, c / self.n_head);
        // Each position asks a question (query), advertises what it holds (key), and offers a content
        // (value); each head does this in its own D = C / n_head dimensions.
        let qkv = self.c_attn.forward(x); // (B, T, 3C)
        let y = match rng {
            Some(rng) if self.dropout > 0.0 => {
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
        dropout(self.c_proj.forward(y), self.dropout, rng)
    }
    // ANCHOR_END: forward

    /// Its parameters, named as in nanoGPT.
    pub fn named_parameters(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let mut p = self.c_attn.named_parameters(&format!("{prefix}.c_attn"));
        p.extend(self.c_proj.named_parameters(&format!("{prefix}.c_proj")));
        p
    }
}
