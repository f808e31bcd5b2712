//! Which files xtask may replace: every write goes through `harness`'s output guard (per file, never
//! through a symlink, atomically), and this says how xtask recognises a file as its own.
//!
//! A file is ours when it carries our marker (a figure from `plot`, a summary with its title, a stage's
//! output with [`OUTPUT_HEADER`]), or when replacing it cannot lose anything: it already holds exactly the
//! bytes we would write, or it is a file of this repository that git tracks and that has no uncommitted
//! change (the figures `cargo xtask figures` regenerates into the book).

use std::path::Path;
use std::process::{Command, Stdio};

/// The first line of each `train.txt` xtask writes: how a later run knows the file is its own.
pub const OUTPUT_HEADER: &str = "# zero-to-gpt: output of";

/// Whether `path` is a stage's output saved by [`crate::runner::run`].
pub fn is_our_output(path: &Path) -> bool {
    harness::overwrite::starts_with(path, OUTPUT_HEADER.as_bytes())
}

/// Whether `path` already holds exactly `bytes`.
pub fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|b| b == bytes)
}

/// Whether git tracks `path` in the repository at `root` and it has no uncommitted change: git keeps
/// what replacing it would lose. False when git is missing or `path` is outside the repository.
pub fn git_clean(root: &Path, path: &Path) -> bool {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .arg("--")
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    git(&["ls-files", "--error-unmatch"]) && git(&["diff", "--quiet", "HEAD"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracked_clean_files_are_ours_and_others_not() {
        let root = crate::workspace_root();
        // A tracked file nobody edits while working (Cargo.toml may well be modified in a checkout).
        assert!(git_clean(&root, &root.join("data").join("names.txt")) || !root.join(".git").exists());
        assert!(!git_clean(&root, &root.join("no-such-file.txt")));
        let outside = std::env::temp_dir().join(format!("xtask-owned-{}", std::process::id()));
        std::fs::write(&outside, "x").unwrap();
        assert!(!git_clean(&root, &outside));
        assert!(holds(&outside, b"x") && !holds(&outside, b"y"));
        assert!(!is_our_output(&outside));
        std::fs::remove_file(&outside).unwrap();
    }
}
