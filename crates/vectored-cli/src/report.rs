//! The report: what was measured, where, and the results; serialisable both ways, so a saved
//! `--json` report can be rendered again (`--replay`).

use serde::{Deserialize, Serialize};

use crate::machine::{Build, Machine};
use crate::plan::{Plan, Regime};
use crate::strategy::StrategyKind;
use crate::target::TargetKind;
use crate::workload::Workload;

/// The schema name and version written into every report.
pub const SCHEMA: &str = "vectored-bench/1";

/// A whole benchmark run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// When the run started, RFC 3339 UTC.
    pub date: String,
    /// The machine it ran on.
    pub machine: Machine,
    /// How the CLI was built.
    pub build: Build,
    /// What was asked for.
    pub params: Params,
    /// Targets that could not be opened, with the reason.
    pub skipped: Vec<Skipped>,
    /// One per workload × target, in run order.
    pub cells: Vec<Cell>,
}

/// The measured cells, and the targets that could not be opened: what the harness returns.
#[derive(Debug, Default)]
pub struct Measurements {
    /// One per workload × available target.
    pub cells: Vec<Cell>,
    /// Targets missing on this machine.
    pub skipped: Vec<Skipped>,
}

/// The parameters of a run, defaults filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The command line, as given.
    pub command_line: Vec<String>,
    /// The workloads, with their exact buffer sizes.
    pub workloads: Vec<Workload>,
    /// The targets asked for.
    pub targets: Vec<TargetKind>,
    /// The strategies timed.
    pub strategies: Vec<StrategyKind>,
    /// The fewest timed repetitions per strategy and cell.
    pub min_reps: usize,
    /// The most timed repetitions per strategy and cell.
    pub max_reps: usize,
    /// The time budget per cell, in seconds.
    pub cell_budget_secs: f64,
}

impl Params {
    /// The parameters of `plan`, run as `command_line`.
    pub fn new(plan: &Plan, command_line: Vec<String>) -> Self {
        Self {
            command_line,
            workloads: plan.workloads.clone(),
            targets: plan.targets.clone(),
            strategies: plan.strategies.clone(),
            min_reps: plan.min_reps,
            max_reps: plan.max_reps,
            cell_budget_secs: plan.cell_budget.as_secs_f64(),
        }
    }
}

/// A target that was not measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The target.
    pub target: TargetKind,
    /// Why it could not be opened.
    pub reason: String,
}

/// The results of every strategy for one workload on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The workload's name.
    pub workload: String,
    /// Buffers per batch.
    pub buffers: usize,
    /// Bytes per batch.
    pub bytes: usize,
    /// The target.
    pub target: TargetKind,
    /// What the target was on this machine, e.g. `/tmp (ext4)`.
    pub target_detail: String,
    /// One per strategy, in plan order.
    pub results: Vec<StrategyResult>,
    /// The reader (thread or process) and the busy threads; absent in reports from before
    /// these options existed (a reader thread, nothing busy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<Regime>,
}

/// Who counted the write system calls of a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyscallCounter {
    /// The strategy, one increment per call.
    Strategy,
    /// The kernel's per-thread I/O accounting (`syscw`), for calls made inside the library.
    Kernel,
    /// Nobody: library calls on sockets use `sendmsg`, which the kernel does not count.
    Unknown,
}

/// Minimum, median and maximum of the per-batch times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleStats {
    /// Timed repetitions.
    pub reps: usize,
    /// The fastest batch, in nanoseconds.
    pub min_ns: u64,
    /// The median batch, in nanoseconds.
    pub median_ns: u64,
    /// The slowest batch, in nanoseconds.
    pub max_ns: u64,
}

impl SampleStats {
    /// The statistics of `samples` (which get sorted); all zero when empty.
    pub fn of(samples: &mut [u64]) -> Self {
        samples.sort_unstable();
        let reps = samples.len();
        if reps == 0 {
            return Self {
                reps,
                min_ns: 0,
                median_ns: 0,
                max_ns: 0,
            };
        }
        let median_ns = if reps % 2 == 1 {
            samples[reps / 2]
        } else {
            samples[reps / 2 - 1].midpoint(samples[reps / 2])
        };
        Self {
            reps,
            min_ns: samples[0],
            median_ns,
            max_ns: samples[reps - 1],
        }
    }
}

/// One strategy's result in one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyResult {
    /// The strategy.
    pub strategy: StrategyKind,
    /// Per-batch times.
    #[serde(flatten)]
    pub stats: SampleStats,
    /// Mean write system calls per batch, when known.
    pub syscalls_per_batch: Option<f64>,
    /// Who counted them.
    pub syscalls_counted_by: SyscallCounter,
    /// Bytes per second at the median time.
    pub throughput_bytes_per_sec: f64,
    /// Median time over the best median in the cell (1.0 for the best).
    pub ratio_to_best: f64,
    /// Median time over the `raw-writev` median, when that was measured.
    pub ratio_to_floor: Option<f64>,
    /// What the scheduler did, per batch (means over the timed batches); absent in older
    /// reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switches: Option<SwitchCounts>,
}

/// Mean context switches and reads per batch: evidence of how writer and reader took turns
/// that, unlike times, hardly moves with the load of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SwitchCounts {
    /// The writer blocked (a full pipe or socket buffer).
    pub writer_voluntary: f64,
    /// The writer was preempted (typically by the reader it woke on its own CPU).
    pub writer_involuntary: f64,
    /// The reader's `read` calls (pipes and sockets only).
    pub reader_reads: Option<f64>,
    /// The reader blocked waiting for data (from the end of the previous batch).
    pub reader_voluntary: Option<f64>,
    /// The reader was preempted.
    pub reader_involuntary: Option<f64>,
}

impl StrategyResult {
    /// A result with its ratios still to be filled in by [`Cell::new`].
    pub fn new(
        strategy: StrategyKind,
        stats: SampleStats,
        syscalls_per_batch: Option<f64>,
        syscalls_counted_by: SyscallCounter,
    ) -> Self {
        Self {
            strategy,
            stats,
            syscalls_per_batch,
            syscalls_counted_by,
            throughput_bytes_per_sec: 0.0,
            ratio_to_best: 1.0,
            ratio_to_floor: None,
            switches: None,
        }
    }
}

impl Cell {
    /// A cell with its throughputs and ratios computed from the medians.
    #[allow(clippy::cast_precision_loss)] // nanoseconds and bytes far below 2^52
    pub fn new(
        workload: &Workload,
        target: TargetKind,
        target_detail: String,
        mut results: Vec<StrategyResult>,
    ) -> Self {
        let bytes = workload.total_bytes();
        // A zero median cannot happen with a real clock; 1 ns keeps the ratios finite.
        let median = |r: &StrategyResult| r.stats.median_ns.max(1) as f64;
        let best = results.iter().map(median).fold(f64::INFINITY, f64::min);
        let floor = results
            .iter()
            .find(|r| r.strategy == StrategyKind::FLOOR)
            .map(median);
        for result in &mut results {
            let m = median(result);
            result.throughput_bytes_per_sec = bytes as f64 / (m * 1e-9);
            result.ratio_to_best = m / best;
            result.ratio_to_floor = floor.map(|f| m / f);
        }
        Self {
            workload: workload.name.clone(),
            buffers: workload.buffer_count(),
            bytes,
            target,
            target_detail,
            results,
            regime: None,
        }
    }

    /// The result of `strategy`, if it was measured.
    pub fn result(&self, strategy: StrategyKind) -> Option<&StrategyResult> {
        self.results.iter().find(|r| r.strategy == strategy)
    }
}

impl Report {
    /// A report of `measurements`, taken on this machine with this build.
    pub fn new(params: Params, measurements: Measurements, date: String) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            date,
            machine: Machine::current(),
            build: Build::current(),
            params,
            skipped: measurements.skipped,
            cells: measurements.cells,
        }
    }

    /// The report as pretty-printed JSON.
    ///
    /// # Errors
    ///
    /// Never in practice: every field is representable.
    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    /// Parses a report written by [`to_json`](Self::to_json).
    ///
    /// # Errors
    ///
    /// When `json` is not a report of this schema.
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        let report: Self = serde_json::from_str(json)?;
        anyhow::ensure!(
            report.schema == SCHEMA,
            "report schema is {:?}, this version reads {SCHEMA:?}",
            report.schema
        );
        Ok(report)
    }

    /// The workload names in run order, each once.
    pub fn workload_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for cell in &self.cells {
            if !names.contains(&cell.workload.as_str()) {
                names.push(&cell.workload);
            }
        }
        names
    }

    /// The regimes (reader, busy threads) of the cells, in run order, each once; `[None]` for
    /// a report from before regimes were recorded.
    pub fn regimes(&self) -> Vec<Option<Regime>> {
        let mut regimes = Vec::new();
        for cell in &self.cells {
            if !regimes.contains(&cell.regime) {
                regimes.push(cell.regime);
            }
        }
        regimes
    }

    /// A copy with only the cells measured under `regime`.
    #[must_use]
    pub fn only(&self, regime: Option<Regime>) -> Report {
        let mut report = self.clone();
        report.cells.retain(|c| c.regime == regime);
        report
    }

    /// The strategies that appear in the cells, in plan order.
    pub fn strategies(&self) -> Vec<StrategyKind> {
        self.params
            .strategies
            .iter()
            .copied()
            .filter(|s| self.cells.iter().any(|c| c.result(*s).is_some()))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A result with every statistic equal to `median_ns` and no syscall count, for tests
    /// of what is computed from the medians.
    pub(crate) fn result(strategy: StrategyKind, median_ns: u64) -> StrategyResult {
        StrategyResult::new(
            strategy,
            SampleStats {
                reps: 1,
                min_ns: median_ns,
                median_ns,
                max_ns: median_ns,
            },
            None,
            SyscallCounter::Unknown,
        )
    }

    /// A report without cells, for tests of what is computed from the cells.
    pub(crate) fn empty_report() -> Report {
        Report {
            schema: SCHEMA.to_owned(),
            date: String::new(),
            machine: Machine::current(),
            build: Build::current(),
            params: Params::new(
                &Plan {
                    workloads: vec![],
                    targets: vec![],
                    strategies: vec![],
                    min_reps: 1,
                    max_reps: 1,
                    cell_budget: std::time::Duration::ZERO,
                    regimes: vec![Regime::default()],
                },
                vec![],
            ),
            skipped: vec![],
            cells: vec![],
        }
    }

    #[test]
    fn stats_of_odd_even_and_empty() {
        let s = SampleStats::of(&mut [5, 1, 3]);
        assert_eq!((s.reps, s.min_ns, s.median_ns, s.max_ns), (3, 1, 3, 5));
        assert_eq!(SampleStats::of(&mut [4, 1, 3, 10]).median_ns, 3);
        assert_eq!(SampleStats::of(&mut []).reps, 0);
    }

    #[test]
    fn ratios_are_relative_to_best_and_floor() {
        let stats = |median_ns| SampleStats {
            reps: 1,
            min_ns: median_ns,
            median_ns,
            max_ns: median_ns,
        };
        let cell = Cell::new(
            &Workload::uniform(2, 500),
            TargetKind::Pipe,
            "pipe".to_owned(),
            vec![
                StrategyResult::new(
                    StrategyKind::WriteEach,
                    stats(4000),
                    Some(2.0),
                    SyscallCounter::Strategy,
                ),
                StrategyResult::new(
                    StrategyKind::RawWritev,
                    stats(2000),
                    Some(1.0),
                    SyscallCounter::Strategy,
                ),
                StrategyResult::new(
                    StrategyKind::Concat,
                    stats(1000),
                    Some(1.0),
                    SyscallCounter::Strategy,
                ),
            ],
        );
        let each = cell.result(StrategyKind::WriteEach).unwrap();
        assert!((each.ratio_to_best - 4.0).abs() < 1e-12);
        assert!((each.ratio_to_floor.unwrap() - 2.0).abs() < 1e-12);
        assert!((each.throughput_bytes_per_sec - 250e6).abs() < 1.0);
        assert!((cell.result(StrategyKind::Concat).unwrap().ratio_to_best - 1.0).abs() < 1e-12);
    }
}
