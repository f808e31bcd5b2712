//! Probes for what a test needs and the repository cannot ship, so that the test shows as ignored, with
//! the reason, when it is missing (instead of passing having checked nothing):
//!
//! - `has_torch`: a `python3` that can `import torch`, to run PyTorch's nanoGPT on exported weights
//!   (tests/export.rs).

use std::process::{Command, Stdio};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_torch)");
    // Probed once per build of this script (watching PATH made builds started from `cargo xtask`, whose
    // PATH differs, rerun it and rebuild nanogpt). After installing torch,
    // `touch crates/nanogpt/build.rs` to probe again.
    println!("cargo::rerun-if-changed=build.rs");
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
