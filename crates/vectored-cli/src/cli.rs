//! The command line: `vectored bench [flags]`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::plan::{Plan, ReaderMode, Regime};
use crate::strategy::StrategyKind;
use crate::target::BatchShape;
use crate::target::TargetKind;
use crate::workload::{Preset, Workload};

/// Measures vectored-I/O strategies side by side on real targets.
#[derive(Debug, Parser)]
#[command(name = "vectored", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Times write strategies (one write per buffer, `BufWriter`, concatenation, `writev`
    /// loops, the library's write-all loops, coalescing) on /dev/null, files, pipes and
    /// sockets, and datagram sends (one `send` each, `sendmmsg`, the library's
    /// `DatagramSender`) on UDP loopback (`--target udp`).
    ///
    /// With no flags: the guide's comparison, 1000 × 1 KiB written with one write per buffer
    /// versus one vectored write-all, on every target (under 20 s in a release build).
    Bench(BenchArgs),

    /// The reader process of `bench --reader process` (internal): reads batches of
    /// `--batch-bytes` from stdin and reports each on stdout.
    #[command(hide = true)]
    Drain(DrainArgs),
}

/// The flags of the hidden `vectored drain`.
#[derive(Debug, Clone, Args)]
pub struct DrainArgs {
    /// Bytes per batch.
    #[arg(long, value_name = "BYTES")]
    pub batch_bytes: usize,
    /// How many batches, from the first, to checksum.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub checked: usize,
    /// Pin this process to CPU N.
    #[arg(long, value_name = "N")]
    pub cpu: Option<usize>,
    /// Datagrams per batch: stdin is a UDP socket, each batch is this many datagrams
    /// carrying --batch-bytes in all (0: stdin is a byte stream).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub datagrams: usize,
}

impl DrainArgs {
    /// The batches to expect.
    pub fn shape(&self) -> BatchShape {
        BatchShape {
            bytes: self.batch_bytes,
            checked: self.checked,
            reader_cpu: self.cpu,
            datagrams: self.datagrams,
        }
    }
}

/// The flags of `vectored bench`.
// Each bool is an independent clap flag; the output formats form an exclusive group.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("format").args(["json", "csv", "markdown"])))]
pub struct BenchArgs {
    /// Run the whole grid: every workload × every target × every strategy (a few minutes),
    /// the datagram workloads on the `udp` target (a few seconds more).
    #[arg(long)]
    pub full: bool,

    /// A workload preset to run (repeatable). Default: 1000x1KiB, plus the four datagram
    /// workloads when a datagram target (`udp`) is measured (all with --full). Datagram
    /// workloads (`dgram-*`, `datagrams`) run on datagram targets only, the others on the
    /// other targets only.
    #[arg(long = "workload", value_name = "PRESET")]
    pub workloads: Vec<Preset>,

    /// A target to write to (repeatable). Default: all but `udp` (all with --full).
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<TargetKind>,

    /// A strategy to time (repeatable). Default: write-each, raw-writev and the library's
    /// write-all loops, plus the datagram strategies when `udp` is measured (all but the
    /// prototypes with --full). The datagram strategies (send-each, sendmmsg,
    /// vectored-datagrams) run on datagram targets only, the others on the other targets.
    #[arg(long = "strategy", value_name = "STRATEGY")]
    pub strategies: Vec<StrategyKind>,

    /// A custom workload of COUNT buffers (with --size); replaces the default workload. With
    /// only datagram targets, COUNT datagrams.
    #[arg(long, value_name = "COUNT", requires = "size", value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,

    /// The buffer size of the custom workload, in bytes (with --count).
    #[arg(long, value_name = "BYTES", requires = "count", value_parser = clap::value_parser!(u32).range(1..))]
    pub size: Option<u32>,

    /// Timed repetitions per strategy and cell. Default: as many as fit in --cell-budget,
    /// between 5 and 200.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: Option<u32>,

    /// Time budget per cell (workload × target), in seconds, when --reps is not given.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub cell_budget: f64,

    /// Who drains pipes and sockets: a thread of this process, or a separate process (as
    /// with `prog | consumer`). Repeatable: the grid runs once per reader (files once).
    /// Default: thread.
    #[arg(long = "reader", value_name = "MODE")]
    pub readers: Vec<ReaderMode>,

    /// Keep N other CPUs busy while measuring: N threads spin at normal priority (as a
    /// compile job would), so the reader cannot count on an idle CPU. Repeatable: the grid
    /// runs once per value (`--busy 0 --busy 1`: both regimes in one report). Default: 0.
    #[arg(long = "busy", value_name = "N", value_parser = clap::value_parser!(u16).range(0..=256))]
    pub busy: Vec<u16>,

    /// Where writer and reader run: `any` (where the scheduler puts them) or `apart` (pinned
    /// to two different CPUs, so the reader always has a CPU of its own and every wake-up
    /// crosses CPUs, as on a machine with an idle core). Repeatable, like --reader. Default:
    /// any.
    #[arg(long = "placement", value_name = "WHERE")]
    pub placements: Vec<Placement>,

    /// A tiny run (3 repetitions), for tests and smoke checks.
    #[arg(long)]
    pub quick: bool,

    /// Print the report as JSON (round-trippable; see --replay).
    #[arg(long)]
    pub json: bool,

    /// Print one CSV row per workload × target × strategy.
    #[arg(long)]
    pub csv: bool,

    /// Print one Markdown table per workload (as in BENCHMARKS.md).
    #[arg(long)]
    pub markdown: bool,

    /// Also draw the median time per strategy and target as an SVG chart.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,

    /// Render a report saved with --json instead of measuring.
    #[arg(long, value_name = "FILE.json", conflicts_with_all = [
        "full", "workloads", "targets", "strategies", "count", "size", "reps", "quick",
        "readers", "busy", "placements",
    ])]
    pub replay: Option<PathBuf>,
}

/// Where writer and reader run (`--placement`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Placement {
    /// Wherever the scheduler puts them.
    Any,
    /// Pinned to two different CPUs.
    Apart,
}

/// The strategies of the default run: the guide's comparison plus the floor.
const DEFAULT_STRATEGIES: [StrategyKind; 4] = [
    StrategyKind::WriteEach,
    StrategyKind::RawWritev,
    StrategyKind::VectoredWriteAll,
    StrategyKind::VectoredWriteAllFd,
];

impl BenchArgs {
    /// What to measure, with the defaults filled in.
    pub fn plan(&self) -> Plan {
        let targets = dedup(if !self.targets.is_empty() {
            self.targets.clone()
        } else if self.full {
            TargetKind::every().collect()
        } else {
            TargetKind::ALL.to_vec()
        });
        let datagram_targets = targets.iter().any(|t| t.is_datagram());
        let stream_targets = targets.iter().any(|t| !t.is_datagram());
        let mut workloads: Vec<Workload> = Vec::new();
        let full: Vec<Preset> = Preset::ALL.into_iter().chain(Preset::DATAGRAMS).collect();
        let presets: &[Preset] = if self.full && self.workloads.is_empty() && self.count.is_none() {
            &full
        } else {
            &self.workloads
        };
        for preset in presets {
            for workload in preset.workloads() {
                if !workloads.contains(&workload) {
                    workloads.push(workload);
                }
            }
        }
        if let (Some(count), Some(size)) = (self.count, self.size) {
            // Datagrams when only datagram targets were asked for (each buffer a datagram).
            let (count, size) = (count as usize, size as usize);
            workloads.push(if datagram_targets && !stream_targets {
                Workload::datagrams(count, size)
            } else {
                Workload::uniform(count, size)
            });
        }
        if workloads.is_empty() {
            if stream_targets {
                workloads = Preset::Guide.workloads();
            }
            if datagram_targets {
                workloads.extend(Preset::Datagrams.workloads());
            }
        }
        let mut strategies = if !self.strategies.is_empty() {
            self.strategies.clone()
        } else if !stream_targets {
            Vec::new()
        } else if self.full {
            StrategyKind::ALL.to_vec()
        } else {
            DEFAULT_STRATEGIES.to_vec()
        };
        if self.strategies.is_empty() && datagram_targets {
            strategies.extend(StrategyKind::DATAGRAM);
        }
        let strategies = dedup(strategies);
        let (min_reps, max_reps) = match (self.reps, self.quick) {
            (Some(reps), _) => (reps as usize, reps as usize),
            (None, true) => (3, 3),
            (None, false) => (5, 200),
        };
        Plan {
            workloads,
            targets,
            strategies,
            min_reps,
            max_reps,
            cell_budget: Duration::from_secs_f64(self.cell_budget.clamp(0.0, 3600.0)),
            regimes: self.regimes(),
        }
    }
}

impl BenchArgs {
    /// Every busy setting × every reader, busy settings outer (spinners start once per
    /// setting), repeats removed.
    fn regimes(&self) -> Vec<Regime> {
        let readers = if self.readers.is_empty() {
            vec![ReaderMode::Thread]
        } else {
            dedup(self.readers.clone())
        };
        let busy = if self.busy.is_empty() {
            vec![0]
        } else {
            dedup(self.busy.clone())
        };
        let placements = if self.placements.is_empty() {
            vec![Placement::Any]
        } else {
            dedup(self.placements.clone())
        };
        let mut regimes = Vec::new();
        for &busy in &busy {
            for &placement in &placements {
                for &reader in &readers {
                    regimes.push(Regime {
                        reader,
                        busy: usize::from(busy),
                        apart: placement == Placement::Apart,
                    });
                }
            }
        }
        regimes
    }
}

/// Removes repeats, keeping the first occurrence of each.
fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn bench(args: &[&str]) -> BenchArgs {
        let cli = Cli::try_parse_from(["vectored", "bench"].iter().chain(args)).unwrap();
        let Command::Bench(args) = cli.command else {
            panic!("not bench")
        };
        args
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_flags_is_the_guide_comparison() {
        let plan = bench(&[]).plan();
        assert_eq!(plan.workloads, Preset::Guide.workloads());
        assert_eq!(plan.targets, TargetKind::ALL);
        assert_eq!(plan.strategies, DEFAULT_STRATEGIES);
        assert_eq!((plan.min_reps, plan.max_reps), (5, 200));
    }

    #[test]
    fn full_is_the_whole_grid() {
        let plan = bench(&["--full"]).plan();
        assert_eq!(plan.workloads.len(), 5 + 12 + 4);
        assert_eq!(plan.targets.len(), TargetKind::ALL.len() + 1);
        let mut all = StrategyKind::ALL.to_vec();
        all.extend(StrategyKind::DATAGRAM);
        assert_eq!(plan.strategies, all);
    }

    #[test]
    fn the_udp_target_brings_the_datagram_defaults() {
        let plan = bench(&["--target", "udp"]).plan();
        assert_eq!(plan.workloads, Preset::Datagrams.workloads());
        assert_eq!(plan.strategies, StrategyKind::DATAGRAM);
        assert_eq!(plan.cell_count(), 4);
        let plan = bench(&["--target", "udp", "--target", "pipe"]).plan();
        assert_eq!(plan.workloads.len(), 1 + 4);
        assert_eq!(plan.cell_count(), 1 + 4);
        let plan = bench(&[
            "--target",
            "udp",
            "--workload",
            "dgram-1024xmixed",
            "--strategy",
            "send-each",
            "--strategy",
            "vectored-datagrams",
        ])
        .plan();
        assert_eq!(plan.workloads.len(), 1);
        assert_eq!(
            plan.strategies,
            [StrategyKind::SendEach, StrategyKind::VectoredDatagrams]
        );
        let plan = bench(&["--target", "udp", "--count", "10", "--size", "100"]).plan();
        assert!(plan.workloads[0].datagrams);
        assert_eq!(plan.workloads[0].name, "dgram-10x100B");
    }

    #[test]
    fn repeatable_flags_and_custom_workload() {
        let plan = bench(&[
            "--workload",
            "header+body",
            "--workload",
            "16x64KiB",
            "--target",
            "pipe",
            "--target",
            "pipe",
            "--strategy",
            "concat",
            "--count",
            "7",
            "--size",
            "3",
            "--reps",
            "4",
        ])
        .plan();
        let names: Vec<&str> = plan.workloads.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["header+body", "16x64KiB", "7x3B"]);
        assert_eq!(plan.targets, [TargetKind::Pipe]);
        assert_eq!(plan.strategies, [StrategyKind::Concat]);
        assert_eq!((plan.min_reps, plan.max_reps), (4, 4));
    }

    #[test]
    fn readers_and_busy_settings_multiply() {
        assert_eq!(bench(&[]).plan().regimes, [Regime::default()]);
        let plan = bench(&[
            "--reader", "thread", "--reader", "process", "--busy", "0", "--busy", "1", "--target",
            "pipe", "--target", "devnull",
        ])
        .plan();
        let got: Vec<(ReaderMode, usize)> =
            plan.regimes.iter().map(|r| (r.reader, r.busy)).collect();
        assert_eq!(
            got,
            [
                (ReaderMode::Thread, 0),
                (ReaderMode::Process, 0),
                (ReaderMode::Thread, 1),
                (ReaderMode::Process, 1)
            ]
        );
        // The pipe under all four regimes, /dev/null once per busy setting.
        assert_eq!(plan.cell_count(), 4 + 2);
        let plan = bench(&[
            "--placement",
            "any",
            "--placement",
            "apart",
            "--target",
            "unix",
        ])
        .plan();
        let apart: Vec<bool> = plan.regimes.iter().map(|r| r.apart).collect();
        assert_eq!(apart, [false, true]);
    }

    #[test]
    fn invalid_combinations_are_rejected() {
        let parse = |args: &[&str]| Cli::try_parse_from(["vectored", "bench"].iter().chain(args));
        assert!(parse(&["--count", "3"]).is_err());
        assert!(parse(&["--json", "--csv"]).is_err());
        assert!(parse(&["--replay", "r.json", "--full"]).is_err());
        assert!(parse(&["--reps", "0"]).is_err());
        assert!(parse(&["--target", "floppy"]).is_err());
        assert!(parse(&["--quick", "--json", "--plot", "x.svg"]).is_ok());
    }
}
