//! Probes for what some tests need and the repository cannot ship, so that those tests show as ignored,
//! with the reason, when it is missing (instead of passing having checked nothing):
//!
//! - `has_minbpe_reference`: minbpe's own merges and encodings of Shakespeare, in
//!   `../shared/reference/` beside the workspace;
//! - `has_tiktoken`: a `python3` that can `import tiktoken`.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The reference files the `minbpe_reference` tests read.
const REFERENCE: [&str; 4] = [
    "minbpe-shakespeare-200k-512.basic.merges",
    "minbpe-shakespeare-200k-512.basic.ids",
    "minbpe-shakespeare-200k-512.regex.merges",
    "minbpe-shakespeare-200k-512.regex.ids",
];

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_minbpe_reference)");
    println!("cargo::rustc-check-cfg=cfg(has_tiktoken)");
    // Probed once per build of this script: watching PATH, or a directory above the workspace where
    // the reference may appear, made cargo rerun it (and rebuild the crate) on most builds. After
    // installing tiktoken or adding ../shared, `touch crates/tokenizer/build.rs` to probe again.
    println!("cargo::rerun-if-changed=build.rs");

    // crates/tokenizer -> the workspace root -> the directory beside it.
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let beside = manifest.join("..").join("..").join("..");
    let reference = beside.join("shared").join("reference");
    let present = REFERENCE.iter().all(|f| reference.join(f).is_file());
    if present {
        println!("cargo::rustc-cfg=has_minbpe_reference");
        for f in REFERENCE {
            println!("cargo::rerun-if-changed={}", reference.join(f).display());
        }
    }

    let tiktoken = Command::new("python3")
        .args(["-c", "import tiktoken"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if tiktoken {
        println!("cargo::rustc-cfg=has_tiktoken");
    }
}
