//! Shared helpers for the tensor tests: a finite-difference gradient checker.
#![allow(dead_code)]

use autograd::{Kernels, Tensor, TensorTape};

/// A deterministic stream of numbers in [-1, 1) for test inputs (splitmix64).
pub struct Numbers(u64);

impl Numbers {
    pub fn new(seed: u64) -> Numbers {
        Numbers(seed)
    }

    pub fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// `n` numbers in [-scale, scale).
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.next() * scale).collect()
    }

    /// `n` numbers whose magnitude is in [lo, hi], random sign (to stay away from kinks at 0).
    pub fn away_from_zero(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let m = lo + (hi - lo) * (self.next() * 0.5 + 0.5);
                if self.next() < 0.0 { -m } else { m }
            })
            .collect()
    }

    /// `n` numbers in [lo, hi] (positive inputs for ln, sqrt, powf).
    pub fn positive(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| lo + (hi - lo) * (self.next() * 0.5 + 0.5)).collect()
    }
}

/// One input of a gradient check: its numbers and shape.
pub struct Input {
    pub data: Vec<f32>,
    pub shape: Vec<usize>,
}

pub fn input(data: Vec<f32>, shape: &[usize]) -> Input {
    assert_eq!(data.len(), shape.iter().product::<usize>());
    Input { data, shape: shape.to_vec() }
}

// ANCHOR: gradcheck
/// Checks every gradient of `f` against finite differences.
///
/// The scalar checked is L = Σ w_i·y_i for fixed random weights w (so every output element matters
/// and errors cannot cancel), with y = f(inputs) computed by the engine in f32 and the sum taken in f64.
/// The analytic gradient is `y.backward_with(w)`. The numeric one is the central difference
/// (L(x+h) - L(x-h)) / 2h at h and h/2, combined by Richardson extrapolation so the truncation error
/// is O(h⁴) and what remains is f32 rounding in y, a few 1e-5 at most here. Outputs that do not depend
/// on the perturbed element are recomputed bit for bit identically, so they add no noise.
///
/// Passes if |analytic - numeric| ≤ atol + rtol·|numeric| for every element of every input.
pub fn gradcheck_tol(name: &str, inputs: &[Input], atol: f64, rtol: f64, f: impl Fn(&[Tensor]) -> Tensor) {
    let params: Vec<Tensor> = inputs.iter().map(|i| Tensor::param(&i.data, &i.shape)).collect();
    let (weights, analytic) = {
        let _step = TensorTape::scope();
        let y = f(&params);
        let mut numbers = Numbers::new(0x5eed);
        let w: Vec<f32> = numbers.vec(y.numel(), 1.0);
        y.backward_with(&w);
        let grads: Vec<Vec<f32>> = params.iter().map(|p| p.grad()).collect();
        (w, grads)
    };
    let loss = |params: &[Tensor]| -> f64 {
        let _step = TensorTape::scope();
        let y = f(params);
        y.with_data(|d| d.iter().zip(&weights).map(|(&y, &w)| y as f64 * w as f64).sum())
    };
    let mut worst = 0.0f64;
    for (k, (p, inp)) in params.iter().zip(inputs).enumerate() {
        let mut x = inp.data.clone();
        for j in 0..x.len() {
            let x0 = x[j];
            let mut diff = |h: f32| {
                let (xp, xm) = (x0 + h, x0 - h);
                x[j] = xp;
                p.set_data(&x);
                let lp = loss(&params);
                x[j] = xm;
                p.set_data(&x);
                let lm = loss(&params);
                x[j] = x0;
                p.set_data(&x);
                (lp - lm) / (xp as f64 - xm as f64)
            };
            let h = 1e-2 * x0.abs().max(1.0);
            let (d1, d2) = (diff(h), diff(h / 2.0));
            let numeric = (4.0 * d2 - d1) / 3.0;
            let a = analytic[k][j] as f64;
            let err = (a - numeric).abs();
            worst = worst.max(err / (atol + rtol * numeric.abs()));
            assert!(
                err <= atol + rtol * numeric.abs(),
                "{name}: input {k} element {j}: analytic {a} vs numeric {numeric} (error {err:.3e})"
            );
        }
    }
    assert!(worst.is_finite(), "{name}: non-finite gradients");
}
// ANCHOR_END: gradcheck

/// Runs `f` once with each kind of kernels selected (`Kernels::Plain`, then `Kernels::Fast`, which is
/// left selected), passing the kind, so that a check covers the plain kernels and the fast ones.
pub fn on_both_kernels(f: impl Fn(Kernels)) {
    for kernels in Kernels::ALL {
        kernels.set();
        f(kernels);
    }
    Kernels::Fast.set();
}

/// [`gradcheck_tol`] with the tolerances that fit f32 for inputs and gradients of order 1, on both
/// kinds of kernels.
pub fn gradcheck(name: &str, inputs: &[Input], f: impl Fn(&[Tensor]) -> Tensor) {
    on_both_kernels(|k| gradcheck_tol(&format!("{name} ({k} kernels)"), inputs, 2e-4, 1e-3, &f));
}

/// A small deterministic RNG for the APIs that take `&mut impl RngCore` (splitmix64).
pub struct TestRng(pub u64);

impl rand::RngCore for TestRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
