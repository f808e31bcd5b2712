//! `nanogpt bench`: how fast a training step is. (`cargo xtask bench` runs PyTorch's step for the same
//! model in the same session, so the two compare like with like.)

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, ensure};
use clap::Args;
use harness::PyRandom;

use crate::config::{ModelConfig, TrainConfig};
use crate::data::{Batch, Dataset};
use crate::model::Gpt;
use crate::train::{adamw, train_step};

/// Steps run before timing starts (the tape's buffers are allocated during the first).
const WARMUP: usize = 20;

/// The flags of `nanogpt bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Names, one per line [default: the repo's data/names.txt].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Time on a plain text file instead, as one stream of characters.
    #[arg(long, value_name = "FILE")]
    pub text: Option<PathBuf>,
    /// Timed steps (after 20 untimed ones).
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Sequences per step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[command(flatten)]
    pub model: ModelConfig,
}

/// What `bench` measured.
pub struct Report {
    pub params: usize,
    pub ms_per_step: f64,
    /// Positions (B·T) processed per second, padding included: the work the step does.
    pub positions_per_s: f64,
    /// Next-token predictions learned from per second (padding excluded).
    pub tokens_per_s: f64,
    pub last_loss: f32,
}

/// Times `steps` training steps (after a warmup) of a fresh model of `model_cfg` on `data`.
pub fn bench(data: &Dataset, model_cfg: &ModelConfig, train_cfg: &TrainConfig, steps: usize) -> Report {
    let t = model_cfg.block_size;
    let model = Gpt::new(model_cfg.clone(), &mut PyRandom::new(train_cfg.seed), train_cfg.init_std);
    let mut opt = adamw(&model, train_cfg);
    let (mut rng, mut batch) = (PyRandom::new(train_cfg.seed), Batch::default());
    let (mut clock, mut tokens, mut last_loss) = (Instant::now(), 0, f32::NAN);
    for i in 0..WARMUP + steps {
        if i == WARMUP {
            (clock, tokens) = (Instant::now(), 0);
        }
        data.train.get_batch(&mut rng, train_cfg.batch_size, t, &mut batch);
        last_loss = train_step(&model, &mut opt, &batch, train_cfg.grad_clip, &mut rng);
        tokens += batch.n_targets();
    }
    let secs = clock.elapsed().as_secs_f64();
    Report {
        params: model.num_params(),
        ms_per_step: secs * 1e3 / steps.max(1) as f64,
        positions_per_s: (steps * train_cfg.batch_size * t) as f64 / secs,
        tokens_per_s: tokens as f64 / secs,
        last_loss,
    }
}

/// `nanogpt bench`: times the steps and prints what it measured.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<()> {
    args.model.validate()?;
    ensure!(args.steps > 0 && args.batch_size > 0, "--steps and --batch-size must be at least 1");
    harness::limits::check_steps("--steps", args.steps, true)?;
    args.model.check_memory(args.batch_size)?; // before the data is read, as `train` does
    let names = args.data.clone().unwrap_or_else(harness::default_data_path);
    let data = Dataset::new(&names, args.text.as_deref(), args.model.block_size)?;
    let model = ModelConfig { vocab_size: data.vocab.len(), ..args.model.clone() };
    model.check_memory(args.batch_size)?; // and again with the vocabulary
    let train = TrainConfig { batch_size: args.batch_size, ..TrainConfig::default() };
    let r = bench(&data, &model, &train, args.steps);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    writeln!(
        out,
        "cores {cores}, batch {}, block {}, {} parameters, {} timed steps",
        args.batch_size, model.block_size, r.params, args.steps
    )?;
    writeln!(out, "{:>10.2} ms/step", r.ms_per_step)?;
    writeln!(out, "{:>10.0} positions/s (B·T, padding included)", r.positions_per_s)?;
    writeln!(out, "{:>10.0} tokens/s (predictions learned from)", r.tokens_per_s)?;
    writeln!(out, "last loss {:.4}", r.last_loss)?;
    Ok(())
}
