//! The hyperparameters: the lecture's values as defaults, Karpathy's names as flags (doc comments
//! become `--help`), saved in the checkpoint beside the weights.

use anyhow::{Result, ensure};
use clap::Args;
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
        ensure!(
            !self.model.uses_batchnorm() || self.train.batch_size > 1,
            "batch norm needs --batch-size of at least 2 (a batch of one has no spread to normalise by)"
        );
        // The vocabulary comes from the data: at least BOS and one character (checked again with the
        // data's own in `train`).
        let model = ModelConfig { vocab_size: self.model.vocab_size.max(2), ..self.model.clone() };
        model.check_memory(self.train.batch_size)
    }
}

// ANCHOR: model_config
/// The shape of the model (everything needed to rebuild it from a checkpoint).
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Context length: how many characters the model sees to predict the next one.
    #[arg(long, default_value_t = 3)]
    pub block_size: usize,
    /// Dimension of each character's embedding vector (the lookup table C is vocab_size × n_embd).
    #[arg(long, default_value_t = 10)]
    pub n_embd: usize,
    /// Number of tanh neurons in the hidden layer (in each hidden layer, with --wavenet).
    #[arg(long, default_value_t = 200)]
    pub n_hidden: usize,
    /// Start with a near-uniform prediction: output weights ×0.01, output biases 0 (makemore part 3).
    #[arg(long)]
    pub scale_output: bool,
    /// Kaiming init for tanh: hidden weights ~ N(0, (5/3)² / fan_in), biases ×0.01 (makemore part 3).
    #[arg(long)]
    pub kaiming: bool,
    /// Batch-normalise the hidden pre-activations (makemore part 3); the hidden biases are then dropped.
    #[arg(long)]
    pub batchnorm: bool,
    /// makemore part 5's hierarchy: fuse consecutive pairs, layer by layer (block size a power of 2;
    /// implies --batchnorm). Part 5 uses --block-size 8 --n-embd 24 --n-hidden 128.
    #[arg(long)]
    pub wavenet: bool,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
}
// ANCHOR_END: model_config

impl ModelConfig {
    /// Refuses, before anything is allocated, a model whose one step of `batch_size` examples would need
    /// more memory than `harness::limits` allows (f32): the weights with their gradients, and the
    /// activations with theirs for the larger of the batch and the 4096 examples `evaluate` takes at once.
    pub fn check_memory(&self, batch_size: usize) -> Result<()> {
        use harness::limits::{product as mul, sum};
        let (v, t, e, h) =
            (self.vocab_size as u128, self.block_size as u128, self.n_embd as u128, self.n_hidden as u128);
        let what = format!(
            "--block-size {} --n-embd {} --n-hidden {} --batch-size {batch_size} ({} tokens)",
            self.block_size, self.n_embd, self.n_hidden, self.vocab_size
        );
        let w = &what;
        // WaveNet: log2(T) layers, each fusing two vectors of at most max(E, H) into H.
        let (hidden, layers) = if self.wavenet {
            let layers = u128::from(self.block_size.max(2).ilog2());
            (mul(w, &[layers, 2, e.max(h), h])?, layers)
        } else {
            (mul(w, &[t, e, h])?, 1)
        };
        let params = sum(w, &[mul(w, &[v, e])?, hidden, mul(w, &[h, v])?, mul(w, &[6, layers, h])?, v])?;
        let per_example = sum(w, &[mul(w, &[t, e])?, mul(w, &[4, layers, t, h])?, mul(w, &[3, v])?])?;
        let rows = (batch_size as u128).max(4096);
        let floats = sum(w, &[mul(w, &[2, params])?, mul(w, &[2, rows, per_example])?])?;
        Ok(harness::limits::check_memory(w, mul(w, &[4, floats])?)?)
    }

    /// Whether the hidden layers are batch-normalised.
    pub fn uses_batchnorm(&self) -> bool {
        self.batchnorm || self.wavenet
    }

    /// Rejects shapes the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in
            [("--block-size", self.block_size), ("--n-embd", self.n_embd), ("--n-hidden", self.n_hidden)]
        {
            ensure!(value > 0, "{name} must be at least 1");
        }
        ensure!(
            !self.wavenet || (self.block_size >= 2 && self.block_size.is_power_of_two()),
            "--wavenet fuses the context in pairs: --block-size must be a power of 2 (2, 4, 8, …), got {}",
            self.block_size
        );
        Ok(())
    }
}

/// How to train: minibatch SGD, the learning rate cut tenfold halfway.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of optimisation steps.
    #[arg(long, default_value_t = 200_000)]
    pub steps: usize,
    /// Examples per step, drawn at random from the training split.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Step size of plain SGD for the first half of training; the second half uses a tenth of it.
    #[arg(long, default_value_t = 0.1)]
    pub learning_rate: f64,
    /// Measure the loss on the validation examples every this many steps (0: only after the last step).
    #[arg(long, default_value_t = 20_000)]
    pub eval_interval: usize,
    /// Seed of the random stream (the initial weights, the minibatches, then sampling).
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
