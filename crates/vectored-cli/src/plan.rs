//! What to measure: the plan a run follows, and the conditions it runs under. Pure data,
//! shared by the command line (which builds it), the harness (which runs it) and the report
//! (which records it); it depends only on the data modules below it (`workload`, `target`,
//! `strategy`), never on the harness, the report or the renderers.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::strategy::StrategyKind;
pub use crate::target::ReaderMode;
use crate::target::TargetKind;
use crate::workload::Workload;

/// What to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The workloads, in order.
    pub workloads: Vec<Workload>,
    /// The targets, in order.
    pub targets: Vec<TargetKind>,
    /// The strategies, in order.
    pub strategies: Vec<StrategyKind>,
    /// The fewest timed repetitions per strategy and cell.
    pub min_reps: usize,
    /// The most timed repetitions per strategy and cell.
    pub max_reps: usize,
    /// Time allowed per cell; the repetitions are fitted to it within the limits above.
    pub cell_budget: Duration,
    /// The regimes to run the grid under, in order (at least one): who drains pipes and
    /// sockets, and how many threads keep the other CPUs busy.
    pub regimes: Vec<Regime>,
}

impl Plan {
    /// The number of cells (workload × target × regime) that will be measured: files and
    /// `/dev/null` once per busy setting, not once per reader; datagram workloads on
    /// datagram targets only, and only targets with at least one strategy of their kind.
    pub fn cell_count(&self) -> usize {
        self.regimes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                self.workloads
                    .iter()
                    .map(|w| {
                        self.targets
                            .iter()
                            .filter(|t| self.measures_cell(w, **t, *r, i))
                            .count()
                    })
                    .sum::<usize>()
            })
            .sum()
    }

    /// Whether `target` is measured under the `index`-th regime `regime`: pipes and sockets
    /// always; files and `/dev/null`, which have no reader, only under the first regime with
    /// that busy setting.
    pub fn measures(&self, target: TargetKind, regime: Regime, index: usize) -> bool {
        target.is_stream()
            || !self.regimes[..index]
                .iter()
                .any(|earlier| earlier.busy == regime.busy)
    }

    /// Whether the cell `workload` × `target` is measured under the `index`-th regime: as
    /// [`measures`](Self::measures), with datagram workloads on datagram targets and the
    /// others on the others, when the plan has a strategy for the target.
    pub fn measures_cell(
        &self,
        workload: &Workload,
        target: TargetKind,
        regime: Regime,
        index: usize,
    ) -> bool {
        workload.datagrams == target.is_datagram()
            && !self.strategies_for(target).is_empty()
            && self.measures(target, regime, index)
    }

    /// The plan's strategies that run on `target`: the datagram strategies on datagram
    /// targets, the others elsewhere.
    pub fn strategies_for(&self, target: TargetKind) -> Vec<StrategyKind> {
        self.strategies
            .iter()
            .copied()
            .filter(|s| s.is_datagram() == target.is_datagram())
            .collect()
    }
}

/// The conditions of a run: the reader of pipes and sockets, and how many threads spin
/// beside the benchmark to keep the other CPUs busy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Regime {
    /// Who reads pipes and sockets.
    pub reader: ReaderMode,
    /// Spinning threads (normal priority) running during the whole measurement.
    pub busy: usize,
    /// Writer and reader pinned to two different CPUs (`--placement apart`), so the reader
    /// always has a CPU of its own; absent (false) in older reports.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apart: bool,
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reader {}", self.reader.name())?;
        if self.apart {
            write!(f, " on its own CPU")?;
        }
        match self.busy {
            0 => Ok(()),
            1 => write!(f, ", 1 busy thread"),
            n => write!(f, ", {n} busy threads"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagram_cells_pair_datagram_workloads_targets_and_strategies() {
        let plan = Plan {
            workloads: vec![Workload::uniform(10, 10), Workload::datagrams(10, 10)],
            targets: vec![TargetKind::Pipe, TargetKind::Udp, TargetKind::DevNull],
            strategies: vec![StrategyKind::WriteEach, StrategyKind::SendEach],
            min_reps: 1,
            max_reps: 1,
            cell_budget: Duration::ZERO,
            regimes: vec![
                Regime::default(),
                Regime {
                    reader: ReaderMode::Process,
                    ..Regime::default()
                },
            ],
        };
        assert_eq!(
            plan.strategies_for(TargetKind::Udp),
            [StrategyKind::SendEach]
        );
        assert_eq!(
            plan.strategies_for(TargetKind::Pipe),
            [StrategyKind::WriteEach]
        );
        let r = Regime::default();
        assert!(plan.measures_cell(&plan.workloads[1], TargetKind::Udp, r, 0));
        assert!(!plan.measures_cell(&plan.workloads[0], TargetKind::Udp, r, 0));
        assert!(!plan.measures_cell(&plan.workloads[1], TargetKind::Pipe, r, 0));
        // Stream workload: pipe twice, /dev/null once; datagram workload: udp twice.
        assert_eq!(plan.cell_count(), 3 + 2);
        let stream_only = Plan {
            strategies: vec![StrategyKind::WriteEach],
            ..plan
        };
        assert_eq!(stream_only.cell_count(), 3);
    }

    #[test]
    fn regime_labels() {
        assert_eq!(Regime::default().to_string(), "reader thread");
        let r = Regime {
            reader: ReaderMode::Process,
            busy: 2,
            apart: true,
        };
        assert_eq!(
            r.to_string(),
            "reader process on its own CPU, 2 busy threads"
        );
    }
}
