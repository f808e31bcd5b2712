//! `nanogpt attention`: what the trained heads look at. For one name (or a snippet of text) the model
//! runs as in sampling, and every head of every layer shows its (T, T) attention weights as a heatmap:
//! row t is how position t spreads its attention over positions 0..=t (each row sums to 1, and the
//! cells above the diagonal, the future, are 0).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, ensure};
use autograd::{Tensor, TensorTape};

use crate::data::Source;
use crate::model::{Gpt, Mode};

/// The most positions a figure draws: 32 make a readable grid of cells with a character on each axis.
pub const MAX_POSITIONS: usize = 32;

// ANCHOR: attention_weights
/// The attention weights of every head on the tokens `idx`: `maps[layer][head]` is (T, T), row-major.
/// They are the softmax that the model's fused attention op keeps to itself, computed here as the
/// chapter writes it: scores q·kᵀ/√D, the causal mask, softmax.
pub fn attention_weights(model: &Gpt, idx: &[usize]) -> Vec<Vec<Vec<f32>>> {
    let (_scope, _no_grad) = (TensorTape::scope(), TensorTape::no_grad());
    let (t, c, h) = (idx.len(), model.config.n_embd, model.config.n_head);
    let d = c / h;
    let mut x = embedded(model, idx); // (1, T, C)
    let mut maps = Vec::new();
    for block in &model.h {
        let qkv = block.attn.c_attn.forward(block.ln_1.forward(x)); // (1, T, 3C)
        let heads = |i: usize| qkv.narrow(2, i * c, c).reshape(&[1, t, h, d]).transpose(1, 2); // (1, H, T, D)
        let att = heads(0).matmul_t(heads(1)) * (1.0 / (d as f32).sqrt()); // (1, H, T, T)
        let att = att.causal_mask().softmax();
        maps.push(att.data().chunks_exact(t * t).map(<[f32]>::to_vec).collect());
        x = block.forward(x, &mut Mode::Eval);
    }
    maps
}
// ANCHOR_END: attention_weights

/// What the first block reads, as `Gpt::forward` computes it: token and position embeddings (and
/// microGPT's norm of them). (1, T, C).
fn embedded(model: &Gpt, idx: &[usize]) -> Tensor {
    let t = idx.len();
    let x = model.wte.embedding(idx, &[1, t]) + model.wpe.narrow(0, 0, t);
    match &model.ln_e {
        Some(ln_e) => ln_e.forward(x),
        None => x,
    }
}

/// The same weights applied to the values, for the test that they are the model's own: (1, T, C).
pub fn attend(model: &Gpt, idx: &[usize], layer: usize, weights: &[Vec<f32>]) -> (Tensor, Tensor) {
    let (t, c, h) = (idx.len(), model.config.n_embd, model.config.n_head);
    let d = c / h;
    let mut x = embedded(model, idx);
    for block in &model.h[..layer] {
        x = block.forward(x, &mut Mode::Eval);
    }
    let qkv = model.h[layer].attn.c_attn.forward(model.h[layer].ln_1.forward(x)); // (1, T, 3C)
    let v = qkv.narrow(2, 2 * c, c).reshape(&[1, t, h, d]).transpose(1, 2); // (1, H, T, D)
    let att = Tensor::new(&weights.concat(), &[1, h, t, t]);
    let ours = att.matmul(v).transpose(1, 2).reshape(&[1, t, c]); // (1, T, C)
    (ours, qkv.causal_self_attention(h))
}

/// `nanogpt attention`: draw every head's attention on one name or snippet of text.
#[derive(Debug, Clone, clap::Args)]
pub struct AttentionArgs {
    /// A checkpoint directory written by `train`.
    #[arg(long, default_value = "runs/nanogpt")]
    pub checkpoint: PathBuf,
    /// The name (or, for a text model, the snippet) to run the model on.
    #[arg(long, default_value = "isabella")]
    pub text: String,
    /// Where to write the figure: STEM.png and STEM.svg [default: runs/nanogpt/attention].
    #[arg(long)]
    pub figure: Option<PathBuf>,
}

impl AttentionArgs {
    /// Loads the model, runs it on `--text` and draws the layers × heads grid of heatmaps.
    pub fn run(&self, out: &mut dyn Write) -> Result<()> {
        let (model, saved) = harness::cli::load::<crate::Stage>(&self.checkpoint)?;
        ensure!(!self.text.is_empty(), "--text is empty: give a name or a snippet of text");
        let mut idx = match &model.tokenizer {
            Some(bpe) => bpe.encode_ordinary(&self.text)?.into_iter().map(|id| id as usize).collect(),
            None => saved.vocab.encode(&self.text)?,
        };
        if model.config.source == Source::Names {
            idx.insert(0, saved.vocab.bos()); // a name is read after BOS, as in training
        }
        let t = idx.len();
        let most = MAX_POSITIONS.min(model.config.block_size);
        ensure!(t <= most, "--text needs {t} positions; the figure draws at most {most}");
        let maps = attention_weights(&model, &idx);
        let label = |i: usize| -> Result<String> {
            Ok(match &model.tokenizer {
                Some(bpe) => bpe.decode_lossy(&[i as u32])?, // a token's bytes, as text
                None if i == saved.vocab.bos() => ".".to_owned(),
                None => saved.vocab.itos(i).to_string(),
            })
        };
        let labels: Vec<String> =
            idx.iter().map(|&i| Ok(label(i)?.replace('\n', "⏎"))).collect::<Result<_>>()?;
        let (layers, heads) = (maps.len(), model.config.n_head);
        let stem =
            self.figure.clone().unwrap_or_else(|| ["runs", crate::STAGE, "attention"].iter().collect());
        let cell = 28 * t as u32 + 90; // one panel: a square of cells, labels and a title
        let saved_figure =
            plot::save_figure(&stem, (cell * heads as u32, cell * layers as u32 + 40), |area| {
                let area = area.titled(
                    &format!("attention weights on {:?}: row = query, column = key", self.text),
                    ("sans-serif", 24),
                )?;
                for (k, panel) in area.split_evenly((layers, heads)).iter().enumerate() {
                    let (layer, head) = (k / heads, k % heads);
                    let values = maps[layer][head].iter().map(|&w| f64::from(w)).collect();
                    plot::Heatmap::new(format!("layer {layer}, head {head}"), t, t, values)?
                        .row_labels(labels.clone())
                        .col_labels(labels.clone())
                        .draw(panel)?;
                }
                Ok(())
            })?;
        writeln!(out, "wrote {} and {}", saved_figure.png.display(), saved_figure.svg.display())?;
        Ok(())
    }
}
