//! One training run's bookkeeping, the same in every stage: the divergence guard, the progress display,
//! the evaluation schedule and the run log. A stage's training loop has one shape everywhere:
//!
//! ```text
//! for step in 0..steps {
//!     …one step of the stage's own algorithm, giving `loss`…
//!     if run.step(step, loss, tokens)? {
//!         run.eval(step, evaluate(&model, &val))?;
//!         run.checkpoint(&model.named_parameters(), &vocab, &rng)?; // a kill loses one interval at most
//!     }
//!     if run.stopping() {
//!         break; // Ctrl-C: keep what was learned so far
//!     }
//! }
//! ```

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::checkpoint::NamedTensor;
use crate::cli::Saved;
use crate::overwrite::Replacing;
use crate::progress::Progress;
use crate::pyrandom::PyRandom;
use crate::rundir::RunDir;
use crate::runlog::{LOG_FILE, Record, RunLogWriter};
use crate::vocab::Vocab;

/// Set by Ctrl-C (or SIGTERM): the run stops after the step under way, evaluates, and is saved.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C stop training cleanly instead of killing the process: the step under way finishes, the
/// run is evaluated and logged, the stage returns its model, and the checkpoint is saved. A second
/// Ctrl-C while that happens is ignored; `kill -9` is not, and leaves the previous checkpoint.
pub fn stop_on_ctrl_c() {
    // Only fails if a handler is already set (a test calling this twice): then one is there.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Where a run writes, in its checked and locked run directory: the log `log.jsonl`, and the checkpoint
/// (the weights with [`Saved`]`{ config, vocab, sample_rng }`), saved pair-atomically at every evaluation
/// and at the end, so that a kill at any instant loses at most one evaluation interval.
pub struct Saver<'a> {
    dir: &'a RunDir,
    /// The run's flags, as `Saved::config` (kept as JSON so that a [`Run`] need not know their type).
    config: serde_json::Value,
    /// Whether the note about replacing an earlier run was said (at the first save, which does it).
    noted: Cell<bool>,
}

impl<'a> Saver<'a> {
    /// Saves into `dir` with `config` as the run's flags.
    pub fn new<C: Serialize>(dir: &'a RunDir, config: &C) -> Result<Saver<'a>> {
        let config = serde_json::to_value(config).context("cannot record the run's flags")?;
        Ok(Saver { dir, config, noted: Cell::new(false) })
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        self.dir.dir()
    }

    /// The run log's path.
    pub fn log(&self) -> PathBuf {
        self.dir.dir().join(LOG_FILE)
    }

    /// The first time only, when the directory holds an earlier run's checkpoint: the note that the next
    /// save replaces it (said then, not before: until that save the earlier checkpoint is whole).
    pub fn take_note(&self) -> Option<Replacing> {
        if self.noted.replace(true) { None } else { self.dir.replacing().cloned() }
    }

    /// Starts the run's log, pending until the run's first checkpoint (see
    /// [`RunLogWriter::create_pending`]): until then an earlier run's log stays with its checkpoint.
    pub fn start_log(&self) -> Result<RunLogWriter> {
        let keep_on_drop = self.dir.replacing().is_none(); // no earlier checkpoint to keep it paired with
        Ok(RunLogWriter::create_pending(&self.log(), keep_on_drop)?)
    }

    /// Saves `tensors` with the run's flags, `vocab` and the state of `sample_rng` (the stream `sample`
    /// continues from), pair-atomically. Refuses NaN/inf weights, leaving the last checkpoint.
    pub fn save(&self, tensors: &[NamedTensor], vocab: &Vocab, sample_rng: &PyRandom) -> Result<()> {
        let saved =
            Saved { config: self.config.clone(), vocab: vocab.clone(), sample_rng: sample_rng.state() };
        self.dir.save_checkpoint(&saved, tensors)?;
        Ok(())
    }
}

/// A training run in progress.
pub struct Run<'a> {
    stage: String,
    steps: usize,
    eval_interval: usize,
    log: Option<RunLogWriter>,
    saver: Option<&'a Saver<'a>>,
    progress: Progress,
    start: Instant,
    /// Seconds spent training so far, and when the time not yet counted began: the end of the last
    /// step's bookkeeping, evaluation or checkpoint, so that evaluating and saving are left out.
    train_s: f64,
    since: Instant,
    tokens_seen: u64,
    /// Set once training was interrupted: the loop should end after this step's evaluation.
    stopping: bool,
    /// Sum and count of the minibatch losses since the last evaluation: the logged train loss.
    since_eval: (f64, usize),
}

impl<'a> Run<'a> {
    /// A run of `steps` steps that evaluates every `eval_interval` steps (0: only after the last), logs
    /// and checkpoints through `saver` (nothing is written when `None`).
    pub fn new(
        stage: &str,
        steps: usize,
        eval_interval: usize,
        saver: Option<&'a Saver<'a>>,
    ) -> Result<Self> {
        Run::with_progress(stage, steps, eval_interval, saver, Progress::new(steps))
    }

    /// [`Run::new`] with a progress display of the caller's.
    pub fn with_progress(
        stage: &str,
        steps: usize,
        eval_interval: usize,
        saver: Option<&'a Saver<'a>>,
        progress: Progress,
    ) -> Result<Self> {
        // (Replacing an earlier run is said at its first checkpoint, which does it.)
        let log = saver.map(Saver::start_log).transpose()?;
        Ok(Run {
            stage: stage.to_owned(),
            steps,
            eval_interval,
            log,
            saver,
            progress,
            start: Instant::now(),
            train_s: 0.0,
            since: Instant::now(),
            tokens_seen: 0,
            stopping: false,
            since_eval: (0.0, 0),
        })
    }

    /// Records step `step` (0-based), which learned from `tokens` predictions with mean loss `loss`.
    /// Stops the run on a loss that is not a finite number or explodes (see [`crate::guard`]). Returns whether to evaluate now: every
    /// `eval_interval` steps and after the last.
    pub fn step(&mut self, step: usize, loss: f64, tokens: usize) -> Result<bool> {
        self.train_s += self.since.elapsed().as_secs_f64(); // the step just taken
        crate::guard::check_loss(step + 1, loss)?;
        self.tokens_seen += tokens as u64;
        self.since_eval = (self.since_eval.0 + loss, self.since_eval.1 + 1);
        self.progress.step(step, loss);
        let done = step + 1;
        if INTERRUPTED.load(Ordering::SeqCst) && !self.stopping {
            self.stopping = true;
            self.progress.println(format!("interrupted: stopping after step {step}, evaluating and saving"));
        }
        let eval = self.stopping
            || done == self.steps
            || (self.eval_interval > 0 && done.is_multiple_of(self.eval_interval));
        self.since = Instant::now();
        Ok(eval)
    }

    /// Records the validation loss of the model before its first step (nanoGPT's evaluation at
    /// iteration 0): where every curve starts, and the proof that two trainers start from one model.
    pub fn eval_start(&mut self, val_loss: f64) -> Result<()> {
        crate::guard::check_val(0, val_loss)?;
        self.progress.println(format!("step 0 | val loss {val_loss:.4}"));
        let record = self.new_record(&self.stage.clone(), 0, 0, None, Some(val_loss));
        self.append(record)?;
        self.since = Instant::now(); // the evaluation is not training
        Ok(())
    }

    /// Records the evaluation after step `step`: the validation loss `val_loss`, and as the train loss the
    /// mean minibatch loss since the previous evaluation. Prints it and appends it to the log.
    pub fn eval(&mut self, step: usize, val_loss: f64) -> Result<()> {
        self.eval_bpb(step, val_loss, None)
    }

    /// [`Run::eval`], with the validation loss also in bits per byte (`val_bpb`), printed and logged.
    pub fn eval_bpb(&mut self, step: usize, val_loss: f64, val_bpb: Option<f64>) -> Result<()> {
        crate::guard::check_val(step + 1, val_loss)?;
        let (sum, n) = std::mem::take(&mut self.since_eval);
        let train_loss = (n > 0).then(|| sum / n as f64);
        let shown = train_loss.map_or(String::new(), |t| format!(" | train loss {t:.4}"));
        let bpb = val_bpb.map_or(String::new(), |b| format!(" ({b:.4} bits/byte)"));
        self.progress.println(format!("step {step}{shown} | val loss {val_loss:.4}{bpb}"));
        let record =
            self.new_record(&self.stage.clone(), step + 1, self.tokens_seen, train_loss, Some(val_loss));
        self.append(Record { val_bpb, ..record })?;
        self.since = Instant::now(); // the evaluation is not training
        Ok(())
    }

    /// Saves the model as it is now, after an evaluation: its weights `tensors`, the data's `vocab`, and
    /// the stream sampling would continue from. Non-finite weights stop the run with one line and save
    /// nothing over the last checkpoint.
    pub fn checkpoint(
        &mut self,
        tensors: &[NamedTensor],
        vocab: &Vocab,
        sample_rng: &PyRandom,
    ) -> Result<()> {
        crate::guard::check_weights(tensors)?; // with or without a saver: the run has diverged
        let Some(saver) = self.saver else { return Ok(()) };
        if let Some(note) = saver.take_note() {
            self.progress.note(format!("note: {note}"));
        }
        saver.save(tensors, vocab, sample_rng).context("cannot save the checkpoint")?;
        self.since = Instant::now(); // saving is not training
        self.commit_log() // the log goes in place with the run's first checkpoint
    }

    fn commit_log(&mut self) -> Result<()> {
        self.log.as_mut().map_or(Ok(()), |log| log.commit().context("cannot put the run log in place"))
    }

    /// Appends a record of its own to the log (e.g. a second model trained in the same run).
    pub fn record(
        &mut self,
        stage: &str,
        step: usize,
        tokens_seen: u64,
        train_loss: Option<f64>,
        val_loss: Option<f64>,
    ) -> Result<()> {
        let record = self.new_record(stage, step, tokens_seen, train_loss, val_loss);
        self.append(record)
    }

    fn new_record(
        &self,
        stage: &str,
        step: usize,
        tokens_seen: u64,
        train_loss: Option<f64>,
        val_loss: Option<f64>,
    ) -> Record {
        let (elapsed_s, train_s) = (self.start.elapsed().as_secs_f64(), Some(self.train_s));
        Record {
            stage: stage.to_owned(),
            step,
            tokens_seen,
            elapsed_s,
            train_loss,
            val_loss,
            val_bpb: None,
            train_s,
        }
    }

    fn append(&mut self, record: Record) -> Result<()> {
        let Some(log) = self.log.as_mut() else { return Ok(()) };
        log.append(&record).context("writing the run log")
    }

    /// Whether training was interrupted (Ctrl-C): the loop ends after this step's evaluation, and
    /// the model trained so far is returned and saved.
    pub fn stopping(&self) -> bool {
        self.stopping
    }

    /// Training tokens seen so far.
    pub fn tokens_seen(&self) -> u64 {
        self.tokens_seen
    }

    /// Prints a line without breaking the progress display.
    pub fn println(&mut self, line: impl AsRef<str>) {
        self.progress.println(line);
    }

    /// Ends the progress display, and puts the run log in place (a run whose evaluations saved no
    /// checkpoint, such as a resumed nanogpt run that never beat its best, has its log too).
    pub fn finish(mut self) -> Result<()> {
        self.commit_log()?;
        self.progress.finish();
        Ok(())
    }
}
