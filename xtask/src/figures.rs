//! `cargo xtask figures`: every figure the lectures show, regenerated into `lectures/src/figures/` by the
//! stage subcommands that draw them. Same code, same seeds, same data: the same files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::cargo;
use crate::compare;

/// One figure-drawing command of a stage.
struct Job {
    krate: &'static str,
    /// What the lectures call it.
    what: &'static str,
    /// The stage's subcommands to run, in order, given the output and a scratch directory.
    commands: fn(out: &Path, scratch: &Path) -> Vec<Vec<String>>,
    /// The files it writes under the output directory (each as `.png` and `.svg`).
    stems: &'static [&'static str],
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The mlp figures come from a trained checkpoint: the lecture's model, trained with a fixed budget.
const MLP_FIGURE_STEPS: &str = "20000";

const JOBS: &[Job] = &[
    Job {
        krate: "micrograd",
        what: "two moons and the decision boundary",
        commands: |out, _| vec![vec!["moons".into(), "--out".into(), s(out)]],
        stems: &["moons"],
    },
    Job {
        krate: "bigram",
        what: "the bigram count table",
        commands: |out, _| vec![vec!["heatmap".into(), "--figure".into(), s(&out.join("bigram-heatmap"))]],
        stems: &["bigram-heatmap"],
    },
    Job {
        krate: "mlp",
        what: "learning-rate sweep, loss curve, embeddings, activations",
        commands: |out, scratch| {
            let ckpt = scratch.join("mlp");
            vec![
                vec!["lr-find".into(), "--figure".into(), s(&out.join("mlp-lr-find"))],
                vec!["train".into(), "--out".into(), s(&ckpt), "--steps".into(), MLP_FIGURE_STEPS.into()],
                vec!["figures".into(), "--checkpoint".into(), s(&ckpt), "--out-dir".into(), s(out)],
            ]
        },
        stems: &["mlp-lr-find", "mlp-loss", "mlp-embedding", "mlp-activations", "mlp-activations-init"],
    },
];

/// What `figures` did.
#[derive(Debug)]
pub struct Report {
    /// One line per figure or problem, for the user.
    pub lines: Vec<String>,
    /// False if a stage was missing or a figure failed.
    pub complete: bool,
}

/// Regenerates every figure into `out`.
pub fn figures(root: &Path, out: &Path) -> Result<Report> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let out = &std::path::absolute(out)?;
    let scratch = std::env::temp_dir().join(format!("xtask-figures-{}", std::process::id()));
    let present: Vec<&str> = JOBS.iter().map(|j| j.krate).filter(|k| cargo::crate_exists(root, k)).collect();
    let built = cargo::build_release(root, &present)?;
    let (mut lines, mut complete) = (Vec::new(), true);
    for job in JOBS {
        let Some(bin) = built.binaries.get(job.krate) else {
            complete = false;
            lines.push(match built.failed.get(job.krate) {
                Some(e) => format!("{}: {} not drawn: the crate does not build: {e}", job.krate, job.what),
                None => format!("{}: {} not drawn: the crate is missing", job.krate, job.what),
            });
            continue;
        };
        eprintln!("figures: {} ({})", job.krate, job.what);
        match run_job(bin, job, out, &scratch) {
            Ok(()) => lines
                .extend(job.stems.iter().map(|stem| format!("wrote {}.png and .svg", s(&out.join(stem))))),
            Err(e) => {
                complete = false;
                lines.push(format!("{}: {} failed: {e:#}", job.krate, job.what));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    // The comparison: from the last full `cargo xtask compare` if there is one, else a quick one.
    let last = root.join("runs").join("compare");
    let (from, fresh) = if last.join("loss.png").is_file() && last.join("loss.svg").is_file() {
        (last, false)
    } else {
        let dir = std::env::temp_dir().join(format!("xtask-figures-compare-{}", std::process::id()));
        let opts = compare::Options {
            data: root.join("data").join("names.txt"),
            out: dir.clone(),
            quick: true,
            stages: None,
        };
        eprintln!("figures: no runs/compare yet, running a quick comparison");
        let report = compare::compare(root, &opts)?;
        complete &= report.all_trained();
        (dir, true)
    };
    match copy_figure(&from.join("loss"), &out.join("compare-loss")) {
        Ok(()) => lines.push(format!(
            "wrote {}.png and .svg (from {})",
            s(&out.join("compare-loss")),
            if fresh { "a quick comparison".to_owned() } else { s(&from) }
        )),
        Err(e) => {
            complete = false;
            lines.push(format!("compare: the loss figure is missing: {e:#}"));
        }
    }
    if fresh {
        let _ = std::fs::remove_dir_all(&from);
    }
    Ok(Report { lines, complete })
}

/// Runs a job's commands one after the other; checks that each promised file exists afterwards.
fn run_job(bin: &Path, job: &Job, out: &Path, scratch: &Path) -> Result<()> {
    for args in (job.commands)(out, scratch) {
        let output = Command::new(bin).args(&args).stdin(Stdio::null()).output()?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)");
            bail!("`{} {}`: {last}", job.krate, args.join(" "));
        }
    }
    for stem in job.stems {
        for ext in ["png", "svg"] {
            let path = out.join(format!("{stem}.{ext}"));
            if !path.is_file() {
                bail!("`{}` did not write {}", job.krate, path.display());
            }
        }
    }
    Ok(())
}

fn copy_figure(from: &Path, to: &Path) -> Result<()> {
    for ext in ["png", "svg"] {
        let (a, b): (PathBuf, PathBuf) = (from.with_extension(ext), to.with_extension(ext));
        std::fs::copy(&a, &b).with_context(|| format!("cannot copy {} to {}", a.display(), b.display()))?;
    }
    Ok(())
}
