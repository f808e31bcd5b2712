//! The model's own properties: shapes, parameter counts, the loss at initialisation, causality, and
//! that a short training run learns what only a model with context can.

use autograd::TensorTape;
use harness::PyRandom;
use nanogpt::config::{ModelConfig, TrainConfig};
use nanogpt::data::{Batch, Dataset};
use nanogpt::model::{Gpt, IGNORE, Mode};
use nanogpt::train::{adamw, estimate_loss, evaluate, train_step};

fn names_config(vocab_size: usize) -> ModelConfig {
    ModelConfig { vocab_size, ..ModelConfig::default() }
}

#[test]
fn parameter_counts() {
    // makemore's transformer on 27 tokens has 204,544 parameters with its untied head.
    let untied = Gpt::new(ModelConfig { tie_head: false, ..names_config(27) }, &mut PyRandom::new(1), 0.02);
    assert_eq!(untied.num_params(), 204_544);
    // Tying lm_head to wte saves one (27, 64) matrix.
    let tied = Gpt::new(names_config(27), &mut PyRandom::new(1), 0.02);
    assert_eq!(tied.num_params(), 204_544 - 27 * 64);
    // microGPT's 4,192 (it prints "num params: 4192" on the names).
    let micro = Gpt::new(ModelConfig::microgpt(1, 16, 4, 16, 27), &mut PyRandom::new(1), 0.02);
    assert_eq!(micro.num_params(), 4192);
    // Without biases: the Linear layers' and LayerNorms' biases go.
    let c = ModelConfig { bias: false, ..names_config(27) };
    let per_layer_biases = 3 * 64 + 64 + 4 * 64 + 64 + 2 * 64;
    assert_eq!(
        Gpt::new(c, &mut PyRandom::new(1), 0.02).num_params(),
        tied.num_params() - 4 * per_layer_biases - 64
    );
    TensorTape::clear();
}

#[test]
fn shapes_and_the_loss_at_initialisation() {
    let model = Gpt::new(names_config(27), &mut PyRandom::new(3), 0.02);
    let _step = TensorTape::scope();
    let (b, t) = (32, 16);
    let mut rng = PyRandom::new(5);
    let idx: Vec<usize> = (0..b * t).map(|_| rng.randbelow(27) as usize).collect();
    let logits = model.forward(&idx, b, t, &mut Mode::Eval);
    assert_eq!(logits.shape().as_slice(), [b, t, 27]);
    // Small initial weights → nearly uniform predictions → a loss of about ln(27) = 3.296 (the logits'
    // spread, about 8 · 0.02, adds σ²/2 ≈ 0.013; 512 random targets add noise of about 0.01).
    let targets: Vec<usize> = (0..b * t).map(|_| rng.randbelow(27) as usize).collect();
    let loss = logits.cross_entropy(&targets).item();
    assert!((loss - 27f32.ln()).abs() < 0.05, "loss at init {loss}");
    // Shorter sequences use the first positions of wpe.
    assert_eq!(model.forward(&idx[..5], 1, 5, &mut Mode::Eval).shape().as_slice(), [1, 5, 27]);
}

#[test]
fn ignored_targets_do_not_count() {
    let model = Gpt::new(names_config(27), &mut PyRandom::new(3), 0.5);
    let _step = TensorTape::scope();
    let idx = [26, 0, 1, 2];
    let all = model.loss(&idx, &[0, 1, 2, 26], 1, 4, &mut Mode::Eval).item();
    let first_two = model.forward(&idx, 1, 4, &mut Mode::Eval).narrow(1, 0, 2).cross_entropy(&[0, 1]).item();
    let ignored = model.loss(&idx, &[0, 1, IGNORE, IGNORE], 1, 4, &mut Mode::Eval).item();
    assert!((ignored - first_two).abs() < 1e-6, "{ignored} vs {first_two}");
    assert_ne!(ignored, all);
}

/// Changing the token at position j changes no logit before j, and does change the ones from j on.
fn check_causal(config: ModelConfig) {
    let model = Gpt::new(config, &mut PyRandom::new(7), 0.3);
    let _step = TensorTape::scope();
    let (t, v) = (model.config.block_size, model.config.vocab_size);
    let idx: Vec<usize> = (0..t).map(|i| (i * 7) % v).collect();
    let base = model.forward(&idx, 1, t, &mut Mode::Eval).data();
    for j in [0, 5, t - 1] {
        let mut changed = idx.clone();
        changed[j] = (changed[j] + 1) % v;
        let out = model.forward(&changed, 1, t, &mut Mode::Eval).data();
        assert_eq!(out[..j * v], base[..j * v], "positions before {j} saw the change");
        assert_ne!(
            out[j * v..(j + 1) * v],
            base[j * v..(j + 1) * v],
            "position {j} did not see its own token"
        );
        if j + 1 < t {
            assert_ne!(out[(j + 1) * v..], base[(j + 1) * v..], "positions after {j} did not see it");
        }
    }
}

#[test]
fn attention_is_causal() {
    check_causal(names_config(27));
    check_causal(ModelConfig::microgpt(2, 16, 4, 12, 27));
}

#[test]
fn dropout_acts_in_training_only() {
    let model = Gpt::new(ModelConfig { dropout: 0.2, ..names_config(27) }, &mut PyRandom::new(2), 0.02);
    let _step = TensorTape::scope();
    let idx: Vec<usize> = (0..32).map(|i| i % 27).collect();
    let eval = |_: ()| model.forward(&idx, 2, 16, &mut Mode::Eval).data();
    assert_eq!(eval(()), eval(()), "evaluation is deterministic");
    let train = |seed| model.forward(&idx, 2, 16, &mut Mode::Train(&mut PyRandom::new(seed))).data();
    assert_eq!(train(1), train(1), "the same stream gives the same masks");
    assert_ne!(train(1), train(2));
    assert_ne!(train(1), eval(()));
}

#[test]
fn a_short_run_beats_the_bigram() {
    // The count bigram, the best any model without context can do, has a loss of 2.454 on these names.
    // 400 steps of a small transformer get well below it: attention uses the characters before.
    let model_cfg = ModelConfig { n_layer: 2, n_embd: 32, ..ModelConfig::default() };
    let data = Dataset::names(&harness::testdata::ssa_names(), model_cfg.block_size).unwrap();
    let cfg = TrainConfig { learning_rate: 3e-3, ..TrainConfig::default() };
    let model =
        Gpt::new(ModelConfig { vocab_size: data.vocab.len(), ..model_cfg }, &mut PyRandom::new(42), 0.02);
    let mut opt = adamw(&model, &cfg);
    let (mut rng, mut batch) = (PyRandom::new(42), Batch::default());
    let start = estimate_loss(&model, &data.val, &data.token_bytes, &cfg).loss;
    for _ in 0..400 {
        data.train.get_batch(&mut rng, cfg.batch_size, model.config.block_size, &mut batch);
        assert!(train_step(&model, &mut opt, &batch, cfg.grad_clip, &mut rng).is_finite());
    }
    let val = evaluate(&model, &data.val, &data.token_bytes);
    assert!((start - 27f64.ln()).abs() < 0.05, "val loss at init {start}");
    assert!(val.loss < 2.40, "val loss after 400 steps: {val:?}");
    // ASCII names, a byte per character and per end: bits per byte is the loss in bits.
    assert!((val.bpb - val.loss / std::f64::consts::LN_2).abs() < 1e-12, "{val:?}");
    TensorTape::clear();
}

#[test]
fn bits_per_byte_counts_the_bytes_of_the_text_predicted() {
    // "aé" over and over: every 4-character window predicts two a's (1 byte each) and two é's (2 bytes
    // each), so a loss per character of L is L / ln 2 / 1.5 bits per byte.
    let dir = harness::testdata::temp_dir("bpb");
    let text = dir.join("input.txt");
    std::fs::write(&text, "aé".repeat(100)).unwrap();
    let data = Dataset::text(&text, 4).unwrap();
    assert_eq!(data.token_bytes, [1, 2, 1], "a, é, BOS");
    let config = ModelConfig { block_size: 4, vocab_size: data.vocab.len(), ..ModelConfig::default() };
    let model = Gpt::new(config, &mut PyRandom::new(1), 0.5);
    let val = evaluate(&model, &data.val, &data.token_bytes);
    assert!(val.loss > 0.5, "{val:?}");
    assert!((val.bpb - val.loss / std::f64::consts::LN_2 / 1.5).abs() < 1e-9, "{val:?}");
    let cfg = TrainConfig { batch_size: 4, eval_iters: 3, ..TrainConfig::default() };
    let estimate = estimate_loss(&model, &data.val, &data.token_bytes, &cfg);
    assert!((estimate.bpb - estimate.loss / std::f64::consts::LN_2 / 1.5).abs() < 1e-6, "{estimate:?}");
    TensorTape::clear();
}
