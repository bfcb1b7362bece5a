//! Ad-hoc check (third session of 2026-12-02): what differs between `write_all_fd`'s staged
//! 8 KiB calls to a pipe and a hand-written staging loop making the same `pwritev2` calls, on
//! a pipe drained by a thread: per 1 MB batch of 10000 x 100 B, the time, the reader's read
//! calls and the writer's voluntary context switches (it slept on a full pipe), and the same
//! loops writing to a tmpfs file (no reader: the writer's own pace). Rounds alternate between
//! the two loops; medians over rounds of 200 batches.
//! Run as a throwaway crate (see coalesce_tmpfs.rs) with
//! `rustix = { version = "1", features = ["fs"] }` as well.
//! Output: docs/bench/2026-12-02-s3-staged-pipe-switches.txt
use std::io::{IoSlice, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use vectored::{FdOptions, WriteSizing};

static READS: AtomicUsize = AtomicUsize::new(0);

fn voluntary_switches() -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("voluntary_ctxt_switches")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn hand(fd: &OwnedFd, bufs: &[Vec<u8>], stage: &mut [u8]) {
    let mut i = 0;
    while i < bufs.len() {
        let mut n = 0;
        while i < bufs.len() && n + bufs[i].len() <= 8192 {
            stage[n..n + bufs[i].len()].copy_from_slice(&bufs[i]);
            n += bufs[i].len();
            i += 1;
        }
        let mut off = 0;
        while off < n {
            let flags = rustix::io::ReadWriteFlags::from_bits_retain(0x100); // RWF_NOSIGNAL
            off += rustix::io::pwritev2(fd, &[IoSlice::new(&stage[off..n])], u64::MAX, flags).unwrap();
        }
    }
}

fn main() {
    let bufs: Vec<Vec<u8>> = (0..10000usize).map(|i| vec![i as u8; 100]).collect();
    let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    let opts = FdOptions::new().write_sizing(WriteSizing::Fixed(8192));
    let mut stage = vec![0u8; 8192];
    let (mut r, w) = std::io::pipe().unwrap();
    std::thread::spawn(move || {
        let mut b = vec![0u8; 262144];
        while r.read(&mut b).unwrap() > 0 {
            READS.fetch_add(1, Ordering::Relaxed);
        }
    });
    let pipe: OwnedFd = w.into();
    let path = std::path::Path::new("/dev/shm/vectored-staged-pipe-switches");
    let file: OwnedFd = std::fs::File::create(path).unwrap().into();
    const BATCHES: u64 = 200;
    for (target, fd) in [("pipe", &pipe), ("tmpfs file", &file)] {
        let mut rows: [Vec<(f64, f64, f64)>; 2] = [Vec::new(), Vec::new()];
        for round in 0..10 {
            for k in [round % 2, 1 - round % 2] {
                let (reads0, sw0, t) = (READS.load(Ordering::Relaxed), voluntary_switches(), Instant::now());
                for _ in 0..BATCHES {
                    let _ = rustix::fs::seek(fd.as_fd(), rustix::fs::SeekFrom::Start(0));
                    if k == 0 {
                        vectored::write_all_fd(fd, &slices, &opts).unwrap();
                    } else {
                        hand(fd, &bufs, &mut stage);
                    }
                }
                let us = t.elapsed().as_secs_f64() * 1e6 / BATCHES as f64;
                let reads = (READS.load(Ordering::Relaxed) - reads0) as f64 / BATCHES as f64;
                let sleeps = (voluntary_switches() - sw0) as f64 / BATCHES as f64;
                rows[k].push((us, reads, sleeps));
            }
        }
        for (k, name) in [(0, "write_all_fd"), (1, "hand-written")] {
            let med = |f: fn(&(f64, f64, f64)) -> f64| {
                let mut v: Vec<f64> = rows[k].iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            println!(
                "{target:>18} {name:>13}: {:7.1} us per batch, reader reads {:6.1}, writer sleeps {:5.2} (medians of 10 rounds of {BATCHES})",
                med(|r| r.0), med(|r| r.1), med(|r| r.2)
            );
        }
    }
    let _ = std::fs::remove_file(path);
}
