//! Training-step time of the two reference models (`models/`): `cargo bench -p autograd`.
//! `cargo xtask bench` runs this and PyTorch's `shared/bench/torch_ref.py` in the same session and
//! puts the two side by side.
//!
//! Options (after `--`): `--data FILE` (default: the repo's `data/names.txt`), `--steps N` (default 300,
//! as the PyTorch script), `--only mlp|gpt`, `--long N` to also run N more transformer steps and report
//! whether memory grew, `--kernels plain|fast` (default fast) to time the engine's plain kernels instead
//! of its fast ones.
#![forbid(unsafe_code)]

mod models;

use std::path::PathBuf;

use autograd::Kernels;
use models::{Report, bench_mlp, bench_transformer};

/// `--data FILE`, else the repo's names. (A flag, not an environment variable: the stages' build scripts
/// watch `MAKEMORE_NAMES`, and setting it here would make the next release build rebuild them.)
fn names_path() -> Option<PathBuf> {
    let data = std::env::args().skip_while(|a| a != "--data").nth(1).map(PathBuf::from);
    let p = data.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/names.txt"));
    p.exists().then_some(p)
}

/// The documents as token ids (characters sorted, as makemore), and the vocabulary size with BOS.
fn load_docs() -> (Vec<Vec<usize>>, usize) {
    let text = match names_path().map(std::fs::read_to_string) {
        Some(Ok(text)) => text,
        _ => {
            eprintln!("note: no names file (give --data FILE); timing on synthetic names");
            let mut rng = models::SplitMix(7);
            (0..32_033)
                .map(|_| {
                    let len = 3 + rng.below(6);
                    (0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect::<String>() + "\n"
                })
                .collect()
        }
    };
    let words: Vec<&str> = text.lines().map(str::trim).filter(|w| !w.is_empty()).collect();
    let mut chars: Vec<char> = words.iter().flat_map(|w| w.chars()).collect();
    chars.sort_unstable();
    chars.dedup();
    let docs = words.iter().map(|w| w.chars().map(|c| chars.binary_search(&c).unwrap()).collect()).collect();
    (docs, chars.len() + 1)
}

/// Resident memory of this process in MiB (Linux), for the growth check.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok())
}

fn row(r: &Report) {
    println!(
        "{:<20} {:>9} {:>10.3} {:>9.3} {:>9.4} {:>8.2}",
        r.name,
        r.params,
        r.ms_per_step,
        r.cpu_ms_per_step,
        r.loss,
        r.tape_bytes as f64 / (1 << 20) as f64
    );
}

fn main() {
    autograd::on_worker(run);
}

fn run() {
    let steps = arg("--steps").unwrap_or(300);
    let kernels = std::env::args().skip_while(|a| a != "--kernels").nth(1);
    let kernels = match kernels.as_deref().map(str::parse::<Kernels>).transpose() {
        Ok(k) => k.unwrap_or_default(),
        Err(e) => {
            eprintln!("error: --kernels: {e}");
            std::process::exit(1);
        }
    };
    // The choice is per thread: this is the thread that runs every step.
    kernels.set();
    let (docs, vocab) = load_docs();
    println!(
        "threads: {} (rayon), steps: {steps}, batch: 32, kernels: {kernels}",
        rayon::current_num_threads()
    );
    println!(
        "{:<20} {:>9} {:>10} {:>9} {:>9} {:>8}",
        "model", "params", "ms/step", "cpu ms", "loss", "tape MiB"
    );
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    let mut reports = Vec::new();
    if only.as_deref().is_none_or(|o| o == "mlp") {
        let mlp = bench_mlp(&docs, vocab, steps, 1337);
        row(&mlp);
        reports.push(mlp);
    }
    if only.as_deref().is_none_or(|o| o == "gpt") {
        let gpt = bench_transformer(&docs, vocab, steps, 1337);
        row(&gpt);
        reports.push(gpt);
    }
    for r in &reports {
        if r.tape_bytes != r.tape_bytes_after_warmup {
            println!(
                "WARNING: {} tape grew from {} to {} bytes across steps",
                r.name, r.tape_bytes_after_warmup, r.tape_bytes
            );
        }
    }
    if let Some(long) = arg("--long") {
        let before = rss_mib();
        let r = bench_transformer(&docs, vocab, long, 1);
        let after = rss_mib();
        println!(
            "long run: {long} transformer steps at {:.3} ms/step; RSS {:.1} MiB before, {:.1} MiB after; tape {} → {} bytes",
            r.ms_per_step,
            before.unwrap_or(f64::NAN),
            after.unwrap_or(f64::NAN),
            r.tape_bytes_after_warmup,
            r.tape_bytes
        );
    }
}
