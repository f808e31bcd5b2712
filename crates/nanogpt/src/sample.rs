//! Sampling: run the model on the context, turn the last position's logits into probabilities
//! (temperature, top-k), draw the next token, append it, repeat. A name ends at its end token (BOS);
//! text goes on for `max_new_tokens`, the context cropped to the last `block_size` tokens.

use std::io::Write;

use anyhow::{Result, ensure};
use autograd::TensorTape;
use harness::pyrandom::ChoicesError;
use harness::{PyRandom, Vocab};

use crate::config::SampleConfig;
use crate::data::Source;
use crate::model::{Gpt, Mode};

// ANCHOR: next_token
/// Draws the token that follows `context`: softmax(logits / temperature) over the `top_k` most likely
/// tokens (all of them when `top_k` is 0).
pub fn next_token(
    model: &Gpt,
    context: &[usize],
    cfg: &SampleConfig,
    rng: &mut PyRandom,
) -> Result<usize, ChoicesError> {
    let (_scope, _no_grad) = (TensorTape::scope(), TensorTape::no_grad());
    let v = model.config.vocab_size;
    let logits = model.forward(context, 1, context.len(), &mut Mode::Eval); // (1, T, V)
    let last = logits.with_data(|d| d[d.len() - v..].to_vec()); // the prediction after the last token
    let mut scaled: Vec<f64> = last.iter().map(|&l| l as f64 / cfg.temperature).collect();
    if cfg.top_k > 0 && cfg.top_k < v {
        let mut sorted = scaled.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let kth = sorted[cfg.top_k - 1];
        scaled.iter_mut().filter(|l| **l < kth).for_each(|l| *l = f64::NEG_INFINITY);
    }
    let max = scaled.iter().fold(f64::NEG_INFINITY, |m, &l| m.max(l));
    let weights: Vec<f64> = scaled.iter().map(|&l| (l - max).exp()).collect();
    rng.try_choices(&weights) // an error, not a panic, for NaN weights
}
// ANCHOR_END: next_token

/// One sample: a name that starts with the prompt, or the prompt and `max_new_tokens` characters of
/// text after it.
pub fn sample(model: &Gpt, vocab: &Vocab, cfg: &SampleConfig, rng: &mut PyRandom) -> Result<String> {
    let t = model.config.block_size;
    let prompt = vocab.encode(&cfg.prompt)?;
    match model.config.source {
        Source::Names => {
            ensure!(
                prompt.len() < t,
                "--prompt has {} characters; names are at most {}",
                prompt.len(),
                t - 1
            );
            let mut context = vec![vocab.bos()];
            context.extend(&prompt);
            while context.len() <= t {
                let next = next_token(model, &context, cfg, rng)?;
                if next == vocab.bos() {
                    break;
                }
                context.push(next);
            }
            Ok(vocab.decode(&context[1..]))
        }
        Source::Text => {
            let mut context = prompt;
            if context.is_empty() {
                // nanoGPT starts from a newline; a text without one starts from its first character.
                context.push(vocab.stoi('\n').unwrap_or(0));
            }
            for _ in 0..cfg.max_new_tokens {
                let window = &context[context.len().saturating_sub(t)..];
                let next = next_token(model, window, cfg, rng)?;
                context.push(next);
            }
            Ok(vocab.decode(&context))
        }
    }
}

/// Prints `cfg.num_samples` names, numbered; or texts, separated by a rule as nanoGPT's sample.py does.
pub fn print_samples(
    model: &Gpt,
    vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
    out: &mut dyn Write,
) -> Result<()> {
    cfg.validate()?;
    if model.config.source == Source::Names {
        writeln!(out, "--- samples ---")?;
    }
    for i in 0..cfg.num_samples {
        let s = sample(model, vocab, cfg, rng)?;
        match model.config.source {
            Source::Names => writeln!(out, "sample {:2}: {s}", i + 1)?,
            Source::Text if i == 0 => writeln!(out, "{s}")?,
            Source::Text => writeln!(out, "---------------\n{s}")?,
        }
    }
    Ok(())
}
