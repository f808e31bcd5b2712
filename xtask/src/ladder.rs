//! `cargo xtask ladder`: what "everything else is just efficiency" buys, measured. One model —
//! microGPT's architecture and size, from one set of initial weights — trained on `data/names.txt`'s
//! canonical split by each rung of a ladder from micrograd's scalar nodes to the batched tensor trainer,
//! each rung adding one thing to the rung above it. Writes `ladder.md` (the table), `ladder.png` /
//! `ladder.svg` (val loss against training seconds and against names seen) and every rung's run.

mod figure;
mod table;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use harness::Record;

use crate::bench::batching::{MICROGPT, Timing, parse_nanogpt_bench};
use crate::runner::{self, Reporter};

pub use table::{Row, Timed, markdown};

/// microGPT's optimiser in nanogpt's flags: Adam (no weight decay, no clipping, no warmup) with its
/// betas and learning rate, decaying to 0 (along a cosine: nanogpt has no linear decay).
const MICROGPT_ADAM: &[&str] = &[
    "--learning-rate",
    "0.01",
    "--min-lr",
    "0",
    "--warmup-steps",
    "0",
    "--weight-decay",
    "0",
    "--beta1",
    "0.85",
    "--beta2",
    "0.99",
    "--grad-clip",
    "0",
];

/// Names a step on the batched rungs.
pub const BATCH: usize = 32;

/// How long each rung trains, and the loss every rung is timed to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Steps of the rungs that learn from one name a step; the batched rungs take 1/BATCH as many, so
    /// every rung sees the same names.
    pub doc_steps: usize,
    /// Evaluations on the whole val split, evenly spaced.
    pub evals: usize,
    /// The val loss each rung is timed to.
    pub target: f64,
}

impl Budget {
    /// The full ladder: 64,000 names per rung, about 4 minutes on 2 cores. The slowest rung
    /// (micrograd's nodes) reaches the target in well under 2 minutes.
    pub const FULL: Budget = Budget { doc_steps: 64_000, evals: 40, target: 2.25 };
    /// CI-sized: checks that every rung runs and learns, not a measurement.
    pub const QUICK: Budget = Budget { doc_steps: 640, evals: 4, target: 2.70 };

    fn batch_steps(&self) -> usize {
        self.doc_steps / BATCH
    }
}

/// One rung: which trainer, with which flags and how many threads.
#[derive(Debug, Clone)]
pub struct Rung {
    /// Short name, also its run directory.
    pub name: &'static str,
    /// What it adds to the rung above.
    pub adds: &'static str,
    pub stage: &'static str,
    pub args: Vec<String>,
    /// `RAYON_NUM_THREADS`: how many threads the engine may use.
    pub threads: usize,
    /// Names per step.
    pub batch: usize,
}

impl Rung {
    /// The command a learner can paste to run this rung alone, from `root` (paths under it relative).
    pub fn command(&self, root: &Path) -> String {
        let root = format!("{}/", root.display());
        let args: Vec<&str> = self.args.iter().map(|a| a.strip_prefix(&root).unwrap_or(a)).collect();
        format!(
            "RAYON_NUM_THREADS={} cargo run --release -p {} -- {}",
            self.threads,
            self.stage,
            args.join(" ")
        )
    }
}

/// The rungs, bottom to top, writing their runs under `out` and starting from the weights in `init`.
pub fn rungs(budget: &Budget, out: &Path, init: &Path) -> Vec<Rung> {
    let s = |x: &str| x.to_owned();
    let dir = |name: &str| out.join(name).display().to_string();
    let (doc_steps, batch_steps) = (budget.doc_steps, budget.batch_steps());
    let microgpt = |name: &'static str, adds, kernels: &str| Rung {
        name,
        adds,
        stage: "microgpt",
        args: [
            "train",
            "--held-out",
            "--kernels",
            kernels,
            "--steps",
            &doc_steps.to_string(),
            "--eval-interval",
            &(doc_steps / budget.evals).max(1).to_string(),
            "--out",
            &dir(name),
        ]
        .map(s)
        .to_vec(),
        threads: 1,
        batch: 1,
    };
    let nanogpt = |name: &'static str, adds, batch: usize, kernels: &str, threads| {
        let steps = if batch == 1 { doc_steps } else { batch_steps };
        let mut args: Vec<String> = ["train"].map(s).to_vec();
        args.extend(MICROGPT.iter().copied().map(s));
        args.extend(MICROGPT_ADAM.iter().copied().map(s));
        let eval_interval = (steps / budget.evals).max(1).to_string();
        args.extend(
            [
                "--init-from",
                &init.display().to_string(),
                "--eval-iters",
                "0",
                "--batch-size",
                &batch.to_string(),
                "--kernels",
                kernels,
                "--steps",
                &steps.to_string(),
                "--eval-interval",
                &eval_interval,
                "--out",
                &dir(name),
            ]
            .map(s),
        );
        Rung { name, adds, stage: "nanogpt", args, threads, batch }
    };
    vec![
        microgpt("1-unfused", "micrograd's scalar nodes: one per multiply, one per addition", "unfused"),
        microgpt("2-fused", "fused nodes: a dot product is one node (microgpt)", "fast"),
        nanogpt("3-tensors", "tensors: an op is a whole matrix (nanogpt), one name a step", 1, "plain", 1),
        nanogpt("4-batched", "32 names a step", BATCH, "plain", 1),
        nanogpt("5-fast-kernels", "blocked SIMD matrix products (faer), fused loops", BATCH, "fast", 1),
        nanogpt("6-two-threads", "both cores", BATCH, "fast", 2),
    ]
}

/// Where the ladder writes, and how long it trains.
pub struct Options {
    pub out: PathBuf,
    pub budget: Budget,
    /// A smoke test (`--quick`): the table and figure say so.
    pub quick: bool,
}

/// What a ladder run produced.
pub struct Report {
    pub rows: Vec<Row>,
    pub markdown: String,
    pub table: PathBuf,
    pub figure: plot::Saved,
    /// Wall-clock seconds of the whole ladder, the build left out.
    pub elapsed_s: f64,
}

/// The first line of `ladder.md`: how a rerun knows the file is its own.
const HEADER: &str = "<!-- written by cargo xtask ladder -->";

/// Runs every rung, then writes the table and the figure into `opts.out`.
pub fn ladder(root: &Path, opts: &Options) -> Result<Report> {
    let out = &opts.out;
    ensure!(!out.exists() || out.is_dir(), "--out {} is a file, not a directory", out.display());
    std::fs::create_dir_all(out).with_context(|| format!("cannot create --out {}", out.display()))?;
    let table_path = out.join("ladder.md");
    harness::overwrite::guard_replace(&table_path, |p| {
        harness::overwrite::starts_with(p, HEADER.as_bytes())
    })?;
    let built = crate::cargo::build_release(root, &["microgpt", "nanogpt"])?;
    let clock = std::time::Instant::now(); // the build left out
    if let Some((krate, why)) = built.failed.iter().next() {
        bail!("cannot build {krate}: {why}");
    }
    let bin = |stage: &str| built.binaries[stage].clone();
    let data = root.join("data").join("names.txt");

    // The one model every rung starts from: microgpt's initial weights, saved without training.
    let init = out.join("init");
    let mut cmd = Command::new(bin("microgpt"));
    cmd.args(["train", "--held-out", "--steps", "0", "--out"]).arg(&init).arg("--data").arg(&data);
    let reporter = Reporter::new("init", 0);
    runner::run(cmd, &out.join("init.out"), &reporter)?;
    reporter.finish("microgpt's initial weights saved");

    let mut rows = Vec::new();
    for rung in rungs(&opts.budget, out, &init) {
        let steps = rung.args.iter().skip_while(|a| *a != "--steps").nth(1).and_then(|s| s.parse().ok());
        let reporter = Reporter::new(rung.name, steps.unwrap_or(0));
        let mut cmd = Command::new(bin(rung.stage));
        cmd.args(&rung.args).arg("--data").arg(&data).env("RAYON_NUM_THREADS", rung.threads.to_string());
        runner::run(cmd, &out.join(format!("{}.out", rung.name)), &reporter)
            .with_context(|| format!("rung {} failed", rung.name))?;
        let records = harness::read_run_log(&out.join(rung.name).join(harness::runlog::LOG_FILE))?;
        reporter.finish(&final_val(&records).map_or("no val loss".into(), |v| format!("val loss {v:.4}")));
        rows.push(Row::new(rung, records, opts.budget.target));
    }
    let python = match std::env::var_os("MICROGPT_PY") {
        Some(script) => {
            Some(crate::bench::time_microgpt_py(root, Path::new(&script), 1, &out.join("microgpt-py"))?)
        }
        None => None,
    };
    let sampling = sampling_rates(&bin("nanogpt"), &data)?;
    let at_size = top_rungs_at_default_size(&bin("nanogpt"), &data, opts.quick)?;
    let mut md = markdown(&rows, &opts.budget, python.as_ref().map(|w| w[0]), sampling, opts.quick);
    md.push_str(&table::default_size_markdown(&at_size));
    let init_command = Rung {
        name: "init",
        adds: "",
        stage: "microgpt",
        args: ["train", "--held-out", "--steps", "0", "--out", &init.display().to_string()]
            .map(String::from)
            .to_vec(),
        threads: 1,
        batch: 1,
    };
    md.push_str(
        "\nThe commands, each from the repository's root; the first saves the initial weights:\n\n```sh\n",
    );
    md.push_str(&init_command.command(root).replacen("RAYON_NUM_THREADS=1 ", "", 1));
    md.push('\n');
    for row in &rows {
        md.push_str(&row.rung.command(root));
        md.push('\n');
    }
    md.push_str("```\n");
    harness::overwrite::write_atomic(&table_path, format!("{HEADER}\n{md}").as_bytes())?;
    let figure = figure::draw(&rows, &opts.budget, opts.quick, &out.join("ladder"))?;
    Ok(Report { rows, markdown: md, table: table_path, figure, elapsed_s: clock.elapsed().as_secs_f64() })
}

/// Writes the table as the book's snippet `ladder` and copies the figure into the chapter's figures.
pub fn write_snippet(root: &Path, report: &Report) -> Result<PathBuf> {
    let body = format!(
        "{}\n*Measured by `cargo xtask ladder --snippets` on {} ({} for the whole ladder, the build left out), {}.*\n",
        report.markdown,
        crate::snippets::today(),
        crate::compare::summary::duration(report.elapsed_s),
        crate::bench::machine()
    );
    let figures = root.join("lectures").join("src").join("figures");
    for (from, ext) in [(&report.figure.png, "png"), (&report.figure.svg, "svg")] {
        let to = figures.join(format!("ladder.{ext}"));
        let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        harness::overwrite::write_atomic(&to, &bytes)?;
    }
    crate::snippets::write(root, "ladder", &body)
}

/// The last val loss a run logged.
pub fn final_val(records: &[Record]) -> Option<f64> {
    records.iter().rev().find_map(|r| r.val_loss)
}

/// Tokens per second sampling microGPT's model on tensors, one at a time from one token to a full
/// block: (with the KV cache, recomputing the window).
fn sampling_rates(nanogpt: &Path, data: &Path) -> Result<(f64, f64)> {
    let out = Command::new(nanogpt)
        .args(["bench", "--steps", "1", "--sample-tokens", "5000", "--data"])
        .arg(data)
        .args(MICROGPT)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .context("cannot run nanogpt bench")?;
    ensure!(out.status.success(), "nanogpt bench failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    parse_sampling(&String::from_utf8_lossy(&out.stdout)).context("nanogpt bench printed no sampling rates")
}

/// The last three rungs again at nanogpt's default size (4 layers, n_embd 64: 202,816 parameters),
/// batch 32, timed by `nanogpt bench`: what the kernels and the second core buy once the matrices
/// are big enough to split.
fn top_rungs_at_default_size(
    nanogpt: &Path,
    data: &Path,
    quick: bool,
) -> Result<Vec<(&'static str, Timing)>> {
    let steps = if quick { "5" } else { "100" };
    let mut timed = Vec::new();
    for (what, kernels, threads) in [
        ("4. plain kernels, one thread", "plain", "1"),
        ("5. fast kernels", "fast", "1"),
        ("6. both cores", "fast", "2"),
    ] {
        eprintln!("ladder: nanogpt bench --kernels {kernels} (RAYON_NUM_THREADS={threads})");
        let out = Command::new(nanogpt)
            .args(["bench", "--sample-tokens", "0", "--steps", steps, "--kernels", kernels, "--data"])
            .arg(data)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .context("cannot run nanogpt bench")?;
        ensure!(
            out.status.success(),
            "nanogpt bench failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        timed.push((what, parse_nanogpt_bench(&stdout).context("nanogpt bench printed no timing")?));
    }
    Ok(timed)
}

/// Reads `nanogpt bench`'s line `windows from 1 token   KV   RECOMPUTE`.
pub fn parse_sampling(stdout: &str) -> Option<(f64, f64)> {
    let line = stdout.lines().find(|l| l.trim_start().starts_with("windows from 1 token"))?;
    let mut numbers = line.split_whitespace().filter_map(|w| w.parse::<f64>().ok()).skip(1); // the "1"
    Some((numbers.next()?, numbers.next()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sampling_line_is_read() {
        let out = "sampling 5000 tokens, one at a time (tokens/s):\n                           KV cache  recompute\n  windows from 1 token        81234      40321\n   text, window slides        50000      40000\n";
        assert_eq!(parse_sampling(out), Some((81234.0, 40321.0)));
        assert_eq!(parse_sampling("nothing"), None);
    }

    #[test]
    fn every_rung_sees_the_same_names_and_adds_one_thing() {
        let budget = Budget::FULL;
        let rungs = rungs(&budget, Path::new("/o"), Path::new("/o/init"));
        assert_eq!(rungs.len(), 6);
        for r in &rungs {
            let steps: usize =
                r.args[r.args.iter().position(|a| a == "--steps").unwrap() + 1].parse().unwrap();
            assert_eq!(steps * r.batch, budget.doc_steps, "{}", r.name);
            let command = r.command(Path::new("/o"));
            assert!(command.ends_with(&format!("--out {}", r.name)), "{command}");
            assert_eq!(command.contains("--init-from init "), r.stage == "nanogpt", "{command}");
        }
        // Each rung differs from the one above in one of: trainer, batch, kernels, threads.
        for w in rungs.windows(2) {
            let kernels =
                |r: &Rung| r.args[r.args.iter().position(|a| a == "--kernels").unwrap() + 1].clone();
            let changed = [
                w[0].stage != w[1].stage,
                w[0].batch != w[1].batch,
                kernels(&w[0]) != kernels(&w[1]),
                w[0].threads != w[1].threads,
            ];
            assert_eq!(
                changed.iter().filter(|&&c| c).count(),
                1 + usize::from(w[1].name == "3-tensors"),
                "{} → {}",
                w[0].name,
                w[1].name
            );
        }
    }
}
