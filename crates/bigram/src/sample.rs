//! Sampling: start at BOS, draw the next token from row `P[previous]`, stop when BOS comes back.

use std::io::Write;

use anyhow::Result;
use harness::{PyRandom, Vocab};

use crate::config::{SampleConfig, Which};
use crate::model::Bigram;

/// A name that never draws BOS is cut here: a bigram model has no notion of length.
pub const MAX_LEN: usize = 64;

// ANCHOR: sample
/// One new name from a table of probabilities `probs` (V, V), e.g. the count model's P or the network's
/// softmax(W): both are "a distribution over the next token, given this one".
pub fn sample(probs: &[f64], vocab: &Vocab, rng: &mut PyRandom) -> Result<String> {
    let v = vocab.len();
    let mut token_id = vocab.bos();
    let mut name = Vec::new();
    for _ in 0..MAX_LEN {
        token_id = rng.try_choices(&probs[token_id * v..][..v])?;
        if token_id == vocab.bos() {
            break;
        }
        name.push(token_id);
    }
    Ok(vocab.decode(&name))
}
// ANCHOR_END: sample

/// Numbered samples from the models `cfg.model` names, side by side, each model drawing from its own
/// copy of the same random stream: models that learned the same table print the same names.
pub fn print_samples(
    model: &Bigram,
    vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
    out: &mut dyn Write,
) -> Result<()> {
    cfg.validate()?;
    let counts = (cfg.model != Which::Neural).then(|| ("counts", model.counts.probs(model.config.smoothing)));
    let neural = (cfg.model != Which::Counts).then(|| ("neural", model.probs()));
    let models: Vec<(&str, Vec<f64>)> = counts.into_iter().chain(neural).collect();
    let mut rngs = vec![rng.clone(); models.len()];
    writeln!(out, "--- samples ---")?;
    // Columns 19 wide and a space between them, so a longer name never runs into its neighbour.
    let header: Vec<String> = models.iter().map(|(name, _)| format!("{name:<19}")).collect();
    writeln!(out, "           {}", header.join(" ").trim_end())?;
    for i in 0..cfg.num_samples {
        let names = models.iter().zip(&mut rngs).map(|((_, p), rng)| sample(p, vocab, rng));
        let row = names.map(|name| Ok(format!("{:<19}", name?))).collect::<Result<Vec<String>>>()?;
        writeln!(out, "sample {:2}: {}", i + 1, row.join(" ").trim_end())?;
    }
    Ok(())
}
