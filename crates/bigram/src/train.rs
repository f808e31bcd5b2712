//! Training: count the bigrams of the training words (one pass), then fit the neural bigram to the same
//! words by full-batch gradient descent on the negative log-likelihood.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use autograd::TensorTape;
use autograd::optim::{Optimizer, Sgd};
use harness::cli::Trained;
use harness::run::Saver;
use harness::{PyRandom, Run};

use crate::config::{Config, ModelConfig};
use crate::data::{Dataset, pairs};
use crate::model::{Bigram, Counts, nll};

// ANCHOR: training
/// Counts the training words, then trains the neural bigram on them, evaluating on the validation words
/// every `eval_interval` steps, logging both models and checkpointing through `saver`.
pub fn train(config: &Config, data: &Path, saver: &Saver, out: &mut dyn Write) -> Result<Trained<Bigram>> {
    config.validate()?;
    let docs = harness::load_docs(data)?;
    let data = Dataset::new(&docs)?;
    let (cfg, v) = (&config.train, data.vocab.len());
    let model_config = ModelConfig { vocab_size: v, ..config.model.clone() };
    model_config.check_memory(data.train.iter().map(|w| w.len().saturating_sub(1)).sum())?;
    writeln!(
        out,
        "words: {} (train {}, val {}, test {}); vocab size: {v}",
        data.all.len(),
        data.train.len(),
        data.val.len(),
        data.test.len()
    )?;

    let (counts, c) = fit_counts(&data, model_config.smoothing);
    writeln!(out, "count model (smoothing {}):", model_config.smoothing)?;
    writeln!(out, "  train {:.4} | val {:.4} | test {:.4}", c.train, c.val, c.test)?;
    writeln!(out, "  whole file {:.6} over {} predictions", c.all, harness::split::n_predictions(&docs))?;

    let model = Bigram::new(&model_config, counts, &mut PyRandom::new(cfg.seed));
    writeln!(out, "neural model: {} parameters, lr {}, reg {}", model.w.numel(), cfg.learning_rate, cfg.reg)?;
    let (xs, ys) = pairs(&data.train);
    let mut run = Run::new("bigram-neural", cfg.steps, cfg.eval_interval, Some(saver))?;
    // The count model "trains" in one pass over the training bigrams.
    run.record("bigram-counts", 1, xs.len() as u64, Some(c.train), Some(c.val))?;
    let mut sgd = Sgd::new(&[model.w], cfg.learning_rate as f32);
    for step in 0..cfg.steps {
        let scope = TensorTape::scope();
        // Forward: logits, softmax, −log p[target], averaged; plus the pull of W toward zero.
        let loss = model.loss(&xs, &ys, cfg.reg as f32);
        // Backward, then one step downhill: W -= lr · ∂loss/∂W.
        loss.backward();
        sgd.step();
        sgd.zero_grad();
        let loss = loss.item() as f64;
        drop(scope);
        if run.step(step, loss, xs.len())? {
            run.eval(step, evaluate(&model, &data.val))?;
            run.checkpoint(&model.named_parameters(), &data.vocab, &PyRandom::new(cfg.seed))?;
        }
        if run.stopping() {
            break; // Ctrl-C: keep what was learned so far
        }
    }
    run.finish()?;
    let (train, val) = (evaluate(&model, &data.train), evaluate(&model, &data.val));
    writeln!(
        out,
        "  train {train:.4} | val {val:.4} (count model: train {:.4} | val {:.4})",
        c.train, c.val
    )?;
    Ok(Trained { rng: PyRandom::new(cfg.seed), vocab: data.vocab, model })
}
// ANCHOR_END: training

// ANCHOR: fit_counts
/// The count model's losses on each split and on the whole file.
#[derive(Debug, Clone, Copy)]
pub struct CountLosses {
    pub train: f64,
    pub val: f64,
    pub test: f64,
    /// Counted on every word and measured on every word, as in the lecture.
    pub all: f64,
}

/// Counts the training words (and, for the whole-file number, all of them) and measures the loss.
pub fn fit_counts(data: &Dataset, smoothing: f64) -> (Counts, CountLosses) {
    let v = data.vocab.len();
    let counts = Counts::from_words(&data.train, v);
    let p = counts.probs(smoothing);
    let all = nll(&Counts::from_words(&data.all, v).probs(smoothing), v, &data.all);
    let losses = CountLosses {
        train: nll(&p, v, &data.train),
        val: nll(&p, v, &data.val),
        test: nll(&p, v, &data.test),
        all,
    };
    (counts, losses)
}
// ANCHOR_END: fit_counts

/// Mean loss per predicted token of the neural bigram over `words` (no gradients).
pub fn evaluate(model: &Bigram, words: &[Vec<usize>]) -> f64 {
    let _no_grad = TensorTape::no_grad();
    let _scope = TensorTape::scope();
    let (xs, ys) = pairs(words);
    model.loss(&xs, &ys, 0.0).item() as f64
}
