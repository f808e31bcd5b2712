//! The lecture's numbers: the examples each split makes, the parameter counts, and short seeded runs
//! that only a correct model finishes below the best bigram.

use harness::PyRandom;
use harness::testdata::temp_dir;
use mlp::config::{Config, ModelConfig, TrainConfig};
use mlp::data::{Dataset, Examples};
use mlp::model::Mlp;
use mlp::train;

fn docs(path: &std::path::Path) -> Vec<String> {
    harness::load_docs(path).unwrap()
}

fn model_config(block_size: usize, n_embd: usize, n_hidden: usize) -> ModelConfig {
    ModelConfig { block_size, n_embd, n_hidden, ..Config::default().model }
}

fn train_config(steps: usize) -> TrainConfig {
    TrainConfig { steps, eval_interval: 0, ..Config::default().train }
}

/// A model of `config`'s shape for `data`'s vocabulary.
fn build(config: &ModelConfig, data: &Dataset, rng: &mut PyRandom) -> Mlp {
    Mlp::new(&ModelConfig { vocab_size: data.vocab.len(), ..config.clone() }, rng)
}

#[test]
fn the_sliding_window_of_emma() {
    // vocab "aem" + BOS (3): emma = [3, 1, 2, 2, 0, 3]
    let ex = Examples::new(&[vec![3, 1, 2, 2, 0, 3]], 3, 3);
    assert_eq!(ex.block_size, 3);
    assert_eq!(ex.y, [1, 2, 2, 0, 3]);
    assert_eq!(ex.x, [3, 3, 3, /**/ 3, 3, 1, /**/ 3, 1, 2, /**/ 1, 2, 2, /**/ 2, 2, 0]);
}

#[test]
#[cfg_attr(
    not(makemore_names),
    ignore = "needs makemore's names.txt (../shared/data/names.txt or $MAKEMORE_NAMES)"
)]
fn makemore_names_examples_match_the_lecture() {
    let Some(path) = harness::testdata::makemore_names() else { return };
    let docs = docs(&path);
    let data = Dataset::new(&docs, 3).unwrap();
    assert_eq!((data.train.len(), data.val.len(), data.test.len()), (182_625, 22_655, 22_866));
    assert_eq!(data.train.len() + data.val.len() + data.test.len(), harness::split::n_predictions(&docs));
    assert_eq!(data.train.x.len(), 3 * 182_625);
}

#[test]
fn repo_names_examples() {
    let docs = docs(&harness::testdata::ssa_names());
    let data = Dataset::new(&docs, 3).unwrap();
    assert_eq!((data.train.len(), data.val.len(), data.test.len()), (183_802, 22_949, 23_053));
    // The number of examples does not depend on the context length, only their width.
    let wide = Dataset::new(&docs, 8).unwrap();
    assert_eq!(wide.train.len(), 183_802);
    assert_eq!(wide.train.x.len(), 8 * 183_802);
}

#[test]
fn parameter_counts_match_the_lectures() {
    let data = Dataset::new(&docs(&harness::testdata::ssa_names())[..100], 8).unwrap();
    let mut rng = PyRandom::new(42);
    let part2 = build(&model_config(3, 10, 200), &data, &mut rng);
    assert_eq!(part2.num_params(), 11_897);
    // Part 3 drops b1 (batch norm's shift replaces it) and adds a gain and a bias per neuron.
    let part3 = ModelConfig { batchnorm: true, ..model_config(3, 10, 200) };
    assert_eq!(build(&part3, &data, &mut rng).num_params(), 11_897 - 200 + 400);
    let part5 = ModelConfig { wavenet: true, ..model_config(8, 24, 128) };
    let wavenet = build(&part5, &data, &mut rng);
    assert_eq!(wavenet.num_params(), 76_579);
    assert_eq!(wavenet.hidden.len(), 3);
}

/// The val loss of the best count bigram (smoothing 1, counted on the training words) on `docs`' split:
/// the number an MLP that learned anything from its context must beat.
fn bigram_val_loss(docs: &[String]) -> f64 {
    let data = Dataset::new(docs, 1).unwrap();
    let v = data.vocab.len();
    let mut n = vec![1.0f64; v * v];
    for (x, y) in data.train.x.iter().zip(&data.train.y) {
        n[x * v + y] += 1.0;
    }
    let row_sums: Vec<f64> = n.chunks(v).map(|r| r.iter().sum()).collect();
    let nll: f64 = data.val.x.iter().zip(&data.val.y).map(|(x, y)| -(n[x * v + y] / row_sums[*x]).ln()).sum();
    nll / data.val.len() as f64
}

fn short_run(name: &str, model: ModelConfig, train: TrainConfig) -> (f64, f64) {
    let path = harness::testdata::ssa_names();
    let docs = docs(&path);
    let bigram = bigram_val_loss(&docs);
    let data = Dataset::new(&docs, model.block_size).unwrap();
    let config = Config { model, train };
    let dir = harness::RunDir::create(&temp_dir(name), "mlp").unwrap();
    let saver = harness::run::Saver::new(&dir, &config).unwrap();
    let trained = train::train(&config, &path, &saver, &mut std::io::sink()).unwrap();
    (train::evaluate(&trained.model, &data.val), bigram)
}

#[test]
fn the_mlp_beats_the_bigram_within_a_few_thousand_steps() {
    let fixed = ModelConfig { scale_output: true, kaiming: true, ..model_config(3, 10, 200) };
    let (val, bigram) = short_run("mlp", fixed, train_config(6000));
    assert!((2.47..2.48).contains(&bigram), "{bigram}");
    assert!(val < bigram - 0.05, "mlp val {val} vs bigram {bigram}");
}

#[test]
fn batchnorm_trains_too() {
    let fixed =
        ModelConfig { scale_output: true, kaiming: true, batchnorm: true, ..model_config(3, 10, 200) };
    let (val, bigram) = short_run("batchnorm", fixed, train_config(6000));
    assert!(val < bigram - 0.05, "mlp+batchnorm val {val} vs bigram {bigram}");
}

#[test]
#[ignore = "trains the WaveNet for 10,000 steps"]
fn the_wavenet_beats_the_bigram() {
    let fixed = ModelConfig { scale_output: true, kaiming: true, wavenet: true, ..model_config(8, 24, 128) };
    let (val, bigram) = short_run("wavenet", fixed, train_config(10_000));
    assert!(val < bigram - 0.1, "wavenet val {val} vs bigram {bigram}");
}
