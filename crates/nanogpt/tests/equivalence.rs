//! "Everything else is just efficiency", as a test: with microGPT's architecture and weights, the
//! batched model's loss over a whole document, and every gradient, are the scalar microGPT's.
//!
//! Two references: microgpt's own dump (`crates/microgpt/tests/fixtures/equivalence/`, read as data —
//! the stages do not depend on each other), and microGPT's forward pass transcribed below onto the
//! scalar `Value` engine, for random weights and configurations of our choosing.

use std::collections::HashMap;
use std::path::PathBuf;

use autograd::{Tape, TensorTape, Value};
use harness::PyRandom;
use nanogpt::config::ModelConfig;
use nanogpt::config::Variant;
use nanogpt::equivalence::{
    document_loss, load_microgpt, load_microgpt_checkpoint as load_checkpoint, microgpt_grad, microgpt_names,
};
use nanogpt::model::{Gpt, Norm};

/// f32 against f64: the tensor model rounds every intermediate to f32 (ε = 1.2e-7), over a few dozen
/// operations in sequence, so its numbers agree with the f64 ones to about 1e-6 relative. A wrong
/// scale, a missing norm, a transposed matrix or a leak through the causal mask is off by far more.
/// Returns the largest error relative to the tensor's largest entry.
fn assert_close(what: &str, got: &[f32], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    let scale = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    let mut worst = 0.0f64;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g as f64 - w).abs();
        assert!(
            err <= 1e-5 * scale.max(1e-3) + 1e-4 * w.abs(),
            "{what}[{i}]: tensor {g}, scalar {w} (scale {scale})"
        );
        worst = worst.max(err / scale.max(1e-300));
    }
    worst
}

// ---- microGPT's forward pass on scalars (crates/microgpt/src/model.rs, condensed) ----

type Matrix = Vec<Vec<Value>>;

fn linear(x: &[Value], w: &Matrix) -> Vec<Value> {
    w.iter().map(|row| Value::dot(row, x)).collect()
}

fn softmax(logits: &[Value]) -> Vec<Value> {
    let max = logits.iter().map(|v| v.data()).fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<Value> = logits.iter().map(|&v| (v - max).exp()).collect();
    let total = Value::sum(&exps);
    exps.iter().map(|&e| e / total).collect()
}

fn rmsnorm(x: &[Value]) -> Vec<Value> {
    let scale = (Value::dot(x, x) / x.len() as f64 + 1e-5).powf(-0.5);
    x.iter().map(|&xi| xi * scale).collect()
}

/// microGPT's `gpt` over a whole document, one position at a time with its KV cache; returns the
/// mean loss (a Value whose backward fills the weights' gradients).
fn scalar_document_loss(w: &HashMap<String, Matrix>, c: &ModelConfig, tokens: &[usize]) -> Value {
    let n = c.block_size.min(tokens.len() - 1);
    let hd = c.head_dim();
    let (mut keys, mut values) = (vec![Vec::new(); c.n_layer], vec![Vec::new(); c.n_layer]);
    let mut losses = Vec::new();
    for pos in 0..n {
        let x: Vec<Value> = w["wte"][tokens[pos]].iter().zip(&w["wpe"][pos]).map(|(&t, &p)| t + p).collect();
        let mut x = rmsnorm(&x);
        for li in 0..c.n_layer {
            let m = |name: &str| &w[&format!("layer{li}.{name}")];
            let xn = rmsnorm(&x);
            let (q, k, v) = (linear(&xn, m("attn_wq")), linear(&xn, m("attn_wk")), linear(&xn, m("attn_wv")));
            keys[li].push(k);
            values[li].push(v);
            let mut x_attn = Vec::new();
            for h in 0..c.n_head {
                let hs = h * hd..(h + 1) * hd;
                let logits: Vec<Value> = keys[li]
                    .iter()
                    .map(|k_t: &Vec<Value>| {
                        Value::dot(&q[hs.clone()], &k_t[hs.clone()]) / (hd as f64).powf(0.5)
                    })
                    .collect();
                let weights = softmax(&logits);
                for j in hs {
                    let v_j: Vec<Value> = values[li].iter().map(|v_t: &Vec<Value>| v_t[j]).collect();
                    x_attn.push(Value::dot(&weights, &v_j));
                }
            }
            x = linear(&x_attn, m("attn_wo")).iter().zip(&x).map(|(&a, &b)| a + b).collect();
            let xn = rmsnorm(&x);
            let hidden: Vec<Value> = linear(&xn, m("mlp_fc1")).iter().map(|h| h.relu()).collect();
            x = linear(&hidden, m("mlp_fc2")).iter().zip(&x).map(|(&a, &b)| a + b).collect();
        }
        let probs = softmax(&linear(&x, &w["lm_head"]));
        losses.push(-probs[tokens[pos + 1]].ln());
    }
    Value::sum(&losses) * (1.0 / n as f64)
}

/// microGPT's matrix shapes (nout, nin).
fn shape(c: &ModelConfig, name: &str) -> (usize, usize) {
    let (v, e) = (c.vocab_size, c.n_embd);
    match name.rsplit('.').next().unwrap() {
        "wte" | "lm_head" => (v, e),
        "wpe" => (c.block_size, e),
        "mlp_fc1" => (4 * e, e),
        "mlp_fc2" => (e, 4 * e),
        _ => (e, e),
    }
}

/// Random weights (rounded to f32, so both sides start from the same numbers), a random document,
/// and the comparison of loss and every gradient.
fn check_random(c: ModelConfig, doc_len: usize, std: f64, seed: u64) {
    let mut rng = PyRandom::new(seed);
    let mut weights: HashMap<String, Vec<f32>> = HashMap::new();
    for name in microgpt_names(c.n_layer) {
        let (r, k) = shape(&c, &name);
        weights.insert(name, (0..r * k).map(|_| rng.gauss(0.0, std) as f32).collect());
    }
    let bos = c.vocab_size - 1;
    let mut tokens = vec![bos];
    tokens.extend((0..doc_len).map(|_| rng.randbelow(bos as u64) as usize));
    tokens.push(bos);

    // The scalar side, in f64.
    let scalar: HashMap<String, Matrix> = weights
        .iter()
        .map(|(name, data)| {
            let k = shape(&c, name).1;
            (
                name.clone(),
                data.chunks(k).map(|row| row.iter().map(|&x| Value::new(x as f64)).collect()).collect(),
            )
        })
        .collect();
    let loss = scalar_document_loss(&scalar, &c, &tokens);
    loss.backward();

    // The tensor side.
    let model = Gpt::new(c.clone(), &mut PyRandom::new(0), 0.02);
    load_microgpt(&model, |name| Ok(weights[name].clone())).unwrap();
    let step = TensorTape::scope();
    let tensor_loss = document_loss(&model, &tokens);
    tensor_loss.backward();

    let _ = assert_close("loss", &[tensor_loss.item()], &[loss.data()]);
    for name in microgpt_names(c.n_layer) {
        let want: Vec<f64> = scalar[&name].iter().flatten().map(|p| p.grad()).collect();
        assert!(want.iter().any(|&g| g != 0.0) || name == "wpe", "{name}: the scalar gradient is all zero");
        let _ = assert_close(&format!("grad {name}"), &microgpt_grad(&model, &name).unwrap(), &want);
    }
    drop(step);
    Tape::clear();
    TensorTape::clear();
}

#[test]
fn microgpt_default_shape_random_weights() {
    // microGPT as published: 1 layer, n_embd 16, 4 heads, block 16, on a 27-token vocabulary.
    check_random(ModelConfig::microgpt(1, 16, 4, 16, 27), 7, 0.08, 1);
}

#[test]
fn deeper_wider_and_large_weights() {
    // Two layers, head_dim 3 (√3 is not a power of two), weights large enough for sharp attention and
    // many dead ReLUs, and a document longer than the block (microGPT cuts it at block_size).
    check_random(ModelConfig::microgpt(2, 12, 4, 10, 30), 14, 0.5, 2);
}

// ---- microgpt's own dump ----

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../microgpt/tests/fixtures/equivalence")
}

/// Reads a bare safetensors file of f64 tensors.
fn read_f64(path: &PathBuf) -> HashMap<String, (Vec<usize>, Vec<f64>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, view)| {
            assert_eq!(view.dtype(), safetensors::Dtype::F64, "{name} is not f64");
            let data =
                view.data().chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect();
            (name, (view.shape().to_vec(), data))
        })
        .collect()
}

#[test]
fn microgpt_fixture() {
    let dir = fixture_dir();
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let m = &config["config"]["model"];
    let get = |k: &str| m[k].as_u64().unwrap_or_else(|| panic!("config.json: model.{k}")) as usize;
    let c = ModelConfig::microgpt(
        get("n_layer"),
        get("n_embd"),
        get("n_head"),
        get("block_size"),
        get("vocab_size"),
    );
    let weights = read_f64(&dir.join("model.safetensors"));
    let grads = read_f64(&dir.join("grads.safetensors"));
    let doc = std::fs::read_to_string(dir.join("doc.txt")).unwrap();
    let tokens: Vec<usize> = doc.split_whitespace().map(|t| t.parse().unwrap()).collect();
    assert!(tokens.len() >= 2 && tokens[0] == c.vocab_size - 1, "doc.txt must start with BOS: {doc}");

    let model = Gpt::new(c.clone(), &mut PyRandom::new(0), 0.02);
    load_microgpt(&model, |name| {
        let (dims, data) = &weights[name];
        let (r, k) = shape(&c, name);
        assert_eq!(dims[..], [r, k], "{name}: shape");
        Ok(data.iter().map(|&x| x as f32).collect())
    })
    .unwrap();
    let step = TensorTape::scope();
    let loss = document_loss(&model, &tokens);
    loss.backward();
    let _ = assert_close("loss", &[loss.item()], &grads["loss"].1);
    eprintln!("microgpt's loss {:.6}, ours {:.6}", grads["loss"].1[0], loss.item());
    let mut worst = 0.0f64;
    for name in microgpt_names(c.n_layer) {
        let want = &grads[&format!("grad.{name}")].1;
        worst =
            worst.max(assert_close(&format!("grad {name}"), &microgpt_grad(&model, &name).unwrap(), want));
    }
    eprintln!("largest gradient difference: {worst:.1e} of the tensor's largest entry");
    drop(step);

    // The comparison can tell: any one of microGPT's choices switched back to GPT-2's misses by far.
    fn layer_norm(c: usize) -> Norm {
        Norm::LayerNorm { weight: autograd::init::constant(&[c], 1.0), bias: None }
    }
    type Switch = fn(&mut Gpt);
    let switched: [(&str, Switch); 3] = [
        ("no embedding norm", |m| m.ln_e = None),
        ("GELU", |m| m.h.iter_mut().for_each(|b| b.mlp.variant = Variant::Gpt2)),
        ("LayerNorm", |m| {
            let c = m.config.n_embd;
            m.h.iter_mut().for_each(|b| (b.ln_1, b.ln_2) = (layer_norm(c), layer_norm(c)))
        }),
    ];
    for (what, switch) in switched {
        let mut model = Gpt::new(c.clone(), &mut PyRandom::new(0), 0.02);
        load_microgpt(&model, |name| Ok(weights[name].1.iter().map(|&x| x as f32).collect())).unwrap();
        switch(&mut model);
        let _step = TensorTape::scope();
        let loss = document_loss(&model, &tokens).item() as f64;
        assert!((loss - grads["loss"].1[0]).abs() > 1e-3, "with {what} the loss is microGPT's too: {loss}");
    }
}

#[test]
fn init_from_reads_a_microgpt_run_directory() {
    // `nanogpt train --init-from DIR` on the fixture (a run directory microgpt wrote): the same loss
    // as the weights read by hand above.
    let dir = fixture_dir();
    let grads = read_f64(&dir.join("grads.safetensors"));
    let doc = std::fs::read_to_string(dir.join("doc.txt")).unwrap();
    let tokens: Vec<usize> = doc.split_whitespace().map(|t| t.parse().unwrap()).collect();
    let model = Gpt::new(ModelConfig::microgpt(1, 16, 4, 16, 27), &mut PyRandom::new(0), 0.02);
    let saved: serde_json::Value = harness::checkpoint::load(&dir, "microgpt").unwrap().config;
    let vocab: harness::Vocab = serde_json::from_value(saved["vocab"].clone()).unwrap();
    load_checkpoint(&model, &dir, &vocab).unwrap();
    let _step = TensorTape::scope();
    let _ = assert_close("loss", &[document_loss(&model, &tokens).item()], &grads["loss"].1);
    // Another architecture, or a directory without a microgpt checkpoint: one line saying why.
    let wider = Gpt::new(ModelConfig::microgpt(1, 32, 4, 16, 27), &mut PyRandom::new(0), 0.02);
    let e = format!("{:#}", load_checkpoint(&wider, &dir, &vocab).unwrap_err());
    assert!(e.contains("numbers, the model expects") && !e.contains('\n'), "{e}");
    let other = harness::Vocab::from_docs(&["abc"][..]);
    let e = format!("{:#}", load_checkpoint(&model, &dir, &other).unwrap_err());
    assert!(e.contains("other characters") && !e.contains('\n'), "{e}");
    let e = format!("{:#}", load_checkpoint(&model, &dir.join("nowhere"), &vocab).unwrap_err());
    assert!(e.contains("cannot start from the microgpt checkpoint") && !e.contains('\n'), "{e}");
}
