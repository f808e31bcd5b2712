//! The hyperparameters: makemore's transformer and nanoGPT's trainer as defaults, nanoGPT's names as
//! flags (doc comments become `--help`), saved in the checkpoint beside the weights.

use std::path::PathBuf;

use anyhow::{Result, bail, ensure};
use autograd::Kernels;
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::data::Source;

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
            self.train.min_lr <= self.train.learning_rate,
            "--min-lr {} is above --learning-rate {}: the cosine decays from the peak down to --min-lr",
            self.train.min_lr,
            self.train.learning_rate
        );
        // The vocabulary comes from the data: at least BOS and one character (checked again with the
        // data's own in `train`).
        let model = ModelConfig { vocab_size: self.model.vocab_size.max(2), ..self.model.clone() };
        model.check_memory(self.train.batch_size)?;
        // --eval-iters costs time, not memory: refuse only what could never finish.
        let what = format!("--eval-iters {} --batch-size {}", self.train.eval_iters, self.train.batch_size);
        let tokens = harness::limits::product(
            &what,
            &[self.train.eval_iters as u128, self.train.batch_size as u128, self.model.block_size as u128],
        )?;
        ensure!(
            tokens <= MAX_EVAL_TOKENS,
            "{what} would put {tokens} tokens through the model at every evaluation (at most {MAX_EVAL_TOKENS})"
        );
        Ok(())
    }
}

/// The most tokens one evaluation may read: a thousand times the defaults' 200 · 32 · 16.
pub const MAX_EVAL_TOKENS: u128 = 102_400_000;

/// Which GPT: GPT-2's, as nanoGPT writes it, or microGPT's simplification of it.
#[derive(ValueEnum, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// GPT-2: LayerNorm with a learned gain, GELU, a final norm `ln_f` before lm_head.
    Gpt2,
    /// microGPT: RMSNorm without a gain (also right after the embeddings), ReLU, no final norm. With
    /// `--no-bias --untie-head` too, this is microGPT's architecture and computes microGPT's numbers.
    Microgpt,
}

/// The shape of the model (everything needed to rebuild it from a checkpoint).
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
    /// Context length: the most tokens attention looks at (a name of block_size characters or more is
    /// cut to block_size and learned without its end; samples stop there too).
    #[arg(long, default_value_t = 16)]
    pub block_size: usize,
    /// Leave out the biases of the Linear layers and LayerNorms (nanoGPT's `bias=False`).
    #[arg(long = "no-bias", action = clap::ArgAction::SetFalse)]
    pub bias: bool,
    /// Dropout probability in training (on embeddings, attention weights and residual branches).
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f32,
    /// Give lm_head its own weights instead of reusing the token embedding (makemore's transformer
    /// has an untied head: 204,544 parameters at the defaults instead of 202,816).
    #[arg(long = "untie-head", action = clap::ArgAction::SetFalse)]
    pub tie_head: bool,
    /// Which GPT: its norms, its nonlinearity, where it normalises.
    #[arg(long, value_enum, default_value_t = Variant::Gpt2)]
    pub variant: Variant,
    /// Number of tokens: the data's characters plus BOS (set from the data, not a flag).
    #[arg(skip)]
    pub vocab_size: usize,
    /// What a sample is: a name, or a continuation of text (set from the data, not a flag).
    #[arg(skip)]
    pub source: Source,
}

impl ModelConfig {
    /// Refuses, before anything is allocated, a model whose one step of `batch_size` sequences would need
    /// more memory than `harness::limits` allows (f32): the weights with their gradient and AdamW's two
    /// moments, and per layer the activations with their gradients, attention's (T, T) maps included.
    pub fn check_memory(&self, batch_size: usize) -> Result<()> {
        use harness::limits::{product as mul, sum};
        let (v, t, c, l, nh, b) = (
            self.vocab_size as u128,
            self.block_size as u128,
            self.n_embd as u128,
            self.n_layer as u128,
            self.n_head as u128,
            batch_size as u128,
        );
        let what = format!(
            "--block-size {} --n-embd {} --n-layer {} --n-head {} --batch-size {batch_size} ({} tokens)",
            self.block_size, self.n_embd, self.n_layer, self.n_head, self.vocab_size
        );
        let w = &what;
        // wte, wpe, lm_head (counted even when tied), and per block 12·C² + 13·C.
        let block = sum(w, &[mul(w, &[12, c, c])?, mul(w, &[13, c])?])?;
        let params = sum(w, &[mul(w, &[2, v, c])?, mul(w, &[t, c])?, mul(w, &[l, block])?])?;
        // Per layer: about 20 (B, T, C)-sized tensors and 4 (B, nh, T, T) maps; the logits 3 (B, T, V).
        let layer = sum(w, &[mul(w, &[20, b, t, c])?, mul(w, &[4, b, nh, t, t])?])?;
        let acts = sum(w, &[mul(w, &[l, layer])?, mul(w, &[3, b, t, v])?])?;
        let floats = sum(w, &[mul(w, &[4, params])?, mul(w, &[2, acts])?])?;
        Ok(harness::limits::check_memory(w, mul(w, &[4, floats])?)?)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.n_embd / self.n_head
    }

    /// microGPT's architecture: its variant, no biases, an untied head. With microGPT's weights this
    /// model computes microGPT's numbers (tests/equivalence.rs).
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
            tie_head: false,
            variant: Variant::Microgpt,
            ..ModelConfig::default()
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
    /// Standard deviation of the initial weights (residual projections get it / √(2·n_layer)).
    #[arg(long, default_value_t = 0.02)]
    pub init_std: f32,
    /// Train on a plain text file instead of --data's names, as one stream of characters (90% train, 10% val).
    #[arg(long, value_name = "FILE")]
    pub text: Option<PathBuf>,
    /// With --text: train on the token ids of this byte-level BPE (a directory `tokenizer train` wrote,
    /// or a minbpe .model file) instead of characters. The run directory keeps a copy, which `sample`
    /// encodes the prompt and decodes with; --max-new-tokens then counts tokens.
    #[arg(long, value_name = "DIR", requires = "text")]
    #[serde(default)]
    pub tokenizer: Option<PathBuf>,
    /// Continue from the best checkpoint of an earlier run in --out (its weights, AdamW's state and
    /// step); give the same model flags, and --steps beyond its step.
    #[arg(long)]
    pub resume: bool,
    /// Estimate the val loss every this many steps (and after the last); the best model is kept.
    #[arg(long, default_value_t = 250)]
    pub eval_interval: usize,
    /// Batches per loss estimate (the same batches at every evaluation); 0: the exact loss over
    /// every val example instead of an estimate.
    #[arg(long, default_value_t = 20)]
    pub eval_iters: usize,
    /// Start from the weights of a microgpt checkpoint (e.g. `microgpt train --steps 0 --out DIR`)
    /// instead of a fresh initialisation; the model flags must give microGPT's architecture and size
    /// (`--variant microgpt --no-bias --untie-head --n-layer 1 --n-head 4 --n-embd 16`).
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    #[serde(default)]
    pub init_from: Option<PathBuf>,
    /// Seed of the initialisation, the batches and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Which kernels the engine runs: `fast` (blocked SIMD matrix products, both cores) or `plain`
    /// (the loops the chapters show, one thread); `unfused` is `plain` here. The same model either way.
    #[arg(long, default_value_t = Kernels::Fast)]
    #[serde(skip)]
    pub kernels: Kernels,
}

impl TrainConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        harness::limits::check_steps("--steps", self.steps, true)?;
        harness::limits::check_steps("--warmup-steps", self.warmup_steps, false)?;
        ensure!(self.batch_size > 0, "--batch-size must be at least 1");
        ensure!(self.eval_interval > 0, "--eval-interval must be at least 1");
        for (name, v) in [
            ("--learning-rate", self.learning_rate),
            ("--min-lr", self.min_lr),
            ("--weight-decay", self.weight_decay),
            ("--grad-clip", self.grad_clip),
            ("--init-std", self.init_std),
        ] {
            ensure!(v.is_finite() && v >= 0.0, "{name} must be a finite number ≥ 0 (an f32: at most 3.4e38)");
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
    /// How many samples to generate.
    #[arg(long, default_value_t = 20)]
    pub num_samples: usize,
    /// Divides the logits: below 1 sharpens the distribution, above 1 flattens it.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Sample only among the k most likely tokens (0: all of them).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Text every sample starts with (the model continues it).
    #[arg(long, default_value = "")]
    pub prompt: String,
    /// Text mode: characters to generate per sample, at most 1000 (names stop at their end token).
    #[arg(long, default_value_t = 300)]
    pub max_new_tokens: usize,
    /// Keep each layer's keys and values while a sample fits in --block-size, so that every new token
    /// runs through the model alone (false: rerun the whole window for every token). Both give the
    /// same logits to f32 rounding; a seed gives the same samples every time on either.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    #[serde(default = "yes")]
    pub kv_cache: bool,
}

/// serde's default for `kv_cache`, in configs written before it existed.
fn yes() -> bool {
    true
}

impl SampleConfig {
    /// Rejects impossible settings with one clear line.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.temperature.is_finite() && self.temperature > 0.0, "--temperature must be a number > 0");
        harness::limits::check_num_samples(self.num_samples)?;
        let cap = harness::limits::MAX_SAMPLE_TOKENS;
        ensure!(self.max_new_tokens <= cap, "--max-new-tokens must be at most {cap}");
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Config {
        harness::cli::defaults()
    }
}

impl Default for ModelConfig {
    /// makemore's transformer with a tied head (vocab_size 0 until the data sets it).
    fn default() -> ModelConfig {
        harness::cli::defaults()
    }
}

impl Default for TrainConfig {
    fn default() -> TrainConfig {
        harness::cli::defaults()
    }
}

impl Default for SampleConfig {
    fn default() -> SampleConfig {
        harness::cli::defaults()
    }
}
