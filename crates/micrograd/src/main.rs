//! `micrograd`: the stage-1 binary. With no subcommand it trains the names model with the lecture's
//! defaults and samples from it.
#![forbid(unsafe_code)]

use std::fmt::Display;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use harness::{Progress, PyRandom};

use micrograd::config::Config;
use micrograd::model::Bigram;
use micrograd::sample::{SampleArgs, sample};
use micrograd::{graph, moons, train};

/// micrograd: a scalar autograd engine and a tiny neural net, in Rust.
///
/// Without a subcommand: `train` with the defaults, then print 20 samples.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Trains a neural bigram on names, built from scalar Values; writes log and checkpoint to --out.
    ///
    /// Slow on purpose: every number is a node on the tape (192 per predicted character). The defaults
    /// take about 10 s of CPU in release mode, evaluating on the whole validation split every 200 steps.
    Train(Config),
    /// Prints names sampled from a trained checkpoint.
    Sample(SampleArgs),
    /// The classic demo: an MLP(2, [16, 16, 1]) learns two moons; draws the decision boundary.
    Moons {
        #[command(flatten)]
        config: moons::MoonsConfig,
        /// Where to write moons.png and moons.svg.
        #[arg(long, default_value = "runs/micrograd")]
        out: PathBuf,
    },
    /// Writes the lecture's computation graphs as Graphviz DOT (and SVG, if `dot` is installed) and prints
    /// their gradients.
    Graph {
        /// Where to write expression.dot and neuron.dot.
        #[arg(long, default_value = "runs/micrograd")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version are not errors; a bad flag is one line, like every other bad input.
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let text = err.render().to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: bad arguments (see --help)"));
            return ExitCode::FAILURE;
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints one line; a closed pipe (`| head`) is not an error worth a panic.
fn say<S: Display>(line: S) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        None => {
            let config = Config::default();
            let model = train::train(&config, &mut Progress::new(config.steps))?;
            say("samples:");
            for name in sample(&model, 20, 1.0, &mut PyRandom::new(config.seed))? {
                say(name);
            }
        }
        Some(Command::Train(config)) => {
            train::train(&config, &mut Progress::new(config.steps))?;
            say(format!("wrote {}", config.out.display()));
        }
        Some(Command::Sample(args)) => {
            args.validate()?;
            let (model, _) = Bigram::load(&args.checkpoint)?;
            for name in sample(&model, args.num_samples, args.temperature, &mut PyRandom::new(args.seed))? {
                say(name);
            }
        }
        Some(Command::Moons { config, out }) => {
            let run = moons::train(&config, |s| say(s))?;
            let saved = moons::figure::draw_boundary(&run, &out.join("moons"))?;
            say(format!("wrote {} and {}", saved.png.display(), saved.svg.display()));
        }
        Some(Command::Graph { out }) => graph::render::write_lecture_drawings(&out, say)?,
    }
    Ok(())
}
