//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use harness::testdata::{
    StageBin, assert_one_line_error, assert_unchanged, assert_usage_error, snapshot, temp_dir,
};

fn bin() -> StageBin {
    StageBin::new(env!("CARGO_BIN_EXE_micrograd"), &["--batch-size", "4"])
}

fn micrograd(args: &[&str]) -> Output {
    bin().run(args)
}

fn small_data(dir: &Path) -> String {
    StageBin::small_data(dir)
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    bin().train(data, out, extra)
}

#[test]
fn size_flags_are_refused_before_the_run_dir_is_touched() {
    let dir = temp_dir("hostile-size");
    let data = small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    assert_one_line_error(&train(&data, &out, &["--batch-size", "100000000000"]), "needs about");
    assert_one_line_error(&train(&data, &out, &["--batch-size", "18446744073709551615"]), "--batch-size");
    assert_usage_error(&train(&data, &out, &["--batch-size", "18446744073709551616"]), "--batch-size");
    let moons = micrograd(&["moons", "--n-samples", "100000000000000", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&moons, "--n-samples 100000000000000 needs about");
    assert!(!out.exists(), "a refused run creates nothing");
    assert_unchanged(&dir, &before);
}

#[test]
fn number_flags_are_one_line_or_usage_errors() {
    let dir = temp_dir("hostile-numbers");
    let data = small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    for (flag, value) in [
        ("--learning-rate", "-0.01"),
        ("--learning-rate", "NaN"),
        ("--learning-rate", "inf"),
        ("--steps", "0"),
        ("--batch-size", "0"),
        ("--init-scale", "-1"),
    ] {
        assert_one_line_error(&train(&data, &out, &[flag, value]), flag);
    }
    assert_usage_error(&train(&data, &out, &["--steps", "-1"]), "--steps");
    assert_usage_error(&train(&data, &out, &["--seed", "x"]), "--seed");
    assert_unchanged(&dir, &before);
}

#[test]
fn a_diverging_run_keeps_the_last_good_checkpoint() {
    // One step at this rate: the guard must see the weights the last update made, not only the loss.
    bin().check_divergence(&temp_dir("hostile-diverge"), &["--learning-rate", "1e150", "--steps", "1"]);
}

#[test]
fn bad_checkpoints_are_one_line_when_sampling() {
    let dir = temp_dir("hostile-ckpt");
    bin().check_bad_checkpoints(&dir);
    assert_one_line_error(&bin().sample(&dir.join("cut"), &["--temperature", "0"]), "--temperature");
    assert_usage_error(&micrograd(&["sample", "--num-samples", "-3"]), "--num-samples");
}

#[test]
fn a_full_stdout_is_one_line_and_exit_1() {
    let dir = temp_dir("hostile-full");
    bin().check_full_stdout(&dir);
    // The whole no-argument run too (it fails at its first line of report, before training).
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .current_dir(&dir)
        .args(["--data", &small_data(&dir)])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_one_line_error(&output, "cannot write to standard output: No space left on device");
}

#[test]
fn bad_out_and_data_paths_touch_nothing() {
    bin().check_paths(&temp_dir("hostile-paths"));
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    bin().check_kill(&temp_dir("hostile-kill"), "2");
}

#[test]
fn a_name_of_two_million_characters_is_refused_before_work() {
    let dir = temp_dir("hostile-long-line");
    let data = dir.join("long.txt");
    let names = std::fs::read_to_string(harness::testdata::ssa_names()).unwrap();
    let names: Vec<&str> = names.lines().take(200).collect();
    std::fs::write(&data, format!("{}\n{}\n", names.join("\n"), "a".repeat(2_000_000))).unwrap();
    let before = snapshot(&dir);
    let output = train(data.to_str().unwrap(), &dir.join("run"), &[]);
    assert_one_line_error(&output, "names of up to 2000000 characters needs about");
    assert_unchanged(&dir, &before); // not even the run directory
}
