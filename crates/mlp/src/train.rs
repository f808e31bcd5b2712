//! Training the names model: minibatch SGD on (context → next character) examples, the learning rate
//! cut tenfold halfway.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use autograd::TensorTape;
use autograd::optim::{Optimizer, Sgd};
use harness::cli::Trained;
use harness::run::Saver;
use harness::{PyRandom, Run};

use crate::config::{Config, ModelConfig, TrainConfig};
use crate::data::{Dataset, Examples, minibatch};
use crate::model::Mlp;

/// Trains a fresh model on the training examples of `data`, evaluating on the validation examples every
/// `eval_interval` steps, logging and checkpointing through `saver`.
pub fn train(config: &Config, data: &Path, saver: &Saver, out: &mut dyn Write) -> Result<Trained<Mlp>> {
    config.validate()?;
    let data = Dataset::new(&harness::load_docs(data)?, config.model.block_size)?;
    let cfg = &config.train;
    let model_config = ModelConfig { vocab_size: data.vocab.len(), ..config.model.clone() };
    model_config.check_memory(cfg.batch_size)?;
    // One random stream, as in the lecture: the initial weights, then the minibatches, then sampling.
    let mut rng = PyRandom::new(cfg.seed);
    let model = Mlp::new(&model_config, &mut rng);
    writeln!(
        out,
        "examples: {} train, {} val; {} parameters",
        data.train.len(),
        data.val.len(),
        model.num_params()
    )?;
    let mut run = Run::new(crate::STAGE, cfg.steps, cfg.eval_interval, Some(saver))?;
    let mut sgd = Sgd::new(&model.parameters(), cfg.learning_rate as f32);
    // ANCHOR: step
    for step in 0..cfg.steps {
        let _step = TensorTape::scope(); // everything below but the parameters is freed at the end of the step
        let (xb, yb) = minibatch(&data.train, cfg.batch_size, &mut rng);
        let loss = model.loss(&xb, &yb, true);
        loss.backward();
        sgd.set_lr(learning_rate(cfg, step) as f32);
        sgd.step();
        sgd.zero_grad();
        if run.step(step, loss.item() as f64, cfg.batch_size)? {
            run.eval(step, evaluate(&model, &data.val))?;
            run.checkpoint(&model.named_parameters(), &data.vocab, &rng)?;
        }
        if run.stopping() {
            break; // Ctrl-C: keep what was learned so far
        }
    }
    run.finish()?;
    // The chapter's numbers: the loss on the whole of each split, where a minibatch's loss is noisy.
    let (train_loss, val_loss) = (evaluate(&model, &data.train), evaluate(&model, &data.val));
    writeln!(out, "train loss {train_loss:.4} | val loss {val_loss:.4}")?;
    // ANCHOR_END: step
    Ok(Trained { rng, vocab: data.vocab, model })
}

// ANCHOR: decay
/// The learning rate of step `step` (0-based): `learning_rate` for the first half, a tenth of it after.
pub fn learning_rate(cfg: &TrainConfig, step: usize) -> f64 {
    if step < cfg.steps / 2 { cfg.learning_rate } else { cfg.learning_rate / 10.0 }
}
// ANCHOR_END: decay

// ANCHOR: evaluate
/// The mean loss over every example of `split`, forward only (batch norm uses its running statistics).
pub fn evaluate(model: &Mlp, split: &Examples) -> f64 {
    let _eval = TensorTape::no_grad();
    let t = split.block_size;
    let mut total = 0.0;
    // In chunks, so the hidden activations of 180,000 examples never sit in memory at once.
    for (x, y) in split.x.chunks(4096 * t).zip(split.y.chunks(4096)) {
        let _chunk = TensorTape::scope();
        total += model.loss(x, y, false).item() as f64 * y.len() as f64;
    }
    total / split.len() as f64
}
// ANCHOR_END: evaluate
