//! Hostile input through the binary, one test per flag family: every case ends in one line and exit
//! code 1 (or clap's usage error, exit 2), and the user's files are byte-identical afterwards.

use std::path::{Path, PathBuf};
use std::process::Output;

use harness::testdata::{
    StageBin, assert_one_line_error, assert_unchanged, assert_usage_error, edit_checkpoint, snapshot,
    temp_dir,
};

/// A tiny model, so that each run takes a moment.
const TINY: [&str; 10] =
    ["--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--eval-iters", "2", "--batch-size", "8"];

fn bin() -> StageBin {
    StageBin::new(env!("CARGO_BIN_EXE_nanogpt"), &TINY)
}

fn nanogpt(args: &[&str]) -> Output {
    bin().run(args)
}

fn small_data(dir: &Path) -> String {
    StageBin::small_data(dir)
}

fn train(data: &str, out: &Path, extra: &[&str]) -> Output {
    bin().train(data, out, extra)
}

fn trained(dir: &Path, extra: &[&str]) -> (String, PathBuf) {
    bin().trained(dir, extra)
}

#[test]
fn size_flags_are_refused_before_the_run_dir_is_touched() {
    let dir = temp_dir("hostile-size");
    let data = small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    for flag in ["--block-size", "--n-embd", "--n-layer", "--batch-size"] {
        let big = if flag == "--n-embd" { "1000000000000" } else { "100000000000" };
        assert_one_line_error(&train(&data, &out, &[flag, big]), "needs about");
        assert_one_line_error(&train(&data, &out, &[flag, "18446744073709551615"]), flag);
        assert_one_line_error(&train(&data, &out, &[flag, "0"]), flag);
        assert_usage_error(&train(&data, &out, &[flag, "-1"]), flag);
    }
    // Heads must divide n_embd: huge numbers of heads come with a huge n_embd, and are refused by size.
    assert_one_line_error(
        &train(&data, &out, &["--n-head", "1000000", "--n-embd", "1000000"]),
        "needs about",
    );
    assert_one_line_error(&train(&data, &out, &["--n-head", "3"]), "--n-head");
    assert_one_line_error(&train(&data, &out, &["--eval-iters", "1000000000000"]), "--eval-iters");
    assert!(!out.exists(), "a refused run creates nothing");
    assert_unchanged(&dir, &before);
}

#[test]
fn learning_rate_flags_are_one_line() {
    let dir = temp_dir("hostile-lr");
    let data = small_data(&dir);
    let before = snapshot(&dir);
    let out = dir.join("run");
    assert_one_line_error(&train(&data, &out, &["--min-lr", "0.1", "--learning-rate", "0.01"]), "--min-lr");
    for (flag, value) in
        [("--learning-rate", "-0.01"), ("--min-lr", "NaN"), ("--beta2", "1"), ("--dropout", "1")]
    {
        assert_one_line_error(&train(&data, &out, &[flag, value]), flag);
    }
    assert_usage_error(&train(&data, &out, &["--warmup-steps", "-5"]), "--warmup-steps");
    assert!(!out.exists());
    assert_unchanged(&dir, &before);
}

#[test]
fn names_longer_than_the_block_are_cut_as_documented() {
    // `--block-size 4` holds BOS and three characters, and predicts four: longer names are cut to four
    // characters without their end (the flag's help says so), training goes on, and samples stop at
    // four characters.
    let dir = temp_dir("hostile-long");
    let (_, run) = trained(&dir, &["--block-size", "4"]);
    let output = nanogpt(&["sample", "--checkpoint", run.to_str().unwrap(), "--num-samples", "50"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines().filter(|l| l.starts_with("sample")) {
        let name = line.split_once(": ").map_or("", |(_, n)| n);
        assert!(name.chars().count() <= 4, "{line}");
    }
    let help = String::from_utf8_lossy(&nanogpt(&["train", "--help"]).stdout).into_owned();
    assert!(help.contains("cut to block_size and learned without its end"), "{help}");
    // A prompt longer than a name can be is one line.
    let output = nanogpt(&["sample", "--checkpoint", run.to_str().unwrap(), "--prompt", "emma"]);
    assert_one_line_error(&output, "--prompt");
}

#[test]
fn sampling_flags_and_bad_checkpoints_are_one_line() {
    let dir = temp_dir("hostile-ckpt");
    let (_, run) = trained(&dir, &[]);
    let sample = |run: &Path, extra: &[&str]| {
        nanogpt(&[&["sample", "--checkpoint", run.to_str().unwrap()], extra].concat())
    };
    assert_one_line_error(&sample(&run, &["--max-new-tokens", "1000001"]), "--max-new-tokens");
    assert_one_line_error(&sample(&run, &["--temperature", "0"]), "--temperature");
    assert_one_line_error(&sample(&run, &["--prompt", "é"]), "é");
    assert_usage_error(&sample(&run, &["--top-k", "-1"]), "--top-k");
    assert_usage_error(&sample(&run, &["--kv-cache", "maybe"]), "--kv-cache");
    let huge = StageBin::copy_checkpoint(&run, &dir, "huge");
    edit_checkpoint(&huge, |json| json["config"]["config"]["model"]["n_layer"] = 100_000_000_000u64.into());
    assert_one_line_error(&sample(&huge, &[]), "--n-layer 100000000000");
    std::fs::remove_dir_all(&run).unwrap();
    bin().check_bad_checkpoints(&dir);
}

#[test]
fn a_diverging_run_keeps_the_last_good_checkpoint() {
    bin().check_divergence(&temp_dir("hostile-diverge"), &["--learning-rate", "1e30"]);
}

#[test]
fn bad_out_and_data_paths_touch_nothing() {
    bin().check_paths(&temp_dir("hostile-paths"));
}

#[test]
fn the_checkpoint_is_the_best_model_the_resume_state_holds() {
    let dir = temp_dir("hostile-agree");
    let (_, run) = trained(&dir, &[]);
    let main = harness::checkpoint::load::<serde_json::Value>(&run, "nanogpt").unwrap().tensors;
    let resume =
        harness::checkpoint::load::<serde_json::Value>(&run.join("resume"), "nanogpt").unwrap().tensors;
    assert!(!main.is_empty());
    for (name, t) in &main {
        assert_eq!(Some(t), resume.get(name), "{name}");
    }
}

#[test]
fn a_full_stdout_is_one_line_and_exit_1() {
    bin().check_full_stdout(&temp_dir("hostile-full"));
}

#[test]
fn a_run_killed_mid_way_leaves_its_last_evaluation_checkpoint() {
    let run = bin().check_kill(&temp_dir("hostile-kill"), "5");
    assert!(run.join("resume").join("config.json").exists(), "the training state is saved with it");
}

#[test]
fn bench_flags_are_one_line() {
    assert_one_line_error(&nanogpt(&["bench", "--sample-tokens", "100001"]), "--sample-tokens");
    assert_one_line_error(&nanogpt(&["bench", "--steps", "0"]), "--steps");
    assert_usage_error(&nanogpt(&["bench", "--sample-tokens", "-1"]), "--sample-tokens");
}

#[test]
fn an_endless_text_is_one_line() {
    let dir = temp_dir("hostile-endless");
    let before = snapshot(&dir);
    let out = dir.join("run");
    let train = nanogpt(&["train", "--text", "/dev/zero", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&train, "larger than 1.00 GiB");
    assert_one_line_error(
        &nanogpt(&["bench", "--steps", "1", "--text", "/dev/zero"]),
        "larger than 1.00 GiB",
    );
    assert_unchanged(&dir, &before);
}
