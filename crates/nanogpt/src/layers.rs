//! The two small layers everything else is made of: `Linear` (a matrix, maybe a bias) and `Norm`
//! (LayerNorm or RMSNorm, applied to each position's vector on its own).

use autograd::{Tensor, init};
use harness::PyRandom;

use crate::config::NormKind;

// ANCHOR: linear
/// `y = x Wᵀ + b`, with W stored (out, in) as PyTorch's `nn.Linear` and microGPT's matrices: row `o`
/// of W is what output `o` takes the dot product of the input with.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// N(0, std²) weights and zero biases, nanoGPT's `_init_weights`.
    pub fn new(rng: &mut PyRandom, n_in: usize, n_out: usize, bias: bool, std: f32) -> Linear {
        Linear {
            weight: init::normal(rng, &[n_out, n_in], 0.0, std),
            bias: bias.then(|| init::constant(&[n_out], 0.0)),
        }
    }

    /// (..., in) → (..., out): one matrix product over all positions of the batch at once.
    pub fn forward(&self, x: Tensor) -> Tensor {
        x.linear_t(self.weight, self.bias)
    }
}
// ANCHOR_END: linear

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
    /// A norm over `n_embd` features: gain 1 and bias 0 at the start, so it starts as a pure normaliser.
    pub fn new(kind: NormKind, n_embd: usize, bias: bool) -> Norm {
        match kind {
            NormKind::LayerNorm => Norm::LayerNorm {
                weight: init::constant(&[n_embd], 1.0),
                bias: bias.then(|| init::constant(&[n_embd], 0.0)),
            },
            NormKind::RmsNorm => Norm::RmsNorm,
        }
    }

    /// (..., C) → (..., C).
    pub fn forward(&self, x: Tensor) -> Tensor {
        match self {
            Norm::LayerNorm { weight, bias } => x.layer_norm(Some(*weight), *bias, EPS),
            Norm::RmsNorm => x.rms_norm(None, EPS),
        }
    }

    /// Its learned parameters, named as in nanoGPT (`weight`, `bias`).
    pub fn named_parameters(&self, prefix: &str) -> Vec<(String, Tensor)> {
        match self {
            Norm::LayerNorm { weight, bias } => {
                let mut p = vec![(format!("{prefix}.weight"), *weight)];
                p.extend(bias.map(|b| (format!("{prefix}.bias"), b)));
                p
            }
            Norm::RmsNorm => Vec::new(),
        }
    }
}
// ANCHOR_END: norm

impl Linear {
    /// Its parameters, named as in nanoGPT (`weight`, `bias`).
    pub fn named_parameters(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let mut p = vec![(format!("{prefix}.weight"), self.weight)];
        p.extend(self.bias.map(|b| (format!("{prefix}.bias"), b)));
        p
    }
}
