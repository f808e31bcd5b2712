//! What batching buys (nanogpt's chapter): microGPT's model on scalars, the same model on tensors one
//! sequence a step and 32 a step, and the default model, each timed by its own trainer.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// microGPT's architecture and size in nanogpt's flags (`ModelConfig::microgpt`); `cargo xtask ladder`
/// trains it too.
pub const MICROGPT: &[&str] = &[
    "--variant",
    "microgpt",
    "--no-bias",
    "--untie-head",
    "--n-layer",
    "1",
    "--n-head",
    "4",
    "--n-embd",
    "16",
    "--block-size",
    "16",
];

/// What `nanogpt bench` printed: the model's size, ms per step, predictions learned from per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub params: u64,
    pub ms: f64,
    pub per_s: f64,
}

/// Reads `nanogpt bench`'s output: `…, N parameters, …`, then `X ms/step` and `Y tokens/s` lines.
pub fn parse_nanogpt_bench(stdout: &str) -> Option<Timing> {
    let number_before = |unit: &str| -> Option<f64> {
        let line = stdout.lines().find(|l| l.contains(unit))?;
        line.split_whitespace().next()?.parse().ok()
    };
    let params = stdout.split(',').find_map(|part| part.trim().strip_suffix(" parameters")?.parse().ok())?;
    Some(Timing { params, ms: number_before("ms/step")?, per_s: number_before("tokens/s")? })
}

fn nanogpt_bench(bin: &Path, flags: &[&str], steps: usize) -> Result<Timing> {
    eprintln!("bench: nanogpt bench {}", flags.join(" "));
    let out = Command::new(bin)
        .args(["bench", "--sample-tokens", "0", "--steps", &steps.to_string()])
        .args(flags)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run nanogpt bench")?;
    if !out.status.success() {
        bail!("nanogpt bench failed ({})", out.status);
    }
    parse_nanogpt_bench(&String::from_utf8_lossy(&out.stdout)).context("nanogpt bench printed no timing")
}

/// The section's table. `microgpt` is microgpt's (ms per step, predictions per step) from the step
/// table, if it was measured.
pub fn section(bin: &Path, microgpt: Option<(f64, f64)>, quick: bool) -> Result<String> {
    use crate::compare::summary::thousands;
    let steps = if quick { 20 } else { 500 };
    let batch = |b: &'static str| ["--batch-size", b];
    let runs: [(&str, Vec<&str>, usize); 3] = [
        ("nanogpt, microGPT's model, batch 1", [MICROGPT, &batch("1")].concat(), steps),
        ("nanogpt, microGPT's model, batch 32", [MICROGPT, &batch("32")].concat(), steps),
        ("nanogpt, the default model, batch 32", batch("32").to_vec(), steps / 5),
    ];
    let timed = runs
        .into_iter()
        .map(|(what, flags, steps)| Ok((what, nanogpt_bench(bin, &flags, steps)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut md = String::from("| what | parameters | ms per step | predictions learned from per second |\n");
    md.push_str("|---|--:|--:|--:|\n");
    // microgpt's model is the first row's: nanogpt counts its parameters.
    let params = thousands(timed[0].1.params);
    match microgpt {
        Some((ms, per_step)) => {
            let per_s = thousands((per_step / ms * 1e3).round() as u64);
            let _ = writeln!(md, "| microgpt (scalars, one name a step) | {params} | {ms:.3} | {per_s} |");
        }
        None => {
            let _ = writeln!(md, "| microgpt (scalars, one name a step) | {params} | not measured | |");
        }
    }
    for (what, t) in &timed {
        let _ = writeln!(
            md,
            "| {what} | {} | {:.3} | {} |",
            thousands(t.params),
            t.ms,
            thousands(t.per_s.round() as u64)
        );
    }
    let _ = writeln!(
        md,
        "\nmicrogpt's step from its own run log (runs of N and 2N steps, `cargo xtask bench`'s step \
         table); the others from `nanogpt bench` ({steps} timed steps after 20 untimed, the default \
         model {}). A name fills about 7 of a row's 16 positions: predictions count only the real ones.",
        steps / 5
    );
    Ok(md)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nanogpt_bench_output_is_read() {
        let out = "cores 2, batch 1, block 16, 4192 parameters, 500 timed steps\n      0.10 ms/step\n    164432 positions/s (B·T)\n     74406 tokens/s (predictions)\nlast loss 2.5\n";
        let t = super::Timing { params: 4192, ms: 0.10, per_s: 74406.0 };
        assert_eq!(super::parse_nanogpt_bench(out), Some(t));
        assert_eq!(super::parse_nanogpt_bench("nothing"), None);
    }
}
