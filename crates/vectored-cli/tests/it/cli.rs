//! The binary: output formats, the JSON schema round trip, and a broken stdout pipe.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use vectored_cli::report::{
    Cell, Params, Report, SampleStats, Skipped, StrategyResult, SyscallCounter,
};
use vectored_cli::strategy::StrategyKind;
use vectored_cli::target::TargetKind;
use vectored_cli::workload::Workload;

fn vectored() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vectored"))
}

/// A tiny real run: one cell, two strategies.
const TINY: &[&str] = &[
    "bench",
    "--quick",
    "--workload",
    "header+body",
    "--target",
    "devnull",
    "--strategy",
    "write-each",
    "--strategy",
    "raw-writev",
];

fn run_ok(args: &[&str]) -> String {
    let out = vectored().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn exits_zero_when_stdout_is_closed_before_any_output() {
    let mut child = vectored()
        .args(TINY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // every write to stdout fails with EPIPE
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("error"));
}

#[test]
fn exits_zero_when_the_reader_stops_after_one_line() {
    // `vectored bench | head -1`
    let mut child = vectored()
        .args(TINY)
        .arg("--csv")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("workload,"));
    assert!(child.wait().unwrap().success());
}

#[test]
fn json_output_parses_and_round_trips() {
    let json = run_ok(&[TINY, &["--json"]].concat());
    let report = Report::from_json(&json).unwrap();
    assert_eq!(report.cells.len(), 1);
    let cell = &report.cells[0];
    assert_eq!((cell.workload.as_str(), cell.bytes), ("header+body", 65738));
    let floor = cell.result(StrategyKind::RawWritev).unwrap();
    assert_eq!(floor.syscalls_per_batch, Some(1.0));
    assert_eq!(floor.stats.reps, 3);
    assert_eq!(
        cell.result(StrategyKind::WriteEach)
            .unwrap()
            .syscalls_per_batch,
        Some(3.0)
    );
    assert!(report.params.command_line.iter().any(|a| a == "--json"));
    assert_eq!(
        Report::from_json(&report.to_json().unwrap()).unwrap(),
        report
    );
}

#[test]
fn replay_renders_table_csv_markdown_and_svg() {
    let dir = std::env::temp_dir().join(format!("vectored-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json_path = dir.join("report.json");
    std::fs::write(&json_path, sample_report().to_json().unwrap()).unwrap();
    let json = json_path.to_str().unwrap();
    let svg_path = dir.join("bench.svg");

    let table = run_ok(&["bench", "--replay", json]);
    assert!(table.contains("write-each"), "{table}");
    assert!(table.contains("speed-up"), "{table}");
    let csv = run_ok(&["bench", "--replay", json, "--csv"]);
    assert_eq!(csv.lines().count(), 1 + 2);
    let markdown = run_ok(&[
        "bench",
        "--replay",
        json,
        "--markdown",
        "--plot",
        svg_path.to_str().unwrap(),
    ]);
    assert!(markdown.contains("| strategy | pipe |"), "{markdown}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.contains("<svg") && svg.contains("vectored-write-all-fd"));
    let again = run_ok(&["bench", "--replay", json, "--json"]);
    assert_eq!(Report::from_json(&again).unwrap(), sample_report());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn schema_round_trips_every_field() {
    let report = sample_report();
    let json = report.to_json().unwrap();
    assert_eq!(Report::from_json(&json).unwrap(), report);
    let wrong = json.replace("vectored-bench/1", "vectored-bench/0");
    assert!(Report::from_json(&wrong).is_err());
}

#[test]
fn invalid_arguments_fail_with_usage() {
    let out = vectored().args(["bench", "--count", "5"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"));
}

/// A report with every kind of value: skipped targets, unknown counts, no floor.
fn sample_report() -> Report {
    let workload = Workload::uniform(1000, 1024);
    let stats = |median_ns| SampleStats {
        reps: 5,
        min_ns: median_ns - 10,
        median_ns,
        max_ns: median_ns + 1234,
    };
    let cell = Cell::new(
        &workload,
        TargetKind::Pipe,
        "pipe".to_owned(),
        vec![
            StrategyResult::new(
                StrategyKind::WriteEach,
                stats(1_234_567),
                Some(1000.0),
                SyscallCounter::Strategy,
            ),
            StrategyResult::new(
                StrategyKind::VectoredWriteAllFd,
                stats(234_567),
                None,
                SyscallCounter::Unknown,
            ),
        ],
    );
    Report {
        schema: vectored_cli::report::SCHEMA.to_owned(),
        date: "2025-01-01T00:00:00Z".to_owned(),
        machine: vectored_cli::machine::Machine::current(),
        build: vectored_cli::machine::Build::current(),
        params: Params {
            command_line: vec!["vectored".to_owned(), "bench".to_owned()],
            workloads: vec![workload],
            targets: vec![TargetKind::Pipe, TargetKind::Tmpfs],
            strategies: vec![StrategyKind::WriteEach, StrategyKind::VectoredWriteAllFd],
            min_reps: 5,
            max_reps: 50,
            cell_budget_secs: 1.5,
        },
        skipped: vec![Skipped {
            target: TargetKind::Tmpfs,
            reason: "no tmpfs".to_owned(),
        }],
        cells: vec![cell],
    }
}
