//! The validation loss shares prefixes between words and work between threads; it must equal the
//! plain loop over the words, one `doc_loss` each, bit for bit.

use autograd::Tape;
use microgpt::config::{ModelConfig, TrainConfig};
use microgpt::eval::evaluate;
use microgpt::train::{Dataset, build, doc_loss};

/// The loss `evaluate` must reproduce: each document on its own.
fn one_by_one(model: &microgpt::model::Gpt, docs: &[Vec<usize>]) -> f64 {
    let (mut total, mut count) = (0.0, 0);
    for tokens in docs {
        let _scope = Tape::scope();
        let (loss, n) = doc_loss(model, tokens);
        total += loss.data() * n as f64;
        count += n;
    }
    total / count as f64
}

fn model_for(docs: &[String], n_layer: usize, block_size: usize) -> (Dataset, microgpt::model::Gpt) {
    let mut rng = harness::PyRandom::new(42);
    let data = Dataset::new(docs, &mut rng, false).unwrap();
    let model_config = ModelConfig { n_layer, n_embd: 16, n_head: 4, block_size, vocab_size: 0 };
    let train_config = TrainConfig {
        steps: 1,
        learning_rate: 0.01,
        beta1: 0.85,
        beta2: 0.99,
        init_std: 0.08,
        seed: 42,
        held_out: false,
        eval_interval: 0,
    };
    let model = build(&model_config, &train_config, &data, &mut rng).unwrap();
    (data, model)
}

#[test]
fn shared_evaluation_equals_the_loop_over_words() {
    let docs: Vec<String> =
        harness::load_docs(&harness::default_data_path()).unwrap().into_iter().take(400).collect();
    let (data, model) = model_for(&docs, 1, 16);
    let sequential = one_by_one(&model, &data.train);
    let parallel = evaluate(&model, &data.train);
    assert_eq!(parallel.to_bits(), sequential.to_bits(), "{parallel} vs {sequential}");
    // At initialisation the model is close to a uniform guess over the vocabulary.
    let uniform = (data.vocab.len() as f64).ln();
    assert!((parallel - uniform).abs() < 0.1, "{parallel} vs ln V = {uniform}");
}

#[test]
fn prefixes_duplicates_and_words_longer_than_the_block() {
    // "ann" is a prefix of "anna" and "annabel"; "bob" appears twice; with block_size 4 the long
    // words share their first four inputs whatever follows ("annabel" and "annabelle").
    let docs: Vec<String> = ["anna", "bob", "ann", "annabel", "bob", "b", "annabelle", "zed", "an", "anx"]
        .map(String::from)
        .to_vec();
    for (n_layer, block_size) in [(1, 4), (2, 3), (1, 16)] {
        let (data, model) = model_for(&docs, n_layer, block_size);
        let sequential = one_by_one(&model, &data.train);
        let shared = evaluate(&model, &data.train);
        assert_eq!(shared.to_bits(), sequential.to_bits(), "{n_layer} layers, block {block_size}");
    }
}
