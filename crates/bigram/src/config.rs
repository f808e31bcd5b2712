//! The hyperparameters, with the lecture's values as defaults and its names as flags.

use anyhow::{Result, ensure};
use clap::Args;
use serde::{Deserialize, Serialize};

/// The shape of the model (everything needed to rebuild it from a checkpoint).
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Count model: add this to every count before normalising ("model smoothing"; 0 = none), so no
    /// bigram has probability zero.
    #[arg(long, default_value_t = 1.0)]
    pub smoothing: f64,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
}

impl ModelConfig {
    /// Rejects settings the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.smoothing.is_finite() && self.smoothing >= 0.0,
            "--smoothing must be a finite number ≥ 0"
        );
        Ok(())
    }
}

/// How to train the neural bigram: full-batch gradient descent, as in the lecture.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of gradient descent steps (each on every training bigram at once).
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Step size of gradient descent: the lecture's 50 (this loss surface is very forgiving).
    #[arg(long, default_value_t = 50.0)]
    pub learning_rate: f64,
    /// Regularisation strength: adds reg·mean(W²) to the loss, pulling the weights toward 0 and the
    /// probabilities toward uniform (the neural twin of --smoothing; the lecture uses 0.01).
    #[arg(long, default_value_t = 0.0)]
    pub reg: f64,
    /// Seed of the random stream (the initial weights, then sampling).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Measure the loss on the validation words every this many steps (0: only after the last step).
    #[arg(long, default_value_t = 20)]
    pub eval_interval: usize,
}

impl TrainConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.steps > 0, "--steps must be at least 1");
        ensure!(
            self.learning_rate.is_finite() && self.learning_rate >= 0.0,
            "--learning-rate must be a finite number ≥ 0"
        );
        ensure!(self.reg.is_finite() && self.reg >= 0.0, "--reg must be a finite number ≥ 0");
        Ok(())
    }
}

/// How to sample.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// How many names to generate.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
}
