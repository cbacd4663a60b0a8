//! pass@1 across the rounds of one `self-improve --rounds` run: a line per condition with its
//! 95% interval as a bar at every round (bars, not bands, so four conditions stay readable), the
//! rounds whose adapter the gate promoted marked on the x axis, and a SIMULATION badge for the
//! mock. The chart reads plain values, so it knows nothing of how the run was made.

use std::path::Path;

use anyhow::Context as _;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::FixedTicks;
use super::{HEIGHT, WIDTH, font, palette};

/// One condition across rounds: (pass@1, its 95% interval) per round, `None` where missing.
pub struct RoundsSeries {
    pub condition: String,
    pub points: Vec<Option<(f64, Option<[f64; 2]>)>>,
}

/// What the chart shows.
pub struct RoundsChart {
    pub title: String,
    pub simulation: bool,
    pub rounds: usize,
    /// Per round: whether the gate promoted that round's adapter.
    pub promoted: Vec<bool>,
    pub series: Vec<RoundsSeries>,
}

/// Draws the chart into a PNG at `output`.
pub fn plot_rounds(chart: &RoundsChart, output: &Path) -> anyhow::Result<()> {
    if chart.rounds == 0 || chart.series.is_empty() {
        anyhow::bail!("the run has no evaluated round to plot");
    }
    font::register()?;
    let root = BitMapBackend::new(output, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (header, body) = root.split_vertically(70);
    let left_top = Pos::new(HPos::Left, VPos::Top);
    let mut title = chart.title.clone();
    if chart.simulation {
        title = format!("SIMULATION \u{2014} {title}");
    }
    header.draw(&Text::new(
        title,
        (24, 14),
        ("sans-serif", 24)
            .into_font()
            .color(if chart.simulation {
                &palette::WARNING
            } else {
                &BLACK
            })
            .pos(left_top),
    ))?;
    header.draw(&Text::new(
        "bars: 95% intervals; \u{2605} on the axis: the gate promoted that round's adapter",
        (24, 46),
        ("sans-serif", 15)
            .into_font()
            .color(&palette::SUBTLE)
            .pos(left_top),
    ))?;
    let rounds = chart.rounds;
    let x_keys: Vec<f64> = (1..=rounds).map(|r| r as f64).collect();
    let y_keys: Vec<f64> = (0..=10).map(|i| f64::from(i) / 10.0).collect();
    let promoted = chart.promoted.clone();
    let mut plot = ChartBuilder::on(&body)
        .margin(20)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(
            FixedTicks::new(0.5..rounds as f64 + 0.5, x_keys),
            FixedTicks::new(0.0..1.04, y_keys),
        )?;
    let label = move |x: &f64| {
        let round = x.round() as usize;
        let star = promoted
            .get(round.wrapping_sub(1))
            .copied()
            .unwrap_or(false);
        format!("{round}{}", if star { " \u{2605}" } else { "" })
    };
    plot.configure_mesh()
        .bold_line_style(palette::GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(palette::SUBTLE)
        .x_label_formatter(&label)
        .y_label_formatter(&|y| format!("{y:.1}"))
        .x_label_style(("sans-serif", 16))
        .y_label_style(("sans-serif", 16))
        .x_desc("round")
        .y_desc("pass@1 on held-out tasks")
        .axis_desc_style(("sans-serif", 18))
        .draw()?;
    let count = chart.series.len() as f64;
    for (j, s) in chart.series.iter().enumerate() {
        let colour = palette::condition_colour(&s.condition, j);
        // Side by side within a round, so equal values and overlapping bars stay visible.
        let dodge = (j as f64 - (count - 1.0) / 2.0) * 0.06;
        let points: Vec<(f64, f64)> = s
            .points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|(v, _)| ((i + 1) as f64 + dodge, v)))
            .collect();
        for (i, p) in s.points.iter().enumerate() {
            if let Some((_, Some([lo, hi]))) = p {
                let x = (i + 1) as f64 + dodge;
                plot.draw_series(std::iter::once(PathElement::new(
                    vec![(x, *lo), (x, *hi)],
                    colour.mix(0.6).stroke_width(2),
                )))?;
            }
        }
        plot.draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))?
            .label(s.condition.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        plot.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 5, colour.filled())),
        )?;
    }
    plot.configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(palette::SUBTLE)
        .label_font(("sans-serif", 16))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()
        .with_context(|| format!("cannot write {}", output.display()))?;
    Ok(())
}
