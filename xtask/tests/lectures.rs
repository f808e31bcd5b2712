//! The lectures check on the real book, and on small books built to be broken in one way each.

use std::fs;
use std::path::{Path, PathBuf};

use xtask::lectures::check_book;
use xtask::workspace_root;

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("xtask-lectures").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A book in `dir` whose chapter has `body`, next to a crate file with anchor `model` in it, which a
/// second chapter shows (so the anchor is no orphan).
fn book(dir: &Path, body: &str) {
    write(
        &dir.join("lectures/src/SUMMARY.md"),
        "# Summary\n\n- [Chapter](chapter.md)\n- [Shown](shown.md)\n",
    );
    write(&dir.join("lectures/src/chapter.md"), body);
    write(
        &dir.join("lectures/src/shown.md"),
        "<!-- listing: crates/demo/src/model.rs:model -->\n```rust\npub struct Model;\n```\n",
    );
    write(
        &dir.join("crates/demo/src/model.rs"),
        "// ANCHOR: model\npub struct Model;\n// ANCHOR_END: model\nfn main() {}\n",
    );
}

#[test]
fn the_real_book_has_no_dangling_includes() {
    let root = workspace_root();
    let problems = check_book(&root.join("lectures"), &root).unwrap();
    let report: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "the lectures point at code that is not there:\n{}", report.join("\n"));
}

#[test]
fn a_book_whose_includes_all_resolve_passes() {
    let dir = scratch("good");
    book(
        &dir,
        "# Chapter\n\n<!-- listing: crates/demo/src/model.rs:model -->\n```rust\npub struct Model;\n```\n\
         {{#include ../../crates/demo/src/model.rs}}\n{{#rustdoc_include ../../crates/demo/src/model.rs:2:3}}\n",
    );
    assert_eq!(check_book(&dir.join("lectures"), &dir).unwrap(), []);
}

#[test]
fn a_drifted_listing_or_an_old_include_fence_fails_the_check() {
    let dir = scratch("drifted");
    book(
        &dir,
        "# Chapter\n\n<!-- listing: crates/demo/src/model.rs:model -->\n```rust\npub struct Old;\n```\n",
    );
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 5, "the first line that differs");
    assert!(problems[0].message.contains("--sync"), "{}", problems[0].message);
    // An mdBook include in a fence shows nothing outside mdBook: it must be synced into a listing.
    book(&dir, "# Chapter\n\n```rust\n{{#include ../../crates/demo/src/model.rs:model}}\n```\n");
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert!(problems.iter().any(|p| p.message.contains("--sync")), "{problems:?}");
    // Synced, the book passes.
    let (changed, found) = xtask::lectures::sync_book(&dir.join("lectures")).unwrap();
    assert_eq!((changed.len(), found.len()), (1, 0), "{found:?}");
    assert_eq!(check_book(&dir.join("lectures"), &dir).unwrap(), []);
}

#[test]
fn prose_that_mdbook_reads_as_html_fails_the_check() {
    let dir = scratch("html");
    book(&dir, "# Chapter\n\nA Vec<f64> in prose.\n");
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("<f64>"), "{}", problems[0].message);
}

#[test]
fn a_missing_file_is_reported_with_chapter_and_line() {
    let dir = scratch("missing-file");
    book(&dir, "# Chapter\n\nSome text.\n{{#include ../../crates/demo/src/gone.rs:model}}\n");
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!((p.chapter.as_path(), p.line), (Path::new("lectures/src/chapter.md"), 4));
    assert!(p.message.contains("no file ../../crates/demo/src/gone.rs"), "{}", p.message);
    assert_eq!(p.to_string().split(": ").next(), Some("lectures/src/chapter.md:4"));
}

#[test]
fn a_missing_anchor_is_reported_with_chapter_and_line() {
    let dir = scratch("missing-anchor");
    book(
        &dir,
        "# Chapter\n{{#include ../../crates/demo/src/model.rs:model}}\n{{#include ../../crates/demo/src/model.rs:train}}\n",
    );
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 3);
    assert!(problems[0].message.contains("no `ANCHOR: train`"), "{}", problems[0].message);
}

#[test]
fn a_half_open_anchor_and_a_range_past_the_end_are_reported() {
    let dir = scratch("half-anchor");
    book(
        &dir,
        "{{#include ../../crates/demo/src/half.rs:step}}\n{{#include ../../crates/demo/src/model.rs:9:12}}\n",
    );
    write(&dir.join("crates/demo/src/half.rs"), "// ANCHOR: step\nfn step() {}\n");
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("without `ANCHOR_END: step`"), "{}", messages[0]);
    assert!(messages[1].contains("starts at line 9, but the file has 4 lines"), "{}", messages[1]);
}

#[test]
fn a_summary_entry_without_a_chapter_file_is_reported() {
    let dir = scratch("summary");
    book(&dir, "# Chapter\n");
    write(
        &dir.join("lectures/src/SUMMARY.md"),
        "# Summary\n\n- [Chapter](chapter.md)\n- [Later](later.md)\n- [Draft]()\n",
    );
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!((problems[0].chapter.as_path(), problems[0].line), (Path::new("lectures/src/SUMMARY.md"), 4));
    assert!(problems[0].message.contains("later.md"));
}

#[test]
fn a_drifted_snippet_a_stale_one_and_an_unquoted_one_fail_the_check() {
    let dir = scratch("snippets");
    write(&dir.join("crates/autograd/src/lib.rs"), "pub fn engine() {}\n");
    xtask::snippets::write(&dir, "bench-steps", "| ms per step |\n|--:|\n| 8.2 |\n").unwrap();
    let quoting = |value: &str| {
        format!(
            "# Chapter\n\nThe step:\n\n<!-- snippet: bench-steps -->\n| ms per step |\n|--:|\n| {value} |\n<!-- end snippet -->\n"
        )
    };
    book(&dir, &quoting("8.2"));
    assert_eq!(check_book(&dir.join("lectures"), &dir).unwrap(), []);

    // A number typed over the measured one.
    book(&dir, &quoting("7.0"));
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 8, "the first line that differs");
    assert!(
        problems[0].message.contains("snippet") && problems[0].message.contains("--sync"),
        "{problems:?}"
    );
    let (changed, found) = xtask::lectures::sync_book(&dir.join("lectures")).unwrap();
    assert_eq!((changed.len(), found.len()), (1, 0), "{found:?}");
    assert_eq!(check_book(&dir.join("lectures"), &dir).unwrap(), []);

    // The README quotes snippets too, and is checked the same way.
    write(&dir.join("README.md"), &quoting("9.9").replace("# Chapter", "# Readme"));
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert!(problems.len() == 1 && problems[0].chapter == Path::new("README.md"), "{problems:?}");
    fs::remove_file(dir.join("README.md")).unwrap();

    // The engine changed after the measurement: the numbers may be stale.
    write(&dir.join("crates/autograd/src/lib.rs"), "pub fn engine() { faster() }\n");
    let problems = check_book(&dir.join("lectures"), &dir).unwrap();
    assert!(problems.len() == 1 && problems[0].message.contains("rerun `cargo xtask bench"), "{problems:?}");

    // Remeasured, it passes again; a snippet no file quotes, and a marker naming none, fail.
    xtask::snippets::write(&dir, "bench-steps", "| ms per step |\n|--:|\n| 8.2 |\n").unwrap();
    xtask::snippets::write(&dir, "bench-engine", "| x |\n").unwrap();
    book(&dir, &(quoting("8.2") + "\n<!-- snippet: bench-nothing -->\n<!-- end snippet -->\n"));
    let problems: Vec<String> =
        check_book(&dir.join("lectures"), &dir).unwrap().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("bench-engine is quoted by no chapter")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("no snippet bench-nothing")), "{problems:?}");
}
