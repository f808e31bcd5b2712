//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::Path;
use std::process::Output;

use harness::testdata::{
    StageBin, assert_one_line_error, assert_unchanged, assert_usage_error, edit_checkpoint, snapshot,
    temp_dir,
};

fn bin() -> StageBin {
    StageBin::new(env!("CARGO_BIN_EXE_microgpt"), &[])
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    bin().train(data, out, extra)
}

#[test]
fn size_flags_are_refused_before_the_run_dir_is_touched() {
    let dir = temp_dir("hostile-size");
    let data = StageBin::small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    for flag in ["--block-size", "--n-embd", "--n-layer"] {
        // Refused by its memory estimate, or as more than the tape's 32-bit indices can count.
        assert_one_line_error(&train(&data, &out, &[flag, "100000000000"]), &format!("{flag} 100000000000"));

        assert_one_line_error(&train(&data, &out, &[flag, "18446744073709551615"]), flag);
        assert_one_line_error(&train(&data, &out, &[flag, "0"]), flag);
        assert_usage_error(&train(&data, &out, &[flag, "-1"]), flag);
    }
    // Within the tape's indices (3·10⁹ dot-product terms a step) but about 36 GB.
    assert_one_line_error(&train(&data, &out, &["--n-embd", "4000"]), "needs about");
    assert_one_line_error(&train(&data, &out, &["--n-head", "3"]), "--n-head");
    assert!(!out.exists(), "a refused run creates nothing");
    assert_unchanged(&dir, &before);
}

#[test]
fn number_flags_are_one_line_or_usage_errors() {
    let dir = temp_dir("hostile-numbers");
    let data = StageBin::small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    for (flag, value) in [
        ("--learning-rate", "-0.01"),
        ("--learning-rate", "NaN"),
        ("--learning-rate", "inf"),
        ("--steps", "100000001"), // (0 is allowed: it saves the initial weights)
        ("--beta1", "1"),
        ("--beta2", "-0.5"),
        ("--init-std", "inf"),
    ] {
        assert_one_line_error(&train(&data, &out, &[flag, value]), flag);
    }
    assert_usage_error(&train(&data, &out, &["--seed", "-1"]), "--seed");
    assert_usage_error(&train(&data, &out, &["--steps", "1e3"]), "--steps");
    assert!(!out.exists());
    assert_unchanged(&dir, &before);
}

#[test]
fn too_few_names_for_a_validation_split_train_without_a_val_loss() {
    // microGPT trains on any file, even one name; with fewer than ten the canonical split sets no
    // validation words aside, so no val loss is measured (never a NaN one) and the end saves the run.
    let dir = temp_dir("hostile-few");
    let data = dir.join("three.txt");
    std::fs::write(&data, "ann\nbob\ncid\n").unwrap();
    let run = dir.join("run");
    let output = train(data.to_str().unwrap(), &run, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("val loss") && !stdout.contains("NaN"), "{stdout}");
    assert!(harness::read_run_log(&run.join("log.jsonl")).unwrap().is_empty());
    assert!(bin().sample(&run, &[]).status.success());
}

#[test]
fn a_diverging_run_keeps_the_last_good_checkpoint() {
    bin().check_divergence(&temp_dir("hostile-diverge"), &["--learning-rate", "1e30"]);
}

#[test]
fn bad_checkpoints_and_sampling_flags_are_one_line() {
    let dir = temp_dir("hostile-ckpt");
    bin().check_bad_checkpoints(&dir);
    let huge = StageBin::copy_checkpoint(&dir.join("good"), &dir, "huge");
    edit_checkpoint(&huge, |json| json["config"]["config"]["model"]["n_embd"] = 100_000_000_000u64.into());
    assert_one_line_error(&bin().sample(&huge, &[]), "--n-embd 100000000000");
    let good = dir.join("good");
    assert_one_line_error(&bin().sample(&good, &["--temperature", "0"]), "--temperature");
    assert_one_line_error(&bin().sample(&good, &["--temperature", "inf"]), "--temperature");
    assert_one_line_error(&bin().sample(&good, &["--num-samples", "1000000000000"]), "--num-samples");
    assert_usage_error(&bin().sample(&good, &["--num-samples", "-1"]), "--num-samples");
    // Above 1 flattens the distribution: allowed, as --help says.
    let flat = bin().sample(&good, &["--temperature", "2", "--num-samples", "3"]);
    assert!(flat.status.success(), "{}", String::from_utf8_lossy(&flat.stderr));
}

#[test]
fn bad_out_and_data_paths_touch_nothing() {
    bin().check_paths(&temp_dir("hostile-paths"));
}

#[test]
fn a_full_stdout_is_one_line_and_exit_1() {
    bin().check_full_stdout(&temp_dir("hostile-full"));
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    bin().check_kill(&temp_dir("hostile-kill"), "2");
}
