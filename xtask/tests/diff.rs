//! `cargo xtask diff` on two small source trees standing in for two stages.

use std::fs;
use std::path::{Path, PathBuf};

use xtask::diff::{Color, Status, crate_src, diff_dirs, render};

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("xtask-diff").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Stage `a` and stage `b` under `root/crates`: `model.rs` changes (one line replaced, one added),
/// `train.rs` is the same, `counts.rs` goes and `attention/mod.rs` arrives.
fn two_stages(root: &Path) {
    let a = root.join("crates/a/src");
    let b = root.join("crates/b/src");
    write(&a.join("model.rs"), "struct Model;\nfn forward() {\n    bigram()\n}\n");
    write(&b.join("model.rs"), "struct Model;\nfn forward() {\n    mlp()\n}\nfn backward() {}\n");
    write(&a.join("train.rs"), "fn train() {}\n");
    write(&b.join("train.rs"), "fn train() {}\n");
    write(&a.join("counts.rs"), "fn count() {}\nfn normalise() {}\n");
    write(&b.join("attention/mod.rs"), "fn attend() {}\n");
}

#[test]
fn each_module_is_summarised_and_diffed() {
    let root = scratch("stages");
    two_stages(&root);
    let (a, b) = (crate_src(&root, "a").unwrap(), crate_src(&root, "b").unwrap());
    let diffs = diff_dirs(&a, &b, "crates/a/src", "crates/b/src", 3).unwrap();

    let summary: Vec<(String, Status, usize, usize)> =
        diffs.iter().map(|d| (d.path.display().to_string(), d.status, d.added, d.removed)).collect();
    assert_eq!(
        summary,
        // The skeleton files every stage has come first, in the skeleton's order; then the extras.
        [
            ("model.rs".to_string(), Status::Changed, 2, 1),
            ("train.rs".to_string(), Status::Unchanged, 0, 0),
            ("attention/mod.rs".to_string(), Status::Added, 1, 0),
            ("counts.rs".to_string(), Status::Removed, 0, 2),
        ]
    );

    let model = &diffs[0].unified;
    assert!(model.starts_with("--- crates/a/src/model.rs\n+++ crates/b/src/model.rs\n"), "{model}");
    assert!(model.contains("\n-    bigram()\n+    mlp()\n"), "{model}");
    assert!(model.contains("\n+fn backward() {}\n"), "{model}");
    assert!(diffs[2].unified.starts_with("--- /dev/null\n+++ crates/b/src/attention/mod.rs\n"));
    assert!(diffs[3].unified.contains("+++ /dev/null\n"));
    assert!(diffs[1].unified.is_empty());

    let report = render("a", "b", &diffs, false, Color::Never);
    assert!(report.starts_with("b over a: 3 of 4 modules differ, +3 -3 lines\n"), "{report}");
    let table: Vec<&str> = report.lines().skip(1).take(4).collect();
    assert_eq!(
        table,
        [
            "  model.rs              +2 (0 shown)     -1",
            "  train.rs                                   unchanged",
            "  attention/mod.rs      +1 (0 shown)     -0  new module",
            "  counts.rs             +0 (0 shown)     -2  module removed",
        ],
        "{report}"
    );
    assert!(report.contains("\n=== model.rs (+2 -1)\n--- crates/a/src/model.rs\n"), "{report}");
    assert!(report.contains("\n=== attention/mod.rs (new module, +1 -0)\n"), "{report}");
    assert!(!report.contains('\x1b'), "no colour was asked for");

    let stat = render("a", "b", &diffs, true, Color::Never);
    assert!(!stat.contains("@@"), "--stat prints no hunks:\n{stat}");
    assert_eq!(stat.lines().count(), 6);
    assert!(stat.ends_with("0 of the 3 added lines (0 %) are code a chapter shows; 3 are not\n"), "{stat}");
    assert!(render("a", "b", &diffs, false, Color::Always).contains("\x1b[32m+    mlp()\x1b[0m"));
}

#[test]
fn identical_stages_show_no_hunks() {
    let root = scratch("same");
    two_stages(&root);
    let a = crate_src(&root, "a").unwrap();
    let diffs = diff_dirs(&a, &a, "x", "x", 3).unwrap();
    assert!(diffs.iter().all(|d| d.status == Status::Unchanged && d.unified.is_empty()));
}

#[test]
fn a_crate_that_does_not_exist_is_a_clear_error() {
    let root = scratch("missing");
    two_stages(&root);
    let err = crate_src(&root, "transformer").unwrap_err().to_string();
    assert!(err.contains("no crate `transformer`"), "{err}");
    assert!(err.contains("crates: a, b"), "the error lists the crates there are: {err}");
}
