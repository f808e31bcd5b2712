//! Dropout: during training, zero each element with probability p and scale the survivors by
//! 1/(1 - p) so the expected value is unchanged ("inverted" dropout, as PyTorch).
//!
//! The mask is a pure function of a seed (drawn from the caller's RNG) and the element's index, so
//! it is the same whichever thread computes it, and the backward recomputes it instead of storing it.

use rand::RngCore;

use super::Tensor;
use super::tape::{Grads, Op, with};

/// splitmix64's finaliser: a well-mixed 64-bit hash of `seed` and `i`.
fn hash(seed: u64, i: usize) -> u64 {
    let mut z = seed.wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The factor element `i` is multiplied by: 0 if dropped, 1/(1-p) if kept.
fn factor(seed: u64, i: usize, p: f32) -> f32 {
    let u = (hash(seed, i) >> 40) as f32 / (1u64 << 24) as f32; // uniform in [0, 1)
    if u < p { 0.0 } else { 1.0 / (1.0 - p) }
}

/// Backward: the same mask, applied to the gradient.
pub(super) fn backward(grads: &mut Grads, x: u32, p: f32, seed: u64, g: &[f32]) {
    let Some(dx) = grads.get(x) else { return };
    for (i, (d, &g)) in dx.iter_mut().zip(g).enumerate() {
        *d += g * factor(seed, i, p);
    }
}

impl Tensor {
    /// Dropout with probability `p` (in [0, 1]), its mask seeded by one draw from `rng`: the same
    /// RNG state gives the same mask. Call it only in training; at `p = 0` it returns `self`.
    pub fn dropout(self, p: f32, rng: &mut impl RngCore) -> Tensor {
        assert!((0.0..=1.0).contains(&p), "dropout: p must be in [0, 1], got {p}");
        if p == 0.0 {
            return self;
        }
        let seed = rng.next_u64();
        with(|t| {
            let x = t.id(self);
            let shape = t.shape(x);
            let mut y = t.alloc(shape.numel());
            for (i, (y, &x)) in y.iter_mut().zip(t.data(x)).enumerate() {
                *y = x * factor(seed, i, p);
            }
            t.push(shape, Op::Dropout { x, p, seed }, t.requires_grad(x), y)
        })
    }
}
