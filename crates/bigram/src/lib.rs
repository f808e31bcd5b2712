//! Stage 2 — bigram: the simplest language model, learned twice.
//!
//! makemore part 1. Count how often each character follows each other one, normalise the counts into
//! probabilities, and sample names one character at a time. Then build the same model as a neural
//! network — one-hot input, one weight matrix, softmax — and train it by gradient descent on the
//! negative log-likelihood: it ends where counting started, because both maximise the same likelihood.
#![forbid(unsafe_code)]

pub mod config;
pub mod data;
pub mod heatmap;
pub mod model;
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
pub const STAGE: &str = "bigram";

/// This stage, for the command line every stage shares.
pub struct Stage;

impl harness::cli::Stage for Stage {
    const NAME: &'static str = STAGE;
    const ABOUT: &'static str =
        "bigram: the bigram language model, counted and then learned (makemore part 1)";
    type Config = config::Config;
    type Sample = config::SampleConfig;
    type Model = model::Bigram;
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
        model::Bigram::from_checkpoint(ckpt)
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
            Extra::Heatmap(args) => args.run(out),
        }
    }
}

/// bigram's own figure.
#[derive(Debug, clap::Subcommand)]
pub enum Extra {
    /// Draw the count table N as a heatmap, every cell labelled (PNG and SVG).
    Heatmap(heatmap::HeatmapArgs),
}
