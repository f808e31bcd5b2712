//! The default runs of `cargo xtask bench`: every stage binary with no arguments, as a learner first
//! runs it (`cargo run --release -p STAGE`), timed, with the end of what it printed. The chapters quote
//! the printed part (its last losses and its first samples) from here, so they show what the run prints.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use super::{Measured, measure_to};

/// The stages in the lectures' order.
pub const STAGES: [&str; 5] = ["micrograd", "bigram", "mlp", "nanogpt", "microgpt"];

/// How many samples a run snippet keeps (each stage prints 20).
const SAMPLES: usize = 10;

/// One stage's default run.
#[derive(Debug)]
pub struct DefaultRun {
    pub krate: &'static str,
    pub measured: Measured,
    pub stdout: String,
    /// The last validation loss of its run log, if it logged one.
    pub val_loss: Option<f64>,
    /// The training steps its run log ends at.
    pub steps: usize,
    /// Its run log.
    pub records: Vec<harness::Record>,
}

/// Runs each stage of `binaries` with no arguments, in its own directory under `scratch` (so its default
/// `--out`, `runs/STAGE`, is printed as a learner sees it). A stage that fails is reported, not fatal.
pub fn run_all(
    binaries: &BTreeMap<String, PathBuf>,
    scratch: &Path,
) -> Vec<(&'static str, Result<DefaultRun>)> {
    STAGES
        .iter()
        .map(|&krate| {
            let run = || -> Result<DefaultRun> {
                let bin = binaries.get(krate).context("missing or does not build")?;
                let dir = scratch.join("default").join(krate);
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                eprintln!("bench: cargo run --release -p {krate} (no arguments)");
                let out_path = dir.join("stdout.txt");
                let file = std::fs::File::create(&out_path)?;
                let mut cmd = Command::new(bin);
                cmd.current_dir(&dir);
                let measured = measure_to(cmd, file)?;
                let stdout = std::fs::read_to_string(&out_path)?;
                let log =
                    harness::read_run_log(&dir.join("runs").join(krate).join(harness::runlog::LOG_FILE))?;
                let val_loss = log.iter().rev().find_map(|r| r.val_loss);
                let steps = log.iter().map(|r| r.step).max().unwrap_or(0);
                Ok(DefaultRun { krate, measured, stdout, val_loss, steps, records: log })
            };
            (krate, run())
        })
        .collect()
}

/// The table of every stage's default run: wall time and peak memory.
pub fn table(runs: &[(&'static str, Result<DefaultRun>)]) -> String {
    let mut md = String::from(
        "| stage | `cargo run --release -p …`, no arguments | steps | val loss | wall time | peak RSS |\n",
    );
    md.push_str("|---|---|--:|--:|--:|--:|\n");
    for (krate, run) in runs {
        match run {
            Ok(r) => {
                let _ = writeln!(
                    md,
                    "| {krate} | {} | {} | {} | {:.2} s | {} |",
                    what(krate),
                    crate::compare::summary::thousands(r.steps as u64),
                    r.val_loss.map_or_else(|| "–".into(), |v| format!("{v:.4}")),
                    r.measured.wall.as_secs_f64(),
                    r.measured
                        .peak_kib
                        .map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
                );
            }
            Err(e) => {
                let _ = writeln!(md, "| {krate} | failed: {e:#} | | | | |");
            }
        }
    }
    md.push_str(
        "\nOne run each, release build, evaluation and sampling included. The val loss is the last one the \
         run logged, on the canonical split's validation names (nanogpt: its trainer's estimate).\n",
    );
    md
}

/// What a stage's default run does (its lecture's defaults; the step count comes from its run log).
fn what(krate: &str) -> &'static str {
    match krate {
        "micrograd" => "a neural bigram on scalars, then samples",
        "bigram" => "the count table, then the neural bigram, then samples",
        "mlp" => "makemore's MLP, then samples",
        "nanogpt" => "the names transformer, then samples",
        "microgpt" => "microGPT's training, then samples",
        _ => "",
    }
}

/// The snippet of one run: the command, its time, and what it printed, shortened to its first four
/// lines, the three before the samples and the first samples. `when` says when and on what machine.
pub fn snippet(run: &DefaultRun, when: &str) -> String {
    let lines: Vec<&str> = run.stdout.lines().collect();
    let marker = lines.iter().position(|l| l.starts_with("--- "));
    let mut shown: Vec<&str> = Vec::new();
    match marker {
        Some(m) => {
            let before: Vec<&str> = lines[..m].iter().copied().filter(|l| !l.trim().is_empty()).collect();
            let n = before.len();
            if n <= 7 {
                shown.extend(&before);
            } else {
                shown.extend(&before[..4]);
                shown.push("…");
                shown.extend(&before[n - 3..]);
            }
            let samples = &lines[m..lines.len().min(m + 1 + SAMPLES)];
            shown.extend(samples);
            if lines.len() > m + 1 + SAMPLES {
                shown.push("…");
            }
        }
        None => shown.extend(&lines),
    }
    format!(
        "```text\n$ cargo run --release -p {}\n{}\n```\n\n*That run took {:.2} s (`cargo xtask bench --snippets` on {when}).*\n",
        run.krate,
        shown.join("\n"),
        run.measured.wall.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_run_is_shortened_to_its_start_its_last_losses_and_its_first_samples() {
        let mut stdout = String::from("a\nb\nc\nd\n");
        for i in 0..20 {
            stdout.push_str(&format!("step {i} | loss 2.0\n"));
        }
        stdout.push_str("--- samples ---\n");
        for i in 1..=20 {
            stdout.push_str(&format!("sample {i:2}: n{i}\n"));
        }
        let run = DefaultRun {
            krate: "mlp",
            measured: Measured { wall: Duration::from_millis(1500), peak_kib: None },
            stdout,
            val_loss: None,
            steps: 20,
            records: Vec::new(),
        };
        let s = snippet(&run, "today");
        let body: Vec<&str> = s.lines().collect();
        assert_eq!(body[1], "$ cargo run --release -p mlp");
        let start =
            ["a", "b", "c", "d", "…", "step 17 | loss 2.0", "step 18 | loss 2.0", "step 19 | loss 2.0"];
        assert_eq!(&body[2..10], start);
        assert_eq!(body[10], "--- samples ---");
        assert_eq!(body[20], "sample 10: n10");
        assert_eq!(body[21], "…");
        assert!(s.contains("took 1.50 s (`cargo xtask bench --snippets` on today)"), "{s}");
    }

    #[test]
    fn a_short_run_is_shown_whole() {
        let run = DefaultRun {
            krate: "bigram",
            measured: Measured { wall: Duration::from_millis(10), peak_kib: Some(2048) },
            stdout: "x\ny\n--- samples ---\nsample  1: a\n".into(),
            val_loss: Some(2.25),
            steps: 1000,
            records: Vec::new(),
        };
        let s = snippet(&run, "today");
        assert!(s.contains("x\ny\n--- samples ---\nsample  1: a\n```"), "{s}");
        assert!(table(&[("bigram", Ok(run))]).contains("| 1,000 | 2.2500 | 0.01 s | 2.0 MiB |"));
    }
}
