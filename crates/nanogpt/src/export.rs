//! `nanogpt export`: a checkpoint's weights under the names PyTorch's nanoGPT (Karpathy's model.py)
//! gives them, so that `GPT.load_state_dict` takes them as they are.
//!
//! Our modules already have model.py's names (`h.0.attn.c_attn`, `ln_f`, …) and our Linear layers
//! store W as (out, in), as `nn.Linear` does, so nothing is transposed: c_attn's weight is (3C, C),
//! q, k and v stacked by rows in model.py's order. What changes is the prefix (`transformer.` before
//! everything but `lm_head`, `.weight` after the embeddings) and the tied head, which model.py's
//! state_dict lists twice (`transformer.wte.weight` and `lm_head.weight`, one tensor).
//!
//! Beside `FILE.safetensors` goes `FILE.json`: model.py's `GPTConfig` fields, and what model.py needs
//! told — an untied head (`tie_head`), GELU's tanh form (model.py's `nn.GELU()` is the exact one) —
//! with the vocabulary, so that a script can encode text. Only `--variant gpt2` exports: microGPT's
//! RMSNorm without a gain, its ReLU and its extra norm after the embeddings have no place in model.py.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use clap::Args;
use harness::checkpoint::{NamedTensor, TensorData};
use harness::overwrite::{self, guard_replace};
use safetensors::{Dtype, tensor::TensorView};
use serde_json::json;

use crate::config::Variant;
use crate::model::Gpt;

/// The `format` marker in the header of the weights and in the JSON config: how a later export knows
/// the files are its own to replace.
pub const FORMAT: &str = "zero-to-gpt nanoGPT export";

/// The flags of `nanogpt export`.
#[derive(Args, Debug, Clone)]
pub struct ExportArgs {
    /// Run directory written by `train` [default: runs/nanogpt].
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Where to write the weights (a name ending in .safetensors); the config goes beside it, the same
    /// name ending in .json. Files there are replaced only if an earlier export wrote them.
    #[arg(long, value_name = "FILE.safetensors")]
    pub out: PathBuf,
}

/// Every weight under its model.py name, with its shape and numbers (the tied head twice).
pub fn state_dict(model: &Gpt) -> Result<Vec<NamedTensor>> {
    ensure!(
        model.config.variant == Variant::Gpt2,
        "--variant microgpt does not export: its RMSNorm without a gain, its ReLU and its norm after the \
         embeddings have no counterpart in nanoGPT's model.py (only --variant gpt2 checkpoints export)"
    );
    let mut tensors: Vec<NamedTensor> = model
        .named_tensors()
        .into_iter()
        .map(|(name, t)| {
            let name = match name.as_str() {
                "wte" | "wpe" => format!("transformer.{name}.weight"), // nn.Embedding's weight
                "lm_head.weight" => name,
                _ => format!("transformer.{name}"),
            };
            NamedTensor::f32(name, t.shape().as_slice(), t.data())
        })
        .collect();
    if model.lm_head.is_none() {
        // model.py ties `transformer.wte.weight = lm_head.weight`: its state_dict has both names.
        let wte = NamedTensor { name: "lm_head.weight".into(), ..tensors[0].clone() };
        tensors.push(wte);
    }
    Ok(tensors)
}

/// model.py's `GPTConfig` (`dropout` 0: these are weights to evaluate), what else it must be told,
/// and the vocabulary.
pub fn config_json(model: &Gpt, vocab: &harness::Vocab, weights: &str) -> serde_json::Value {
    let c = &model.config;
    json!({
        "format": FORMAT,
        "weights": weights,
        "block_size": c.block_size,
        "vocab_size": c.vocab_size,
        "n_layer": c.n_layer,
        "n_head": c.n_head,
        "n_embd": c.n_embd,
        "dropout": 0.0,
        "bias": c.bias,
        "tie_head": c.tie_head,
        "gelu": "tanh",
        "layer_norm_eps": 1e-5,
        // The characters of the ids, for a character model; a BPE model's ids are its tokenizer's.
        "chars": model.tokenizer.is_none().then(|| vocab.chars().iter().collect::<String>()),
        "bos": vocab.bos(),
    })
}

fn is_our_weights(path: &Path) -> bool {
    harness::checkpoint::safetensors_format(path).as_deref() == Some(FORMAT)
}

fn is_our_config(path: &Path) -> bool {
    // Ours are a few kilobytes: anything much bigger is not read.
    std::fs::metadata(path).is_ok_and(|m| m.len() < 1 << 20)
        && std::fs::read(path).is_ok_and(|b| {
            serde_json::from_slice::<serde_json::Value>(&b)
                .is_ok_and(|v| v.get("format").and_then(|f| f.as_str()) == Some(FORMAT))
        })
}

/// `nanogpt export`: loads the checkpoint, then writes both files, each only if nothing but an earlier
/// export is in its place (checked for both before either is written).
pub fn run(args: &ExportArgs, out: &mut dyn Write) -> Result<()> {
    let weights = &args.out;
    let Some(stem) =
        weights.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".safetensors"))
    else {
        bail!("--out {} must be a file name ending in .safetensors", weights.display());
    };
    ensure!(!stem.is_empty(), "--out {} needs a name before .safetensors", weights.display());
    let config = weights.with_file_name(format!("{stem}.json"));
    let dir = args.checkpoint.clone().unwrap_or_else(|| Path::new("runs").join(crate::STAGE));
    let (model, saved) = harness::cli::load::<crate::Stage>(&dir)
        .with_context(|| format!("cannot export {}", dir.display()))?;
    let tensors = state_dict(&model).with_context(|| format!("cannot export {}", dir.display()))?;
    let name = weights.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let config_bytes = serde_json::to_vec_pretty(&config_json(&model, &saved.vocab, &name))?;

    let notes = [guard_replace(weights, is_our_weights)?, guard_replace(&config, is_our_config)?];
    let bytes: Vec<Vec<u8>> = tensors
        .iter()
        .map(|t| match &t.data {
            TensorData::F32(d) => d.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F64(_) => unreachable!("the model's weights are f32"),
        })
        .collect();
    let views = tensors
        .iter()
        .zip(&bytes)
        .map(|(t, b)| Ok((t.name.as_str(), TensorView::new(Dtype::F32, t.shape.clone(), b)?)))
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()?;
    let meta = std::collections::HashMap::from([("format".to_owned(), FORMAT.to_owned())]);
    overwrite::write_atomic(weights, &safetensors::serialize(views, Some(meta))?)?;
    overwrite::write_atomic(&config, &config_bytes)?;
    if let Some(note) = notes.into_iter().flatten().next() {
        eprintln!("note: replacing an earlier export in {}", note.dir.display());
    }
    writeln!(out, "wrote {} ({} tensors) and {}", weights.display(), tensors.len(), config.display())?;
    Ok(())
}
