//! The measurement loop: cells of workload × target, strategies interleaved round-robin.
//!
//! For each cell the harness opens a fresh target, then
//! 1. runs one batch per strategy with the reader keeping every byte, and checks that the
//!    target received exactly the batch and that the strategy's own syscall count matches
//!    the kernel's (correctness of the harness itself);
//! 2. runs one timed warm-up round to size the run;
//! 3. runs the timed rounds, each strategy once per round, in a freshly shuffled order every
//!    round, so drift hits all strategies alike and no strategy always follows the same one
//!    (a fixed cyclic order would, e.g., always run the same strategy right after 1000
//!    small writes have left a TCP connection in a different state).
//!
//! A batch is timed from the first write call until the target has every byte: the call
//! returning for files and `/dev/null`, the reader holding the last byte for pipes and
//! sockets. Truncating files and waking the reader for the next batch are outside the timing.

use std::io::IoSlice;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _};
use indicatif::ProgressBar;

use crate::busy::Spinners;
use crate::cpus::{two_cpus, Pinned};
use crate::plan::{Plan, ReaderMode};
use crate::report::{
    Cell, Measurements, SampleStats, Skipped, StrategyResult, SwitchCounts, SyscallCounter,
};
use crate::strategy::{Batch, Strategy, StrategyKind};
use crate::syscalls::{thread_write_syscalls, SwitchCounter, Switches};
use crate::target::{BatchShape, ReaderStats, Target, TargetKind};
use crate::workload::Workload;

/// Runs every cell of `plan`, advancing `progress` by one per cell.
///
/// # Errors
///
/// When a strategy fails, a target delivers wrong bytes, or syscall counts disagree: the
/// numbers would be meaningless. A target that cannot be opened is skipped, not an error.
pub fn measure(plan: &Plan, progress: &ProgressBar) -> anyhow::Result<Measurements> {
    let mut out = Measurements::default();
    for (index, &regime) in plan.regimes.iter().enumerate() {
        let _spinners = Spinners::start(regime.busy).context("starting the busy threads")?;
        // Apart: this (writing) thread on one CPU, the reader on another, until the regime ends.
        let (reader_cpu, _pinned) = if regime.apart {
            let (writer, reader) = two_cpus()?;
            (Some(reader), Some(Pinned::to(writer)?))
        } else {
            (None, None)
        };
        for workload in &plan.workloads {
            let bufs = workload.make_buffers();
            let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
            let expected = expected_bytes(workload, &bufs);
            let batch = Batch {
                bufs: &bufs,
                slices: &slices,
            };
            for &kind in &plan.targets {
                if !plan.measures_cell(workload, kind, regime, index) {
                    continue;
                }
                let strategies = plan.strategies_for(kind);
                progress.set_message(format!("{} → {} ({regime})", workload.name, kind.name()));
                let shape = BatchShape {
                    bytes: workload.total_bytes(),
                    checked: strategies.len(),
                    reader_cpu,
                    datagrams: if kind.is_datagram() {
                        workload.buffer_count()
                    } else {
                        0
                    },
                };
                let mut target = match Target::open_with(kind, regime.reader, shape) {
                    Ok(target) => target,
                    Err(e) => {
                        if !out.skipped.iter().any(|s| s.target == kind) {
                            progress.suspend(|| {
                                eprintln!("vectored: skipping target {}: {e:#}", kind.name());
                            });
                            out.skipped.push(Skipped {
                                target: kind,
                                reason: format!("{e:#}"),
                            });
                        }
                        progress.inc(1);
                        continue;
                    }
                };
                let mut cell =
                    run_cell(workload, &batch, &expected, &mut target, plan, &strategies)
                        .with_context(|| {
                            format!("{} → {} ({regime})", workload.name, kind.name())
                        })?;
                cell.regime = Some(regime);
                out.cells.push(cell);
                progress.inc(1);
            }
        }
    }
    Ok(out)
}

/// Checks that every strategy delivers `workload` correctly to a fresh `kind` target, with
/// one batch each; the correctness check of the harness, without timing. Pipes and sockets
/// are drained by a reader thread.
///
/// # Errors
///
/// As [`measure`], and when the target cannot be opened.
pub fn verify(
    workload: &Workload,
    kind: TargetKind,
    strategies: &[StrategyKind],
) -> anyhow::Result<()> {
    verify_with(workload, kind, strategies, ReaderMode::Thread)
}

/// [`verify`] with the reader of pipes and sockets as a thread or a process.
///
/// # Errors
///
/// As [`verify`].
pub fn verify_with(
    workload: &Workload,
    kind: TargetKind,
    strategies: &[StrategyKind],
    reader: ReaderMode,
) -> anyhow::Result<()> {
    let bufs = workload.make_buffers();
    let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    let expected = expected_bytes(workload, &bufs);
    let batch = Batch {
        bufs: &bufs,
        slices: &slices,
    };
    let shape = BatchShape {
        bytes: workload.total_bytes(),
        checked: strategies.len(),
        reader_cpu: None,
        datagrams: if kind.is_datagram() {
            workload.buffer_count()
        } else {
            0
        },
    };
    let mut target = Target::open_with(kind, reader, shape)?;
    for &strategy in strategies {
        let mut runner = Runner::new(strategy);
        runner
            .verify(&mut target, &batch, &expected)
            .with_context(|| format!("{} on {}", strategy.name(), kind.name()))?;
    }
    Ok(())
}

/// What a target must deliver for `bufs`: their concatenation on a byte stream, the
/// [`framed`](crate::target::framed) datagrams (lengths and payloads) for a datagram
/// workload.
fn expected_bytes(workload: &Workload, bufs: &[Vec<u8>]) -> Vec<u8> {
    if workload.datagrams {
        crate::target::framed(bufs)
    } else {
        bufs.concat()
    }
}

/// One strategy inside a cell, with its samples.
struct Runner<'a> {
    kind: StrategyKind,
    strategy: Box<dyn Strategy<'a> + 'a>,
    nanos: Vec<u64>,
    syscalls: Vec<u64>,
    counter: SyscallCounter,
    /// Sums over the recorded batches: the writer's switches, the reader's reads and switches.
    writer_switches: Option<Switches>,
    reader_reads: Option<u64>,
    reader_switches: Option<Switches>,
}

/// One timed batch.
struct Sample {
    elapsed: Duration,
    /// Counted by the strategy.
    own: Option<u64>,
    /// Counted by the kernel (not including `sendmsg`).
    kernel: Option<u64>,
    /// The writing thread's context switches during the batch.
    writer: Option<Switches>,
    /// What the reader did, for pipes and sockets.
    reader: Option<ReaderStats>,
}

impl Sample {
    /// The write-call count that is known, and who counted it: the strategy itself, else the
    /// kernel, whose count misses `sendmsg` and so means nothing for library calls on sockets.
    fn count(&self, target: TargetKind) -> (SyscallCounter, Option<u64>) {
        match (self.own, self.kernel) {
            (Some(own), _) => (SyscallCounter::Strategy, Some(own)),
            (None, Some(kernel)) if !target.is_socket() => (SyscallCounter::Kernel, Some(kernel)),
            (None, _) => (SyscallCounter::Unknown, None),
        }
    }
}

impl<'a> Runner<'a> {
    fn new(kind: StrategyKind) -> Self {
        Self {
            kind,
            strategy: kind.build(),
            nanos: Vec::new(),
            syscalls: Vec::new(),
            counter: SyscallCounter::Strategy,
            writer_switches: Some(Switches::default()),
            reader_reads: Some(0),
            reader_switches: Some(Switches::default()),
        }
    }

    /// Writes one batch and waits for its delivery; only the write and the wait are timed.
    fn run(
        &mut self,
        target: &mut Target,
        batch: &Batch<'a>,
        keep: bool,
        switches: &mut Option<SwitchCounter>,
    ) -> anyhow::Result<Sample> {
        let bytes = batch.slices.iter().map(|s| s.len()).sum();
        target.before_batch(bytes, keep)?;
        let switches_before = switches.as_mut().and_then(|c| c.sample().ok());
        let before = thread_write_syscalls().ok();
        let start = Instant::now();
        let own = self
            .strategy
            .write_batch(target.writer(), target.fd_kind(), batch)
            .context("writing the batch")?;
        target.wait_delivered()?;
        let elapsed = start.elapsed();
        let after = thread_write_syscalls().ok();
        let switches_after = switches.as_mut().and_then(|c| c.sample().ok());
        // The kernel counts `write`-family calls only, never `send`/`sendmmsg`.
        let kernel = before
            .zip(after)
            .map(|(b, a)| a - b)
            .filter(|_| !target.kind().is_datagram());
        Ok(Sample {
            elapsed,
            own,
            kernel,
            writer: switches_after.zip(switches_before).map(|(a, b)| a.since(b)),
            reader: target.reader_stats(),
        })
    }

    /// Runs one batch, keeps the delivered bytes and checks them and the syscall count.
    fn verify(
        &mut self,
        target: &mut Target,
        batch: &Batch<'a>,
        expected: &[u8],
    ) -> anyhow::Result<()> {
        let sample = self.run(target, batch, true, &mut None)?;
        target.check_delivered(expected)?;
        if let (Some(own), Some(kernel)) = (sample.own, sample.kernel) {
            ensure!(
                own == kernel,
                "the strategy counted {own} write calls, the kernel {kernel}"
            );
        }
        ensure!(
            sample
                .count(target.kind())
                .1
                .is_none_or(|n| n > 0 || expected.is_empty()),
            "no write call was counted"
        );
        Ok(())
    }

    fn record(&mut self, sample: &Sample, target: TargetKind) {
        self.nanos
            .push(u64::try_from(sample.elapsed.as_nanos()).unwrap_or(u64::MAX));
        let (counter, count) = sample.count(target);
        self.counter = counter;
        if let Some(count) = count {
            self.syscalls.push(count);
        }
        let add = |sum: Switches, s: Switches| Switches {
            voluntary: sum.voluntary + s.voluntary,
            involuntary: sum.involuntary + s.involuntary,
        };
        self.writer_switches = self
            .writer_switches
            .zip(sample.writer)
            .map(|(a, b)| add(a, b));
        self.reader_reads = self
            .reader_reads
            .zip(sample.reader)
            .map(|(a, r)| a + r.reads);
        self.reader_switches = self
            .reader_switches
            .zip(sample.reader.and_then(|r| r.switches))
            .map(|(a, b)| add(a, b));
    }

    fn result(mut self) -> StrategyResult {
        let syscalls_per_batch =
            (self.counter != SyscallCounter::Unknown && !self.syscalls.is_empty()).then(|| {
                #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                let mean = self.syscalls.iter().sum::<u64>() as f64 / self.syscalls.len() as f64;
                mean
            });
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let reps = self.nanos.len().max(1) as f64;
        #[allow(clippy::cast_precision_loss)]
        let mean = |n: u64| n as f64 / reps;
        let switches = self
            .writer_switches
            .filter(|_| !self.nanos.is_empty())
            .map(|w| SwitchCounts {
                writer_voluntary: mean(w.voluntary),
                writer_involuntary: mean(w.involuntary),
                reader_reads: self.reader_reads.map(mean),
                reader_voluntary: self.reader_switches.map(|r| mean(r.voluntary)),
                reader_involuntary: self.reader_switches.map(|r| mean(r.involuntary)),
            });
        let mut result = StrategyResult::new(
            self.kind,
            SampleStats::of(&mut self.nanos),
            syscalls_per_batch,
            self.counter,
        );
        result.switches = switches;
        result
    }
}

fn run_cell(
    workload: &Workload,
    batch: &Batch<'_>,
    expected: &[u8],
    target: &mut Target,
    plan: &Plan,
    strategies: &[StrategyKind],
) -> anyhow::Result<Cell> {
    let mut runners: Vec<Runner<'_>> = strategies.iter().map(|&k| Runner::new(k)).collect();
    // Opened here, on the writing thread: `thread-self` is resolved at open.
    let mut switches = SwitchCounter::for_this_thread().ok();
    for runner in &mut runners {
        runner
            .verify(target, batch, expected)
            .with_context(|| format!("checking {}", runner.kind.name()))?;
    }
    let mut round = Duration::ZERO;
    for runner in &mut runners {
        round += runner.run(target, batch, false, &mut None)?.elapsed;
    }
    let rounds = fit_rounds(plan, round);
    let mut order: Vec<usize> = (0..runners.len()).collect();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for _ in 0..rounds {
        rng.shuffle(&mut order);
        for &i in &order {
            let runner = &mut runners[i];
            let sample = runner
                .run(target, batch, false, &mut switches)
                .with_context(|| runner.kind.name())?;
            runner.record(&sample, target.kind());
        }
    }
    Ok(Cell::new(
        workload,
        target.kind(),
        target.detail().to_owned(),
        runners.into_iter().map(Runner::result).collect(),
    ))
}

/// A xorshift64 generator: enough to shuffle the order of a round, and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Fisher–Yates.
    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            // The modulo bias over 2^64 is irrelevant for a dozen items.
            #[allow(clippy::cast_possible_truncation)]
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// How many rounds fit in the cell budget, given one round's duration.
fn fit_rounds(plan: &Plan, round: Duration) -> usize {
    let fit = if round.is_zero() {
        plan.max_reps
    } else {
        // Truncation is the intent: whole rounds only.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let fit = (plan.cell_budget.as_secs_f64() / round.as_secs_f64()) as usize;
        fit
    };
    fit.clamp(plan.min_reps, plan.max_reps.max(plan.min_reps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prototypes_deliver_every_byte_on_pipes_sockets_and_files() {
        for kind in [TargetKind::Pipe, TargetKind::Unix, TargetKind::Tmpfs] {
            for workload in [Workload::uniform(3000, 7), Workload::uniform(5, 100_000)] {
                verify(&workload, kind, &StrategyKind::PROTOTYPES)
                    .unwrap_or_else(|e| panic!("{} on {}: {e:#}", workload.name, kind.name()));
            }
        }
    }

    #[test]
    fn verify_with_a_reader_thread_checks_capped_strategies() {
        // A reader process needs the `vectored` binary; the unit-test binary is not it, so
        // only the thread path runs here (the process path is exercised by every
        // `--reader process` run, which checksums each strategy's first batch).
        verify_with(
            &Workload::uniform(2000, 33),
            TargetKind::Pipe,
            &[StrategyKind::RawWritev, StrategyKind::Capped8K],
            ReaderMode::Thread,
        )
        .unwrap();
    }

    #[test]
    fn datagram_strategies_deliver_every_datagram_on_udp() {
        for workload in [
            Workload::datagrams(1024, 64),
            Workload::mixed_datagrams(300),
            Workload::datagrams(3, 9000),
        ] {
            verify(&workload, TargetKind::Udp, &StrategyKind::DATAGRAM)
                .unwrap_or_else(|e| panic!("{}: {e:#}", workload.name));
        }
    }

    #[test]
    fn a_lost_or_merged_datagram_fails_the_check() {
        // Two datagrams sent as one: the bytes are the same, the boundaries are not.
        let workload = Workload::datagrams(2, 10);
        let bufs = workload.make_buffers();
        let shape = BatchShape {
            bytes: 20,
            checked: 1,
            reader_cpu: None,
            datagrams: 2,
        };
        let mut target = Target::open_with(TargetKind::Udp, ReaderMode::Thread, shape).unwrap();
        target.before_batch(20, true).unwrap();
        rustix::net::send(
            target.writer(),
            &bufs.concat(),
            rustix::net::SendFlags::empty(),
        )
        .unwrap();
        rustix::net::send(target.writer(), &[1; 5], rustix::net::SendFlags::empty()).unwrap();
        let err = target.wait_delivered().unwrap_err();
        assert!(format!("{err:#}").contains("boundaries moved"), "{err:#}");
    }

    #[test]
    fn rounds_fit_the_budget_within_limits() {
        let plan = Plan {
            workloads: vec![],
            targets: vec![],
            strategies: vec![],
            min_reps: 5,
            max_reps: 50,
            cell_budget: Duration::from_secs(1),
            regimes: vec![crate::plan::Regime::default()],
        };
        assert_eq!(fit_rounds(&plan, Duration::from_millis(100)), 10);
        assert_eq!(fit_rounds(&plan, Duration::from_secs(2)), 5);
        assert_eq!(fit_rounds(&plan, Duration::from_micros(1)), 50);
        assert_eq!(fit_rounds(&plan, Duration::ZERO), 50);
    }

    #[test]
    fn shuffled_rounds_vary_the_predecessor() {
        let mut rng = Rng(1);
        let mut order: Vec<usize> = (0..4).collect();
        let mut followers = std::collections::HashSet::new();
        for _ in 0..50 {
            rng.shuffle(&mut order);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
            let after0 = order
                .iter()
                .position(|&i| i == 0)
                .and_then(|p| order.get(p + 1));
            followers.extend(after0.copied());
        }
        assert_eq!(
            followers.len(),
            3,
            "strategy 0 must be followed by each of the others"
        );
    }
}
