//! `loss.png` / `loss.svg`: every stage's validation loss against tokens seen (how much each idea learns
//! from the same data) and against wall-clock seconds (what it costs), with the uniform guess and the
//! count bigram as reference lines, and one legend below both panels where it cannot hide a curve.

use std::path::Path;

use anyhow::{Result, ensure};
use harness::Record;
use plot::prelude::*;
use plot::{Legend, LineChart, Saved};

use super::summary::References;

/// Pixels: two panels side by side, a strip for the legend below.
const SIZE: (u32, u32) = (1400, 620);
const LEGEND_HEIGHT: u32 = 64;

/// Runs shorter than this (a count table's one pass) have no place on a log time axis.
const SHORTEST_TIME_S: f64 = 1e-2;

/// The (x, val loss) points of a run log, x read by `x`.
/// (An evaluation before the first step, at 0 tokens, has no place on the log axes: it is left out.)
fn val_points(records: &[Record], x: impl Fn(&Record) -> f64) -> Vec<(f64, f64)> {
    records.iter().filter(|r| r.tokens_seen > 0).filter_map(|r| Some((x(r), r.val_loss?))).collect()
}

/// The two panels, each a chart with the same series in the same order (so the same colours).
/// With `smoke` (`--quick`), both titles say that the run only checked that everything runs.
pub fn charts(stages: &[(String, Vec<Record>)], refs: &References, smoke: bool) -> (LineChart, LineChart) {
    let uniform = format!("uniform guess: ln({}) = {:.2}", refs.vocab_size, refs.uniform);
    let counts = format!("count bigram: {:.2}", refs.count_bigram);
    let prefix = if smoke { "SMOKE TEST (--quick, too few steps to compare): " } else { "" };
    let base = |title: &str, x_label: &str| {
        LineChart::new(format!("{prefix}{title}"))
            .x_label(x_label)
            .y_label("validation loss (nats per character)")
            .log_x()
            .legend(Legend::Hidden)
            .reference(uniform.clone(), refs.uniform)
            .reference(counts.clone(), refs.count_bigram)
    };
    let mut by_tokens = base("what each idea learns from the same data", "tokens seen (log scale)");
    let mut by_time = base("what it costs", "wall-clock seconds (log scale)");
    for (name, records) in stages {
        by_tokens = by_tokens.series(name, val_points(records, |r| r.tokens_seen as f64));
        let timed = val_points(records, |r| r.elapsed_s).into_iter().filter(|p| p.0 >= SHORTEST_TIME_S);
        by_time = by_time.series(name, timed);
    }
    (by_tokens, by_time)
}

/// Draws the figure into `STEM.png` and `STEM.svg`.
pub fn draw(stages: &[(String, Vec<Record>)], refs: &References, smoke: bool, stem: &Path) -> Result<Saved> {
    ensure!(
        stages.iter().any(|(_, r)| r.iter().any(|r| r.val_loss.is_some())),
        "no stage logged a validation loss: nothing to plot"
    );
    let (by_tokens, by_time) = charts(stages, refs, smoke);
    plot::save_figure(stem, SIZE, |area| {
        let (panels, legend) = area.split_vertically(SIZE.1 - LEGEND_HEIGHT);
        let (left, right) = panels.split_horizontally(SIZE.0 / 2);
        by_tokens.draw(&left)?;
        // Every run too quick to time (a count table alone): say so rather than fail the figure.
        if by_time.draw(&right).is_err() {
            right.fill(&WHITE)?;
            let (w, h) = right.dim_in_pixel();
            let msg = "no run lasted long enough to time";
            right.draw(&Text::new(msg, (w as i32 / 2 - 140, h as i32 / 2), ("sans-serif", 18)))?;
        }
        by_tokens.draw_legend(&legend.margin(4, 0, 60, 20))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(step: usize, tokens: u64, t: f64, val: Option<f64>) -> Record {
        Record {
            stage: "s".into(),
            step,
            tokens_seen: tokens,
            elapsed_s: t,
            train_loss: Some(3.0),
            val_loss: val,
            val_bpb: None,
            train_s: None,
        }
    }

    #[test]
    fn only_logged_val_losses_are_plotted() {
        let log = [
            rec(0, 0, 0.2, Some(3.4)), // before the first step
            rec(1, 10, 0.001, Some(3.3)),
            rec(2, 20, 0.5, None),
            rec(3, 30, 1.0, Some(2.9)),
        ];
        assert_eq!(val_points(&log, |r| r.tokens_seen as f64), [(10.0, 3.3), (30.0, 2.9)]);
        assert_eq!(val_points(&log, |r| r.elapsed_s), [(0.001, 3.3), (1.0, 2.9)]);
    }

    #[test]
    fn the_figure_is_written_as_png_and_svg() {
        let refs = References { vocab_size: 27, uniform: 27f64.ln(), count_bigram: 2.45 };
        let stages = vec![
            ("mlp".to_owned(), vec![rec(1, 100, 0.1, Some(3.2)), rec(2, 1000, 1.0, Some(2.4))]),
            ("bigram-counts".to_owned(), vec![rec(1, 500, 0.0001, Some(2.45))]),
        ];
        let dir = std::env::temp_dir().join(format!("xtask-figure-{}", std::process::id()));
        let saved = draw(&stages, &refs, false, &dir.join("loss")).unwrap();
        let png = std::fs::read(&saved.png).unwrap();
        let svg = std::fs::read_to_string(&saved.svg).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (w, h) = crate::png_size(&png).unwrap();
        assert_eq!((w, h), SIZE);
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("SMOKE TEST"));
        for label in ["tokens seen", "wall-clock seconds", "mlp", "bigram-counts", "uniform guess: ln(27)"] {
            assert!(svg.contains(label), "the SVG lacks {label:?}");
        }
        // No stage with a val loss: an error, not an empty picture.
        let none = vec![("mlp".to_owned(), vec![rec(1, 100, 0.1, None)])];
        assert!(draw(&none, &refs, false, &std::env::temp_dir().join("never-written")).is_err());
        // A --quick run says, in both panels' titles, that it only checked that everything runs.
        let smoke = draw(&stages, &refs, true, &dir.join("smoke")).unwrap();
        let svg = std::fs::read_to_string(&smoke.svg).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(svg.matches("SMOKE TEST (--quick").count(), 2);
    }
}
