//! Training the names model: minibatch SGD, one scalar at a time.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use autograd::{Tape, Value};
use harness::cli::Trained;
use harness::run::Saver;
use harness::{PyRandom, Run};

use crate::config::{Config, ModelConfig};
use crate::data::Dataset;
use crate::model::Bigram;
use crate::nn::Module;

/// Trains a fresh model on the training names of `data`, evaluating on the validation names every
/// `eval_interval` steps, logging and checkpointing through `saver`.
pub fn train(config: &Config, data: &Path, saver: &Saver, out: &mut dyn Write) -> Result<Trained<Bigram>> {
    config.validate()?;
    let data = Dataset::new(&harness::load_docs(data)?)?;
    let (cfg, v) = (&config.train, data.vocab.len());
    let model_config = ModelConfig { vocab_size: v, ..config.model.clone() };
    model_config.check_memory_of(cfg.batch_size, &data.train, &data.val)?; // the longest names
    writeln!(
        out,
        "words: {} (train {}, val {}, test {}); vocab size: {v}",
        data.all.len(),
        data.train.len(),
        data.val.len(),
        data.test.len()
    )?;
    let model = Bigram::new(data.vocab.clone(), &model_config, &mut PyRandom::new(cfg.seed));
    writeln!(out, "model: {} parameters, lr {}", model.parameters().len(), cfg.learning_rate)?;
    let mut run = Run::new(crate::STAGE, cfg.steps, cfg.eval_interval, Some(saver))?;
    let params = model.parameters();
    // ANCHOR: step
    for step in 0..cfg.steps {
        let _step = Tape::scope(); // everything below but the parameters is freed at the end of the step
        let batch = (0..cfg.batch_size).map(|i| &data.train[(step * cfg.batch_size + i) % data.train.len()]);
        let losses: Vec<Value> = batch.flat_map(|tokens| model.losses(tokens)).collect();
        let loss = Value::sum(&losses) * (1.0 / losses.len() as f64);
        model.zero_grad();
        loss.backward();
        Value::update(&params, |_, data, grad| *data -= cfg.learning_rate * *grad);
        if run.step(step, loss.data(), losses.len())? {
            run.eval(step, evaluate(&model, &data.val))?;
            run.checkpoint(&model.named_parameters(), &data.vocab, &PyRandom::new(cfg.seed))?;
        }
        if run.stopping() {
            break; // Ctrl-C: keep what was learned so far
        }
    }
    // ANCHOR_END: step
    run.finish()?;
    Ok(Trained { rng: PyRandom::new(cfg.seed), vocab: data.vocab, model })
}

/// The mean loss over every prediction in `docs`, forward only: no edges are recorded for a backward
/// pass, and each document's nodes are freed as soon as its loss is read.
pub fn evaluate(model: &Bigram, docs: &[Vec<usize>]) -> f64 {
    let _eval = Tape::no_grad();
    let (mut total, mut count) = (0.0, 0usize);
    for tokens in docs {
        let _doc = Tape::scope();
        total += model.losses(tokens).iter().map(|l| l.data()).sum::<f64>();
        count += tokens.len() - 1;
    }
    total / count as f64
}
