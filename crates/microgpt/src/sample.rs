//! Inference: may the model babble back to us. Start from BOS, sample a token from the
//! temperature-scaled distribution, feed it back, stop at BOS or at the end of the context.

use std::io::Write;

use anyhow::Result;
use autograd::{Tape, Value};
use harness::{PyRandom, Vocab};

use crate::config::SampleConfig;
use crate::model::{Gpt, softmax};

// ANCHOR: sample
/// One new name. `random.choices` over the probabilities, exactly as microGPT draws it.
pub fn sample(model: &Gpt, vocab: &Vocab, temperature: f64, rng: &mut PyRandom) -> Result<String> {
    let (_scope, _no_grad) = (Tape::scope(), Tape::no_grad());
    let (mut keys, mut values) = (vec![vec![]; model.config.n_layer], vec![vec![]; model.config.n_layer]);
    let mut token_id = vocab.bos();
    let mut sample = Vec::new();
    for pos_id in 0..model.config.block_size {
        let logits = model.gpt(token_id, pos_id, &mut keys, &mut values);
        let scaled: Vec<Value> = logits.iter().map(|&l| l / temperature).collect();
        let weights: Vec<f64> = softmax(&scaled).iter().map(|p| p.data()).collect();
        token_id = rng.try_choices(&weights)?; // an error, not a panic, for NaN weights
        if token_id == vocab.bos() {
            break;
        }
        sample.push(token_id);
    }
    Ok(vocab.decode(&sample))
}

/// microGPT's inference section: a header, then numbered samples.
pub fn print_samples(
    model: &Gpt,
    vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
    out: &mut dyn Write,
) -> Result<()> {
    cfg.validate()?;
    writeln!(out, "\n--- inference (new, hallucinated names) ---")?;
    for i in 0..cfg.num_samples {
        writeln!(out, "sample {:2}: {}", i + 1, sample(model, vocab, cfg.temperature, rng)?)?;
    }
    Ok(())
}
// ANCHOR_END: sample
