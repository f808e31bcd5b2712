//! The hyperparameters: the lecture's values as defaults, Karpathy's names as flags (doc comments
//! become `--help`), saved in the checkpoint beside the weights.

use anyhow::{Result, ensure};
use clap::Args;
use harness::limits;
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
        self.train.validate()?;
        // The vocabulary comes from the data: at least BOS and one character (checked again with the
        // data's own in `train`).
        let model = ModelConfig { vocab_size: self.model.vocab_size.max(2), ..self.model.clone() };
        model.check_memory(self.train.batch_size)
    }
}

/// An upper bound on the bytes one scalar takes on the tape (value, gradient, operation, operands).
const NODE_BYTES: u128 = 64;
/// The characters per name the estimate assumes (SSA names average 6.5).
const CHARS_PER_NAME: u128 = 16;

/// The shape of the model (everything needed to rebuild it from a checkpoint).
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Weights start uniform in (-init_scale, init_scale): small, so the first predictions are nearly
    /// uniform and the loss starts near ln(vocab_size).
    #[arg(long, default_value_t = 0.1)]
    pub init_scale: f64,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
}

impl ModelConfig {
    /// Refuses, before anything is allocated, a model whose one step of `batch_size` names would need
    /// more memory than `harness::limits` allows: the weights (V·V + V scalars) and, per character of
    /// the batch, the layer's V dot products of V terms and the softmax. Before the data is read a name is
    /// taken to be 16 characters long.
    pub fn check_memory(&self, batch_size: usize) -> Result<()> {
        let what = format!("--batch-size {batch_size} with {} tokens", self.vocab_size);
        self.check_memory_for(&what, (batch_size as u128).saturating_mul(CHARS_PER_NAME))
    }

    /// [`ModelConfig::check_memory`] for the data at hand: one step's batch holds at most the
    /// `batch_size` longest training names, and an evaluation one validation name at a time (a line of
    /// two million characters is two million predictions at once).
    pub fn check_memory_of(&self, batch_size: usize, train: &[Vec<usize>], val: &[Vec<usize>]) -> Result<()> {
        let mut lengths: Vec<u128> = train.iter().map(|name| name.len() as u128).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        let longest_val = val.iter().map(|name| name.len() as u128).max().unwrap_or(0);
        lengths.truncate(batch_size);
        if longest_val > lengths.iter().sum() {
            lengths = vec![longest_val]; // the evaluation is the larger
        }
        let longest = lengths.first().map_or(0, |&n| n.saturating_sub(2)); // [BOS, c1, …, cn, BOS]
        let what = format!(
            "--batch-size {batch_size} with {} tokens and names of up to {longest} characters",
            self.vocab_size
        );
        self.check_memory_for(&what, lengths.iter().sum())
    }

    fn check_memory_for(&self, what: &str, chars: u128) -> Result<()> {
        let v = self.vocab_size as u128;
        let what = what.to_owned();
        let params = limits::sum(&what, &[limits::product(&what, &[v, v])?, v])?;
        let per_char =
            limits::sum(&what, &[limits::product(&what, &[2, v, v])?, limits::product(&what, &[4, v])?])?;
        let tape = limits::product(&what, &[chars, per_char])?;
        let bytes = limits::product(&what, &[NODE_BYTES, limits::sum(&what, &[params, tape])?])?;
        Ok(limits::check_memory(&what, bytes)?)
    }

    /// Rejects shapes the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.init_scale.is_finite() && self.init_scale >= 0.0,
            "--init-scale must be a finite number ≥ 0"
        );
        Ok(())
    }
}

/// How to train: minibatch SGD, one scalar at a time.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of optimisation steps.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Names per step. Each name contributes one prediction per character plus one for its end.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Step size of plain SGD (the loss is a mean over the batch's predictions).
    #[arg(long, default_value_t = 5.0)]
    pub learning_rate: f64,
    /// Measure the loss on the validation words every this many steps (0: only after the last step).
    #[arg(long, default_value_t = 200)]
    pub eval_interval: usize,
    /// Seed of the initial weights (the names come in the canonical split's order).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl TrainConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        harness::limits::check_steps("--steps", self.steps, true)?;
        ensure!(self.batch_size > 0, "--batch-size must be at least 1");
        ensure!(
            self.learning_rate.is_finite() && self.learning_rate > 0.0,
            "--learning-rate must be a finite number > 0"
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
    /// Divides the logits: below 1 sharpens the distribution, above 1 flattens it.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
}

impl SampleConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.temperature.is_finite() && self.temperature > 0.0, "--temperature must be a number > 0");
        harness::limits::check_num_samples(self.num_samples)?;
        Ok(())
    }
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
