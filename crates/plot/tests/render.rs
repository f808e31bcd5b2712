//! Figures are files a person looks at, so these tests look at the files: a real PNG of the right size
//! with visible text, and an SVG that carries the same text.

use std::fs;
use std::path::{Path, PathBuf};

use plot::{Heatmap, LineChart, save_figure};

/// A fresh directory for one test under cargo's per-target scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plot-tests").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A decoded PNG: size and RGB pixels.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn read(path: &Path) -> Image {
        let bytes = fs::read(path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
        let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        rgb.truncate(info.buffer_size());
        Image { width: info.width, height: info.height, rgb }
    }

    /// How many pixels in rows `y0..y1` are dark (all channels below 100): text is black on white.
    fn dark_pixels(&self, rows: std::ops::Range<u32>) -> usize {
        rows.flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let i = 3 * (y * self.width + x) as usize;
                self.rgb[i..i + 3].iter().all(|&c| c < 100)
            })
            .count()
    }
}

/// Reads an SVG and returns the contents of its `<text>` elements, trimmed (plotters puts them on a
/// line of their own).
fn svg_texts(path: &Path) -> Vec<String> {
    let svg = fs::read_to_string(path).unwrap();
    let svg = svg.trim();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{} is not an SVG document", path.display());
    // Every text element opened is closed: a cheap well-formedness check without an XML parser.
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    svg.split("<text")
        .skip(1)
        .map(|element| {
            let body = element.split_once('>').expect("unterminated <text> tag").1;
            body.split_once("</text>").expect("unclosed <text>").0.trim().to_string()
        })
        .collect()
}

fn assert_has_texts(path: &Path, wanted: &[&str]) {
    let texts = svg_texts(path);
    for w in wanted {
        assert!(texts.iter().any(|t| t == w), "{w:?} missing from {}; it has {texts:?}", path.display());
    }
}

/// A figure with only a title, so any dark pixel at the top is the title's glyphs.
fn titled(area: &plot::Area<'_>, title: &str) -> anyhow::Result<()> {
    area.titled(title, ("sans-serif", 30))?;
    Ok(())
}

#[test]
fn a_figure_is_written_as_png_and_svg_with_its_text_rendered() {
    let dir = scratch("titled");
    let saved = save_figure(&dir.join("hello"), (320, 200), |area| titled(area, "Hello GPT")).unwrap();
    assert_eq!(saved.png, dir.join("hello.png"));
    assert_eq!(saved.svg, dir.join("hello.svg"));

    let png = Image::read(&saved.png);
    assert_eq!((png.width, png.height), (320, 200));
    // The title sits in the top 40 rows; at 30 px, "Hello GPT" covers hundreds of dark pixels. If the
    // font were missing or rendered nothing, there would be none: the background is white.
    let in_title = png.dark_pixels(0..40);
    assert!(in_title > 200, "only {in_title} dark pixels where the title should be");
    assert_eq!(png.dark_pixels(60..200), 0, "nothing but the title was drawn");

    let svg = fs::read_to_string(&saved.svg).unwrap();
    assert!(svg.contains(r#"width="320""#) && svg.contains(r#"height="200""#));
    assert_eq!(svg_texts(&saved.svg), ["Hello GPT"]);
}

#[test]
fn the_text_check_sees_a_blank_title_region() {
    // The control for the test above: the same figure without text has no dark pixels at all, so the
    // dark pixels counted there can only come from rendered glyphs.
    let dir = scratch("blank");
    let saved = save_figure(&dir.join("blank"), (320, 200), |_| Ok(())).unwrap();
    let png = Image::read(&saved.png);
    assert_eq!(png.dark_pixels(0..200), 0);
}

#[test]
fn errors_from_the_drawing_closure_reach_the_caller() {
    let dir = scratch("error");
    let err = save_figure(&dir.join("bad"), (100, 100), |_| anyhow::bail!("no data")).unwrap_err();
    assert!(format!("{err:#}").contains("no data"), "{err:#}");
    assert!(save_figure(&dir.join("empty"), (0, 100), |_| Ok(())).is_err());
}

#[test]
fn missing_directories_are_created_and_dotted_stems_kept() {
    let dir = scratch("nested");
    let saved = save_figure(&dir.join("a/b/loss.v2"), (50, 40), |_| Ok(())).unwrap();
    assert_eq!(saved.png, dir.join("a/b/loss.v2.png"));
    assert!(saved.png.is_file() && saved.svg.is_file());
}

#[test]
fn a_line_chart_draws_every_series_with_a_legend_on_log_axes() {
    let dir = scratch("line");
    let steps: Vec<f64> = (1..=200).map(f64::from).collect();
    let saved = LineChart::new("training loss")
        .x_label("step")
        .y_label("loss")
        .log_x()
        .log_y()
        .series("bigram", steps.iter().map(|&s| (s, 3.3 / s.powf(0.1))))
        .series("mlp", steps.iter().map(|&s| (s, 3.3 / s.powf(0.2))))
        // A step-0 point and a NaN loss cannot be drawn on log axes; they are skipped, not fatal.
        .series("nanogpt", [(0.0, 4.0), (1.0, 3.0), (10.0, f64::NAN), (100.0, 1.5)])
        .save(&dir.join("loss"), (640, 400))
        .unwrap();

    let png = Image::read(&saved.png);
    assert_eq!((png.width, png.height), (640, 400));
    assert!(png.dark_pixels(0..40) > 100, "the caption did not render");

    assert_has_texts(&saved.svg, &["training loss", "step", "loss", "bigram", "mlp", "nanogpt"]);
}

#[test]
fn a_line_chart_on_linear_axes_labels_its_ticks_plainly() {
    let dir = scratch("line-linear");
    let saved = LineChart::new("val loss")
        .series("train", [(0.0, 3.0), (500.0, 2.4), (1000.0, 2.2)])
        .save(&dir.join("val"), (400, 300))
        .unwrap();
    assert_eq!(Image::read(&saved.png).width, 400);
    // Tick labels without float noise or a trailing ".0".
    assert_has_texts(&saved.svg, &["val loss", "train", "0", "1000", "2.5", "3"]);
}

#[test]
fn a_line_chart_with_nothing_drawable_is_an_error_not_an_empty_figure() {
    let dir = scratch("line-empty");
    assert!(LineChart::new("empty").save(&dir.join("none"), (100, 100)).is_err());
    let only_nan = LineChart::new("nan").series("s", [(1.0, f64::NAN)]);
    assert!(only_nan.save(&dir.join("nan"), (100, 100)).is_err());
}

#[test]
fn a_heatmap_shades_cells_and_writes_their_text() {
    let dir = scratch("heatmap");
    let saved = Heatmap::new("counts", 2, 3, vec![0.0, 1.0, 2.0, 3.0, 4.0, 9.0])
        .unwrap()
        .row_labels(["a", "b"])
        .col_labels(["x", "y", "z"])
        .cell_text(["ax\n0", "ay\n1", "az\n2", "bx\n3", "by\n4", "bz\n9"])
        .save(&dir.join("counts"), (360, 300))
        .unwrap();

    let png = Image::read(&saved.png);
    assert_eq!((png.width, png.height), (360, 300));
    // The largest count gets the darkest blue of the map somewhere in the image.
    let darkest = png.rgb.chunks(3).any(|p| p == [8, 48, 107]);
    assert!(darkest, "no cell is shaded with the top of the colour map");

    assert_has_texts(&saved.svg, &["counts", "bz", "9", "x", "b"]);
    let wrong = Heatmap::new("t", 2, 2, vec![0.0; 4]).unwrap().row_labels(["only one"]);
    assert!(wrong.save(&dir.join("wrong"), (100, 100)).is_err());
}

#[test]
fn reference_lines_widen_the_axis_and_a_legend_can_go_in_its_own_strip() {
    let dir = scratch("line-reference");
    let chart = LineChart::new("val loss")
        .log_x()
        .series("mlp", [(10.0, 2.4), (100.0, 2.1)])
        // One point: drawn as a dot rather than nothing.
        .series("counts", [(50.0, 2.45)])
        .reference("uniform", 3.3)
        .legend(plot::Legend::Hidden);
    let saved = save_figure(&dir.join("ref"), (600, 400), |area| {
        let (top, bottom) = area.split_vertically(340);
        chart.draw(&top)?;
        chart.draw_legend(&bottom)
    })
    .unwrap();
    let texts = svg_texts(&saved.svg);
    // The y axis reaches the reference line at 3.3, far above the curves.
    assert!(texts.iter().any(|t| t == "3.2" || t == "3.3" || t == "3"), "{texts:?}");
    // Each legend entry appears once: in the strip, not also inside the plot.
    for name in ["mlp", "counts", "uniform"] {
        assert_eq!(texts.iter().filter(|t| *t == name).count(), 1, "{name}: {texts:?}");
    }
    let svg = fs::read_to_string(&saved.svg).unwrap();
    assert!(svg.contains("<circle"), "the one-point series has no dot");
}
