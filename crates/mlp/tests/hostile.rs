//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use harness::testdata::{
    StageBin, assert_one_line_error, assert_unchanged, assert_usage_error, edit_checkpoint, snapshot,
    temp_dir,
};

fn bin() -> StageBin {
    StageBin::new(env!("CARGO_BIN_EXE_mlp"), &[])
}

fn mlp(args: &[&str]) -> Output {
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
    for flag in ["--block-size", "--n-embd", "--n-hidden", "--batch-size"] {
        assert_one_line_error(&train(&data, &out, &[flag, "1000000000000"]), "needs about");
        assert_one_line_error(&train(&data, &out, &[flag, "18446744073709551615"]), flag);
        assert_one_line_error(&train(&data, &out, &[flag, "0"]), flag);
        assert_usage_error(&train(&data, &out, &[flag, "-1"]), flag);
    }
    assert_one_line_error(
        &train(&data, &out, &["--wavenet", "--block-size", "1152921504606846976"]),
        "needs about",
    );
    assert!(!out.exists(), "a refused run creates nothing");
    assert_unchanged(&dir, &before);
}

#[test]
fn number_flags_are_one_line_or_usage_errors() {
    let dir = temp_dir("hostile-numbers");
    let data = small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    for (flag, value) in [("--learning-rate", "-0.01"), ("--learning-rate", "inf"), ("--steps", "0")] {
        assert_one_line_error(&train(&data, &out, &[flag, value]), flag);
    }
    assert_usage_error(&train(&data, &out, &["--seed", "-1"]), "--seed");
    assert_unchanged(&dir, &before);
}

#[test]
fn a_diverging_run_keeps_the_last_good_checkpoint() {
    bin().check_divergence(&temp_dir("hostile-diverge"), &["--learning-rate", "1e30"]);
}

#[test]
fn bad_checkpoints_are_one_line_when_sampling() {
    let dir = temp_dir("hostile-ckpt");
    bin().check_bad_checkpoints(&dir);
    // An edited size is checked before anything is allocated.
    let huge = StageBin::copy_checkpoint(&dir.join("good"), &dir, "huge");
    edit_checkpoint(&huge, |json| {
        json["config"]["config"]["model"]["n_hidden"] = 1_000_000_000_000u64.into()
    });
    assert_one_line_error(&bin().sample(&huge, &[]), "--n-hidden 1000000000000");
}

#[test]
fn bad_out_and_data_paths_touch_nothing() {
    bin().check_paths(&temp_dir("hostile-paths"));
}

#[test]
fn figures_stay_inside_out_dir() {
    let dir = temp_dir("hostile-figures");
    let (_, run) = bin().trained(&dir, &[]);
    let figs = dir.join("figs");
    let before = snapshot(&dir);
    for prefix in ["../../x", "/tmp/x", "a/b", ""] {
        let output = mlp(&[
            "figures",
            "--checkpoint",
            run.to_str().unwrap(),
            "--out-dir",
            figs.to_str().unwrap(),
            "--prefix",
            prefix,
        ]);
        assert_one_line_error(&output, "--prefix");
    }
    assert_unchanged(&dir, &before);
}

#[test]
fn a_full_stdout_is_one_line_and_exit_1() {
    let dir = temp_dir("hostile-full");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_mlp"))
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
