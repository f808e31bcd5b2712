//! `microgpt figure` finds all 1,000 printed losses identical to microgpt.py's, and says so.

use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, temp_dir};

fn microgpt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microgpt")).args(args).output().expect("the microgpt binary runs")
}

#[test]
fn the_figure_counts_every_loss_identical_and_bad_references_are_one_line() {
    let dir = temp_dir("figure");
    let stem = dir.join("parity");
    let output = microgpt(&["figure", "--figure", stem.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("1000 of 1000 losses identical"), "{stdout}");
    assert!(dir.join("parity.png").is_file() && dir.join("parity.svg").is_file());
    let empty = dir.join("empty.out");
    std::fs::write(&empty, "num docs: 3\n").unwrap();
    let output =
        microgpt(&["figure", "--reference", empty.to_str().unwrap(), "--figure", stem.to_str().unwrap()]);
    assert_one_line_error(&output, "holds no `step N / M | loss X` lines");
    // Another run's output counts the losses that differ.
    let other = dir.join("other.out");
    std::fs::write(&other, "step    1 / 1000 | loss 3.4639\nstep    2 / 1000 | loss 9.9999\n").unwrap();
    let output =
        microgpt(&["figure", "--reference", other.to_str().unwrap(), "--figure", stem.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("1 of 2 losses identical"));
}
