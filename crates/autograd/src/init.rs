//! Initialisers: parameters filled with random numbers from any [`RngCore`], so that a stage can pass
//! the shared CPython-compatible RNG and get Python's numbers.
//!
//! Uniform numbers are made exactly as CPython's `random.random()` makes them (53 bits from two 32-bit
//! draws), and normal ones by Box–Muller exactly as `random.gauss` does, pairing the draws the same
//! way: with an RNG that yields the Mersenne Twister's 32-bit outputs from `next_u32`, `normal` on a
//! fresh generator gives the numbers of repeated `random.gauss(mean, std)` calls.

use rand::RngCore;

use crate::tensor::Tensor;

/// The gain that keeps activations at unit scale through tanh layers (PyTorch's
/// `calculate_gain("tanh")`, used in makemore part 3).
pub const TANH_GAIN: f32 = 5.0 / 3.0;

/// A uniform number in [0, 1) with 53 random bits: CPython's `random.random()`.
pub fn random(rng: &mut impl RngCore) -> f64 {
    let a = (rng.next_u32() >> 5) as f64;
    let b = (rng.next_u32() >> 6) as f64;
    (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
}

/// Fills `out` with normal numbers N(mean, std²) by Box–Muller: from two uniforms u1, u2, the point at
/// angle 2π·u1 and radius √(-2 ln(1 - u2)) has independent normal coordinates, cos then sin.
pub fn fill_normal(rng: &mut impl RngCore, out: &mut [f64], mean: f64, std: f64) {
    for pair in out.chunks_mut(2) {
        let angle = random(rng) * std::f64::consts::TAU;
        let radius = (-2.0 * (1.0 - random(rng)).ln()).sqrt();
        pair[0] = mean + angle.cos() * radius * std;
        if let Some(second) = pair.get_mut(1) {
            *second = mean + angle.sin() * radius * std;
        }
    }
}

/// A parameter of shape `shape` with N(mean, std²) entries.
pub fn normal(rng: &mut impl RngCore, shape: &[usize], mean: f32, std: f32) -> Tensor {
    let mut values = vec![0.0f64; shape.iter().product()];
    fill_normal(rng, &mut values, mean as f64, std as f64);
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::param(&values, shape)
}

/// A parameter of shape `shape` with entries uniform in [low, high): `random.uniform(low, high)`.
pub fn uniform(rng: &mut impl RngCore, shape: &[usize], low: f32, high: f32) -> Tensor {
    let (low, high) = (low as f64, high as f64);
    let values: Vec<f32> =
        (0..shape.iter().product()).map(|_| (low + (high - low) * random(rng)) as f32).collect();
    Tensor::param(&values, shape)
}

/// Kaiming (He) initialisation: N(0, (gain / √fan_in)²), so that a layer with `fan_in` inputs keeps
/// its activations at unit scale. makemore part 3: `torch.randn(fan_in, fan_out) * (5/3) / fan_in**0.5`
/// is `kaiming(rng, &[fan_in, fan_out], fan_in, TANH_GAIN)`.
pub fn kaiming(rng: &mut impl RngCore, shape: &[usize], fan_in: usize, gain: f32) -> Tensor {
    normal(rng, shape, 0.0, gain / (fan_in as f32).sqrt())
}

/// A parameter filled with `value` (zeros for biases, ones for norm gains).
pub fn constant(shape: &[usize], value: f32) -> Tensor {
    Tensor::param(&vec![value; shape.iter().product()], shape)
}
