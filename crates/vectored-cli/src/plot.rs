//! The SVG chart: for each workload, the median time per batch of each strategy on each
//! target (bars grouped by target, logarithmic time axis).

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

use crate::report::{Cell, Report};
use crate::target::TargetKind;

const WIDTH: u32 = 1200;
const PANEL_HEIGHT: u32 = 300;
const LEGEND_ITEM_WIDTH: i32 = 195;
const LEGEND_ROW_HEIGHT: i32 = 22;
/// X units per target.
const SLOT: i32 = 1000;

/// Draws `report` into an SVG file at `path`.
///
/// # Errors
///
/// When the report has no cells or the file cannot be written.
pub fn write_svg(report: &Report, path: &Path) -> anyhow::Result<()> {
    // One panel per workload and one bar per target: a report of several regimes (readers,
    // busy settings) is drawn for its first regime only.
    let first = report.regimes().first().copied().flatten();
    let filtered;
    let report = if report.regimes().len() > 1 {
        filtered = report.only(first);
        &filtered
    } else {
        report
    };
    let workloads = report.workload_names();
    anyhow::ensure!(
        !workloads.is_empty(),
        "nothing to plot: the report has no cells"
    );
    let strategies = report.strategies();
    let per_row = (i32::try_from(WIDTH)? - 20) / LEGEND_ITEM_WIDTH;
    let legend_rows = i32::try_from(strategies.len())?.div_euclid(per_row) + 1;
    let legend_height = 40 + legend_rows * LEGEND_ROW_HEIGHT;
    let height = u32::try_from(legend_height)? + PANEL_HEIGHT * u32::try_from(workloads.len())?;

    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (legend, body) = root.split_vertically(legend_height);

    legend
        .draw(&Text::new(
            format!(
                "vectored bench: median time per batch (log scale), {} ({}, Linux {}, {} build)",
                report.date, report.machine.cpu_model, report.machine.kernel, report.build.profile
            ),
            (10, 8),
            ("sans-serif", 16).into_font(),
        ))
        .map_err(plot_error)?;
    for (i, strategy) in strategies.iter().enumerate() {
        let i = i32::try_from(i)?;
        let (x, y) = (
            10 + (i % per_row) * LEGEND_ITEM_WIDTH,
            34 + (i / per_row) * LEGEND_ROW_HEIGHT,
        );
        legend
            .draw(&Rectangle::new(
                [(x, y), (x + 14, y + 14)],
                color(i).filled(),
            ))
            .map_err(plot_error)?;
        legend
            .draw(&Text::new(
                strategy.name(),
                (x + 20, y),
                ("sans-serif", 14).into_font(),
            ))
            .map_err(plot_error)?;
    }

    let panels = body.split_evenly((workloads.len(), 1));
    for (panel, workload) in panels.iter().zip(&workloads) {
        let cells: Vec<&Cell> = report
            .cells
            .iter()
            .filter(|c| c.workload == *workload)
            .collect();
        draw_panel(panel, workload, &cells, &strategies)?;
    }
    root.present().map_err(plot_error)?;
    Ok(())
}

/// One workload: bars grouped by target, one colour per strategy.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    workload: &str,
    cells: &[&Cell],
    strategies: &[crate::strategy::StrategyKind],
) -> anyhow::Result<()> {
    let targets: Vec<TargetKind> = TargetKind::every()
        .filter(|t| cells.iter().any(|c| c.target == *t))
        .collect();
    #[allow(clippy::cast_precision_loss)] // small counts and nanoseconds far below 2^52
    let micros: Vec<f64> = cells
        .iter()
        .flat_map(|c| &c.results)
        .map(|r| r.stats.median_ns.max(1) as f64 / 1e3)
        .collect();
    let lo = micros.iter().copied().fold(f64::INFINITY, f64::min) / 2.0;
    let hi = micros.iter().copied().fold(0.0, f64::max) * 2.0;
    // Integer x coordinates: each target owns SLOT units, its label sits in the middle.
    let n = i32::try_from(targets.len())?;
    let centers: Vec<i32> = (0..n).map(|i| i * SLOT + SLOT / 2).collect();

    let mut chart = ChartBuilder::on(area)
        .caption(workload, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n * SLOT).with_key_points(centers), (lo..hi).log_scale())
        .map_err(plot_error)?;
    let label_of = |x: &i32| {
        usize::try_from(x / SLOT)
            .ok()
            .and_then(|i| targets.get(i))
            .map_or(String::new(), |t| t.name().to_owned())
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_label_formatter(&label_of)
        .y_desc("µs per batch")
        .y_label_formatter(&|y| format_micros(*y))
        .draw()
        .map_err(plot_error)?;

    // Bars fill the middle 80% of each slot, side by side.
    let width = SLOT * 8 / 10 / i32::try_from(strategies.len().max(1))?;
    for (s, strategy) in (0..).zip(strategies) {
        let style = color(s).filled();
        let bars = (0..).zip(&targets).filter_map(|(t, target)| {
            let cell = cells.iter().find(|c| c.target == *target)?;
            let result = cell.result(*strategy)?;
            let x0 = t * SLOT + SLOT / 10 + s * width;
            #[allow(clippy::cast_precision_loss)]
            let top = result.stats.median_ns.max(1) as f64 / 1e3;
            Some(Rectangle::new(
                [(x0, lo), (x0 + width * 9 / 10, top)],
                style,
            ))
        });
        chart.draw_series(bars).map_err(plot_error)?;
    }
    Ok(())
}

fn color(i: i32) -> PaletteColor<Palette99> {
    Palette99::pick(usize::try_from(i).unwrap_or(0))
}

fn format_micros(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.0} ms", us / 1000.0)
    } else if us >= 1.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.0} ns", us * 1000.0)
    }
}

fn plot_error(e: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("drawing the chart: {e:?}")
}
