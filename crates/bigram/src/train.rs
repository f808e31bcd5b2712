//! Training: count the bigrams of the training words (one pass), then fit the neural bigram to the same
//! words by full-batch gradient descent on the negative log-likelihood.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use autograd::TensorTape;
use autograd::optim::{Optimizer, Sgd};
use harness::progress::Progress;
use harness::pyrandom::PyRandom;
use harness::runlog::{Record, RunLogWriter};
use harness::split::Split;
use harness::vocab::Vocab;

use crate::config::{ModelConfig, TrainConfig};
use crate::model::{Bigram, Counts, nll};

/// The words, tokenised: each `[BOS, c1, …, ck, BOS]`, split the canonical 80/10/10 way.
pub struct Dataset {
    pub vocab: Vocab,
    /// Every word of the file, in file order (the lecture counts them all).
    pub all: Vec<Vec<usize>>,
    pub train: Vec<Vec<usize>>,
    pub val: Vec<Vec<usize>>,
    pub test: Vec<Vec<usize>>,
}

impl Dataset {
    /// The vocabulary is every character of `docs`, so val and test words encode too.
    pub fn new(docs: &[String]) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let encode = |words: &[String]| -> Result<Vec<Vec<usize>>> {
            words.iter().map(|d| vocab.encode_with_bos(d).map_err(anyhow::Error::from)).collect()
        };
        let split = Split::new(docs);
        ensure!(
            !split.train.is_empty() && !split.val.is_empty(),
            "{} words are too few to split 80/10/10 into training and validation words",
            docs.len()
        );
        Ok(Dataset {
            all: encode(docs)?,
            train: encode(&split.train)?,
            val: encode(&split.val)?,
            test: encode(&split.test)?,
            vocab,
        })
    }
}

// ANCHOR: pairs
/// The training set of the neural bigram: inputs xs (the current token) and targets ys (the next one),
/// one pair per prediction.
pub fn pairs(words: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    words.iter().flat_map(|w| w.windows(2)).map(|p| (p[0], p[1])).unzip()
}
// ANCHOR_END: pairs

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

/// Mean loss per predicted token of the neural bigram over `words` (no gradients).
pub fn evaluate(model: &Bigram, words: &[Vec<usize>]) -> f64 {
    let _no_grad = TensorTape::no_grad();
    let _scope = TensorTape::scope();
    let (xs, ys) = pairs(words);
    model.loss(&xs, &ys, 0.0).item() as f64
}

/// Builds the neural bigram for `data`'s vocabulary, W drawn from `rng`.
pub fn build(model: &ModelConfig, data: &Dataset, rng: &mut PyRandom) -> Result<Bigram> {
    let config = ModelConfig { vocab_size: data.vocab.len(), ..model.clone() };
    config.validate()?;
    Ok(Bigram::new(config, rng))
}

/// Where training writes its run log (nothing is written when `None`), and how it reports progress.
pub struct Outputs<'a> {
    pub run_log: Option<&'a Path>,
    pub progress: Progress,
}

// ANCHOR: training
/// Trains `model` on every training bigram at once, `cfg.steps` times. Returns the final val loss.
pub fn train(
    model: &Bigram,
    data: &Dataset,
    cfg: &TrainConfig,
    counts: &CountLosses,
    outputs: Outputs,
) -> Result<f64> {
    let mut log = outputs.run_log.map(RunLogWriter::create).transpose()?;
    let mut progress = outputs.progress;
    let (xs, ys) = pairs(&data.train);
    let mut sgd = Sgd::new(&model.params(), cfg.learning_rate as f32);
    let start = Instant::now();
    if let Some(log) = log.as_mut() {
        // The count model "trains" in one pass over the training bigrams.
        log.append(&record("bigram-counts", 1, xs.len(), start, counts.train, Some(counts.val)))
            .context("writing the run log")?;
    }
    let mut val_loss = f64::NAN;
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

        if !loss.is_finite() {
            bail!("the loss became {loss} at step {}: lower --learning-rate", step + 1);
        }
        progress.step(step, loss);
        let last = step + 1 == cfg.steps;
        let eval = last || (cfg.eval_interval > 0 && (step + 1).is_multiple_of(cfg.eval_interval));
        if eval {
            val_loss = evaluate(model, &data.val);
        }
        if let Some(log) = log.as_mut() {
            let tokens = (step + 1) * xs.len();
            log.append(&record("bigram-neural", step + 1, tokens, start, loss, eval.then_some(val_loss)))
                .context("writing the run log")?;
        }
    }
    progress.finish();
    Ok(val_loss)
}
// ANCHOR_END: training

fn record(stage: &str, step: usize, tokens: usize, start: Instant, train: f64, val: Option<f64>) -> Record {
    Record {
        stage: stage.into(),
        step,
        tokens_seen: tokens as u64,
        elapsed_s: start.elapsed().as_secs_f64(),
        train_loss: Some(train),
        val_loss: val,
    }
}
