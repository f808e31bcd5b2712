//! Probes for what a test needs and the repository cannot ship, so that the test shows as ignored, with
//! the reason, when it is missing (instead of passing having checked nothing):
//!
//! - `has_torch`: a `python3` that can `import torch`, to run PyTorch's nanoGPT on exported weights
//!   (tests/export.rs).

use std::process::{Command, Stdio};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_torch)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    let torch = Command::new("python3")
        .args(["-c", "import torch"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if torch {
        println!("cargo::rustc-cfg=has_torch");
    }
}
