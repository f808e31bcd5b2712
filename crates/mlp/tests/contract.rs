//! The stage contract: bad input gets one clear line and exit code 1; a checkpoint round-trips; the same
//! seed gives the same output; the figures are drawn.

use std::path::Path;
use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, assert_usage_error, temp_dir};

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

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_missing_data_file_is_one_line() {
    let out = temp_dir("missing");
    let output = mlp(&["--data", "/no/such/names.txt", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&output, "/no/such/names.txt");
}

#[test]
fn an_empty_data_file_is_one_line() {
    let dir = temp_dir("empty");
    let data = dir.join("empty.txt");
    std::fs::write(&data, "\n  \n").unwrap();
    let output = mlp(&["--data", data.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_one_line_error(&output, "empty.txt");
}

#[test]
fn too_few_words_to_split_is_one_line() {
    let dir = temp_dir("few");
    let data = dir.join("five.txt");
    std::fs::write(&data, "emma\nolivia\nava\nisabella\nsophia\n").unwrap();
    let output = mlp(&["--data", data.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_one_line_error(&output, "too few");
}

#[test]
fn impossible_hyperparameters_are_one_line() {
    let dir = temp_dir("hyper");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = |extra: &[&str]| {
        let mut args = vec!["train", "--data", &data, "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        mlp(&args)
    };
    assert_one_line_error(&run(&["--n-embd", "0"]), "--n-embd");
    assert_one_line_error(&run(&["--n-hidden", "0"]), "--n-hidden");
    assert_one_line_error(&run(&["--block-size", "0"]), "--block-size");
    assert_one_line_error(&run(&["--batch-size", "0"]), "--batch-size");
    assert_one_line_error(&run(&["--steps", "0"]), "--steps");
    assert_one_line_error(&run(&["--wavenet", "--block-size", "3"]), "power of 2");
    assert_one_line_error(&run(&["--batchnorm", "--batch-size", "1"]), "batch norm");
    assert_one_line_error(&run(&["--learning-rate", "-0.1"]), "--learning-rate");
    assert_usage_error(&run(&["--batch-size", "many"]), "--batch-size");
    assert_usage_error(&run(&["--no-such-flag"]), "--no-such-flag");
    assert!(!out.exists(), "nothing is written for a run that cannot start");
}

#[test]
fn impossible_sampling_settings_are_one_line() {
    let dir = temp_dir("sampling");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = out.to_str().unwrap();
    assert_success(&mlp(&["train", "--data", &data, "--steps", "3", "--out", run]));
    assert_one_line_error(&mlp(&["sample", "--checkpoint", run, "--temperature", "0"]), "--temperature");
    assert_usage_error(&mlp(&["sample", "--checkpoint", run, "--num-samples", "-1"]), "--num-samples");
    let missing = dir.join("nowhere");
    assert_one_line_error(&mlp(&["sample", "--checkpoint", missing.to_str().unwrap()]), "nowhere");
}

/// Without `--seed`, `sample` continues the random stream where training left it: the names the run
/// itself printed.
#[test]
fn sample_prints_the_runs_own_samples() {
    let dir = temp_dir("own");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = out.to_str().unwrap();
    let trained = mlp(&["--data", &data, "--steps", "200", "--batchnorm", "--out", run]);
    assert_success(&trained);
    let stdout = String::from_utf8(trained.stdout).unwrap();
    let own = &stdout[stdout.find("--- samples ---").expect("the run prints samples")..];
    assert_eq!(own.lines().filter(|l| l.starts_with("sample ")).count(), 20, "{own}");
    let sampled = mlp(&["sample", "--checkpoint", run]);
    assert_success(&sampled);
    assert_eq!(String::from_utf8(sampled.stdout).unwrap(), own);
}

#[test]
fn a_diverging_run_stops_with_one_line() {
    let dir = temp_dir("nan");
    let data = small_data(&dir);
    let output = mlp(&[
        "train",
        "--data",
        &data,
        "--steps",
        "50",
        "--learning-rate",
        "1e37",
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    assert_one_line_error(&output, "diverged");
}

#[test]
fn train_then_sample_from_the_checkpoint() {
    for variant in [&[][..], &["--batchnorm"], &["--wavenet", "--block-size", "4", "--n-hidden", "16"]] {
        let dir = temp_dir(&format!("roundtrip{}", variant.len()));
        let data = small_data(&dir);
        let out = dir.join("run");
        let run = out.to_str().unwrap();
        let mut args =
            vec!["train", "--data", &data, "--steps", "300", "--eval-interval", "100", "--out", run];
        args.extend_from_slice(variant);
        assert_success(&mlp(&args));
        for file in ["config.json", "model.safetensors", "log.jsonl"] {
            assert!(out.join(file).exists(), "{file} was not written");
        }
        let log = harness::read_run_log(&out.join("log.jsonl")).unwrap();
        let last = log.last().unwrap();
        assert_eq!((last.stage.as_str(), last.step, last.tokens_seen), ("mlp", 300, 300 * 32));
        assert_eq!(log.iter().filter(|r| r.val_loss.is_some()).count(), 3);
        assert!(last.val_loss.is_some_and(|v| v.is_finite()), "{last:?}");

        let sample = |seed: &str| {
            let output = mlp(&["sample", "--checkpoint", run, "--seed", seed, "--num-samples", "5"]);
            assert_success(&output);
            String::from_utf8(output.stdout).unwrap()
        };
        let first = sample("7");
        assert_eq!(first.lines().filter(|l| l.starts_with("sample ")).count(), 5, "{first}");
        assert_eq!(first, sample("7"), "same seed, same samples");
        assert_ne!(first, sample("8"), "another seed, other samples");
    }
}

/// The tensor bytes of a safetensors file (after its JSON header, whose key order may vary).
fn tensor_bytes(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + header..].to_vec()
}

#[test]
fn the_same_seed_gives_the_same_output() {
    let dir = temp_dir("determinism");
    let data = small_data(&dir);
    let run = |name: &str, seed: &str| {
        let out = dir.join(name);
        let output =
            mlp(&["--data", &data, "--steps", "200", "--seed", seed, "--out", out.to_str().unwrap()]);
        assert_success(&output);
        (String::from_utf8(output.stdout).unwrap(), tensor_bytes(&out.join("model.safetensors")))
    };
    let a = run("a", "3");
    let b = run("b", "3");
    assert_eq!(a.0, b.0);
    assert!(a.1 == b.1, "same seed, same weights");
    assert!(a.1 != run("c", "4").1, "another seed, other weights");
}

#[test]
fn a_truncated_checkpoint_is_one_line() {
    let dir = temp_dir("truncated");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = out.to_str().unwrap();
    assert_success(&mlp(&["train", "--data", &data, "--steps", "3", "--out", run]));
    let weights = out.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(&mlp(&["sample", "--checkpoint", run]), run);
}

#[test]
fn a_checkpoint_of_another_stage_is_refused() {
    let out = temp_dir("foreign");
    std::fs::write(out.join("config.json"), "{\"hello\": 1}").unwrap();
    assert_one_line_error(&mlp(&["sample", "--checkpoint", out.to_str().unwrap()]), "config.json");
    let output = mlp(&["train", "--steps", "2", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&output, "config.json");
    assert_eq!(std::fs::read_to_string(out.join("config.json")).unwrap(), "{\"hello\": 1}");
}

#[test]
fn lr_find_and_figures_are_drawn() {
    let dir = temp_dir("figures");
    let data = small_data(&dir);
    let stem = dir.join("lr");
    assert_success(&mlp(&["lr-find", "--data", &data, "--steps", "50", "--figure", stem.to_str().unwrap()]));
    assert!(dir.join("lr.png").exists() && dir.join("lr.svg").exists());

    let run = dir.join("run");
    let args = ["train", "--data", &data, "--steps", "2000", "--n-embd", "2", "--out", run.to_str().unwrap()];
    assert_success(&mlp(&args));
    let figs = dir.join("figs");
    let output = mlp(&[
        "figures",
        "--checkpoint",
        run.to_str().unwrap(),
        "--data",
        &data,
        "--out-dir",
        figs.to_str().unwrap(),
    ]);
    assert_success(&output);
    for name in ["loss", "embedding", "activations", "activations-init"] {
        assert!(figs.join(format!("mlp-{name}.png")).exists(), "mlp-{name}.png");
    }
    let svg = std::fs::read_to_string(figs.join("mlp-activations-init.svg")).unwrap();
    assert!(svg.contains("saturated"), "the saturation is in the legend");
}
