//! Pipes: slow and stalled readers, non-blocking write ends that must wait in `poll` (and not
//! spin), deadlines, `nonblocking()` progress, early end of file, and a vanished reader.

use crate::support;

use std::fs::File;
use std::io::{self, IoSliceMut, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use support::{
    chunks, drain_now, pattern, pipe, slices, slices_from, slow_read_all, small_pipe,
    thread_cpu_time, Watchdog,
};
use vectored::{FdOptions, RwFlags};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn blocking_pipe_with_a_slow_reader() {
    let _dog = Watchdog::new("blocking_pipe_with_a_slow_reader", LIMIT);
    let (r, w) = pipe();
    let lens: Vec<usize> = (0..3000).map(|i| [0, 1, 500, 333, 17][i % 5]).collect();
    let data = chunks(11, &lens);
    let expected = data.concat();
    let reader = thread::spawn(move || slow_read_all(r, 777));
    let n = vectored::write_all_fd(&w, &slices(&data), &FdOptions::new()).unwrap();
    drop(w);
    let got = reader.join().unwrap();
    assert_eq!(n, expected.len());
    assert!(got == expected);
}

/// A reader that takes the first `before` bytes, stalls for `stall`, then reads to the end.
fn stalling_reader(r: std::os::fd::OwnedFd, before: usize, stall: Duration) -> Vec<u8> {
    let mut r = File::from(r);
    let mut got = vec![0u8; before];
    r.read_exact(&mut got).unwrap();
    thread::sleep(stall);
    r.read_to_end(&mut got).unwrap();
    got
}

fn check_waits_without_spinning(opts: &FdOptions) {
    const STALL: Duration = Duration::from_millis(600);
    // A one-page, non-blocking pipe: the writer hits EAGAIN at once and must wait in poll.
    let (r, w) = small_pipe(4096);
    let data = chunks(12, &[1000; 256]);
    let expected = data.concat();
    let reader = thread::spawn(move || stalling_reader(r, 64 * 1024, STALL));

    let (cpu0, t0) = (thread_cpu_time(), Instant::now());
    let n = vectored::write_all_fd(&w, &slices(&data), opts).unwrap();
    let (cpu, wall) = (thread_cpu_time().saturating_sub(cpu0), t0.elapsed());
    drop(w);
    let got = reader.join().unwrap();
    assert_eq!(n, expected.len());
    assert!(got == expected, "data differs");
    // The writer cannot finish before the reader resumes, so it waited through the stall.
    assert!(
        wall >= STALL,
        "finished in {wall:?}, before the stall ended?"
    );
    // CPU time of this (writing) thread only: other tests run in the same process. A loop
    // that retried EAGAIN without waiting would burn about as much CPU as wall time.
    assert!(
        cpu < wall / 10,
        "writer used {cpu:?} of CPU in {wall:?}: busy-waiting on EAGAIN?"
    );
}

#[test]
fn stalled_reader_makes_the_writer_wait_in_poll_without_spinning() {
    let _dog = Watchdog::new("stalled reader", LIMIT);
    check_waits_without_spinning(&FdOptions::new());
}

#[test]
fn stalled_reader_with_a_far_deadline_does_not_spin_either() {
    let _dog = Watchdog::new("stalled reader, deadline", LIMIT);
    check_waits_without_spinning(&FdOptions::new().timeout(Duration::from_secs(30)));
}

#[test]
fn read_exact_fd_waits_for_a_stalled_writer_without_spinning() {
    const STALL: Duration = Duration::from_millis(500);
    let _dog = Watchdog::new("stalled writer", LIMIT);
    let (r, mut w) = pipe();
    rustix::io::ioctl_fionbio(&r, true).unwrap();
    let lens: Vec<usize> = (0..2000).map(|i| [0, 1, 99, 100][i % 4]).collect();
    let src = pattern(13, lens.iter().sum());
    let src2 = src.clone();
    let mut store: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0; l]).collect();
    let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    // Start the clock before the writer exists, so its whole stall falls inside `wall`.
    let (cpu0, t0) = (thread_cpu_time(), Instant::now());
    let writer = thread::spawn(move || {
        w.write_all(&src2[..10_000]).unwrap();
        thread::sleep(STALL);
        w.write_all(&src2[10_000..]).unwrap();
    });
    let n = vectored::read_exact_fd(&r, &mut bufs, &FdOptions::new()).unwrap();
    let (cpu, wall) = (thread_cpu_time().saturating_sub(cpu0), t0.elapsed());
    drop(bufs);
    writer.join().unwrap();
    assert_eq!(n, src.len());
    assert!(store.concat() == src);
    assert!(
        wall >= STALL,
        "finished in {wall:?}, before the stall ended?"
    );
    assert!(
        cpu < wall / 10,
        "reader used {cpu:?} of CPU in {wall:?}: busy-waiting on EAGAIN?"
    );
}

/// Writes into a one-page pipe whose reader takes 20 000 bytes and then stalls until the
/// writer has given up; the error must count exactly the bytes the reader can get.
fn check_deadline_expires(opts: &FdOptions, earliest_end: impl FnOnce(Instant) -> Instant) {
    let (r, w) = small_pipe(4096);
    let data = chunks(14, &[333; 600]);
    let expected = data.concat();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let reader = thread::spawn(move || {
        let mut f = File::from(r.try_clone().unwrap());
        let mut got = vec![0u8; 20_000];
        f.read_exact(&mut got).unwrap();
        go_rx.recv().unwrap();
        got.extend(drain_now(&r));
        got
    });
    let t0 = Instant::now();
    let err = vectored::write_all_fd(&w, &slices(&data), opts).unwrap_err();
    let end = Instant::now();
    go_tx.send(()).unwrap();
    let got = reader.join().unwrap();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    assert_eq!(
        err.transferred(),
        got.len(),
        "the error does not count what reached the pipe"
    );
    assert!(got[..] == expected[..got.len()]);
    assert!(err.transferred() >= 20_000 && err.transferred() < expected.len());
    assert!(end >= earliest_end(t0), "gave up before the deadline");
}

#[test]
fn timeout_expires_while_the_reader_is_stalled() {
    let _dog = Watchdog::new("timeout", LIMIT);
    let timeout = Duration::from_millis(200);
    check_deadline_expires(&FdOptions::new().timeout(timeout), |t0| t0 + timeout);
}

#[test]
fn deadline_expires_while_the_reader_is_stalled() {
    let _dog = Watchdog::new("deadline", LIMIT);
    let deadline = Instant::now() + Duration::from_millis(200);
    check_deadline_expires(&FdOptions::new().deadline(deadline), |_| deadline);
}

#[test]
fn nonblocking_returns_would_block_with_progress_and_resumes() {
    let _dog = Watchdog::new("nonblocking", LIMIT);
    let (r, w) = small_pipe(4096);
    let lens: Vec<usize> = (0..1500).map(|i| [0, 1, 64, 100][i % 4]).collect();
    let data = chunks(15, &lens);
    let expected = data.concat();
    let opts = FdOptions::new().nonblocking();
    let mut got = Vec::new();
    let mut done = 0;
    let mut would_blocks = 0;
    loop {
        let bufs = slices_from(&data, done);
        match vectored::write_all_fd(&w, &bufs, &opts) {
            Ok(n) => {
                done += n;
                break;
            }
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
                // The pipe was drained before this call, so something always fits.
                assert!(e.transferred() > 0, "no progress into an empty pipe");
                done += e.transferred();
                would_blocks += 1;
            }
        }
        got.extend(drain_now(&r));
        assert_eq!(
            got.len(),
            done,
            "transferred differs from what reached the pipe"
        );
    }
    got.extend(drain_now(&r));
    assert_eq!(done, expected.len());
    assert!(got == expected);
    assert!(
        would_blocks >= expected.len() / 4096 - 1,
        "{would_blocks} WouldBlocks"
    );
}

#[test]
fn full_pipe_gives_would_block_or_timed_out_with_nothing_transferred() {
    let _dog = Watchdog::new("full pipe", LIMIT);
    let (r, w) = small_pipe(4096);
    File::from(w.try_clone().unwrap())
        .write_all(&[0u8; 4096])
        .unwrap();
    let data = chunks(16, &[0, 10, 20]);
    let err =
        vectored::write_all_fd(&w, &slices(&data), &FdOptions::new().nonblocking()).unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::WouldBlock, 0)
    );
    let err = vectored::write_all_fd(
        &w,
        &slices(&data),
        &FdOptions::new().timeout(Duration::ZERO),
    )
    .unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::TimedOut, 0)
    );
    assert_eq!(drain_now(&r).len(), 4096);
}

#[test]
fn read_exact_fd_reports_the_bytes_filled_when_the_writer_closes_early() {
    let _dog = Watchdog::new("early eof", LIMIT);
    let (r, mut w) = pipe();
    let src = pattern(17, 1000);
    let src2 = src.clone();
    let writer = thread::spawn(move || {
        for piece in src2.chunks(100) {
            w.write_all(piece).unwrap();
            thread::sleep(Duration::from_millis(1));
        }
        // Dropping `w` is the early end of file.
    });
    let lens = [300, 0, 500, 700, 500];
    let mut store: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0xEE; l]).collect();
    let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let err = vectored::read_exact_fd(&r, &mut bufs, &FdOptions::new()).unwrap_err();
    drop(bufs);
    writer.join().unwrap();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::UnexpectedEof, 1000),
        "{err}"
    );
    let got = store.concat();
    assert!(got[..1000] == src[..]);
    assert!(
        got[1000..].iter().all(|&b| b == 0xEE),
        "wrote past the data"
    );
}

#[test]
fn read_exact_fd_nonblocking_and_timeout_report_progress() {
    let _dog = Watchdog::new("read nonblocking", LIMIT);
    let (r, mut w) = pipe();
    rustix::io::ioctl_fionbio(&r, true).unwrap();
    let src = pattern(18, 3000);
    w.write_all(&src[..1200]).unwrap();

    let mut store = [vec![0u8; 1000], vec![], vec![0u8; 2000]];
    let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let err = vectored::read_exact_fd(&r, &mut bufs, &FdOptions::new().nonblocking()).unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::WouldBlock, 1200)
    );

    w.write_all(&src[1200..2000]).unwrap();
    let mut rest = vec![0u8; 1800];
    let err = vectored::read_exact_fd(
        &r,
        &mut [IoSliceMut::new(&mut rest)],
        &FdOptions::new().timeout(Duration::from_millis(50)),
    )
    .unwrap_err();
    assert_eq!(
        (err.kind(), err.transferred()),
        (io::ErrorKind::TimedOut, 800)
    );
    drop(bufs);
    assert!(store[0][..] == src[..1000]);
    assert!(store[2][..200] == src[1000..1200]);
    assert!(rest[..800] == src[1200..2000]);
}

#[test]
fn positional_calls_on_a_pipe_are_espipe() {
    let (r, w) = pipe();
    let data = chunks(19, &[5]);
    let err = vectored::write_all_at(&w, &slices(&data), 0, RwFlags::empty()).unwrap_err();
    assert_eq!(
        (err.raw_os_error(), err.transferred()),
        (Some(libc::ESPIPE), 0)
    );
    let mut a = [0u8; 5];
    let err = vectored::read_exact_at(&r, &mut [IoSliceMut::new(&mut a)], 0, RwFlags::empty())
        .unwrap_err();
    assert_eq!(
        (err.raw_os_error(), err.transferred()),
        (Some(libc::ESPIPE), 0)
    );
}

#[test]
fn vanished_reader_is_broken_pipe_with_exact_bounds() {
    let _dog = Watchdog::new("broken pipe", LIMIT);
    // The reader is gone before the first byte.
    let (r, w) = pipe();
    drop(r);
    let data = chunks(20, &[0, 100, 100]);
    let err = vectored::write_all_fd(&w, &slices(&data), &FdOptions::new()).unwrap_err();
    assert_eq!(
        (err.kind(), err.raw_os_error(), err.transferred()),
        (io::ErrorKind::BrokenPipe, Some(libc::EPIPE), 0)
    );

    // The reader takes 10 000 bytes and leaves: whatever was still in the one-page pipe is
    // lost, so the count lies between what was read and that plus one page.
    let (r, w) = small_pipe(4096);
    let data = chunks(21, &[1000; 100]);
    let expected = data.concat();
    let reader = thread::spawn(move || {
        let mut got = vec![0u8; 10_000];
        File::from(r).read_exact(&mut got).unwrap();
        got
    });
    let err = vectored::write_all_fd(&w, &slices(&data), &FdOptions::new()).unwrap_err();
    let got = reader.join().unwrap();
    assert!(got == expected[..10_000]);
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    assert!(
        (10_000..=10_000 + 4096).contains(&err.transferred()),
        "transferred {}",
        err.transferred()
    );
}

#[test]
fn a_passed_deadline_only_limits_waiting() {
    let _dog = Watchdog::new("passed deadline", LIMIT);
    // Nothing has to wait: the write succeeds even though the deadline is long gone.
    let (r, w) = small_pipe(4096);
    let data = chunks(22, &[0, 1000, 1000]);
    let past = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    let n = vectored::write_all_fd(&w, &slices(&data), &FdOptions::new().deadline(past)).unwrap();
    assert_eq!(n, 2000);
    // Now the pipe cannot take the rest at once: the expired deadline ends the call at once,
    // with exactly what fitted.
    let more = chunks(23, &[3000]);
    let err =
        vectored::write_all_fd(&w, &slices(&more), &FdOptions::new().deadline(past)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
    let got = drain_now(&r);
    assert_eq!(got.len(), 2000 + err.transferred());
    assert!(got[..2000] == data.concat()[..]);
    assert!(got[2000..] == more[0][..err.transferred()]);
}
