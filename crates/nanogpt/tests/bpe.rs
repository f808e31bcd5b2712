//! Text mode on BPE tokens (`--tokenizer`): trains on the ids of a tokenizer the `tokenizer` crate
//! learned, keeps a copy of it in the run directory, decodes samples with it, and reports bits per byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, assert_usage_error, temp_dir};
use tokenizer::{Kind, Tokenizer, Trainer};

fn nanogpt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanogpt")).args(args).output().expect("the nanogpt binary runs")
}

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

const VERSE: &str =
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n";

/// A text in `dir` and a 300-token BPE learned from it (`dir/tok`).
fn text_and_tokenizer(dir: &Path) -> (PathBuf, PathBuf) {
    let text = VERSE.repeat(40);
    let file = dir.join("input.txt");
    std::fs::write(&file, &text).unwrap();
    let tok = Tokenizer::train(Kind::Regex, &text, 300, Trainer::Fast).unwrap();
    tokenizer::files::save(&dir.join("tok"), &tok).unwrap();
    (file, dir.join("tok"))
}

fn train(out: &Path, text: &Path, tok: &Path, extra: &[&str]) -> Output {
    let (out, text, tok) = (out.to_str().unwrap(), text.to_str().unwrap(), tok.to_str().unwrap());
    let args = ["train", "--out", out, "--text", text, "--tokenizer", tok, "--block-size", "16"];
    let tiny = ["--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--steps", "30", "--eval-iters", "2"];
    nanogpt(&[&args[..], &tiny, extra].concat())
}

#[test]
fn a_run_on_bpe_tokens_samples_text_and_reports_bits_per_byte() {
    let dir = temp_dir("bpe-run");
    let (text, tok) = text_and_tokenizer(&dir);
    let out = dir.join("run");
    let output = train(&out, &text, &tok, &[]);
    assert_success(&output);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("vocab size 300,"), "{stdout}");
    assert!(stdout.contains("bits/byte"), "{stdout}");
    // The run keeps its tokenizer: the checkpoint samples after --tokenizer's directory is gone.
    assert!(out.join("tokenizer.model").is_file());
    std::fs::remove_dir_all(&tok).unwrap();
    let log = harness::read_run_log(&out.join("log.jsonl")).unwrap();
    let last = log.last().unwrap();
    let (loss, bpb) = (last.val_loss.unwrap(), last.val_bpb.unwrap());
    // A token stands for several bytes, so a bit per byte is less than a bit per token.
    assert!(bpb > 0.0 && bpb < 0.8 * loss / std::f64::consts::LN_2, "{last:?}");

    let run = out.to_str().unwrap();
    let sample = |extra: &[&str]| {
        let args = ["sample", "--checkpoint", run, "--seed", "3", "--prompt", "Speak", "--num-samples", "2"];
        let output = nanogpt(&[&args[..], &["--max-new-tokens", "40"], extra].concat());
        assert_success(&output);
        String::from_utf8(output.stdout).unwrap()
    };
    let samples = sample(&[]);
    assert!(samples.starts_with("Speak"), "{samples}");
    let lengths: Vec<usize> = samples.split("---------------\n").map(|s| s.len()).collect();
    assert_eq!(lengths.len(), 2, "{samples}");
    // 40 tokens after the prompt, each at least a byte: longer than 40 characters of text.
    assert!(lengths.iter().all(|&n| n > 5 + 40), "{samples}");
    assert_eq!(samples, sample(&["--kv-cache", "false"]), "the KV cache changes the speed only");

    // Without its copy of the tokenizer, the checkpoint cannot decode: one line, not garbage.
    std::fs::remove_file(out.join("tokenizer.model")).unwrap();
    assert_one_line_error(&nanogpt(&["sample", "--checkpoint", run]), "tokenizer");
}

#[test]
fn bad_tokenizer_flags_are_one_line() {
    let dir = temp_dir("bpe-hostile");
    let (text, tok) = text_and_tokenizer(&dir);
    let out = dir.join("run");
    // Names are characters: --tokenizer needs --text.
    let names_with_bpe =
        nanogpt(&["train", "--out", out.to_str().unwrap(), "--tokenizer", tok.to_str().unwrap()]);
    assert_usage_error(&names_with_bpe, "--text");
    assert_one_line_error(&train(&out, &text, Path::new("/no/such/tok"), &[]), "/no/such/tok");
    let not_a_model = dir.join("not-a-model");
    std::fs::write(&not_a_model, "hello\n").unwrap();
    assert_one_line_error(&train(&out, &text, &not_a_model, &[]), "not-a-model");
    // A file of the user's where the run would keep its tokenizer is refused before any training.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("tokenizer.model"), "my notes").unwrap();
    assert_one_line_error(&train(&out, &text, &tok, &[]), "refusing to overwrite");
    assert_eq!(std::fs::read_to_string(out.join("tokenizer.model")).unwrap(), "my notes");
    assert!(!out.join("model.safetensors").exists());
}
