//! microGPT's weights in this model. microGPT keeps separate wq, wk, wv matrices per layer; here they
//! are one `c_attn` (their rows stacked), and every other matrix has a nanoGPT name. Built with
//! [`ModelConfig::microgpt`](crate::config::ModelConfig::microgpt) and loaded this way, the batched
//! model computes microGPT's loss and gradients (tests/equivalence.rs).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use autograd::Tensor;
use harness::Vocab;
use harness::checkpoint::TensorData;

use crate::model::{Gpt, Mode};

/// Where microGPT's tensor `name` lives here: our tensor, and which third of `c_attn` (q, k, v) if any.
fn locate(model: &Gpt, name: &str) -> Option<(Tensor, Option<usize>)> {
    match name {
        "wte" => return Some((model.wte, None)),
        "wpe" => return Some((model.wpe, None)),
        "lm_head" => return model.lm_head.as_ref().map(|l| (l.weight, None)),
        _ => {}
    }
    let (layer, what) = name.strip_prefix("layer")?.split_once('.')?;
    let block = model.h.get(layer.parse::<usize>().ok()?)?;
    Some(match what {
        "attn_wq" => (block.attn.c_attn.weight, Some(0)),
        "attn_wk" => (block.attn.c_attn.weight, Some(1)),
        "attn_wv" => (block.attn.c_attn.weight, Some(2)),
        "attn_wo" => (block.attn.c_proj.weight, None),
        "mlp_fc1" => (block.mlp.c_fc.weight, None),
        "mlp_fc2" => (block.mlp.c_proj.weight, None),
        _ => return None,
    })
}

/// microGPT's tensor names, in its `state_dict` order.
pub fn microgpt_names(n_layer: usize) -> Vec<String> {
    let mut names: Vec<String> = ["wte", "wpe", "lm_head"].map(String::from).to_vec();
    for i in 0..n_layer {
        let layer = ["attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2"];
        names.extend(layer.map(|w| format!("layer{i}.{w}")));
    }
    names
}

/// The elements of `tensor` that microGPT's matrix occupies (all, or one third of c_attn's rows).
fn range(tensor: Tensor, part: Option<usize>) -> std::ops::Range<usize> {
    let n = tensor.numel();
    match part {
        Some(i) => i * n / 3..(i + 1) * n / 3,
        None => 0..n,
    }
}

// ANCHOR: load
/// Copies microGPT's weights into `model` (built with `ModelConfig::microgpt`): `weight(name)` gives
/// microGPT's matrix `name`, (nout, nin) row by row — the layout of our Linear weights, so wq, wk and
/// wv stacked by rows are `c_attn`.
pub fn load_microgpt(model: &Gpt, mut weight: impl FnMut(&str) -> Result<Vec<f32>>) -> Result<()> {
    ensure!(model.lm_head.is_some() && model.ln_f.is_none(), "the model must have microGPT's architecture");
    for name in microgpt_names(model.config.n_layer) {
        let (tensor, part) = locate(model, &name).expect("every microGPT name has a place");
        let values = weight(&name)?;
        let mut data = tensor.data();
        let range = range(tensor, part);
        ensure!(
            values.len() == range.len(),
            "`{name}` has {} numbers, the model expects {}",
            values.len(),
            range.len()
        );
        data[range].copy_from_slice(&values);
        tensor.set_data(&data);
    }
    Ok(())
}
// ANCHOR_END: load

/// Copies the weights of the microgpt checkpoint in `dir` into `model` (built with microGPT's
/// architecture and size, on the same characters `vocab`): `nanogpt train --init-from`, which makes
/// both trainers start from one model.
pub fn load_microgpt_checkpoint(model: &Gpt, dir: &Path, vocab: &Vocab) -> Result<()> {
    let load = || -> Result<()> {
        let ckpt = harness::checkpoint::load::<serde_json::Value>(dir, "microgpt")?;
        // (Every version of microgpt's checkpoint keeps the characters under `vocab`.)
        let saved = ckpt.config.get("vocab").cloned().context("it records no vocabulary")?;
        let saved: Vocab = serde_json::from_value(saved).context("its vocabulary does not read")?;
        ensure!(&saved == vocab, "it was trained on other characters than --data's");
        load_microgpt(model, |name| {
            let tensor = ckpt.tensors.get(name).with_context(|| format!("it has no tensor `{name}`"))?;
            Ok(match &tensor.data {
                TensorData::F64(v) => v.iter().map(|&x| x as f32).collect(), // microgpt's scalars are f64
                TensorData::F32(v) => v.clone(),
            })
        })
    };
    load().with_context(|| format!("cannot start from the microgpt checkpoint in {}", dir.display()))
}

/// The gradient of microGPT's matrix `name`, read from our tensors after `backward`.
pub fn microgpt_grad(model: &Gpt, name: &str) -> Option<Vec<f32>> {
    let (tensor, part) = locate(model, name)?;
    Some(tensor.grad()[range(tensor, part)].to_vec())
}

// ANCHOR: document_loss
/// microGPT's loss of one document (`[BOS, c1 … cn, BOS]`): the mean of -log p(next token) over its
/// first min(block_size, n + 1) positions. microGPT runs them one at a time with a KV cache; here they
/// are one (1, T) sequence through the causal model.
pub fn document_loss(model: &Gpt, tokens: &[usize]) -> Tensor {
    let t = model.config.block_size.min(tokens.len() - 1);
    model.loss(&tokens[..t], &tokens[1..=t], 1, t, &mut Mode::Eval)
}
// ANCHOR_END: document_loss
