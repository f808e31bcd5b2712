//! Stage 5 — microGPT: the whole GPT on scalars.
//!
//! Karpathy's microGPT trains and samples a GPT-2-like transformer in ~200 lines of dependency-free
//! Python, every number a scalar `Value`. This crate is that program, section for section, on the
//! scalar engine of stage 1 — and it prints what the Python prints, to the last digit. Read it
//! beside nanogpt: the same algorithm, with every tensor taken apart into scalars. Everything else
//! is just efficiency ([`eval_fast`]).
#![forbid(unsafe_code)]

pub mod config;
pub mod data;
pub mod eval_fast;
pub mod model;
pub mod parity_figure;
pub mod sample;
pub mod train;

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::cli::{Saved, Trained};
use harness::run::Saver;
use harness::{PyRandom, Vocab};

/// The stage's name: its binary, its run directory, the `stage` of its run log and checkpoints.
pub const STAGE: &str = "microgpt";

/// This stage, for the command line every stage shares.
pub struct Stage;

impl harness::cli::Stage for Stage {
    const NAME: &'static str = STAGE;
    const ABOUT: &'static str =
        "microgpt: the whole GPT on scalars, printing what Karpathy's microgpt.py prints";
    type Config = config::Config;
    type Sample = config::SampleConfig;
    type Model = model::Gpt;
    type Extra = Extra;

    fn validate(config: &Self::Config) -> Result<()> {
        config.validate()
    }

    fn validate_sample(sample: &Self::Sample) -> Result<()> {
        sample.validate()
    }

    fn train(
        config: &Self::Config,
        data: &Path,
        saver: &Saver,
        out: &mut dyn Write,
    ) -> Result<Trained<Self::Model>> {
        train::train(config, data, saver, out)
    }

    fn named_parameters(model: &Self::Model) -> Vec<NamedTensor> {
        model.named_parameters()
    }

    fn from_checkpoint(ckpt: &Checkpoint<Saved<Self::Config>>) -> Result<Self::Model> {
        model::Gpt::from_checkpoint(ckpt)
    }

    fn sample(
        model: &Self::Model,
        vocab: &Vocab,
        sample: &Self::Sample,
        rng: &mut PyRandom,
        out: &mut dyn Write,
    ) -> Result<()> {
        sample::print_samples(model, vocab, sample, rng, out)
    }

    fn extra(command: Self::Extra, out: &mut dyn Write) -> Result<()> {
        match command {
            Extra::Figure(args) => args.run(out),
        }
    }
}

/// microgpt's own subcommand.
#[derive(Debug, clap::Subcommand)]
pub enum Extra {
    /// Train the default run and draw its 1,000 losses over microgpt.py's (from the Python's output).
    Figure(parity_figure::FigureArgs),
}
