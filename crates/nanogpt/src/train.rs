//! Training: nanoGPT's train.py. Random batches, AdamW with warmup and cosine decay, gradient
//! clipping, a periodic estimate of the train and val loss, and a checkpoint of the best model so far
//! (by val loss) that training can resume from.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use autograd::optim::{Adam, AdamState, Optimizer, Schedule, clip_grad_norm};
use autograd::{Tensor, TensorTape};
use harness::checkpoint::{Checkpoint, NamedTensor};
use harness::runlog::{LOG_FILE, Record, RunLogWriter};
use harness::{Progress, PyRandom, Vocab};
use serde::{Deserialize, Serialize};

use crate::config::{ModelConfig, TrainConfig};
use crate::data::{Batch, Dataset, Examples, Source};
use crate::model::{Gpt, OPTIMIZER_PREFIX};

/// The stage name in checkpoints and run logs.
pub const STAGE: &str = "nanogpt";

/// What the checkpoint's config.json holds besides the weights: enough to rebuild the model, sample
/// from it, and resume training.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Saved {
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub source: Source,
    pub vocab: Vocab,
    /// Steps taken when these weights were saved.
    pub step: usize,
    /// Their estimated val loss (the best so far: the checkpoint is only ever replaced by a better one).
    pub val_loss: f64,
    /// Training predictions learned from, and seconds spent, until then (a resumed run's log goes on
    /// from them).
    pub tokens_seen: u64,
    pub elapsed_s: f64,
    /// AdamW's step count when these weights were saved; its moments are the checkpoint's
    /// `adamw.m.<name>` and `adamw.v.<name>` tensors. `None` in checkpoints written before the
    /// optimizer state was saved: resuming one restarts the moments from zero.
    #[serde(default)]
    pub adamw_steps: Option<i32>,
}

/// Loads a checkpoint directory written by `train`, with its model.
pub fn load_checkpoint(dir: &Path) -> Result<(Gpt, Checkpoint<Saved>)> {
    let ckpt = harness::checkpoint::load::<Saved>(dir, STAGE)
        .with_context(|| format!("cannot load the checkpoint in {}", dir.display()))?;
    let model = Gpt::from_checkpoint(ckpt.config.model.clone(), &ckpt)
        .with_context(|| format!("cannot load the checkpoint in {}", dir.display()))?;
    anyhow::ensure!(
        model.config.vocab_size == ckpt.config.vocab.len(),
        "the checkpoint's vocabulary has {} tokens but its model has {}",
        ckpt.config.vocab.len(),
        model.config.vocab_size
    );
    Ok((model, ckpt))
}

/// The names under which AdamW's moments of each parameter are saved, in the optimizer's order.
fn moment_names(model: &Gpt, opt: &Adam) -> Vec<(String, String)> {
    let named: std::collections::HashMap<Tensor, String> =
        model.named_parameters().into_iter().map(|(name, p)| (p, name)).collect();
    opt.params()
        .iter()
        .map(|p| {
            let name = &named[p];
            (format!("{OPTIMIZER_PREFIX}m.{name}"), format!("{OPTIMIZER_PREFIX}v.{name}"))
        })
        .collect()
}

/// AdamW's state as checkpoint tensors: both moments of each parameter, shaped like it.
fn moments_to_tensors(model: &Gpt, opt: &Adam) -> Vec<NamedTensor> {
    let state = opt.state();
    let names = moment_names(model, opt);
    let mut tensors = Vec::new();
    for (i, (m_name, v_name)) in names.into_iter().enumerate() {
        let shape = opt.params()[i].shape();
        tensors.push(NamedTensor::f32(m_name, shape.as_slice(), state.m[i].clone()));
        tensors.push(NamedTensor::f32(v_name, shape.as_slice(), state.v[i].clone()));
    }
    tensors
}

/// The optimizer state saved in `ckpt` for training `model` with `cfg`, or `None` if the checkpoint
/// predates saved optimizer state (then the moments restart from zero).
pub fn saved_optimizer_state(
    model: &Gpt,
    cfg: &TrainConfig,
    ckpt: &Checkpoint<Saved>,
) -> Result<Option<AdamState>> {
    let Some(t) = ckpt.config.adamw_steps else { return Ok(None) };
    let opt = adamw(model, cfg);
    let (mut m, mut v) = (Vec::new(), Vec::new());
    for (i, (m_name, v_name)) in moment_names(model, &opt).into_iter().enumerate() {
        let shape = opt.params()[i].shape();
        m.push(ckpt.expect_shape(&m_name, shape.as_slice())?.to_vec());
        v.push(ckpt.expect_shape(&v_name, shape.as_slice())?.to_vec());
    }
    Ok(Some(AdamState { t, m, v }))
}

/// The seed of step `step`'s batch and dropout masks: they depend on the seed and the step alone, so a
/// resumed run draws exactly the batches the uninterrupted run would have.
fn step_seed(seed: u64, step: usize) -> u64 {
    (seed << 32) ^ step as u64
}

/// Evaluation batches come from their own stream, the same at every evaluation, so that two estimates
/// differ only because the model changed.
const EVAL_SEED: u64 = 1337;

// ANCHOR: estimate
/// nanoGPT's `estimate_loss`: the mean loss over `eval_iters` batches (no gradients, no dropout).
pub fn estimate_loss(model: &Gpt, examples: &Examples, cfg: &TrainConfig) -> f64 {
    let _no_grad = TensorTape::no_grad();
    let t = model.config.block_size;
    let (mut rng, mut batch) = (PyRandom::new(EVAL_SEED), Batch::default());
    let mut total = 0.0;
    for _ in 0..cfg.eval_iters {
        let _scope = TensorTape::scope();
        examples.sample(&mut rng, cfg.batch_size, t, &mut batch);
        total += model.loss(&batch.x, &batch.y, batch.b, t, &mut None).item() as f64;
    }
    total / cfg.eval_iters as f64
}
// ANCHOR_END: estimate

/// The exact mean loss per prediction over a whole split (every name, or every token of the stream).
pub fn evaluate(model: &Gpt, examples: &Examples, batch_size: usize) -> f64 {
    let _no_grad = TensorTape::no_grad();
    let t = model.config.block_size;
    let (mut total, mut count) = (0.0, 0);
    for batch in examples.all(batch_size, t) {
        let _scope = TensorTape::scope();
        let n = batch.n_targets();
        total += model.loss(&batch.x, &batch.y, batch.b, t, &mut None).item() as f64 * n as f64;
        count += n;
    }
    total / count.max(1) as f64
}

/// Where training starts: a fresh model at step 0, or a checkpoint's.
#[derive(Clone, Debug)]
pub struct Start {
    pub step: usize,
    pub best_val_loss: f64,
    pub tokens_seen: u64,
    pub elapsed_s: f64,
    /// AdamW's state to continue from (`None`: moments from zero, as in a fresh run).
    pub optimizer: Option<AdamState>,
}

impl Start {
    /// A fresh run.
    pub const FRESH: Start =
        Start { step: 0, best_val_loss: f64::INFINITY, tokens_seen: 0, elapsed_s: 0.0, optimizer: None };

    /// Where the run that saved `saved` left off, with the optimizer state saved beside it, if any.
    pub fn resume(saved: &Saved, optimizer: Option<AdamState>) -> Start {
        Start {
            step: saved.step,
            best_val_loss: saved.val_loss,
            tokens_seen: saved.tokens_seen,
            elapsed_s: saved.elapsed_s,
            optimizer,
        }
    }
}

/// What training ended with.
pub struct Summary {
    /// The best (lowest) estimated val loss, whose weights are in the checkpoint.
    pub best_val_loss: f64,
    pub best_step: usize,
    /// Seconds spent in the steps (evaluation included).
    pub elapsed_s: f64,
    /// Steps taken in this run (not counting those before a resume).
    pub steps_run: usize,
}

// ANCHOR: step
/// One optimisation step: forward to the loss, backward, clip the gradient's norm, AdamW. Returns the
/// batch's loss (a non-finite loss leaves the weights untouched).
pub fn train_step(model: &Gpt, opt: &mut Adam, batch: &Batch, grad_clip: f32, rng: &mut PyRandom) -> f32 {
    let _scope = TensorTape::scope(); // everything this step builds is freed at its end
    let t = model.config.block_size;
    let loss = model.loss(&batch.x, &batch.y, batch.b, t, &mut Some(rng));
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

/// AdamW over `model` as nanoGPT configures it: decoupled weight decay on the 2-D parameters only.
pub fn adamw(model: &Gpt, cfg: &TrainConfig) -> Adam {
    let (decay, no_decay) = model.parameter_groups();
    Adam::adamw(&decay, &no_decay, cfg.learning_rate, cfg.weight_decay).betas(cfg.beta1, cfg.beta2)
}

/// Writes the checkpoint of `model` and of the optimizer's state into `dir`. Only the first save of a
/// run can replace an earlier run's files, so only then is the note worth printing.
fn save(model: &Gpt, opt: &Adam, dir: &Path, saved: &mut Saved, first: &mut bool) -> Result<()> {
    saved.adamw_steps = Some(opt.steps());
    let mut tensors = model.to_tensors();
    tensors.extend(moments_to_tensors(model, opt));
    let note = harness::checkpoint::save(dir, STAGE, &*saved, &tensors)?;
    if let Some(note) = note.filter(|_| *first) {
        eprintln!("{note}");
    }
    *first = false;
    Ok(())
}

/// The run log, keeping the records of a resumed run up to its checkpoint's step.
fn open_log(dir: &Path, start: &Start) -> Result<RunLogWriter> {
    let path: PathBuf = dir.join(LOG_FILE);
    let kept = if start.step > 0 && path.exists() {
        let mut old = harness::read_run_log(&path)?;
        old.retain(|r| r.step < start.step);
        old
    } else {
        Vec::new()
    };
    let mut log = RunLogWriter::create(&path)?;
    for record in &kept {
        log.append(record)?;
    }
    Ok(log)
}

// ANCHOR: train
/// Trains `model` on `data` from `start` to `cfg.steps`, keeping the best checkpoint in `dir`.
pub fn train(model: &Gpt, data: &Dataset, cfg: &TrainConfig, dir: &Path, start: Start) -> Result<Summary> {
    let t = model.config.block_size;
    let mut opt = adamw(model, cfg);
    if let Some(state) = start.optimizer.clone() {
        opt.load_state(state).context("cannot resume the checkpoint's optimizer state")?;
    }
    // Warm up linearly (Adam's moments are poor estimates at first), then decay along a cosine.
    let schedule = Schedule::WarmupCosine {
        lr: cfg.learning_rate,
        min_lr: cfg.min_lr,
        warmup: cfg.warmup_steps,
        decay_steps: cfg.steps,
    };
    let mut log = open_log(dir, &start)?;
    let mut progress = Progress::new(cfg.steps);
    let mut saved = Saved {
        model: model.config.clone(),
        train: cfg.clone(),
        source: data.source,
        vocab: data.vocab.clone(),
        step: start.step,
        val_loss: start.best_val_loss,
        tokens_seen: start.tokens_seen,
        elapsed_s: start.elapsed_s,
        adamw_steps: None,
    };
    let (clock, mut tokens_seen, mut batch) = (Instant::now(), start.tokens_seen, Batch::default());
    let mut first_save = start.step == 0;
    let elapsed = || start.elapsed_s + clock.elapsed().as_secs_f64();

    for step in start.step..=cfg.steps {
        // Evaluate before the step (step 0: the untrained model) and after the last one.
        if step.is_multiple_of(cfg.eval_interval) || step == cfg.steps {
            let train_loss = estimate_loss(model, &data.train, cfg);
            let val_loss = estimate_loss(model, &data.val, cfg);
            progress.println(format!("step {step}: train loss {train_loss:.4}, val loss {val_loss:.4}"));
            log.append(&Record {
                stage: STAGE.into(),
                step,
                tokens_seen,
                elapsed_s: elapsed(),
                train_loss: Some(train_loss),
                val_loss: Some(val_loss),
            })?;
            if val_loss < saved.val_loss {
                (saved.step, saved.val_loss) = (step, val_loss);
                (saved.tokens_seen, saved.elapsed_s) = (tokens_seen, elapsed());
                save(model, &opt, dir, &mut saved, &mut first_save)?;
            }
        }
        if step == cfg.steps {
            break;
        }

        let mut rng = PyRandom::new(step_seed(cfg.seed, step));
        data.train.sample(&mut rng, cfg.batch_size, t, &mut batch);
        opt.set_lr(schedule.lr(step));
        let loss = train_step(model, &mut opt, &batch, cfg.grad_clip, &mut rng);
        if !loss.is_finite() {
            bail!("the loss became {loss} at step {step}: lower --learning-rate");
        }
        tokens_seen += batch.n_targets() as u64;
        progress.step(step, loss as f64);
    }
    progress.finish();
    Ok(Summary {
        best_val_loss: saved.val_loss,
        best_step: saved.step,
        elapsed_s: clock.elapsed().as_secs_f64(),
        steps_run: cfg.steps.saturating_sub(start.step),
    })
}
// ANCHOR_END: train
