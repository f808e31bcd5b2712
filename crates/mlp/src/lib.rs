//! Stage 3, mlp: embeddings, a context window and a hidden layer (Bengio et al. 2003).
//!
//! makemore parts 2, 3 and 5. Each character gets a learned vector (an embedding); the model reads the
//! last `block_size` of them, concatenated, through a tanh hidden layer to logits for the next
//! character, trained on minibatches ([`model`], [`train`]). Then the fixes of part 3 (initialisation
//! scaled to keep tanh alive, batch norm) and part 5's WaveNet-style hierarchy, which fuses the context
//! two neighbours at a time. Part 2's learning-rate finder is [`lr_find`]; the lecture's plots, [`figures`].
#![forbid(unsafe_code)]

pub mod config;
pub mod data;
pub mod figures;
pub mod lr_find;
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
pub const STAGE: &str = "mlp";

/// This stage, for the command line every stage shares.
pub struct Stage;

impl harness::cli::Stage for Stage {
    const NAME: &'static str = STAGE;
    const ABOUT: &'static str =
        "mlp: embeddings, a context window and a hidden layer (makemore parts 2, 3 and 5)";
    type Config = config::Config;
    type Sample = config::SampleConfig;
    type Model = model::Mlp;
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
        model::Mlp::from_checkpoint(ckpt)
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
            Extra::LrFind(args) => lr_find::run(&args, out),
            Extra::Figures(args) => figures::run(&args, out),
        }
    }
}

/// The mlp lecture's own tools.
#[derive(Debug, clap::Subcommand)]
pub enum Extra {
    /// Sweep the learning rate over one short run and plot the loss against it (PNG and SVG).
    LrFind(lr_find::LrFindArgs),
    /// Draw a trained model's figures: loss curve, embeddings, tanh activation histograms.
    Figures(figures::FiguresArgs),
}
