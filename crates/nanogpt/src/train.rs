//! Training: nanoGPT's train.py. Random batches, AdamW with warmup and cosine decay, gradient
//! clipping, a periodic estimate of the val loss, and the best model so far kept (by val loss) with the
//! optimizer's state, so that training can resume from it (`resume.rs`).

use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use anyhow::{Result, ensure};
use autograd::TensorTape;
use autograd::optim::{Adam, Optimizer, Schedule, clip_grad_norm};
use harness::cli::Trained;
use harness::run::Saver;
use harness::{PyRandom, Run};
use tokenizer::Tokenizer;

use crate::config::{Config, ModelConfig, TrainConfig};
use crate::data::{Batch, Dataset, Examples, Source};
use crate::model::{Gpt, Mode, TOKENIZER_FILE};
use crate::resume::Best;

// ANCHOR: train
/// Trains a fresh model (or, with `--resume`, the best one of an earlier run in the same directory) on
/// `data`, estimating the val loss every `eval_interval` steps and logging through `saver`; the best
/// model so far is the run's checkpoint (and its training state, for `--resume`). Returns the best model.
pub fn train(config: &Config, data: &Path, saver: &Saver, out: &mut dyn Write) -> Result<Trained<Gpt>> {
    config.validate()?;
    let cfg = &config.train;
    ensure!(
        cfg.text.is_none() || data == harness::default_data_path(),
        "give --data (names) or --text (plain text), not both"
    );
    let data = Dataset::new(data, cfg.text.as_deref(), cfg.tokenizer.as_deref(), config.model.block_size)?;
    let model_config =
        ModelConfig { vocab_size: data.vocab_size, source: data.source, ..config.model.clone() };
    model_config.check_memory(cfg.batch_size)?;
    let dir = saver.dir();
    if let Some(tok) = &data.tokenizer {
        keep_tokenizer(dir, tok)?; // before any work: `sample` decodes with this copy
    }
    let (mut model, mut opt, mut best) = match cfg.resume {
        true => Best::resume(dir, config, &model_config, &data.vocab, out)?,
        false => {
            let model = Gpt::new(model_config.clone(), &mut PyRandom::new(cfg.seed), cfg.init_std);
            if let Some(dir) = &cfg.init_from {
                crate::equivalence::load_microgpt_checkpoint(&model, dir, &data.vocab)?;
            }
            let opt = adamw(&model, cfg);
            (model, opt, Best::new(dir, config, &model_config, &data.vocab))
        }
    };
    model.tokenizer = data.tokenizer.clone().map(Rc::new);
    let c = &model.config;
    writeln!(
        out,
        "vocab size {}, {} parameters ({} layers, {} heads, n_embd {}, block_size {})",
        c.vocab_size,
        model.num_params(),
        c.n_layer,
        c.n_head,
        c.n_embd,
        c.block_size
    )?;
    out.flush()?;
    // Warm up linearly (Adam's moments are poor estimates at first), then decay along a cosine.
    let schedule = Schedule::WarmupCosine {
        lr: cfg.learning_rate,
        min_lr: cfg.min_lr,
        warmup: cfg.warmup_steps,
        decay_steps: cfg.steps,
    };
    let (t, mut batch) = (c.block_size, Batch::default());
    let _kernels = cfg.kernels.scope();
    let mut run = Run::new(crate::STAGE, cfg.steps, cfg.eval_interval, Some(saver))?;
    if best.step() == 0 {
        run.eval_start(val_loss(&model, &data, cfg).loss)?; // nanoGPT's evaluation at iteration 0
    }
    for step in best.step()..cfg.steps {
        // The step's batch and dropout masks depend on the seed and the step alone, so a resumed run
        // draws exactly the batches the uninterrupted run would have.
        let mut rng = PyRandom::new((cfg.seed << 32) ^ step as u64);
        data.train.get_batch(&mut rng, cfg.batch_size, t, &mut batch);
        opt.set_lr(schedule.lr(step));
        let loss = train_step(&model, &mut opt, &batch, cfg.grad_clip, &mut rng);
        if run.step(step, loss as f64, batch.n_targets())? {
            let val = val_loss(&model, &data, cfg);
            run.eval_bpb(step, val.loss, Some(val.bpb))?;
            best.keep_if_better(step + 1, val.loss, &model, &opt, &mut run)?;
        }
        if run.stopping() {
            break; // Ctrl-C: keep what was learned so far
        }
    }
    run.finish()?;
    best.finish(&model, &saver.log())?;
    let what = if data.source == Source::Names { "every val name" } else { "the whole val text" };
    let val = evaluate(&model, &data.val, &data.token_bytes);
    writeln!(
        out,
        "best val loss {:.4} at step {}; over {what}: {:.4} ({:.4} bits/byte)",
        best.val_loss(),
        best.step(),
        val.loss,
        val.bpb
    )?;
    Ok(Trained { rng: PyRandom::new(cfg.seed), vocab: data.vocab, model })
}
// ANCHOR_END: train

/// Writes a copy of `tok` into the run directory `dir` (replacing only a tokenizer file, never
/// something else of the user's), so that the checkpoint decodes with the BPE it was trained on even
/// if `--tokenizer`'s directory changes.
fn keep_tokenizer(dir: &Path, tok: &Tokenizer) -> Result<()> {
    let text = tokenizer::model_file::model_text(tok);
    let is_ours = |p: &Path| {
        let first = format!("{}\n", tokenizer::model_file::VERSION);
        harness::overwrite::starts_with(p, first.as_bytes())
    };
    harness::overwrite::write_guarded(&dir.join(TOKENIZER_FILE), text.as_bytes(), is_ours)?;
    Ok(())
}

// ANCHOR: step
/// One optimisation step: forward to the loss, backward, clip the gradient's norm, AdamW. Returns the
/// batch's loss (a non-finite loss leaves the weights untouched).
pub fn train_step(model: &Gpt, opt: &mut Adam, batch: &Batch, grad_clip: f32, rng: &mut PyRandom) -> f32 {
    let _scope = TensorTape::scope(); // everything this step builds is freed at its end
    let t = model.config.block_size;
    let loss = model.loss(&batch.x, &batch.y, batch.b, t, &mut Mode::Train(rng));
    opt.zero_grad();
    loss.backward();
    let loss = loss.item();
    if loss.is_finite() {
        if grad_clip > 0.0 {
            clip_grad_norm(opt.params(), grad_clip);
        }
        opt.step();
    }
    loss
}
// ANCHOR_END: step

// ANCHOR: adamw
/// AdamW over `model` as nanoGPT configures it: decoupled weight decay for the matrices and embeddings
/// (2-D), none for biases and norm gains (1-D), which only shift or scale and do not overfit.
pub fn adamw(model: &Gpt, cfg: &TrainConfig) -> Adam {
    let (decay, no_decay): (Vec<_>, Vec<_>) =
        model.parameters().into_iter().partition(|p| p.shape().len() >= 2);
    Adam::adamw(&decay, &no_decay, cfg.learning_rate, cfg.weight_decay).betas(cfg.beta1, cfg.beta2)
}
// ANCHOR_END: adamw

/// Evaluation batches come from their own stream, the same at every evaluation, so that two estimates
/// differ only because the model changed.
const EVAL_SEED: u64 = 1337;

/// A loss over some predictions: per prediction (nats), and in bits per byte of the text predicted —
/// the loss summed over the predictions, ÷ the UTF-8 bytes they stand for, ÷ ln 2. Per prediction
/// depends on the tokenizer (a token of four characters is harder to guess than one); per byte does not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eval {
    pub loss: f64,
    pub bpb: f64,
}

// ANCHOR: estimate
/// nanoGPT's `estimate_loss`: the mean loss over `eval_iters` batches (no gradients, no dropout), and
/// the same batches in bits per byte (`token_bytes[id]`: the bytes token `id` stands for).
pub fn estimate_loss(model: &Gpt, examples: &Examples, token_bytes: &[usize], cfg: &TrainConfig) -> Eval {
    let _no_grad = TensorTape::no_grad();
    let t = model.config.block_size;
    let (mut rng, mut batch) = (PyRandom::new(EVAL_SEED), Batch::default());
    let (mut total, mut summed, mut bytes) = (0.0, 0.0, 0);
    for _ in 0..cfg.eval_iters {
        let _scope = TensorTape::scope();
        examples.get_batch(&mut rng, cfg.batch_size, t, &mut batch);
        let loss = model.loss(&batch.x, &batch.y, batch.b, t, &mut Mode::Eval).item() as f64;
        total += loss;
        summed += loss * batch.n_targets() as f64; // the batch's mean back to its sum
        bytes += batch.n_bytes(token_bytes);
    }
    Eval { loss: total / cfg.eval_iters as f64, bpb: summed / bytes.max(1) as f64 / std::f64::consts::LN_2 }
}
// ANCHOR_END: estimate

/// The val loss as `--eval-iters` asks: estimated on that many batches, or over the whole split (0).
fn val_loss(model: &Gpt, data: &Dataset, cfg: &TrainConfig) -> Eval {
    match cfg.eval_iters {
        0 => evaluate(model, &data.val, &data.token_bytes),
        _ => estimate_loss(model, &data.val, &data.token_bytes, cfg),
    }
}

/// Sequences per batch of [`evaluate`].
const EVAL_BATCH: usize = 32;

/// The exact mean loss per prediction over a whole split (every name, or every token of the stream),
/// and in bits per byte.
pub fn evaluate(model: &Gpt, examples: &Examples, token_bytes: &[usize]) -> Eval {
    let _no_grad = TensorTape::no_grad();
    let t = model.config.block_size;
    let (mut total, mut count, mut bytes) = (0.0, 0, 0);
    for batch in examples.all(EVAL_BATCH, t) {
        let _scope = TensorTape::scope();
        let n = batch.n_targets();
        total += model.loss(&batch.x, &batch.y, batch.b, t, &mut Mode::Eval).item() as f64 * n as f64;
        count += n;
        bytes += batch.n_bytes(token_bytes);
    }
    Eval { loss: total / count.max(1) as f64, bpb: total / bytes.max(1) as f64 / std::f64::consts::LN_2 }
}
