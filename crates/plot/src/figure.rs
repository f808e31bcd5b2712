//! One drawing, two files: every figure is written as a PNG (to look at) and an SVG (to zoom and to put
//! in the book).
//!
//! plotters' `BitMapBackend` and `SVGBackend` are different types, and a Rust closure cannot be generic
//! over them. Rather than make every caller write its chart as a trait impl, [`Backend`] wraps both in
//! one enum that is itself a `DrawingBackend`, so a figure is an ordinary closure over [`Area`], called
//! once per file.

use std::error::Error;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use harness::overwrite::{checked_name, guard_replace, write_atomic};
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, IntoDrawingArea, WHITE};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};

use crate::font;

/// The drawing area a figure closure draws on: the whole canvas of one output file.
pub type Area<'a> = DrawingArea<Backend<'a>, Shift>;

/// Either of the two backends a figure is rendered to.
///
/// Every `DrawingBackend` method is forwarded, not only the required `draw_pixel`, because each backend
/// overrides the defaults where it matters: the SVG backend writes `<text>`, `<rect>` and `<path>`
/// elements instead of rasterised pixels, and the bitmap backend has fast paths for lines and blits.
pub enum Backend<'a> {
    /// Pixels, encoded as PNG by the pure-Rust `image` crate.
    Png(BitMapBackend<'a>),
    /// Vector output; text stays text, so it is searchable and crisp at any size.
    Svg(SVGBackend<'a>),
}

/// An error from either backend, boxed so that callers name one type whichever file failed.
#[derive(Debug)]
pub struct BackendError(Box<dyn Error + Send + Sync>);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Error for BackendError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// Re-types a backend's error as ours; font errors pass through unchanged.
fn lift<E: Error + Send + Sync + 'static>(err: DrawingErrorKind<E>) -> DrawingErrorKind<BackendError> {
    match err {
        DrawingErrorKind::DrawingError(e) => DrawingErrorKind::DrawingError(BackendError(Box::new(e))),
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    }
}

/// Forwards one call to whichever backend this is, lifting its error type.
macro_rules! forward {
    ($self:ident, $b:ident => $call:expr) => {
        match $self {
            Backend::Png($b) => $call.map_err(lift),
            Backend::Svg($b) => $call.map_err(lift),
        }
    };
}

impl DrawingBackend for Backend<'_> {
    type ErrorType = BackendError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            Backend::Png(b) => b.get_size(),
            Backend::Svg(b) => b.get_size(),
        }
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.ensure_prepared())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.present())
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.fill_polygon(vert, style))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.draw_text(text, style, pos))
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.estimate_text_size(text, style))
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<BackendError>> {
        forward!(self, b => b.blit_bitmap(pos, size, src))
    }
}

/// Where [`save_figure`] wrote a figure, so the caller can tell the learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// `STEM.png`
    pub png: PathBuf,
    /// `STEM.svg`
    pub svg: PathBuf,
}

/// What marks a PNG or SVG as written by [`save_figure`]: the PNG carries it in a `tEXt` chunk
/// (`Software`), right after its header; the SVG in a comment right after its opening `<svg>` tag. Only a
/// file with the marker there is ours to replace.
pub const MARKER: &str = "zero-to-gpt plot";
/// The largest figure, in pixels (width × height): 32 Mpx, a 96 MiB bitmap while drawing.
pub const MAX_PIXELS: u64 = 1 << 25;
/// The longest side of a figure, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// How far into a file [`is_our_figure`] looks for the marker.
const HEAD: u64 = 1024;

/// Whether `path` is a PNG or SVG that [`save_figure`] wrote (it has [`MARKER`] where we put it).
pub fn is_our_figure(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    if fs::File::open(path).and_then(|f| f.take(HEAD).read_to_end(&mut head)).is_err() {
        return false;
    }
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        contains(format!("tEXtSoftware\0{MARKER}").as_bytes())
    } else {
        head.starts_with(b"<svg") && contains(svg_marker().as_bytes())
    }
}

fn svg_marker() -> String {
    format!("<!-- {MARKER} -->")
}

/// Refuses, before any drawing, a figure whose `STEM.png` or `STEM.svg` is not ours, is a symlink, or a
/// directory; or a stem that is not a plain file name inside its directory. Call it before the work that
/// makes the figure; [`save_figure`] calls it again.
pub fn check_figure(stem: &Path) -> Result<Saved> {
    // The stem's last component as written (`Path::file_name` would skip a trailing `.`).
    let raw = stem.to_string_lossy();
    let name = raw.rsplit(std::path::is_separator).next().unwrap_or("");
    checked_name(name)?;
    let saved = Saved { png: with_suffix(stem, "png"), svg: with_suffix(stem, "svg") };
    for path in [&saved.png, &saved.svg] {
        guard_replace(path, is_our_figure)?;
    }
    Ok(saved)
}

/// Refuses sizes whose bitmap would not fit the caps, before allocating it.
fn check_size(size: (u32, u32)) -> Result<()> {
    ensure!(size.0 > 0 && size.1 > 0, "figure size must be positive, got {}x{}", size.0, size.1);
    let pixels = u64::from(size.0) * u64::from(size.1);
    if size.0 > MAX_SIDE || size.1 > MAX_SIDE || pixels > MAX_PIXELS {
        bail!(
            "a figure of {}x{} pixels is too large to draw (at most {MAX_SIDE} a side and {} Mpx in all)",
            size.0,
            size.1,
            MAX_PIXELS >> 20
        );
    }
    Ok(())
}

/// Appends an extension to `stem` rather than replacing one: `loss.v2` becomes `loss.v2.png`, not
/// `loss.png`.
fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Draws the figure `draw` twice, into `STEM.png` and `STEM.svg`, each `size` = (width, height) pixels.
///
/// The canvas is filled white first, because a PNG left untouched is black and an SVG transparent, and
/// neither reads well in a dark-themed viewer. Missing parent directories are created. The font is
/// registered before drawing, so text always renders (see [`font::register`]).
///
/// Output safety: both files are checked first ([`check_figure`]: absent, or ours by [`MARKER`]; never
/// a symlink); both are drawn in memory, then each is written to a temporary name and renamed into
/// place. A size above [`MAX_SIDE`] or [`MAX_PIXELS`] is refused before anything is allocated.
///
/// ```no_run
/// use plot::prelude::*;
///
/// plot::save_figure("runs/figures/parabola".as_ref(), (640, 480), |area| {
///     let mut chart = ChartBuilder::on(area)
///         .caption("y = x²", ("sans-serif", 24))
///         .margin(10)
///         .x_label_area_size(30)
///         .y_label_area_size(40)
///         .build_cartesian_2d(-1f64..1f64, 0f64..1f64)?;
///     chart.configure_mesh().draw()?;
///     chart.draw_series(LineSeries::new((-50..=50).map(|i| i as f64 / 50.0).map(|x| (x, x * x)), &BLUE))?;
///     Ok(())
/// })?;
/// # anyhow::Ok(())
/// ```
pub fn save_figure<F>(stem: &Path, size: (u32, u32), mut draw: F) -> Result<Saved>
where
    F: FnMut(&Area<'_>) -> Result<()>,
{
    check_size(size)?;
    let saved = check_figure(stem)?;
    font::register()?;
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
    }

    // (H, W, RGB): checked against MAX_PIXELS above, so this allocation is bounded.
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    render(Backend::Png(BitMapBackend::with_buffer(&mut rgb, size)), &mut draw)
        .with_context(|| format!("cannot draw {}", saved.png.display()))?;
    let png = encode_png(&rgb, size).with_context(|| format!("cannot encode {}", saved.png.display()))?;
    drop(rgb);
    let mut svg = String::new();
    render(Backend::Svg(SVGBackend::with_string(&mut svg, size)), &mut draw)
        .with_context(|| format!("cannot draw {}", saved.svg.display()))?;
    let svg = mark_svg(&svg);

    // Checked again right before writing: drawing can take a while.
    check_figure(stem)?;
    write_atomic(&saved.png, &png)?;
    write_atomic(&saved.svg, svg.as_bytes())?;
    Ok(saved)
}

/// An RGB bitmap as PNG bytes, with the [`MARKER`] text chunk.
fn encode_png(rgb: &[u8], size: (u32, u32)) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_text_chunk("Software".to_owned(), MARKER.to_owned())?;
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// The SVG with the [`MARKER`] comment right after its opening tag.
fn mark_svg(svg: &str) -> String {
    match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => {
            format!("{}\n{}{}", &svg[..=end], svg_marker(), &svg[end + 1..])
        }
        _ => format!("{}\n{svg}", svg_marker()),
    }
}

/// Runs one figure closure on one backend and renders it.
fn render(backend: Backend<'_>, draw: &mut impl FnMut(&Area<'_>) -> Result<()>) -> Result<()> {
    let area = backend.into_drawing_area();
    area.fill(&WHITE)?;
    draw(&area)?;
    // Present explicitly: the backends otherwise flush on drop, where an error can only be ignored.
    area.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_appended_not_substituted() {
        assert_eq!(with_suffix(Path::new("a/loss.v2"), "png"), PathBuf::from("a/loss.v2.png"));
        assert_eq!(with_suffix(Path::new("loss"), "svg"), PathBuf::from("loss.svg"));
    }
}
