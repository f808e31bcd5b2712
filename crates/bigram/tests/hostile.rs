//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use harness::testdata::{
    StageBin, assert_one_line_error, assert_unchanged, assert_usage_error, snapshot, temp_dir,
};

fn bin() -> StageBin {
    StageBin::new(env!("CARGO_BIN_EXE_bigram"), &[])
}

fn bigram(args: &[&str]) -> Output {
    bin().run(args)
}

fn small_data(dir: &Path) -> String {
    StageBin::small_data(dir)
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    bin().train(data, out, extra)
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
        ("--steps", "0"),
        ("--reg", "-1"),
        ("--reg", "inf"),
        ("--reg", "1e30"),
        ("--smoothing", "-1"),
    ] {
        assert_one_line_error(&train(&data, &out, &[flag, value]), flag);
    }
    assert_usage_error(&train(&data, &out, &["--steps", "1e3"]), "--steps");
    assert!(!out.exists());
    assert_unchanged(&dir, &before);
}

#[test]
fn data_with_thousands_of_characters_is_refused_before_work() {
    let dir = temp_dir("hostile-wide");
    let wide = dir.join("wide.txt");
    let text: String = (0x100..0x100 + 3000u32)
        .filter_map(char::from_u32)
        .collect::<Vec<_>>()
        .chunks(6)
        .map(|c| c.iter().collect::<String>() + "\n")
        .collect();
    std::fs::write(&wide, text).unwrap();
    let before = snapshot(&dir);
    let figure = dir.join("fig");
    let output = bigram(&["heatmap", "--data", wide.to_str().unwrap(), "--figure", figure.to_str().unwrap()]);
    assert_one_line_error(&output, "3000 distinct characters");
    assert_unchanged(&dir, &before);
    // A heatmap over a user's file is refused too, and the file kept.
    std::fs::write(dir.join("photo.png"), "my photo").unwrap();
    let data = small_data(&dir);
    let before = snapshot(&dir);
    let photo = dir.join("photo");
    assert_one_line_error(
        &bigram(&["heatmap", "--data", &data, "--figure", photo.to_str().unwrap()]),
        "photo.png",
    );
    assert_unchanged(&dir, &before);
}

#[test]
fn a_diverging_run_keeps_the_last_good_checkpoint() {
    bin().check_divergence(&temp_dir("hostile-diverge"), &["--learning-rate", "1e30"]);
}

#[test]
fn bad_checkpoints_are_one_line_when_sampling() {
    bin().check_bad_checkpoints(&temp_dir("hostile-ckpt"));
    assert_usage_error(&bigram(&["sample", "--num-samples", "many"]), "--num-samples");
}

#[test]
fn bad_out_and_data_paths_touch_nothing() {
    bin().check_paths(&temp_dir("hostile-paths"));
}

#[test]
fn a_full_stdout_is_one_line_and_exit_1() {
    let dir = temp_dir("hostile-full");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_bigram"))
        .current_dir(&dir)
        .args(["--data", &small_data(&dir)])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_one_line_error(&output, "cannot write to standard output: No space left on device");
    bin().check_full_stdout(&dir);
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    bin().check_kill(&temp_dir("hostile-kill"), "5");
}
