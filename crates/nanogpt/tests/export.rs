//! `nanogpt export`: the weights under model.py's names and shapes, which PyTorch's nanoGPT (our copy of
//! model.py, tests/reference/nanogpt_model.py) turns into our logits; and the export's files never
//! replace anything but an earlier export.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use autograd::TensorTape;
use harness::testdata::{assert_one_line_error, temp_dir};
use nanogpt::model::Mode;

/// A small model, trained a little so that its weights are not the initialisation's; a wide initialisation
/// so that attention is far from uniform and GELU's inputs far from 0 (a mix-up of q and k, or GELU's
/// exact form for its tanh form, then shows in the logits).
const SMALL: [&str; 20] = [
    "--init-std",
    "0.5",
    "--warmup-steps",
    "5",
    "--n-layer",
    "2",
    "--n-embd",
    "16",
    "--n-head",
    "2",
    "--block-size",
    "8",
    "--eval-iters",
    "2",
    "--batch-size",
    "8",
    "--steps",
    "20",
    "--eval-interval",
    "20",
];

fn nanogpt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nanogpt")).args(args).output().expect("the nanogpt binary runs")
}

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

/// Trains a small model with `extra` flags into `dir/run`; returns the run directory.
fn trained(dir: &Path, extra: &[&str]) -> PathBuf {
    let run = dir.join("run");
    assert_success(&nanogpt(&[&["train", "--out", run.to_str().unwrap()], &SMALL[..], extra].concat()));
    run
}

fn export(run: &Path, out: &Path) -> Output {
    nanogpt(&["export", "--checkpoint", run.to_str().unwrap(), "--out", out.to_str().unwrap()])
}

#[test]
fn the_export_has_model_py_s_names_and_shapes() {
    for (extra, tied) in [(&[][..], true), (&["--no-bias", "--untie-head"][..], false)] {
        let dir = temp_dir(if tied { "export-names" } else { "export-names-untied" });
        let run = trained(&dir, extra);
        let out = dir.join("gpt.safetensors");
        assert_success(&export(&run, &out));
        let bytes = std::fs::read(&out).unwrap();
        let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
        names.sort();
        let (c, v) = (16, 27);
        let mut want = vec![
            ("transformer.wte.weight".to_string(), vec![v, c]),
            ("transformer.wpe.weight".into(), vec![8, c]),
            ("transformer.ln_f.weight".into(), vec![c]),
            ("lm_head.weight".into(), vec![v, c]),
        ];
        for i in 0..2 {
            let p = format!("transformer.h.{i}");
            want.extend([
                (format!("{p}.ln_1.weight"), vec![c]),
                (format!("{p}.attn.c_attn.weight"), vec![3 * c, c]), // nn.Linear: (out, in)
                (format!("{p}.attn.c_proj.weight"), vec![c, c]),
                (format!("{p}.ln_2.weight"), vec![c]),
                (format!("{p}.mlp.c_fc.weight"), vec![4 * c, c]),
                (format!("{p}.mlp.c_proj.weight"), vec![c, 4 * c]),
            ]);
            if tied {
                want.extend([
                    (format!("{p}.ln_1.bias"), vec![c]),
                    (format!("{p}.attn.c_attn.bias"), vec![3 * c]),
                    (format!("{p}.attn.c_proj.bias"), vec![c]),
                    (format!("{p}.ln_2.bias"), vec![c]),
                    (format!("{p}.mlp.c_fc.bias"), vec![4 * c]),
                    (format!("{p}.mlp.c_proj.bias"), vec![c]),
                ]);
            }
        }
        if tied {
            want.push(("transformer.ln_f.bias".into(), vec![c]));
        }
        want.sort();
        assert_eq!(names, want.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
        for (name, shape) in &want {
            assert_eq!(file.tensor(name).unwrap().shape(), shape.as_slice(), "{name}");
        }
        let (wte, head) =
            (file.tensor("transformer.wte.weight").unwrap(), file.tensor("lm_head.weight").unwrap());
        assert_eq!(wte.data() == head.data(), tied, "a tied head is wte; an untied one is its own");
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("gpt.json")).unwrap()).unwrap();
        assert_eq!(config["n_embd"], 16);
        assert_eq!(config["bias"], tied);
        assert_eq!(config["tie_head"], tied);
        assert_eq!(config["chars"], "abcdefghijklmnopqrstuvwxyz");
    }
}

/// The logits PyTorch's nanoGPT computes from the exported weights, (T, V) row by row.
fn torch_logits(weights: &Path, tokens: &[usize]) -> Vec<f32> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/nanogpt_model.py");
    let ids = tokens.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(",");
    let output = Command::new("python3")
        .arg(script)
        .arg(weights)
        .args(["--tokens", &ids])
        .output()
        .expect("python3 runs");
    assert_success(&output);
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().expect("a logit"))
        .collect()
}

#[test]
#[cfg_attr(not(has_torch), ignore = "needs a python3 that can import torch")]
fn pytorch_s_nanogpt_computes_our_logits_from_the_export() {
    let tokens = [26, 4, 12, 12, 0, 26, 25, 14]; // ".emma.zo", a full block of 8
    let names = harness::testdata::workspace_root().join("data").join("names.txt");
    for (extra, name) in [
        (&[][..], "export-torch"),
        (&["--no-bias", "--untie-head"][..], "export-torch-untied"),
        (&["--text", names.to_str().unwrap()][..], "export-torch-text"),
    ] {
        let dir = temp_dir(name);
        let run = trained(&dir, extra);
        let out = dir.join("gpt.safetensors");
        assert_success(&export(&run, &out));
        let (model, saved) = harness::cli::load::<nanogpt::Stage>(&run).unwrap();
        // The text's vocabulary has '\n' as well: its ids differ, the sequence is still valid.
        assert!(tokens.iter().all(|&t| t < saved.vocab.len()));
        let ours = {
            let _scope = TensorTape::scope();
            model.forward(&tokens, 1, tokens.len(), &mut Mode::Eval).data()
        };
        let theirs = torch_logits(&out, &tokens);
        assert_eq!(ours.len(), theirs.len(), "{name}: (T, V) logits");
        let spread = ours.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(spread > 0.1, "{name}: trained logits are not all near 0 ({spread})");
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{name}: logit {i}: ours {a}, PyTorch {b}");
        }
    }
}

#[test]
fn the_microgpt_variant_is_refused_in_one_line() {
    let dir = temp_dir("export-microgpt");
    let run = trained(&dir, &["--variant", "microgpt", "--no-bias", "--untie-head"]);
    let out = dir.join("gpt.safetensors");
    assert_one_line_error(&export(&run, &out), "--variant microgpt");
    assert!(!out.exists() && !dir.join("gpt.json").exists(), "nothing is written");
}

#[test]
fn an_export_replaces_only_an_earlier_export() {
    let dir = temp_dir("export-guard");
    let run = trained(&dir, &[]);
    let (weights, config) = (dir.join("gpt.safetensors"), dir.join("gpt.json"));
    // Not a .safetensors name; no checkpoint.
    assert_one_line_error(&export(&run, &dir.join("gpt.bin")), ".safetensors");
    assert_one_line_error(&export(&dir.join("nope"), &weights), "nope");
    // The user's own files, at either name, are refused, and the other is not written either.
    std::fs::write(&config, "my notes").unwrap();
    assert_one_line_error(&export(&run, &weights), "refusing to overwrite");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "my notes");
    assert!(!weights.exists());
    std::fs::remove_file(&config).unwrap();
    std::fs::write(&weights, "my weights").unwrap();
    assert_one_line_error(&export(&run, &weights), "refusing to overwrite");
    assert_eq!(std::fs::read_to_string(&weights).unwrap(), "my weights");
    assert!(!config.exists());
    std::fs::remove_file(&weights).unwrap();
    // A symlink is never written through.
    #[cfg(unix)]
    {
        let target = dir.join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, &weights).unwrap();
        assert_one_line_error(&export(&run, &weights), "symlink");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        std::fs::remove_file(&weights).unwrap();
    }
    // An earlier export is replaced, with the same bytes.
    assert_success(&export(&run, &weights));
    let first = (std::fs::read(&weights).unwrap(), std::fs::read(&config).unwrap());
    let again = export(&run, &weights);
    assert_success(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("replacing"));
    assert_eq!(first, (std::fs::read(&weights).unwrap(), std::fs::read(&config).unwrap()));
}
