//! The port is the program: the binary prints exactly what Karpathy's microgpt.py prints.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Runs the binary with `args`, writing its checkpoint into a fresh temporary directory.
fn run(args: &[&str]) -> String {
    let out =
        std::env::temp_dir().join(format!("microgpt-parity-{}-{}", std::process::id(), args.join("_").len()));
    let _ = std::fs::remove_dir_all(&out);
    let output = Command::new(env!("CARGO_BIN_EXE_microgpt"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the microgpt binary runs");
    assert!(output.status.success(), "microgpt {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    std::fs::remove_dir_all(&out).unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// Compares line by line, so a mismatch names its line instead of dumping two 1,000-line strings.
fn assert_same_lines(ours: &str, reference: &str) {
    let (ours, reference): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), reference.lines().collect());
    for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
        assert_eq!(a, b, "line {} differs", i + 1);
    }
    assert_eq!(ours.len(), reference.len(), "different number of lines");
}

#[test]
fn default_run_prints_what_microgpt_py_prints_on_data_names() {
    let reference = std::fs::read_to_string(fixture("microgpt-py.ssa2018-names.out")).unwrap();
    assert_same_lines(&run(&[]), &reference);
}

#[test]
#[cfg_attr(
    not(makemore_names),
    ignore = "needs makemore's names.txt (../shared/data/names.txt or $MAKEMORE_NAMES)"
)]
fn prints_what_microgpt_py_prints_on_makemore_names() {
    let Some(data) = harness::testdata::makemore_names() else { return };
    let root = harness::testdata::workspace_root();
    let reference = root.parent().unwrap().join("shared/reference/microgpt-py.makemore-names.out");
    if !reference.exists() {
        eprintln!("skipping: the reference output {} is absent", reference.display());
        return;
    }
    let reference = std::fs::read_to_string(reference).unwrap();
    assert_same_lines(&run(&["--data", data.to_str().unwrap()]), &reference);
}

#[test]
fn parity_holds_on_other_characters_and_hyperparameters() {
    let data = fixture("unicode-names.txt");
    let ours = run(&[
        "--data",
        data.to_str().unwrap(),
        "--n-layer",
        "2",
        "--n-embd",
        "8",
        "--n-head",
        "2",
        "--block-size",
        "8",
        "--steps",
        "60",
        "--learning-rate",
        "0.02",
        "--temperature",
        "0.8",
        "--num-samples",
        "8",
    ]);
    let reference = std::fs::read_to_string(fixture("unicode-l2-e8-h2-b8-s60.out")).unwrap();
    assert_same_lines(&ours, &reference);
}

#[test]
fn parity_holds_when_head_dim_is_not_a_power_of_two() {
    let ours = run(&[
        "--n-embd",
        "12",
        "--n-head",
        "4",
        "--block-size",
        "10",
        "--steps",
        "40",
        "--learning-rate",
        "0.01",
        "--temperature",
        "1.0",
        "--num-samples",
        "10",
    ]);
    let reference = std::fs::read_to_string(fixture("names-e12-h4-b10-s40.out")).unwrap();
    assert_same_lines(&ours, &reference);
}
