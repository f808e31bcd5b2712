//! The fixture that nanogpt's equivalence test reads: a microgpt checkpoint, one document, and the loss
//! and every gradient the scalar engine computes for it. This test keeps the fixture honest — it must
//! be exactly what the current code computes — and regenerates it on request:
//!
//! ```sh
//! REGENERATE_FIXTURES=1 cargo test -p microgpt --test equivalence_fixture -- --ignored
//! ```

use std::path::{Path, PathBuf};

use autograd::Tape;
use harness::{PyRandom, Vocab};
use microgpt::config::ModelConfig;
use microgpt::model::Gpt;
use microgpt::train::doc_loss;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::Deserialize;

/// A name long enough that attention spans many positions.
const DOC: &str = "christopher";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/equivalence")
}

/// What the fixture's config.json says of the model (a checkpoint of the format microgpt wrote when the
/// fixture was made; read as data, so the fixture stays what nanogpt reads).
#[derive(Deserialize)]
struct FixtureConfig {
    model: FixtureShape,
    vocab: Vocab,
}

#[derive(Deserialize)]
struct FixtureShape {
    n_layer: usize,
    n_embd: usize,
    n_head: usize,
    block_size: usize,
}

/// The fixture's model: its shape from config.json, every matrix of the state dict read by name.
fn load_fixture(dir: &Path) -> (Gpt, Vocab) {
    let ckpt = harness::checkpoint::load::<FixtureConfig>(dir, microgpt::STAGE).unwrap();
    let (shape, vocab) = (&ckpt.config.model, ckpt.config.vocab.clone());
    let config = ModelConfig {
        n_layer: shape.n_layer,
        n_embd: shape.n_embd,
        n_head: shape.n_head,
        block_size: shape.block_size,
        init_std: 0.0,
        vocab_size: vocab.len(),
    };
    let model = Gpt::new(&config, &mut PyRandom::new(0));
    let names: Vec<&str> = model.state_dict.keys().map(String::as_str).collect();
    ckpt.expect_names(&names).unwrap();
    for (name, mat) in &model.state_dict {
        let data = ckpt.expect_shape_f64(name, &[mat.len(), mat[0].len()]).unwrap();
        mat.iter().flatten().zip(data).for_each(|(p, &d)| p.set_data(d));
    }
    (model, vocab)
}

/// The loss and the gradient of every parameter for `tokens`: (name, shape, values).
fn loss_and_grads(model: &Gpt, tokens: &[usize]) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    let _scope = Tape::scope();
    Tape::zero_grad();
    let (loss, _) = doc_loss(model, tokens);
    loss.backward();
    let mut tensors = vec![("loss".to_string(), vec![1], vec![loss.data()])];
    for (name, m) in &model.state_dict {
        let grads = m.iter().flatten().map(|p| p.grad()).collect();
        tensors.push((format!("grad.{name}"), vec![m.len(), m[0].len()], grads));
    }
    tensors
}

fn f64_values(view: &TensorView<'_>) -> Vec<f64> {
    assert_eq!(view.dtype(), Dtype::F64);
    view.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect()
}

fn read_doc(dir: &Path) -> Vec<usize> {
    let text = std::fs::read_to_string(dir.join("doc.txt")).unwrap();
    text.split_whitespace().map(|t| t.parse().unwrap()).collect()
}

#[test]
fn the_fixture_is_what_microgpt_computes() {
    let dir = fixture_dir();
    let (model, vocab) = load_fixture(&dir);
    let tokens = read_doc(&dir);
    assert_eq!(tokens, vocab.encode_with_bos(DOC).unwrap());
    let bytes = std::fs::read(dir.join("grads.safetensors")).unwrap();
    let saved = SafeTensors::deserialize(&bytes).unwrap();
    let computed = loss_and_grads(&model, &tokens);
    assert_eq!(saved.len(), computed.len());
    for (name, shape, values) in &computed {
        let view = saved.tensor(name).unwrap();
        assert_eq!(view.shape(), shape.as_slice(), "{name}");
        assert_eq!(
            &f64_values(&view),
            values,
            "{name} changed: regenerate the fixture (see the module docs)"
        );
    }
    // A real cross-entropy (a 50-step model finds this long name hard: about 3.65 nats).
    let loss = computed[0].2[0];
    assert!(loss.is_finite() && loss > 0.0, "loss {loss}");
    // And some gradient of every matrix is non-zero, so the comparison compares something.
    assert!(computed.iter().all(|(_, _, g)| g.iter().any(|&x| x != 0.0)));
}

#[test]
#[ignore = "writes the fixture; run with REGENERATE_FIXTURES=1"]
fn regenerate_the_fixture() {
    if std::env::var_os("REGENERATE_FIXTURES").is_none() {
        eprintln!("skipping: set REGENERATE_FIXTURES=1 to rewrite {}", fixture_dir().display());
        return;
    }
    let dir = fixture_dir();
    // A model trained for 50 steps, so the weights are not just their initialisation. (This writes
    // config.json in the current checkpoint format: `load_fixture` and nanogpt's test read the model's
    // shape at `config.model`, which that format moves to `config.config.model`.)
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_microgpt"))
        .args(["train", "--steps", "50", "--out"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_file(dir.join(harness::runlog::LOG_FILE)).unwrap();
    let (model, vocab) = load_fixture(&dir);
    let tokens = vocab.encode_with_bos(DOC).unwrap();
    let doc: Vec<String> = tokens.iter().map(usize::to_string).collect();
    std::fs::write(dir.join("doc.txt"), doc.join(" ") + "\n").unwrap();
    let tensors = loss_and_grads(&model, &tokens);
    let bytes: Vec<Vec<u8>> =
        tensors.iter().map(|(_, _, v)| v.iter().flat_map(|x| x.to_le_bytes()).collect()).collect();
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .zip(&bytes)
        .map(|((name, shape, _), b)| (name.clone(), TensorView::new(Dtype::F64, shape.clone(), b).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, &dir.join("grads.safetensors")).unwrap();
}
