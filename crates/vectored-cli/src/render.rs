//! Text renderings of a report: the terminal table, CSV and Markdown.

use std::fmt::Write as _;

use crate::regret;
use crate::report::{Cell, Report, StrategyResult};
use crate::strategy::StrategyKind;
use crate::target::TargetKind;

/// The human-readable table: one block per cell, then the guide's comparison.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(report));
    let _ = writeln!(
        out,
        "Per batch: median (min–max) of the timed repetitions, until the target has every byte."
    );
    let _ = writeln!(
        out,
        "Pipes and sockets, means per batch: the writer's voluntary/involuntary context switches \
         (slept/preempted), the reader's read calls and its switches."
    );
    for cell in &report.cells {
        cell_table(&mut out, cell);
    }
    let regimes = report.regimes();
    for &regime in &regimes {
        let guide = guide_comparison(&report.only(regime));
        if !guide.is_empty() {
            out.push('\n');
            if regimes.len() > 1 {
                let label = regime.map_or_else(|| "reader thread".to_owned(), |r| r.to_string());
                let _ = writeln!(out, "[{label}]");
            }
            out.push_str(&guide);
        }
        let datagrams = datagram_comparison(&report.only(regime), false);
        if !datagrams.is_empty() {
            out.push('\n');
            if regimes.len() > 1 {
                let label = regime.map_or_else(|| "reader thread".to_owned(), |r| r.to_string());
                let _ = writeln!(out, "[{label}]");
            }
            out.push_str(&datagrams);
        }
    }
    if let Some(summary) = regret::summarize(report) {
        out.push('\n');
        out.push_str(&regret::render(&summary));
    }
    for skipped in &report.skipped {
        let _ = writeln!(
            out,
            "\nskipped {}: {}",
            skipped.target.name(),
            skipped.reason
        );
    }
    if report.build.profile != "release" {
        let _ = writeln!(
            out,
            "\nnote: {} build; run `cargo run --release -p vectored-cli -- bench` for real numbers",
            report.build.profile
        );
    }
    out
}

/// One cell of the table: a row per strategy, with the counts for pipes and sockets.
fn cell_table(out: &mut String, cell: &Cell) {
    let regime = cell
        .regime
        .filter(|r| r.busy > 0)
        .map_or(String::new(), |r| format!(", {} busy", r.busy));
    let _ = writeln!(
        out,
        "\n{} ({} buffers, {}) → {} [{}{regime}]",
        cell.workload,
        cell.buffers,
        format_bytes(cell.bytes),
        cell.target.name(),
        cell.target_detail
    );
    let streams = cell
        .results
        .iter()
        .any(|r| r.switches.is_some_and(|s| s.reader_reads.is_some()));
    let _ = write!(
        out,
        "  {:<22} {:>10} {:>10} {:>10} {:>11} {:>7} {:>7} {:>9} {:>5}",
        "strategy", "median", "min", "max", "throughput", "×best", "×floor", "syscalls", "reps"
    );
    if streams {
        let _ = write!(
            out,
            " {:>11} {:>7} {:>11}",
            "writer v/i", "reads", "reader v/i"
        );
    }
    out.push('\n');
    for r in &cell.results {
        let _ = write!(
            out,
            "  {:<22} {:>10} {:>10} {:>10} {:>11} {:>7} {:>7} {:>9} {:>5}",
            r.strategy.name(),
            format_ns(r.stats.median_ns),
            format_ns(r.stats.min_ns),
            format_ns(r.stats.max_ns),
            format_throughput(r.throughput_bytes_per_sec),
            format!("{:.2}", r.ratio_to_best),
            r.ratio_to_floor
                .map_or("-".to_owned(), |f| format!("{f:.2}")),
            format_syscalls(r),
            r.stats.reps,
        );
        if let Some(sw) = r.switches.filter(|_| streams) {
            let pair = |v: Option<f64>, i: Option<f64>| match (v, i) {
                (Some(v), Some(i)) => format!("{v:.1}/{i:.1}"),
                _ => "-".to_owned(),
            };
            let _ = write!(
                out,
                " {:>11} {:>7} {:>11}",
                pair(Some(sw.writer_voluntary), Some(sw.writer_involuntary)),
                sw.reader_reads
                    .map_or("-".to_owned(), |n| format!("{n:.1}")),
                pair(sw.reader_voluntary, sw.reader_involuntary),
            );
        }
        out.push('\n');
    }
}

/// The guide's comparison: one write per buffer against one vectored write-all, per target.
/// The fd form comes first: it is the one that sizes its calls for the fd (pipes).
fn guide_comparison(report: &Report) -> String {
    let vectored = [
        StrategyKind::VectoredWriteAllFd,
        StrategyKind::VectoredWriteAll,
        StrategyKind::RawWritev,
    ];
    let mut out = String::new();
    let mut caveats: Vec<TargetKind> = Vec::new();
    for workload in report.workload_names() {
        let mut lines = String::new();
        let mut name = "";
        for cell in report.cells.iter().filter(|c| c.workload == workload) {
            let Some(each) = cell.result(StrategyKind::WriteEach) else {
                continue;
            };
            let Some(vec) = vectored.iter().find_map(|&k| cell.result(k)) else {
                continue;
            };
            name = vec.strategy.name();
            #[allow(clippy::cast_precision_loss)]
            let speedup = each.stats.median_ns as f64 / vec.stats.median_ns.max(1) as f64;
            if speedup < 2.0 && !caveats.contains(&cell.target) {
                caveats.push(cell.target);
            }
            let _ = writeln!(
                lines,
                "  {:<12} {:>10} {:>7}   {:>10} {:>7}   {:>6.1}×",
                cell.target.name(),
                format_ns(each.stats.median_ns),
                format_syscalls(each),
                format_ns(vec.stats.median_ns),
                format_syscalls(vec),
                speedup
            );
        }
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "{workload}: one write per buffer vs one vectored write-all ({name}), medians"
            );
            let _ = writeln!(
                out,
                "  {:<12} {:>10} {:>7}   {:>10} {:>7}   {:>7}",
                "target", "write-each", "calls", "vectored", "calls", "speed-up"
            );
            out.push_str(&lines);
        }
    }
    for target in caveats {
        let _ = writeln!(out, "{}", caveat(target));
    }
    out
}

/// The datagram comparison: per datagram workload on `udp`, the median of one `send` per
/// datagram and each other datagram strategy's speed-up over it (the issue's goal: the
/// library at least 4× for equal sizes, never slower for mixed sizes). Plain text, or a
/// Markdown table.
fn datagram_comparison(report: &Report, markdown: bool) -> String {
    let others = [StrategyKind::Sendmmsg, StrategyKind::VectoredDatagrams];
    let mut out = String::new();
    for cell in report.cells.iter().filter(|c| c.target.is_datagram()) {
        let Some(each) = cell.result(StrategyKind::SendEach) else {
            continue;
        };
        if out.is_empty() {
            if markdown {
                let _ = writeln!(
                    out,
                    "Datagrams on {}: median per batch of one `send` per datagram, and the \
                     speed-up of each batched strategy over it.\n",
                    cell.target.name()
                );
                let _ = writeln!(
                    out,
                    "| workload | send-each | sendmmsg | speed-up | vectored-datagrams | \
                     speed-up |\n|---|---:|---:|---:|---:|---:|"
                );
            } else {
                let _ = writeln!(
                    out,
                    "datagrams on {}: one send per datagram vs batched sends, medians",
                    cell.target.name()
                );
                let _ = writeln!(
                    out,
                    "  {:<20} {:>10}   {:>10} {:>8}   {:>18} {:>8}",
                    "workload",
                    "send-each",
                    "sendmmsg",
                    "speed-up",
                    "vectored-datagrams",
                    "speed-up"
                );
            }
        }
        let mut columns = Vec::new();
        for other in others {
            columns.push(cell.result(other).map_or_else(
                || ("-".to_owned(), "-".to_owned()),
                |r| {
                    #[allow(clippy::cast_precision_loss)] // nanoseconds far below 2^52
                    let speedup = each.stats.median_ns as f64 / r.stats.median_ns.max(1) as f64;
                    (format_ns(r.stats.median_ns), format!("{speedup:.2}×"))
                },
            ));
        }
        let each_time = format_ns(each.stats.median_ns);
        if markdown {
            let _ = writeln!(
                out,
                "| {} | {each_time} | {} | {} | {} | {} |",
                cell.workload, columns[0].0, columns[0].1, columns[1].0, columns[1].1
            );
        } else {
            let _ = writeln!(
                out,
                "  {:<20} {each_time:>10}   {:>10} {:>8}   {:>18} {:>8}",
                cell.workload, columns[0].0, columns[0].1, columns[1].0, columns[1].1
            );
        }
    }
    if markdown && !out.is_empty() {
        out.push('\n');
    }
    out
}

/// One line on why a target shows a small speed-up, or none.
fn caveat(target: TargetKind) -> String {
    let why = match target {
        TargetKind::Pipe => {
            "the kernel copies into the pipe and the reader copies out under one pipe lock, \
             so once the reader keeps pace the transfer, not the write calls, sets the time, \
             and one write per buffer already keeps a reader on a CPU of its own busy"
        }
        TargetKind::Unix | TargetKind::Tcp | TargetKind::TcpNodelay => {
            "the socket buffer is smaller than the batch, so writer and reader hand over \
             several times per batch and the wake-ups dominate"
        }
        TargetKind::DevNull | TargetKind::Tmpfs | TargetKind::Disk => {
            "the kernel's copy dominates this target"
        }
        TargetKind::Udp => "datagrams are compared in their own summary",
    };
    format!(
        "note: {} speed-up under 2×: {why}; see BENCHMARKS.md, \"No regret\"",
        target.name()
    )
}

/// One CSV row per cell × strategy, with a header.
pub fn csv(report: &Report) -> String {
    let mut out = String::from(
        "workload,buffers,bytes,target,strategy,reps,min_ns,median_ns,max_ns,\
         throughput_bytes_per_sec,ratio_to_best,ratio_to_floor,syscalls_per_batch,syscalls_counted_by\n",
    );
    for cell in &report.cells {
        for r in &cell.results {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{:.0},{:.4},{},{},{}",
                csv_field(&cell.workload),
                cell.buffers,
                cell.bytes,
                cell.target.name(),
                r.strategy.name(),
                r.stats.reps,
                r.stats.min_ns,
                r.stats.median_ns,
                r.stats.max_ns,
                r.throughput_bytes_per_sec,
                r.ratio_to_best,
                r.ratio_to_floor
                    .map_or(String::new(), |f| format!("{f:.4}")),
                r.syscalls_per_batch
                    .map_or(String::new(), |s| format!("{s}")),
                serde_json::to_value(r.syscalls_counted_by)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            );
        }
    }
    out
}

/// Quotes a CSV field if it needs it.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One Markdown table per workload: strategies × targets, median and ratio to the best in
/// the column (the best in bold), and the write calls per batch. A report of several regimes
/// gets one set of tables per regime, then one no-regret summary over all cells.
pub fn markdown(report: &Report) -> String {
    let regimes = report.regimes();
    if regimes.len() <= 1 {
        return markdown_tables(report, true)
            + &datagram_comparison(report, true)
            + &markdown_summary(report);
    }
    let mut out = format!("{}\n\n", headline(report));
    for regime in regimes {
        let label = regime.map_or_else(|| "reader thread".to_owned(), |r| r.to_string());
        let _ = writeln!(out, "### {label}\n");
        out.push_str(&markdown_tables(&report.only(regime), false));
        out.push_str(&datagram_comparison(&report.only(regime), true));
    }
    out + &markdown_summary(report)
}

fn markdown_summary(report: &Report) -> String {
    regret::summarize(report).map_or_else(String::new, |s| {
        format!("```text\n{}```\n", regret::render(&s))
    })
}

fn markdown_tables(report: &Report, with_headline: bool) -> String {
    let mut out = String::new();
    if with_headline {
        let _ = writeln!(out, "{}\n", headline(report));
    }
    let _ = writeln!(
        out,
        "Each cell: median time per batch, and in parentheses its ratio to the best strategy \
         on that target (**bold** = best). Calls: write system calls per batch \
         (\"?\" = `sendmsg`, not countable).\n"
    );
    let strategies = report.strategies();
    for workload in report.workload_names() {
        let cells: Vec<&Cell> = report
            .cells
            .iter()
            .filter(|c| c.workload == workload)
            .collect();
        let Some(first) = cells.first() else { continue };
        let targets: Vec<TargetKind> = TargetKind::every()
            .filter(|t| cells.iter().any(|c| c.target == *t))
            .collect();
        let _ = writeln!(
            out,
            "#### {workload} ({} buffers, {} per batch)\n",
            first.buffers,
            format_bytes(first.bytes)
        );
        let _ = write!(out, "| strategy |");
        for t in &targets {
            let _ = write!(out, " {} |", t.name());
        }
        let _ = writeln!(out, " calls |");
        let _ = writeln!(out, "|---|{}---:|", "---:|".repeat(targets.len()));
        for &s in &strategies {
            let _ = write!(out, "| {} |", s.name());
            let mut syscall_texts: Vec<String> = Vec::new();
            for t in &targets {
                let result = cells
                    .iter()
                    .find(|c| c.target == *t)
                    .and_then(|c| c.result(s));
                match result {
                    Some(r) => {
                        let text =
                            format!("{} ({:.2}×)", format_ns(r.stats.median_ns), r.ratio_to_best);
                        if r.ratio_to_best <= 1.0 {
                            let _ = write!(out, " **{text}** |");
                        } else {
                            let _ = write!(out, " {text} |");
                        }
                        let c = format_syscalls(r);
                        if !syscall_texts.contains(&c) {
                            syscall_texts.push(c);
                        }
                    }
                    None => out.push_str(" |"),
                }
            }
            let _ = writeln!(out, " {} |", syscall_texts.join(" / "));
        }
        out.push('\n');
    }
    out
}

/// `vectored bench, <date>: <cpu> (<n> cores, <arch>), Linux <release>, <profile> build,
/// load <1-minute load average>`.
fn headline(report: &Report) -> String {
    let load = report
        .machine
        .load_average
        .first()
        .map_or(String::new(), |l| format!(", load average {l:.2} at start"));
    let regimes: Vec<String> = report
        .regimes()
        .into_iter()
        .flatten()
        .map(|r| r.to_string())
        .collect();
    let regime = if regimes.is_empty() {
        String::new()
    } else {
        format!(", {}", regimes.join("; "))
    };
    format!(
        "vectored bench, {}: {} ({} cores, {}), Linux {}, {} build{load}{regime}",
        report.date,
        report.machine.cpu_model,
        report.machine.cores,
        report.machine.arch,
        report.machine.kernel,
        report.build.profile
    )
}

/// `850 ns`, `12.3 µs`, `1.23 ms`, `1.20 s`.
#[allow(clippy::cast_precision_loss)]
pub fn format_ns(ns: u64) -> String {
    let ns = ns as f64;
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e4 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// `1.02 MB`, `66.0 kB`, `202 B` (decimal units, like the throughput).
#[allow(clippy::cast_precision_loss)]
fn format_bytes(bytes: usize) -> String {
    let b = bytes as f64;
    if b < 1e3 {
        format!("{bytes} B")
    } else if b < 1e6 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{:.2} MB", b / 1e6)
    }
}

/// `9.81 GB/s`, `412 MB/s`.
fn format_throughput(bytes_per_sec: f64) -> String {
    if bytes_per_sec >= 1e9 {
        format!("{:.2} GB/s", bytes_per_sec / 1e9)
    } else {
        format!("{:.0} MB/s", bytes_per_sec / 1e6)
    }
}

/// Whole counts as integers, means of varying counts with one decimal, unknown as `?`.
fn format_syscalls(r: &StrategyResult) -> String {
    match r.syscalls_per_batch {
        None => "?".to_owned(),
        Some(n) if n.fract() == 0.0 => format!("{n:.0}"),
        Some(n) => format!("{n:.1}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::result;
    use crate::workload::Workload;

    #[test]
    fn datagram_speed_ups_are_over_one_send_per_datagram() {
        let mut report = crate::report::tests::empty_report();
        report.cells = vec![
            Cell::new(
                &Workload::datagrams(1024, 64),
                TargetKind::Udp,
                String::new(),
                vec![
                    result(StrategyKind::SendEach, 2_000_000),
                    result(StrategyKind::Sendmmsg, 1_000_000),
                    result(StrategyKind::VectoredDatagrams, 400_000),
                ],
            ),
            // No send-each: no row.
            Cell::new(
                &Workload::mixed_datagrams(8),
                TargetKind::Udp,
                String::new(),
                vec![result(StrategyKind::Sendmmsg, 5)],
            ),
        ];
        let md = datagram_comparison(&report, true);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| dgram")).collect();
        assert_eq!(
            rows,
            ["| dgram-1024x64B | 2.00 ms | 1.00 ms | 2.00× | 400.0 µs | 5.00× |"]
        );
        let text = datagram_comparison(&report, false);
        assert!(
            text.contains("5.00×") && text.contains("send-each"),
            "{text}"
        );
        report.cells.truncate(0);
        assert!(datagram_comparison(&report, false).is_empty());
    }

    #[test]
    fn times_pick_a_readable_unit() {
        assert_eq!(format_ns(850), "850 ns");
        assert_eq!(format_ns(1_234), "1.23 µs");
        assert_eq!(format_ns(123_456), "123.5 µs");
        assert_eq!(format_ns(1_234_567), "1.23 ms");
        assert_eq!(format_ns(2_500_000_000), "2.50 s");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("header+body"), "header+body");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
    }
}
