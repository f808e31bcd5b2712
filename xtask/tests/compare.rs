//! `cargo xtask compare --quick` end to end: it builds every stage in release mode, so it is ignored by
//! default (CI runs it with `--ignored`).

use std::path::Path;

use xtask::compare::{self, Options, stages, summary::Outcome};
use xtask::{cargo, workspace_root};

#[test]
#[ignore = "builds every stage in release mode and trains each briefly (about a minute)"]
fn quick_compare_summarises_and_plots_every_stage_that_exists() {
    let root = workspace_root();
    let out = std::env::temp_dir().join(format!("xtask-compare-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let opts =
        Options { data: root.join("data").join("names.txt"), out: out.clone(), quick: true, stages: None };
    let report = compare::compare(&root, &opts).expect("the comparison runs");

    // One result and one summary row per stage; every stage whose crate exists trained.
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(report.results.len(), stages::STAGES.len());
    for (stage, result) in stages::STAGES.iter().zip(&report.results) {
        assert_eq!(result.name, stage.name);
        let row = summary.lines().find(|l| l.starts_with(&format!("| {} |", stage.name)));
        let row = row.unwrap_or_else(|| panic!("no summary row for {}:\n{summary}", stage.name));
        if cargo::crate_exists(&root, stage.krate) {
            let Outcome::Trained(t) = &result.outcome else {
                panic!("{} did not train: {:?}", stage.name, result.outcome)
            };
            let val = t.records.iter().rev().find_map(|r| r.val_loss);
            let val = val.unwrap_or_else(|| panic!("{} logged no val loss", stage.name));
            // Even the smoke test's budget learns something: below the uniform guess, ln 27.
            assert!(val < 27f64.ln(), "{}: val {val} is no better than guessing uniformly", stage.name);
            assert!(t.params.is_some_and(|p| p > 0), "{}: no parameter count", stage.name);
            assert_eq!(t.samples.len(), 5, "{}: {:?}", stage.name, t.samples);
            assert!(!row.contains("failed") && !row.contains("missing"), "{row}");
            assert!(out.join(stage.krate).join("log.jsonl").is_file(), "{}: no raw run log", stage.name);
        } else {
            assert_eq!(result.outcome, Outcome::Missing);
            assert!(row.contains("missing"), "{row}");
        }
    }

    // The plot files are a valid PNG (decodes, the size we drew) and a complete SVG.
    let png = std::fs::read(out.join("loss.png")).unwrap();
    let (w, h) = xtask::png_size(&png).expect("loss.png decodes");
    assert!(w >= 1000 && h >= 500, "{w}x{h}");
    let svg = std::fs::read_to_string(out.join("loss.svg")).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{}", &svg[..60.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("tokens seen") && svg.contains("uniform guess"));
    assert_eq!(report.all_trained(), stages::STAGES.iter().all(|s| cargo::crate_exists(&root, s.krate)));
    std::fs::remove_dir_all(&out).unwrap();
    assert!(!Path::new(&out).exists());
}
