//! nanogpt's sampling section of `cargo xtask bench`: `nanogpt bench` times sampling one token at a
//! time with the KV cache and by recomputing the window, for the default model and a long block.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// One row of `nanogpt bench`'s sampling table: what was sampled, tokens/s with the cache and without.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingRow {
    pub what: String,
    pub cached: f64,
    pub recomputed: f64,
}

/// The rows after `nanogpt bench`'s `sampling … (tokens/s):` line: a label, then two numbers.
pub fn parse_sampling(stdout: &str) -> Vec<SamplingRow> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("sampling"))
        .filter_map(|l| {
            let mut cols: Vec<&str> = l.split_whitespace().collect();
            let recomputed = cols.pop()?.parse().ok()?;
            let cached = cols.pop()?.parse().ok()?;
            Some(SamplingRow { what: cols.join(" "), cached, recomputed })
        })
        .collect()
}

/// The Markdown section, from the release `nanogpt` binary `bin`, on the repo's data under `root`.
pub fn section(root: &Path, bin: &Path, quick: bool) -> Result<String> {
    let data = root.join("data");
    let (names, text) = (data.join("names.txt"), data.join("shakespeare.txt"));
    let (names, text) = (names.to_string_lossy(), text.to_string_lossy());
    let tokens = if quick { 100 } else { 1000 };
    let mut md = String::from("## nanogpt sampling, with and without the KV cache\n\n");
    let _ = writeln!(md, "| model | sampling | KV cache (tokens/s) | recompute (tokens/s) | speed-up |");
    let _ = writeln!(md, "|---|---|--:|--:|--:|");
    for (label, flags) in [
        ("default, names (block 16)", vec!["--data", &*names]),
        ("`--block-size 256`, Shakespeare", vec!["--text", &*text, "--block-size", "256"]),
    ] {
        eprintln!("bench: nanogpt bench --sample-tokens {tokens} {}", flags.join(" "));
        let out = Command::new(bin)
            .args(["bench", "--steps", "1", "--batch-size", "1", "--sample-tokens", &tokens.to_string()])
            .args(&flags)
            .current_dir(root)
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run nanogpt bench")?;
        if !out.status.success() {
            bail!("nanogpt bench failed ({})", out.status);
        }
        let rows = parse_sampling(&String::from_utf8_lossy(&out.stdout));
        if rows.is_empty() {
            bail!("nanogpt bench printed no sampling rows");
        }
        for r in rows {
            let _ = writeln!(
                md,
                "| {label} | {} | {:.0} | {:.0} | {:.1}× |",
                r.what,
                r.cached,
                r.recomputed,
                r.cached / r.recomputed
            );
        }
    }
    let _ = writeln!(
        md,
        "\n{tokens} tokens each, one at a time, from a fresh model. \"windows from 1 token\" restarts at \
         block_size (a name's case: all of it in the cache); \"text, window slides\" is one text, cropped to \
         the last block_size tokens once longer, where every position shifts and both ways recompute."
    );
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_rows_are_parsed() {
        let stdout = "cores 2, batch 32\n     9.78 ms/step\nlast loss 2.6820\n\
            sampling 1000 tokens, one at a time (tokens/s):\n\
            \x20                          KV cache  recompute\n\
            \x20 windows from 1 token        39291       9140\n\
            \x20  text, window slides         5785       5620\n";
        assert_eq!(
            parse_sampling(stdout),
            [
                SamplingRow { what: "windows from 1 token".into(), cached: 39291.0, recomputed: 9140.0 },
                SamplingRow { what: "text, window slides".into(), cached: 5785.0, recomputed: 5620.0 },
            ]
        );
    }
}
