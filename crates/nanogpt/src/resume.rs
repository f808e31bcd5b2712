//! The best model so far, kept on disk with everything needed to go on training from it: its weights,
//! AdamW's step count and both moments of every parameter (`adamw.m.<name>`, `adamw.v.<name>`), the
//! step, the val loss and the run's flags, in `DIR/resume/` (nanoGPT's `ckpt.pt`). `train --resume`
//! starts from it; a run stopped at step k and resumed gives the same weights, bit for bit, as one that
//! never stopped (the batches depend on the seed and the step alone).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use autograd::Tensor;
use autograd::optim::{Adam, AdamState, Optimizer};
use harness::checkpoint::{self, Checkpoint, NamedTensor};
use harness::runlog::{Record, RunLogWriter};
use harness::{PyRandom, Run, Vocab};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ModelConfig};
use crate::model::Gpt;
use crate::train::adamw;

/// The subdirectory of the run directory that holds the training state.
pub const RESUME_DIR: &str = "resume";

/// What the training state's config.json holds besides the tensors.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct State {
    /// The run's flags, with the model's shape as trained (vocab_size and source set from the data).
    pub config: Config,
    pub vocab: Vocab,
    /// Steps taken when these weights were saved.
    pub step: usize,
    /// Their estimated val loss (the best so far: the state is only ever replaced by a better one).
    pub val_loss: f64,
    /// Training predictions learned from, and seconds spent, until then.
    pub tokens_seen: u64,
    pub elapsed_s: f64,
    /// AdamW's step count.
    pub adamw_steps: i32,
}

/// The best model of a run so far, and where the run started.
pub struct Best {
    dir: PathBuf,
    state: State,
    /// Tokens and seconds before this run started (0 unless resumed), and this run's clock.
    before: (u64, f64),
    clock: Instant,
    /// A resumed run's log records up to its starting step.
    kept: Vec<Record>,
}

impl Best {
    /// A fresh run in `dir`: nothing better than infinity yet.
    pub fn new(dir: &Path, config: &Config, model: &ModelConfig, vocab: &Vocab) -> Best {
        let config = Config { model: model.clone(), ..config.clone() };
        let state = State {
            config,
            vocab: vocab.clone(),
            step: 0,
            val_loss: f64::INFINITY,
            tokens_seen: 0,
            elapsed_s: 0.0,
            adamw_steps: 0,
        };
        Best { dir: dir.to_path_buf(), state, before: (0, 0.0), clock: Instant::now(), kept: Vec::new() }
    }

    /// The step to start (or go on) from.
    pub fn step(&self) -> usize {
        self.state.step
    }

    /// The best val loss so far.
    pub fn val_loss(&self) -> f64 {
        self.state.val_loss
    }

    /// Saves the model and the optimizer's state if `val_loss` after `step` steps beats the best so far:
    /// the training state in `resume/`, then the weights as the run's checkpoint (through `run`), so that
    /// the checkpoint `sample` reads is always the best model so far, the one `--resume` goes on from.
    pub fn keep_if_better(
        &mut self,
        step: usize,
        val_loss: f64,
        model: &Gpt,
        opt: &Adam,
        run: &mut Run,
    ) -> Result<()> {
        let tokens = run.tokens_seen();
        if val_loss >= self.state.val_loss {
            return Ok(());
        }
        let s = &mut self.state;
        (s.step, s.val_loss, s.adamw_steps) = (step, val_loss, opt.steps());
        (s.tokens_seen, s.elapsed_s) =
            (self.before.0 + tokens, self.before.1 + self.clock.elapsed().as_secs_f64());
        let weights = model.named_parameters();
        let mut tensors = weights.clone();
        let state = opt.state();
        for (i, (m, v)) in moment_names(model, opt).into_iter().enumerate() {
            let shape = opt.params()[i].shape();
            tensors.push(NamedTensor::f32(m, shape.as_slice(), state.m[i].clone()));
            tensors.push(NamedTensor::f32(v, shape.as_slice(), state.v[i].clone()));
        }
        checkpoint::save(&self.dir.join(RESUME_DIR), crate::STAGE, &self.state, &tensors)?;
        // Sampling's stream is the one the finished run saves: the seed's.
        run.checkpoint(&weights, &self.state.vocab, &PyRandom::new(self.state.config.train.seed))
    }

    /// At the end of the run: puts the best weights back into `model`, and gives a resumed run's log
    /// the records before its start (and this run's records their tokens, seconds and training seconds
    /// counted from the start of the first run).
    pub fn finish(&self, model: &Gpt, log: &Path) -> Result<()> {
        let ckpt = checkpoint::load::<State>(&self.dir.join(RESUME_DIR), crate::STAGE)?;
        for (name, p) in model.named_tensors() {
            p.set_data(ckpt.expect_shape(&name, p.shape().as_slice())?);
        }
        if !self.kept.is_empty() {
            let mut records = self.kept.clone();
            // The training seconds before, as logged at the step the run resumed from (unknown in
            // a log written before runs logged them).
            let trained = self.kept.last().and_then(|r| r.train_s);
            for mut r in harness::read_run_log(log)? {
                (r.tokens_seen, r.elapsed_s) = (r.tokens_seen + self.before.0, r.elapsed_s + self.before.1);
                r.train_s = r.train_s.zip(trained).map(|(t, before)| t + before);
                records.push(r);
            }
            let mut writer = RunLogWriter::create(log)?;
            records.iter().try_for_each(|r| writer.append(r))?;
        }
        Ok(())
    }

    /// Goes on from the best model of an earlier run in `dir`, which must have been trained with the same
    /// model flags and data: the model, AdamW with its state, and where the run left off.
    pub fn resume(
        dir: &Path,
        config: &Config,
        model: &ModelConfig,
        vocab: &Vocab,
        out: &mut dyn Write,
    ) -> Result<(Gpt, Adam, Best)> {
        let path = dir.join(RESUME_DIR);
        let ckpt = checkpoint::load::<State>(&path, crate::STAGE)
            .with_context(|| format!("--resume: cannot load the training state in {}", path.display()))?;
        let saved = &ckpt.config;
        ensure!(
            saved.vocab == *vocab,
            "--resume: the data's characters differ from the checkpoint's vocabulary"
        );
        ensure!(
            saved.config.model.source == model.source,
            "--resume: the checkpoint was trained on other data"
        );
        ensure!(
            saved.config.model == *model,
            "--resume: give the model flags the checkpoint was trained with ({:?})",
            saved.config.model
        );
        ensure!(
            config.train.steps > saved.step,
            "--resume: the checkpoint is at step {}; give --steps beyond it",
            saved.step
        );
        let gpt = Gpt::with_weights_of(model, &ckpt)?;
        let mut opt = adamw(&gpt, &config.train);
        let state =
            moments(&gpt, &opt, &ckpt).context("--resume: the optimizer state does not fit the model")?;
        opt.load_state(state).context("--resume: cannot load the optimizer state")?;
        writeln!(
            out,
            "resuming at step {} (val loss {:.4}) with AdamW's moments and step count from the checkpoint",
            saved.step, saved.val_loss
        )?;
        let log = dir.join(harness::runlog::LOG_FILE);
        let mut kept = if log.exists() { harness::read_run_log(&log)? } else { Vec::new() };
        kept.retain(|r| r.step <= saved.step);
        let mut best = Best::new(dir, config, model, vocab);
        best.state = saved.clone();
        best.before = (saved.tokens_seen, saved.elapsed_s);
        best.kept = kept;
        Ok((gpt, opt, best))
    }
}

/// The names under which AdamW's moments of each parameter are saved, in the optimizer's order.
fn moment_names(model: &Gpt, opt: &Adam) -> Vec<(String, String)> {
    let named: HashMap<Tensor, String> =
        model.named_tensors().into_iter().map(|(name, p)| (p, name)).collect();
    opt.params().iter().map(|p| (format!("adamw.m.{}", named[p]), format!("adamw.v.{}", named[p]))).collect()
}

/// AdamW's state saved in `ckpt` for `opt` over `model`; the checkpoint must hold exactly the weights
/// and their moments.
fn moments(model: &Gpt, opt: &Adam, ckpt: &Checkpoint<State>) -> Result<AdamState> {
    let names = moment_names(model, opt);
    let weights = model.named_tensors();
    let all: Vec<&str> = weights
        .iter()
        .map(|(n, _)| n.as_str())
        .chain(names.iter().flat_map(|(m, v)| [m.as_str(), v.as_str()]))
        .collect();
    ckpt.expect_names(&all)?;
    let (mut m, mut v) = (Vec::new(), Vec::new());
    for (i, (m_name, v_name)) in names.iter().enumerate() {
        let shape = opt.params()[i].shape();
        m.push(ckpt.expect_shape(m_name, shape.as_slice())?.to_vec());
        v.push(ckpt.expect_shape(v_name, shape.as_slice())?.to_vec());
    }
    Ok(AdamState { t: ckpt.config.adamw_steps, m, v })
}
