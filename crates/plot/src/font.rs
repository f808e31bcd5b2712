//! The one font every figure uses, compiled into the binary.
//!
//! plotters' `ab_glyph` text renderer has no font of its own and never looks at the system's fonts: that
//! is what keeps fontconfig and freetype (and pkg-config) out of the build. Without a registered font,
//! every piece of text fails to draw, so the font travels with the code and is registered before any
//! figure is drawn.

use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use plotters::style::{FontStyle, register_font};

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`): clear at small sizes, and it
/// covers the Greek letters and superscripts the figures use in labels (α, σ, ²).
pub static DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family name plotters asks for by default, in captions, axis labels and legends alike.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font as [`FAMILY`], once per process.
///
/// [`crate::save_figure`] calls this itself; call it directly only when drawing on a backend you made
/// yourself. Bold and italic requests fall back to this regular face, which plotters does on its own.
pub fn register() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_string())
        })
        .clone()
        .map_err(|e| anyhow!(e))
}
