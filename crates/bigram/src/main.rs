//! `bigram`: makemore part 1. With no subcommand: count the training bigrams, train the neural bigram
//! on the same words, print both models' losses, then samples from both.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use harness::progress::Progress;
use harness::pyrandom::PyRandom;
use harness::vocab::Vocab;
use serde::{Deserialize, Serialize};

use bigram::config::{ModelConfig, SampleConfig, TrainConfig};
use bigram::model::{Bigram, Counts};
use bigram::sample::print_samples;
use bigram::train::{self, Dataset, Outputs};

const STAGE: &str = "bigram";

/// The bigram language model, counted and then learned: makemore part 1.
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
    /// Count the bigrams and train the neural bigram; save both (run log and checkpoint in --out).
    Train(TrainArgs),
    /// Print names sampled from a saved checkpoint.
    Sample(SampleArgs),
    /// Draw the count table N as a heatmap, every cell labelled (PNG and SVG).
    Heatmap(HeatmapArgs),
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
    #[arg(long, default_value = "runs/bigram")]
    out: PathBuf,
    #[command(flatten)]
    model: ModelConfig,
    #[command(flatten)]
    train: TrainConfig,
}

/// Which of the two models to sample from.
#[derive(ValueEnum, Clone, Copy, PartialEq, Eq)]
enum Which {
    /// The count table P (with the checkpoint's --smoothing).
    Counts,
    /// The trained network, softmax(W).
    Neural,
    /// Both, side by side.
    Both,
}

#[derive(Args)]
struct SampleArgs {
    /// Directory of a checkpoint written by `bigram train`.
    #[arg(long, default_value = "runs/bigram")]
    checkpoint: PathBuf,
    /// Seed of the sampling stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Which model to sample from.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    model: Which,
    #[command(flatten)]
    sample: SampleConfig,
}

#[derive(Args)]
struct HeatmapArgs {
    /// One document per line (default: the repo's data/names.txt). Every word is counted.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where to write the figure: STEM.png and STEM.svg.
    #[arg(long, default_value = "runs/bigram/bigram-heatmap")]
    figure: PathBuf,
}

/// What the checkpoint's config.json holds besides the weights.
#[derive(Serialize, Deserialize)]
struct Saved {
    model: ModelConfig,
    train: TrainConfig,
    vocab: Vocab,
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
            let (model, counts, vocab) = train_and_save(&cli.run.train, stdout)?;
            let smoothing = cli.run.train.model.smoothing;
            let seed = cli.run.train.train.seed;
            samples(&model, &counts, smoothing, &vocab, Which::Both, &cli.run.sample, seed, stdout)?;
        }
        Some(Command::Train(args)) => {
            train_and_save(&args, stdout)?;
        }
        Some(Command::Sample(args)) => {
            let (model, counts, vocab) = load(&args.checkpoint)?;
            let smoothing = model.config.smoothing;
            samples(&model, &counts, smoothing, &vocab, args.model, &args.sample, args.seed, stdout)?;
        }
        Some(Command::Heatmap(args)) => {
            let path = args.data.unwrap_or_else(harness::default_data_path);
            let data = Dataset::new(&harness::load_docs(&path)?)?;
            let counts = Counts::from_words(&data.all, data.vocab.len());
            let saved = bigram::figures::heatmap(&counts, &data.vocab, &args.figure)?;
            writeln!(stdout, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
        }
    }
    Ok(())
}

/// Counts, trains, prints the losses, saves the checkpoint.
fn train_and_save(args: &TrainArgs, out: &mut impl Write) -> Result<(Bigram, Counts, Vocab)> {
    args.model.validate()?;
    args.train.validate()?;
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let docs = harness::load_docs(&path)?;
    let data = Dataset::new(&docs)?;
    writeln!(
        out,
        "words: {} (train {}, val {}, test {}); vocab size: {}",
        data.all.len(),
        data.train.len(),
        data.val.len(),
        data.test.len(),
        data.vocab.len()
    )?;

    let (counts, c) = train::fit_counts(&data, args.model.smoothing);
    let predictions = harness::split::n_predictions(&docs);
    writeln!(out, "count model (smoothing {}):", args.model.smoothing)?;
    writeln!(out, "  train {:.4} | val {:.4} | test {:.4}", c.train, c.val, c.test)?;
    writeln!(out, "  whole file {:.6} over {predictions} predictions", c.all)?;

    let mut rng = PyRandom::new(args.train.seed);
    let model = train::build(&args.model, &data, &mut rng)?;
    writeln!(
        out,
        "neural model: {} parameters, lr {}, reg {}",
        model.w.numel(),
        args.train.learning_rate,
        args.train.reg
    )?;
    out.flush()?;
    let run_log = args.out.join(harness::runlog::LOG_FILE);
    let outputs = Outputs { run_log: Some(&run_log), progress: Progress::new(args.train.steps) };
    let val_loss = train::train(&model, &data, &args.train, &c, outputs)?;
    let train_loss = train::evaluate(&model, &data.train);
    writeln!(
        out,
        "  train {train_loss:.4} | val {val_loss:.4} (count model: train {:.4} | val {:.4})",
        c.train, c.val
    )?;

    let saved = Saved { model: model.config.clone(), train: args.train.clone(), vocab: data.vocab.clone() };
    if let Some(note) = harness::checkpoint::save(&args.out, STAGE, &saved, &model.to_tensors(&counts))? {
        eprintln!("{note}");
    }
    eprintln!("checkpoint saved in {}", args.out.display());
    Ok((model, counts, data.vocab))
}

fn load(dir: &Path) -> Result<(Bigram, Counts, Vocab)> {
    let ckpt = harness::checkpoint::load::<Saved>(dir, STAGE)
        .with_context(|| format!("cannot sample from {}", dir.display()))?;
    let config = ModelConfig { vocab_size: ckpt.config.vocab.len(), ..ckpt.config.model.clone() };
    config.validate()?;
    let (model, counts) = Bigram::from_checkpoint(config, &ckpt)
        .with_context(|| format!("cannot sample from {}", dir.display()))?;
    Ok((model, counts, ckpt.config.vocab))
}

fn samples(
    model: &Bigram,
    counts: &Counts,
    smoothing: f64,
    vocab: &Vocab,
    which: Which,
    cfg: &SampleConfig,
    seed: u64,
    out: &mut impl Write,
) -> Result<()> {
    let (p_counts, p_neural) = (counts.probs(smoothing), model.probs());
    let mut models: Vec<(&str, &[f64])> = Vec::new();
    if which != Which::Neural {
        models.push(("counts", &p_counts));
    }
    if which != Which::Counts {
        models.push(("neural", &p_neural));
    }
    print_samples(&models, vocab, cfg, seed, out)?;
    Ok(())
}
