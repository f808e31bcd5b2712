//! The tokenizer's section of `cargo xtask bench`: builds the `tokenizer` binary in release and runs
//! `tokenizer bench` on the repo's Shakespeare, which times training (minbpe's 200,000 characters at
//! vocabulary 512, basic and regex, fast and plain; the whole file at 4096) and encoding, and prints
//! the section's Markdown.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::cargo;

/// The Markdown section, or why it could not be measured.
pub fn section(root: &Path, quick: bool) -> Result<String> {
    if !cargo::crate_exists(root, "tokenizer") {
        bail!("crates/tokenizer is missing");
    }
    let built = cargo::build_release(root, &["tokenizer"])?;
    let Some(bin) = built.binaries.get("tokenizer") else {
        bail!(
            "tokenizer does not build: {}",
            built.failed.get("tokenizer").map_or("no binary", |e| e.as_str())
        );
    };
    eprintln!("bench: tokenizer bench");
    let mut cmd = Command::new(bin);
    cmd.arg("bench").arg("--text").arg(root.join("data").join("shakespeare.txt"));
    if quick {
        cmd.arg("--quick");
    }
    let out = cmd.stderr(Stdio::inherit()).output().context("cannot run tokenizer bench")?;
    if !out.status.success() {
        bail!("tokenizer bench failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
