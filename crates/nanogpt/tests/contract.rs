//! The stage contract: bad input gets one clear line and exit code 1; a checkpoint round-trips; the
//! same seed gives the same run; training resumes.

use std::path::Path;
use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, assert_usage_error, temp_dir};

/// A tiny model, so that each run takes a moment.
const TINY: [&str; 10] =
    ["--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--eval-iters", "2", "--batch-size", "8"];

fn nanogpt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanogpt")).args(args).output().expect("the nanogpt binary runs")
}

fn train(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--out", dir.to_str().unwrap()];
    args.extend(TINY);
    args.extend(extra);
    nanogpt(&args)
}

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_missing_data_file_is_one_line() {
    let out = temp_dir("missing");
    assert_one_line_error(&train(&out, &["--data", "/no/such/names.txt"]), "/no/such/names.txt");
    assert_one_line_error(&train(&out, &["--text", "/no/such/input.txt"]), "/no/such/input.txt");
}

#[test]
fn empty_and_non_utf8_files_are_one_line() {
    let dir = temp_dir("bad-data");
    let (empty, latin1) = (dir.join("empty.txt"), dir.join("latin1.txt"));
    std::fs::write(&empty, "\n  \n").unwrap();
    std::fs::write(&latin1, b"emma\nzo\xeb\n").unwrap();
    let run = dir.join("run");
    assert_one_line_error(&train(&run, &["--data", empty.to_str().unwrap()]), "empty.txt");
    assert_one_line_error(&train(&run, &["--text", empty.to_str().unwrap()]), "empty");
    assert_one_line_error(&train(&run, &["--data", latin1.to_str().unwrap()]), "line 2");
    assert_one_line_error(&train(&run, &["--text", latin1.to_str().unwrap()]), "UTF-8");
    // A text too short for one window of the block size.
    let short = dir.join("short.txt");
    std::fs::write(&short, "to be or not to be").unwrap();
    assert_one_line_error(&train(&run, &["--text", short.to_str().unwrap()]), "too few");
}

#[test]
fn impossible_hyperparameters_are_one_line() {
    let out = temp_dir("hyper");
    let out = out.to_str().unwrap();
    let run = |args: &[&str]| nanogpt(&[&["train", "--out", out], args].concat());
    assert_one_line_error(&run(&["--n-embd", "10", "--n-head", "4"]), "not divisible");
    for flag in
        ["--n-layer", "--n-head", "--n-embd", "--block-size", "--steps", "--batch-size", "--eval-interval"]
    {
        assert_one_line_error(&run(&[flag, "0"]), flag);
    }
    assert_one_line_error(&run(&["--dropout", "1"]), "--dropout");
    assert_one_line_error(&run(&["--learning-rate", "nan"]), "--learning-rate");
    assert_one_line_error(&run(&["--beta2", "1"]), "--beta2");
}

/// microGPT's architecture and size, which `--init-from` needs.
const MICROGPT: [&str; 10] = [
    "--variant",
    "microgpt",
    "--no-bias",
    "--untie-head",
    "--n-layer",
    "1",
    "--n-head",
    "4",
    "--n-embd",
    "16",
];

#[test]
fn init_from_a_microgpt_run_the_exact_val_loss_and_either_kernels() {
    let dir = temp_dir("init-from");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../microgpt/tests/fixtures/equivalence");
    let fixture = fixture.to_str().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.join(name);
        let args =
            [&["--steps", "4", "--eval-interval", "2", "--eval-iters", "0", "--batch-size", "4"][..], extra];
        let output = train(&out, &args.concat());
        assert_success(&output);
        harness::read_run_log(&out.join("log.jsonl")).unwrap()
    };
    // Evaluated before the first step, over every val name (`--eval-iters 0`), from microgpt's weights.
    let plain = run("plain", &[&MICROGPT[..], &["--init-from", fixture, "--kernels", "plain"]].concat());
    let fast = run("fast", &[&MICROGPT[..], &["--init-from", fixture]].concat());
    let steps: Vec<usize> = fast.iter().map(|r| r.step).collect();
    assert_eq!(steps, [0, 2, 4]);
    assert_eq!((fast[0].tokens_seen, fast[0].train_s), (0, Some(0.0)));
    for (p, f) in plain.iter().zip(&fast) {
        let (p, f) = (p.val_loss.unwrap(), f.val_loss.unwrap());
        assert!((p - f).abs() < 1e-5, "plain kernels {p}, fast {f}");
    }
    // Started elsewhere: the first evaluation differs.
    let fresh = run("fresh", &MICROGPT);
    assert!((fresh[0].val_loss.unwrap() - fast[0].val_loss.unwrap()).abs() > 1e-3);
    // The weights must fit: nanogpt's default architecture does not.
    assert_one_line_error(&train(&dir.join("wrong"), &["--init-from", fixture]), "microGPT's architecture");
    assert_one_line_error(
        &train(&dir.join("none"), &[&MICROGPT[..], &["--init-from", "/no/such/run"]].concat()),
        "/no/such/run",
    );
}

#[test]
fn usage_errors_are_clap_s() {
    assert_usage_error(&nanogpt(&["train", "--init-from", "x", "--resume"]), "--resume");
    assert_usage_error(&nanogpt(&["train", "--kernels", "quick"]), "quick");
    assert_usage_error(&nanogpt(&["train", "--no-such-flag"]), "--no-such-flag");
    assert_usage_error(&nanogpt(&["train", "--steps", "many"]), "--steps");
    assert_usage_error(&nanogpt(&["train", "--variant", "llama"]), "llama");
    // The microGPT switches are one variant now, not four flags.
    assert_usage_error(&nanogpt(&["train", "--norm", "rms-norm"]), "--norm");
}

#[test]
fn help_documents_every_flag() {
    let help = String::from_utf8(nanogpt(&["train", "--help"]).stdout).unwrap();
    for flag in
        ["--data", "--text", "--out", "--resume", "--variant", "--eval-interval", "--learning-rate", "--seed"]
    {
        assert!(help.contains(flag), "{flag} is not in --help");
    }
    let help = String::from_utf8(nanogpt(&["sample", "--help"]).stdout).unwrap();
    for flag in
        ["--checkpoint", "--seed", "--temperature", "--top-k", "--prompt", "--max-new-tokens", "--kv-cache"]
    {
        assert!(help.contains(flag), "{flag} is not in sample --help");
    }
}

#[test]
fn a_diverging_run_stops_with_one_line() {
    let out = temp_dir("nan");
    let output = train(&out, &["--steps", "50", "--learning-rate", "1e30", "--warmup-steps", "0"]);
    assert_one_line_error(&output, "diverged");
}

#[test]
fn train_then_sample_from_the_checkpoint() {
    let out = temp_dir("roundtrip");
    let dir = out.to_str().unwrap();
    assert_success(&train(&out, &["--steps", "40", "--eval-interval", "20"]));
    for file in ["config.json", "model.safetensors", "log.jsonl"] {
        assert!(out.join(file).exists(), "{file} was not written");
    }
    let log = harness::read_run_log(&out.join("log.jsonl")).unwrap();
    assert_eq!(log.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 20, 40], "an evaluation before step 1");
    let last = log.last().unwrap();
    assert!(last.val_loss.is_some_and(|v| v < 27f64.ln()), "{log:?}");
    assert!(last.tokens_seen > 40 * 8, "{last:?}");
    // Names are ASCII, a byte per prediction: bits per byte is about the loss in bits (the estimate
    // weighs its batches by their predictions, the val loss averages the batches' means).
    let (val, bpb) = (last.val_loss.unwrap(), last.val_bpb.expect("nanogpt logs bits per byte"));
    assert!((bpb - val / std::f64::consts::LN_2).abs() < 0.05, "{last:?}");

    let sample = |seed: &str, extra: &[&str]| {
        let output = nanogpt(
            &[&["sample", "--checkpoint", dir, "--seed", seed, "--num-samples", "5"], extra].concat(),
        );
        assert_success(&output);
        let stdout = String::from_utf8(output.stdout).unwrap();
        let names = stdout.lines().filter_map(|l| l.split_once(": ")).map(|(_, name)| name.to_owned());
        names.collect::<Vec<_>>()
    };
    let first = sample("7", &[]);
    assert_eq!(first.len(), 5, "{first:?}");
    assert_eq!(first, sample("7", &[]), "same seed, same samples");
    assert_ne!(first, sample("8", &[]), "another seed, other samples");
    assert_eq!(first, sample("7", &["--kv-cache", "false"]), "the KV cache changes the speed, not the names");
    // A prompt starts every name; top-k 1 is greedy, so every sample is the same.
    let prompted = sample("7", &["--prompt", "ma", "--top-k", "1"]);
    assert!(prompted.iter().all(|l| l.starts_with("ma")), "{prompted:?}");
    assert!(prompted.iter().all(|l| *l == prompted[0]), "{prompted:?}");
    // Without --seed, `sample` prints the samples the run itself printed (the saved stream).
    let own = nanogpt(
        &[&["--out", dir, "--num-samples", "3", "--steps", "40", "--eval-interval", "20"][..], &TINY]
            .concat(),
    );
    assert_success(&own);
    let again = nanogpt(&["sample", "--checkpoint", dir, "--num-samples", "3"]);
    assert_success(&again);
    let tail = |o: &Output| {
        String::from_utf8_lossy(&o.stdout).lines().rev().take(4).map(String::from).collect::<Vec<_>>()
    };
    assert_eq!(tail(&own), tail(&again));
    assert_one_line_error(&nanogpt(&["sample", "--checkpoint", dir, "--temperature", "0"]), "--temperature");
    // A character the model has never seen is one line.
    let output = nanogpt(&["sample", "--checkpoint", dir, "--prompt", "Zoë"]);
    assert_one_line_error(&output, "unknown character");
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let (a, b) = (temp_dir("seed-a"), temp_dir("seed-b"));
    let run = |dir: &Path| {
        let output = train(dir, &["--steps", "20", "--eval-interval", "10", "--dropout", "0.1"]);
        assert_success(&output);
        String::from_utf8(output.stdout).unwrap()
    };
    let (out_a, out_b) = (run(&a), run(&b));
    let losses = |s: &str| s.lines().filter(|l| l.starts_with("step")).map(String::from).collect::<Vec<_>>();
    assert_eq!(losses(&out_a), losses(&out_b));
    // The weights, bit for bit. (Not the files' bytes: safetensors writes its metadata map in hash
    // order, which differs from process to process.)
    let weights =
        |dir: &Path| harness::checkpoint::load::<serde_json::Value>(dir, "nanogpt").unwrap().tensors;
    assert_eq!(weights(&a), weights(&b));
    let other = temp_dir("seed-c");
    assert_success(&train(
        &other,
        &["--steps", "20", "--eval-interval", "10", "--dropout", "0.1", "--seed", "7"],
    ));
    assert_ne!(weights(&a), weights(&other));
}

#[test]
fn training_resumes_from_the_checkpoint() {
    let out = temp_dir("resume");
    assert_success(&train(&out, &["--steps", "20", "--eval-interval", "10"]));
    let before = harness::read_run_log(&out.join("log.jsonl")).unwrap();
    assert_one_line_error(&train(&out, &["--steps", "20", "--resume"]), "--steps");
    let output = train(&out, &["--steps", "40", "--eval-interval", "10", "--resume"]);
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("resuming at step 20"));
    let log = harness::read_run_log(&out.join("log.jsonl")).unwrap();
    // (A resumed run does not evaluate before its first step: step 0 is the first run's.)
    assert_eq!(log.iter().map(|r| r.step).collect::<Vec<_>>(), [0, 10, 20, 30, 40]);
    assert_eq!(log[..3], before[..3], "the records up to the checkpoint are kept");
    assert!(log[4].tokens_seen > log[2].tokens_seen && log[4].elapsed_s > log[2].elapsed_s);
    assert!(log[3].train_s > log[2].train_s, "training seconds go on from the first run's: {log:?}");
    let (dt, de) = (log[4].train_s.unwrap() - log[2].train_s.unwrap(), log[4].elapsed_s - log[2].elapsed_s);
    assert!(dt <= de, "trained {dt} s of the {de} s that passed");
    // Other model flags than the checkpoint's are refused.
    assert_one_line_error(&train(&out, &["--steps", "60", "--resume", "--n-embd", "32"]), "model flags");
    // Resuming a checkpoint with other data is refused.
    let dir = temp_dir("resume-other");
    let other = dir.join("other.txt");
    std::fs::write(&other, "abc\nabd\nbcd\ncab\n".repeat(20)).unwrap();
    let output = train(&out, &["--steps", "60", "--resume", "--data", other.to_str().unwrap()]);
    assert_one_line_error(&output, "vocabulary");
}

#[test]
fn resuming_continues_bit_for_bit() {
    // Training 40 steps straight through, and training 20, then resuming to 40, must give the same
    // checkpoint (weights and AdamW's moments) and the same losses, bit for bit: the checkpoint holds
    // the optimizer state, and each step's batch depends on the seed and step alone. The warmup is
    // longer than the run, so the learning rate of a step does not depend on --steps either.
    let flags =
        ["--eval-interval", "20", "--warmup-steps", "100", "--learning-rate", "0.01", "--dropout", "0.1"];
    let (straight, split) = (temp_dir("straight"), temp_dir("split"));
    assert_success(&train(&straight, &[&flags[..], &["--steps", "40"]].concat()));
    assert_success(&train(&split, &[&flags[..], &["--steps", "20"]].concat()));
    let output = train(&split, &[&flags[..], &["--steps", "40", "--resume"]].concat());
    assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("resuming at step 20") && stdout.contains("moments and step count"), "{stdout}");
    let ckpt =
        |dir: &Path| harness::checkpoint::load::<serde_json::Value>(&dir.join("resume"), "nanogpt").unwrap();
    let (a, b) = (ckpt(&straight), ckpt(&split));
    assert!(a.tensors.keys().any(|n| n.starts_with("adamw.m.")), "the training state holds the moments");
    assert_eq!(a.config["step"], 40);
    assert_eq!(a.config["adamw_steps"], 40);
    assert_eq!(a.tensors.keys().collect::<Vec<_>>(), b.tensors.keys().collect::<Vec<_>>());
    for (name, tensor) in &a.tensors {
        assert!(b.tensors[name] == *tensor, "`{name}` differs after resuming");
    }
    // The checkpoint `sample` reads: the same weights.
    let weights =
        |dir: &Path| harness::checkpoint::load::<serde_json::Value>(dir, "nanogpt").unwrap().tensors;
    assert_eq!(weights(&straight), weights(&split));
    let losses = |dir: &Path| {
        let log = harness::read_run_log(&dir.join("log.jsonl")).unwrap();
        log.iter().map(|r| (r.step, r.train_loss, r.val_loss)).collect::<Vec<_>>()
    };
    assert_eq!(losses(&straight), losses(&split));
}

#[test]
fn a_truncated_checkpoint_is_one_line() {
    let out = temp_dir("truncated");
    let dir = out.to_str().unwrap();
    assert_success(&train(&out, &["--steps", "3"]));
    let weights = out.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(&nanogpt(&["sample", "--checkpoint", dir]), dir);
    assert_one_line_error(&nanogpt(&["sample", "--checkpoint", "/no/such/run"]), "/no/such/run");
}

#[test]
fn a_checkpoint_of_another_stage_is_refused() {
    let out = temp_dir("foreign");
    std::fs::write(out.join("config.json"), "{\"hello\": 1}").unwrap();
    assert_one_line_error(&nanogpt(&["sample", "--checkpoint", out.to_str().unwrap()]), "config.json");
    // And training there does not overwrite a file that is not ours.
    assert_one_line_error(&train(&out, &["--steps", "2"]), "config.json");
    assert_eq!(std::fs::read_to_string(out.join("config.json")).unwrap(), "{\"hello\": 1}");
}

#[test]
fn text_mode_trains_and_continues_a_prompt() {
    let dir = temp_dir("text");
    let text = dir.join("input.txt");
    let verse = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n";
    std::fs::write(&text, verse.repeat(30)).unwrap();
    let out = dir.join("run");
    assert_success(&train(&out, &["--text", text.to_str().unwrap(), "--steps", "30", "--block-size", "32"]));
    let output = nanogpt(&[
        "sample",
        "--checkpoint",
        out.to_str().unwrap(),
        "--prompt",
        "Speak",
        "--max-new-tokens",
        "40",
        "--num-samples",
        "2",
    ]);
    assert_success(&output);
    let samples = String::from_utf8(output.stdout).unwrap();
    assert!(samples.starts_with("Speak"), "{samples}");
    assert_eq!(samples.split("---------------\n").count(), 2, "{samples}");
    let lengths: Vec<usize> =
        samples.split("---------------\n").map(|s| s.strip_suffix('\n').unwrap().chars().count()).collect();
    assert_eq!(lengths, [5 + 40, 5 + 40], "{samples}");
    // 45 characters outgrow --block-size 32: the cache, then the cropped window, as recomputing gives.
    let recomputed = nanogpt(&[
        "sample",
        "--checkpoint",
        out.to_str().unwrap(),
        "--prompt",
        "Speak",
        "--max-new-tokens",
        "40",
        "--num-samples",
        "2",
        "--kv-cache",
        "false",
    ]);
    assert_eq!(String::from_utf8(recomputed.stdout).unwrap(), samples);
}
