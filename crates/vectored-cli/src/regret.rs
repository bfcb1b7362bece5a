//! The no-regret summary: in every cell, how far the best of the library's strategies is
//! behind the best strategy of any kind.
//!
//! A library whose reason to exist is speed must never be the slower choice. For each cell
//! (workload × target × regime) the summary divides the best median among the library's
//! strategies ([`LIBRARY`]) by the best median of all, counts the cells above
//! [`THRESHOLD`], names the worst, and gives each strategy's worst ratio over the cells.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::plan::Regime;
use crate::report::{Cell, Report};
use crate::strategy::StrategyKind;
use crate::target::TargetKind;

/// The library's own strategies: the ones that must never lose.
pub const LIBRARY: [StrategyKind; 5] = [
    StrategyKind::VectoredWriteAll,
    StrategyKind::VectoredWriteAllFd,
    StrategyKind::VectoredQueue,
    StrategyKind::VectoredQueueFd,
    StrategyKind::VectoredDatagrams,
];

/// A cell counts as lost when the library's best is more than this times the best.
pub const THRESHOLD: f64 = 1.10;

/// The summary of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoRegret {
    /// [`THRESHOLD`].
    pub threshold: f64,
    /// Cells with at least one library strategy and one other.
    pub cells: usize,
    /// Cells whose ratio is above the threshold.
    pub cells_above: usize,
    /// The cell with the highest ratio.
    pub worst: Option<CellRegret>,
    /// Every cell above the threshold, worst first.
    pub losing: Vec<CellRegret>,
    /// Per strategy (library ones first), its worst ratio to the best over the cells.
    pub per_strategy: Vec<StrategyWorst>,
}

/// One cell of the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRegret {
    /// The workload's name.
    pub workload: String,
    /// The target.
    pub target: TargetKind,
    /// The reader and busy threads, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<Regime>,
    /// The library's best strategy in the cell.
    pub library_best: StrategyKind,
    /// The best strategy of all in the cell.
    pub best: StrategyKind,
    /// The library's best median over the best median.
    pub ratio: f64,
}

/// One strategy's worst cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyWorst {
    /// The strategy.
    pub strategy: StrategyKind,
    /// Whether it is one of [`LIBRARY`].
    pub library: bool,
    /// Its highest ratio to the best.
    pub worst_ratio: f64,
    /// Where.
    pub workload: String,
    /// Where.
    pub target: TargetKind,
    /// Where: the reader and busy threads, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<Regime>,
    /// The number of cells it ran in.
    pub cells: usize,
    /// Cells above [`THRESHOLD`].
    pub cells_above: usize,
}

/// The summary of `report`; `None` when no cell has a library strategy and another to
/// compare it with.
pub fn summarize(report: &Report) -> Option<NoRegret> {
    let mut rows: Vec<CellRegret> = report.cells.iter().filter_map(cell_regret).collect();
    if rows.is_empty() {
        return None;
    }
    let cells = rows.len();
    rows.sort_by(|a, b| b.ratio.total_cmp(&a.ratio));
    let worst = rows.first().cloned();
    let losing: Vec<CellRegret> = rows.into_iter().filter(|r| r.ratio > THRESHOLD).collect();
    let mut strategies: Vec<StrategyKind> = LIBRARY.to_vec();
    strategies.extend(
        report
            .strategies()
            .into_iter()
            .filter(|s| !LIBRARY.contains(s)),
    );
    let per_strategy = strategies
        .into_iter()
        .filter_map(|s| strategy_worst(report, s))
        .collect();
    Some(NoRegret {
        threshold: THRESHOLD,
        cells,
        cells_above: losing.len(),
        worst,
        losing,
        per_strategy,
    })
}

fn cell_regret(cell: &Cell) -> Option<CellRegret> {
    let library = cell
        .results
        .iter()
        .filter(|r| LIBRARY.contains(&r.strategy))
        .min_by_key(|r| r.stats.median_ns)?;
    if cell.results.len() < 2 {
        return None;
    }
    let best = cell.results.iter().min_by_key(|r| r.stats.median_ns)?;
    #[allow(clippy::cast_precision_loss)] // nanoseconds far below 2^52
    let ratio = library.stats.median_ns.max(1) as f64 / best.stats.median_ns.max(1) as f64;
    Some(CellRegret {
        workload: cell.workload.clone(),
        target: cell.target,
        regime: cell.regime,
        library_best: library.strategy,
        best: best.strategy,
        ratio,
    })
}

fn strategy_worst(report: &Report, strategy: StrategyKind) -> Option<StrategyWorst> {
    let mut worst: Option<(&Cell, f64)> = None;
    let (mut cells, mut cells_above) = (0, 0);
    for cell in &report.cells {
        let Some(r) = cell.result(strategy) else {
            continue;
        };
        cells += 1;
        if r.ratio_to_best > THRESHOLD {
            cells_above += 1;
        }
        if worst.is_none_or(|(_, w)| r.ratio_to_best > w) {
            worst = Some((cell, r.ratio_to_best));
        }
    }
    let (cell, worst_ratio) = worst?;
    Some(StrategyWorst {
        strategy,
        library: LIBRARY.contains(&strategy),
        worst_ratio,
        workload: cell.workload.clone(),
        target: cell.target,
        regime: cell.regime,
        cells,
        cells_above,
    })
}

/// `report` as `--json` prints it: the report itself (which [`Report::from_json`] reads back)
/// plus its summary under `"no_regret"`, derived from the cells and so recomputed on replay.
///
/// # Errors
///
/// Never in practice: every field is representable.
pub fn report_json(report: &Report) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(report)?;
    if let (Some(object), Some(summary)) = (value.as_object_mut(), summarize(report)) {
        object.insert("no_regret".to_owned(), serde_json::to_value(summary)?);
    }
    Ok(serde_json::to_string_pretty(&value)? + "\n")
}

/// The summary as text, for the end of the table (and, indented, in Markdown).
pub fn render(summary: &NoRegret) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "No regret: best library strategy ÷ best of all, per cell: {} of {} cells above {:.2}×{}",
        summary.cells_above,
        summary.cells,
        summary.threshold,
        summary
            .worst
            .as_ref()
            .map_or(String::new(), |w| format!("; worst {}", describe(w))),
    );
    for cell in &summary.losing {
        let _ = writeln!(out, "  {}", describe(cell));
    }
    let _ = writeln!(
        out,
        "  {:<32} {:>7} {:>8}  worst cell",
        "strategy", "worst", "cells>"
    );
    for s in &summary.per_strategy {
        let _ = writeln!(
            out,
            "  {:<32} {:>6.2}× {:>4}/{:<3}  {} → {}{}",
            format!(
                "{}{}",
                s.strategy.name(),
                if s.library { " (library)" } else { "" }
            ),
            s.worst_ratio,
            s.cells_above,
            s.cells,
            s.workload,
            s.target.name(),
            s.regime.map_or(String::new(), |r| format!(" ({r})")),
        );
    }
    out
}

/// `1024x512B → pipe (reader process): 2.31× (vectored-write-all-fd vs bufwriter)`.
fn describe(cell: &CellRegret) -> String {
    let regime = cell.regime.map_or(String::new(), |r| format!(" ({r})"));
    format!(
        "{} → {}{regime}: {:.2}× ({} vs {})",
        cell.workload,
        cell.target.name(),
        cell.ratio,
        cell.library_best.name(),
        cell.best.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::result;
    use crate::workload::Workload;

    fn cell(target: TargetKind, medians: &[(StrategyKind, u64)]) -> Cell {
        let results = medians.iter().map(|&(s, m)| result(s, m)).collect();
        Cell::new(&Workload::uniform(4, 8), target, String::new(), results)
    }

    #[test]
    fn counts_cells_above_the_threshold_and_names_the_worst() {
        use StrategyKind::*;
        let mut report = crate::report::tests::empty_report();
        report.params.strategies = vec![WriteEach, VectoredWriteAll, VectoredQueue];
        report.cells = vec![
            cell(
                TargetKind::Pipe,
                &[
                    (WriteEach, 100),
                    (VectoredWriteAll, 300),
                    (VectoredQueue, 200),
                ],
            ),
            cell(
                TargetKind::Unix,
                &[(WriteEach, 100), (VectoredWriteAll, 105)],
            ),
            cell(
                TargetKind::DevNull,
                &[(WriteEach, 500), (VectoredWriteAll, 100)],
            ),
            cell(TargetKind::Tcp, &[(WriteEach, 500)]),
        ];
        let s = summarize(&report).unwrap();
        assert_eq!((s.cells, s.cells_above), (3, 1));
        let worst = s.worst.unwrap();
        assert_eq!(
            (worst.target, worst.library_best, worst.best),
            (TargetKind::Pipe, VectoredQueue, WriteEach)
        );
        assert!((worst.ratio - 2.0).abs() < 1e-12);
        let all = &s.per_strategy[0];
        assert_eq!(
            (all.strategy, all.cells, all.cells_above),
            (VectoredWriteAll, 3, 1)
        );
        assert!((all.worst_ratio - 3.0).abs() < 1e-12);
        assert_eq!(s.per_strategy.last().unwrap().strategy, WriteEach);
        let json = report_json(&report).unwrap();
        assert_eq!(Report::from_json(&json).unwrap(), report);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["no_regret"]["cells_above"], 1);
        let text = render(&summarize(&report).unwrap());
        assert!(
            text.contains("1 of 3 cells above 1.10×; worst 4x8B → pipe: 2.00×"),
            "{text}"
        );
    }

    #[test]
    fn no_summary_without_a_library_strategy() {
        let mut report = crate::report::tests::empty_report();
        report.cells = vec![cell(
            TargetKind::Pipe,
            &[(StrategyKind::WriteEach, 1), (StrategyKind::Concat, 2)],
        )];
        assert!(summarize(&report).is_none());
    }
}
