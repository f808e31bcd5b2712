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

/// A stage binary under test, with the flags that make its runs tiny: the hostile-input cases every
/// stage shares, written once. (`exe` is the test's `env!("CARGO_BIN_EXE_<stage>")`.)
pub struct StageBin {
    exe: PathBuf,
    tiny: Vec<&'static str>,
}

impl StageBin {
    /// The binary at `exe`; `tiny` is added to every `train`.
    pub fn new(exe: &str, tiny: &[&'static str]) -> StageBin {
        StageBin { exe: PathBuf::from(exe), tiny: tiny.to_vec() }
    }

    /// Runs the binary with `args` and waits for it.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(&self.exe).args(args).output().expect("the stage binary runs")
    }

    /// `train --data DATA --out OUT --steps 10 --eval-interval 5`, the tiny flags, then `extra` (a flag
    /// given twice takes its last value).
    pub fn train(&self, data: &str, out: &Path, extra: &[&str]) -> std::process::Output {
        let out = out.to_str().expect("a UTF-8 test path");
        let mut args = vec!["train", "--data", data, "--out", out, "--steps", "10", "--eval-interval", "5"];
        args.extend(&self.tiny);
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `sample --checkpoint RUN` and `extra`.
    pub fn sample(&self, run: &Path, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["sample", "--checkpoint", run.to_str().expect("a UTF-8 test path")];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// The first 300 names of the repo's data in `dir/names.txt`: enough to split, quick to train on.
    pub fn small_data(dir: &Path) -> String {
        let text = std::fs::read_to_string(ssa_names()).expect("the repo's data/names.txt");
        let path = dir.join("names.txt");
        std::fs::write(&path, text.lines().take(300).collect::<Vec<_>>().join("\n")).unwrap();
        path.to_str().expect("a UTF-8 test path").to_owned()
    }

    /// A run trained on [`StageBin::small_data`] with `extra` flags, in `dir/run`; the data's path too.
    pub fn trained(&self, dir: &Path, extra: &[&str]) -> (String, PathBuf) {
        let data = Self::small_data(dir);
        let run = dir.join("run");
        let output = self.train(&data, &run, extra);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        (data, run)
    }

    /// A copy of the checkpoint in `run` at `dir/name`, to edit.
    pub fn copy_checkpoint(run: &Path, dir: &Path, name: &str) -> PathBuf {
        let to = dir.join(name);
        std::fs::create_dir(&to).unwrap();
        for f in [crate::checkpoint::CONFIG_FILE, crate::checkpoint::WEIGHTS_FILE] {
            std::fs::copy(run.join(f), to.join(f)).unwrap();
        }
        to
    }

    /// Bad `--out` and `--data` paths: a file of the user's at one of the names a run writes, an
    /// `--out` that is a file, a missing `--data`, a directory as `--data`. Each is one line, and the
    /// user's files are untouched — not even an empty run directory appears.
    pub fn check_paths(&self, dir: &Path) {
        let data = Self::small_data(dir);
        let out = dir.join("run");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join(crate::checkpoint::WEIGHTS_FILE), "my photo").unwrap();
        let before = snapshot(dir);
        assert_one_line_error(&self.train(&data, &out, &[]), "refusing to overwrite");
        assert_unchanged(dir, &before);
        assert_one_line_error(&self.train(&data, &dir.join("names.txt"), &[]), "is a file, not a directory");
        let new = dir.join("new");
        assert_one_line_error(&self.train("/nonexistent/names.txt", &new, &[]), "not found");
        assert_one_line_error(&self.train(dir.to_str().unwrap(), &new, &[]), "is a directory");
        assert_unchanged(dir, &before);
    }

    /// A run that diverges (`diverging` flags) into a directory holding a good checkpoint: one line
    /// naming the divergence, and the good checkpoint, byte for byte, still samples.
    pub fn check_divergence(&self, dir: &Path, diverging: &[&str]) {
        let (data, run) = self.trained(dir, &[]);
        let before = snapshot(dir);
        assert_one_line_error(&self.train(&data, &run, diverging), "diverged");
        assert_unchanged(dir, &before);
        let output = self.sample(&run, &[]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    /// Checkpoints a user could break or forge, each one line when sampling with the files untouched:
    /// a vocabulary edited to 5,000 characters, weights cut in half, a config of another program, and
    /// NaN weights. Leaves an untouched copy of the trained checkpoint in `dir/good`, to forge more.
    pub fn check_bad_checkpoints(&self, dir: &Path) {
        let (_, run) = self.trained(dir, &[]);
        Self::copy_checkpoint(&run, dir, "good");
        let wide = Self::copy_checkpoint(&run, dir, "wide");
        edit_checkpoint(&wide, |json| {
            json["config"]["vocab"]["chars"] =
                (0x100..0x100 + 5000u32).filter_map(char::from_u32).collect::<String>().into()
        });
        let cut = Self::copy_checkpoint(&run, dir, "cut");
        let weights = cut.join(crate::checkpoint::WEIGHTS_FILE);
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
        let foreign = Self::copy_checkpoint(&run, dir, "foreign");
        std::fs::write(foreign.join(crate::checkpoint::CONFIG_FILE), "{\"hello\": 1}").unwrap();
        poison_checkpoint(&run);
        let before = snapshot(dir);
        assert_one_line_error(&self.sample(&wide, &[]), "cannot sample from");
        assert_one_line_error(&self.sample(&cut, &[]), "cut");
        assert_one_line_error(&self.sample(&foreign, &[]), "config.json");
        assert_one_line_error(&self.sample(&run, &[]), "NaN");
        assert_one_line_error(&self.sample(&dir.join("nothing"), &[]), "nothing");
        assert_unchanged(dir, &before);
    }

    /// Sampling into a full disk (stdout is `/dev/full`): one line and exit 1, not a panic or exit 0.
    pub fn check_full_stdout(&self, dir: &Path) {
        let (_, run) = self.trained(dir, &[]);
        let full =
            std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux");
        let output = std::process::Command::new(&self.exe)
            .args(["sample", "--checkpoint", run.to_str().unwrap()])
            .stdout(std::process::Stdio::from(full))
            .output()
            .unwrap();
        assert_one_line_error(&output, "cannot write to standard output: No space left on device");
    }

    /// A run SIGKILLed once it has saved its first checkpoint (evaluating every `eval_interval` steps)
    /// leaves one that samples. Returns the run directory.
    pub fn check_kill(&self, dir: &Path, eval_interval: &str) -> PathBuf {
        let data = Self::small_data(dir);
        let run = dir.join("run");
        let mut child = std::process::Command::new(&self.exe)
            .args(["train", "--data", &data, "--out", run.to_str().unwrap()])
            .args(&self.tiny)
            .args(["--steps", "100000000", "--eval-interval", eval_interval])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        while !run.join(crate::checkpoint::WEIGHTS_FILE).exists() {
            assert!(start.elapsed().as_secs() < 120, "no checkpoint after two minutes");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let output = self.sample(&run, &[]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        run
    }
}
