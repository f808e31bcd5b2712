//! The stage contract, through the binary: bad input is one line and exit code 1, a trained checkpoint
//! samples, and the same seed gives the same output.

use std::path::Path;
use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, assert_usage_error, temp_dir};

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
        "20",
        "--eval-interval",
        "10",
        "--batch-size",
        "4",
    ];
    args.extend_from_slice(extra);
    micrograd(&args)
}

#[test]
fn missing_or_empty_data_file_is_one_line() {
    let dir = temp_dir("missing");
    let out = dir.join("run");
    assert_one_line_error(&train("/nonexistent/names.txt", &out, &[]), "data file not found");
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "\n \n").unwrap();
    assert_one_line_error(&train(empty.to_str().unwrap(), &out, &[]), "holds no documents");
    let bad = dir.join("latin1.txt");
    std::fs::write(&bad, b"ann\nj\xe9r\xf4me\n").unwrap();
    assert_one_line_error(&train(bad.to_str().unwrap(), &out, &[]), "not UTF-8");
}

#[test]
fn impossible_hyperparameters_are_one_line() {
    let dir = temp_dir("hyper");
    let data = small_data(&dir);
    let out = dir.join("run");
    assert_one_line_error(&train(&data, &out, &["--batch-size", "0"]), "--batch-size");
    assert_usage_error(&train(&data, &out, &["--batch-size", "many"]), "--batch-size");
    assert_usage_error(&micrograd(&["train", "--no-such-flag"]), "--no-such-flag");
    assert_one_line_error(&train(&data, &out, &["--learning-rate", "-0.01"]), "--learning-rate");
    assert_one_line_error(&train(&data, &out, &["--learning-rate=-1"]), "--learning-rate");
    assert_one_line_error(&train(&data, &out, &["--learning-rate", "1e300"]), "diverged");
    assert!(!out.join("model.safetensors").exists(), "a failed run must not leave a checkpoint");
}

#[test]
fn train_then_sample_from_the_checkpoint() {
    let dir = temp_dir("roundtrip");
    let data = small_data(&dir);
    let run = dir.join("run");
    let trained = train(&data, &run, &[]);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let stdout = String::from_utf8(trained.stdout).unwrap();
    assert!(stdout.contains("step 0 | loss ") && stdout.contains("step 19 | train loss "), "{stdout}");
    for file in ["config.json", "model.safetensors", "log.jsonl"] {
        assert!(run.join(file).is_file(), "{file} missing");
    }
    let sampled = micrograd(&["sample", "--checkpoint", run.to_str().unwrap(), "--num-samples", "7"]);
    assert!(sampled.status.success(), "{}", String::from_utf8_lossy(&sampled.stderr));
    let names = String::from_utf8(sampled.stdout).unwrap();
    let names: Vec<&str> = names.lines().filter_map(|l| l.strip_prefix("sample ")).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(
        names.iter().all(|l| l.split(": ").nth(1).unwrap().chars().all(|c| c.is_ascii_lowercase())),
        "{names:?}"
    );
}

#[test]
fn a_truncated_or_missing_checkpoint_is_one_line() {
    let dir = temp_dir("truncated");
    let data = small_data(&dir);
    let run = dir.join("run");
    assert!(train(&data, &run, &[]).status.success());
    let weights = run.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(&micrograd(&["sample", "--checkpoint", run.to_str().unwrap()]), "truncated");
    let nowhere = dir.join("nowhere");
    assert_one_line_error(&micrograd(&["sample", "--checkpoint", nowhere.to_str().unwrap()]), "not found");
}

#[test]
fn same_seed_same_output_bit_for_bit() {
    let dir = temp_dir("determinism");
    let data = small_data(&dir);
    let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
    let (ra, rb) = (train(&data, &a, &[]), train(&data, &b, &[]));
    assert!(ra.status.success(), "{}", String::from_utf8_lossy(&ra.stderr));
    assert!(rb.status.success(), "{}", String::from_utf8_lossy(&rb.stderr));
    let text = |o: &Output, d: &Path| String::from_utf8_lossy(&o.stdout).replace(d.to_str().unwrap(), "DIR");
    assert_eq!(text(&ra, &a), text(&rb, &b));
    let weights = |d: &Path| std::fs::read(d.join("model.safetensors")).unwrap();
    assert_eq!(weights(&a), weights(&b));
    let rc = train(&data, &c, &["--seed", "7"]);
    assert!(rc.status.success(), "{}", String::from_utf8_lossy(&rc.stderr));
    assert_ne!(weights(&a), weights(&c), "the seed should matter");
    let sample = |d: &Path| micrograd(&["sample", "--checkpoint", d.to_str().unwrap(), "--seed", "3"]).stdout;
    assert_eq!(sample(&a), sample(&b));
}

#[test]
fn nothing_foreign_is_overwritten() {
    let dir = temp_dir("overwrite");
    let data = small_data(&dir);
    let run = dir.join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("config.json"), "{\"mine\": true}").unwrap();
    assert_one_line_error(&train(&data, &run, &[]), "refusing to overwrite");
    assert_eq!(std::fs::read_to_string(run.join("config.json")).unwrap(), "{\"mine\": true}");
    // A run directory of ours is replaced, with a note.
    let ours = dir.join("ours");
    assert!(train(&data, &ours, &[]).status.success());
    let again = train(&data, &ours, &[]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("replacing previous run"));

    std::fs::write(dir.join("moons.svg"), "my drawing").unwrap();
    let moons = micrograd(&["moons", "--steps", "1", "--out", dir.to_str().unwrap()]);
    assert_one_line_error(&moons, "refusing to overwrite");
    std::fs::write(dir.join("neuron.dot"), "my graph").unwrap();
    assert_one_line_error(&micrograd(&["graph", "--out", dir.to_str().unwrap()]), "refusing to overwrite");
    assert!(!dir.join("expression.dot").exists(), "nothing is written when one file is refused");
}

#[test]
fn graph_writes_the_lectures_dot_files() {
    let dir = temp_dir("graph");
    let out = micrograd(&["graph", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("L = -8 | dL/da = 6 | dL/db = -4 | dL/dc = -2 | dL/df = 4"), "{stdout}");
    for name in ["expression", "neuron"] {
        let dot = std::fs::read_to_string(dir.join(format!("{name}.dot"))).unwrap();
        assert!(dot.starts_with(&format!("digraph micrograd_{name} {{")), "{dot}");
    }
    // Running again replaces its own files.
    assert!(micrograd(&["graph", "--out", dir.to_str().unwrap()]).status.success());
}

#[test]
fn ctrl_c_stops_after_the_step_and_saves_what_was_learned() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = temp_dir("ctrl-c");
    let data = small_data(&dir);
    let run = dir.join("run");
    let args =
        ["train", "--data", &data, "--out", run.to_str().unwrap(), "--steps", "1000000", "--batch-size", "4"];
    let mut child = Command::new(env!("CARGO_BIN_EXE_micrograd"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until training is under way, then send SIGINT as a terminal's Ctrl-C does.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 && !line.contains("| loss") {
        line.clear();
    }
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let rest: Vec<String> = stdout.lines().map(Result::unwrap).collect();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(rest.iter().any(|l| l.starts_with("interrupted: stopping after step")), "{rest:?}");
    let (_, saved) = harness::cli::load::<micrograd::Stage>(&run).expect("the interrupted run was saved");
    assert_eq!(saved.config.train.steps, 1_000_000);
    let log = harness::read_run_log(&run.join("log.jsonl")).unwrap();
    assert!(log.last().is_some_and(|r| r.step < 1_000_000 && r.val_loss.is_some()), "{log:?}");
}
