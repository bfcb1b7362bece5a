//! The harness itself must be right: every strategy, on every target, delivers exactly the
//! bytes of the batch, in order, and counts its write calls as the kernel does.

use vectored_cli::harness;
use vectored_cli::strategy::StrategyKind;
use vectored_cli::target::{Target, TargetKind};
use vectored_cli::workload::{Preset, SizeRun, Workload};

use crate::skip::{skip, Facility};

/// Shapes that reach every code path of the strategies: more buffers than `IOV_MAX`, runs of
/// small buffers that overflow the hybrid staging area, small and large buffers alternating
/// (segment-count flushes), and buffers larger than a pipe or socket buffer (the reader must
/// drain while the call is still running).
fn workloads() -> Vec<Workload> {
    let alternating = Workload {
        name: "alternating".to_owned(),
        runs: (0..1500)
            .flat_map(|_| {
                [
                    SizeRun { count: 1, size: 10 },
                    SizeRun {
                        count: 1,
                        size: 2000,
                    },
                ]
            })
            .collect(),
        datagrams: false,
    };
    vec![
        Preset::HeaderBody.workloads().remove(0),
        Workload::uniform(3000, 7),
        alternating,
        Workload::uniform(20_000, 100),
        Workload::uniform(4, 300_000),
    ]
}

fn check_target(kind: TargetKind) {
    if let Err(e) = Target::open(kind) {
        return skip(
            Facility::BenchTarget,
            format_args!("cannot open target {}: {e:#}", kind.name()),
        );
    }
    for workload in workloads() {
        harness::verify(&workload, kind, &StrategyKind::ALL)
            .unwrap_or_else(|e| panic!("{} on {}: {e:#}", workload.name, kind.name()));
    }
}

#[test]
fn devnull() {
    check_target(TargetKind::DevNull);
}

#[test]
fn tmpfs_file() {
    check_target(TargetKind::Tmpfs);
}

#[test]
fn disk_file() {
    check_target(TargetKind::Disk);
}

#[test]
fn pipe() {
    check_target(TargetKind::Pipe);
}

#[test]
fn unix_socket() {
    check_target(TargetKind::Unix);
}

#[test]
fn tcp() {
    check_target(TargetKind::Tcp);
}

#[test]
fn tcp_nodelay() {
    check_target(TargetKind::TcpNodelay);
}
