//! Where tests find their data: the repo's `data/names.txt`, and makemore's original `names.txt`, which
//! is not ours to ship and lives beside the workspace in `../shared/data/` (or wherever `MAKEMORE_NAMES`
//! points). Tests that need makemore's file skip, saying so, when it is absent.

use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().nth(2).unwrap_or(manifest).to_path_buf()
}

/// The repo's own `data/names.txt` (32,257 SSA 2018 names).
pub fn ssa_names() -> PathBuf {
    crate::data::default_data_path()
}

/// makemore's `names.txt` (32,033 names): `$MAKEMORE_NAMES` if set, else `../shared/data/names.txt` beside
/// the workspace. `None`, after printing a "skipping: ..." line, when the file is not there.
pub fn makemore_names() -> Option<PathBuf> {
    let (path, how) = match std::env::var_os("MAKEMORE_NAMES") {
        Some(p) => (PathBuf::from(p), "from MAKEMORE_NAMES"),
        None => {
            let root = workspace_root();
            let beside = root.parent().unwrap_or(&root).join("shared").join("data").join("names.txt");
            (beside, "(set MAKEMORE_NAMES=FILE to point elsewhere)")
        }
    };
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipping: makemore's names.txt not found at {} {how}", path.display());
        None
    }
}

/// A fresh, empty directory for one test: `$TMPDIR/zero-to-gpt-<pid>-<name>`. The process id keeps
/// concurrently running test binaries apart; `name` keeps the tests of one binary apart.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zero-to-gpt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test can create its temporary directory");
    dir
}

/// The stage contract's answer to bad input: exit code 1 and exactly one line on stderr, starting with
/// `error: ` and containing `needle` — no panic, no usage dump.
pub fn assert_one_line_error(output: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "expected one line, got: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(needle), "stderr: {stderr}");
}

/// A usage error (an unknown flag, a value that does not parse): clap's message naming `needle` and its
/// exit code 2 — no panic.
pub fn assert_usage_error(output: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(needle), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
