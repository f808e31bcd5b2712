//! The repository's chores, written in Rust so they run wherever cargo does: `cargo xtask <command>`
//! (the alias lives in `.cargo/config.toml`).
//!
//! Each command is one module here with plain functions that take paths and return results, so tests
//! can run them on a temporary directory; `main.rs` only parses arguments and prints. To add a command,
//! add its module, a variant of `Command` in `main.rs`, and a test.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

pub mod diff;
pub mod lectures;

/// The workspace root: xtask always lives one directory below it, whatever the current directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}
