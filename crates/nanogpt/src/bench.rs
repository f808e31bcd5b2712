//! `nanogpt bench`: how fast a training step is (`cargo xtask bench` runs PyTorch's step for the same
//! model in the same session, so the two compare like with like), and how fast sampling is with and
//! without the KV cache.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, ensure};
use autograd::Kernels;
use clap::Args;
use harness::PyRandom;

use crate::config::{ModelConfig, SampleConfig, TrainConfig};
use crate::data::{Batch, Dataset};
use crate::model::Gpt;
use crate::sample::{Predictor, draw};
use crate::train::{adamw, train_step};

/// The most tokens `--sample-tokens` may ask for (a text of them takes minutes at a long block).
const MAX_SAMPLE_TOKENS: usize = 100_000;

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
    /// Tokens to sample in each of the four sampling timings (KV cache or not; windows that restart
    /// at block_size, or one text whose window slides), at most 100000; 0: time training only.
    #[arg(long, default_value_t = 1000)]
    pub sample_tokens: usize,
    /// Which kernels the engine runs: `fast` or `plain` (the loops the chapters show, one thread).
    #[arg(long, default_value_t = Kernels::Fast)]
    pub kernels: Kernels,
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

/// Tokens per second of sampling `n` tokens from `model`, one at a time, with the KV cache or by
/// recomputing the window. `restart`: every sequence starts afresh from one token when it fills the
/// block (a name's case, all of it in the cache); else one text whose window slides after block_size
/// tokens (from then on both ways recompute, see `kv_cache`).
pub fn sampling_rate(model: &Gpt, kv_cache: bool, restart: bool, n: usize) -> Result<f64> {
    let (cfg, mut rng) = (SampleConfig::default(), PyRandom::new(42));
    let mut predictor = Predictor::new(model, kv_cache);
    let mut context = vec![0];
    let clock = Instant::now();
    for _ in 0..n {
        if restart && context.len() == model.config.block_size {
            predictor.reset();
            context.truncate(1);
        }
        let next = draw(&predictor.logits(&context), &cfg, &mut rng)?;
        context.push(next);
    }
    Ok(n as f64 / clock.elapsed().as_secs_f64())
}

/// `nanogpt bench`: times the steps and prints what it measured.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<()> {
    args.model.validate()?;
    ensure!(args.steps > 0 && args.batch_size > 0, "--steps and --batch-size must be at least 1");
    harness::limits::check_steps("--steps", args.steps, true)?;
    ensure!(args.sample_tokens <= MAX_SAMPLE_TOKENS, "--sample-tokens must be at most {MAX_SAMPLE_TOKENS}");
    args.model.check_memory(args.batch_size)?; // before the data is read, as `train` does
    let names = args.data.clone().unwrap_or_else(harness::default_data_path);
    let data = Dataset::new(&names, args.text.as_deref(), None, args.model.block_size)?;
    let model = ModelConfig { vocab_size: data.vocab_size, ..args.model.clone() };
    model.check_memory(args.batch_size)?; // and again with the vocabulary
    let train = TrainConfig { batch_size: args.batch_size, ..TrainConfig::default() };
    let _kernels = args.kernels.scope(); // for the sampling timings too
    let r = bench(&data, &model, &train, args.steps);
    let threads = autograd::threads();
    writeln!(
        out,
        "threads {threads}, batch {}, block {}, {} parameters, {} timed steps, {} kernels",
        args.batch_size, model.block_size, r.params, args.steps, args.kernels
    )?;
    writeln!(out, "{:>10.2} ms/step", r.ms_per_step)?;
    writeln!(out, "{:>10.0} positions/s (B·T, padding included)", r.positions_per_s)?;
    writeln!(out, "{:>10.0} tokens/s (predictions learned from)", r.tokens_per_s)?;
    writeln!(out, "last loss {:.4}", r.last_loss)?;
    if args.sample_tokens > 0 {
        // A fresh model samples as fast as a trained one: the work does not depend on the weights.
        let model = Gpt::new(model, &mut PyRandom::new(42), 0.02);
        let n = args.sample_tokens;
        writeln!(out, "sampling {n} tokens, one at a time (tokens/s):")?;
        writeln!(out, "{:>22} {:>12} {:>10}", "", "KV cache", "recompute")?;
        for (restart, what) in [(true, "windows from 1 token"), (false, "text, window slides")] {
            let cached = sampling_rate(&model, true, restart, n)?;
            let full = sampling_rate(&model, false, restart, n)?;
            writeln!(out, "{what:>22} {cached:>12.0} {full:>10.0}")?;
        }
    }
    Ok(())
}
