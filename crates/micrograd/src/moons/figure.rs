//! The picture this lecture is known for: the regions where the trained net says -1 and +1, with the
//! points over them.

use std::path::Path;

use anyhow::Result;
use autograd::Tape;
use harness::overwrite::guard_replace;
use plot::prelude::*;
use plot::{Saved, save_figure};

use super::{MoonsRun, score};

/// Pixels of the figure.
const SIZE: (u32, u32) = (800, 600);
/// Grid cells across: fine enough that the staircase of the boundary is under a pixel or two.
const COLUMNS: usize = 400;

const REGION_NEG: RGBColor = RGBColor(244, 165, 130);
const REGION_POS: RGBColor = RGBColor(146, 197, 222);
const POINT_NEG: RGBColor = RGBColor(178, 24, 43);
const POINT_POS: RGBColor = RGBColor(33, 102, 172);

/// A horizontal run of grid cells on the same side of the boundary: one rectangle instead of hundreds,
/// which keeps the SVG small.
struct Run {
    x: (f64, f64),
    y: (f64, f64),
    positive: bool,
}

/// Classifies a grid over the data (with a margin of 1 on every side, as the notebook does) and
/// merges each row into runs.
fn regions(run: &MoonsRun, x: (f64, f64), y: (f64, f64)) -> Vec<Run> {
    let _drawing = Tape::no_grad();
    let h = (x.1 - x.0) / COLUMNS as f64;
    let rows = ((y.1 - y.0) / h).ceil() as usize;
    let mut runs = Vec::new();
    for r in 0..rows {
        let (y0, y1) = (y.0 + r as f64 * h, (y.0 + (r + 1) as f64 * h).min(y.1));
        let mut start = 0;
        let mut side = None;
        for c in 0..=COLUMNS {
            let here = (c < COLUMNS).then(|| {
                let _point = Tape::scope();
                score(&run.model, [x.0 + (c as f64 + 0.5) * h, (y0 + y1) / 2.0]).data() > 0.0
            });
            if here != side {
                if let Some(positive) = side {
                    runs.push(Run { x: (x.0 + start as f64 * h, x.0 + c as f64 * h), y: (y0, y1), positive });
                }
                (start, side) = (c, here);
            }
        }
    }
    runs
}

/// The smallest and largest of some numbers.
fn span(v: impl Iterator<Item = f64>) -> (f64, f64) {
    v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

/// Words in every figure's title, by which a figure of ours is told from someone else's file.
const MARK: &str = "MLP(2, [16, 16, 1])";

/// Refuses if `STEM.png` or `STEM.svg` exists and is not a figure this demo drew (the SVG, ours or
/// beside our PNG, carries `MARK`).
pub fn check(stem: &Path) -> Result<()> {
    // `STEM.ext` as `plot::save_figure` names it: appended, so a dot in the stem is kept.
    let file = |ext: &str| {
        let mut name = stem.as_os_str().to_owned();
        name.push(format!(".{ext}"));
        std::path::PathBuf::from(name)
    };
    let svg = file("svg");
    for ext in ["png", "svg"] {
        guard_replace(&file(ext), |_| std::fs::read_to_string(&svg).is_ok_and(|s| s.contains(MARK)))?;
    }
    Ok(())
}

/// Draws the decision boundary and the points, and writes `STEM.png` and `STEM.svg`.
pub fn draw_boundary(run: &MoonsRun, stem: &Path) -> Result<Saved> {
    check(stem)?;
    let (xl, xh) = span(run.data.points.iter().map(|p| p[0]));
    let (yl, yh) = span(run.data.points.iter().map(|p| p[1]));
    let (x, y) = ((xl - 1.0, xh + 1.0), (yl - 1.0, yh + 1.0));
    let runs = regions(run, x, y);
    let last = run.history.last().copied();
    let title = match last {
        Some(s) => {
            format!("{MARK}, step {}: loss {:.4}, accuracy {:.0}%", s.step, s.loss, s.accuracy * 100.0)
        }
        None => format!("{MARK}, untrained"),
    };
    save_figure(stem, SIZE, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(&title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
        chart.draw_series(runs.iter().map(|r| {
            let color = if r.positive { REGION_POS } else { REGION_NEG };
            Rectangle::new([(r.x.0, r.y.1), (r.x.1, r.y.0)], color.filled())
        }))?;
        chart.configure_mesh().disable_mesh().label_style(("sans-serif", 14)).draw()?;
        let points = run.data.points.iter().zip(&run.data.labels);
        chart.draw_series(points.clone().map(|(p, &l)| {
            let color = if l > 0.0 { POINT_POS } else { POINT_NEG };
            Circle::new((p[0], p[1]), 5, color.filled())
        }))?;
        chart.draw_series(points.map(|(p, _)| Circle::new((p[0], p[1]), 5, WHITE.stroke_width(1))))?;
        Ok(())
    })
}
