//! `exp` and `tanh` for f32 written so that a loop over a slice compiles to SIMD code.
//!
//! The standard library calls the platform's `expf`/`tanhf` one element at a time; a transformer step
//! evaluates a few hundred thousand of them (GELU, softmax), which then costs more than the matmuls.
//! `exp` is the classic Cephes single-precision algorithm (range reduction + minimax polynomial) and
//! `tanh` a rational approximation, both with every branch turned into a select so the compiler can
//! vectorize them. Both are accurate to a few ulp over the whole f32 range (checked against f64 in the
//! tests below).

const LOG2E: f32 = std::f32::consts::LOG2_E;
// ln 2 split in two so that n·ln2 is subtracted exactly (Cody–Waite).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
// Adding 1.5·2^23 rounds a float in (-2^22, 2^22) to an integer and leaves that integer in the low
// mantissa bits: a rounding that vectorizes without SSE4.1.
const ROUNDER: f32 = 12_582_912.0;

/// e^x. Underflows to exactly 0 below -87.3 (so `exp(-inf) = 0`, as softmax with a mask needs),
/// overflows to +inf above 88.7, and passes NaN through.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    let xc = x.clamp(-87.3, 88.7);
    // x = n·ln2 + r with |r| ≤ ln2/2, so e^x = 2^n · e^r.
    let t = xc * LOG2E + ROUNDER;
    let n = t - ROUNDER;
    let r = xc - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // 2^n built from its bits (n + 127 in the exponent field), in two halves because n reaches 128.
    let ni = (t.to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    let half = ni >> 1;
    let s1 = f32::from_bits(((half + 127) as u32) << 23);
    let s2 = f32::from_bits(((ni - half + 127) as u32) << 23);
    let y = er * s1 * s2;
    let y = if x < -87.3 { 0.0 } else { y };
    let y = if x > 88.7 { f32::INFINITY } else { y };
    if x.is_nan() { x } else { y }
}

/// tanh x as a ratio of two polynomials in x² (Eigen's single-precision `tanh`): no exponential and one
/// division, so about three times faster than 1 - 2/(e^{2x} + 1), within 7 ulp. Beyond ±7.9 tanh is 1
/// in f32, which the clamp gives exactly.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let x = x.clamp(-7.905_311, 7.905_311);
    let x2 = x * x;
    let mut p = -2.760_768_5e-16_f32;
    p = p * x2 + 2.000_188e-13;
    p = p * x2 - 8.604_672e-11;
    p = p * x2 + 5.122_297e-8;
    p = p * x2 + 1.485_722_4e-5;
    p = p * x2 + 6.372_619_3e-4;
    p = p * x2 + 4.893_524_6e-3;
    let mut q = 1.198_258_4e-6_f32;
    q = q * x2 + 1.185_347_1e-4;
    q = q * x2 + 2.268_434_6e-3;
    q = q * x2 + 4.893_525e-3;
    x * p / q
}

/// `out[i] = exp(x[i])` over slices (a loop the compiler vectorizes).
pub(crate) fn exp_into(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = exp(v);
    }
}

/// Σ a_i·b_i with eight running sums (one per SIMD lane) instead of one: a single running sum makes
/// every addition wait for the previous one, and the compiler may not reorder float additions itself.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Σ a_i, lane-parallel like [`dot`].
#[inline]
pub(crate) fn sum(a: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let tail: f32 = ca.remainder().iter().sum();
    for x in ca {
        for l in 0..8 {
            acc[l] += x[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// max a_i (-∞ for an empty slice), lane-parallel.
#[inline]
pub(crate) fn max(a: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; 8];
    let ca = a.chunks_exact(8);
    let tail = ca.remainder().iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for x in ca {
        for l in 0..8 {
            acc[l] = acc[l].max(x[l]);
        }
    }
    acc.iter().fold(tail, |m, &v| m.max(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error in ulps against the f64 function, over a dense sweep.
    fn max_ulps(f: fn(f32) -> f32, exact: fn(f64) -> f64, lo: f32, hi: f32) -> f64 {
        let mut worst = 0.0f64;
        let n = 200_000;
        for i in 0..=n {
            let x = lo + (hi - lo) * i as f32 / n as f32;
            let want = exact(x as f64);
            let got = f(x) as f64;
            if want == 0.0 {
                assert_eq!(got, 0.0);
                continue;
            }
            let ulp = (want.abs() as f32).to_bits();
            let ulp = f32::from_bits(ulp + 1) as f64 - f32::from_bits(ulp) as f64;
            worst = worst.max((got - want).abs() / ulp);
        }
        worst
    }

    #[test]
    fn exp_is_accurate_to_a_few_ulp() {
        assert!(max_ulps(exp, f64::exp, -87.0, 88.0) <= 2.0);
        assert!(max_ulps(exp, f64::exp, -1.0, 1.0) <= 2.0);
    }

    #[test]
    fn tanh_is_accurate_to_a_few_ulp() {
        assert!(max_ulps(tanh, f64::tanh, -10.0, 10.0) <= 8.0);
        assert!(max_ulps(tanh, f64::tanh, -0.7, 0.7) <= 8.0);
        assert!(max_ulps(tanh, f64::tanh, -1e-3, 1e-3) <= 8.0);
    }

    #[test]
    fn lane_parallel_reductions() {
        let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..37).map(|i| 1.0 - i as f32 * 0.25).collect();
        let want_dot: f64 = a.iter().zip(&b).map(|(&x, &y)| x as f64 * y as f64).sum();
        assert!((dot(&a, &b) as f64 - want_dot).abs() < 1e-4);
        assert_eq!(sum(&a), a.iter().sum::<f32>());
        assert_eq!(max(&a), 15.0);
        assert_eq!(max(&[]), f32::NEG_INFINITY);
        assert_eq!(sum(&[]), 0.0);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(tanh(0.0), 0.0);
        assert_eq!(tanh(50.0), 1.0);
        assert_eq!(tanh(-50.0), -1.0);
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert!(tanh(f32::NAN).is_nan());
    }
}
