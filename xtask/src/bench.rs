//! `cargo xtask bench`: the project's performance figures in one place, measured in one run.
//!
//! - ms per training step of every stage's default model, from its own run log: two runs of N and 2N
//!   steps with the same evaluations (before and after training only), so that the difference of their
//!   logged training times is N steps and nothing else;
//! - microGPT's 1000 steps, the whole program and `train` alone, several times: median wall time and
//!   peak resident memory (VmHWM, polled from /proc while it runs);
//! - the tensor engine's reference models (`cargo bench -p autograd --bench reference_models`);
//! - PyTorch's timings of the same reference models, when python3 can import torch, run in the same
//!   session so the ratios compare like with like; and the original microgpt.py when `MICROGPT_PY`
//!   names a copy;
//! - nanogpt's sampling with and without the KV cache (`bench/sampling.rs`);
//! - the tokenizer's training and encoding times (`bench/tokenizer.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::cargo;

pub mod batching;
mod default_runs;
mod sampling;
mod tokenizer;

/// How one stage is timed: its default model, evaluated only before and after training.
struct StepBench {
    krate: &'static str,
    /// Steps of the shorter run (full, quick); the longer runs twice as many.
    steps: (usize, usize),
    /// Flags that keep evaluation out of the loop, given the shorter run's step count.
    no_eval: fn(usize) -> Vec<String>,
}

const STEP_BENCHES: &[StepBench] = &[
    StepBench {
        krate: "micrograd",
        steps: (100, 10),
        no_eval: |n| vec!["--eval-interval".into(), (2 * n + 1).to_string()],
    },
    StepBench { krate: "bigram", steps: (100, 10), no_eval: |_| vec!["--eval-interval".into(), "0".into()] },
    StepBench { krate: "mlp", steps: (5000, 200), no_eval: |_| vec!["--eval-interval".into(), "0".into()] },
    StepBench {
        krate: "nanogpt",
        steps: (200, 10),
        no_eval: |n| vec!["--eval-interval".into(), (2 * n + 1).to_string()],
    },
    StepBench {
        krate: "microgpt",
        // A step is about 0.1 ms: thousands of them, or the difference of the two runs is noise.
        steps: (3000, 20),
        no_eval: |_| vec!["--eval-interval".into(), "0".into()],
    },
];

/// How many times each stage runs its N and 2N steps; the step time comes from the medians.
const STEP_ROUNDS: usize = 3;

/// What `bench` produced.
#[derive(Debug)]
pub struct Report {
    pub markdown: String,
    pub path: PathBuf,
    /// False if some part could not be measured (a stage missing or failing, the engine bench failing).
    pub complete: bool,
}

/// One process, timed, with its peak memory.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set size in KiB (Linux `VmHWM`), if /proc could tell.
    pub peak_kib: Option<u64>,
}

/// `VmHWM` (peak resident memory, KiB) from a /proc/PID/status text.
pub fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd` to the end with its output discarded, polling its peak memory. Fails with the last line of
/// its stderr if it fails.
pub fn measure(cmd: Command) -> Result<Measured> {
    measure_to(cmd, Stdio::null())
}

/// [`measure`], with the command's standard output going to `stdout` (a file, say).
pub fn measure_to(mut cmd: Command, stdout: impl Into<Stdio>) -> Result<Measured> {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let status_path = PathBuf::from(format!("/proc/{}/status", child.id()));
    let mut peak = None;
    let status = loop {
        // The peak only grows; the last reading before exit is the closest to the true one.
        if let Some(kib) = std::fs::read_to_string(&status_path).ok().as_deref().and_then(vm_hwm_kib) {
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = start.elapsed();
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        bail!("{} ({status})", stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)"));
    }
    Ok(Measured { wall, peak_kib: peak })
}

/// The median of some durations (the mean of the middle two for an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

/// One model's training-step time from an engine or PyTorch bench.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelTime {
    pub name: String,
    pub params: u64,
    pub ms_per_step: f64,
}

/// The rows of `cargo bench -p autograd --bench reference_models`: `name params ms/step ...`.
pub fn parse_engine_bench(stdout: &str) -> Vec<ModelTime> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let name = cols.next()?.to_owned();
            let params = cols.next()?.parse().ok()?;
            let ms_per_step = cols.next()?.parse().ok()?;
            Some(ModelTime { name, params, ms_per_step })
        })
        .collect()
}

/// The lines of `torch_ref.py`: `name\tparams=N\tms/step=X\tloss=L`.
pub fn parse_torch_ref(stdout: &str) -> Vec<ModelTime> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let name = cols.next()?.to_owned();
            let field = |c: Option<&str>, key: &str| c?.strip_prefix(key).map(str::to_owned);
            let params = field(cols.next(), "params=")?.parse().ok()?;
            let ms_per_step = field(cols.next(), "ms/step=")?.parse().ok()?;
            Some(ModelTime { name, params, ms_per_step })
        })
        .collect()
}

/// The names file both the engine bench and PyTorch time on.
fn names_file(root: &Path) -> PathBuf {
    // The repo's own names, which every learner has and the snippets' fingerprint covers.
    root.join("data").join("names.txt")
}

/// Trains `bin` for `steps` steps into `dir`, returning the training time its run log records.
fn logged_train_time(
    bin: &Path,
    bench: &StepBench,
    steps: usize,
    no_eval: &[String],
    dir: &Path,
) -> Result<f64> {
    let _ = std::fs::remove_dir_all(dir);
    let mut cmd = Command::new(bin);
    cmd.arg("train").arg("--out").arg(dir).args(["--steps", &steps.to_string()]).args(no_eval);
    measure(cmd).with_context(|| format!("{} train --steps {steps}", bench.krate))?;
    let log = harness::read_run_log(&dir.join(harness::runlog::LOG_FILE))?;
    let last = log.iter().filter(|r| r.step <= steps).max_by_key(|r| r.step).context("empty run log")?;
    Ok(last.elapsed_s)
}

/// The first line of every `bench.md`: how a later run knows the file is its own.
const BENCH_HEADER: &str = "# cargo xtask bench";

/// Whether `path` is a `bench.md` this command wrote.
fn is_our_bench(path: &Path) -> bool {
    harness::overwrite::starts_with(path, BENCH_HEADER.as_bytes())
}

/// `out/bench.md`, after checking, before any benchmark runs, that `out` is (or can be made) a writable
/// directory and that `bench.md` there is absent or ours: a refusal never comes after minutes of timing.
pub fn claim_out(out: &Path) -> Result<PathBuf> {
    ensure!(!out.exists() || out.is_dir(), "--out {} is a file, not a directory", out.display());
    std::fs::create_dir_all(out).with_context(|| format!("cannot create --out {}", out.display()))?;
    let path = out.join("bench.md");
    harness::overwrite::guard_replace(&path, is_our_bench)?;
    let probe = harness::overwrite::temp_path(&path);
    let _ = std::fs::remove_file(&probe); // a leftover of a killed run with our PID
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| format!("cannot write into --out {}", out.display()))?;
    std::fs::remove_file(&probe).with_context(|| format!("cannot write into --out {}", out.display()))?;
    Ok(path)
}

/// Runs every benchmark and writes `out/bench.md`; with `snippets`, also each section as the book's
/// snippet (`lectures/snippets/bench-*.md`, and `run-STAGE.md` for each stage's default run).
pub fn bench(root: &Path, out: &Path, quick: bool, snippets: bool) -> Result<Report> {
    ensure!(!(quick && snippets), "--snippets records the book's numbers: it cannot be --quick");
    let path = claim_out(out)?;
    let mut md = String::new();
    let mut complete = true;
    // Where each section starts in `md`, and the snippet it becomes.
    let mut sections: Vec<(&'static str, usize)> = Vec::new();
    let mut run_snippets: Vec<(String, String)> = Vec::new();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(md, "{BENCH_HEADER}\n");
    let _ = writeln!(
        md,
        "Measured in one run on this machine ({threads} cores{}). Release builds.\n",
        if quick { "; `--quick`: too few steps to trust, a check that the bench runs" } else { "" }
    );

    let present: Vec<&str> =
        STEP_BENCHES.iter().map(|b| b.krate).filter(|k| cargo::crate_exists(root, k)).collect();
    let built = cargo::build_release(root, &present)?;
    let scratch = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));

    // Every stage as a learner first runs it.
    sections.push(("bench-default-runs", md.len()));
    let _ = writeln!(md, "## Every stage's default run\n");
    let runs = default_runs::run_all(&built.binaries, &scratch);
    let when = format!("{}, {}", crate::snippets::today(), machine());
    md.push_str(&default_runs::table(&runs));
    md.push('\n');
    for (krate, run) in &runs {
        match run {
            Ok(run) => {
                run_snippets.push((format!("run-{krate}"), default_runs::snippet(run, &when)));
                if *krate == "nanogpt" {
                    // The chapter's table of the default run, every 500 steps, from its run log.
                    let table = crate::compare::summary::log_table(&run.records, 500, false);
                    let note = "\nThe val loss is the trainer's estimate (20 fixed batches of 32 names); the train loss \
                                the mean of the minibatch losses since the evaluation before.";
                    run_snippets.push((
                        "run-nanogpt-log".into(),
                        format!("{table}{note}\n\n*From the run above.*\n"),
                    ));
                }
            }
            Err(_) => complete = false,
        }
    }

    // Stages' training steps.
    let mut step_ms: Vec<(&str, (f64, f64))> = Vec::new();
    sections.push(("bench-steps", md.len()));
    let _ = writeln!(md, "## Training step of every stage's default model\n");
    let _ = writeln!(md, "| stage | ms per step | tokens per step | tokens/s | timed steps |");
    let _ = writeln!(md, "|---|--:|--:|--:|--:|");
    for b in STEP_BENCHES {
        let Some(bin) = built.binaries.get(b.krate) else {
            complete = false;
            let why = match built.failed.get(b.krate) {
                Some(e) => format!("does not build: {e}"),
                None => "missing".into(),
            };
            let _ = writeln!(md, "| {} | {why} | | | |", b.krate);
            continue;
        };
        let n = if quick { b.steps.1 } else { b.steps.0 };
        let no_eval = (b.no_eval)(n);
        let rounds = if quick { 1 } else { STEP_ROUNDS };
        eprintln!("bench: {} ({n} and {} steps, {rounds} rounds)", b.krate, 2 * n);
        let dir = scratch.join(b.krate);
        // Alternating rounds, each time the median: one slow moment of a shared host moves one run.
        let pairs = (0..rounds)
            .map(|_| {
                let short = logged_train_time(bin, b, n, &no_eval, &dir.join("short"))?;
                Ok((short, logged_train_time(bin, b, 2 * n, &no_eval, &dir.join("long"))?))
            })
            .collect::<Result<Vec<(f64, f64)>>>();
        let timed = pairs.and_then(|pairs| {
            let short = median(pairs.iter().map(|p| p.0).collect());
            let long = median(pairs.iter().map(|p| p.1).collect());
            let log = harness::read_run_log(&dir.join("long").join(harness::runlog::LOG_FILE))?;
            // Tokens per step of this stage (its batch), from the longer run's log.
            let last = log
                .iter()
                .filter(|r| r.stage != "bigram-counts")
                .max_by_key(|r| r.step)
                .context("empty log")?;
            Ok(((long - short) / n as f64, last.tokens_seen as f64 / last.step.max(1) as f64))
        });
        match timed {
            // Noise larger than N steps (a --quick run): no number is better than a negative one.
            Ok((s_per_step, _)) if s_per_step <= 0.0 => {
                let _ = writeln!(md, "| {} | too few steps to measure | | | {n} |", b.krate);
            }
            Ok((s_per_step, tokens_per_step)) => {
                step_ms.push((b.krate, (s_per_step * 1e3, tokens_per_step)));
                let _ = writeln!(
                    md,
                    "| {} | {:.3} | {:.0} | {} | {n} |",
                    b.krate,
                    s_per_step * 1e3,
                    tokens_per_step,
                    crate::compare::summary::thousands((tokens_per_step / s_per_step).max(0.0).round() as u64)
                );
            }
            Err(e) => {
                complete = false;
                let _ = writeln!(md, "| {} | failed: {e:#} | | | |", b.krate);
            }
        }
    }
    let _ = writeln!(
        md,
        "\nEach stage trained N and 2N steps with the same evaluations (before and after training only); \
         ms per step = (time(2N) − time(N)) / N, the times from the run logs, each the median of \
         {STEP_ROUNDS} alternating rounds.\n"
    );

    // What batching buys.
    sections.push(("bench-batching", md.len()));
    let _ = writeln!(md, "## What batching buys\n");
    let microgpt = step_ms.iter().find(|(k, _)| *k == "microgpt").map(|(_, t)| *t);
    match built.binaries.get("nanogpt").map(|bin| batching::section(bin, microgpt, quick)) {
        Some(Ok(section)) => md.push_str(&section),
        Some(Err(e)) => {
            complete = false;
            let _ = writeln!(md, "Not measured: {e:#}");
        }
        None => {
            complete = false;
            let _ = writeln!(md, "Not measured: nanogpt is missing or does not build.");
        }
    }
    md.push('\n');

    // microGPT's 1000 steps.
    sections.push(("bench-microgpt", md.len()));
    let _ = writeln!(md, "## microGPT, 1000 steps\n");
    let reps = if quick { 1 } else { 5 };
    let steps = if quick { 50 } else { 1000 };
    match built.binaries.get("microgpt") {
        None => {
            complete = false;
            let _ = writeln!(md, "microgpt is missing or does not build: not measured.\n");
        }
        Some(bin) => {
            let _ = writeln!(md, "| command | runs | median wall time | fastest | slowest | peak RSS |");
            let _ = writeln!(md, "|---|--:|--:|--:|--:|--:|");
            let dir = scratch.join("microgpt-1000");
            let commands: Vec<(String, Vec<String>)> = vec![
                (
                    format!(
                        "microgpt --out DIR{}",
                        if quick { format!(" --steps {steps}") } else { String::new() }
                    ),
                    if quick { vec!["--steps".into(), steps.to_string()] } else { vec![] },
                ),
                (
                    format!("microgpt train --steps {steps} --out DIR"),
                    vec!["train".into(), "--steps".into(), steps.to_string()],
                ),
            ];
            for (label, args) in commands {
                eprintln!("bench: {label} ×{reps}");
                let mut runs = Vec::new();
                for _ in 0..reps {
                    let _ = std::fs::remove_dir_all(&dir);
                    let mut cmd = Command::new(bin);
                    cmd.args(&args).arg("--out").arg(&dir);
                    match measure(cmd) {
                        Ok(m) => runs.push(m),
                        Err(e) => {
                            complete = false;
                            let _ = writeln!(md, "| `{label}` | failed: {e:#} | | | | |");
                            break;
                        }
                    }
                }
                if runs.len() == reps {
                    let walls: Vec<f64> = runs.iter().map(|m| m.wall.as_secs_f64()).collect();
                    let peak = runs.iter().filter_map(|m| m.peak_kib).max();
                    let _ = writeln!(
                        md,
                        "| `{label}` | {reps} | {:.2} s | {:.2} s | {:.2} s | {} |",
                        median(walls.clone()),
                        walls.iter().copied().fold(f64::INFINITY, f64::min),
                        walls.iter().copied().fold(0.0, f64::max),
                        peak.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
                    );
                }
            }
            match std::env::var_os("MICROGPT_PY") {
                Some(py) => {
                    // Once: it takes minutes.
                    let r = time_microgpt_py(root, Path::new(&py), 1, &scratch.join("microgpt-py"));
                    match r {
                        Ok(walls) => {
                            let _ = writeln!(
                                md,
                                "| `python3 microgpt.py` (the original, {}) | 1 | {:.2} s | {:.2} s | {:.2} s | |",
                                Path::new(&py).file_name().unwrap_or_default().to_string_lossy(),
                                median(walls.clone()),
                                walls.iter().copied().fold(f64::INFINITY, f64::min),
                                walls.iter().copied().fold(0.0, f64::max)
                            );
                        }
                        Err(e) => {
                            let _ = writeln!(md, "| `python3 microgpt.py` | failed: {e:#} | | | | |");
                        }
                    }
                }
                None => {
                    let _ = writeln!(
                        md,
                        "\nThe original microgpt.py is not shipped: its time is not measured here (set \
                         `MICROGPT_PY=/path/to/microgpt.py` to time it in the same run)."
                    );
                }
            }
            let _ = writeln!(md);
        }
    }

    // The engine's reference models, and PyTorch's.
    let names = names_file(root);
    let bench_steps = if quick { 20 } else { 300 };
    sections.push(("bench-engine", md.len()));
    let shown_names = names.strip_prefix(root).unwrap_or(&names);
    let _ = writeln!(md, "## Tensor engine reference models (batch 32, on `{}`)\n", shown_names.display());
    eprintln!("bench: cargo bench -p autograd --bench reference_models");
    let engine = engine_bench(root, &names, bench_steps);
    let torch = torch_bench(root, &names, bench_steps);
    match engine {
        Ok(rows) if !rows.is_empty() => {
            let _ = writeln!(
                md,
                "| model | parameters | ms per step (Rust) | ms per step (PyTorch) | PyTorch / Rust |"
            );
            let _ = writeln!(md, "|---|--:|--:|--:|--:|");
            for (i, r) in rows.iter().enumerate() {
                // The two benches time the same models in the same order.
                let t = torch.as_ref().ok().and_then(|t| t.get(i));
                let (t_ms, ratio) = match t {
                    Some(t) => {
                        (format!("{:.3}", t.ms_per_step), format!("{:.2}×", t.ms_per_step / r.ms_per_step))
                    }
                    None => ("not measured".into(), "–".into()),
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.3} | {t_ms} | {ratio} |",
                    r.name,
                    crate::compare::summary::thousands(r.params),
                    r.ms_per_step
                );
            }
        }
        Ok(_) => {
            complete = false;
            let _ = writeln!(md, "The engine bench printed no rows.");
        }
        Err(e) => {
            complete = false;
            let _ = writeln!(md, "The engine bench failed: {e:#}");
        }
    }
    match &torch {
        Ok(_) => {
            let _ = writeln!(
                md,
                "\nPyTorch: `../shared/bench/torch_ref.py` ({bench_steps} steps, 2 threads), run in this session; \
                 both train on the repo's `data/names.txt`."
            );
        }
        Err(why) => {
            let _ = writeln!(md, "\nPyTorch: not measured here ({why:#}).");
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    // nanogpt's sampling, with and without the KV cache.
    sections.push(("bench-sampling", md.len()));
    match built.binaries.get("nanogpt").map(|bin| sampling::section(root, bin, quick)) {
        Some(Ok(section)) => md.push_str(&format!("\n{section}")),
        Some(Err(e)) => {
            complete = false;
            let _ = writeln!(md, "\n## nanogpt sampling\n\nNot measured: {e:#}");
        }
        None => {
            complete = false;
            let _ =
                writeln!(md, "\n## nanogpt sampling\n\nNot measured: nanogpt is missing or does not build.");
        }
    }

    // The tokenizer's training and encoding times.
    sections.push(("bench-tokenizer", md.len()));
    match tokenizer::section(root, quick) {
        Ok(section) => md.push_str(&format!("\n{section}")),
        Err(e) => {
            complete = false;
            let _ = writeln!(md, "\n## Tokenizer\n\nNot measured: {e:#}");
        }
    }

    harness::overwrite::write_guarded(&path, md.as_bytes(), is_our_bench)?;
    if snippets {
        ensure!(complete, "some benchmark failed (see {}): no snippet written", path.display());
        let stamp = format!(
            "\n*Measured by `cargo xtask bench --snippets` on {}, {}.*\n",
            crate::snippets::today(),
            machine()
        );
        for (i, &(name, start)) in sections.iter().enumerate() {
            let end = sections.get(i + 1).map_or(md.len(), |&(_, next)| next);
            crate::snippets::write(root, name, &(section_body(&md[start..end]) + &stamp))?;
        }
        for (name, body) in &run_snippets {
            crate::snippets::write(root, name, body)?;
        }
        eprintln!(
            "bench: wrote {} snippets into {}",
            sections.len() + run_snippets.len(),
            crate::snippets::DIR
        );
    }
    Ok(Report { markdown: md, path, complete })
}

/// A section of bench.md without its `## heading`, trimmed to end in one newline.
fn section_body(section: &str) -> String {
    let body = section.trim_start_matches('\n');
    let body =
        if body.starts_with("## ") { body.split_once('\n').map_or("", |(_, rest)| rest) } else { body };
    format!("{}\n", body.trim())
}

/// The machine, as a snippet names it: the CPU model (from /proc/cpuinfo where there is one) and cores.
pub fn machine() -> String {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|info| {
        let line = info.lines().find(|l| l.starts_with("model name"))?;
        Some(line.split_once(':')?.1.trim().to_string())
    });
    match cpu {
        Some(cpu) => format!("{threads} cores of an {cpu}"),
        None => format!("{threads} cores"),
    }
}

/// `cargo bench -p autograd --bench reference_models -- --steps N`, on `names`.
fn engine_bench(root: &Path, names: &Path, steps: usize) -> Result<Vec<ModelTime>> {
    let output = cargo::cargo()
        .current_dir(root)
        .args(["bench", "-p", "autograd", "--bench", "reference_models", "--", "--steps", &steps.to_string()])
        .arg("--data")
        .arg(names)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo bench")?;
    if !output.status.success() {
        bail!("cargo bench -p autograd failed ({})", output.status);
    }
    Ok(parse_engine_bench(&String::from_utf8_lossy(&output.stdout)))
}

/// PyTorch's times for the same models, if python3 can import torch.
fn torch_bench(root: &Path, names: &Path, steps: usize) -> Result<Vec<ModelTime>> {
    let script = root.join("..").join("shared").join("bench").join("torch_ref.py");
    if !script.is_file() {
        bail!("{} not found", script.display());
    }
    let has_torch = Command::new("python3")
        .args(["-c", "import torch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_torch {
        bail!("python3 with torch is not installed");
    }
    eprintln!("bench: python3 torch_ref.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(names)
        .args(["--steps", &steps.to_string(), "--threads", "2"])
        .output()
        .context("cannot run python3")?;
    if !output.status.success() {
        bail!(
            "torch_ref.py failed: {}",
            String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
        );
    }
    Ok(parse_torch_ref(&String::from_utf8_lossy(&output.stdout)))
}

/// Wall times of the original microgpt.py, run in a directory holding the repo's names as input.txt.
pub fn time_microgpt_py(root: &Path, script: &Path, reps: usize, dir: &Path) -> Result<Vec<f64>> {
    std::fs::create_dir_all(dir)?;
    std::fs::copy(root.join("data").join("names.txt"), dir.join("input.txt"))?;
    let script = std::path::absolute(script)?;
    (0..reps)
        .map(|_| {
            let mut cmd = Command::new("python3");
            cmd.arg(&script).current_dir(dir);
            Ok(measure(cmd)?.wall.as_secs_f64())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bad_out_is_refused_before_any_benchmark_runs() {
        let dir = harness::testdata::temp_dir("bench-out");
        let file = dir.join("a-file");
        std::fs::write(&file, "mine").unwrap();
        let e = claim_out(&file).unwrap_err().to_string();
        assert!(e.contains("is a file, not a directory") && !e.contains('\n'), "{e}");
        std::fs::write(dir.join("bench.md"), "my notes").unwrap();
        let e = bench(Path::new("/nonexistent-root"), &dir, true, false).unwrap_err().to_string();
        assert!(e.starts_with("refusing to overwrite"), "{e}");
        assert_eq!(std::fs::read_to_string(dir.join("bench.md")).unwrap(), "my notes");
        std::fs::write(dir.join("bench.md"), format!("{BENCH_HEADER}\n")).unwrap();
        assert_eq!(claim_out(&dir).unwrap(), dir.join("bench.md"));
        assert_eq!(claim_out(&dir.join("new")).unwrap(), dir.join("new").join("bench.md"));
    }

    use super::*;

    #[test]
    fn peak_memory_is_read_from_proc_status() {
        let status = "Name:\tmicrogpt\nVmPeak:\t  20000 kB\nVmHWM:\t   5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(5120));
        assert_eq!(vm_hwm_kib("Name:\tzombie\n"), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn bench_outputs_are_parsed() {
        let engine = "threads: 2 (rayon), steps: 300, batch: 32\n\
            model                   params    ms/step    cpu ms   torch ms   speedup      loss tape MiB\n\
            mlp-b3-e10-h200          11897      0.210     0.300       0.39     1.86x    2.5000     0.10\n\
            gpt-L4-H4-d64-T16       200000      9.000    17.000      12.10     1.34x    2.1000     3.00\n";
        let rows = parse_engine_bench(engine);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ModelTime { name: "mlp-b3-e10-h200".into(), params: 11897, ms_per_step: 0.21 });
        assert_eq!(rows[1].ms_per_step, 9.0);
        let torch = "mlp-b3-e10-h200\tparams=11897\tms/step=0.390\tloss=2.5\nwarning: x\n";
        assert_eq!(
            parse_torch_ref(torch),
            [ModelTime { name: "mlp-b3-e10-h200".into(), params: 11897, ms_per_step: 0.39 }]
        );
    }

    #[test]
    fn a_process_is_timed_and_its_failure_reported() {
        let ok = measure(Command::new("true")).unwrap();
        assert!(ok.wall > Duration::ZERO);
        let mut fail = Command::new("sh");
        fail.args(["-c", "echo 'error: bad flag' >&2; exit 1"]);
        let err = measure(fail).unwrap_err().to_string();
        assert!(err.contains("error: bad flag"), "{err}");
    }
}
