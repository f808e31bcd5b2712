//! What the tests share: where the data is, scratch directories, the CLI's error contract.
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// The repo's `data/shakespeare.txt`, read once.
pub fn shakespeare() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        std::fs::read_to_string(workspace().join("data").join("shakespeare.txt"))
            .expect("data/shakespeare.txt ships")
    })
}

/// The first `n` characters of Shakespeare.
pub fn shakespeare_chars(n: usize) -> &'static str {
    tokenizer::bench::first_chars(shakespeare(), n)
}

/// `../shared/reference/` beside the workspace, where minbpe's own output lives.
pub fn reference_dir() -> PathBuf {
    workspace().join("..").join("shared").join("reference")
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zero-to-gpt-tokenizer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the test can create its temporary directory");
    dir
}

/// Bad input's contract: exit code 1 and exactly one line on stderr, `error: ...` containing `needle`.
pub fn assert_one_line_error(output: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "expected one line, got: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(needle), "expected {needle:?} in: {stderr}");
}

/// A deterministic pseudo-random byte stream (a 64-bit LCG's high bytes), for texts full of ties.
pub fn lcg_bytes(seed: u64, n: usize, alphabet: &[u8]) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            alphabet[((x >> 33) % alphabet.len() as u64) as usize]
        })
        .collect()
}
