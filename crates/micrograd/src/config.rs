//! The hyperparameters of the names model, as flags (doc comments become `--help`) and as the JSON saved
//! beside the weights.

use std::path::PathBuf;

use anyhow::{Result, ensure};
use clap::{Args, Parser};
use serde::{Deserialize, Serialize};

/// How `micrograd train` trains. The defaults finish in well under a minute in release mode: every number
/// here is a scalar `Value` with its own node on the tape, which is the point of this stage and the
/// reason it is slow.
#[derive(Debug, Clone, PartialEq, Args, Serialize, Deserialize)]
pub struct Config {
    /// Names per step. Each name contributes one prediction per character plus one for its end.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Plain SGD step size (the loss is a mean over the batch's predictions).
    #[arg(long, default_value_t = 5.0)]
    pub learning_rate: f64,
    /// Weights start uniform in (-init_scale, init_scale): small, so the first predictions are nearly
    /// uniform and the loss starts near ln(vocab_size).
    #[arg(long, default_value_t = 0.1)]
    pub init_scale: f64,
    /// Optimisation steps.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Steps between evaluations on the validation set (all of it; the last step is always evaluated).
    #[arg(long, default_value_t = 200)]
    pub eval_every: usize,
    /// Seeds the weights (the names come in the canonical split's order, which has its own fixed seed).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Training text, one name per line.
    #[arg(long, default_value_os_t = harness::default_data_path())]
    pub data: PathBuf,
    /// Run directory: log.jsonl, config.json and model.safetensors go here.
    #[arg(long, default_value = "runs/micrograd")]
    pub out: PathBuf,
}

impl Config {
    /// Refuses settings that cannot train, with the flag to fix.
    pub fn validate(&self) -> Result<()> {
        ensure!(self.batch_size > 0, "--batch-size must be at least 1");
        ensure!(self.steps > 0, "--steps must be at least 1");
        ensure!(self.eval_every > 0, "--eval-every must be at least 1");
        ensure!(
            self.learning_rate.is_finite() && self.learning_rate > 0.0,
            "--learning-rate must be a positive number, got {}",
            self.learning_rate
        );
        ensure!(
            self.init_scale.is_finite() && self.init_scale >= 0.0,
            "--init-scale must be a number >= 0, got {}",
            self.init_scale
        );
        Ok(())
    }
}

impl Default for Config {
    /// The flags' defaults: one source of truth for the CLI and for code.
    fn default() -> Config {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            config: Config,
        }
        Defaults::parse_from(["micrograd"]).config
    }
}
