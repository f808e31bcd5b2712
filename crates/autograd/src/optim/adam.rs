//! Adam and AdamW: SGD with a per-parameter step size. Each parameter keeps running averages of its
//! gradient (m, the direction) and of its squared gradient (v, the scale); the step is m / √v, so
//! every parameter moves at about the learning rate whatever the size of its gradients.
//!
//! AdamW differs only in weight decay: instead of adding `wd·p` to the gradient (where Adam's scaling
//! would distort it), it shrinks the parameter directly, `p -= lr·wd·p`, and only for the parameters
//! the caller chooses. nanoGPT decays every parameter with 2 or more dims (matmul weights and
//! embeddings) and leaves biases and norm gains alone.

use super::{Optimizer, for_each_param};
use crate::tensor::Tensor;

/// Adam, or AdamW when built with [`Adam::adamw`]. Defaults are PyTorch's: betas (0.9, 0.999),
/// eps 1e-8.
#[derive(Debug)]
pub struct Adam {
    params: Vec<Tensor>,
    /// Whether decoupled weight decay applies to each parameter.
    decay: Vec<bool>,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
    /// Steps taken so far (for the bias correction).
    t: i32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Decoupled weight decay (0 for plain Adam).
    pub weight_decay: f32,
}

impl Adam {
    /// Adam over `params`, without weight decay.
    pub fn new(params: &[Tensor], lr: f32) -> Adam {
        Adam::adamw(params, &[], lr, 0.0)
    }

    /// AdamW: `decayed` parameters get decoupled weight decay `weight_decay`, `not_decayed` ones none
    /// (nanoGPT: matrices in the first group; biases and norm gains in the second).
    pub fn adamw(decayed: &[Tensor], not_decayed: &[Tensor], lr: f32, weight_decay: f32) -> Adam {
        let params: Vec<Tensor> = decayed.iter().chain(not_decayed).copied().collect();
        let decay = (0..params.len()).map(|i| i < decayed.len()).collect();
        let zeros = || params.iter().map(|p| vec![0.0; p.numel()]).collect();
        Adam {
            m: zeros(),
            v: zeros(),
            params,
            decay,
            t: 0,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
        }
    }

    /// Sets (β1, β2): nanoGPT uses (0.9, 0.95), makemore's transformer (0.9, 0.99).
    pub fn betas(mut self, beta1: f32, beta2: f32) -> Adam {
        (self.beta1, self.beta2) = (beta1, beta2);
        self
    }

    /// Sets ε, added to √v to keep the step finite.
    pub fn eps(mut self, eps: f32) -> Adam {
        self.eps = eps;
        self
    }

    /// How many steps have been taken.
    pub fn steps(&self) -> i32 {
        self.t
    }

    /// A copy of everything Adam has learned about the gradients so far: with the parameters, what a
    /// checkpoint must hold for training to go on exactly as if it had never stopped.
    pub fn state(&self) -> AdamState {
        AdamState { t: self.t, m: self.m.clone(), v: self.v.clone() }
    }

    /// Continues from a saved [`AdamState`] (from [`Adam::state`] of an optimizer over parameters of
    /// the same shapes, in the same order). Refuses, changing nothing, a state that does not fit.
    pub fn load_state(&mut self, state: AdamState) -> Result<(), AdamStateError> {
        let sizes = |moments: &[Vec<f32>]| moments.iter().map(Vec::len).collect::<Vec<_>>();
        let want: Vec<usize> = self.params.iter().map(|p| p.numel()).collect();
        for (moment, got) in [("m", sizes(&state.m)), ("v", sizes(&state.v))] {
            if got != want {
                return Err(AdamStateError { moment, want, got });
            }
        }
        if state.t < 0 {
            return Err(AdamStateError { moment: "t", want: vec![], got: vec![] });
        }
        (self.t, self.m, self.v) = (state.t, state.m, state.v);
        Ok(())
    }
}

/// Adam's running state: the step count and both moments of every parameter, in the optimizer's
/// parameter order (for [`Adam::adamw`]: the decayed parameters, then the others).
#[derive(Clone, Debug, PartialEq)]
pub struct AdamState {
    /// Steps taken: the bias corrections 1 - β^t depend on it.
    pub t: i32,
    /// First moments (running averages of the gradients), one vector per parameter.
    pub m: Vec<Vec<f32>>,
    /// Second moments (running averages of the squared gradients), one vector per parameter.
    pub v: Vec<Vec<f32>>,
}

/// Why [`Adam::load_state`] refused a state: it was saved for other parameters (or has t < 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdamStateError {
    moment: &'static str,
    want: Vec<usize>,
    got: Vec<usize>,
}

impl std::fmt::Display for AdamStateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.moment == "t" {
            return write!(f, "Adam state: a negative step count");
        }
        write!(
            f,
            "Adam state: moment {} has sizes {:?}, the parameters have {:?}",
            self.moment, self.got, self.want
        )
    }
}

impl std::error::Error for AdamStateError {}

// ANCHOR: adam
impl Optimizer for Adam {
    fn step(&mut self) {
        self.t += 1;
        let (lr, b1, b2, eps, wd) = (self.lr, self.beta1, self.beta2, self.eps, self.weight_decay);
        // m and v start at 0, so early averages are too small by (1 - β^t): divide it out.
        let bc1 = 1.0 - (b1 as f64).powi(self.t);
        let bc2 = 1.0 - (b2 as f64).powi(self.t);
        let step_size = (lr as f64 / bc1) as f32;
        let inv_sqrt_bc2 = (1.0 / bc2.sqrt()) as f32;
        let (m, v, decay) = (&mut self.m, &mut self.v, &self.decay);
        for_each_param(&self.params, |i, p, g| {
            let shrink = if decay[i] { 1.0 - lr * wd } else { 1.0 };
            for (((p, &g), m), v) in p.iter_mut().zip(g.iter()).zip(m[i].iter_mut()).zip(v[i].iter_mut()) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *p = *p * shrink - step_size * *m / (v.sqrt() * inv_sqrt_bc2 + eps);
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
// ANCHOR_END: adam
