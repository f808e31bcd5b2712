//! The `tokenizer` binary: train, encode and decode round trip; every bad input is one line and exit
//! code 1; nothing that is not ours is overwritten.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::assert_one_line_error;

fn tokenizer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tokenizer"))
}

fn run(args: &[&str]) -> Output {
    tokenizer().args(args).output().unwrap()
}

fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = tokenizer()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A directory with a training text and a trained model of `kind` in `model/`.
fn trained(name: &str, kind: &str) -> (PathBuf, PathBuf) {
    let dir = common::temp_dir(name);
    let input = dir.join("input.txt");
    std::fs::write(&input, common::shakespeare_chars(20_000)).unwrap();
    let model = dir.join("model");
    let out =
        run(&["train", "--kind", kind, "--vocab-size", "300", "--input", s(&input), "--out", s(&model)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (dir, model)
}

#[test]
fn train_encode_decode_round_trip() {
    for kind in ["basic", "regex"] {
        let (dir, model) = trained(&format!("round-trip-{kind}"), kind);
        for f in ["tokenizer.model", "tokenizer.vocab", "tokenizer.tiktoken"] {
            assert!(model.join(f).is_file(), "{f}");
        }
        let input = dir.join("input.txt");
        let ids = run(&["encode", "--model", s(&model), s(&input)]);
        assert!(ids.status.success());
        let line = String::from_utf8(ids.stdout.clone()).unwrap();
        assert!(
            line.ends_with('\n') && line.split_whitespace().all(|t| t.parse::<u32>().is_ok_and(|i| i < 300))
        );
        // Fewer ids than bytes: the merges compress.
        assert!(line.split_whitespace().count() < 20_000 * 3 / 4, "{kind}");
        let back = run_stdin(&["decode", "--model", s(&model)], &ids.stdout);
        assert!(back.status.success());
        assert_eq!(back.stdout, std::fs::read(&input).unwrap());
        // stdin and a file give the same ids; a .model file works as --model too.
        let from_stdin = run_stdin(
            &["encode", "--model", s(&model.join("tokenizer.model"))],
            &std::fs::read(&input).unwrap(),
        );
        assert_eq!(from_stdin.stdout, ids.stdout);
    }
}

#[test]
fn basic_takes_any_bytes() {
    let dir = common::temp_dir("any-bytes");
    let input = dir.join("input.bin");
    let bytes = common::lcg_bytes(11, 5000, &[0x00, 0xff, 0xfe, b'a', 0x80]);
    std::fs::write(&input, &bytes).unwrap();
    let model = dir.join("model");
    let out =
        run(&["train", "--kind", "basic", "--vocab-size", "270", "--input", s(&input), "--out", s(&model)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ids = run(&["encode", "--model", s(&model), s(&input)]);
    assert!(ids.status.success());
    assert_eq!(run_stdin(&["decode", "--model", s(&model)], &ids.stdout).stdout, bytes);
}

#[test]
fn special_tokens_are_registered_and_follow_allowed_special() {
    let dir = common::temp_dir("special");
    let input = dir.join("input.txt");
    std::fs::write(&input, common::shakespeare_chars(5_000)).unwrap();
    let model = dir.join("model");
    let out = run(&[
        "train",
        "--kind",
        "regex",
        "--vocab-size",
        "280",
        "--input",
        s(&input),
        "--out",
        s(&model),
        "--special",
        "<|endoftext|>",
    ]);
    assert!(out.status.success());
    let text = b"the end<|endoftext|>";
    let all = run_stdin(&["encode", "--model", s(&model), "--allowed-special", "all"], text);
    assert!(String::from_utf8(all.stdout.clone()).unwrap().trim_end().ends_with(" 280"));
    assert_eq!(run_stdin(&["decode", "--model", s(&model)], &all.stdout).stdout, text);
    let none = run_stdin(&["encode", "--model", s(&model), "--allowed-special", "none"], text);
    assert!(none.status.success() && !String::from_utf8(none.stdout).unwrap().contains("280"));
    assert_one_line_error(
        &run_stdin(&["encode", "--model", s(&model)], text),
        "special token \"<|endoftext|>\"",
    );
}

#[test]
fn bad_vocabulary_sizes_and_texts() {
    let (dir, _) = trained("bad-train", "basic");
    let input = dir.join("input.txt");
    let out = dir.join("out");
    let train = |vocab: &str, input: &Path, kind: &str| {
        run(&["train", "--kind", kind, "--vocab-size", vocab, "--input", s(input), "--out", s(&out)])
    };
    assert_one_line_error(&train("255", &input, "basic"), "below 256");
    assert_one_line_error(&train("100000000000", &input, "regex"), "absurd");
    let tiny = dir.join("tiny.txt");
    std::fs::write(&tiny, "abcabc").unwrap();
    assert_one_line_error(&train("400", &tiny, "basic"), "too few pairs");
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    assert_one_line_error(&train("300", &empty, "regex"), "empty");
    assert_one_line_error(&train("300", &dir.join("missing.txt"), "regex"), "cannot read");
    let latin1 = dir.join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9 caf\xe9 caf\xe9").unwrap();
    assert_one_line_error(&train("258", &latin1, "regex"), "not valid UTF-8");
    assert!(!out.exists(), "nothing is written when training fails");
}

#[test]
fn missing_corrupt_and_foreign_models() {
    let (dir, model) = trained("bad-model", "regex");
    let input = dir.join("input.txt");
    let encode = |model: &Path| run(&["encode", "--model", s(model), s(&input)]);
    assert_one_line_error(&encode(&dir.join("nowhere")), "cannot read");
    let empty_dir = dir.join("empty-dir");
    std::fs::create_dir(&empty_dir).unwrap();
    assert_one_line_error(&encode(&empty_dir), "cannot read");
    let foreign = dir.join("foreign.model");
    std::fs::write(&foreign, "{\"model\": {\"type\": \"BPE\"}}\n").unwrap();
    assert_one_line_error(&encode(&foreign), "not a minbpe model file");
    let binary = dir.join("binary.model");
    std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0xff, 0x00]).unwrap();
    assert_one_line_error(&encode(&binary), "not UTF-8");
    let good = std::fs::read_to_string(model.join("tokenizer.model")).unwrap();
    let corrupt = dir.join("corrupt.model");
    std::fs::write(&corrupt, format!("{good}104 x\n")).unwrap();
    assert_one_line_error(
        &encode(&corrupt),
        "corrupt model file, line 48: a merge line is not two token ids",
    );
    std::fs::write(&corrupt, format!("{good}9999 104\n")).unwrap();
    assert_one_line_error(&encode(&corrupt), "merge 45 (9999 104) uses a token not made yet");
    let truncated = dir.join("truncated.model");
    std::fs::write(&truncated, &good[..good.len() - 2]).unwrap(); // ends in "N\n" -> "N" cut mid-line
    let out = encode(&truncated);
    // Cutting a merge line's last digit leaves a valid, shorter model or a corrupt one: never a panic.
    assert!(out.status.success() || out.status.code() == Some(1));
}

#[test]
fn bad_ids_and_bad_text() {
    let (dir, model) = trained("bad-ids", "regex");
    let decode = |ids: &[u8]| run_stdin(&["decode", "--model", s(&model)], ids);
    assert_one_line_error(&decode(b"104 300 1"), "token id 300 is not in the vocabulary");
    assert_one_line_error(&decode(b"104 99999999999"), "is not a token id");
    assert_one_line_error(&decode(b"104 -1"), "is not a token id");
    assert_one_line_error(&decode(b"104, 105"), "is not a token id");
    assert_one_line_error(&decode(b"104 \xff"), "not UTF-8");
    assert!(decode(b"").status.success());
    assert_one_line_error(
        &run(&["decode", "--model", s(&model), s(&dir.join("no-such-ids.txt"))]),
        "cannot read",
    );
    let encode = run_stdin(&["encode", "--model", s(&model)], b"caf\xe9");
    assert_one_line_error(&encode, "not valid UTF-8");
}

#[test]
fn files_that_are_not_ours_are_never_overwritten() {
    let (dir, model) = trained("overwrite", "basic");
    let input = dir.join("input.txt");
    let train = |out: &Path| {
        run(&["train", "--kind", "regex", "--vocab-size", "290", "--input", s(&input), "--out", s(out)])
    };
    // Our own files are replaced by a new run.
    assert!(train(&model).status.success());
    assert!(
        std::fs::read_to_string(model.join("tokenizer.model"))
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .contains("\\p{L}")
    );
    // Anything else is refused, and left as it was.
    for name in ["tokenizer.model", "tokenizer.vocab", "tokenizer.tiktoken"] {
        let out = dir.join(format!("mine-{name}"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(name), "my notes\n").unwrap();
        assert_one_line_error(&train(&out), "refusing to overwrite");
        assert_eq!(std::fs::read_to_string(out.join(name)).unwrap(), "my notes\n");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "nothing else was written");
    }
    let in_the_way = dir.join("dir-in-the-way");
    std::fs::create_dir_all(in_the_way.join("tokenizer.model")).unwrap();
    assert_one_line_error(&train(&in_the_way), "a directory is in the way");
}

#[test]
fn endless_inputs_and_a_full_disk_are_one_line() {
    let (dir, model) = trained("endless", "regex");
    let link = dir.join("model-link");
    std::fs::create_dir(&link).unwrap();
    std::os::unix::fs::symlink("/dev/zero", link.join("tokenizer.model")).unwrap();
    // /dev/zero reports a length of 0 and never ends: each read stops one byte past its cap.
    assert_one_line_error(&run(&["encode", "--model", s(&model), "/dev/zero"]), "larger than 1 GiB");
    assert_one_line_error(&run(&["decode", "--model", s(&model), "/dev/zero"]), "larger than 1 GiB");
    assert_one_line_error(&run(&["encode", "--model", s(&link), s(&dir.join("input.txt"))]), "too large");
    for (command, input) in [("encode", "hello"), ("decode", "104 101")] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let mut child = tokenizer()
            .args([command, "--model", s(&model)])
            .stdin(Stdio::piped())
            .stdout(Stdio::from(full))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        assert_one_line_error(&child.wait_with_output().unwrap(), "No space left on device");
    }
}
