//! The lecture's iconic figure: the count table N as a heatmap, each cell labelled with its bigram and
//! its count.

use std::path::Path;

use anyhow::Result;
use harness::vocab::Vocab;

use crate::model::Counts;

// ANCHOR: heatmap
/// Draws N (V, V) as `STEM.png` and `STEM.svg`. Rows are the first character, columns the second;
/// BOS is `.` (the last row and column: our vocabulary puts it after the letters).
pub fn heatmap(counts: &Counts, vocab: &Vocab, stem: &Path) -> Result<plot::Saved> {
    let v = vocab.len();
    let labels: Vec<String> = (0..v).map(|i| vocab.itos(i).to_string()).collect();
    let text = (0..v * v).map(|k| format!("{}{}\n{}", labels[k / v], labels[k % v], counts.n[k]));
    let title = "bigram counts N[first, second]: how often the second character follows the first";
    plot::Heatmap::new(title, v, v, counts.n.iter().map(|&c| c as f64).collect())?
        .row_labels(labels.clone())
        .col_labels(labels.clone())
        .cell_text(text)
        .save(stem, (60 * v as u32 + 80, 60 * v as u32 + 120))
}
// ANCHOR_END: heatmap
