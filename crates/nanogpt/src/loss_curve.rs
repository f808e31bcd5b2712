//! `nanogpt loss-curve`: a run's losses against its steps, from its run log. Steps, not seconds: the
//! same run draws the same figure on any machine.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, ensure};

/// `nanogpt loss-curve`: draw the train and val losses of a finished (or running) run.
#[derive(Debug, Clone, clap::Args)]
pub struct LossCurveArgs {
    /// A run directory written by `train` (its `log.jsonl`).
    #[arg(long, default_value = "runs/nanogpt")]
    pub checkpoint: PathBuf,
    /// Draw a dashed line at this loss, a target to beat (e.g. 1.75).
    #[arg(long)]
    pub target: Option<f64>,
    /// Where to write the figure: STEM.png and STEM.svg [default: runs/nanogpt/loss].
    #[arg(long)]
    pub figure: Option<PathBuf>,
}

impl LossCurveArgs {
    /// Reads the run log and draws it.
    pub fn run(&self, out: &mut dyn Write) -> Result<()> {
        let path = self.checkpoint.join(harness::runlog::LOG_FILE);
        let log = harness::read_run_log(&path).with_context(|| format!("cannot draw {}", path.display()))?;
        ensure!(log.iter().any(|r| r.val_loss.is_some()), "{} has no evaluation to draw", path.display());
        if let Some(target) = self.target {
            ensure!(target.is_finite() && target > 0.0, "--target must be a finite number > 0");
        }
        let train = log.iter().filter_map(|r| Some((r.step as f64, r.train_loss?)));
        let val = log.iter().filter_map(|r| Some((r.step as f64, r.val_loss?)));
        let mut chart = plot::LineChart::new("nanogpt: loss against steps")
            .x_label("step")
            .y_label("loss (nats per token)")
            .series("train (mean minibatch loss between evaluations)", train)
            .series("val (estimate)", val);
        if let Some(target) = self.target {
            chart = chart.reference(format!("target {target}"), target);
        }
        let stem = self.figure.clone().unwrap_or_else(|| ["runs", crate::STAGE, "loss"].iter().collect());
        let saved = chart.save(&stem, (900, 560))?;
        writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
        Ok(())
    }
}
