//! `write_all_fd` coalescing runs of small buffers (`FdOptions::coalesce`): on pipes, socketpairs
//! and regular files the bytes arrive exactly, in order, whatever the partial writes; the
//! count on `WouldBlock` equals what the reader then drains; files keep one call per
//! `IOV_MAX` buffers; `/dev/null` and the opt-out write the same.

use crate::support;

use std::fs::File;
use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::thread;
use std::time::Duration;

use support::{chunks, drain_now, pipe, slices, slow_read_all, TempDir, Watchdog};
use vectored::{FdOptions, IoCursor, WriteSizing, IOV_MAX};

const LIMIT: Duration = Duration::from_secs(60);

/// Tiny buffers: 100000 × 16 B, the worst case for one descriptor per buffer.
fn tiny_lens() -> Vec<usize> {
    vec![16; 100_000]
}

/// Runs of small buffers (staged) between large ones (by reference), lone small ones, the
/// 255/256 boundary and empty buffers.
fn mixed_lens() -> Vec<usize> {
    (0..5000)
        .map(|i| [1, 7, 100, 255, 256, 3000, 16, 16, 16, 0, 5000, 33, 9000][i % 13])
        .collect()
}

fn both() -> [(&'static str, Vec<usize>); 2] {
    [("tiny", tiny_lens()), ("mixed", mixed_lens())]
}

/// Both with coalescing on (the default) and off: the same bytes.
fn options() -> [FdOptions; 2] {
    [FdOptions::new(), FdOptions::new().coalesce(false)]
}

#[test]
fn pipe_with_a_slow_reader_gets_every_byte_in_order() {
    let _dog = Watchdog::new("coalesce pipe slow reader", LIMIT);
    for (name, lens) in both() {
        for opts in options() {
            let data = chunks(41, &lens);
            let expected = data.concat();
            let (r, w) = pipe();
            let reader = thread::spawn(move || slow_read_all(r, 4093));
            let n = vectored::write_all_fd(&w, &slices(&data), &opts).unwrap();
            drop(w);
            let got = reader.join().unwrap();
            assert_eq!(n, expected.len(), "{name} {opts:?}");
            assert!(got == expected, "{name} {opts:?}: data differs");
        }
    }
}

#[test]
fn socketpair_with_a_slow_reader_gets_every_byte_in_order() {
    let _dog = Watchdog::new("coalesce socketpair", LIMIT);
    for (name, lens) in both() {
        for opts in options() {
            let data = chunks(42, &lens);
            let expected = data.concat();
            let (a, b) = UnixStream::pair().unwrap();
            rustix::net::sockopt::set_socket_send_buffer_size(&a, 8192).unwrap();
            let reader = thread::spawn(move || slow_read_all(b, 1000));
            let n = vectored::write_all_fd(&a, &slices(&data), &opts).unwrap();
            drop(a);
            let got = reader.join().unwrap();
            assert_eq!(n, expected.len(), "{name} {opts:?}");
            assert!(got == expected, "{name} {opts:?}: data differs");
        }
    }
}

/// Writes with `nonblocking()` into `w` until done; at every `WouldBlock` the count must equal
/// everything the reader can drain at that moment (the pipe or socket buffer is then emptied,
/// so the next call starts a fresh window and stops again somewhere inside it: often inside
/// a staged run).
fn check_would_block_counts(
    r: &OwnedFd,
    w: &OwnedFd,
    lens: &[usize],
    opts: &FdOptions,
    what: &str,
) -> usize {
    let data = chunks(43, lens);
    let expected = data.concat();
    let bufs = slices(&data);
    let opts = opts.clone().nonblocking();
    let mut got = Vec::new();

    // The slice form: the first WouldBlock's count is what the reader finds.
    let err = vectored::write_all_fd(w, &bufs, &opts).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{what}");
    got.extend(drain_now(r));
    assert_eq!(err.transferred(), got.len(), "{what}: first WouldBlock");
    assert!(
        got[..] == expected[..got.len()],
        "{what}: first part differs"
    );

    // The cursor form, resumed after the bytes the slice form wrote.
    let mut cursor = IoCursor::new(&bufs);
    while cursor.transferred() < got.len() {
        cursor.window();
        let step = cursor.window_bytes().min(got.len() - cursor.transferred());
        cursor.advance(step).unwrap();
    }
    let mut stops = 0;
    loop {
        match vectored::write_all_fd_cursor(w, &mut cursor, &opts) {
            Ok(n) => {
                assert_eq!(n, expected.len(), "{what}");
                got.extend(drain_now(r));
                break;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::WouldBlock, "{what}: {e}");
                stops += 1;
                got.extend(drain_now(r));
                assert_eq!(e.transferred(), got.len(), "{what}: stop {stops}");
                assert_eq!(cursor.transferred(), got.len(), "{what}: stop {stops}");
                assert!(
                    got[..] == expected[..got.len()],
                    "{what}: differs by stop {stops}"
                );
            }
        }
    }
    assert!(got == expected, "{what}: data differs");
    stops
}

#[test]
fn nonblocking_pipe_counts_equal_what_the_reader_drains() {
    let _dog = Watchdog::new("coalesce nonblocking pipe", LIMIT);
    for (name, lens) in both() {
        // Uncapped calls on a full-size pipe: each call offers more than the pipe holds, so
        // it stops at the pipe's capacity wherever that falls in the staged list. The
        // automatic cap (half the pipe) stops between calls instead.
        for sizing in [WriteSizing::Unlimited, WriteSizing::Auto] {
            for opts in options() {
                let opts = opts.write_sizing(sizing);
                let (r, w) = pipe();
                rustix::io::ioctl_fionbio(&w, true).unwrap();
                let what = format!("{name} {opts:?}");
                let stops = check_would_block_counts(&r.into(), &w.into(), &lens, &opts, &what);
                assert!(stops > 0, "{what}: never blocked");
            }
        }
    }
}

#[test]
fn nonblocking_socketpair_counts_equal_what_the_reader_drains() {
    let _dog = Watchdog::new("coalesce nonblocking socketpair", LIMIT);
    for (name, lens) in both() {
        for opts in options() {
            let (a, b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            rustix::net::sockopt::set_socket_send_buffer_size(&a, 16 * 1024).unwrap();
            let what = format!("{name} {opts:?}");
            let stops = check_would_block_counts(&b.into(), &a.into(), &lens, &opts, &what);
            assert!(stops > 0, "{what}: never blocked");
        }
    }
}

/// Write calls made by this thread so far (`syscw` of `/proc/thread-self/io`: per thread, so
/// tests running in parallel do not disturb it).
#[cfg(target_os = "linux")]
fn write_calls() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").expect("/proc/thread-self/io");
    io.lines()
        .find_map(|line| line.strip_prefix("syscw: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("syscw in /proc/thread-self/io")
}

#[cfg(target_os = "linux")]
#[test]
fn regular_files_get_every_byte_in_at_most_ceil_n_over_iov_max_calls() {
    let dir = TempDir::new("coalesce-file");
    for (name, lens) in both() {
        for (opts, coalesce) in options().into_iter().zip([true, false]) {
            let data = chunks(44, &lens);
            let expected = data.concat();
            let path = dir.join(name);
            let file = File::create(&path).unwrap();
            let before = write_calls();
            let n = vectored::write_all_fd(&file, &slices(&data), &opts).unwrap();
            let after = write_calls();
            assert_eq!(n, expected.len(), "{name} {opts:?}");
            assert!(std::fs::read(&path).unwrap() == expected, "{name} {opts:?}");
            // One call per IOV_MAX buffers at most; with coalescing, runs of small
            // buffers past a window ride along in its call, so the tiny records take fewer.
            let windows = lens.len().div_ceil(IOV_MAX) as u64;
            let calls = after - before;
            if !coalesce {
                assert_eq!(calls, windows, "{name} {opts:?}: write calls");
            } else if name == "tiny" {
                assert!(calls < windows, "{name} {opts:?}: {calls} write calls");
            } else {
                assert!(calls <= windows, "{name} {opts:?}: {calls} write calls");
            }
        }
    }
}

/// A device takes one call per `IOV_MAX` buffers of a list of larger buffers (nothing is
/// staged: the mixed list averages over a kilobyte), and fewer for tiny buffers, which it
/// stages (`fd::mode::DEVICE_SMALL`): 100000 × 16 B in calls of 256 KiB and more.
#[cfg(target_os = "linux")]
#[test]
fn dev_null_takes_at_most_one_call_per_iov_max_buffers() {
    let null = File::options().write(true).open("/dev/null").unwrap();
    for (name, lens) in both() {
        let data = chunks(45, &lens);
        let total: usize = lens.iter().sum();
        let before = write_calls();
        let n = vectored::write_all_fd(&null, &slices(&data), &FdOptions::new()).unwrap();
        let calls = write_calls() - before;
        assert_eq!(n, total, "{name}");
        let per_window = lens.len().div_ceil(IOV_MAX) as u64;
        if name == "tiny" {
            assert!(
                calls <= total.div_ceil(256 * 1024) as u64,
                "{name}: {calls} calls"
            );
        } else {
            assert_eq!(calls, per_window, "{name}");
        }
        // Without coalescing, one call per window.
        let before = write_calls();
        let opts = FdOptions::new().coalesce(false);
        vectored::write_all_fd(&null, &slices(&data), &opts).unwrap();
        assert_eq!(write_calls() - before, per_window, "{name}, coalescing off");
    }
}

/// An error before any byte (a read-only fd: `EBADF`) reports 0 with staging too.
#[test]
fn errors_before_any_byte_report_zero() {
    let dir = TempDir::new("coalesce-ro");
    let path = dir.join("ro");
    std::fs::write(&path, b"").unwrap();
    let file = File::open(&path).unwrap();
    let data = chunks(46, &tiny_lens()[..3000]);
    let err = vectored::write_all_fd(&file, &slices(&data), &FdOptions::new()).unwrap_err();
    assert_eq!((err.raw_os_error(), err.transferred()), (Some(9), 0));
    assert!(std::fs::read(&path).unwrap().is_empty());
}
