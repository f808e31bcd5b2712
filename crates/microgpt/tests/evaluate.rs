//! The fast validation loss (`eval_fast`) shares prefixes between words and work between threads; it
//! must equal the plain loop over the words (`train::evaluate`, one `doc_loss` each) bit for bit: both
//! compute every word's loss with the same operations and add the words up in the same order.

use harness::PyRandom;
use microgpt::config::ModelConfig;
use microgpt::data::Dataset;
use microgpt::model::Gpt;
use microgpt::{eval_fast, train};

fn model_for(docs: &[String], n_layer: usize, block_size: usize) -> (Dataset, Gpt) {
    let mut rng = PyRandom::new(42);
    let data = Dataset::new(docs, &mut rng, false).unwrap();
    let config = ModelConfig {
        n_layer,
        n_embd: 16,
        n_head: 4,
        block_size,
        init_std: 0.08,
        vocab_size: data.vocab.len(),
    };
    let model = Gpt::new(&config, &mut rng);
    (data, model)
}

#[test]
fn fast_evaluation_equals_the_plain_loop_over_words() {
    let docs: Vec<String> =
        harness::load_docs(&harness::default_data_path()).unwrap().into_iter().take(400).collect();
    let (data, model) = model_for(&docs, 1, 16);
    let plain = train::evaluate(&model, &data.train);
    let fast = eval_fast::evaluate(&model, &data.train);
    assert_eq!(fast.to_bits(), plain.to_bits(), "{fast} vs {plain}");
    // At initialisation the model is close to a uniform guess over the vocabulary.
    let uniform = (data.vocab.len() as f64).ln();
    assert!((plain - uniform).abs() < 0.1, "{plain} vs ln V = {uniform}");
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
        let plain = train::evaluate(&model, &data.train);
        let fast = eval_fast::evaluate(&model, &data.train);
        assert_eq!(fast.to_bits(), plain.to_bits(), "{n_layer} layers, block {block_size}");
    }
}
