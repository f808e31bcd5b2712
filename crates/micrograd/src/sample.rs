//! Sampling names: start from BOS, draw the next character from the model's probabilities, feed it back,
//! stop at BOS.

use std::io::Write;

use anyhow::Result;
use autograd::Tape;
use harness::{PyRandom, Vocab};

use crate::config::SampleConfig;
use crate::model::{Bigram, softmax};

/// A name that never draws BOS is cut here: a bigram model has no notion of length.
pub const MAX_LEN: usize = 64;

// ANCHOR: sample
/// Draws one name from `model`, each character with `random.choices` over the softmax of the logits.
pub fn sample(model: &Bigram, temperature: f64, rng: &mut PyRandom) -> Result<String> {
    let _sampling = Tape::no_grad(); // nothing here is back-propagated
    let bos = model.vocab.bos();
    let (mut prev, mut name) = (bos, String::new());
    for _ in 0..MAX_LEN {
        let _char = Tape::scope();
        let logits: Vec<_> = model.logits(prev).into_iter().map(|l| l / temperature).collect();
        let probs: Vec<f64> = softmax(&logits).iter().map(|p| p.data()).collect();
        prev = rng.try_choices(&probs)?;
        if prev == bos {
            break;
        }
        name.push(model.vocab.itos(prev));
    }
    Ok(name)
}
// ANCHOR_END: sample

/// Prints `cfg.num_samples` names, numbered.
pub fn print_samples(
    model: &Bigram,
    _vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
    out: &mut dyn Write,
) -> Result<()> {
    cfg.validate()?;
    writeln!(out, "--- samples ---")?;
    for i in 0..cfg.num_samples {
        writeln!(out, "sample {:2}: {}", i + 1, sample(model, cfg.temperature, rng)?)?;
    }
    Ok(())
}
