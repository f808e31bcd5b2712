//! `microgpt`: Karpathy's microGPT in Rust. With no subcommand it is the Python program: train for
//! 1000 steps on the names, then print 20 samples — the same lines, the same digits.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use harness::pyrandom::PyRandom;
use harness::vocab::Vocab;

use microgpt::config::{ModelConfig, SampleConfig, Saved, TrainConfig};
use microgpt::model::Gpt;
use microgpt::sample::print_samples;
use microgpt::train::{self, Dataset, Outputs};

/// The whole GPT on scalars: Karpathy's microGPT, printing what the Python prints.
///
/// With no subcommand: train, then sample (the whole program). Diff it against the original:
/// `python3 microgpt.py | tr '\r' '\n'` and `cargo run --release -p microgpt | tr '\r' '\n'`.
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
    /// Train a model and save it (run log and checkpoint in --out).
    Train(TrainArgs),
    /// Print names sampled from a saved checkpoint.
    Sample(SampleArgs),
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    train: TrainArgs,
    #[command(flatten)]
    sample: SampleConfig,
}

#[derive(Args)]
struct TrainArgs {
    /// One document per line (default: the repo's data/names.txt).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Directory for the run log and the checkpoint.
    #[arg(long, default_value = "runs/microgpt")]
    out: PathBuf,
    #[command(flatten)]
    model: ModelConfig,
    #[command(flatten)]
    train: TrainConfig,
}

#[derive(Args)]
struct SampleArgs {
    /// Directory of a checkpoint written by `microgpt train`.
    #[arg(long, default_value = "runs/microgpt")]
    checkpoint: PathBuf,
    /// Seed of the sampling stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    sample: SampleConfig,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
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
            let (model, vocab, mut rng) = train_and_save(&cli.run.train, stdout)?;
            print_samples(&model, &vocab, &cli.run.sample, &mut rng, stdout)?;
        }
        Some(Command::Train(args)) => {
            train_and_save(&args, stdout)?;
            writeln!(stdout)?;
        }
        Some(Command::Sample(args)) => {
            args.sample.validate()?;
            let (model, vocab) = load(&args.checkpoint)?;
            print_samples(&model, &vocab, &args.sample, &mut PyRandom::new(args.seed), stdout)?;
        }
    }
    Ok(())
}

/// microGPT's dataset, tokenizer, parameters and training sections; then the checkpoint. Returns the
/// random stream where training left it, which sampling continues (as in the Python).
fn train_and_save(args: &TrainArgs, out: &mut impl Write) -> Result<(Gpt, Vocab, PyRandom)> {
    args.model.validate()?;
    args.train.validate()?;
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let docs = harness::load_docs(&path)?;
    let mut rng = PyRandom::new(args.train.seed);
    let data = Dataset::new(&docs, &mut rng, args.train.held_out)?;
    writeln!(out, "num docs: {}", data.train.len())?;
    writeln!(out, "vocab size: {}", data.vocab.len())?;
    let model = train::build(&args.model, &args.train, &data, &mut rng)?;
    writeln!(out, "num params: {}", model.params().len())?;

    let outputs = Outputs {
        run_log: Some(args.out.join(harness::runlog::LOG_FILE)),
        carriage_return: std::io::stdout().is_terminal(),
    };
    let val_loss = train::train(&model, &data, &args.train, &outputs, out)?;
    out.flush()?;
    let saved = Saved { model: model.config.clone(), train: args.train.clone(), vocab: data.vocab.clone() };
    if let Some(note) = harness::checkpoint::save(&args.out, microgpt::STAGE, &saved, &model.to_tensors())? {
        eprintln!("{note}");
    }
    eprintln!("val loss {val_loss:.4}; checkpoint saved in {}", args.out.display());
    Ok((model, data.vocab, rng))
}

fn load(dir: &Path) -> Result<(Gpt, Vocab)> {
    Gpt::load(dir).with_context(|| format!("cannot sample from {}", dir.display()))
}
