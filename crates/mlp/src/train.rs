//! Training: build the (context → next character) examples of each split, then minibatch SGD, with the
//! whole train and validation splits measured every so often.

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
use crate::model::Mlp;

/// The run log gets one line per this many steps: the mean minibatch loss over them.
pub const LOG_EVERY: usize = 1000;

// ANCHOR: examples
/// Examples of one split: `x` holds `block_size` token ids per example (row-major), `y` the next one.
pub struct Examples {
    pub x: Vec<usize>,
    pub y: Vec<usize>,
}

impl Examples {
    /// makemore's `build_dataset`: slide a window of `block_size` tokens over each word, starting from a
    /// context of all BOS (`...`), so "emma" gives `... → e`, `..e → m`, `.em → m`, `emm → a`, `mma → .`.
    pub fn new(words: &[Vec<usize>], block_size: usize, bos: usize) -> Examples {
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for word in words {
            let mut context = vec![bos; block_size];
            // `word` is [BOS, c1, …, ck, BOS]: predict every token after the first.
            for &ix in &word[1..] {
                x.extend_from_slice(&context);
                y.push(ix);
                context.rotate_left(1);
                context[block_size - 1] = ix;
            }
        }
        Examples { x, y }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}
// ANCHOR_END: examples

/// The words, tokenised and split the canonical 80/10/10 way, as examples.
pub struct Dataset {
    pub vocab: Vocab,
    pub train: Examples,
    pub val: Examples,
    pub test: Examples,
}

impl Dataset {
    /// The vocabulary is every character of `docs`, so val and test words encode too.
    pub fn new(docs: &[String], block_size: usize) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let examples = |words: &[String]| -> Result<Examples> {
            let words: Vec<Vec<usize>> = words
                .iter()
                .map(|d| vocab.encode_with_bos(d).map_err(anyhow::Error::from))
                .collect::<Result<_>>()?;
            Ok(Examples::new(&words, block_size, vocab.bos()))
        };
        let split = Split::new(docs);
        ensure!(
            !split.train.is_empty() && !split.val.is_empty(),
            "{} words are too few to split 80/10/10 into training and validation words",
            docs.len()
        );
        Ok(Dataset {
            train: examples(&split.train)?,
            val: examples(&split.val)?,
            test: examples(&split.test)?,
            vocab,
        })
    }
}

/// Mean loss over all of `data` (no gradients; batch norm uses its running statistics).
pub fn evaluate(model: &mut Mlp, data: &Examples) -> f64 {
    let _no_grad = TensorTape::no_grad();
    let t = model.config.block_size;
    let mut total = 0.0;
    // In chunks, so the hidden activations of 180,000 examples never sit in memory at once.
    for (x, y) in data.x.chunks(4096 * t).zip(data.y.chunks(4096)) {
        let _scope = TensorTape::scope();
        total += model.loss(x, y, false).item() as f64 * y.len() as f64;
    }
    total / data.len() as f64
}

// ANCHOR: batch
/// A minibatch: `batch_size` examples drawn uniformly with replacement (`torch.randint`).
pub fn minibatch(
    data: &Examples,
    batch_size: usize,
    block_size: usize,
    rng: &mut PyRandom,
) -> (Vec<usize>, Vec<usize>) {
    let (mut x, mut y) = (Vec::with_capacity(batch_size * block_size), Vec::with_capacity(batch_size));
    for _ in 0..batch_size {
        let i = rng.randbelow(data.len() as u64) as usize;
        x.extend_from_slice(&data.x[i * block_size..][..block_size]);
        y.push(data.y[i]);
    }
    (x, y)
}
// ANCHOR_END: batch

/// Builds the model for `data`'s vocabulary, its weights drawn from `rng`.
pub fn build(model: &ModelConfig, train: &TrainConfig, data: &Dataset, rng: &mut PyRandom) -> Result<Mlp> {
    let config = ModelConfig { vocab_size: data.vocab.len(), ..model.clone() };
    config.validate()?;
    train.validate()?;
    ensure!(
        !config.uses_batchnorm() || train.batch_size > 1,
        "batch norm needs --batch-size of at least 2 (a batch of one has no spread to normalise by)"
    );
    Ok(Mlp::new(config, train, rng))
}

/// Where training writes its run log (nothing is written when `None`), and how it reports progress.
pub struct Outputs<'a> {
    pub run_log: Option<&'a Path>,
    pub progress: Progress,
}

/// The learning rate of step `step` (0-based): `lr` for the first half, `lr / 10` after.
pub fn learning_rate(cfg: &TrainConfig, step: usize) -> f64 {
    if step < cfg.steps / 2 { cfg.learning_rate } else { cfg.learning_rate / 10.0 }
}

/// The losses at the end of training.
#[derive(Debug, Clone, Copy)]
pub struct Losses {
    pub train: f64,
    pub val: f64,
}

// ANCHOR: training
/// Trains `model` by minibatch SGD. Minibatches are drawn from `rng`. Returns the final losses.
pub fn train(
    model: &mut Mlp,
    data: &Dataset,
    cfg: &TrainConfig,
    rng: &mut PyRandom,
    outputs: Outputs,
) -> Result<Losses> {
    let mut log = outputs.run_log.map(RunLogWriter::create).transpose()?;
    let mut progress = outputs.progress;
    let t = model.config.block_size;
    let mut sgd = Sgd::new(&model.params(), cfg.learning_rate as f32);
    let (start, mut window) = (Instant::now(), Vec::new());
    let mut losses = Losses { train: f64::NAN, val: f64::NAN };

    for step in 0..cfg.steps {
        let scope = TensorTape::scope();
        let (xb, yb) = minibatch(&data.train, cfg.batch_size, t, rng);
        let loss = model.loss(&xb, &yb, true);
        loss.backward();
        sgd.set_lr(learning_rate(cfg, step) as f32);
        sgd.step();
        sgd.zero_grad();
        let loss = loss.item() as f64;
        drop(scope);

        if !loss.is_finite() {
            bail!("the loss became {loss} at step {}: lower --learning-rate", step + 1);
        }
        progress.step(step, loss);
        window.push(loss);

        let last = step + 1 == cfg.steps;
        let eval = last || (cfg.eval_interval > 0 && (step + 1).is_multiple_of(cfg.eval_interval));
        if eval {
            losses = Losses { train: evaluate(model, &data.train), val: evaluate(model, &data.val) };
            progress.println(format!(
                "step {} | train loss {:.4} | val loss {:.4}",
                step + 1,
                losses.train,
                losses.val
            ));
        }
        if let Some(log) = log.as_mut()
            && (eval || (step + 1).is_multiple_of(LOG_EVERY))
        {
            let train_loss = window.iter().sum::<f64>() / window.len() as f64;
            window.clear();
            log.append(&Record {
                stage: "mlp".into(),
                step: step + 1,
                tokens_seen: ((step + 1) * cfg.batch_size) as u64,
                elapsed_s: start.elapsed().as_secs_f64(),
                train_loss: Some(train_loss),
                val_loss: eval.then_some(losses.val),
            })
            .context("writing the run log")?;
        }
    }
    progress.finish();
    Ok(losses)
}
// ANCHOR_END: training

/// The learning-rate finder of makemore part 2: one step at each learning rate from `min_lr` to
/// `max_lr`, spaced evenly in log10, on a fresh model. Returns (log10 lr, minibatch loss) per step.
pub fn lr_find(
    model: &mut Mlp,
    data: &Dataset,
    batch_size: usize,
    (min_lr, max_lr): (f64, f64),
    steps: usize,
    rng: &mut PyRandom,
) -> Result<Vec<(f64, f64)>> {
    let t = model.config.block_size;
    let mut sgd = Sgd::new(&model.params(), 0.0);
    let (lo, hi) = (min_lr.log10(), max_lr.log10());
    let mut points = Vec::with_capacity(steps);
    for i in 0..steps {
        let lre = lo + (hi - lo) * i as f64 / (steps.max(2) - 1) as f64;
        let _scope = TensorTape::scope();
        let (xb, yb) = minibatch(&data.train, batch_size, t, rng);
        let loss = model.loss(&xb, &yb, true);
        loss.backward();
        sgd.set_lr(10f64.powf(lre) as f32);
        sgd.step();
        sgd.zero_grad();
        let loss = loss.item() as f64;
        if !loss.is_finite() {
            break; // past the cliff: the rest of the sweep would only show NaN
        }
        points.push((lre, loss));
    }
    Ok(points)
}
