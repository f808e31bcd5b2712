//! The hyperparameters: the lecture's values as defaults, Karpathy's names as flags (doc comments
//! become `--help`), saved in the checkpoint beside the weights.

use anyhow::{Result, ensure};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

/// Everything `train` takes: the model's shape and how to train it.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Config {
    #[command(flatten)]
    pub model: ModelConfig,
    #[command(flatten)]
    pub train: TrainConfig,
}

impl Config {
    /// Refuses settings that cannot train, with one clear line naming the flag.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        self.train.validate()
    }
}

// ANCHOR: smoothing
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
    /// Refuses, before anything is allocated, data whose full-batch step over `n_pairs` bigrams would
    /// need more memory than `harness::limits` allows (f32): W, its gradient and the counts (V, V), and
    /// the logits, probabilities and their gradients (n_pairs, V).
    pub fn check_memory(&self, n_pairs: usize) -> Result<()> {
        use harness::limits::{product as mul, sum};
        let (v, n) = (self.vocab_size as u128, n_pairs as u128);
        let what = format!("the data's {} tokens and {n_pairs} training bigrams", self.vocab_size);
        let floats = sum(&what, &[mul(&what, &[4, v, v])?, mul(&what, &[6, n, v])?])?;
        Ok(harness::limits::check_memory(&what, mul(&what, &[4, floats])?)?)
    }

    /// Rejects shapes the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.smoothing.is_finite() && self.smoothing >= 0.0,
            "--smoothing must be a finite number ≥ 0"
        );
        Ok(())
    }
}

// ANCHOR_END: smoothing

/// How to train the neural bigram: full-batch gradient descent, as in the lecture.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of optimisation steps (each on every training bigram at once).
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Step size of plain SGD: the lecture's 50 (this loss surface is very forgiving).
    #[arg(long, default_value_t = 50.0)]
    pub learning_rate: f64,
    /// Regularisation strength: adds reg·mean(W²) to the loss, pulling the weights toward 0 and the
    /// probabilities toward uniform (the neural twin of --smoothing; the lecture uses 0.01).
    #[arg(long, default_value_t = 0.0)]
    pub reg: f64,
    /// Measure the loss on the validation words every this many steps (0: only after the last step).
    #[arg(long, default_value_t = 20)]
    pub eval_interval: usize,
    /// Seed of the initial weights (then of sampling).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl TrainConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        harness::limits::check_steps("--steps", self.steps, true)?;
        ensure!(
            self.learning_rate.is_finite() && self.learning_rate > 0.0,
            "--learning-rate must be a finite number > 0"
        );
        ensure!(self.reg.is_finite() && self.reg >= 0.0, "--reg must be a finite number ≥ 0");
        // The pull toward zero is reg · mean(W²), and W starts ~N(0, 1): a --reg above the divergence
        // guard's limit makes the very first loss "explode", whatever the learning rate.
        let limit = harness::guard::LOSS_LIMIT;
        ensure!(
            self.reg <= limit,
            "--reg {} is above {limit}: the penalty alone would be a loss the divergence guard stops (the lecture uses 0.01)",
            self.reg
        );
        Ok(())
    }
}

/// How to sample.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// How many names to generate.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
    /// Which of the two models to sample from.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    pub model: Which,
}

impl SampleConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        harness::limits::check_num_samples(self.num_samples)
    }
}

/// Which of the two models to sample from.
#[derive(ValueEnum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The count table P (with the checkpoint's --smoothing).
    Counts,
    /// The trained network, softmax(W).
    Neural,
    /// Both, side by side.
    Both,
}

impl Default for Config {
    fn default() -> Config {
        harness::cli::defaults()
    }
}

impl Default for SampleConfig {
    fn default() -> SampleConfig {
        harness::cli::defaults()
    }
}
