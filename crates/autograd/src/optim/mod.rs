//! Optimizers over any set of tensor parameters, gradient clipping and learning-rate schedules.
//!
//! An optimizer holds the handles of the parameters it updates and any state it keeps per parameter
//! (momentum, Adam's moments). `step()` reads each parameter's gradient and changes its numbers in
//! place; `zero_grad()` clears those gradients for the next step.

mod adam;
mod clip;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamState, AdamStateError};
pub use clip::clip_grad_norm;
pub use schedule::Schedule;
pub use sgd::Sgd;

use crate::tensor::Tensor;
use crate::tensor::tape::with;

/// What every optimizer offers, so that a training loop can be written once.
pub trait Optimizer {
    /// Updates every parameter from its current gradient.
    fn step(&mut self);
    /// The learning rate the next `step` uses.
    fn lr(&self) -> f32;
    /// Sets the learning rate (a schedule calls this before each step).
    fn set_lr(&mut self, lr: f32);
    /// The parameters this optimizer updates.
    fn params(&self) -> &[Tensor];
    /// Zeroes the gradients of this optimizer's parameters.
    fn zero_grad(&self) {
        zero_grad(self.params());
    }
}

/// Zeroes the gradients of `params`.
pub fn zero_grad(params: &[Tensor]) {
    for_each_param(params, |_, _, g| g.fill(0.0));
}

/// Calls `f(i, data, grad)` for each parameter `params[i]`, with its numbers to update and its
/// gradient (mutable, for clipping and zeroing).
pub(crate) fn for_each_param(params: &[Tensor], mut f: impl FnMut(usize, &mut [f32], &mut [f32])) {
    with(|t| {
        for (i, &p) in params.iter().enumerate() {
            let id = t.id(p);
            let b = t.nodes[id as usize].buf as usize;
            assert!(
                t.nodes[b].requires_grad,
                "optimizer: tensor {i} is not a parameter (create it with Tensor::param)"
            );
            if !t.live[b] {
                let n = t.nodes[b].shape.numel();
                t.grad[b].clear();
                t.grad[b].resize(n, 0.0);
                t.live[b] = true;
            }
            f(i, &mut t.data[b], &mut t.grad[b]);
        }
    })
}
