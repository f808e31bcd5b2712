//! `cargo xtask figures`: every figure the lectures show, regenerated into `lectures/src/figures/` by the
//! stage subcommands that draw them, each from the run its chapter describes. Same code, same seeds,
//! same data: the same files (all but the README's comparison, which plots wall-clock time).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use harness::overwrite::{guard_replace, write_guarded};

use crate::cargo;
use crate::owned::{git_clean, holds};

/// One run of a stage, and the figures the lectures keep from it.
struct Job {
    krate: &'static str,
    /// What the lectures call it.
    what: &'static str,
    /// The stage's subcommands, run in order. Each job has a scratch directory of its own for its
    /// checkpoint and figures, so a run never sees another's files and only `stems` reach the book.
    commands: fn(scratch: &Path) -> Vec<Vec<String>>,
    /// The figures the chapters show, copied from the scratch directory: `{stem}.{ext}` for each of `exts`.
    stems: &'static [&'static str],
    exts: &'static [&'static str],
    /// The book's snippet this job's first command (a training run) measures, if any: how that run
    /// ends, its training time and its wall time (see [`crate::snippets`]).
    snippet: Option<&'static str>,
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|&p| p.to_owned()).collect()
}

/// Trains the mlp with `flags` (on top of the lecture's defaults: 200,000 steps) and draws its figures
/// with file names starting `prefix`: `mlp figures` writes a loss curve, an embedding and two
/// activation histograms, and each job keeps only the ones its chapter shows.
fn mlp_run(scratch: &Path, flags: &[&str], prefix: &str) -> Vec<Vec<String>> {
    let ckpt = s(&scratch.join("run"));
    let train = [&["train", "--out", &ckpt], flags].concat();
    let figures = ["figures", "--checkpoint", &ckpt, "--out-dir", &s(scratch), "--prefix", prefix];
    vec![argv(&train), argv(&figures)]
}

const PNG_SVG: &[&str] = &["png", "svg"];

/// Every figure of the chapters, each from the run the chapter describes.
const JOBS: &[Job] = &[
    Job {
        krate: "micrograd",
        what: "the expression and neuron graphs (micrograd.md)",
        commands: |dir| vec![argv(&["graph", "--out", &s(dir)])],
        stems: &["expression", "neuron"],
        // The DOT text is ours; the SVG is Graphviz's rendering of it.
        exts: &["dot", "svg"],
        snippet: None,
    },
    Job {
        krate: "micrograd",
        what: "two moons and the decision boundary (micrograd.md)",
        commands: |dir| vec![argv(&["moons", "--out", &s(dir)])],
        stems: &["moons"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "bigram",
        what: "the bigram count table (bigram.md)",
        commands: |dir| vec![argv(&["heatmap", "--figure", &s(&dir.join("bigram-heatmap"))])],
        stems: &["bigram-heatmap"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "mlp",
        what: "the learning-rate sweep (mlp.md)",
        commands: |dir| vec![argv(&["lr-find", "--figure", &s(&dir.join("mlp-lr-find"))])],
        stems: &["mlp-lr-find"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "mlp",
        what: "the default run's loss curve and activations (mlp.md)",
        // Evaluating every 1,000 steps gives the loss curve its 200 points (the default is every 20,000).
        commands: |dir| mlp_run(dir, &["--eval-interval", "1000"], "mlp"),
        // Its embedding is C[:, 0..2] of ten dimensions; the chapter shows the 2-D run's instead.
        stems: &["mlp-loss", "mlp-activations", "mlp-activations-init"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "mlp",
        what: "the 2-D embeddings of an --n-embd 2 run (mlp.md)",
        commands: |dir| mlp_run(dir, &["--n-embd", "2"], "mlp"),
        stems: &["mlp-embedding"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "mlp",
        what: "activations at init with Kaiming init and batch norm (mlp.md)",
        commands: |dir| mlp_run(dir, &["--scale-output", "--kaiming", "--batchnorm"], "mlp-fixed"),
        stems: &["mlp-fixed-activations-init"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "nanogpt",
        what: "the trained heads' attention on a name (nanogpt.md)",
        commands: |dir| {
            let ckpt = s(&dir.join("run"));
            let figure = s(&dir.join("nanogpt-attention"));
            vec![
                argv(&["train", "--out", &ckpt]),
                argv(&["attention", "--checkpoint", &ckpt, "--text", "isabella", "--figure", &figure]),
            ]
        },
        stems: &["nanogpt-attention"],
        exts: PNG_SVG,
        snippet: None,
    },
    Job {
        krate: "nanogpt",
        what: "the one-minute Shakespeare run's loss curve (nanogpt.md)",
        commands: |dir| {
            let ckpt = s(&dir.join("run"));
            let figure = s(&dir.join("nanogpt-shakespeare-loss"));
            vec![
                argv(&[&["train", "--out", &ckpt], SHAKESPEARE_MINUTE].concat()),
                argv(&["loss-curve", "--checkpoint", &ckpt, "--target", "1.75", "--figure", &figure]),
            ]
        },
        stems: &["nanogpt-shakespeare-loss"],
        exts: PNG_SVG,
        snippet: Some("figures-shakespeare-minute"),
    },
    Job {
        krate: "microgpt",
        what: "the 1,000 losses over microgpt.py's (microgpt.md)",
        commands: |dir| vec![argv(&["figure", "--figure", &s(&dir.join("microgpt-parity"))])],
        stems: &["microgpt-parity"],
        exts: PNG_SVG,
        snippet: None,
    },
];

/// Chapter 4's one-minute Shakespeare run: nanoGPT's `shakespeare_char` CPU config made shallower (2
/// layers), wider in batch (16) and with a higher learning rate (4e-3): val ≤ 1.75 within 60 s of
/// training on 2 cores.
pub const SHAKESPEARE_MINUTE: &[&str] = &[
    "--text",
    "data/shakespeare.txt",
    "--n-layer",
    "2",
    "--n-head",
    "4",
    "--n-embd",
    "128",
    "--block-size",
    "64",
    "--batch-size",
    "16",
    "--learning-rate",
    "4e-3",
    "--min-lr",
    "1e-4",
    "--warmup-steps",
    "50",
    "--steps",
    "2000",
    "--eval-interval",
    "250",
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
    let mut present: Vec<&str> =
        JOBS.iter().map(|j| j.krate).filter(|k| cargo::crate_exists(root, k)).collect();
    present.dedup();
    let built = cargo::build_release(root, &present)?;
    let (mut lines, mut complete) = (Vec::new(), true);
    for (i, job) in JOBS.iter().enumerate() {
        let Some(bin) = built.binaries.get(job.krate) else {
            complete = false;
            lines.push(match built.failed.get(job.krate) {
                Some(e) => format!("{}: {} not drawn: the crate does not build: {e}", job.krate, job.what),
                None => format!("{}: {} not drawn: the crate is missing", job.krate, job.what),
            });
            continue;
        };
        eprintln!("figures: {}: {}", job.krate, job.what);
        match run_job(root, bin, job, &scratch.join(i.to_string()), out) {
            Ok(written) => lines.extend(written.iter().map(|p| format!("wrote {}", s(p)))),
            Err(e) => {
                complete = false;
                lines.push(format!("{}: {} failed: {e:#}", job.krate, job.what));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    lines.push(compare_figure(root, out));
    Ok(Report { lines, complete })
}

/// The README's comparison, copied from the last full `cargo xtask compare`. Its x axis is wall-clock
/// seconds, so no run reproduces it byte for byte, and the README's table quotes the run it came from:
/// without a full comparison in `runs/compare` the committed figure stays as it is.
pub fn compare_figure(root: &Path, out: &Path) -> String {
    let from = root.join("runs").join("compare");
    let to = out.join("compare-loss");
    let present = ["png", "svg"].iter().all(|ext| out.join(format!("compare-loss.{ext}")).is_file());
    // Say "kept" only of files that are there.
    let not_drawn = |why: String| {
        if present {
            format!("kept {}.png and .svg: {why}", s(&to))
        } else {
            format!("did not write {}.png and .svg: {why}", s(&to))
        }
    };
    let summary = std::fs::read_to_string(from.join("summary.md")).unwrap_or_default();
    if !summary.contains("(full budget)") {
        return not_drawn(format!(
            "no full comparison in {} (run `cargo xtask compare`, then update the README's table)",
            s(&from)
        ));
    }
    let files = ["png", "svg"].map(|ext| (from.join(format!("loss.{ext}")), to.with_extension(ext)));
    match copy_all(root, &files) {
        Ok(_) => format!("wrote {}.png and .svg (from {})", s(&to), s(&from)),
        Err(e) => not_drawn(format!("{e:#}")),
    }
}

/// Whether xtask may replace `to` with `bytes`: a figure of ours, the very same bytes, or a file git
/// tracks unmodified (see [`crate::owned`]). For micrograd's DOT and Graphviz SVG, the graph's id in it.
fn may_replace(root: &Path, to: &Path, bytes: &[u8]) -> bool {
    let graph_id = to.file_stem().map(|stem| {
        format!("micrograd_{}", stem.to_string_lossy().replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
    });
    let is_graph = |p: &Path| {
        graph_id.as_ref().is_some_and(|id| std::fs::read_to_string(p).is_ok_and(|t| t.contains(id.as_str())))
    };
    plot::is_our_figure(to) || holds(to, bytes) || git_clean(root, to) || is_graph(to)
}

/// Copies every `(from, to)` pair, or none: all sources must exist and every destination must be ours to
/// replace before the first copy (each copy is atomic and never follows a symlink).
fn copy_all(root: &Path, files: &[(PathBuf, PathBuf)]) -> Result<Vec<PathBuf>> {
    let mut contents = Vec::new();
    for (from, to) in files {
        let bytes = std::fs::read(from).with_context(|| format!("cannot read {}", from.display()))?;
        guard_replace(to, |p| may_replace(root, p, &bytes))?;
        contents.push(bytes);
    }
    let mut written = Vec::new();
    for ((_, to), bytes) in files.iter().zip(&contents) {
        write_guarded(to, bytes, |p| may_replace(root, p, bytes))?;
        written.push(to.clone());
    }
    Ok(written)
}

/// Runs a job's commands one after the other in its scratch directory, then copies the figures it
/// promised into `out`. Returns the files written.
fn run_job(root: &Path, bin: &Path, job: &Job, scratch: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    let mut first: Option<(Vec<String>, String, f64)> = None;
    for args in (job.commands)(scratch) {
        let start = std::time::Instant::now();
        let output = Command::new(bin).args(&args).current_dir(root).stdin(Stdio::null()).output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if first.is_none() {
            first = Some((args.clone(), stdout.to_string(), start.elapsed().as_secs_f64()));
        }
        // The losses a training run ends with are the numbers the chapters quote: show them.
        for line in stdout.lines().filter(|l| l.starts_with("train loss")) {
            eprintln!("figures: `{} {}`: {line}", job.krate, args[0]);
        }
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)");
            bail!("`{} {}`: {last}", job.krate, args.join(" "));
        }
    }
    // Every promised file must be there before any is copied: a job that drew some of its figures (the
    // DOT without Graphviz's SVG, say) changes nothing in `out`.
    let mut files = Vec::new();
    for stem in job.stems {
        for ext in job.exts {
            let (from, to) = (scratch.join(format!("{stem}.{ext}")), out.join(format!("{stem}.{ext}")));
            if !from.is_file() {
                bail!("`{}` did not write {}; nothing of this job was copied", job.krate, from.display());
            }
            files.push((from, to));
        }
    }
    let written = copy_all(root, &files)?;
    if let (Some(name), Some((args, stdout, wall))) = (job.snippet, first) {
        write_run_snippet(root, name, job.krate, &args, &stdout, wall, scratch)?;
    }
    Ok(written)
}

/// A training run's snippet: the command as a learner types it, the last lines it printed (its final
/// losses), its training time from the run log and its wall time.
fn write_run_snippet(
    root: &Path,
    name: &str,
    krate: &str,
    args: &[String],
    stdout: &str,
    wall: f64,
    scratch: &Path,
) -> Result<()> {
    let log = harness::read_run_log(&scratch.join("run").join(harness::runlog::LOG_FILE))?;
    let training = log.last().map_or(0.0, |r| r.elapsed_s);
    // The learner's command: the scratch --out is theirs to choose.
    let mut shown = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--out" {
            it.next();
            shown.push(format!("--out runs/{krate}"));
        } else {
            shown.push(a.clone());
        }
    }
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    let body = format!(
        "```text\n$ cargo run --release -p {krate} -- {}\n…\n{}\n```\n\n*{training:.1} s of training \
         ({wall:.1} s in all, with reading the text and the final evaluation): `cargo xtask figures` on {}, \
         {}.*\n",
        shown.join(" "),
        tail.join("\n"),
        crate::snippets::today(),
        crate::bench::machine()
    );
    crate::snippets::write(root, name, &body)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `figures/NAME.EXT` a chapter or the README shows.
    fn shown(root: &Path) -> Vec<String> {
        let mut texts = vec![std::fs::read_to_string(root.join("README.md")).unwrap()];
        for entry in std::fs::read_dir(root.join("lectures").join("src")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
        let mut names: Vec<String> = texts
            .iter()
            .flat_map(|t| t.split("figures/").skip(1))
            .map(|rest| rest.chars().take_while(|c| c.is_alphanumeric() || "-_.".contains(*c)).collect())
            .filter(|name: &String| name.contains('.'))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every file the jobs write, and the comparison copied beside them.
    fn drawn() -> Vec<String> {
        let jobs = JOBS.iter().flat_map(|j| j.stems.iter().map(move |stem| (stem, j.exts)));
        let mut files: Vec<String> = jobs
            .chain([(&"compare-loss", PNG_SVG), (&"ladder", PNG_SVG)]) // `compare --snippets`, `ladder --snippets`
            .flat_map(|(stem, exts)| exts.iter().map(move |ext| format!("{stem}.{ext}")))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_jobs_draw_every_figure_shown_and_nothing_else() {
        let (shown, drawn) = (shown(&crate::workspace_root()), drawn());
        let mut unique = drawn.clone();
        unique.dedup();
        assert_eq!(unique, drawn, "two jobs write the same file");
        for name in &shown {
            assert!(drawn.contains(name), "the book shows {name}, but no job writes it");
        }
        // A chapter shows the PNG or the SVG of a figure; the other is kept beside it.
        for name in &drawn {
            let stem = name.rsplit_once('.').unwrap().0;
            assert!(shown.iter().any(|n| n.starts_with(&format!("{stem}."))), "nothing shows {name}");
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-figures-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn kept_is_said_only_of_files_that_are_there() {
        let (root, out) = (scratch("root"), scratch("out"));
        let line = compare_figure(&root, &out);
        assert!(line.starts_with("did not write") && line.contains("no full comparison"), "{line}");
        for ext in ["png", "svg"] {
            std::fs::write(out.join(format!("compare-loss.{ext}")), "x").unwrap();
        }
        assert!(compare_figure(&root, &out).starts_with("kept"));
    }

    #[test]
    fn copies_are_all_or_nothing_and_never_over_a_users_file() {
        let (root, src, out) = (scratch("copy-root"), scratch("copy-src"), scratch("copy-out"));
        for name in ["a.dot", "a.svg"] {
            std::fs::write(src.join(name), format!("new {name}")).unwrap();
        }
        std::fs::write(out.join("a.dot"), "digraph micrograd_a { old }").unwrap(); // an earlier graph: ours
        std::fs::write(out.join("a.svg"), "the user's drawing").unwrap();
        let files: Vec<_> = ["a.dot", "a.svg"].iter().map(|n| (src.join(n), out.join(n))).collect();
        let err = copy_all(&root, &files).unwrap_err();
        assert!(format!("{err:#}").starts_with("refusing to overwrite"), "{err:#}");
        assert_eq!(std::fs::read_to_string(out.join("a.dot")).unwrap(), "digraph micrograd_a { old }");
        assert_eq!(std::fs::read_to_string(out.join("a.svg")).unwrap(), "the user's drawing");
        // A missing source stops everything before the first copy too.
        std::fs::remove_file(out.join("a.svg")).unwrap();
        std::fs::remove_file(src.join("a.svg")).unwrap();
        assert!(copy_all(&root, &files).is_err());
        assert_eq!(std::fs::read_to_string(out.join("a.dot")).unwrap(), "digraph micrograd_a { old }");
        std::fs::write(src.join("a.svg"), "new a.svg").unwrap();
        assert_eq!(copy_all(&root, &files).unwrap().len(), 2);
        assert_eq!(std::fs::read_to_string(out.join("a.dot")).unwrap(), "new a.dot");
    }

    #[test]
    fn the_committed_figures_are_exactly_the_ones_drawn() {
        let dir = crate::workspace_root().join("lectures").join("src").join("figures");
        let mut committed: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        committed.sort();
        assert_eq!(committed, drawn());
    }
}
