//! The validation loss is shared among threads; it must equal the plain sequential loop, bit for bit.

use autograd::Tape;
use microgpt::config::{ModelConfig, TrainConfig};
use microgpt::train::{Dataset, build, doc_loss, evaluate};

#[test]
fn parallel_evaluation_equals_the_sequential_loop() {
    let docs: Vec<String> =
        harness::load_docs(&harness::default_data_path()).unwrap().into_iter().take(400).collect();
    let mut rng = harness::PyRandom::new(42);
    let data = Dataset::new(&docs, &mut rng, false).unwrap();
    let model_config = ModelConfig { n_layer: 1, n_embd: 16, n_head: 4, block_size: 16, vocab_size: 0 };
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

    let (mut total, mut count) = (0.0, 0);
    for tokens in &data.train {
        let _scope = Tape::scope();
        let (loss, n) = doc_loss(&model, tokens);
        total += loss.data() * n as f64;
        count += n;
    }
    let sequential = total / count as f64;
    let parallel = evaluate(&model, &data.train);
    assert_eq!(parallel.to_bits(), sequential.to_bits(), "{parallel} vs {sequential}");
    // At initialisation the model is close to a uniform guess over the vocabulary.
    let uniform = (data.vocab.len() as f64).ln();
    assert!((parallel - uniform).abs() < 0.1, "{parallel} vs ln V = {uniform}");
}
