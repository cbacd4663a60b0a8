//! Charts of evaluation results as PNG: one run is a bar per condition with its 95% interval,
//! several runs are a line per condition across iterations with 95% error bars. Only runs that
//! can be compared share a line (same held-out set, backend and model, sampling, prompt version
//! and verifier: the config block's compatibility key). The header names the backend and model
//! and says plainly when the numbers come from the mock.

mod axis;
mod bars;
mod font;
mod palette;
pub mod rounds;
mod trend;

use std::path::Path;

use anyhow::{Context, bail};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::eval::report::{CiMethod, EvalReport, incompatibility, run_details};

/// Width of the PNG in pixels.
pub const WIDTH: u32 = 1200;
/// Height of the PNG in pixels.
pub const HEIGHT: u32 = 700;

/// Height of the title block above the chart.
const HEADER_HEIGHT: u32 = 86;

/// Which runs may share the trend chart's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunSelection {
    /// Every run, or an error naming the first difference between two of them.
    AllOrRefuse,
    /// The newest run and the older runs comparable with it; the rest are left out.
    LatestCompatible,
}

/// The runs to draw (oldest first) and how many were left out. Lines across runs that differ in
/// what they measure would show a change that no model made.
pub fn comparable_runs(
    reports: Vec<EvalReport>,
    selection: RunSelection,
) -> anyhow::Result<(Vec<EvalReport>, usize)> {
    let Some(latest) = reports.last().cloned() else {
        return Ok((reports, 0));
    };
    let name = |i: usize, r: &EvalReport| match r.run_id {
        Some(id) => format!("run {id}"),
        None => format!("eval {}", i + 1),
    };
    match selection {
        RunSelection::AllOrRefuse => {
            for (i, pair) in reports.windows(2).enumerate() {
                if let Some(difference) = incompatibility(&pair[0], &pair[1]) {
                    bail!(
                        "eval {} and {} cannot share a line, they differ in {difference}; \
                         plot one results JSON, or add --latest-compatible to draw only the runs \
                         comparable with the newest",
                        name(i, &pair[0]),
                        name(i + 1, &pair[1])
                    );
                }
            }
            Ok((reports, 0))
        }
        RunSelection::LatestCompatible => {
            let total = reports.len();
            let kept: Vec<EvalReport> = reports
                .into_iter()
                .filter(|r| incompatibility(r, &latest).is_none())
                .collect();
            let skipped = total - kept.len();
            Ok((kept, skipped))
        }
    }
}

/// Draws `reports` (oldest first) into a PNG at `output`.
pub fn plot_reports(reports: &[EvalReport], output: &Path) -> anyhow::Result<()> {
    let root = BitMapBackend::new(output, (WIDTH, HEIGHT)).into_drawing_area();
    draw_reports(&root, reports)?;
    root.present()
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}

/// Draws `reports` on any plotters drawing area; [`plot_reports`] is this on a PNG file.
pub fn draw_reports<DB>(root: &DrawingArea<DB, Shift>, reports: &[EvalReport]) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    if reports.is_empty() {
        bail!("no eval runs to plot");
    }
    if let Some(empty) = reports.iter().position(|r| r.conditions.is_empty()) {
        bail!("eval run {} has no conditions to plot", empty + 1);
    }
    font::register()?;
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    draw_header(&header, reports)?;
    match reports {
        [one] => bars::draw(&body, one)?,
        several => trend::draw(&body, several)?,
    }
    Ok(())
}

/// Title, one line of run details, and a simulation badge when any run used the mock.
fn draw_header<DB>(area: &DrawingArea<DB, Shift>, reports: &[EvalReport]) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    const SIDE: i32 = 24;
    let (width, height) = area.dim_in_pixel();
    let left_top = Pos::new(HPos::Left, VPos::Top);
    let simulation = reports.iter().any(|r| r.simulation);

    let mut title_right = px(width) - SIDE;
    if simulation {
        let badge = "SIMULATION";
        let font = ("sans-serif", 17).into_font().color(&WHITE).pos(left_top);
        let (text_width, text_height) = area.estimate_text_size(badge, &font)?;
        let (text_width, text_height) = (px(text_width), px(text_height));
        let pad = 7;
        let left = title_right - text_width - 2 * pad;
        area.draw(&Rectangle::new(
            [(left, 14), (title_right, 14 + text_height + 2 * pad)],
            palette::WARNING.filled(),
        ))?;
        area.draw(&Text::new(badge, (left + pad, 14 + pad), font))?;
        title_right = left - 16;
    }

    let what = match reports.len() {
        1 => "Held-out pass@1 by condition".to_owned(),
        n => format!("Held-out pass@1 across {n} eval runs"),
    };
    let mut title = format!("{what} \u{2014} {}", backends_and_models(reports));
    if simulation {
        title.push_str(" (simulation)");
    }
    let size = fitting_size(area, &title, 28, title_right - SIDE)?;
    area.draw(&Text::new(
        title,
        (SIDE, 14),
        ("sans-serif", size).into_font().color(&BLACK).pos(left_top),
    ))?;

    let latest = &reports[reports.len() - 1];
    let mut detail = run_details(latest);
    if reports.len() > 1 && !detail.is_empty() {
        detail[0] = format!("latest: {}", detail[0]);
    }
    detail.push(interval_caption(reports));
    let detail = detail.join(", ");
    let size = fitting_size(area, &detail, 16, px(width) - 2 * SIDE)?;
    area.draw(&Text::new(
        detail,
        (SIDE, 54),
        ("sans-serif", size)
            .into_font()
            .color(&palette::SUBTLE)
            .pos(left_top),
    ))?;

    let bottom = px(height) - 2;
    area.draw(&PathElement::new(
        vec![(SIDE, bottom), (px(width) - SIDE, bottom)],
        palette::GRID.stroke_width(1),
    ))?;
    Ok(())
}

/// The largest font size up to `size` at which `text` fits in `max_width` pixels.
fn fitting_size<DB>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
    max_width: i32,
) -> anyhow::Result<u32>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let mut size = size;
    while size > 10 {
        let (text_width, _) =
            area.estimate_text_size(text, &("sans-serif", size).into_text_style(area))?;
        if px(text_width) <= max_width {
            break;
        }
        size -= 1;
    }
    Ok(size)
}

/// "mock / mock-weak-v1", or a list when runs differ.
fn backends_and_models(reports: &[EvalReport]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in reports {
        let name = format!(
            "{} / {}",
            r.backend.as_deref().unwrap_or("backend unknown"),
            r.model.as_deref().unwrap_or("model unknown")
        );
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    match seen.len() {
        0..=2 => seen.join(", "),
        n => format!("{n} backends/models"),
    }
}

/// Which intervals the whiskers or bands show.
fn interval_caption(reports: &[EvalReport]) -> String {
    let methods: Vec<CiMethod> = reports
        .iter()
        .flat_map(|r| &r.conditions)
        .filter_map(|c| c.ci_method)
        .collect();
    let has = |m| methods.contains(&m);
    let shape = if reports.len() == 1 {
        "whiskers"
    } else {
        "error bars"
    };
    match (has(CiMethod::Wilson), has(CiMethod::Bootstrap)) {
        (true, false) => format!("{shape}: 95% CI (Wilson)"),
        (false, true) => format!("{shape}: 95% CI (bootstrap over tasks)"),
        (true, true) => format!("{shape}: 95% CI (Wilson or bootstrap)"),
        (false, false) => "no 95% intervals stored in these results".to_owned(),
    }
}

/// Pixel coordinates as `i32` from a `u32` dimension.
fn px(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::report::{ConditionResult, TaskOutcome};

    fn report(solved: &[usize], run_id: i64) -> EvalReport {
        let mut r = EvalReport::new("mock", "mock-weak-v1", true);
        r.run_id = Some(run_id);
        r.k = Some(1);
        r.n = Some(1);
        r.task_count = Some(20);
        for (name, count) in ["baseline", "memory", "semantic", "memory_learning"]
            .iter()
            .zip(solved)
        {
            let per_task = (0..20)
                .map(|i| TaskOutcome::new(format!("t{i}"), "f", usize::from(i < *count), 1))
                .collect();
            r.conditions
                .push(ConditionResult::from_outcomes(*name, "", per_task, 1, 1).unwrap());
        }
        r.compare_with_baseline().unwrap();
        r
    }

    /// Renders into an RGB buffer and returns the number of distinct colours.
    fn distinct_colours(reports: &[EvalReport]) -> usize {
        let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
            draw_reports(&root, reports).unwrap();
            root.present().unwrap();
        }
        let colours: std::collections::HashSet<&[u8]> = buffer.chunks(3).collect();
        colours.len()
    }

    #[test]
    fn one_run_draws_a_busy_picture() {
        assert!(distinct_colours(&[report(&[7, 12, 7, 13], 1)]) > 50);
    }

    #[test]
    fn several_runs_draw_a_busy_picture() {
        let runs = [
            report(&[7, 9, 7, 10], 1),
            report(&[7, 12, 8, 13], 2),
            report(&[7, 14, 9, 16], 3),
        ];
        assert!(distinct_colours(&runs) > 50);
    }

    #[test]
    fn nothing_to_plot_is_an_error() {
        let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        let err = draw_reports(&root, &[]).unwrap_err();
        assert_eq!(err.to_string(), "no eval runs to plot");
        let mut empty = report(&[1], 1);
        empty.conditions.clear();
        let err = draw_reports(&root, &[empty]).unwrap_err();
        assert_eq!(err.to_string(), "eval run 1 has no conditions to plot");
    }

    #[test]
    fn title_names_backends() {
        let mut other = report(&[1], 2);
        other.backend = Some("openai".to_owned());
        other.model = Some("qwen".to_owned());
        assert_eq!(
            backends_and_models(&[report(&[1], 1), other]),
            "mock / mock-weak-v1, openai / qwen"
        );
    }
}
