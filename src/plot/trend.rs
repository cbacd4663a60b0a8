//! Several runs: pass@1 of each condition across runs as a line with a 95% error bar at each
//! point (conditions set a little apart, so bars never cover each other), against the train-pool
//! iterations done (or the episodes in memory) when the eval ran, with a legend beside the
//! chart that repeats the latest value of each line. Translucent bands were dropped: four of
//! them overlapping read as one grey smear.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::FixedTicks;
use super::palette;
use crate::eval::report::{EvalReport, p_clause};
use crate::eval::stats::Interval;

/// Width of the legend column right of the chart.
const LEGEND_WIDTH: u32 = 270;
/// Sideways shift between conditions, so that equal values and their bars stay apart.
const DODGE_PIXELS: f64 = 12.0;
/// Half the width of an error bar's cap.
const CAP_PIXELS: f64 = 4.0;
/// Most x tick labels; longer histories label every few runs.
const MAX_X_LABELS: usize = 20;

/// One condition's values across runs; `None` where a run did not evaluate it.
struct Series {
    condition: String,
    colour: RGBColor,
    points: Vec<Option<(f64, Option<Interval>)>>,
}

fn collect_series(reports: &[EvalReport]) -> Vec<Series> {
    let mut series: Vec<Series> = Vec::new();
    for (run, report) in reports.iter().enumerate() {
        for c in &report.conditions {
            let index = match series.iter().position(|s| s.condition == c.condition) {
                Some(index) => index,
                None => {
                    series.push(Series {
                        condition: c.condition.clone(),
                        colour: palette::condition_colour(&c.condition, series.len()),
                        points: vec![None; reports.len()],
                    });
                    series.len() - 1
                }
            };
            series[index].points[run] = Some((c.pass_at_1, c.pass_at_1_ci));
        }
    }
    series
}

/// Maximal runs of consecutive `Some` items, as (start index, items).
fn contiguous<T: Copy>(items: &[Option<T>]) -> Vec<(usize, Vec<T>)> {
    let mut out: Vec<(usize, Vec<T>)> = Vec::new();
    let mut current: Option<(usize, Vec<T>)> = None;
    for (i, item) in items.iter().enumerate() {
        match (item, current.as_mut()) {
            (Some(v), Some((_, run))) => run.push(*v),
            (Some(v), None) => current = Some((i, vec![*v])),
            (None, _) => out.extend(current.take()),
        }
    }
    out.extend(current);
    out
}

/// Where each run sits on the x axis, and what the axis means: the train-pool iterations done
/// when the eval ran, else the verified episodes in memory, when either grows run by run;
/// otherwise the runs in order.
pub(crate) fn x_positions(reports: &[EvalReport]) -> (Vec<f64>, &'static str) {
    let states: Option<Vec<_>> = reports.iter().map(|r| r.memory_state).collect();
    let increasing = |values: &[usize]| values.windows(2).all(|w| w[0] < w[1]);
    if let Some(states) = states {
        let iterations: Vec<usize> = states.iter().map(|s| s.iterations).collect();
        if increasing(&iterations) {
            return (
                iterations.iter().map(|&v| v as f64).collect(),
                "train-pool iterations done before the eval",
            );
        }
        let episodes: Vec<usize> = states.iter().map(|s| s.episodes).collect();
        if increasing(&episodes) {
            return (
                episodes.iter().map(|&v| v as f64).collect(),
                "verified episodes in memory at the eval",
            );
        }
    }
    (
        (1..=reports.len()).map(|r| r as f64).collect(),
        "eval run (oldest to newest)",
    )
}

pub fn draw<DB>(area: &DrawingArea<DB, Shift>, reports: &[EvalReport]) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let series = collect_series(reports);
    let runs = reports.len();
    let (width, _) = area.dim_in_pixel();
    let (chart_area, legend_area) = area.split_horizontally(width.saturating_sub(LEGEND_WIDTH));

    let (xs, x_label) = x_positions(reports);
    let (x_min, x_max) = (xs[0], xs[runs - 1]);
    // Half the narrowest gap between runs (at least 0.4 of a unit) pads the ends.
    let gap = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min)
        .min(x_max - x_min + 1.0);
    let pad = (gap * 0.5).max(0.4);
    let step = runs.div_ceil(MAX_X_LABELS);
    let x_keys: Vec<f64> = xs.iter().step_by(step).copied().collect();
    let y_keys: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
    let mut chart = ChartBuilder::on(&chart_area)
        .margin_left(20)
        .margin_right(20)
        .margin_top(20)
        .margin_bottom(12)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(
            FixedTicks::new(x_min - pad..x_max + pad, x_keys),
            FixedTicks::new(0.0..1.04, y_keys),
        )?;
    chart
        .configure_mesh()
        .bold_line_style(palette::GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(palette::SUBTLE)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .x_label_style(("sans-serif", 16))
        .y_label_style(("sans-serif", 16))
        .x_desc(x_label)
        .y_desc("pass@1 on held-out tasks")
        .axis_desc_style(("sans-serif", 18))
        .draw()?;

    // Conditions with equal values would hide each other: shift each a few pixels sideways.
    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let units_per_pixel = (x_max - x_min + 2.0 * pad) / f64::from(plot_width.max(1));
    // Never more than a third of the narrowest gap between runs, or the lines zigzag.
    let dodge = (DODGE_PIXELS * units_per_pixel).min(gap / 3.0 / series.len().max(2) as f64);
    let cap = CAP_PIXELS * units_per_pixel;
    let radius = if runs > 12 { 3 } else { 5 };
    let centre = (series.len() as f64 - 1.0) / 2.0;
    let x_of = |j: usize, run: usize| xs[run] + (j as f64 - centre) * dodge;

    for (j, s) in series.iter().enumerate() {
        // Error bars first, in a lighter shade, so the lines and points sit on top.
        let bar = s.colour.mix(0.6).stroke_width(2);
        for (run, point) in s.points.iter().enumerate() {
            let Some((_, Some(ci))) = point else {
                continue;
            };
            let x = x_of(j, run);
            chart.draw_series([
                PathElement::new(vec![(x, ci.low), (x, ci.high)], bar),
                PathElement::new(vec![(x - cap, ci.low), (x + cap, ci.low)], bar),
                PathElement::new(vec![(x - cap, ci.high), (x + cap, ci.high)], bar),
            ])?;
        }
    }
    for (j, s) in series.iter().enumerate() {
        let values: Vec<Option<f64>> = s.points.iter().map(|p| p.map(|(v, _)| v)).collect();
        for (start, line) in contiguous(&values) {
            let points: Vec<(f64, f64)> = line
                .iter()
                .enumerate()
                .map(|(i, v)| (x_of(j, start + i), *v))
                .collect();
            chart.draw_series(LineSeries::new(points.clone(), s.colour.stroke_width(2)))?;
            chart.draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, radius, s.colour.filled())),
            )?;
        }
    }

    draw_legend(&legend_area, &series, reports)
}

/// A swatch, the name, and the latest value with its interval and test for each condition.
fn draw_legend<DB>(
    area: &DrawingArea<DB, Shift>,
    series: &[Series],
    reports: &[EvalReport],
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let left = Pos::new(HPos::Left, VPos::Center);
    let mut y = 40;
    area.draw(&Text::new(
        "latest run",
        (10, y),
        ("sans-serif", 15)
            .into_font()
            .color(&palette::SUBTLE)
            .pos(left),
    ))?;
    y += 34;
    let latest = reports.len() - 1;
    for s in series {
        area.draw(&PathElement::new(
            vec![(10, y), (46, y)],
            s.colour.stroke_width(3),
        ))?;
        area.draw(&Circle::new((28, y), 5, s.colour.filled()))?;
        area.draw(&Text::new(
            s.condition.clone(),
            (56, y),
            ("sans-serif", 18).into_font().color(&BLACK).pos(left),
        ))?;
        let condition = reports[latest]
            .conditions
            .iter()
            .find(|c| c.condition == s.condition);
        let mut lines = Vec::new();
        match condition {
            Some(c) => {
                let mut value = format!("{:.2}", c.pass_at_1);
                if let Some(ci) = c.pass_at_1_ci {
                    value.push_str(&format!(" [{:.2}, {:.2}]", ci.low, ci.high));
                }
                lines.push(value);
                if let Some(v) = c.vs_baseline {
                    lines.push(format!("vs baseline: McNemar {}", p_clause(v.p_value)));
                    lines.push(format!(
                        "{} tasks gained, {} lost",
                        v.only_condition, v.only_baseline
                    ));
                }
            }
            None => lines.push("not in the latest run".to_owned()),
        }
        for line in lines {
            y += 20;
            area.draw(&Text::new(
                line,
                (56, y),
                ("sans-serif", 14)
                    .into_font()
                    .color(&palette::SUBTLE)
                    .pos(left),
            ))?;
        }
        y += 36;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_splits_at_gaps() {
        let items = [Some(1), Some(2), None, Some(4), None, None, Some(7)];
        assert_eq!(
            contiguous(&items),
            vec![(0, vec![1, 2]), (3, vec![4]), (6, vec![7])]
        );
        assert!(contiguous::<i32>(&[None, None]).is_empty());
    }
}
