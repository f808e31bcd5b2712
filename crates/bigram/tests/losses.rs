//! The lecture's numbers: the dataset, the count model's negative log-likelihood on both names files,
//! and the neural bigram converging to the count model's loss.

use bigram::config::{Config, ModelConfig};
use bigram::data::{Dataset, pairs};
use bigram::model::{Bigram, Counts, nll};
use bigram::train;
use harness::pyrandom::PyRandom;

fn dataset(path: &std::path::Path) -> (Vec<String>, Dataset) {
    let docs = harness::load_docs(path).unwrap();
    let data = Dataset::new(&docs).unwrap();
    (docs, data)
}

/// The whole-file loss: counted on every word, measured on every word.
fn whole_file_loss(data: &Dataset, smoothing: f64) -> (f64, usize) {
    let v = data.vocab.len();
    let p = Counts::from_words(&data.all, v).probs(smoothing);
    let predictions = data.all.iter().map(|w| w.len() - 1).sum();
    (nll(&p, v, &data.all), predictions)
}

#[test]
#[cfg_attr(
    not(makemore_names),
    ignore = "needs makemore's names.txt (../shared/data/names.txt or $MAKEMORE_NAMES)"
)]
fn makemore_names_counts_match_the_lecture() {
    let Some(path) = harness::testdata::makemore_names() else { return };
    let (docs, data) = dataset(&path);
    assert_eq!(docs.len(), 32_033);
    assert_eq!(data.vocab.len(), 27);
    assert_eq!((data.train.len(), data.val.len(), data.test.len()), (25_626, 3_203, 3_204));
    let counts = Counts::from_words(&data.all, 27);
    // The lecture's first look at N: 'emma' starts 1,531 names ('.e'), and 'an' is the most common bigram.
    let (e, dot, a, n) = (4, 26, 0, 13);
    assert_eq!(counts.n[dot * 27 + e], 1_531);
    let max = counts.n.iter().enumerate().max_by_key(|(_, c)| **c).unwrap();
    assert_eq!((max.0, *max.1), (n * 27 + dot, 6_763), "n. (a name ending in n) is the most common bigram");
    assert_eq!(counts.n[a * 27 + n], 5_438);

    let (loss, predictions) = whole_file_loss(&data, 0.0);
    assert_eq!(predictions, 228_146);
    assert_eq!(predictions, harness::split::n_predictions(&docs));
    assert!((loss - 2.454014).abs() < 1e-6, "{loss}");
    assert_eq!(format!("{loss:.4}"), "2.4540");
    let (smoothed, _) = whole_file_loss(&data, 1.0);
    assert!((smoothed - 2.454577).abs() < 1e-6, "{smoothed}");
    assert_eq!(format!("{smoothed:.4}"), "2.4546");
}

#[test]
fn repo_names_counts() {
    let (docs, data) = dataset(&harness::testdata::ssa_names());
    assert_eq!(docs.len(), 32_257);
    assert_eq!(data.vocab.len(), 27);
    assert_eq!((data.train.len(), data.val.len(), data.test.len()), (25_805, 3_226, 3_226));
    let (loss, predictions) = whole_file_loss(&data, 0.0);
    assert_eq!(predictions, 229_804);
    assert!((loss - 2.454395).abs() < 1e-6, "{loss}");
    let (smoothed, _) = whole_file_loss(&data, 1.0);
    assert!((smoothed - 2.454951).abs() < 1e-6, "{smoothed}");
}

#[test]
fn smoothing_trades_train_loss_for_finite_val_loss() {
    let (_, data) = dataset(&harness::testdata::ssa_names());
    let (_, raw) = train::fit_counts(&data, 0.0);
    let (_, smooth) = train::fit_counts(&data, 1.0);
    // Unsmoothed is the maximum-likelihood fit of the training words: nothing beats it there.
    assert!(raw.train < smooth.train, "{raw:?} {smooth:?}");
    assert!(smooth.val.is_finite() && smooth.test.is_finite());
    // Probabilities are rows that sum to one.
    let p = Counts::from_words(&data.train, 27).probs(1.0);
    for row in p.chunks(27) {
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn the_neural_bigram_converges_to_the_count_model() {
    let (_, data) = dataset(&harness::testdata::ssa_names());
    let (_, counts) = train::fit_counts(&data, 0.0);
    let mut cfg = Config::default();
    (cfg.model.smoothing, cfg.train.steps, cfg.train.learning_rate, cfg.train.eval_interval) =
        (0.0, 200, 50.0, 0);
    let dir = harness::RunDir::create(&harness::testdata::temp_dir("converges"), "bigram").unwrap();
    let saver = harness::run::Saver::new(&dir, &cfg).unwrap();
    let path = harness::testdata::ssa_names();
    let model = train::train(&cfg, &path, &saver, &mut std::io::sink()).unwrap().model;
    let fresh = Bigram::new(
        &ModelConfig { vocab_size: 27, ..cfg.model },
        model.counts.clone(),
        &mut PyRandom::new(42),
    );
    let start = train::evaluate(&fresh, &data.train);
    assert!(start > 3.0, "random weights start far off: {start}");
    let learned = train::evaluate(&model, &data.train);
    // Gradient descent can only approach the maximum-likelihood solution from above.
    assert!(learned >= counts.train - 1e-4, "{learned} vs counts {}", counts.train);
    assert!(learned - counts.train < 0.01, "{learned} vs counts {}", counts.train);
}

#[test]
fn regularisation_keeps_the_network_near_uniform() {
    let (_, data) = dataset(&harness::testdata::ssa_names());
    let (_, counts) = train::fit_counts(&data, 0.0);
    let (n, _) = train::fit_counts(&data, 0.0);
    let model = Bigram::new(&ModelConfig { smoothing: 0.0, vocab_size: 27 }, n, &mut PyRandom::new(1));
    let (xs, ys) = pairs(&data.train[..200]);
    // With a huge pull toward W = 0 the loss is dominated by the penalty: mean(W²) of N(0, 1) is ≈ 1.
    let plain = model.loss(&xs, &ys, 0.0).item();
    let pulled = model.loss(&xs, &ys, 10.0).item();
    let w = model.w.data();
    let mean_sq = w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32;
    assert!((pulled - plain - 10.0 * mean_sq).abs() < 1e-3, "{plain} {pulled} {mean_sq}");
    assert!(counts.train < plain as f64);
}
