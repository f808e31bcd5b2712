//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use harness::testdata::{
    assert_one_line_error, assert_unchanged, assert_usage_error, edit_checkpoint, poison_checkpoint,
    snapshot, temp_dir,
};

fn mlp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlp")).args(args).output().expect("the mlp binary runs")
}

/// A small data file, so the binary runs in a blink.
fn small_data(dir: &Path) -> String {
    let data = dir.join("names.txt");
    let names =
        "emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\nharper\nevelyn\nabigail\nemily\n";
    std::fs::write(&data, names.repeat(4)).unwrap();
    data.to_str().unwrap().to_owned()
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().unwrap();
    let mut args = vec!["train", "--data", data, "--out", out, "--steps", "10", "--eval-interval", "5"];
    args.extend_from_slice(extra);
    mlp(&args)
}

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
    let dir = temp_dir("hostile-diverge");
    let (data, run) = trained(&dir);
    let ckpt = |p: &Path| {
        (std::fs::read(p.join("config.json")).unwrap(), std::fs::read(p.join("model.safetensors")).unwrap())
    };
    let good = ckpt(&run);
    assert_one_line_error(&train(&data, &run, &["--learning-rate", "1e30"]), "diverged");
    assert_eq!(ckpt(&run), good);
    assert!(mlp(&["sample", "--checkpoint", run.to_str().unwrap()]).status.success());
}

#[test]
fn bad_checkpoints_are_one_line_when_sampling() {
    let dir = temp_dir("hostile-ckpt");
    let (_, run) = trained(&dir);
    let sample = |run: &Path| mlp(&["sample", "--checkpoint", run.to_str().unwrap()]);
    let copy = |name: &str| {
        let to = dir.join(name);
        std::fs::create_dir(&to).unwrap();
        for f in ["config.json", "model.safetensors"] {
            std::fs::copy(run.join(f), to.join(f)).unwrap();
        }
        to
    };
    // An edited size is checked before anything is allocated.
    let huge = copy("huge");
    edit_checkpoint(&huge, |json| {
        json["config"]["config"]["model"]["n_hidden"] = 1_000_000_000_000u64.into()
    });
    assert_one_line_error(&sample(&huge), "--n-hidden 1000000000000");
    let wide = copy("wide");
    edit_checkpoint(&wide, |json| {
        json["config"]["vocab"]["chars"] =
            (0x100..0x100 + 5000u32).filter_map(char::from_u32).collect::<String>().into()
    });
    assert_one_line_error(&sample(&wide), "cannot sample from");
    poison_checkpoint(&run);
    let before = snapshot(&dir);
    assert_one_line_error(&sample(&run), "NaN");
    assert_unchanged(&dir, &before);
}

#[test]
fn figures_stay_inside_out_dir() {
    let dir = temp_dir("hostile-figures");
    let (_, run) = trained(&dir);
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
    assert_one_line_error(&output, "No space left on device");
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    let dir = temp_dir("hostile-kill");
    let data = small_data(&dir);
    let run = dir.join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mlp"))
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
    let output = mlp(&["sample", "--checkpoint", run.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}
