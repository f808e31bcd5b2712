//! Figures for zero-to-gpt: an embedded font and PNG + SVG output, in pure Rust.
//!
//! Every figure in the project, a stage's iconic plot or `cargo xtask compare`'s loss curves, is drawn
//! once as a closure and written twice, as `STEM.png` and `STEM.svg`, by [`save_figure`]. Text is drawn
//! with DejaVu Sans compiled into the binary ([`font`]), so figures have readable labels on any machine
//! and the build needs nothing but cargo: no fontconfig, freetype or pkg-config.
//!
//! Figures are written through `harness`'s output guard: a PNG or SVG already there is replaced only if
//! it carries our [`MARKER`] ([`is_our_figure`]), never through a symlink, and never partly.
//!
//! For the figures several crates draw, there are ready-made charts: [`LineChart`] (named curves with a
//! legend, optionally on log axes) and [`Heatmap`] (a shaded matrix with text in its cells).
//!
//! Charts are drawn with [plotters](https://docs.rs/plotters); its prelude is re-exported as
//! [`prelude`] so callers need no direct dependency to write a custom figure.

#![forbid(unsafe_code)]

pub mod figure;
pub mod font;
pub mod heatmap;
pub mod line;

pub use figure::{Area, Backend, BackendError, MARKER, Saved, check_figure, is_our_figure, save_figure};
pub use heatmap::Heatmap;
pub use line::{Legend, LineChart, Scale, series_color};

/// plotters' prelude, for figures drawn by hand inside [`save_figure`].
pub mod prelude {
    pub use plotters::prelude::*;
}
