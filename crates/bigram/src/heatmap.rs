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

/// The most tokens a heatmap draws: 64 characters make a 3,920-pixel square image with 4,096 labelled
/// cells (the lecture's 27 make 1,700 pixels); beyond that it is neither readable nor cheap to draw.
pub const MAX_TOKENS: usize = 64;

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
        anyhow::ensure!(
            data.vocab.len() <= MAX_TOKENS,
            "the data has {} distinct characters: a heatmap draws at most {} (the table would be {} cells)",
            data.vocab.len() - 1,
            MAX_TOKENS - 1,
            data.vocab.len() as u128 * data.vocab.len() as u128
        );
        let saved = heatmap(
            &Counts::from_words(&data.all, data.vocab.len()),
            &data.vocab,
            &self.figure.stem::<crate::Stage>("bigram-heatmap"),
        )?;
        writeln!(out, "wrote {} and {}", saved.png.display(), saved.svg.display())?;
        Ok(())
    }
}
