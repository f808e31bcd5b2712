//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use harness::testdata::{
    assert_one_line_error, assert_unchanged, assert_usage_error, edit_checkpoint, poison_checkpoint,
    snapshot, temp_dir,
};

fn micrograd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_micrograd")).args(args).output().expect("the binary runs")
}

/// The first 300 names of the repo's data: enough to split, quick to train on.
fn small_data(dir: &Path) -> String {
    let text = std::fs::read_to_string(harness::testdata::ssa_names()).unwrap();
    let path = dir.join("names.txt");
    std::fs::write(&path, text.lines().take(300).collect::<Vec<_>>().join("\n")).unwrap();
    path.to_str().unwrap().to_owned()
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "train",
        "--data",
        data,
        "--out",
        out,
        "--steps",
        "10",
        "--eval-interval",
        "5",
        "--batch-size",
        "4",
    ];
    args.extend_from_slice(extra);
    micrograd(&args)
}

/// A trained checkpoint in `dir/run`, and the data it was trained on.
fn trained(dir: &Path) -> (String, PathBuf) {
    let data = small_data(dir);
    let run = dir.join("run");
    let output = train(&data, &run, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (data, run)
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
    let dir = temp_dir("hostile-diverge");
    let (data, run) = trained(&dir);
    let ckpt = |p: &Path| {
        (std::fs::read(p.join("config.json")).unwrap(), std::fs::read(p.join("model.safetensors")).unwrap())
    };
    let good = ckpt(&run);
    let output = train(&data, &run, &["--learning-rate", "1e150", "--steps", "1"]);
    assert_one_line_error(&output, "diverged");
    assert_eq!(ckpt(&run), good);
    assert!(micrograd(&["sample", "--checkpoint", run.to_str().unwrap()]).status.success());
}

#[test]
fn bad_checkpoints_are_one_line_when_sampling() {
    let dir = temp_dir("hostile-ckpt");
    let (_, run) = trained(&dir);
    let sample = |run: &Path| micrograd(&["sample", "--checkpoint", run.to_str().unwrap()]);
    // A vocabulary edited to thousands of characters: the weights do not fit it.
    let big = dir.join("big");
    std::fs::create_dir(&big).unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(run.join(f), big.join(f)).unwrap();
    }
    edit_checkpoint(&big, |json| {
        json["config"]["vocab"]["chars"] =
            (0x100..0x100 + 5000u32).filter_map(char::from_u32).collect::<String>().into()
    });
    assert_one_line_error(
        &micrograd(&["sample", "--checkpoint", run.to_str().unwrap(), "--temperature", "0"]),
        "--temperature",
    );
    let before = snapshot(&dir);
    assert_one_line_error(&sample(&big), "cannot sample from");
    poison_checkpoint(&run);
    let before_nan = snapshot(&dir);
    assert_one_line_error(&sample(&run), "NaN");
    assert_unchanged(&dir, &before_nan);
    assert!(before != before_nan, "poisoning changed the weights");
    assert_usage_error(&micrograd(&["sample", "--num-samples", "-3"]), "--num-samples");
}

#[test]
fn a_full_stdout_is_one_line_and_exit_1() {
    let dir = temp_dir("hostile-full");
    let (_, run) = trained(&dir);
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full exists on Linux");
    let output = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .current_dir(&dir)
        .args(["sample", "--checkpoint", run.to_str().unwrap()])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_one_line_error(&output, "No space left on device");
    // The whole no-argument run too (it fails at its first line of report, before training).
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .current_dir(&dir)
        .args(["--data", &small_data(&dir)])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_one_line_error(&output, "No space left on device");
}

#[test]
fn files_in_out_that_are_not_ours_are_untouched() {
    let dir = temp_dir("hostile-out");
    let data = small_data(&dir);
    let out = dir.join("run");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("model.safetensors"), "my photo").unwrap();
    let before = snapshot(&dir);
    assert_one_line_error(&train(&data, &out, &[]), "refusing to overwrite");
    assert_unchanged(&dir, &before);
    assert_one_line_error(&train(&data, &dir.join("names.txt"), &[]), "is a file, not a directory");
    assert_unchanged(&dir, &before);
    assert_one_line_error(&train("/nonexistent/names.txt", &dir.join("new"), &[]), "not found");
    assert_unchanged(&dir, &before); // not even an empty run directory
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    let dir = temp_dir("hostile-kill");
    let data = small_data(&dir);
    let run = dir.join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(["train", "--data", &data, "--out", run.to_str().unwrap(), "--steps", "100000000"])
        .args(["--eval-interval", "2", "--batch-size", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !run.join("model.safetensors").exists() {
        assert!(start.elapsed().as_secs() < 120, "no checkpoint after two minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let output = micrograd(&["sample", "--checkpoint", run.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
