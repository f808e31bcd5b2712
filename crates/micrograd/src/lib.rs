//! Stage 1, micrograd: a scalar that remembers how it was computed can tell how to change its inputs.
//!
//! [`autograd::Value`] records every `+`, `*` and `tanh` on a tape, and `backward()` runs the chain rule
//! over it in one reverse pass. On that engine alone this crate builds micrograd's neural net ([`nn`]),
//! trains it on two moons ([`moons`]), draws expression graphs ([`graph`]), and, as the first entry in the
//! lineage, a character-level bigram language model on names, one scalar at a time ([`model`]).
#![forbid(unsafe_code)]

pub mod config;
pub mod data;
pub mod graph;
pub mod model;
pub mod moons;
pub mod nn;
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
pub const STAGE: &str = "micrograd";

/// This stage, for the command line every stage shares.
pub struct Stage;

impl harness::cli::Stage for Stage {
    const NAME: &'static str = STAGE;
    const ABOUT: &'static str =
        "micrograd: a scalar autograd engine and a tiny neural net; a bigram on names";
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
            Extra::Moons(args) => moons::run(&args, out),
            Extra::Graph(args) => graph::render::run(&args, out),
        }
    }
}

/// micrograd's own demos.
#[derive(Debug, clap::Subcommand)]
pub enum Extra {
    /// The classic demo: an MLP(2, [16, 16, 1]) learns two moons; draws the decision boundary.
    Moons(moons::MoonsArgs),
    /// Writes the lecture's computation graphs as Graphviz DOT (and SVG, if `dot` is installed) and
    /// prints their gradients.
    Graph(graph::render::GraphArgs),
}
