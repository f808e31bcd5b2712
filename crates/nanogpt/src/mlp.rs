//! The MLP of a block: after attention has gathered information from other positions, each position
//! thinks about it on its own — widen 4×, a nonlinearity, narrow back.

use autograd::Tensor;
use harness::PyRandom;

use crate::config::{Activation, ModelConfig};
use crate::layers::Linear;
use crate::model::dropout;

/// `c_proj(act(c_fc(x)))`, position by position.
pub struct Mlp {
    /// (4·C, C)
    pub c_fc: Linear,
    /// (C, 4·C): writes into the residual stream, so it starts smaller (see `CausalSelfAttention::new`).
    pub c_proj: Linear,
    activation: Activation,
    dropout: f32,
}

impl Mlp {
    pub fn new(config: &ModelConfig, rng: &mut PyRandom, std: f32) -> Mlp {
        let c = config.n_embd;
        let proj_std = std / (2.0 * config.n_layer as f32).sqrt();
        Mlp {
            c_fc: Linear::new(rng, c, 4 * c, config.bias, std),
            c_proj: Linear::new(rng, 4 * c, c, config.bias, proj_std),
            activation: config.activation,
            dropout: config.dropout,
        }
    }

    // ANCHOR: forward
    /// (B, T, C) → (B, T, C).
    pub fn forward(&self, x: Tensor, rng: &mut Option<&mut PyRandom>) -> Tensor {
        let h = self.c_fc.forward(x); // (B, T, 4C)
        let h = match self.activation {
            Activation::Gelu => h.gelu(),
            Activation::Relu => h.relu(),
        };
        dropout(self.c_proj.forward(h), self.dropout, rng) // (B, T, C)
    }
    // ANCHOR_END: forward

    /// Its parameters, named as in nanoGPT.
    pub fn named_parameters(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let mut p = self.c_fc.named_parameters(&format!("{prefix}.c_fc"));
        p.extend(self.c_proj.named_parameters(&format!("{prefix}.c_proj")));
        p
    }
}
