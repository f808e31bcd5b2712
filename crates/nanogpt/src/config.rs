//! The hyperparameters, with makemore's transformer as defaults and nanoGPT's names as flags.

use anyhow::{Result, bail, ensure};
use clap::{Args, Parser, ValueEnum};
use serde::{Deserialize, Serialize};

/// Which normalisation the blocks use.
#[derive(ValueEnum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum NormKind {
    /// GPT-2's: subtract the mean, divide by the standard deviation, then a learned gain (and bias).
    LayerNorm,
    /// microGPT's: divide by the root mean square, nothing learned.
    RmsNorm,
}

/// The nonlinearity of the MLP.
#[derive(ValueEnum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// GPT-2's GELU (tanh approximation).
    Gelu,
    /// microGPT's max(x, 0).
    Relu,
}

/// The shape of the network: everything needed to rebuild it from a checkpoint.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Depth of the transformer (number of blocks).
    #[arg(long, default_value_t = 4)]
    pub n_layer: usize,
    /// Number of attention heads; must divide n_embd.
    #[arg(long, default_value_t = 4)]
    pub n_head: usize,
    /// Width of the residual stream (embedding dimension).
    #[arg(long, default_value_t = 64)]
    pub n_embd: usize,
    /// Context length: the most tokens attention looks at (longer names are cut to block_size - 1).
    #[arg(long, default_value_t = 16)]
    pub block_size: usize,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
    /// Leave out the biases of the Linear layers and LayerNorms (nanoGPT's `bias=False`).
    #[arg(long = "no-bias", action = clap::ArgAction::SetFalse)]
    pub bias: bool,
    /// Dropout probability in training (on embeddings, attention weights and residual branches).
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f32,
    /// Normalisation of the blocks.
    #[arg(long, value_enum, default_value_t = NormKind::LayerNorm)]
    pub norm: NormKind,
    /// Nonlinearity of the MLP.
    #[arg(long, value_enum, default_value_t = Activation::Gelu)]
    pub activation: Activation,
    /// Give lm_head its own weights instead of reusing the token embedding (makemore's transformer
    /// has an untied head: 204,544 parameters at the defaults instead of 202,816).
    #[arg(long = "untie-head", action = clap::ArgAction::SetFalse)]
    pub tie_head: bool,
    /// Normalise the sum of the embeddings before the first block (microGPT does).
    #[arg(long)]
    pub embd_norm: bool,
    /// Leave out the final norm `ln_f` before lm_head (microGPT has none).
    #[arg(long = "no-final-norm", action = clap::ArgAction::SetFalse)]
    pub final_norm: bool,
}

impl ModelConfig {
    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }

    /// microGPT's architecture: RMSNorm without gain (also right after the embeddings), ReLU, no
    /// biases, an untied head and no final norm. With microGPT's weights this model computes microGPT's
    /// numbers (tests/equivalence.rs).
    pub fn microgpt(
        n_layer: usize,
        n_embd: usize,
        n_head: usize,
        block_size: usize,
        vocab_size: usize,
    ) -> Self {
        ModelConfig {
            n_layer,
            n_head,
            n_embd,
            block_size,
            vocab_size,
            bias: false,
            dropout: 0.0,
            norm: NormKind::RmsNorm,
            activation: Activation::Relu,
            tie_head: false,
            embd_norm: true,
            final_norm: false,
        }
    }

    /// Rejects shapes the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("--n-layer", self.n_layer),
            ("--n-head", self.n_head),
            ("--n-embd", self.n_embd),
            ("--block-size", self.block_size),
        ] {
            ensure!(value > 0, "{name} must be at least 1");
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            bail!(
                "--n-embd {} is not divisible by --n-head {}: each head needs an equal slice",
                self.n_embd,
                self.n_head
            );
        }
        ensure!((0.0..1.0).contains(&self.dropout), "--dropout must be in [0, 1)");
        Ok(())
    }
}

/// How to train: nanoGPT's train.py. The defaults are makemore's batch and betas, with nanoGPT's weight
/// decay and a higher peak learning rate, which the warmup and the clipping make safe.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of optimisation steps (nanoGPT's max_iters).
    #[arg(long, default_value_t = 3000)]
    pub steps: usize,
    /// Sequences per step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Peak learning rate, reached after the warmup.
    #[arg(long, default_value_t = 4e-3)]
    pub learning_rate: f32,
    /// Learning rate at the end of the cosine decay.
    #[arg(long, default_value_t = 1e-4)]
    pub min_lr: f32,
    /// Steps of linear warmup from ~0 to learning_rate.
    #[arg(long, default_value_t = 200)]
    pub warmup_steps: usize,
    /// AdamW's decoupled weight decay, on the matrices and embeddings only.
    #[arg(long, default_value_t = 0.1)]
    pub weight_decay: f32,
    /// AdamW's decay rate of the first moment.
    #[arg(long, default_value_t = 0.9)]
    pub beta1: f32,
    /// AdamW's decay rate of the second moment.
    #[arg(long, default_value_t = 0.99)]
    pub beta2: f32,
    /// Clip the global gradient norm to this (0: no clipping).
    #[arg(long, default_value_t = 1.0)]
    pub grad_clip: f32,
    /// Estimate train and val loss every this many steps (and after the last).
    #[arg(long, default_value_t = 250)]
    pub eval_interval: usize,
    /// Batches per loss estimate (the same batches at every evaluation).
    #[arg(long, default_value_t = 20)]
    pub eval_iters: usize,
    /// Standard deviation of the initial weights (residual projections get it / √(2·n_layer)).
    #[arg(long, default_value_t = 0.02)]
    pub init_std: f32,
    /// Seed of the initialisation, the batches and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl TrainConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.steps > 0, "--steps must be at least 1");
        ensure!(self.batch_size > 0, "--batch-size must be at least 1");
        ensure!(self.eval_interval > 0, "--eval-interval must be at least 1");
        ensure!(self.eval_iters > 0, "--eval-iters must be at least 1");
        for (name, v) in [
            ("--learning-rate", self.learning_rate),
            ("--min-lr", self.min_lr),
            ("--weight-decay", self.weight_decay),
            ("--grad-clip", self.grad_clip),
            ("--init-std", self.init_std),
        ] {
            ensure!(v.is_finite() && v >= 0.0, "{name} must be a finite number ≥ 0");
        }
        for (name, b) in [("--beta1", self.beta1), ("--beta2", self.beta2)] {
            ensure!((0.0..1.0).contains(&b), "{name} must be in [0, 1)");
        }
        Ok(())
    }
}

/// How to sample.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// Divides the logits: below 1 sharpens the distribution, above 1 flattens it.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Sample only among the k most likely tokens (0: all of them).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// How many samples to generate.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
    /// Text every sample starts with (the model continues it).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Text mode: characters to generate per sample (names stop at their end token).
    #[arg(long, default_value_t = 300)]
    pub max_new_tokens: usize,
}

impl SampleConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.temperature.is_finite() && self.temperature > 0.0, "--temperature must be a number > 0");
        Ok(())
    }
}

/// The flags' defaults, as a value (for tests, benchmarks and library users).
#[derive(Parser)]
struct Defaults {
    #[command(flatten)]
    model: ModelConfig,
    #[command(flatten)]
    train: TrainConfig,
    #[command(flatten)]
    sample: SampleConfig,
}

fn defaults() -> Defaults {
    Defaults::parse_from(["nanogpt"])
}

impl Default for ModelConfig {
    /// makemore's transformer with a tied head (vocab_size 0 until the data sets it).
    fn default() -> Self {
        defaults().model
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        defaults().train
    }
}

impl Default for SampleConfig {
    fn default() -> Self {
        defaults().sample
    }
}
