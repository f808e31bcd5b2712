//! `nanogpt`: a GPT on tensors. With no subcommand it trains makemore's transformer on the names
//! (keeping the best checkpoint by val loss), then samples names from it.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, ensure};
use clap::{Args, Parser, Subcommand};
use harness::PyRandom;

use nanogpt::bench::{TORCH_MS_PER_STEP, bench};
use nanogpt::config::{ModelConfig, SampleConfig, TrainConfig};
use nanogpt::data::{Dataset, Source};
use nanogpt::model::Gpt;
use nanogpt::sample::print_samples;
use nanogpt::train::{self, Start, load_checkpoint};

/// A GPT on tensors: nanoGPT's model and trainer.
///
/// With no subcommand: train on the names (run log and best checkpoint in --out), then sample.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model, keeping the best checkpoint (by val loss) and the run log in --out.
    Train(TrainArgs),
    /// Print samples from a saved checkpoint.
    Sample(SampleArgs),
    /// Time training steps of a fresh model and compare with PyTorch.
    Bench(BenchArgs),
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    train: TrainArgs,
    #[command(flatten)]
    sample: SampleConfig,
}

#[derive(Args)]
struct DataArgs {
    /// Names, one per line (default: the repo's data/names.txt), on the canonical split.
    #[arg(long, conflicts_with = "text")]
    data: Option<PathBuf>,
    /// Train on a plain text file instead, as one stream of characters (90% train, 10% val).
    #[arg(long)]
    text: Option<PathBuf>,
}

impl DataArgs {
    fn load(&self, block_size: usize) -> Result<Dataset> {
        match &self.text {
            Some(text) => Dataset::text(text, block_size),
            None => Dataset::names(&self.data.clone().unwrap_or_else(harness::default_data_path), block_size),
        }
    }
}

#[derive(Args)]
struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Directory for the run log and the checkpoint.
    #[arg(long, default_value = "runs/nanogpt")]
    out: PathBuf,
    /// Continue from the checkpoint in --out (its model and step; the flags give the rest, e.g. --steps).
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    model: ModelConfig,
    #[command(flatten)]
    train: TrainConfig,
}

#[derive(Args)]
struct SampleArgs {
    /// Directory of a checkpoint written by `nanogpt train`.
    #[arg(long, default_value = "runs/nanogpt")]
    checkpoint: PathBuf,
    /// Seed of the sampling stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    sample: SampleConfig,
}

#[derive(Args)]
struct BenchArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Timed steps (after 20 untimed ones).
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Sequences per step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    #[command(flatten)]
    model: ModelConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // On one of rayon's threads, each tensor op keeps half of its work and hands the other half to the
    // other core, instead of waking this thread every time.
    match autograd::on_worker(|| run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let stdout = &mut std::io::stdout().lock();
    match cli.command {
        None => {
            cli.run.sample.validate()?;
            let (model, data) = train_and_save(&cli.run.train, stdout)?;
            let mut rng = PyRandom::new(cli.run.train.train.seed);
            writeln!(stdout, "\nsamples from the best checkpoint:")?;
            print_samples(&model, &data.vocab, data.source, &cli.run.sample, &mut rng, stdout)?;
        }
        Some(Command::Train(args)) => {
            train_and_save(&args, stdout)?;
        }
        Some(Command::Sample(args)) => {
            args.sample.validate()?;
            let (model, ckpt) = load_checkpoint(&args.checkpoint)?;
            let mut rng = PyRandom::new(args.seed);
            print_samples(&model, &ckpt.config.vocab, ckpt.config.source, &args.sample, &mut rng, stdout)?;
        }
        Some(Command::Bench(args)) => run_bench(&args, stdout)?,
    }
    Ok(())
}

/// Trains (fresh or resumed), then reloads the best checkpoint and measures it on the whole val split.
fn train_and_save(args: &TrainArgs, out: &mut impl Write) -> Result<(Gpt, Dataset)> {
    args.train.validate()?;
    let (model, data, start) = if args.resume {
        let (model, ckpt) = load_checkpoint(&args.out)?;
        let data = args.data.load(model.config.block_size)?;
        let saved = &ckpt.config;
        ensure!(
            saved.source == data.source,
            "--resume: the checkpoint was trained on {:?} data",
            saved.source
        );
        ensure!(
            saved.vocab == data.vocab,
            "--resume: the data's characters differ from the checkpoint's vocabulary"
        );
        ensure!(
            args.train.steps > saved.step,
            "--resume: the checkpoint is at step {}; give --steps beyond it",
            saved.step
        );
        let optimizer = train::saved_optimizer_state(&model, &args.train, &ckpt)
            .context("--resume: the checkpoint's optimizer state does not fit the model")?;
        (model, data, Start::resume(saved, optimizer))
    } else {
        args.model.validate()?;
        let data = args.data.load(args.model.block_size)?;
        let config = ModelConfig { vocab_size: data.vocab.len(), ..args.model.clone() };
        let model = Gpt::new(config, &mut PyRandom::new(args.train.seed), args.train.init_std);
        (model, data, Start::FRESH)
    };
    let c = &model.config;
    writeln!(
        out,
        "vocab size {}, {} parameters ({} layers, {} heads, n_embd {}, block_size {})",
        c.vocab_size,
        model.num_params(),
        c.n_layer,
        c.n_head,
        c.n_embd,
        c.block_size
    )?;
    if start.step > 0 {
        let optimizer = if start.optimizer.is_some() {
            " with AdamW's moments and step count from the checkpoint"
        } else {
            "; the checkpoint predates saved optimizer state, so AdamW's moments restart from zero"
        };
        writeln!(out, "resuming at step {} (val loss {:.4}){optimizer}", start.step, start.best_val_loss)?;
    }
    out.flush()?;

    let summary = train::train(&model, &data, &args.train, &args.out, start)?;
    let (_, ckpt) = load_checkpoint(&args.out)?;
    model.load(&ckpt)?;
    let val = train::evaluate(&model, &data.val, args.train.batch_size);
    let what = if data.source == Source::Names { "every val name" } else { "the whole val text" };
    writeln!(
        out,
        "{} steps in {:.1}s ({:.1} ms/step); best val loss {:.4} at step {}; over {what}: {val:.4}",
        summary.steps_run,
        summary.elapsed_s,
        summary.elapsed_s * 1e3 / summary.steps_run.max(1) as f64,
        summary.best_val_loss,
        summary.best_step
    )?;
    eprintln!("checkpoint saved in {}", args.out.display());
    Ok((model, data))
}

fn run_bench(args: &BenchArgs, out: &mut impl Write) -> Result<()> {
    args.model.validate()?;
    ensure!(args.steps > 0 && args.batch_size > 0, "--steps and --batch-size must be at least 1");
    let data = args.data.load(args.model.block_size)?;
    let model = ModelConfig { vocab_size: data.vocab.len(), ..args.model.clone() };
    let train = TrainConfig { batch_size: args.batch_size, ..TrainConfig::default() };
    let r = bench(&data, &model, &train, args.steps);
    writeln!(
        out,
        "cores {}, batch {}, block {}, {} parameters, {} timed steps",
        cores(),
        args.batch_size,
        model.block_size,
        r.params,
        args.steps
    )?;
    writeln!(
        out,
        "{:>10.2} ms/step  (PyTorch, 2 threads, as once recorded: {TORCH_MS_PER_STEP} ms for makemore's \
         transformer; `cargo xtask bench` times both in one run)",
        r.ms_per_step
    )?;
    writeln!(out, "{:>10.0} positions/s (B·T, padding included)", r.positions_per_s)?;
    writeln!(out, "{:>10.0} tokens/s (predictions learned from)", r.tokens_per_s)?;
    writeln!(out, "last loss {:.4}", r.last_loss)?;
    Ok(())
}

/// The cores the engine can split its products over.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
