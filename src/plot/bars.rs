//! One run: a bar per condition with its 95% interval as a whisker, the value above it, and
//! the change against baseline with its McNemar p-value, over a dashed baseline reference.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::FixedTicks;
use super::palette;
use crate::eval::report::{BASELINE, EvalReport, p_clause};

/// Half the width of a bar, in category units, and at most in pixels.
const HALF_BAR: f64 = 0.3;
const HALF_BAR_PIXELS: f64 = 100.0;
/// Half the width of a whisker cap, in category units.
const HALF_CAP: f64 = 0.07;
/// Head room above 1.0 for the labels of a bar at the top.
const Y_MAX: f64 = 1.2;

pub fn draw<DB>(area: &DrawingArea<DB, Shift>, report: &EvalReport) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let conditions = &report.conditions;
    let count = conditions.len();
    let names: Vec<String> = conditions.iter().map(|c| c.condition.clone()).collect();
    let x_keys: Vec<f64> = (0..count).map(|i| i as f64).collect();
    let y_keys: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();

    let mut chart = ChartBuilder::on(area)
        .margin_left(20)
        .margin_right(40)
        .margin_top(16)
        .margin_bottom(12)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(
            FixedTicks::new(-0.5..count as f64 - 0.5, x_keys),
            FixedTicks::new(0.0..Y_MAX, y_keys),
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(palette::GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(palette::SUBTLE)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-9 && i >= 0.0 {
                names.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.1}"))
        .x_label_style(("sans-serif", 19))
        .y_label_style(("sans-serif", 16))
        .y_desc("pass@1 on held-out tasks")
        .axis_desc_style(("sans-serif", 18))
        .draw()?;

    let (plot_width, _) = chart.plotting_area().dim_in_pixel();
    let half_bar = HALF_BAR.min(HALF_BAR_PIXELS * count as f64 / f64::from(plot_width.max(1)));

    let baseline = report.baseline().map(|b| b.pass_at_1);
    if let Some(b) = baseline {
        chart.draw_series(DashedLineSeries::new(
            vec![(-0.5, b), (count as f64 - 0.5, b)],
            8,
            6,
            palette::BASELINE.stroke_width(1),
        ))?;
    }

    for (i, c) in conditions.iter().enumerate() {
        let x = i as f64;
        let colour = palette::condition_colour(&c.condition, i);
        let value = c.pass_at_1.clamp(0.0, 1.0);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x - half_bar, 0.0), (x + half_bar, value)],
            colour.mix(0.85).filled(),
        )))?;

        let mut label_base = value;
        if let Some(ci) = c.pass_at_1_ci {
            let (low, high) = (ci.low.clamp(0.0, 1.0), ci.high.clamp(0.0, 1.0));
            let whisker = BLACK.stroke_width(2);
            chart.draw_series([
                PathElement::new(vec![(x, low), (x, high)], whisker),
                PathElement::new(vec![(x - HALF_CAP, low), (x + HALF_CAP, low)], whisker),
                PathElement::new(vec![(x - HALF_CAP, high), (x + HALF_CAP, high)], whisker),
            ])?;
            label_base = label_base.max(high);
        }

        // Value just above the whisker, the comparison with baseline above the value.
        let bottom_centre = Pos::new(HPos::Center, VPos::Bottom);
        let mut value_text = format!("{:.2}", c.pass_at_1);
        if let Some(ci) = c.pass_at_1_ci {
            value_text.push_str(&format!("  [{:.2}, {:.2}]", ci.low, ci.high));
        }
        let (comparison, tally) = match (c.vs_baseline, baseline) {
            (Some(v), Some(b)) => (
                format!(
                    "\u{394} {:+.2}, McNemar {}",
                    c.pass_at_1 - b,
                    p_clause(v.p_value)
                ),
                format!(
                    "{} tasks gained, {} lost",
                    v.only_condition, v.only_baseline
                ),
            ),
            _ if c.condition == BASELINE => ("reference".to_owned(), String::new()),
            (None, Some(b)) => (
                format!("\u{394} {:+.2}", c.pass_at_1 - b),
                "no paired test stored".to_owned(),
            ),
            _ => (String::new(), String::new()),
        };
        let small = ("sans-serif", 14)
            .into_font()
            .color(&palette::SUBTLE)
            .pos(bottom_centre);
        chart.draw_series(std::iter::once(
            EmptyElement::at((x, label_base))
                + Text::new(
                    value_text,
                    (0, -6),
                    ("sans-serif", 19)
                        .into_font()
                        .color(&BLACK)
                        .pos(bottom_centre),
                )
                + Text::new(comparison, (0, -30), small.clone())
                + Text::new(tally, (0, -48), small),
        ))?;
    }
    Ok(())
}
