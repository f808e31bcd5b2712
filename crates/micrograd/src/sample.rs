//! Sampling names: start from BOS, draw the next character from the model's probabilities, feed it back,
//! stop at BOS.

use std::path::PathBuf;

use anyhow::{Result, ensure};
use autograd::Tape;
use clap::Args;
use harness::PyRandom;

use crate::model::{Bigram, softmax};

/// A name that never draws BOS is cut here: a bigram model has no notion of length.
pub const MAX_LEN: usize = 64;

/// How `micrograd sample` samples.
#[derive(Debug, Clone, Args)]
pub struct SampleArgs {
    /// The run directory `micrograd train --out DIR` wrote.
    #[arg(long, default_value = "runs/micrograd")]
    pub checkpoint: PathBuf,
    /// How many names to print.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
    /// Divides the logits: below 1 is more conservative, above 1 more adventurous.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Seeds the draws.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl SampleArgs {
    /// Refuses a temperature that would divide by zero or flip the distribution.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.temperature.is_finite() && self.temperature > 0.0,
            "--temperature must be a positive number, got {}",
            self.temperature
        );
        Ok(())
    }
}

// ANCHOR: sample
/// Draws `n` names from `model`, each character with `random.choices` over the softmax of the logits.
pub fn sample(model: &Bigram, n: usize, temperature: f64, rng: &mut PyRandom) -> Result<Vec<String>> {
    let _sampling = Tape::no_grad(); // nothing here is back-propagated
    let bos = model.vocab.bos();
    let mut names = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut prev, mut name) = (bos, String::new());
        for _ in 0..MAX_LEN {
            let _char = Tape::scope();
            let logits: Vec<_> = model.logits(prev).into_iter().map(|l| l / temperature).collect();
            let probs: Vec<f64> = softmax(&logits).iter().map(|p| p.data()).collect();
            prev = rng.try_choices(&probs)?;
            if prev == bos {
                break;
            }
            name.push(model.vocab.itos(prev));
        }
        names.push(name);
    }
    Ok(names)
}
// ANCHOR_END: sample
