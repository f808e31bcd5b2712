//! Named curves on shared axes: the loss-curve figure that every comparison draws.

use std::path::Path;

use anyhow::{Result, bail, ensure};
use plotters::coord::Shift;
use plotters::coord::combinators::{BindKeyPoints, LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figure::{Saved, save_figure};
use crate::font;

/// How an axis maps values to pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Equal distances for equal differences.
    #[default]
    Linear,
    /// Equal distances for equal ratios: the right view of a loss that falls by orders of magnitude,
    /// or of steps that span 10 to 100,000. Points at or below zero have no place on it and are left out.
    Log,
}

/// Where a chart puts its legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Inside the plot, top right: where falling loss curves leave room.
    #[default]
    UpperRight,
    /// Inside the plot, top left.
    UpperLeft,
    /// Inside the plot, bottom left.
    LowerLeft,
    /// Inside the plot, bottom right.
    LowerRight,
    /// No legend: the caller draws one elsewhere (e.g. [`LineChart::draw_legend`] in a strip of its own,
    /// so that it cannot hide a curve).
    Hidden,
}

/// A horizontal reference line: a value every curve is measured against (a baseline, a best result).
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    /// Shown in the legend.
    name: String,
    y: f64,
}

/// The colour of reference lines: grey, so they read as context rather than as another curve.
const REFERENCE_COLORS: [RGBColor; 2] = [RGBColor(90, 90, 90), RGBColor(160, 160, 160)];

/// One named curve: (x, y) points in drawing order.
#[derive(Debug, Clone, PartialEq)]
struct Series {
    /// Shown in the legend.
    name: String,
    /// Points with a non-finite coordinate (a NaN loss, say) are left out rather than failing the
    /// figure: the curve up to the divergence is exactly what a learner wants to see.
    points: Vec<(f64, f64)>,
}

/// Colours that stay distinguishable for the common kinds of colour blindness (Okabe and Ito), in the
/// order series are added. Series beyond the eighth reuse them.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// The colour of the `i`-th series, for figures that draw extra marks in a series' colour.
pub fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A line chart of named series with a legend, built up and then drawn or saved.
///
/// ```no_run
/// let steps = (1..=100).map(f64::from);
/// plot::LineChart::new("training loss")
///     .x_label("step")
///     .y_label("loss")
///     .log_y()
///     .series("bigram", steps.clone().map(|s| (s, 3.0 / s.sqrt())))
///     .series("mlp", steps.map(|s| (s, 2.5 / s.sqrt())))
///     .save("runs/figures/loss".as_ref(), (800, 500))?;
/// # anyhow::Ok(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    x_scale: Scale,
    y_scale: Scale,
    series: Vec<Series>,
    references: Vec<Reference>,
    legend: Legend,
}

impl LineChart {
    /// An empty chart with a title.
    pub fn new(title: impl Into<String>) -> Self {
        LineChart { title: title.into(), ..Default::default() }
    }

    /// The x axis's description.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// The y axis's description.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// A logarithmic x axis.
    pub fn log_x(mut self) -> Self {
        self.x_scale = Scale::Log;
        self
    }

    /// A logarithmic y axis.
    pub fn log_y(mut self) -> Self {
        self.y_scale = Scale::Log;
        self
    }

    /// Sets both scales at once, for callers that take them from a flag.
    pub fn scales(mut self, x: Scale, y: Scale) -> Self {
        self.x_scale = x;
        self.y_scale = y;
        self
    }

    /// Adds a curve; it gets the next palette colour and a legend entry. Points that cannot be drawn
    /// (non-finite, or not positive on a log axis) are skipped, so a run that diverged to NaN still
    /// shows its curve up to the divergence.
    pub fn series(mut self, name: impl Into<String>, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        self.series.push(Series { name: name.into(), points: points.into_iter().collect() });
        self
    }

    /// Adds a dashed horizontal reference line at `y` across the whole chart, with a legend entry.
    /// The y axis always includes it.
    pub fn reference(mut self, name: impl Into<String>, y: f64) -> Self {
        self.references.push(Reference { name: name.into(), y });
        self
    }

    /// Where the legend goes (default: upper right, inside the plot).
    pub fn legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    /// Draws the chart and writes `STEM.png` and `STEM.svg`.
    pub fn save(&self, stem: &Path, size: (u32, u32)) -> Result<Saved> {
        save_figure(stem, size, |area| self.draw(area))
    }

    /// The points that can be drawn on these scales: finite, and positive on a log axis.
    fn drawable(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let fits = |v: f64, scale| v.is_finite() && (scale == Scale::Linear || v > 0.0);
        points.iter().copied().filter(|&(x, y)| fits(x, self.x_scale) && fits(y, self.y_scale)).collect()
    }

    /// Draws the chart on any drawing area: a whole figure, or one panel of a split one.
    pub fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        font::register()?;
        ensure!(!self.series.is_empty(), "line chart {:?} has no series", self.title);
        let curves: Vec<Vec<(f64, f64)>> = self.series.iter().map(|s| self.drawable(&s.points)).collect();
        let all = curves.iter().flatten();
        let refs = self.references.iter().map(|r| r.y).filter(|&y| self.drawable(&[(1.0, y)]).len() == 1);
        let (Some(x), Some(y)) = (bounds(all.clone().map(|p| p.0)), bounds(all.map(|p| p.1).chain(refs)))
        else {
            bail!("line chart {:?} has no point that can be drawn on its axes", self.title);
        };
        // One generic body, instantiated for each pair of scales: linear and log axes are different types.
        match (self.x_scale, self.y_scale) {
            (Scale::Linear, Scale::Linear) => self.draw_on(area, &curves, linear(x), linear(y)),
            (Scale::Linear, Scale::Log) => self.draw_on(area, &curves, linear(x), log(y)),
            (Scale::Log, Scale::Linear) => self.draw_on(area, &curves, log(x), linear(y)),
            (Scale::Log, Scale::Log) => self.draw_on(area, &curves, log(x), log(y)),
        }
    }

    fn draw_on<DB, X, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        curves: &[Vec<(f64, f64)>],
        x: X,
        y: Y,
    ) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let (x_lo, x_hi) = (chart.x_range().start, chart.x_range().end);
        for (i, reference) in self.references.iter().enumerate() {
            let style = REFERENCE_COLORS[i % REFERENCE_COLORS.len()].stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new([(x_lo, reference.y), (x_hi, reference.y)], 8, 5, style))?
                .label(&reference.name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 8, y), (x + 12, y), (x + 20, y)], style)
                });
        }
        for (i, (series, points)) in self.series.iter().zip(curves).enumerate() {
            let color = series_color(i);
            // A curve of one point would draw nothing; a dot shows where that one measurement lies.
            if let [point] = points.as_slice() {
                chart.draw_series(std::iter::once(Circle::new(*point, 4, color.filled())))?;
            }
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))?
                .label(&series.name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        let position = match self.legend {
            Legend::Hidden => return Ok(()),
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
        };
        chart
            .configure_series_labels()
            .position(position)
            .label_font(("sans-serif", 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

impl LineChart {
    /// Draws this chart's legend on an area of its own, entries left to right and wrapping into rows:
    /// for figures whose curves fill the plot, or that share one legend between several panels. Same
    /// colours and marks as [`LineChart::draw`]; pair it with [`Legend::Hidden`].
    pub fn draw_legend<DB>(&self, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        font::register()?;
        let text = TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let entries =
            self.series.iter().enumerate().map(|(i, s)| (s.name.as_str(), series_color(i), false)).chain(
                self.references
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.name.as_str(), REFERENCE_COLORS[i % REFERENCE_COLORS.len()], true)),
            );
        let (width, _) = area.dim_in_pixel();
        let (row_height, swatch, gap) = (22i32, 24i32, 28i32);
        let (mut x, mut y) = (12i32, 6i32);
        for (name, color, dashed) in entries {
            let (text_w, _) = area.estimate_text_size(name, &text)?;
            let entry_w = swatch + 6 + text_w as i32;
            if x > 12 && x + entry_w > width as i32 - 12 {
                (x, y) = (12, y + row_height);
            }
            let mid = y + row_height / 2;
            let style = color.stroke_width(2);
            if dashed {
                for start in (0..swatch).step_by(10) {
                    area.draw(&PathElement::new(
                        [(x + start, mid), (x + (start + 6).min(swatch), mid)],
                        style,
                    ))?;
                }
            } else {
                area.draw(&PathElement::new([(x, mid), (x + swatch, mid)], style))?;
            }
            area.draw(&Text::new(name, (x + swatch + 6, mid), text.clone()))?;
            x += entry_w + gap;
        }
        Ok(())
    }
}

/// The smallest and largest of some values, or `None` if there are none.
fn bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// A linear axis over the data with 3% headroom each side, so no curve runs along the frame.
fn linear((lo, hi): (f64, f64)) -> std::ops::Range<f64> {
    let pad = if hi > lo { 0.03 * (hi - lo) } else { lo.abs().max(1.0) * 0.5 };
    (lo - pad)..(hi + pad)
}

/// A log axis over the data with the same headroom as a ratio; one point still gets a visible range.
///
/// plotters labels a log axis only at powers of ten, so a loss falling from 3.3 to 2.1 (the usual case)
/// would get no labels at all. The ticks are chosen here instead: see [`log_ticks`].
fn log((lo, hi): (f64, f64)) -> WithKeyPoints<LogCoord<f64>> {
    let ratio = if hi > lo { (hi / lo).powf(0.03) } else { 2.0 };
    let (lo, hi) = (lo / ratio, hi * ratio);
    let minor = ticks_with(lo, hi, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    LogCoord::from((lo..hi).log_scale()).with_key_points(log_ticks(lo, hi)).with_light_points(minor)
}

/// Every `m · 10^k` in `[lo, hi]` for the mantissas `m` given, ascending.
fn ticks_with(lo: f64, hi: f64, mantissas: &[f64]) -> Vec<f64> {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (first..=last)
        .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// Labelled ticks for a log axis over `[lo, hi]`: powers of ten when the range spans several decades
/// (thinned to at most about ten), else 1-2-5 steps, else every integer mantissa, and within a factor
/// too narrow even for that, evenly spaced values.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = ticks_with(lo, hi, &[1.0]);
    if decades.len() >= 3 {
        let every = decades.len().div_ceil(10);
        return decades.into_iter().step_by(every).collect();
    }
    for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]] {
        let ticks = ticks_with(lo, hi, mantissas);
        if ticks.len() >= 3 {
            return ticks;
        }
    }
    // A 1-2-5 step that gives at least four ticks across the range.
    let span = hi - lo;
    let mut step = 10f64.powf(span.log10().floor());
    while span / step < 4.0 {
        step = if (step / 10f64.powf(step.log10().floor()) - 1.0).abs() < 1e-9 {
            step / 2.0
        } else {
            step / 2.5
        };
    }
    let first = (lo / step).ceil() as i64;
    (first..).map(|i| i as f64 * step).take_while(|&v| v <= hi).collect()
}

/// An axis label for a tick value: short (`2`, not `2.0`), free of floating-point noise (`0.3`, not
/// `0.30000000000000004`), and in exponent form where digits would crowd the axis (`1e5`).
fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    // Six significant digits are more than any axis needs and drop the rounding noise in the last ones.
    let scale = 10f64.powi(5 - magnitude);
    let rounded = (v * scale).round() / scale;
    if !(-3..5).contains(&magnitude) { format!("{rounded:e}") } else { format!("{rounded}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_drop_points_they_cannot_show() {
        let chart = LineChart::new("t").log_x().series("s", [(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN)]);
        assert_eq!(chart.drawable(&chart.series[0].points), vec![(1.0, 2.0)]);
        let linear = LineChart::new("t");
        assert_eq!(linear.drawable(&[(0.0, -1.0), (f64::INFINITY, 1.0)]), vec![(0.0, -1.0)]);
    }

    #[test]
    fn ranges_contain_the_data_with_headroom() {
        let r = linear((1.0, 3.0));
        assert!(r.start < 1.0 && r.end > 3.0);
        let flat = linear((2.0, 2.0));
        assert!(flat.start < 2.0 && flat.end > 2.0);
        assert_eq!(bounds([3.0, -1.0, 2.0].into_iter()), Some((-1.0, 3.0)));
        assert_eq!(bounds(std::iter::empty()), None);
    }

    #[test]
    fn log_axes_get_labelled_ticks_at_any_span() {
        // Several decades: powers of ten, thinned to about ten.
        assert_eq!(log_ticks(0.9, 1.1e5), [1.0, 10.0, 100.0, 1e3, 1e4, 1e5]);
        let wide = log_ticks(1.0, 1e30);
        assert!((5..=10).contains(&wide.len()), "{wide:?}");
        assert!(wide.iter().all(|t| t.log10().fract() == 0.0), "{wide:?}");
        // One decade or so: 1-2-5.
        assert_eq!(log_ticks(0.9, 21.0), [1.0, 2.0, 5.0, 10.0, 20.0]);
        // A typical loss curve, 3.3 down to 2.1: less than one mantissa step, so evenly spaced.
        let ticks = log_ticks(2.05, 3.4);
        let labels: Vec<String> = ticks.iter().map(|&t| tick_label(t)).collect();
        assert_eq!(labels, ["2.2", "2.4", "2.6", "2.8", "3", "3.2"]);
        // Wider than that but under a decade: integer mantissas.
        assert_eq!(log_ticks(1.5, 4.5), [2.0, 3.0, 4.0]);
    }

    #[test]
    fn tick_labels_are_short_and_clean() {
        assert_eq!(tick_label(2.0), "2");
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(2500.0), "2500");
        assert_eq!(tick_label(1e5), "1e5");
        assert_eq!(tick_label(0.0005), "5e-4");
        assert_eq!(tick_label(-1.5), "-1.5");
        assert_eq!(tick_label(0.0), "0");
    }
}
