//! Stage 4, nanoGPT: a GPT on tensors.
//!
//! The MLP of the last stage looked at a fixed window of characters. Attention lets every position
//! look back at every earlier one and choose what to take from each, and a stack of such blocks is
//! GPT-2 ([`model`], in the order of nanoGPT's model.py). Everything runs on whole (B, T, C) tensors, so
//! a step trains on 32 names at once ([`train`], nanoGPT's train.py) — and with microGPT's choices and
//! weights it computes exactly microGPT's numbers ([`equivalence`]).
#![forbid(unsafe_code)]

pub mod attention_map;
pub mod bench;
pub mod config;
pub mod data;
pub mod equivalence;
pub mod export;
pub mod kv_cache;
pub mod loss_curve;
pub mod model;
pub mod resume;
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
pub const STAGE: &str = "nanogpt";

/// This stage, for the command line every stage shares.
pub struct Stage;

impl harness::cli::Stage for Stage {
    const NAME: &'static str = STAGE;
    const ABOUT: &'static str =
        "nanogpt: a GPT on tensors, nanoGPT's model and trainer, on names or any text";
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
            Extra::Bench(args) => bench::run(&args, out),
            Extra::Attention(args) => args.run(out),
            Extra::LossCurve(args) => args.run(out),
            Extra::Export(args) => export::run(&args, out),
        }
    }
}

/// nanogpt's own subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Extra {
    /// Time training steps of a fresh model (`cargo xtask bench` times PyTorch beside it), and sampling
    /// with and without the KV cache.
    Bench(bench::BenchArgs),
    /// Draw every head's attention weights on one name or snippet of text, as heatmaps.
    Attention(attention_map::AttentionArgs),
    /// Draw a run's train and val losses against its steps, from its run log.
    LossCurve(loss_curve::LossCurveArgs),
    /// Write a checkpoint's weights under PyTorch nanoGPT's names (model.py's state_dict), as
    /// FILE.safetensors with a FILE.json config beside it.
    Export(export::ExportArgs),
}
