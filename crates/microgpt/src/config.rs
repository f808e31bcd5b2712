//! The hyperparameters: microGPT's values as defaults, Karpathy's names as flags (doc comments
//! become `--help`), saved in the checkpoint beside the weights.

use anyhow::{Result, ensure};
use autograd::Kernels;
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
        self.train.validate()
    }
}

/// The shape of the model (everything needed to rebuild it from a checkpoint).
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Depth of the transformer (number of layers).
    #[arg(long, default_value_t = 1)]
    pub n_layer: usize,
    /// Width of the network (embedding dimension).
    #[arg(long, default_value_t = 16)]
    pub n_embd: usize,
    /// Maximum context length of the attention window (longer names are cut to it).
    #[arg(long, default_value_t = 16)]
    pub block_size: usize,
    /// Number of attention heads; must divide n_embd.
    #[arg(long, default_value_t = 4)]
    pub n_head: usize,
    /// Standard deviation of the Gaussian the weights start from.
    #[arg(long, default_value_t = 0.08)]
    pub init_std: f64,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
}

impl ModelConfig {
    /// Rejects shapes the model cannot have, with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.n_layer > 0, "--n-layer must be at least 1");
        ensure!(self.n_embd > 0, "--n-embd must be at least 1");
        ensure!(self.block_size > 0, "--block-size must be at least 1");
        ensure!(self.n_head > 0, "--n-head must be at least 1");
        ensure!(
            self.n_embd.is_multiple_of(self.n_head),
            "--n-embd {} is not divisible by --n-head {}: each head needs an equal slice",
            self.n_embd,
            self.n_head
        );
        ensure!(self.init_std.is_finite() && self.init_std >= 0.0, "--init-std must be a finite number ≥ 0");
        self.check_memory()
    }

    /// Refuses, before anything is allocated, a model whose one step (one document of up to block_size
    /// positions) would not fit: in memory as `harness::limits` allows, or on the tape, whose 32-bit
    /// indices hold at most 2³² nodes and 2³² dot-product terms. Every parameter is a node (value,
    /// gradient, inputs: about 40 bytes, and Adam's two moments), and each position records, per layer,
    /// the four attention and two MLP matrix-vector products (12·C² terms, a few nodes per output) and
    /// attention over up to T earlier positions (2·T·C terms), then the head's V·C.
    pub fn check_memory(&self) -> Result<()> {
        use harness::limits::{product as mul, sum};
        let (v, t, c, l) =
            (self.vocab_size as u128, self.block_size as u128, self.n_embd as u128, self.n_layer as u128);
        let tokens = if v > 0 { format!(" ({v} tokens)") } else { String::new() }; // known from the data
        let what = format!("--block-size {} --n-embd {} --n-layer {}{tokens}", t, c, l);
        let w = &what;
        let params = sum(w, &[mul(w, &[2, v, c])?, mul(w, &[t, c])?, mul(w, &[l, 12, c, c])?])?;
        let layer_terms = sum(w, &[mul(w, &[12, c, c])?, mul(w, &[2, t, c])?])?;
        let terms = mul(w, &[t, sum(w, &[mul(w, &[l, layer_terms])?, mul(w, &[v, c])?])?])?;
        let layer_nodes = sum(w, &[mul(w, &[40, c])?, mul(w, &[4, t, self.n_head as u128])?])?;
        let nodes =
            sum(w, &[params, mul(w, &[t, sum(w, &[mul(w, &[l, layer_nodes])?, mul(w, &[4, v])?])?])?])?;
        let tape = u128::from(u32::MAX);
        ensure!(nodes <= tape && terms <= tape, "{what} is too large for the tape's 32-bit indices");
        let bytes = sum(w, &[mul(w, &[40, nodes])?, mul(w, &[16, params])?, mul(w, &[8, terms])?])?;
        Ok(harness::limits::check_memory(w, bytes)?)
    }
}

/// How to train: microGPT's Adam, schedule and budget.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Number of optimisation steps (one document each); 0 saves the model as initialised.
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
    /// Train on the canonical split's training words only. By default, like microGPT, training cycles
    /// through every document; the two are identical for the first 25,805 steps on data/names.txt.
    #[arg(long)]
    pub held_out: bool,
    /// Measure the loss on the validation words every this many steps, and once before the first
    /// (0: only after the last step).
    #[arg(long, default_value_t = 0)]
    pub eval_interval: usize,
    /// Seed of the one random stream (shuffle, init, sampling): microGPT's `random.seed(42)`.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// How the engine builds dot products, matrix-vector products and sums: `unfused`, a node for every
    /// multiply and addition as micrograd does; `plain`, one fused node each, as this chapter shows;
    /// `fast`, the fused nodes recorded compactly (value/fast.rs). The same numbers every way.
    #[arg(long, default_value_t = Kernels::Fast)]
    #[serde(skip)]
    pub kernels: Kernels,
}

impl TrainConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        harness::limits::check_steps("--steps", self.steps, false)?;
        ensure!(
            self.learning_rate.is_finite() && self.learning_rate >= 0.0,
            "--learning-rate must be a finite number ≥ 0"
        );
        for (name, b) in [("--beta1", self.beta1), ("--beta2", self.beta2)] {
            ensure!((0.0..1.0).contains(&b), "{name} must be in [0, 1)");
        }
        Ok(())
    }
}

/// How to sample.
#[derive(Args, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SampleConfig {
    /// How many names to generate.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
    /// Divides the logits: below 1 sharpens the distribution ("less creative"), above 1 flattens it.
    #[arg(long, default_value_t = 0.5)]
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
