//! Sampling: run the model on the context, turn the last position's logits into probabilities
//! (temperature, top-k), draw the next token, append it, repeat. A name ends at its end token (BOS);
//! text goes on for `max_new_tokens`, the context cropped to the last `block_size` tokens. By default
//! the logits come from a KV cache ([`crate::kv_cache`]) while the sequence fits in `block_size`;
//! `--kv-cache false` recomputes the whole window for every token, as `next_token` shows.

use std::io::Write;

use anyhow::{Result, ensure};
use autograd::TensorTape;
use harness::pyrandom::ChoicesError;
use harness::{PyRandom, Vocab};

use crate::config::SampleConfig;
use crate::data::Source;
use crate::kv_cache::KvCache;
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
    draw(&last_logits(model, context), cfg, rng)
}

/// The logits (V) of the token after `context`: the whole context through the model, the last
/// position's prediction kept.
pub fn last_logits(model: &Gpt, context: &[usize]) -> Vec<f32> {
    let (_scope, _no_grad) = (TensorTape::scope(), TensorTape::no_grad());
    let v = model.config.vocab_size;
    let logits = model.forward(context, 1, context.len(), &mut Mode::Eval); // (1, T, V)
    logits.with_data(|d| d[d.len() - v..].to_vec()) // the prediction after the last token
}

/// Draws a token from `logits` (V): softmax(logits / temperature) over the `top_k` largest.
pub fn draw(logits: &[f32], cfg: &SampleConfig, rng: &mut PyRandom) -> Result<usize, ChoicesError> {
    let mut scaled: Vec<f64> = logits.iter().map(|&l| l as f64 / cfg.temperature).collect();
    if cfg.top_k > 0 && cfg.top_k < logits.len() {
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

/// Where the logits of the next token come from: the whole window through the model every time
/// (`next_token`'s way), or the KV cache while the sequence still fits in `block_size` (see
/// [`kv_cache`](crate::kv_cache) for why not after).
pub struct Predictor<'a> {
    model: &'a Gpt,
    cache: Option<KvCache>,
}

impl<'a> Predictor<'a> {
    /// With a KV cache if `kv_cache`, else recomputing.
    pub fn new(model: &'a Gpt, kv_cache: bool) -> Predictor<'a> {
        Predictor { model, cache: kv_cache.then(|| KvCache::new(model)) }
    }

    /// Starts a new sequence (the cached positions belong to the last one).
    pub fn reset(&mut self) {
        self.cache.iter_mut().for_each(KvCache::clear);
    }

    /// The logits (V) of the token after the whole `context` of this sequence, which only grows between
    /// resets: the prediction from its last `block_size` tokens, as nanoGPT crops it.
    pub fn logits(&mut self, context: &[usize]) -> Vec<f32> {
        let t = self.model.config.block_size;
        match &mut self.cache {
            Some(cache) if context.len() <= t => cache.logits(self.model, context).to_vec(),
            _ => last_logits(self.model, &context[context.len().saturating_sub(t)..]),
        }
    }
}

/// One sample: a name that starts with the prompt, or the prompt and `max_new_tokens` characters of
/// text after it.
pub fn sample(model: &Gpt, vocab: &Vocab, cfg: &SampleConfig, rng: &mut PyRandom) -> Result<String> {
    sample_with(&mut Predictor::new(model, cfg.kv_cache), vocab, cfg, rng)
}

/// One sample, the logits from `predictor`.
pub fn sample_with(
    predictor: &mut Predictor,
    vocab: &Vocab,
    cfg: &SampleConfig,
    rng: &mut PyRandom,
) -> Result<String> {
    predictor.reset();
    let t = predictor.model.config.block_size;
    let bpe = predictor.model.tokenizer.clone();
    let prompt = match &bpe {
        Some(bpe) => bpe.encode_ordinary(&cfg.prompt)?.into_iter().map(|id| id as usize).collect(),
        None => vocab.encode(&cfg.prompt)?,
    };
    match predictor.model.config.source {
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
                let next = draw(&predictor.logits(&context), cfg, rng)?;
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
                context.push(match &bpe {
                    Some(_) => b'\n' as usize, // a byte-level BPE's first 256 tokens are the bytes
                    None => vocab.stoi('\n').unwrap_or(0),
                });
            }
            for _ in 0..cfg.max_new_tokens {
                let next = draw(&predictor.logits(&context), cfg, rng)?;
                context.push(next);
            }
            match &bpe {
                // A token may end inside a character: the text shows U+FFFD there.
                Some(bpe) => Ok(bpe.decode_lossy(&context.iter().map(|&id| id as u32).collect::<Vec<_>>())?),
                None => Ok(vocab.decode(&context)),
            }
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
    let mut predictor = Predictor::new(model, cfg.kv_cache);
    for i in 0..cfg.num_samples {
        let s = sample_with(&mut predictor, vocab, cfg, rng)?;
        match model.config.source {
            Source::Names => writeln!(out, "sample {:2}: {s}", i + 1)?,
            Source::Text if i == 0 => writeln!(out, "{s}")?,
            Source::Text => writeln!(out, "---------------\n{s}")?,
        }
    }
    Ok(())
}
