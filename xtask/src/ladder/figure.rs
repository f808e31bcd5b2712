//! `ladder.png` / `ladder.svg`: every rung's val loss against the seconds it trained (what each rung
//! buys) and against the names it learned from (what batching does to the optimisation), log axes.

use std::path::Path;

use anyhow::Result;
use plot::{Legend, LineChart, Saved};

use super::{Budget, Row};

/// Pixels: two panels side by side, a strip for the legend below.
const SIZE: (u32, u32) = (1400, 620);
const LEGEND_HEIGHT: u32 = 80;

/// The two panels, the same series in the same order (so the same colours).
pub fn charts(rows: &[Row], budget: &Budget, smoke: bool) -> (LineChart, LineChart) {
    let prefix = if smoke { "SMOKE TEST (--quick): " } else { "" };
    let target = format!("target: val loss {:.2}", budget.target);
    let base = |title: &str, x_label: &str| {
        LineChart::new(format!("{prefix}{title}"))
            .x_label(x_label)
            .y_label("validation loss (nats per character)")
            .log_x()
            .legend(Legend::Hidden)
            .reference(target.clone(), budget.target)
    };
    let mut by_time =
        base("one model, six engines: the loss against the time it took", "seconds of training (log scale)");
    let mut by_names = base("the same runs against the names learned from", "names seen (log scale)");
    for (i, row) in rows.iter().enumerate() {
        let name = format!("{}. {}", i + 1, row.rung.adds);
        let points = |x: &dyn Fn(&harness::Record) -> Option<f64>| -> Vec<(f64, f64)> {
            row.records.iter().filter_map(|r| Some((x(r)?, r.val_loss?))).filter(|p| p.0 > 0.0).collect()
        };
        by_time = by_time.series(&name, points(&|r| r.train_s));
        by_names = by_names.series(&name, points(&|r| Some((r.step * row.rung.batch) as f64)));
    }
    (by_time, by_names)
}

/// Draws the figure into `STEM.png` and `STEM.svg`.
pub fn draw(rows: &[Row], budget: &Budget, smoke: bool, stem: &Path) -> Result<Saved> {
    let (by_time, by_names) = charts(rows, budget, smoke);
    plot::save_figure(stem, SIZE, |area| {
        let (panels, legend) = area.split_vertically(SIZE.1 - LEGEND_HEIGHT);
        let (left, right) = panels.split_horizontally(SIZE.0 / 2);
        by_time.draw(&left)?;
        by_names.draw(&right)?;
        by_time.draw_legend(&legend.margin(4, 0, 60, 20))?;
        Ok(())
    })
}
