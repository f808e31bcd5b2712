//! Training: microGPT's loop — one document per step, the loss averaged over its positions, backward,
//! Adam with a linearly decaying learning rate. Prints exactly what microGPT prints.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use autograd::{Tape, Value};
use harness::pyrandom::PyRandom;
use harness::runlog::{Record, RunLogWriter};
use harness::split;
use harness::vocab::Vocab;

use crate::config::{ModelConfig, TrainConfig};
use crate::eval::evaluate;
use crate::model::{Gpt, KvCache, softmax};

/// The data, tokenised: microGPT's dataset and tokenizer sections.
pub struct Dataset {
    pub vocab: Vocab,
    /// Documents in the order training visits them (microGPT's `docs` after `random.shuffle`).
    pub train: Vec<Vec<usize>>,
    /// The canonical split's validation words, which the run log's val loss is measured on.
    pub val: Vec<Vec<usize>>,
}

impl Dataset {
    /// Shuffles with `rng` exactly as microGPT's `random.shuffle(docs)` does (it is the first use of
    /// the random stream, so the initialisation that follows sees the same stream as in Python).
    pub fn new(docs: &[String], rng: &mut PyRandom, held_out: bool) -> Result<Dataset> {
        let vocab = Vocab::from_docs(docs);
        let encode = |d: &String| vocab.encode_with_bos(d).map_err(anyhow::Error::from);
        let mut order: Vec<usize> = (0..docs.len()).collect();
        rng.shuffle(&mut order);
        // The canonical split is a shuffle of its own (seed 42); with --held-out, training skips the
        // words it sets aside for validation and test.
        let canonical = split::shuffled_indices(docs.len());
        let (n1, n2) = split::cuts(docs.len());
        let mut is_train = vec![false; docs.len()];
        for &i in &canonical[..n1] {
            is_train[i] = true;
        }
        let train = order
            .iter()
            .filter(|&&i| !held_out || is_train[i])
            .map(|&i| encode(&docs[i]))
            .collect::<Result<_>>()?;
        let val = canonical[n1..n2].iter().map(|&i| encode(&docs[i])).collect::<Result<_>>()?;
        Ok(Dataset { vocab, train, val })
    }
}

/// The loss of one document (`[BOS, …, BOS]`): the mean over its positions of -log p(next token),
/// and how many positions that is.
pub fn doc_loss(model: &Gpt, tokens: &[usize]) -> (Value, usize) {
    let n = model.config.block_size.min(tokens.len() - 1);
    let mut cache = KvCache::new(model.config.n_layer);
    let losses: Vec<Value> = (0..n)
        .map(|pos_id| {
            let (token_id, target_id) = (tokens[pos_id], tokens[pos_id + 1]);
            let probs = softmax(&model.forward(token_id, pos_id, &mut cache));
            -probs[target_id].ln()
        })
        .collect();
    // May yours be low.
    (Value::sum(&losses) * (1.0 / n as f64), n)
}

// ANCHOR: adam
/// Adam, written out as microGPT writes it: `**` is `powf` (not `powi` or `sqrt`), so every bit
/// matches the Python.
pub struct Adam {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    pub fn new(n_params: usize, beta1: f64, beta2: f64) -> Adam {
        Adam { beta1, beta2, eps: 1e-8, m: vec![0.0; n_params], v: vec![0.0; n_params] }
    }

    pub fn step(&mut self, params: &[Value], lr_t: f64, step: usize) {
        let (beta1, beta2, eps) = (self.beta1, self.beta2, self.eps);
        // The bias corrections are the same for every parameter: the same bits, computed once.
        let t = (step + 1) as f64;
        let (correction1, correction2) = (1.0 - beta1.powf(t), 1.0 - beta2.powf(t));
        Value::update(params, |i, p, grad| {
            let g = *grad;
            self.m[i] = beta1 * self.m[i] + (1.0 - beta1) * g;
            self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g.powf(2.0);
            let m_hat = self.m[i] / correction1;
            let v_hat = self.v[i] / correction2;
            *p -= lr_t * m_hat / (v_hat.powf(0.5) + eps);
            *grad = 0.0;
        });
    }
}
// ANCHOR_END: adam

/// Where training writes its run log (nothing is written when `None`).
pub struct Outputs {
    pub run_log: Option<PathBuf>,
    /// Step lines end in `\r` (rewriting one line, as microGPT does on a terminal) instead of `\n`.
    pub carriage_return: bool,
}

// ANCHOR: training
/// Trains `model` on `data`, printing microGPT's step lines to `out`. Returns the final val loss.
pub fn train(
    model: &Gpt,
    data: &Dataset,
    cfg: &TrainConfig,
    outputs: &Outputs,
    out: &mut impl Write,
) -> Result<f64> {
    let params = model.params();
    let mut adam = Adam::new(params.len(), cfg.beta1, cfg.beta2);
    let mut log = outputs.run_log.as_deref().map(RunLogWriter::create).transpose()?;
    let (start, mut tokens_seen, mut window) = (Instant::now(), 0, Vec::new());
    let end = if outputs.carriage_return { '\r' } else { '\n' };
    let mut val_loss = f64::NAN;

    for step in 0..cfg.steps {
        let scope = Tape::scope();
        // Take a single document; it already carries BOS on both sides.
        let tokens = &data.train[step % data.train.len()];
        // Forward it through the model, all the way to the loss; then backward.
        let (loss, n) = doc_loss(model, tokens);
        loss.backward();
        // Adam, with the learning rate decaying linearly to zero.
        let lr_t = cfg.learning_rate * (1.0 - step as f64 / cfg.steps as f64);
        adam.step(&params, lr_t, step);
        let loss = loss.data();
        drop(scope);

        if !loss.is_finite() {
            bail!("the loss became {loss} at step {}: lower --learning-rate", step + 1);
        }
        write!(out, "step {:4} / {:4} | loss {loss:.4}{end}", step + 1, cfg.steps)?;
        tokens_seen += n as u64;
        window.push(loss);

        let last = step + 1 == cfg.steps;
        let eval = last || (cfg.eval_interval > 0 && (step + 1).is_multiple_of(cfg.eval_interval));
        if eval {
            val_loss = evaluate(model, &data.val);
        }
        if let Some(log) = log.as_mut()
            && (eval || (step + 1).is_multiple_of(10))
        {
            let train_loss = window.iter().sum::<f64>() / window.len() as f64;
            window.clear();
            log.append(&Record {
                stage: "microgpt".into(),
                step: step + 1,
                tokens_seen,
                elapsed_s: start.elapsed().as_secs_f64(),
                train_loss: Some(train_loss),
                val_loss: eval.then_some(val_loss),
            })
            .context("writing the run log")?;
        }
    }
    Ok(val_loss)
}
// ANCHOR_END: training

/// Builds the model microGPT builds for `data`: the vocabulary fixes its input and output size.
pub fn build(model: &ModelConfig, train: &TrainConfig, data: &Dataset, rng: &mut PyRandom) -> Result<Gpt> {
    let config = ModelConfig { vocab_size: data.vocab.len(), ..model.clone() };
    config.validate()?;
    Ok(Gpt::new(config, train.init_std, rng))
}
