//! `bigram heatmap`, the lecture's iconic figure: the count table N as a heatmap, each cell labelled with its bigram and
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

/// `bigram heatmap`: count every word of `--data` and draw the table.
#[derive(Debug, Clone, clap::Args)]
pub struct HeatmapArgs {
    #[command(flatten)]
    pub figure: harness::cli::FigureArgs,
}

impl HeatmapArgs {
    /// Counts every word of the data and draws the table.
    pub fn run(&self, out: &mut dyn std::io::Write) -> Result<()> {
        let data = crate::data::Dataset::new(&self.figure.docs()?)?;
        let saved = heatmap(
            &Counts::from_words(&data.all, data.vocab.len()),
            &data.vocab,
            &self.figure.stem("bigram-heatmap"),
        )?;
        writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
        Ok(())
    }
}
