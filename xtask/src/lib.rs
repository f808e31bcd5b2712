//! The repository's chores, written in Rust so they run wherever cargo does: `cargo xtask <command>`
//! (the alias lives in `.cargo/config.toml`).
//!
//! Each command is one module here with plain functions that take paths and return results, so tests
//! can run them on a temporary directory; `main.rs` only parses arguments and prints. To add a command,
//! add its module, a variant of `Command` in `main.rs`, and a test.
//!
//! - [`lectures`]: `lectures --check` and `--sync`: every listing matches the crates, every include resolves.
//! - [`listings`]: the code blocks chapters copy from the crates.
//! - [`snippets`]: the numbers chapters and the README copy from the commands that measure them.
//! - [`diff`]: `diff A B`, what stage B adds over stage A.
//! - [`shown`]: which lines of the crates the chapters show.
//! - [`compare`]: `compare`, every stage on the same data, one figure and one table.
//! - [`bench`](mod@bench): `bench`, the performance figures in one place.
//! - [`figures`]: `figures`, every figure the lectures show, regenerated.
//! - [`cargo`] and [`runner`]: building stage binaries and running them with a progress bar.
//! - [`owned`]: which files xtask may replace (all its writes go through `harness`'s output guard).

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

pub mod bench;
pub mod cargo;
pub mod compare;
pub mod diff;
pub mod figures;
pub mod ladder;
pub mod lectures;
pub mod listings;
pub mod owned;
pub mod runner;
pub mod shown;
pub mod snippets;

/// The workspace root: xtask always lives one directory below it, whatever the current directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}

/// The width and height of a PNG, after decoding all of it: an error if it is not a valid PNG.
pub fn png_size(bytes: &[u8]) -> anyhow::Result<(u32, u32)> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info()?;
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels)?;
    Ok((frame.width, frame.height))
}
