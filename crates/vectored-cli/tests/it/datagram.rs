//! The `udp` target end to end: the binary measures the datagram workloads with the datagram
//! strategies, with a reader thread and a reader process, and the JSON holds every cell.

use std::process::Command;

use vectored_cli::report::Report;
use vectored_cli::strategy::StrategyKind;
use vectored_cli::target::TargetKind;

fn bench_json(extra: &[&str]) -> Report {
    let out = Command::new(env!("CARGO_BIN_EXE_vectored"))
        .args(["bench", "--quick", "--json", "--target", "udp"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Report::from_json(&String::from_utf8(out.stdout).unwrap()).unwrap()
}

#[test]
fn udp_measures_every_datagram_workload_and_strategy() {
    let report = bench_json(&[]);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let workloads: Vec<&str> = report.cells.iter().map(|c| c.workload.as_str()).collect();
    assert_eq!(
        workloads,
        [
            "dgram-1024x64B",
            "dgram-1024x512B",
            "dgram-1024x1200B",
            "dgram-1024xmixed"
        ]
    );
    for cell in &report.cells {
        assert_eq!(cell.target, TargetKind::Udp);
        assert_eq!(cell.buffers, 1024);
        let strategies: Vec<StrategyKind> = cell.results.iter().map(|r| r.strategy).collect();
        assert_eq!(strategies, StrategyKind::DATAGRAM, "{}", cell.workload);
        assert!(cell.results.iter().all(|r| r.stats.reps == 3));
        // One send per datagram, and sendmmsg in one call (1024 messages per call at most).
        let calls = |s| cell.result(s).unwrap().syscalls_per_batch;
        assert_eq!(calls(StrategyKind::SendEach), Some(1024.0));
        assert_eq!(calls(StrategyKind::Sendmmsg), Some(1.0));
    }
    let summary = vectored_cli::regret::summarize(&report).unwrap();
    assert_eq!(summary.cells, 4);
    assert!(summary
        .per_strategy
        .iter()
        .any(|s| s.strategy == StrategyKind::VectoredDatagrams && s.library));
}

#[test]
fn udp_with_a_reader_process_checks_the_datagrams_too() {
    let report = bench_json(&[
        "--reader",
        "process",
        "--workload",
        "dgram-1024xmixed",
        "--strategy",
        "send-each",
        "--strategy",
        "vectored-datagrams",
    ]);
    assert_eq!(report.cells.len(), 1);
    let cell = &report.cells[0];
    assert!(
        cell.target_detail.contains("reader process"),
        "{}",
        cell.target_detail
    );
    assert_eq!(cell.results.len(), 2);
}
