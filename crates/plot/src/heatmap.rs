//! A matrix as a grid of shaded cells, optionally with text in each: the bigram count table, attention
//! weights, a confusion of characters.

use std::path::Path;

use anyhow::{Result, ensure};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figure::{Saved, save_figure};
use crate::font;

/// matplotlib's "Blues" colour map at nine evenly spaced stops, the one the makemore lecture shades
/// its count table with; light means small, dark means large.
const BLUES: [(u8, u8, u8); 9] = [
    (247, 251, 255),
    (222, 235, 247),
    (198, 219, 239),
    (158, 202, 225),
    (107, 174, 214),
    (66, 146, 198),
    (33, 113, 181),
    (8, 81, 156),
    (8, 48, 107),
];

/// The "Blues" colour at `t` in [0, 1] (clamped), interpolated linearly between stops.
pub fn blues(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (BLUES.len() - 1) as f64;
    let i = (pos.floor() as usize).min(BLUES.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (BLUES[i], BLUES[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A heatmap of a `rows × cols` matrix, with optional row and column labels and per-cell text.
///
/// ```no_run
/// // A 2×2 count table with the bigram and its count written in each cell.
/// plot::Heatmap::new("counts", 2, 2, vec![5.0, 1.0, 0.0, 3.0])?
///     .row_labels(["a", "b"])
///     .col_labels(["a", "b"])
///     .cell_text(["aa\n5", "ab\n1", "ba\n0", "bb\n3"])
///     .save("runs/figures/counts".as_ref(), (400, 420))?;
/// # anyhow::Ok(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    title: String,
    rows: usize,
    cols: usize,
    values: Vec<f64>,
    row_labels: Vec<String>,
    col_labels: Vec<String>,
    cell_text: Vec<String>,
}

impl Heatmap {
    /// A heatmap of `values`, row-major, `rows * cols` of them. Shading runs from the smallest finite
    /// value (lightest) to the largest (darkest); a non-finite cell is drawn grey.
    pub fn new(title: impl Into<String>, rows: usize, cols: usize, values: Vec<f64>) -> Result<Self> {
        ensure!(rows > 0 && cols > 0, "a heatmap needs at least one row and one column, got {rows}x{cols}");
        ensure!(
            values.len() == rows * cols,
            "a {rows}x{cols} heatmap needs {} values, got {}",
            rows * cols,
            values.len()
        );
        Ok(Heatmap {
            title: title.into(),
            rows,
            cols,
            values,
            row_labels: Vec::new(),
            col_labels: Vec::new(),
            cell_text: Vec::new(),
        })
    }

    /// One label per row, drawn left of the grid.
    pub fn row_labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.row_labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// One label per column, drawn above the grid.
    pub fn col_labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.col_labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Text for every cell, row-major; `\n` stacks lines (the lecture's figure writes the bigram over
    /// its count). The font shrinks to fit the cell.
    pub fn cell_text<S: Into<String>>(mut self, text: impl IntoIterator<Item = S>) -> Self {
        self.cell_text = text.into_iter().map(Into::into).collect();
        self
    }

    /// Draws the heatmap and writes `STEM.png` and `STEM.svg`.
    pub fn save(&self, stem: &Path, size: (u32, u32)) -> Result<Saved> {
        save_figure(stem, size, |area| self.draw(area))
    }

    /// Draws the heatmap on any drawing area, as large as fits with square cells, centred.
    pub fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        font::register()?;
        let (rows, cols) = (self.rows, self.cols);
        for (what, len, want) in [
            ("row labels", self.row_labels.len(), rows),
            ("column labels", self.col_labels.len(), cols),
            ("cell texts", self.cell_text.len(), rows * cols),
        ] {
            ensure!(len == 0 || len == want, "heatmap {:?} has {len} {what}, expected {want}", self.title);
        }

        let area = area.titled(&self.title, ("sans-serif", 22))?;
        let label_style = TextStyle::from(("sans-serif", 14).into_font()).color(&BLACK);
        let widest = |labels: &[String]| -> Result<(u32, u32)> {
            let mut size = (0, 0);
            for l in labels {
                let (w, h) = area.estimate_text_size(l, &label_style)?;
                size = (size.0.max(w), size.1.max(h));
            }
            Ok(size)
        };
        // Room for labels: row labels are as wide as the widest, column labels as tall as one line.
        let left = if self.row_labels.is_empty() { 0 } else { widest(&self.row_labels)?.0 as i32 + 8 };
        let top = if self.col_labels.is_empty() { 0 } else { widest(&self.col_labels)?.1 as i32 + 8 };
        let margin = 10;
        let (w, h) = area.dim_in_pixel();
        let cell =
            ((w as i32 - 2 * margin - left) / cols as i32).min((h as i32 - 2 * margin - top) / rows as i32);
        ensure!(cell >= 2, "heatmap {:?}: a {rows}x{cols} grid does not fit in {w}x{h} pixels", self.title);
        // Centre the grid (with its labels) in the area.
        let x0 = (w as i32 - cols as i32 * cell - left) / 2 + left;
        let y0 = (h as i32 - rows as i32 * cell - top) / 2 + top;

        let finite = self.values.iter().copied().filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min);
        let hi = finite.fold(f64::NEG_INFINITY, f64::max);
        let shade = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };

        for r in 0..rows {
            for c in 0..cols {
                let v = self.values[r * cols + c];
                let (cx, cy) = (x0 + c as i32 * cell, y0 + r as i32 * cell);
                let fill = if v.is_finite() { blues(shade(v)) } else { RGBColor(200, 200, 200) };
                area.draw(&Rectangle::new([(cx, cy), (cx + cell, cy + cell)], fill.filled()))?;
                if let Some(text) = self.cell_text.get(r * cols + c) {
                    // Light text on the dark half of the map, dark text on the light half.
                    let ink = if v.is_finite() && shade(v) > 0.55 { WHITE } else { RGBColor(60, 60, 60) };
                    draw_centered_lines(&area, text, (cx + cell / 2, cy + cell / 2), cell, ink)?;
                }
            }
        }
        let centred = |h, v| label_style.clone().pos(Pos::new(h, v));
        for (r, label) in self.row_labels.iter().enumerate() {
            let at = (x0 - 6, y0 + r as i32 * cell + cell / 2);
            area.draw(&Text::new(label.as_str(), at, centred(HPos::Right, VPos::Center)))?;
        }
        for (c, label) in self.col_labels.iter().enumerate() {
            let at = (x0 + c as i32 * cell + cell / 2, y0 - 6);
            area.draw(&Text::new(label.as_str(), at, centred(HPos::Center, VPos::Bottom)))?;
        }
        Ok(())
    }
}

/// Draws `text`'s lines stacked and centred on `center`, in a font sized to fit a `cell`-pixel square.
fn draw_centered_lines<DB>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    center: (i32, i32),
    cell: i32,
    ink: RGBColor,
) -> Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let lines: Vec<&str> = text.lines().collect();
    let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0).max(1);
    // DejaVu Sans glyphs average about 0.6 em wide; leave a tenth of the cell free on each side.
    let px =
        (0.8 * cell as f64 / lines.len().max(1) as f64 / 1.2).min(0.8 * cell as f64 / (0.6 * longest as f64));
    if px < 5.0 {
        return Ok(()); // Too small to read: a blank cell is better than a smudge.
    }
    let style =
        TextStyle::from(("sans-serif", px).into_font()).color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
    let step = 1.2 * px;
    let first = center.1 as f64 - step * (lines.len() as f64 - 1.0) / 2.0;
    for (i, line) in lines.iter().enumerate() {
        let y = (first + step * i as f64).round() as i32;
        area.draw(&Text::new(*line, (center.0, y), style.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blues_runs_from_light_to_dark_and_clamps() {
        assert_eq!(blues(0.0), RGBColor(247, 251, 255));
        assert_eq!(blues(1.0), RGBColor(8, 48, 107));
        assert_eq!(blues(-3.0), blues(0.0));
        assert_eq!(blues(7.0), blues(1.0));
        assert_eq!(blues(0.5), RGBColor(107, 174, 214)); // exactly the middle stop
        let lightness = |c: RGBColor| c.0 as u32 + c.1 as u32 + c.2 as u32;
        assert!((0..10).all(|i| lightness(blues(i as f64 / 10.0)) > lightness(blues((i + 1) as f64 / 10.0))));
    }

    #[test]
    fn shape_mismatches_are_errors() {
        assert!(Heatmap::new("t", 2, 2, vec![0.0; 3]).is_err());
        assert!(Heatmap::new("t", 0, 2, vec![]).is_err());
    }
}
