//! The stage contract: bad input gets one clear line and exit code 1; a checkpoint round-trips; the same
//! seed gives the same output.

use std::process::{Command, Output};

use harness::testdata::{assert_one_line_error, temp_dir};

fn bigram(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bigram")).args(args).output().expect("the bigram binary runs")
}

/// A small data file, so the binary runs in a blink.
fn small_data(dir: &std::path::Path) -> String {
    let data = dir.join("names.txt");
    std::fs::write(&data, "emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\nharper\nevelyn\n")
        .unwrap();
    data.to_str().unwrap().to_owned()
}

#[test]
fn a_missing_data_file_is_one_line() {
    let out = temp_dir("missing");
    let output = bigram(&["--data", "/no/such/names.txt", "--out", out.to_str().unwrap()]);
    assert_one_line_error(&output, "/no/such/names.txt");
    assert_one_line_error(&bigram(&["heatmap", "--data", "/no/such/names.txt"]), "/no/such/names.txt");
}

#[test]
fn an_empty_data_file_is_one_line() {
    let dir = temp_dir("empty");
    let data = dir.join("empty.txt");
    std::fs::write(&data, "\n  \n").unwrap();
    let output = bigram(&["--data", data.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_one_line_error(&output, "empty.txt");
}

#[test]
fn too_few_words_to_split_is_one_line() {
    let dir = temp_dir("few");
    let data = dir.join("five.txt");
    std::fs::write(&data, "emma\nolivia\nava\nisabella\nsophia\n").unwrap();
    let output = bigram(&["--data", data.to_str().unwrap(), "--out", dir.join("run").to_str().unwrap()]);
    assert_one_line_error(&output, "too few");
}

#[test]
fn impossible_hyperparameters_are_one_line() {
    let dir = temp_dir("hyper");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = |extra: &[&str]| {
        let mut args = vec!["--data", &data, "--out", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        bigram(&args)
    };
    assert_one_line_error(&run(&["--steps", "0"]), "--steps");
    assert_one_line_error(&run(&["--smoothing=-1"]), "--smoothing");
    assert_one_line_error(&run(&["--reg=-0.5"]), "--reg");
    assert_one_line_error(&run(&["--learning-rate", "NaN"]), "--learning-rate");
}

#[test]
fn train_then_sample_from_the_checkpoint() {
    let dir = temp_dir("roundtrip");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = out.to_str().unwrap();
    let trained = bigram(&["train", "--data", &data, "--steps", "30", "--eval-interval", "10", "--out", run]);
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    for file in ["config.json", "model.safetensors", "log.jsonl"] {
        assert!(out.join(file).exists(), "{file} was not written");
    }
    let log = harness::read_run_log(&out.join("log.jsonl")).unwrap();
    assert_eq!(log[0].stage, "bigram-counts");
    assert!(log[1..].iter().all(|r| r.stage == "bigram-neural"));
    let last = log.last().unwrap();
    assert_eq!(last.step, 30);
    assert!(last.val_loss.is_some_and(|v| v.is_finite()), "{last:?}");

    let sample = |seed: &str, model: &str| {
        let output =
            bigram(&["sample", "--checkpoint", run, "--seed", seed, "--num-samples", "5", "--model", model]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let first = sample("7", "counts");
    assert_eq!(first.lines().filter(|l| l.starts_with("sample ")).count(), 5, "{first}");
    assert_eq!(first, sample("7", "counts"), "same seed, same samples");
    assert_ne!(first, sample("8", "counts"), "another seed, other samples");
    assert_ne!(sample("7", "neural"), sample("7", "both"));
    // Both models side by side, each column the model's own samples (same seed), with a space between
    // them even after a name of 20 characters or more: a count bigram of 20 names draws long
    // names, and 300 samples are sure to hold one.
    let sample_n = |seed: &str, model: &str, n: &str| {
        let output =
            bigram(&["sample", "--checkpoint", run, "--seed", seed, "--num-samples", n, "--model", model]);
        String::from_utf8(output.stdout).unwrap()
    };
    let names = |model: &str| -> Vec<String> {
        let text = sample_n("1", model, "300");
        text.lines().filter_map(|l| l.split_once(": ")).map(|(_, name)| name.trim_end().to_owned()).collect()
    };
    let (counts, neural, both) = (names("counts"), names("neural"), sample_n("1", "both", "300"));
    assert!(counts.iter().any(|n| n.len() >= 20), "no long name in the first column to test with");
    let rows: Vec<&str> = both.lines().filter_map(|l| l.split_once(": ")).map(|(_, row)| row).collect();
    assert_eq!(rows.len(), 300, "{both}");
    for ((row, c), n) in rows.iter().zip(&counts).zip(&neural) {
        assert_eq!(*row, format!("{c:<19} {n}").trim_end(), "the two columns run together");
    }
}

/// The tensor bytes of a safetensors file (after its JSON header, whose key order may vary).
fn tensor_bytes(path: &std::path::Path) -> Vec<u8> {
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
            bigram(&["--data", &data, "--steps", "20", "--seed", seed, "--out", out.to_str().unwrap()]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
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
    assert!(bigram(&["train", "--data", &data, "--steps", "3", "--out", run]).status.success());
    let weights = out.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(&bigram(&["sample", "--checkpoint", run]), run);
}

#[test]
fn a_checkpoint_of_another_stage_is_refused() {
    let out = temp_dir("foreign");
    std::fs::write(out.join("config.json"), "{\"hello\": 1}").unwrap();
    assert_one_line_error(&bigram(&["sample", "--checkpoint", out.to_str().unwrap()]), "config.json");
}

#[test]
fn the_heatmap_is_written_as_png_and_svg() {
    let dir = temp_dir("heatmap");
    let data = small_data(&dir);
    let stem = dir.join("figs").join("heat");
    let output = bigram(&["heatmap", "--data", &data, "--figure", stem.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let png = std::fs::read(dir.join("figs").join("heat.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(dir.join("figs").join("heat.svg")).unwrap();
    // Every cell is labelled with its bigram and its count (27 × 27 cells): "a." (a name ending in a)
    // occurs 7 times in this file.
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    let a_end = texts.iter().position(|&t| t == "a.").expect("the cell a. is labelled");
    assert_eq!(texts[a_end..].iter().find(|t| t.parse::<u32>().is_ok()), Some(&"7"));
    assert!(texts.contains(&"em") && texts.contains(&".."), "cell labels missing");
}

#[test]
fn sample_without_a_seed_prints_the_runs_own_samples() {
    let dir = temp_dir("own-samples");
    let data = small_data(&dir);
    let out = dir.join("run");
    let run = out.to_str().unwrap();
    let whole = bigram(&["--data", &data, "--steps", "5", "--num-samples", "6", "--out", run]);
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    let samples = |stdout: &[u8]| {
        let text = String::from_utf8_lossy(stdout).into_owned();
        text[text.find("--- samples ---").expect("a samples section")..].to_owned()
    };
    let again = bigram(&["sample", "--checkpoint", run, "--num-samples", "6"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(samples(&whole.stdout), samples(&again.stdout));
}
