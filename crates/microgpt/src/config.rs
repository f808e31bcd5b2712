//! The hyperparameters, with microGPT's values as defaults and its names as flags.

use anyhow::{Result, bail, ensure};
use clap::Args;
use harness::vocab::Vocab;
use serde::{Deserialize, Serialize};

/// The shape of the network (everything needed to rebuild it from a checkpoint).
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Depth of the transformer (number of layers).
    #[arg(long, default_value_t = 1)]
    pub n_layer: usize,
    /// Width of the network (embedding dimension).
    #[arg(long, default_value_t = 16)]
    pub n_embd: usize,
    /// Number of attention heads; must divide n_embd.
    #[arg(long, default_value_t = 4)]
    pub n_head: usize,
    /// Maximum context length of the attention window (longer names are cut to it).
    #[arg(long, default_value_t = 16)]
    pub block_size: usize,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
}

impl ModelConfig {
    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }

    /// Rejects shapes the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [("--n-layer", self.n_layer), ("--n-embd", self.n_embd)] {
            ensure!(value > 0, "{name} must be at least 1");
        }
        ensure!(self.n_head > 0, "--n-head must be at least 1");
        ensure!(self.block_size > 0, "--block-size must be at least 1");
        if !self.n_embd.is_multiple_of(self.n_head) {
            bail!(
                "--n-embd {} is not divisible by --n-head {}: each head needs an equal slice",
                self.n_embd,
                self.n_head
            );
        }
        Ok(())
    }
}

/// How to train: microGPT's Adam, schedule and budget.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of training steps (one document each).
    #[arg(long, default_value_t = 1000)]
    pub steps: usize,
    /// Adam's initial learning rate; it decays linearly to 0 over the steps.
    #[arg(long, default_value_t = 0.01)]
    pub learning_rate: f64,
    /// Adam's decay rate of the first moment.
    #[arg(long, default_value_t = 0.85)]
    pub beta1: f64,
    /// Adam's decay rate of the second moment.
    #[arg(long, default_value_t = 0.99)]
    pub beta2: f64,
    /// Standard deviation of the Gaussian initialisation.
    #[arg(long, default_value_t = 0.08)]
    pub init_std: f64,
    /// Seed of the one random stream (shuffle, init, sampling): microGPT's `random.seed(42)`.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Train on the canonical split's training words only. By default, like microGPT, training cycles
    /// through every document; the two are identical for the first 25,805 steps on data/names.txt.
    #[arg(long)]
    pub held_out: bool,
    /// Measure the loss on the validation words every this many steps (0: only after the last step).
    #[arg(long, default_value_t = 0)]
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
        for (name, b) in [("--beta1", self.beta1), ("--beta2", self.beta2)] {
            ensure!((0.0..1.0).contains(&b), "{name} must be in [0, 1)");
        }
        ensure!(self.init_std.is_finite() && self.init_std >= 0.0, "--init-std must be a finite number ≥ 0");
        Ok(())
    }
}

/// How to sample.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// In (0, 1]: below 1 sharpens the distribution ("less creative"), 1 samples it as learned.
    #[arg(long, default_value_t = 0.5)]
    pub temperature: f64,
    /// How many names to generate.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
}

impl SampleConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.temperature.is_finite() && self.temperature > 0.0, "--temperature must be a number > 0");
        Ok(())
    }
}

/// What a checkpoint's config.json holds besides the weights: enough to rebuild the model and decode.
#[derive(Serialize, Deserialize)]
pub struct Saved {
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub vocab: Vocab,
}
