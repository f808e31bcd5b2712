//! CPython's `random` module, bit for bit.
//!
//! Karpathy's programs draw their randomness from Python's `random` (microGPT: `random.seed(42)`,
//! `random.shuffle(docs)`, `random.gauss(0, std)`, `random.choices(...)`). Reproducing his numbers to the
//! last digit needs the very same stream, so this is CPython 3.11's Mersenne Twister (`_randommodule.c`)
//! and the pure-Python methods of `random.py` built on it, transcribed line by line.
//!
//! Integer and `random()` streams are exact on every platform. `gauss` calls `ln`, `sqrt`, `cos` and `sin`,
//! which Rust takes from the platform's libm, as CPython does: on the same machine the two agree bit for
//! bit (checked on Linux/glibc); another libm may differ in the last bit.

use rand::{RngCore, SeedableRng};
use std::fmt;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;
const TWOPI: f64 = 2.0 * std::f64::consts::PI;

/// A Mersenne Twister that produces exactly what Python's `random` module produces after the same seed.
#[derive(Clone)]
pub struct PyRandom {
    mt: [u32; N],
    mti: usize,
    /// `random.gauss` makes two normals at a time and keeps the second for the next call.
    gauss_next: Option<f64>,
}

impl fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PyRandom").field("mti", &self.mti).field("gauss_next", &self.gauss_next).finish()
    }
}

/// Why `random.choices` refused its weights. Python raises `ValueError` for an empty list and for a
/// total that is not positive or not finite; we also refuse a single NaN, infinite or negative weight,
/// which Python would quietly bisect over, since from a model it always means something went wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum ChoicesError {
    /// There is nothing to choose from.
    Empty,
    /// Weight `index` is NaN, infinite or negative.
    BadWeight { index: usize, value: f64 },
    /// The weights add up to zero or less.
    NonPositiveTotal(f64),
    /// The weights add up to infinity or NaN (a diverged model, typically).
    NonFiniteTotal(f64),
}

impl fmt::Display for ChoicesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "cannot sample: no weights to choose from"),
            Self::BadWeight { index, value } => write!(
                f,
                "cannot sample: weight {index} is {value}, not a finite number >= 0 (the model diverged?)"
            ),
            Self::NonPositiveTotal(t) => {
                write!(f, "cannot sample: weights add up to {t}, not more than zero")
            }
            Self::NonFiniteTotal(t) => {
                write!(f, "cannot sample: weights add up to {t} (the model diverged?)")
            }
        }
    }
}

impl std::error::Error for ChoicesError {}

impl PyRandom {
    /// The generator after Python's `random.seed(seed)`.
    pub fn new(seed: u64) -> Self {
        let mut rng = Self { mt: [0; N], mti: N + 1, gauss_next: None };
        rng.seed(seed);
        rng
    }

    /// `random.seed(n)` for a non-negative int: the key is `n`'s 32-bit words, least significant first
    /// (`[0]` for zero). Like Python, this also forgets the cached `gauss` value.
    pub fn seed(&mut self, seed: u64) {
        let (lo, hi) = (seed as u32, (seed >> 32) as u32);
        if hi == 0 {
            self.init_by_array(&[lo])
        } else {
            self.init_by_array(&[lo, hi])
        }
        self.gauss_next = None;
    }

    /// `init_genrand`: fills the state from one 32-bit seed (Knuth's multiplier 1812433253).
    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..N {
            let prev = self.mt[i - 1];
            self.mt[i] = 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(i as u32);
        }
        self.mti = N;
    }

    /// `init_by_array`: mixes a key of any length into the state; CPython seeds every int through it.
    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = self.mt[i - 1];
            self.mt[i] = (self.mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                self.mt[0] = self.mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = self.mt[i - 1];
            self.mt[i] =
                (self.mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                self.mt[0] = self.mt[N - 1];
                i = 1;
            }
        }
        self.mt[0] = 0x8000_0000; // MSB is 1, assuring a non-zero initial array
    }

    /// `genrand_uint32`: the next 32 random bits, the one primitive everything else is built on.
    pub fn genrand_u32(&mut self) -> u32 {
        if self.mti >= N {
            self.twist();
        }
        let mut y = self.mt[self.mti];
        self.mti += 1;
        // tempering
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// Regenerates all N words of state at once.
    fn twist(&mut self) {
        let mag01 = |y: u32| if y & 1 == 0 { 0 } else { MATRIX_A };
        for kk in 0..N {
            let y = (self.mt[kk] & UPPER_MASK) | (self.mt[(kk + 1) % N] & LOWER_MASK);
            self.mt[kk] = self.mt[(kk + M) % N] ^ (y >> 1) ^ mag01(y);
        }
        self.mti = 0;
    }

    /// `random.random()`: a float in [0, 1) with 53 random bits (27 from one word, 26 from the next).
    pub fn random(&mut self) -> f64 {
        let a = self.genrand_u32() >> 5;
        let b = self.genrand_u32() >> 6;
        (a as f64 * 67_108_864.0 + b as f64) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `random.getrandbits(k)` for `k <= 64`. For `k <= 32` it is the top `k` bits of one word; above,
    /// words fill the result least significant first and the last one keeps only its top bits.
    ///
    /// # Panics
    /// If `k > 64` (use [`PyRandom::getrandbits_words`]).
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        assert!(k <= 64, "getrandbits({k}) does not fit in u64; use getrandbits_words");
        match k {
            0 => 0,
            1..=32 => u64::from(self.genrand_u32() >> (32 - k)),
            _ => {
                let lo = u64::from(self.genrand_u32());
                let hi = u64::from(self.genrand_u32() >> (64 - k)); // drop least significant bits
                lo | (hi << 32)
            }
        }
    }

    /// `random.getrandbits(k)` for any `k`, as 32-bit words, least significant first.
    pub fn getrandbits_words(&mut self, k: u32) -> Vec<u32> {
        let mut words = Vec::with_capacity(k.div_ceil(32) as usize);
        let mut left = k;
        while left > 0 {
            let r = self.genrand_u32();
            words.push(if left < 32 { r >> (32 - left) } else { r }); // drop least significant bits
            left = left.saturating_sub(32);
        }
        words
    }

    /// `random._randbelow(n)` (3.11's `_randbelow_with_getrandbits`): draws `n.bit_length()` bits until
    /// the number falls below `n`, so every value is equally likely.
    ///
    /// # Panics
    /// If `n == 0` (Python loops forever there; no public Python method reaches it).
    pub fn randbelow(&mut self, n: u64) -> u64 {
        assert!(n > 0, "randbelow(0): empty range");
        let k = u64::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `random.randrange(start, stop)`: a uniform integer in `start..stop`.
    ///
    /// # Panics
    /// If the range is empty, where Python raises `ValueError`.
    pub fn randrange(&mut self, start: i64, stop: i64) -> i64 {
        assert!(start < stop, "empty range for randrange({start}, {stop})");
        let width = stop.wrapping_sub(start) as u64;
        start.wrapping_add(self.randbelow(width) as i64)
    }

    /// `random.randint(a, b)`: a uniform integer in `a..=b` (it is `randrange(a, b + 1)`).
    ///
    /// # Panics
    /// If `a > b` or `b == i64::MAX`.
    pub fn randint(&mut self, a: i64, b: i64) -> i64 {
        self.randrange(a, b.checked_add(1).expect("randint upper bound overflows"))
    }

    /// `random.uniform(a, b)`: `a + (b - a) * random()`.
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }

    /// `random.gauss(mu, sigma)`: Box–Muller on two `random()` draws, keeping the second normal for the
    /// next call, exactly as CPython does (so calls pair up the same way).
    pub fn gauss(&mut self, mu: f64, sigma: f64) -> f64 {
        let z = match self.gauss_next.take() {
            Some(z) => z,
            None => {
                let x2pi = self.random() * TWOPI;
                let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
                self.gauss_next = Some(x2pi.sin() * g2rad);
                x2pi.cos() * g2rad
            }
        };
        mu + z * sigma
    }

    /// `random.shuffle(x)`: Fisher–Yates from the back, each swap partner drawn by `randbelow(i + 1)`.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            x.swap(i, j);
        }
    }

    /// `random.choices(range(len(weights)), weights=weights)[0]`: the index of one draw, or an error for
    /// weights no distribution has (see [`ChoicesError`]); it never panics.
    pub fn try_choices(&mut self, weights: &[f64]) -> Result<usize, ChoicesError> {
        Ok(self.try_choices_k(weights, 1)?[0])
    }

    /// `random.choices(range(len(weights)), weights=weights, k=k)`: `k` draws with replacement.
    pub fn try_choices_k(&mut self, weights: &[f64], k: usize) -> Result<Vec<usize>, ChoicesError> {
        if let Some((index, &value)) =
            weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(ChoicesError::BadWeight { index, value });
        }
        // cum_weights = list(itertools.accumulate(weights)): running sums, left to right.
        let cum: Vec<f64> = weights
            .iter()
            .scan(0.0, |acc, &w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        let Some(&total) = cum.last() else { return Err(ChoicesError::Empty) };
        if total <= 0.0 {
            return Err(ChoicesError::NonPositiveTotal(total));
        }
        if !total.is_finite() {
            // Finite weights whose sum overflows (1e308 twice).
            return Err(ChoicesError::NonFiniteTotal(total));
        }
        let hi = cum.len() - 1;
        Ok((0..k).map(|_| bisect_right(&cum, self.random() * total, hi)).collect())
    }
}

/// Python's `bisect.bisect_right(a, x, 0, hi)`, literally.
fn bisect_right(a: &[f64], x: f64, mut hi: usize) -> usize {
    let mut lo = 0;
    while lo < hi {
        let mid = (lo + hi) / 2;
        if x < a[mid] { hi = mid } else { lo = mid + 1 }
    }
    lo
}

/// `next_u32` is `genrand_uint32`, `next_u64` is `getrandbits(64)` and `fill_bytes` is `randbytes`, so
/// `rand`'s traits draw from the same stream Python would.
impl RngCore for PyRandom {
    fn next_u32(&mut self) -> u32 {
        self.genrand_u32()
    }

    fn next_u64(&mut self) -> u64 {
        self.getrandbits(64)
    }

    /// `random.randbytes(n)` = `getrandbits(8 * n).to_bytes(n, 'little')`: whole words little-endian, and a
    /// final partial word contributes its top bytes.
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        let mut chunks = dst.chunks_exact_mut(4);
        for chunk in &mut chunks {
            chunk.copy_from_slice(&self.genrand_u32().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        if !rest.is_empty() {
            let w = self.genrand_u32() >> (32 - 8 * rest.len());
            rest.copy_from_slice(&w.to_le_bytes()[..rest.len()]);
        }
    }
}

/// `PyRandom::seed_from_u64(n)` is `random.seed(n)` (not rand's PCG expansion); a `Seed` is the same u64
/// in little-endian bytes.
impl SeedableRng for PyRandom {
    type Seed = [u8; 8];

    fn from_seed(seed: Self::Seed) -> Self {
        Self::new(u64::from_le_bytes(seed))
    }

    fn seed_from_u64(state: u64) -> Self {
        Self::new(state)
    }
}

/// A [`PyRandom`]'s whole state, to save beside a checkpoint and carry on the same stream later.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PyRandomState {
    /// The 624 words of the Mersenne Twister.
    pub mt: Vec<u32>,
    /// The position of the next word.
    pub mti: usize,
    /// `random.gauss`'s cached second normal.
    pub gauss_next: Option<f64>,
}

/// A saved state that no generator can have.
#[derive(Debug, Clone, PartialEq)]
pub struct BadState;

impl fmt::Display for BadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the saved random state is damaged (it needs {N} words and a position up to {N})")
    }
}

impl std::error::Error for BadState {}

impl PyRandom {
    /// The generator's state, to continue its stream later with [`PyRandom::from_state`].
    pub fn state(&self) -> PyRandomState {
        PyRandomState { mt: self.mt.to_vec(), mti: self.mti, gauss_next: self.gauss_next }
    }

    /// The generator whose state was saved as `state`.
    pub fn from_state(state: &PyRandomState) -> Result<Self, BadState> {
        let mt: [u32; N] = state.mt.as_slice().try_into().map_err(|_| BadState)?;
        if state.mti > N {
            return Err(BadState);
        }
        Ok(Self { mt, mti: state.mti, gauss_next: state.gauss_next })
    }
}
