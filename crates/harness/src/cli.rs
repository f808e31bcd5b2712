//! The command line every stage shares: the stage contract, written once.
//!
//! - no subcommand: train with the lecture's defaults (any training flag may be given), then sample;
//! - `train`: train, write the run log and the checkpoint to `--out`, print the `sample` command;
//! - `sample`: load a checkpoint and print samples;
//! - the stage's own extra subcommands (moons, heatmap, lr-find, …).
//!
//! A stage says what it is by implementing [`Stage`]; its `main` is one call to [`main`]. Usage errors
//! (an unknown flag, a value that does not parse) follow clap's convention: its message and exit code 2.
//! Every other bad input is one line, `error: …`, and exit code 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{self, Checkpoint, NamedTensor};
use crate::pyrandom::{PyRandom, PyRandomState};
use crate::run::Saver;
use crate::rundir::RunDir;
use crate::vocab::Vocab;

/// What a stage is, for the shared command line: its flags, how it trains, saves, loads and samples.
pub trait Stage: 'static {
    /// The stage's name: its binary, its run directory `runs/NAME`, the `stage` of its logs and checkpoints.
    const NAME: &'static str;
    /// One line for `--help`.
    const ABOUT: &'static str;
    /// The model's shape and how to train it: the training flags, saved in the checkpoint.
    type Config: Args + Serialize + DeserializeOwned + Clone;
    /// The sampling flags.
    type Sample: Args + Clone;
    /// The trained model.
    type Model;
    /// The stage's own subcommands ([`NoExtras`] for none).
    type Extra: Subcommand;

    /// Refuses flags that cannot train, with one line naming the flag: checked before the run directory
    /// is touched.
    fn validate(config: &Self::Config) -> Result<()>;
    /// Refuses sampling flags that cannot sample, likewise before any work.
    fn validate_sample(sample: &Self::Sample) -> Result<()>;
    /// Trains a model on `data`, writing the run log and a checkpoint at every evaluation through `saver`
    /// and the report to `out`.
    fn train(
        config: &Self::Config,
        data: &Path,
        saver: &Saver,
        out: &mut dyn Write,
    ) -> Result<Trained<Self::Model>>;
    /// The model's weights by name, for the checkpoint.
    fn named_parameters(model: &Self::Model) -> Vec<NamedTensor>;
    /// Rebuilds a model from a checkpoint, checking that the weights fit the saved config.
    fn from_checkpoint(ckpt: &Checkpoint<Saved<Self::Config>>) -> Result<Self::Model>;
    /// Prints samples from `model`, drawing from `rng`.
    fn sample(
        model: &Self::Model,
        vocab: &Vocab,
        sample: &Self::Sample,
        rng: &mut PyRandom,
        out: &mut dyn Write,
    ) -> Result<()>;
    /// Runs one of the stage's own subcommands.
    fn extra(command: Self::Extra, out: &mut dyn Write) -> Result<()>;
}

/// What training gives back: the model, its vocabulary, and the random stream sampling continues from.
pub struct Trained<M> {
    /// The trained model.
    pub model: M,
    /// Characters ↔ ids of the data it was trained on.
    pub vocab: Vocab,
    /// Where sampling draws from after training (saved, so `sample` prints the run's own samples).
    pub rng: PyRandom,
}

/// What every checkpoint's `config.json` holds besides the weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved<C> {
    /// The stage's flags as the run used them.
    pub config: C,
    /// Characters ↔ ids.
    pub vocab: Vocab,
    /// The random stream as sampling found it after training.
    pub sample_rng: PyRandomState,
}

/// A stage without subcommands of its own.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum NoExtras {}

/// The command line: a subcommand, or none and the flags of a whole run.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli<S: Stage> {
    #[command(subcommand)]
    command: Option<Command<S>>,
    #[command(flatten)]
    train: TrainArgs<S::Config>,
    #[command(flatten)]
    sample: S::Sample,
}

#[derive(Subcommand)]
enum Command<S: Stage> {
    /// Train a model: run log and checkpoint go to --out.
    Train(TrainArgs<S::Config>),
    /// Print samples from a trained checkpoint.
    Sample(SampleArgs<S::Sample>),
    #[command(flatten)]
    Extra(S::Extra),
}

/// Where training reads and writes, beside the stage's own flags.
#[derive(Args, Clone, Debug)]
pub struct TrainArgs<C: Args> {
    /// Training text, one document per line [default: the repo's data/names.txt].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Run directory for log.jsonl, config.json and model.safetensors [default: runs/<stage>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub config: C,
}

/// Which checkpoint to sample from, and from which random stream.
#[derive(Args, Clone, Debug)]
pub struct SampleArgs<S: Args> {
    /// Run directory written by `train` [default: runs/<stage>].
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Seed of the sampling stream [default: the stream the run itself sampled from, so `sample`
    /// prints the run's own samples].
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub sample: S,
}

/// The flags' defaults as a value: what the command line gives when no flag is set (one source of truth
/// for the binary, tests and library users).
pub fn defaults<A: Args>() -> A {
    #[derive(Parser)]
    struct Defaults<A: Args> {
        #[command(flatten)]
        args: A,
    }
    Defaults::<A>::parse_from(["defaults"]).args
}

/// The stage binary: parses the command line, runs it, and turns an error into one line and exit code 1.
pub fn main<S: Stage>() -> ExitCode {
    let command = conventions(Cli::<S>::command().name(S::NAME).about(S::ABOUT));
    let cli = Cli::<S>::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    crate::run::stop_on_ctrl_c();
    match run::<S>(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// In every subcommand: a negative number is a value (`--learning-rate -0.01`, which the stage's check
/// then refuses with a reason), not a flag; and a flag given twice takes its last value. (Only an
/// argument that takes a value can take a negative one: clap refuses the setting on a switch.)
fn conventions(command: clap::Command) -> clap::Command {
    let negative = |a: clap::Arg| {
        let takes_value = a.get_action().takes_values();
        a.allow_negative_numbers(takes_value)
    };
    command.args_override_self(true).mut_args(negative).mut_subcommands(conventions)
}

/// Standard output, whose write errors say where they happened: under `> file` on a full disk, a bare
/// "No space left on device" would not say which file.
struct Stdout(std::io::StdoutLock<'static>);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(on_stdout)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(on_stdout)
    }
}

fn on_stdout(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("cannot write to standard output: {e}"))
}

fn run<S: Stage>(cli: Cli<S>) -> Result<()> {
    let out = &mut Stdout(std::io::stdout().lock());
    match cli.command {
        None => {
            S::validate_sample(&cli.sample)?;
            let (trained, _) = train_and_save::<S>(&cli.train, out)?;
            let Trained { model, vocab, mut rng } = trained;
            S::sample(&model, &vocab, &cli.sample, &mut rng, out)?;
        }
        Some(Command::Train(args)) => {
            let (_, dir) = train_and_save::<S>(&args, out)?;
            eprintln!(
                "sample from it: cargo run --release -p {0} -- sample --checkpoint {1}",
                S::NAME,
                dir.display()
            );
        }
        Some(Command::Sample(args)) => {
            S::validate_sample(&args.sample)?;
            let dir = args.checkpoint.unwrap_or_else(|| default_dir::<S>());
            let (model, saved) =
                load::<S>(&dir).with_context(|| format!("cannot sample from {}", dir.display()))?;
            let mut rng = match args.seed {
                Some(seed) => PyRandom::new(seed),
                None => PyRandom::from_state(&saved.sample_rng)?,
            };
            S::sample(&model, &saved.vocab, &args.sample, &mut rng, out)?;
        }
        Some(Command::Extra(extra)) => S::extra(extra, out)?,
    }
    out.flush()?;
    Ok(())
}

fn default_dir<S: Stage>() -> PathBuf {
    Path::new("runs").join(S::NAME)
}

/// Trains, then saves the checkpoint; returns the trained model and where it was saved. The run
/// directory is checked (writable, nothing in it that is not ours) and locked before any work, so a
/// refusal never comes after a long run, and a second run into the same directory is refused.
pub fn train_and_save<S: Stage>(
    args: &TrainArgs<S::Config>,
    out: &mut dyn Write,
) -> Result<(Trained<S::Model>, PathBuf)> {
    let data = args.data.clone().unwrap_or_else(crate::default_data_path);
    let dir = args.out.clone().unwrap_or_else(|| default_dir::<S>());
    S::validate(&args.config)?;
    crate::data::check_data(&data)?; // a missing --data creates no run directory
    let run_dir = RunDir::create(&dir, S::NAME)?;
    let saver = Saver::new(&run_dir, &args.config)?;
    let trained = S::train(&args.config, &data, &saver, out)?;
    out.flush()?;
    // Said now, when it happens (unless an evaluation's checkpoint already did it and said so).
    if let Some(note) = saver.take_note() {
        eprintln!("note: {note}");
    }
    let tensors = S::named_parameters(&trained.model);
    crate::guard::check_weights(&tensors)?;
    saver
        .save(&tensors, &trained.vocab, &trained.rng)
        .context("training finished but the checkpoint was not saved")?;
    eprintln!("checkpoint saved in {}", dir.display());
    Ok((trained, dir))
}

/// Loads a checkpoint of stage `S` from `dir`: the model and what was saved with it.
pub fn load<S: Stage>(dir: &Path) -> Result<(S::Model, Saved<S::Config>)> {
    let ckpt = checkpoint::load::<Saved<S::Config>>(dir, S::NAME)?;
    let model = S::from_checkpoint(&ckpt)?;
    Ok((model, ckpt.config))
}

/// The flags of a figure subcommand: which data, and where to write the figure.
#[derive(Args, Clone, Debug)]
pub struct FigureArgs {
    /// Text to draw from, one document per line [default: the repo's data/names.txt].
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where to write the figure: STEM.png and STEM.svg [default: runs/<stage>/<figure>].
    #[arg(long)]
    pub figure: Option<PathBuf>,
}

impl FigureArgs {
    /// The documents of `--data`.
    pub fn docs(&self) -> Result<Vec<String>> {
        Ok(crate::load_docs(&self.data.clone().unwrap_or_else(crate::default_data_path))?)
    }

    /// `--figure`, or `runs/<stage>/<name>` (by the stage's name, whatever the binary is called).
    pub fn stem<S: Stage>(&self, name: &str) -> PathBuf {
        self.figure.clone().unwrap_or_else(|| default_dir::<S>().join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser)]
    struct Flags {
        /// A switch.
        #[arg(long)]
        batchnorm: bool,
        /// A value.
        #[arg(long, default_value_t = 0.1)]
        learning_rate: f64,
    }

    #[test]
    fn the_conventions_hold_for_switches_and_values() {
        let command = conventions(Flags::command());
        command.clone().debug_assert(); // clap's own checks: a switch may not allow negative numbers
        let matches = command.try_get_matches_from(["x", "--batchnorm", "--learning-rate", "-0.5"]).unwrap();
        let flags = Flags::from_arg_matches(&matches).unwrap();
        assert!(flags.batchnorm);
        assert_eq!(flags.learning_rate, -0.5);
    }
}
