//! The names model: its starting loss, its gradients, that it learns, and that a checkpoint brings it
//! back exactly.

use autograd::{Tape, Value};
use harness::cli::TrainArgs;
use harness::testdata::ssa_names;
use harness::{PyRandom, Split, Vocab, load_docs};
use micrograd::config::{Config, ModelConfig};
use micrograd::model::{Bigram, softmax};
use micrograd::nn::Module;
use micrograd::train::evaluate as mean_loss;

/// A model over `vocab` with weights uniform in (-init_scale, init_scale).
fn bigram(vocab: &Vocab, init_scale: f64, seed: u64) -> Bigram {
    let config = ModelConfig { init_scale, vocab_size: vocab.len() };
    Bigram::new(vocab.clone(), &config, &mut PyRandom::new(seed))
}

fn data() -> (Vocab, Vec<Vec<usize>>) {
    let docs = load_docs(&ssa_names()).unwrap();
    let vocab = Vocab::from_docs(&docs);
    let val = Split::new(&docs).val.iter().map(|d| vocab.encode_with_bos(d).unwrap()).collect();
    (vocab, val)
}

#[test]
fn loss_at_initialisation_is_close_to_ln_vocab_size() {
    let (vocab, val) = data();
    let uniform = (vocab.len() as f64).ln();
    assert_eq!(vocab.len(), 27);
    let val = &val[..500];
    // All-zero weights predict the uniform distribution: exactly ln(27) for every character.
    let zero = bigram(&vocab, 0.0, 1);
    assert!((mean_loss(&zero, val) - uniform).abs() < 1e-12);
    // The default small init is barely worse than knowing nothing, as a good start should be.
    let model = bigram(&vocab, Config::default().model.init_scale, 42);
    let loss = mean_loss(&model, val);
    assert!((loss - uniform).abs() < 0.01, "loss at init {loss}, ln(27) = {uniform}");
}

#[test]
fn softmax_is_a_distribution_and_cross_entropy_gradients_match_finite_differences() {
    let (vocab, _) = data();
    let model = bigram(&vocab, 0.5, 3);
    let tokens = vocab.encode_with_bos("emma").unwrap();
    let probs: Vec<f64> = softmax(&model.logits(vocab.bos())).iter().map(|p| p.data()).collect();
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12 && probs.iter().all(|&p| p > 0.0));

    let loss = |m: &Bigram| Value::sum(&m.losses(&tokens));
    let l = loss(&model);
    l.backward();
    // The weights `emma` touches (column = previous character, row = next one) and a few it does not.
    let params = model.parameters();
    let n = vocab.len();
    let idx = |prev: usize, next: usize| next * (n + 1) + prev; // neuron `next`'s n weights, then its bias
    let e = vocab.stoi('e').unwrap();
    let m = vocab.stoi('m').unwrap();
    for i in [idx(vocab.bos(), e), idx(e, m), idx(m, m), idx(m, e), n, idx(3, 5), idx(m, 0)] {
        let p = params[i];
        let x = p.data();
        let eval = |v: f64| {
            let _s = Tape::scope();
            p.set_data(v);
            loss(&model).data()
        };
        let numeric = (eval(x + 1e-6) - eval(x - 1e-6)) / 2e-6;
        p.set_data(x);
        assert!((numeric - p.grad()).abs() < 1e-7, "parameter {i}: numeric {numeric}, backward {}", p.grad());
    }
    // The right answers are pulled up (negative gradient), so the check above is not comparing zeros.
    assert!(params[idx(e, m)].grad() < -0.1);
}

#[test]
fn a_short_run_learns_and_the_checkpoint_restores_it_exactly() {
    let out = std::env::temp_dir().join(format!("micrograd-names-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut cfg = Config::default();
    (cfg.train.steps, cfg.train.batch_size, cfg.train.eval_interval) = (100, 16, 50);
    let args = TrainArgs { data: Some(ssa_names()), out: Some(out.clone()), config: cfg.clone() };
    let model =
        harness::cli::train_and_save::<micrograd::Stage>(&args, &mut std::io::sink()).unwrap().0.model;
    let (_, val) = data();
    let trained = mean_loss(&model, &val[..500]);
    assert!(trained < 2.8, "100 steps should get well below ln(27) = 3.30, got {trained}");

    let (loaded, saved) = harness::cli::load::<micrograd::Stage>(&out).unwrap();
    assert_eq!(saved.config, cfg);
    assert_eq!(saved.vocab, model.vocab);
    let bits = |m: &Bigram| m.parameters().iter().map(|p| p.data().to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&loaded), bits(&model));
    let log = harness::read_run_log(&out.join(harness::runlog::LOG_FILE)).unwrap();
    assert_eq!(log.iter().map(|r| r.step).collect::<Vec<_>>(), [50, 100]);
    assert!(log.iter().all(|r| r.stage == "micrograd" && r.val_loss.is_some()));
    assert_eq!(log[1].tokens_seen as usize, {
        let docs = load_docs(&ssa_names()).unwrap();
        let train = Split::new(&docs).train;
        (0..100 * cfg.train.batch_size).map(|i| train[i % train.len()].chars().count() + 1).sum::<usize>()
    });
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn one_prediction_is_192_nodes_on_the_tape() {
    // The lecture's count: 27 one-hot inputs, 27 × (dot + bias), 27 × (shift, exp), one sum,
    // 27 × (powf(-1), ×) for the divisions, ln, and the minus sign.
    let (vocab, _) = data();
    let model = bigram(&vocab, 0.1, 1);
    let _scope = Tape::scope();
    let before = Tape::len();
    let losses = model.losses(&[vocab.bos(), vocab.stoi('e').unwrap()]);
    assert_eq!(losses.len(), 1);
    assert_eq!(Tape::len() - before, 27 + 27 * 2 + 27 * 2 + 1 + 27 * 2 + 2);
    assert_eq!(Tape::len() - before, 192);
}
