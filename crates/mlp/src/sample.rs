//! Sampling: start from a context of all BOS, draw the next token from the model's softmax, slide the
//! window along, stop when BOS comes back.

use autograd::TensorTape;
use harness::pyrandom::{ChoicesError, PyRandom};
use harness::vocab::Vocab;

use crate::config::SampleConfig;
use crate::model::Mlp;

// ANCHOR: sample
/// One new name.
pub fn sample(model: &mut Mlp, vocab: &Vocab, rng: &mut PyRandom) -> Result<String, ChoicesError> {
    let _no_grad = TensorTape::no_grad();
    let mut context = vec![vocab.bos(); model.config.block_size];
    let mut name = Vec::new();
    loop {
        let _scope = TensorTape::scope();
        let probs = model.forward(&context, false, None).softmax(); // (1, vocab_size)
        let weights: Vec<f64> = probs.data().iter().map(|&p| p as f64).collect();
        let ix = rng.try_choices(&weights)?; // an error, not a panic, for NaN weights
        if ix == vocab.bos() {
            break;
        }
        name.push(ix);
        context.rotate_left(1);
        *context.last_mut().expect("block_size ≥ 1") = ix;
    }
    Ok(vocab.decode(&name))
}
// ANCHOR_END: sample

/// Numbered samples.
pub fn print_samples(
    model: &mut Mlp,
    vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    writeln!(out, "\n--- samples ---")?;
    for i in 0..cfg.num_samples {
        let name = sample(model, vocab, rng).map_err(std::io::Error::other)?;
        writeln!(out, "sample {:2}: {name}", i + 1)?;
    }
    Ok(())
}
