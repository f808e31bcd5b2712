//! Training: microGPT's loop — one document per step, the loss averaged over its positions, backward,
//! Adam with a linearly decaying learning rate. Prints exactly what microGPT prints.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Result;
use autograd::{Tape, Value};
use harness::cli::Trained;
use harness::{Progress, PyRandom, Run, run::Saver};

use crate::config::{Config, ModelConfig};
use crate::data::Dataset;
use crate::eval_fast;
use crate::model::{Gpt, softmax};

// ANCHOR: training
/// Trains a fresh model on `data` as microGPT does; sampling continues the run's one random stream.
pub fn train(config: &Config, data: &Path, saver: &Saver, out: &mut dyn Write) -> Result<Trained<Gpt>> {
    let cfg = &config.train; // (the flags were validated before the run directory was made)
    let mut rng = PyRandom::new(cfg.seed);
    let data = Dataset::new(&harness::load_docs(data)?, &mut rng, cfg.held_out)?;
    writeln!(out, "num docs: {}", data.train.len())?;
    writeln!(out, "vocab size: {}", data.vocab.len())?;
    let model_config = ModelConfig { vocab_size: data.vocab.len(), ..config.model.clone() };
    model_config.validate()?; // the size of the model again, now that the vocabulary is known
    let model = Gpt::new(&model_config, &mut rng);
    let params = model.parameters();
    writeln!(out, "num params: {}", params.len())?;
    let end = if std::io::stdout().is_terminal() { '\r' } else { '\n' }; // `\r` redraws the step line
    let progress = Progress::plain(cfg.steps, std::io::sink());
    let mut run = Run::with_progress(crate::STAGE, cfg.steps, cfg.eval_interval, Some(saver), progress)?;
    let (beta1, beta2, eps_adam) = (cfg.beta1, cfg.beta2, 1e-8);
    let (mut m, mut v) = (vec![0.0; params.len()], vec![0.0; params.len()]); // Adam's moment buffers
    let _kernels = cfg.kernels.scope(); // plain or fused nodes: the same numbers either way
    if cfg.eval_interval > 0 && !data.val.is_empty() {
        run.eval_start(eval_fast::evaluate(&model, &data.val))?;
    }
    for step in 0..cfg.steps {
        let _step = Tape::scope(); // the step's graph is freed at its end; the parameters, older, stay
        // Take a single document; it already carries BOS on both sides.
        let tokens = &data.train[step % data.train.len()];
        // Forward it through the model, all the way to the loss; then backward.
        let (loss, n) = doc_loss(&model, tokens);
        loss.backward();
        // Adam, with the learning rate decaying linearly to zero. `**` is `powf`, so every bit matches.
        let lr_t = cfg.learning_rate * (1.0 - step as f64 / cfg.steps as f64);
        let t = (step + 1) as f64; // the bias corrections are the same for every parameter
        let (correction1, correction2) = (1.0 - beta1.powf(t), 1.0 - beta2.powf(t));
        Value::update(&params, |i, p, grad| {
            m[i] = beta1 * m[i] + (1.0 - beta1) * *grad;
            v[i] = beta2 * v[i] + (1.0 - beta2) * grad.powf(2.0);
            let m_hat = m[i] / correction1;
            let v_hat = v[i] / correction2;
            *p -= lr_t * m_hat / (v_hat.powf(0.5) + eps_adam);
            *grad = 0.0;
        });
        write!(out, "step {:4} / {:4} | loss {:.4}{end}", step + 1, cfg.steps, loss.data())?;
        // (A file of fewer than ten names leaves the canonical split no validation words.)
        if run.step(step, loss.data(), n)? && !data.val.is_empty() {
            run.eval(step, eval_fast::evaluate(&model, &data.val))?; // = `evaluate` below, faster
            run.checkpoint(&model.named_parameters(), &data.vocab, &rng)?; // training draws nothing more
        }
        if run.stopping() {
            break; // Ctrl-C: keep what was learned so far
        }
    }
    run.finish()?;
    if end == '\r' {
        out.flush()?; // the last step line is still open: what stderr says next starts below it
        eprintln!();
    }
    Ok(Trained { model, vocab: data.vocab, rng })
}
// ANCHOR_END: training

// ANCHOR: loss
/// The loss of one document (`[BOS, …, BOS]`): the mean of -log p(next token), and over how many.
pub fn doc_loss(model: &Gpt, tokens: &[usize]) -> (Value, usize) {
    let n = model.config.block_size.min(tokens.len() - 1);
    let (mut keys, mut values) = (vec![vec![]; model.config.n_layer], vec![vec![]; model.config.n_layer]);
    let mut losses = Vec::with_capacity(n);
    for pos_id in 0..n {
        let (token_id, target_id) = (tokens[pos_id], tokens[pos_id + 1]);
        let logits = model.gpt(token_id, pos_id, &mut keys, &mut values);
        let probs = softmax(&logits);
        losses.push(-probs[target_id].ln());
    }
    // The average loss over the document. May yours be low.
    (Value::sum(&losses) * (1.0 / n as f64), n)
}

/// The validation loss: the mean of -log p(next token) over every position of `docs`, one at a time.
pub fn evaluate(model: &Gpt, docs: &[Vec<usize>]) -> f64 {
    let _eval = Tape::no_grad();
    let (mut total, mut count) = (0.0, 0);
    for tokens in docs {
        let _doc = Tape::scope(); // frees the document's nodes once its loss is read
        let (loss, n) = doc_loss(model, tokens);
        total += loss.data() * n as f64;
        count += n;
    }
    total / count as f64
}
// ANCHOR_END: loss
