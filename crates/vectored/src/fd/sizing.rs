//! How many bytes one write call of an fd-level loop offers: the one place that decides it.
//!
//! Every fd-level write path (`write_all_fd`, `write_all_fd_cursor`, the queue's fd flush)
//! asks [`bytes_per_call`] once per loop call. (The message flush asks too, but a message is
//! one call by definition: it is never split.)
//!
//! # The `Auto` rule
//!
//! | fd kind | bytes per call |
//! |---|---|
//! | pipe / FIFO | half the pipe's capacity (`F_GETPIPE_SZ / 2`; 32 KiB if unknown or off Linux; never below 4 KiB) |
//! | socket (stream or datagram) | no cap |
//! | file, `/dev/null`, other | no cap: one call per `IOV_MAX` window |
//!
//! From the write-sizing measurements of 2026-12-02 (`BENCHMARKS.md`, "No regret";
//! `docs/experiments/write_sizing.c`; `docs/bench/2026-12-02-half-pipe-placement.json`): an
//! uncapped `writev` to a pipe makes writer and reader alternate on full pipes (one sleep
//! and one wake-up per 64 KiB on each side), which costs 1.4–5.9× when the reader has a CPU
//! of its own. A call of half the capacity never fills an empty pipe, so the reader (woken
//! at the end of the call) drains one half while the writer fills the other: worst 1.3–1.7×
//! with an own-CPU reader. The price is paid when the reader shares the writer's CPU (twice
//! the hand-overs): a geometric mean of 1.15–1.47× behind the best (uncapped: 1.01–1.19×)
//! over the pipe cells of `docs/bench/2026-12-02-{half-pipe,after}-placement.json`. Unix
//! stream sockets already pipeline inside one `sendmsg` (uncapped was best or tied in every
//! cell), and files gain nothing from smaller calls.
//!
//! # Tried and rejected: pacing by `FIONREAD`
//!
//! A pacer that looked at the pipe after each call (`FIONREAD`) and went uncapped once the
//! writer had waited twice for room without seeing the reader drain concurrently (the
//! shared-CPU signature) lost to this fixed rule in both regimes: worst ratio to the best
//! strategy 2.06× / 4.00× (shared / own CPU) against 1.87× / 3.12×, and 4.69× / 4.26×
//! against 1.38× / 1.93× in a second run (`docs/bench/2026-12-02-adaptive-try-{1,2}.json`,
//! where `vectored-write-all-fd` is the pacer and `capped-half-pipe` this rule). A reader
//! woken on another CPU takes longer to start (~150–200 µs here) than the writer takes to
//! fill the pipe, so the first waits look the same in both regimes, and the pacer uncapped
//! where it should not have (the queue flush up to 16× behind with an own-CPU reader).

use std::os::fd::BorrowedFd;

use super::options::WriteSizing;
use crate::limits::MAX_BYTES_PER_CALL;
use crate::sys::FdKind;

/// The pipe capacity assumed when it cannot be asked: Linux's default, and the usual size
/// elsewhere.
const DEFAULT_PIPE_CAPACITY: usize = 64 * 1024;

/// The smallest automatic pipe cap: one page, below which every call is a hand-over.
const MIN_PIPE_CAP: usize = 4096;

/// The byte cap per write call for an fd of `kind` under `sizing`.
pub(crate) fn bytes_per_call(sizing: WriteSizing, kind: FdKind, fd: BorrowedFd<'_>) -> usize {
    match sizing {
        WriteSizing::Auto => auto(kind, fd),
        WriteSizing::Fixed(bytes) => bytes.clamp(1, MAX_BYTES_PER_CALL),
        WriteSizing::Unlimited => MAX_BYTES_PER_CALL,
    }
}

/// The `Auto` rule (see the module docs).
fn auto(kind: FdKind, fd: BorrowedFd<'_>) -> usize {
    match kind {
        FdKind::Pipe => half_pipe(pipe_capacity(fd)),
        FdKind::Socket | FdKind::Other => MAX_BYTES_PER_CALL,
    }
}

/// Half a pipe of `capacity` bytes, at least [`MIN_PIPE_CAP`].
fn half_pipe(capacity: usize) -> usize {
    (capacity / 2).clamp(MIN_PIPE_CAP, MAX_BYTES_PER_CALL)
}

/// `F_GETPIPE_SZ`: one `fcntl` per loop call.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn pipe_capacity(fd: BorrowedFd<'_>) -> usize {
    rustix::pipe::fcntl_getpipe_size(fd).unwrap_or(DEFAULT_PIPE_CAPACITY)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pipe_capacity(_fd: BorrowedFd<'_>) -> usize {
    DEFAULT_PIPE_CAPACITY
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    const K32: usize = 32 * 1024;

    #[test]
    fn auto_caps_pipes_at_half_their_capacity() {
        let (r, w) = std::io::pipe().unwrap();
        let fd = w.as_fd();
        #[cfg(target_os = "linux")]
        {
            assert_eq!(bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd), K32);
            let grown = rustix::pipe::fcntl_setpipe_size(fd, 256 * 1024).unwrap();
            assert_eq!(
                bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd),
                grown / 2
            );
            // One page: the cap does not go below a page.
            rustix::pipe::fcntl_setpipe_size(fd, 4096).unwrap();
            assert_eq!(
                bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd),
                MIN_PIPE_CAP
            );
        }
        #[cfg(not(target_os = "linux"))]
        assert_eq!(
            bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd),
            DEFAULT_PIPE_CAPACITY / 2
        );
        drop(r);
    }

    #[test]
    fn auto_leaves_sockets_and_files_uncapped() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (d, _e) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let null = std::fs::File::create("/dev/null").unwrap();
        let file =
            std::fs::File::create(std::env::temp_dir().join("vectored-sizing-test")).unwrap();
        for (kind, fd) in [
            (FdKind::Socket, a.as_fd()),
            (FdKind::Socket, d.as_fd()),
            (FdKind::Other, null.as_fd()),
            (FdKind::Other, file.as_fd()),
        ] {
            assert_eq!(
                bytes_per_call(WriteSizing::Auto, kind, fd),
                MAX_BYTES_PER_CALL
            );
        }
    }

    #[test]
    fn a_pipe_that_cannot_be_asked_gets_the_default() {
        // A non-pipe fd declared as a pipe: F_GETPIPE_SZ fails (EBADF/EINVAL).
        let null = std::fs::File::create("/dev/null").unwrap();
        assert_eq!(
            bytes_per_call(WriteSizing::Auto, FdKind::Pipe, null.as_fd()),
            DEFAULT_PIPE_CAPACITY / 2
        );
    }

    #[test]
    fn fixed_and_unlimited_override_auto() {
        let (r, w) = std::io::pipe().unwrap();
        let fd = w.as_fd();
        assert_eq!(
            bytes_per_call(WriteSizing::Fixed(4096), FdKind::Other, fd),
            4096
        );
        assert_eq!(bytes_per_call(WriteSizing::Fixed(0), FdKind::Socket, fd), 1);
        assert_eq!(
            bytes_per_call(WriteSizing::Fixed(usize::MAX), FdKind::Pipe, fd),
            MAX_BYTES_PER_CALL
        );
        assert_eq!(
            bytes_per_call(WriteSizing::Unlimited, FdKind::Pipe, fd),
            MAX_BYTES_PER_CALL
        );
        drop(r);
    }
}
