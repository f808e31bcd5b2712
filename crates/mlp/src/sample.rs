//! Sampling names: start from a context of all BOS, draw the next character from the model's softmax,
//! slide the window along, stop at BOS.

use std::io::Write;

use anyhow::Result;
use autograd::TensorTape;
use harness::{PyRandom, Vocab};

use crate::config::SampleConfig;
use crate::model::Mlp;

/// A name that never draws BOS is cut here (a model that learned anything ends names long before).
pub const MAX_LEN: usize = 64;

// ANCHOR: sample
/// Draws one name from `model`, each character with `random.choices` over the softmax of the logits.
pub fn sample(model: &Mlp, vocab: &Vocab, temperature: f64, rng: &mut PyRandom) -> Result<String> {
    let _sampling = TensorTape::no_grad(); // nothing here is back-propagated
    let bos = vocab.bos();
    let (mut context, mut name) = (vec![bos; model.config.block_size], String::new());
    for _ in 0..MAX_LEN {
        let _char = TensorTape::scope();
        let logits = model.forward(&context, false, None).data(); // (1, vocab_size)
        // softmax(logits / temperature), unnormalised (`choices` takes weights), in f64 and from the
        // largest logit down, so that even a tiny temperature divides no number into infinity.
        let max = logits.iter().fold(f32::NEG_INFINITY, |m, &l| m.max(l));
        let weights: Vec<f64> = logits.iter().map(|&l| (f64::from(l - max) / temperature).exp()).collect();
        let ix = rng.try_choices(&weights)?;
        if ix == bos {
            break;
        }
        name.push(vocab.itos(ix));
        context.rotate_left(1);
        context[model.config.block_size - 1] = ix;
    }
    Ok(name)
}
// ANCHOR_END: sample

/// Prints `cfg.num_samples` names, numbered.
pub fn print_samples(
    model: &Mlp,
    vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
    out: &mut dyn Write,
) -> Result<()> {
    cfg.validate()?;
    writeln!(out, "--- samples ---")?;
    for i in 0..cfg.num_samples {
        writeln!(out, "sample {:2}: {}", i + 1, sample(model, vocab, cfg.temperature, rng)?)?;
    }
    Ok(())
}
