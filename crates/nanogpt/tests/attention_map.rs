//! The attention figure draws the model's own weights: each row a distribution over the past, and
//! applied to the values they give exactly what the model's fused attention op computes.

use autograd::TensorTape;
use harness::PyRandom;
use harness::testdata::{StageBin, assert_one_line_error, assert_unchanged, snapshot, temp_dir};
use nanogpt::attention_map::{attend, attention_weights};
use nanogpt::config::ModelConfig;
use nanogpt::model::Gpt;

#[test]
fn the_weights_are_causal_distributions_and_the_models_own() {
    let gpt2 = ModelConfig { n_layer: 2, vocab_size: 27, ..ModelConfig::default() };
    // A larger init than training's, so that the heads attend unevenly and a wrong map would show.
    for config in [gpt2, ModelConfig::microgpt(2, 16, 4, 16, 27)] {
        let model = Gpt::new(config, &mut PyRandom::new(5), 0.5);
        let idx = [26, 8, 18, 0, 1, 4, 11, 11, 0]; // BOS, then "isabella"
        let t = idx.len();
        let maps = attention_weights(&model, &idx);
        assert_eq!((maps.len(), maps[0].len()), (2, model.config.n_head));
        for head in maps.iter().flatten() {
            for (row, weights) in head.chunks_exact(t).enumerate() {
                let sum: f32 = weights.iter().sum();
                assert!((sum - 1.0).abs() < 1e-5, "row {row} sums to {sum}");
                assert!(weights[row + 1..].iter().all(|&w| w == 0.0), "row {row} sees the future");
            }
        }
        let uneven = maps[0][0][t * (t - 1)..].iter().fold(0f32, |m, &w| m.max(w));
        assert!(uneven > 2.0 / t as f32, "the last row is close to uniform: {uneven}");
        for (layer, heads) in maps.iter().enumerate() {
            let _scope = TensorTape::scope();
            let (ours, fused) = attend(&model, &idx, layer, heads);
            for (a, b) in ours.data().iter().zip(fused.data()) {
                assert!((a - b).abs() <= 1e-5 + 1e-5 * b.abs(), "layer {layer}: {a} vs the model's {b}");
            }
        }
    }
    TensorTape::clear();
}

#[test]
fn the_figure_is_drawn_and_bad_text_is_one_line() {
    let bin = StageBin::new(
        env!("CARGO_BIN_EXE_nanogpt"),
        &["--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--eval-iters", "2", "--batch-size", "8"],
    );
    let dir = temp_dir("attention-figure");
    let (_, run) = bin.trained(&dir, &[]);
    let (ckpt, stem) = (run.to_str().unwrap(), dir.join("att"));
    let output =
        bin.run(&["attention", "--checkpoint", ckpt, "--text", "emma", "--figure", stem.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.join("att.png").is_file() && dir.join("att.svg").is_file());
    std::fs::write(dir.join("photo.png"), "my photo").unwrap();
    let before = snapshot(&dir);
    let photo = dir.join("photo");
    let attention = |text: &str, stem: &str| {
        bin.run(&["attention", "--checkpoint", ckpt, "--text", text, "--figure", stem])
    };
    assert_one_line_error(&attention("emma", photo.to_str().unwrap()), "photo.png");
    assert_one_line_error(&attention("émma", stem.to_str().unwrap()), "é");
    assert_one_line_error(&attention("", stem.to_str().unwrap()), "--text");
    assert_one_line_error(&attention(&"a".repeat(40), stem.to_str().unwrap()), "at most 16");
    assert_unchanged(&dir, &before);
}
