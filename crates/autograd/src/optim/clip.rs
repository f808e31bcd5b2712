//! Gradient-norm clipping: if the gradient of all parameters together is longer than `max_norm`, scale
//! it down to that length (its direction is kept). One bad batch then cannot throw the weights far.

use super::for_each_param;
use crate::tensor::Tensor;

// ANCHOR: clip
/// Scales the gradients of `params` so that their global L2 norm is at most `max_norm`, and returns
/// the norm before clipping (PyTorch's `clip_grad_norm_`, same 1e-6 guard).
pub fn clip_grad_norm(params: &[Tensor], max_norm: f32) -> f32 {
    let mut sum_sq = 0.0f64;
    for_each_param(params, |_, _, g| sum_sq += g.iter().map(|&g| g as f64 * g as f64).sum::<f64>());
    let norm = sum_sq.sqrt();
    let coef = max_norm as f64 / (norm + 1e-6);
    if coef < 1.0 {
        for_each_param(params, |_, _, g| g.iter_mut().for_each(|g| *g = (*g as f64 * coef) as f32));
    }
    norm as f32
}
// ANCHOR_END: clip
