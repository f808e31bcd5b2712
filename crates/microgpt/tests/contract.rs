//! The stage contract: usage errors are clap's (exit code 2); other bad input gets one clear line and
//! exit code 1; a checkpoint round-trips; the same seed gives the same output.

use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, assert_usage_error, temp_dir};

fn microgpt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microgpt")).args(args).output().expect("the microgpt binary runs")
}

#[test]
fn a_missing_data_file_is_one_line() {
    let out = temp_dir("missing");
    let output = microgpt(&["--data", "/no/such/names.txt", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&output, "/no/such/names.txt");
}

#[test]
fn an_empty_data_file_is_one_line() {
    let dir = temp_dir("empty");
    let data = dir.join("empty.txt");
    std::fs::write(&data, "\n  \n").unwrap();
    let output = microgpt(&["--data", data.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_one_line_error(&output, "empty.txt");
}

#[test]
fn a_non_utf8_data_file_is_one_line() {
    let dir = temp_dir("latin1");
    let data = dir.join("latin1.txt");
    std::fs::write(&data, b"emma\nzo\xeb\n").unwrap();
    let output = microgpt(&["--data", data.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_one_line_error(&output, "line 2");
}

#[test]
fn impossible_hyperparameters_are_one_line() {
    let out = temp_dir("hyper");
    let out = out.to_str().unwrap();
    assert_one_line_error(&microgpt(&["--n-embd", "10", "--n-head", "4", "--out", out]), "not divisible");
    assert_one_line_error(&microgpt(&["--n-layer", "0", "--out", out]), "--n-layer");
    assert_one_line_error(&microgpt(&["--block-size", "0", "--out", out]), "--block-size");
    assert_one_line_error(&microgpt(&["--steps", "100000001", "--out", out]), "--steps");
    assert_one_line_error(&microgpt(&["--learning-rate", "-0.01", "--out", out]), "--learning-rate");
    assert_one_line_error(&microgpt(&["--beta2", "1", "--out", out]), "--beta2");
    assert_one_line_error(&microgpt(&["--init-std", "nan", "--out", out]), "--init-std");
}

#[test]
fn zero_steps_save_the_weights_as_initialised_and_the_kernels_do_not_change_a_bit() {
    let dir = temp_dir("zero-steps");
    let run = |args: &[&str], name: &str| {
        let out = dir.join(name);
        let output = microgpt(&[&["train", "--steps"], args, &["--out", out.to_str().unwrap()]].concat());
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let ckpt =
            harness::checkpoint::load::<harness::cli::Saved<microgpt::config::Config>>(&out, "microgpt")
                .unwrap();
        let log = std::fs::read_to_string(out.join("log.jsonl")).unwrap_or_default();
        (ckpt.tensors, String::from_utf8(output.stdout).unwrap(), log)
    };
    let (init, printed, _) = run(&["0"], "init");
    assert!(printed.contains("num params: 4192") && !printed.contains("step    1"), "{printed}");
    let (trained, ..) = run(&["1"], "one-step");
    assert_eq!(init.keys().collect::<Vec<_>>(), trained.keys().collect::<Vec<_>>());
    assert_ne!(init, trained, "one step changes the weights; zero steps keep the initial ones");
    // The same run on micrograd's unfused nodes, the plain fused ones and the fast ones: the same
    // checkpoint and the same printed losses, and an evaluation before the first step.
    let runs: Vec<_> = ["unfused", "plain", "fast"]
        .map(|k| run(&["30", "--eval-interval", "10", "--kernels", k], k))
        .into_iter()
        .collect();
    for (tensors, printed, log) in &runs {
        assert_eq!((tensors, printed), (&runs[2].0, &runs[2].1));
        assert!(log.starts_with("{\"stage\":\"microgpt\",\"step\":0,\"tokens_seen\":0,"), "{log}");
    }
}

#[test]
fn usage_errors_are_clap_s() {
    assert_usage_error(&microgpt(&["--no-such-flag"]), "--no-such-flag");
    assert_usage_error(&microgpt(&["train", "--steps", "many"]), "--steps");
    assert_usage_error(&microgpt(&["sample", "--seed", "-1"]), "--seed");
    assert_usage_error(&microgpt(&["train", "--eval-every", "10"]), "--eval-every");
}

#[test]
fn held_out_on_too_few_words_is_one_line() {
    let dir = temp_dir("few");
    let data = dir.join("few.txt");
    std::fs::write(&data, "ann\n").unwrap();
    let output = microgpt(&["--held-out", "--data", data.to_str().unwrap(), "--out", dir.to_str().unwrap()]);
    assert_one_line_error(&output, "--held-out");
}

#[test]
fn same_seed_same_output() {
    let out = temp_dir("determinism");
    let run = || {
        let output = microgpt(&["--steps", "20", "--num-samples", "5", "--out", out.to_str().unwrap()]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let first = run();
    assert!(first.contains("step   20 /   20 | loss ") && first.contains("sample  5: "), "{first}");
    assert_eq!(first, run());
}

#[test]
fn a_diverging_run_stops_with_one_line() {
    let out = temp_dir("nan");
    let output =
        microgpt(&["train", "--steps", "50", "--learning-rate", "1e30", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&output, "training diverged");
}

#[test]
fn train_then_sample_from_the_checkpoint() {
    let out = temp_dir("roundtrip");
    let dir = out.to_str().unwrap();
    let trained = microgpt(&["train", "--steps", "30", "--out", dir]);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    for file in ["config.json", "model.safetensors", "log.jsonl"] {
        assert!(out.join(file).exists(), "{file} was not written");
    }
    let log = harness::read_run_log(&out.join("log.jsonl")).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.step, 30);
    assert!(last.val_loss.is_some_and(|v| v.is_finite() && v < (27f64).ln()), "{last:?}");

    let sample = |seed: &str| {
        let output = microgpt(&["sample", "--checkpoint", dir, "--seed", seed, "--num-samples", "5"]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let first = sample("7");
    assert_eq!(first.lines().filter(|l| l.starts_with("sample ")).count(), 5, "{first}");
    assert_eq!(first, sample("7"), "same seed, same samples");
    assert_ne!(first, sample("8"), "another seed, other samples");

    // Without --seed, `sample` continues the run's own random stream: the names the whole run prints.
    let own = microgpt(&["sample", "--checkpoint", dir, "--num-samples", "5"]);
    assert!(own.status.success(), "{}", String::from_utf8_lossy(&own.stderr));
    let whole = temp_dir("roundtrip-whole");
    let whole = microgpt(&["--steps", "30", "--num-samples", "5", "--out", whole.to_str().unwrap()]);
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    let (own, whole) = (String::from_utf8(own.stdout).unwrap(), String::from_utf8(whole.stdout).unwrap());
    let samples = |s: &str| s[s.find("--- inference").unwrap()..].to_owned();
    assert_eq!(samples(&own), samples(&whole));
    assert_ne!(samples(&own), samples(&first));

    assert_one_line_error(&microgpt(&["sample", "--checkpoint", dir, "--temperature", "0"]), "--temperature");
}

#[test]
fn a_truncated_checkpoint_is_one_line() {
    let out = temp_dir("truncated");
    let dir = out.to_str().unwrap();
    assert!(microgpt(&["train", "--steps", "3", "--out", dir]).status.success());
    let weights = out.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(&microgpt(&["sample", "--checkpoint", dir]), dir);
}

#[test]
fn a_checkpoint_of_another_stage_is_refused() {
    let out = temp_dir("foreign");
    std::fs::write(out.join("config.json"), "{\"hello\": 1}").unwrap();
    assert_one_line_error(&microgpt(&["sample", "--checkpoint", out.to_str().unwrap()]), "config.json");
    // And training there does not overwrite a file that is not ours.
    let output = microgpt(&["train", "--steps", "2", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&output, "config.json");
    assert_eq!(std::fs::read_to_string(out.join("config.json")).unwrap(), "{\"hello\": 1}");
}
