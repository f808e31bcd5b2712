//! `cargo xtask compare`: every stage trained on the same data and the same split, and one picture of
//! what each idea adds.
//!
//! The stages' binaries are built in release mode with one cargo invocation, run one after another (so
//! each has the machine to itself and its wall-clock times mean something) with the budgets of
//! [`stages`], and their run logs collected into `loss.png`/`loss.svg` ([`figure`]) and `summary.md`
//! ([`summary`]). A stage that is missing or fails is reported and the others still run.

pub mod figure;
pub mod reference;
pub mod stages;
pub mod summary;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};
use harness::overwrite::{guard_replace, write_guarded};

use crate::cargo;
use crate::runner::{self, Reporter};
use stages::{Run, Stage};
use summary::{Context, Outcome, StageResult, Trained};

/// What to compare, and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The documents every stage trains on.
    pub data: PathBuf,
    /// Where each run's directory, the figure and the summary go.
    pub out: PathBuf,
    /// Tiny budgets: checks that everything runs, in under a minute.
    pub quick: bool,
    /// Only these stages (or crates); all of them when `None`.
    pub stages: Option<Vec<String>>,
}

/// What a comparison produced.
#[derive(Debug)]
pub struct Report {
    pub results: Vec<StageResult>,
    pub summary: PathBuf,
    /// The figure, unless no stage trained.
    pub figure: Option<plot::Saved>,
}

impl Report {
    /// Whether every stage asked for trained.
    pub fn all_trained(&self) -> bool {
        self.results.iter().all(|r| matches!(r.outcome, Outcome::Trained(_)))
    }
}

/// The first line of the summary: how a later comparison knows the file is ours to replace.
const SUMMARY_TITLE: &str = "# Every stage on the same data";

/// Whether `path` is a summary an earlier comparison wrote.
fn is_our_summary(path: &Path) -> bool {
    harness::overwrite::starts_with(path, SUMMARY_TITLE.as_bytes())
}

/// Builds, trains, samples, plots and summarises. Errors only for what stops the whole comparison (bad
/// data, no cargo, an unwritable --out); a stage's own failure is in its [`StageResult`].
pub fn compare(root: &Path, opts: &Options) -> Result<Report> {
    let stages = stages::select(opts.stages.as_deref()).map_err(anyhow::Error::msg)?;
    // Read the data once up front: bad data is one clear error, not six failed stages.
    let mut references = reference::compute(&opts.data)?;
    let summary_path = opts.out.join("summary.md");
    let runs = stages::runs_for(&stages);
    // Every file compare itself writes is checked before anything is built or trained (each stage
    // checks its own run directory before its first step).
    if opts.out.exists() && !opts.out.is_dir() {
        bail!("--out {} is a file, not a directory", opts.out.display());
    }
    guard_replace(&summary_path, is_our_summary)?;
    plot::check_figure(&opts.out.join("loss"))?;
    for run in &runs {
        guard_replace(&opts.out.join(run.krate).join("train.txt"), crate::owned::is_our_output)?;
    }

    let present: Vec<&str> = runs.iter().map(|r| r.krate).filter(|k| cargo::crate_exists(root, k)).collect();
    let built = cargo::build_release(root, &present)?;

    let mut results = Vec::new();
    for run in runs {
        let trained = if !cargo::crate_exists(root, run.krate) {
            Err(Outcome::Missing)
        } else if let Some(error) = built.failed.get(run.krate) {
            Err(Outcome::Failed(format!("does not build: {error}")))
        } else {
            let bin = built.binaries.get(run.krate).context("cargo reported no binary")?;
            train(bin, run, opts).map_err(|e| Outcome::Failed(format!("{e:#}")))
        };
        for stage in stages.iter().filter(|s| s.krate == run.krate) {
            let outcome = match &trained {
                Ok(records) => collect(&built.binaries[run.krate], stage, records, &opts.out.join(run.krate)),
                Err(outcome) => outcome.clone(),
            };
            results.push(StageResult { name: stage.name.into(), idea: stage.idea.into(), outcome });
        }
    }

    // The bigram stage's own count-model number, when it ran: the same quantity, from where it is taught.
    let counts_val = results.iter().find(|r| r.name == "bigram-counts").and_then(|r| match &r.outcome {
        Outcome::Trained(t) => summary::Totals::of(&t.records)?.val_loss,
        _ => None,
    });
    if let Some(val) = counts_val {
        references.count_bigram = val;
    }

    let curves: Vec<(String, Vec<harness::Record>)> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Trained(t) => Some((r.name.clone(), t.records.clone())),
            _ => None,
        })
        .collect();
    let figure = if curves.is_empty() {
        None
    } else {
        Some(figure::draw(&curves, &references, opts.quick, &opts.out.join("loss"))?)
    };
    let ctx = Context {
        data: opts.data.display().to_string(),
        budget: if opts.quick { "quick" } else { "full" },
        references,
    };
    std::fs::create_dir_all(&opts.out).with_context(|| format!("cannot create {}", opts.out.display()))?;
    write_guarded(&summary_path, summary::render(&ctx, &results).as_bytes(), is_our_summary)?;
    Ok(Report { results, summary: summary_path, figure })
}

/// Writes the full comparison's table, references and samples (its summary.md without the title, the
/// opening and the figure, which the README shows itself) as the book's `compare-summary` snippet.
pub fn write_snippet(root: &Path, report: &Report) -> Result<PathBuf> {
    let summary = std::fs::read_to_string(&report.summary)?;
    let Some((_, rest)) = summary.split_once("](loss.png)\n") else {
        bail!("{} has no figure line: not a summary compare wrote", report.summary.display());
    };
    let training: f64 = report
        .results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Trained(t) => summary::Totals::of(&t.records).map(|t| t.elapsed_s),
            _ => None,
        })
        .sum();
    let body = format!(
        "{}\n\n*Measured by `cargo xtask compare --snippets` on {} ({} of training in all), {}.*\n",
        // Quoted in the README, "next to this file" would point at the README.
        rest.trim()
            .replace("## Samples", "**Samples**")
            .replace("(`<stage>/log.jsonl`, next to this file)", "(`runs/compare/<stage>/log.jsonl`)"),
        crate::snippets::today(),
        summary::duration(training),
        crate::bench::machine()
    );
    crate::snippets::write(root, "compare-summary", &body)?;
    write_nanogpt_snippet(root, report)
}

/// The snippet `compare-nanogpt`: nanogpt's long run (its chapter's "what it reaches"), every 1,500
/// steps, and the best checkpoint's loss over every val name, as its run printed it.
fn write_nanogpt_snippet(root: &Path, report: &Report) -> Result<PathBuf> {
    let records = report
        .results
        .iter()
        .find_map(|r| match (&r.outcome, r.name.as_str()) {
            (Outcome::Trained(t), "nanogpt") => Some(&t.records),
            _ => None,
        })
        .context("nanogpt did not train")?;
    let dir = report.summary.parent().context("the summary has a directory")?.join("nanogpt");
    let printed = std::fs::read_to_string(dir.join("train.txt"))?;
    let best = printed
        .lines()
        .find(|l| l.starts_with("best val loss"))
        .context("nanogpt printed no best val loss")?;
    let steps = records.last().map_or(0, |r| r.step);
    let body = format!(
        "`nanogpt train --steps {}` (the cosine ends at the last step; the other defaults unchanged), as \
         `cargo xtask compare` runs it; seconds of wall time since the start, evaluations included:\n\n{}\n\
         At its end it printed: `{best}`.\n\n*Measured by `cargo xtask compare --snippets` on {}, {}.*\n",
        summary::thousands(steps as u64),
        summary::log_table(records, 1500, true),
        crate::snippets::today(),
        crate::bench::machine()
    );
    crate::snippets::write(root, "compare-nanogpt", &body)
}

/// Trains one run with its budget; returns its run log.
fn train(bin: &Path, run: &Run, opts: &Options) -> Result<Vec<harness::Record>> {
    let dir = opts.out.join(run.krate);
    let (flags, steps) = if opts.quick { (run.quick, run.steps.1) } else { (run.full, run.steps.0) };
    let mut cmd = Command::new(bin);
    cmd.arg("train").arg("--data").arg(&opts.data).arg("--out").arg(&dir).args(flags);
    let reporter = Reporter::new(run.krate, steps);
    match runner::run(cmd, &dir.join("train.txt"), &reporter) {
        Ok(done) => {
            reporter.finish(&format!("trained in {:.1}s", done.elapsed.as_secs_f64()));
            Ok(harness::read_run_log(&dir.join(harness::runlog::LOG_FILE))?)
        }
        Err(e) => {
            reporter.finish("failed");
            Err(e)
        }
    }
}

/// One stage's records, parameters and five samples, from its run's directory.
fn collect(bin: &Path, stage: &Stage, records: &[harness::Record], dir: &Path) -> Outcome {
    let records: Vec<_> = records.iter().filter(|r| r.stage == stage.name).cloned().collect();
    if records.is_empty() {
        return Outcome::Failed(format!(
            "its run log {} has no records of stage {}",
            dir.display(),
            stage.name
        ));
    }
    let params =
        harness::checkpoint::weights_path(dir).ok().and_then(|p| count_params(&p, stage.is_param).ok());
    let samples = match sample(bin, stage, dir) {
        Ok(samples) => samples,
        Err(e) => return Outcome::Failed(format!("sampling failed: {e:#}")),
    };
    Outcome::Trained(Trained { records, params, samples })
}

/// Five names from the checkpoint in `dir`.
fn sample(bin: &Path, stage: &Stage, dir: &Path) -> Result<Vec<String>> {
    let output = Command::new(bin)
        .arg("sample")
        .arg("--checkpoint")
        .arg(dir)
        .args(["--num-samples", "5"])
        .args(stage.sample)
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{}", stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)"));
    }
    Ok(summary::parse_samples(&String::from_utf8_lossy(&output.stdout)))
}

/// The number of elements of the tensors in a safetensors file that `is_param` picks.
pub fn count_params(path: &Path, is_param: fn(&str) -> bool) -> Result<usize> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let tensors = safetensors::SafeTensors::deserialize(&bytes)
        .with_context(|| format!("{} is not a safetensors file", path.display()))?;
    Ok(tensors
        .iter()
        .filter(|(name, _)| is_param(name))
        .map(|(_, t)| t.shape().iter().product::<usize>())
        .sum())
}
