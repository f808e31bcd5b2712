//! `mlp`: makemore parts 2, 3 and 5. With no subcommand: train the MLP with the lecture's
//! hyperparameters, print its train and validation loss, then sample names.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use harness::progress::Progress;
use harness::pyrandom::PyRandom;
use harness::vocab::Vocab;
use serde::{Deserialize, Serialize};

use mlp::config::{ModelConfig, SampleConfig, TrainConfig};
use mlp::model::Mlp;
use mlp::sample::print_samples;
use mlp::train::{self, Dataset, Outputs};

const STAGE: &str = "mlp";

/// The MLP language model of Bengio et al. 2003: makemore part 2 (and the fixes of parts 3 and 5).
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
    /// Sweep the learning rate over one short run and plot the loss against it (PNG and SVG).
    LrFind(LrFindArgs),
    /// Draw a trained model's figures: loss curve, embeddings, tanh activation histograms.
    Figures(FiguresArgs),
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
    #[arg(long, default_value = "runs/mlp")]
    out: PathBuf,
    #[command(flatten)]
    model: ModelConfig,
    #[command(flatten)]
    train: TrainConfig,
}

#[derive(Args)]
struct SampleArgs {
    /// Directory of a checkpoint written by `mlp train`.
    #[arg(long, default_value = "runs/mlp")]
    checkpoint: PathBuf,
    /// Seed of the sampling stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[command(flatten)]
    sample: SampleConfig,
}

#[derive(Args)]
struct LrFindArgs {
    /// One document per line (default: the repo's data/names.txt).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Smallest learning rate of the sweep.
    #[arg(long, default_value_t = 0.001)]
    min_lr: f64,
    /// Largest learning rate of the sweep.
    #[arg(long, default_value_t = 1.0)]
    max_lr: f64,
    /// Where to write the figure: STEM.png and STEM.svg.
    #[arg(long, default_value = "runs/mlp/lr-find")]
    figure: PathBuf,
    #[command(flatten)]
    model: ModelConfig,
    /// Steps of the sweep, the learning rate growing every step.
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    #[command(flatten)]
    init: TrainConfigInit,
}

/// The training settings lr-find uses (the sweep sets the learning rate itself).
#[derive(Args)]
struct TrainConfigInit {
    /// Examples per minibatch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Seed of the random stream.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output weights ×0.01, output biases 0.
    #[arg(long)]
    scale_output: bool,
    /// Kaiming init for tanh.
    #[arg(long)]
    kaiming: bool,
}

#[derive(Args)]
struct FiguresArgs {
    /// Directory of a checkpoint written by `mlp train` (its log.jsonl gives the loss curve).
    #[arg(long, default_value = "runs/mlp")]
    checkpoint: PathBuf,
    /// The data the model was trained on (for the activation histograms).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Directory for the figures (STEM.png and STEM.svg each).
    #[arg(long, default_value = "runs/mlp/figures")]
    out_dir: PathBuf,
    /// Prefix of the figures' file names.
    #[arg(long, default_value = "mlp")]
    prefix: String,
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
            let (mut model, vocab, mut rng) = train_and_save(&cli.run.train, stdout)?;
            print_samples(&mut model, &vocab, &cli.run.sample, &mut rng, stdout)?;
        }
        Some(Command::Train(args)) => {
            train_and_save(&args, stdout)?;
        }
        Some(Command::Sample(args)) => {
            let (mut model, vocab, _) = load(&args.checkpoint)?;
            print_samples(&mut model, &vocab, &args.sample, &mut PyRandom::new(args.seed), stdout)?;
        }
        Some(Command::LrFind(args)) => lr_find(&args, stdout)?,
        Some(Command::Figures(args)) => figures(&args, stdout)?,
    }
    Ok(())
}

/// Builds the examples, trains, prints the losses, saves the checkpoint. Returns the random stream
/// where training left it, which sampling continues.
fn train_and_save(args: &TrainArgs, out: &mut impl Write) -> Result<(Mlp, Vocab, PyRandom)> {
    args.model.validate()?;
    args.train.validate()?;
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let docs = harness::load_docs(&path)?;
    let data = Dataset::new(&docs, args.model.block_size)?;
    writeln!(
        out,
        "examples: train {} | val {} | test {}; vocab size: {}",
        data.train.len(),
        data.val.len(),
        data.test.len(),
        data.vocab.len()
    )?;
    let mut rng = PyRandom::new(args.train.seed);
    let mut model = train::build(&args.model, &args.train, &data, &mut rng)?;
    writeln!(out, "parameters: {}", model.num_params())?;
    out.flush()?;

    let run_log = args.out.join(harness::runlog::LOG_FILE);
    let progress = Progress::new(args.train.steps).every(args.train.steps.div_ceil(20));
    let outputs = Outputs { run_log: Some(&run_log), progress };
    let losses = train::train(&mut model, &data, &args.train, &mut rng, outputs)?;
    writeln!(out, "train loss {:.4} | val loss {:.4}", losses.train, losses.val)?;

    let saved = Saved { model: model.config.clone(), train: args.train.clone(), vocab: data.vocab.clone() };
    if let Some(note) = harness::checkpoint::save(&args.out, STAGE, &saved, &model.to_tensors())? {
        eprintln!("{note}");
    }
    eprintln!("checkpoint saved in {}", args.out.display());
    Ok((model, data.vocab, rng))
}

fn load(dir: &Path) -> Result<(Mlp, Vocab, TrainConfig)> {
    let ckpt = harness::checkpoint::load::<Saved>(dir, STAGE)
        .with_context(|| format!("cannot load the checkpoint in {}", dir.display()))?;
    let config = ModelConfig { vocab_size: ckpt.config.vocab.len(), ..ckpt.config.model.clone() };
    config.validate()?;
    let model = Mlp::from_checkpoint(config, &ckpt.config.train, &ckpt)
        .with_context(|| format!("cannot load the checkpoint in {}", dir.display()))?;
    Ok((model, ckpt.config.vocab, ckpt.config.train))
}

fn lr_find(args: &LrFindArgs, out: &mut impl Write) -> Result<()> {
    anyhow::ensure!(
        args.min_lr > 0.0 && args.max_lr > args.min_lr && args.max_lr.is_finite(),
        "the sweep needs 0 < --min-lr < --max-lr"
    );
    anyhow::ensure!(args.steps >= 2, "--steps must be at least 2 for a sweep");
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let data = Dataset::new(&harness::load_docs(&path)?, args.model.block_size)?;
    let init = TrainConfig {
        steps: args.steps,
        batch_size: args.init.batch_size,
        learning_rate: args.min_lr,
        seed: args.init.seed,
        eval_interval: 0,
        scale_output: args.init.scale_output,
        kaiming: args.init.kaiming,
    };
    let mut rng = PyRandom::new(args.init.seed);
    let mut model = train::build(&args.model, &init, &data, &mut rng)?;
    let points = train::lr_find(
        &mut model,
        &data,
        args.init.batch_size,
        (args.min_lr, args.max_lr),
        args.steps,
        &mut rng,
    )?;
    let saved = mlp::figures::lr_sweep(&points, &args.figure)?;
    writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
    Ok(())
}

fn figures(args: &FiguresArgs, out: &mut impl Write) -> Result<()> {
    let (mut model, vocab, init) = load(&args.checkpoint)?;
    let stem = |name: &str| args.out_dir.join(format!("{}-{name}", args.prefix));
    let mut written = Vec::new();

    let log_path = args.checkpoint.join(harness::runlog::LOG_FILE);
    let log = harness::read_run_log(&log_path)?;
    let mlp_log: Vec<_> = log.into_iter().filter(|r| r.stage == STAGE).collect();
    written.push(mlp::figures::loss_curve(&mlp_log, &stem("loss"))?);
    if model.config.n_embd >= 2 {
        written.push(mlp::figures::embedding(&model, &vocab, &stem("embedding"))?);
    }

    // The histograms are over 1000 training examples, first through the trained model, then through a
    // freshly initialised one of the same shape: the picture at step 0 is what part 3 is about.
    let path = args.data.clone().unwrap_or_else(harness::default_data_path);
    let data = Dataset::new(&harness::load_docs(&path)?, model.config.block_size)?;
    anyhow::ensure!(data.vocab == vocab, "{} is not the data this model was trained on", path.display());
    let n = data.train.len().min(1000);
    let x = &data.train.x[..n * model.config.block_size];
    written.push(mlp::figures::activations(
        &mut model,
        x,
        "tanh activations after training",
        &stem("activations"),
    )?);
    let mut fresh = train::build(&model.config, &init, &data, &mut PyRandom::new(init.seed))?;
    written.push(mlp::figures::activations(
        &mut fresh,
        x,
        "tanh activations at initialisation",
        &stem("activations-init"),
    )?);
    for saved in written {
        writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
    }
    Ok(())
}
