//! Building stage binaries in release mode, and finding them afterwards.
//!
//! Cargo is asked for JSON messages, which name every executable it built, so the binaries are found
//! wherever the target directory is (`CARGO_TARGET_DIR`, a `.cargo/config.toml`, the default).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde::Deserialize;

/// What building some crates gave: a binary for each crate that built, an error for each that did not.
#[derive(Debug, Default)]
pub struct Built {
    pub binaries: BTreeMap<String, PathBuf>,
    pub failed: BTreeMap<String, String>,
}

/// The cargo to run: the one that runs us (`cargo xtask` sets `CARGO`), else `cargo` on the PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Whether `crates/NAME` exists in the workspace at `root`.
pub fn crate_exists(root: &Path, name: &str) -> bool {
    root.join("crates").join(name).join("Cargo.toml").is_file()
}

/// Builds the binaries of `crates` (which must exist) with one `cargo build --release`. If that fails,
/// each crate is built on its own to tell which failed (the ones that built are already up to date).
/// Cargo's own progress goes to our stderr.
pub fn build_release(root: &Path, crates: &[&str]) -> Result<Built> {
    let mut built = Built::default();
    if crates.is_empty() {
        return Ok(built);
    }
    let (found, error) = build(root, crates)?;
    if error.is_none() {
        built.binaries = found;
        return Ok(built);
    }
    for &krate in crates {
        let (mut found, error) = build(root, &[krate])?;
        match (found.remove(krate), error) {
            (Some(bin), None) => _ = built.binaries.insert(krate.to_owned(), bin),
            (_, error) => {
                let why = error.unwrap_or_else(|| "cargo built no binary of that name".into());
                built.failed.insert(krate.to_owned(), why);
            }
        }
    }
    Ok(built)
}

/// One cargo message, as much of it as we read.
#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<Target>,
    executable: Option<PathBuf>,
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// Runs one `cargo build --release -p A -p B ...`: the binaries it produced, by name, and the first
/// compile error (or cargo's exit status) if it failed.
fn build(root: &Path, crates: &[&str]) -> Result<(BTreeMap<String, PathBuf>, Option<String>)> {
    let mut cmd = cargo();
    cmd.current_dir(root).args(["build", "--release", "--message-format=json-render-diagnostics"]);
    for krate in crates {
        cmd.args(["-p", krate]);
    }
    // Cargo's human output (Compiling ..., errors rendered) goes to stderr, which the user sees.
    let output = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo build --release")?;
    let mut binaries = BTreeMap::new();
    let mut first_error = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Message>(line) else { continue };
        match (msg.reason.as_str(), msg.target, msg.executable, msg.message) {
            ("compiler-artifact", Some(t), Some(exe), _) if t.kind.iter().any(|k| k == "bin") => {
                binaries.insert(t.name, exe);
            }
            ("compiler-message", _, _, Some(d)) if d.level == "error" && first_error.is_none() => {
                let text = d.rendered.unwrap_or_default();
                first_error = Some(text.lines().next().unwrap_or("compile error").to_owned());
            }
            _ => {}
        }
    }
    let error = (!output.status.success())
        .then(|| first_error.unwrap_or_else(|| format!("cargo build failed ({})", output.status)));
    Ok((binaries, error))
}
