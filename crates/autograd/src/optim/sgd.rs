//! Stochastic gradient descent: step downhill, `p -= lr · grad` (micrograd, makemore), optionally
//! with momentum.

use super::{Optimizer, for_each_param};
use crate::tensor::Tensor;

/// SGD with optional momentum (PyTorch's form: `v = μ·v + g; p -= lr·v`).
#[derive(Debug)]
pub struct Sgd {
    params: Vec<Tensor>,
    /// Step size.
    pub lr: f32,
    /// μ; 0 is plain SGD.
    pub momentum: f32,
    velocity: Vec<Vec<f32>>,
}

impl Sgd {
    /// Plain SGD over `params`.
    pub fn new(params: &[Tensor], lr: f32) -> Sgd {
        Sgd { params: params.to_vec(), lr, momentum: 0.0, velocity: Vec::new() }
    }

    /// SGD with momentum μ.
    pub fn with_momentum(params: &[Tensor], lr: f32, momentum: f32) -> Sgd {
        Sgd { momentum, ..Sgd::new(params, lr) }
    }
}

// ANCHOR: sgd
impl Optimizer for Sgd {
    fn step(&mut self) {
        let (lr, mu) = (self.lr, self.momentum);
        if mu == 0.0 {
            for_each_param(&self.params, |_, p, g| {
                p.iter_mut().zip(g.iter()).for_each(|(p, &g)| *p -= lr * g)
            });
            return;
        }
        if self.velocity.is_empty() {
            self.velocity = self.params.iter().map(|p| vec![0.0; p.numel()]).collect();
        }
        let velocity = &mut self.velocity;
        for_each_param(&self.params, |i, p, g| {
            for ((p, &g), v) in p.iter_mut().zip(g.iter()).zip(velocity[i].iter_mut()) {
                *v = mu * *v + g;
                *p -= lr * *v;
            }
        });
    }

    fn lr(&self) -> f32 {
        self.lr
    }

    fn set_lr(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn params(&self) -> &[Tensor] {
        &self.params
    }
}
// ANCHOR_END: sgd
