//! The one font every chart uses, embedded so that drawing never depends on the fonts of the
//! machine (plotters' `ab_glyph` backend has no fallback: an unregistered family fails with
//! `FontUnavailable`).

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

/// DejaVu Sans, Bitstream Vera licence (assets/fonts/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font as `sans-serif` (all styles) once per process.
pub fn register() -> anyhow::Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ]
        .into_iter()
        .all(|style| register_font("sans-serif", style, DEJAVU_SANS).is_ok())
    });
    if ok {
        Ok(())
    } else {
        anyhow::bail!("the embedded DejaVu Sans font could not be loaded")
    }
}
