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

/// Every file under `dir`, recursively and without following links, with its bytes (a symlink as
/// `-> TARGET`): compare two snapshots to show that nothing the user had changed.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("the test can list its directory") {
            let path = entry.expect("a directory entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("the entry has metadata");
            let content = if meta.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display()).into_bytes()
            } else if meta.is_dir() {
                todo.push(path.clone());
                b"<dir>".to_vec()
            } else {
                std::fs::read(&path).expect("the test can read its files")
            };
            files.insert(path, content);
        }
    }
    files
}

/// 64-bit FNV-1a, as `config.json` records the weights' checksum.
fn fnv1a64_hex(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{hash:016x}")
}

/// Forges a checkpoint a hostile user could make: `edit` changes `config.json` (the whole file's JSON),
/// and the file is rewritten vouching for the weights as they are now.
pub fn edit_checkpoint(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let config = dir.join(crate::checkpoint::CONFIG_FILE);
    let weights = std::fs::read(dir.join(crate::checkpoint::WEIGHTS_FILE)).expect("a saved checkpoint");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config).expect("its config")).expect("JSON");
    json["weights"]["fnv1a64"] = fnv1a64_hex(&weights).into();
    json["weights"]["bytes"] = weights.len().into();
    edit(&mut json);
    std::fs::write(config, json.to_string()).expect("the test can write its files");
}

/// Turns the last weight of a checkpoint into NaN (for f32 and f64 tensors alike: the last 8 bytes
/// become an f64 NaN, whose upper half is an f32 NaN too) and makes `config.json` vouch for it.
pub fn poison_checkpoint(dir: &Path) {
    let path = dir.join(crate::checkpoint::WEIGHTS_FILE);
    let mut bytes = std::fs::read(&path).expect("a saved checkpoint");
    let n = bytes.len();
    bytes[n - 8..].copy_from_slice(&f64::NAN.to_le_bytes());
    std::fs::write(&path, &bytes).expect("the test can write its files");
    edit_checkpoint(dir, |_| {});
}

/// Asserts that every file under `dir` is as `before` (a [`snapshot`]) says, naming the ones that
/// changed, appeared or went away.
pub fn assert_unchanged(dir: &Path, before: &std::collections::BTreeMap<PathBuf, Vec<u8>>) {
    let after = snapshot(dir);
    let changed: Vec<&PathBuf> =
        before.keys().chain(after.keys()).filter(|p| before.get(*p) != after.get(*p)).collect();
    assert!(changed.is_empty(), "files changed: {changed:?}");
}
