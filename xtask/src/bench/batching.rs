//! What batching buys (nanogpt's chapter): microGPT's model on scalars, the same model on tensors one
//! sequence a step and 32 a step, and the default model, each timed by its own trainer.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// microGPT's architecture and size in nanogpt's flags (`ModelConfig::microgpt`).
const MICROGPT: &[&str] = &[
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

/// ms per step and predictions learned from per second, from `nanogpt bench`'s output.
pub fn parse_nanogpt_bench(stdout: &str) -> Option<(f64, f64)> {
    let number_before = |unit: &str| -> Option<f64> {
        let line = stdout.lines().find(|l| l.contains(unit))?;
        line.split_whitespace().next()?.parse().ok()
    };
    Some((number_before("ms/step")?, number_before("tokens/s")?))
}

fn nanogpt_bench(bin: &Path, flags: &[&str], steps: usize) -> Result<(f64, f64)> {
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
    let steps = if quick { 20 } else { 500 };
    let batch = |b: &'static str| ["--batch-size", b];
    let rows: [(&str, &str, Vec<&str>, usize); 3] = [
        ("nanogpt, microGPT's model, batch 1", "4,192", [MICROGPT, &batch("1")].concat(), steps),
        ("nanogpt, microGPT's model, batch 32", "4,192", [MICROGPT, &batch("32")].concat(), steps),
        ("nanogpt, the default model, batch 32", "202,816", batch("32").to_vec(), steps / 5),
    ];
    let mut md = String::from("| what | parameters | ms per step | predictions learned from per second |\n");
    md.push_str("|---|--:|--:|--:|\n");
    match microgpt {
        Some((ms, per_step)) => {
            let _ = writeln!(
                md,
                "| microgpt (scalars, one name a step) | 4,192 | {ms:.3} | {} |",
                crate::compare::summary::thousands((per_step / ms * 1e3).round() as u64)
            );
        }
        None => md.push_str("| microgpt (scalars, one name a step) | 4,192 | not measured | |\n"),
    }
    for (what, params, flags, steps) in rows {
        let (ms, per_s) = nanogpt_bench(bin, &flags, steps)?;
        let _ = writeln!(
            md,
            "| {what} | {params} | {ms:.3} | {} |",
            crate::compare::summary::thousands(per_s.round() as u64)
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
        let out = "cores 2, batch 1\n      0.10 ms/step\n    164432 positions/s (B·T)\n     74406 tokens/s (predictions)\nlast loss 2.5\n";
        assert_eq!(super::parse_nanogpt_bench(out), Some((0.10, 74406.0)));
        assert_eq!(super::parse_nanogpt_bench("nothing"), None);
    }
}
