//! `vectored bench`: measure (or load) a report, then render it.

use std::io::IsTerminal as _;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::BenchArgs;
use crate::harness;
use crate::machine::utc_now;
use crate::plot;
use crate::regret;
use crate::render;
use crate::report::{Params, Report};

/// Runs `vectored bench` and returns what to print on stdout. The SVG chart, if asked for,
/// is written here; progress and warnings go to stderr.
///
/// # Errors
///
/// When measuring fails (see [`harness::measure`]), the replayed report cannot be read, or
/// the chart cannot be written.
pub fn run(args: &BenchArgs, command_line: Vec<String>) -> anyhow::Result<String> {
    let report = match &args.replay {
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Report::from_json(&json).with_context(|| format!("parsing {}", path.display()))?
        }
        None => measure(args, command_line)?,
    };
    if let Some(path) = &args.plot {
        plot::write_svg(&report, path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if args.json {
        regret::report_json(&report)?
    } else if args.csv {
        render::csv(&report)
    } else if args.markdown {
        render::markdown(&report)
    } else {
        render::table(&report)
    })
}

fn measure(args: &BenchArgs, command_line: Vec<String>) -> anyhow::Result<Report> {
    let plan = args.plan();
    let date = utc_now();
    if cfg!(debug_assertions) && !args.quick {
        eprintln!("vectored: warning: this is a debug build; use --release for real numbers");
    }
    let progress = progress_bar(plan.cell_count() as u64);
    let measurements = harness::measure(&plan, &progress);
    progress.finish_and_clear();
    Ok(Report::new(
        Params::new(&plan, command_line),
        measurements?,
        date,
    ))
}

/// A bar over the cells on stderr; hidden when stderr is not a terminal. It is only redrawn
/// between cells, never while a batch is timed.
fn progress_bar(cells: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(cells);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} cells [{elapsed}] {msg}")
    {
        bar.set_style(style);
    }
    bar
}
