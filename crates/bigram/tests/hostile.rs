//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use harness::testdata::{
    assert_one_line_error, assert_unchanged, assert_usage_error, edit_checkpoint, poison_checkpoint,
    snapshot, temp_dir,
};

fn bigram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bigram")).args(args).output().expect("the bigram binary runs")
}

/// A small data file, so the binary runs in a blink.
fn small_data(dir: &Path) -> String {
    let data = dir.join("names.txt");
    std::fs::write(&data, "emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\nharper\nevelyn\n")
        .unwrap();
    data.to_str().unwrap().to_owned()
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().unwrap();
    let mut args = vec!["train", "--data", data, "--out", out, "--steps", "10", "--eval-interval", "5"];
    args.extend_from_slice(extra);
    bigram(&args)
}

fn trained(dir: &Path) -> (String, PathBuf) {
    let data = small_data(dir);
    let run = dir.join("run");
    let output = train(&data, &run, &[]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (data, run)
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
    let dir = temp_dir("hostile-diverge");
    let (data, run) = trained(&dir);
    let ckpt = |p: &Path| {
        (std::fs::read(p.join("config.json")).unwrap(), std::fs::read(p.join("model.safetensors")).unwrap())
    };
    let good = ckpt(&run);
    assert_one_line_error(&train(&data, &run, &["--learning-rate", "1e30"]), "diverged");
    assert_eq!(ckpt(&run), good);
    assert!(bigram(&["sample", "--checkpoint", run.to_str().unwrap()]).status.success());
}

#[test]
fn bad_checkpoints_are_one_line_when_sampling() {
    let dir = temp_dir("hostile-ckpt");
    let (_, run) = trained(&dir);
    let sample = |run: &Path| bigram(&["sample", "--checkpoint", run.to_str().unwrap()]);
    let copy = dir.join("edited");
    std::fs::create_dir(&copy).unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(run.join(f), copy.join(f)).unwrap();
    }
    edit_checkpoint(&copy, |json| {
        json["config"]["vocab"]["chars"] =
            (0x100..0x100 + 5000u32).filter_map(char::from_u32).collect::<String>().into()
    });
    assert_one_line_error(&sample(&copy), "cannot sample from");
    poison_checkpoint(&run);
    let before = snapshot(&dir);
    assert_one_line_error(&sample(&run), "NaN");
    assert_unchanged(&dir, &before);
    assert_usage_error(&bigram(&["sample", "--num-samples", "many"]), "--num-samples");
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
    assert_one_line_error(&output, "No space left on device");
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    let dir = temp_dir("hostile-kill");
    let data = small_data(&dir);
    let run = dir.join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bigram"))
        .args(["train", "--data", &data, "--out", run.to_str().unwrap(), "--steps", "100000000"])
        .args(["--eval-interval", "5"])
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
    let output = bigram(&["sample", "--checkpoint", run.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
