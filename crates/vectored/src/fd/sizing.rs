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
//! | pipe / FIFO, Linux | paced (`fd/pace.rs`): 8 KiB or 128 KiB (more than a default pipe holds) per call, whichever the thread measured to be faster |
//! | pipe / FIFO, elsewhere | half the pipe's capacity (32 KiB for the usual 64 KiB; never below 4 KiB) |
//! | socket (stream or datagram) | no cap |
//! | file, `/dev/null`, other | no cap: one call per `IOV_MAX` window |
//!
//! From the write-sizing measurements of 2026-12-02 (`BENCHMARKS.md`, "No regret";
//! `docs/experiments/write_sizing.c`): an uncapped `writev` to a pipe makes writer and
//! reader alternate on full pipes (one sleep and one wake-up per 64 KiB on each side), which
//! costs 2–4× (0.8–2× for 100–512 B buffers) when the reader has a CPU of its own, where
//! 8 KiB calls keep it draining concurrently; when the reader shares the writer's CPU, calls of the whole pipe make the
//! fewest hand-overs and 8 KiB calls cost 1.2–1.6×. No fixed size is within 1.10× in both
//! regimes, and no cheap signal tells them apart reliably, so on Linux the pacer times both
//! now and then and keeps the faster. Without it, half the pipe is the fixed size with the
//! smallest worst case (1.3–1.7× in either regime). Unix stream sockets already pipeline
//! inside one `sendmsg` (uncapped was best or tied in every cell), and files gain nothing
//! from smaller calls.
//!
//! # Tried and rejected
//!
//! - Pacing by `FIONREAD` (`docs/bench/2026-12-02-adaptive-try-{1,2}.json`): a reader woken
//!   on another CPU takes longer to start than the writer takes to fill the pipe, so the
//!   first waits look the same in both regimes; it lost to the fixed half-pipe rule.
//! - Judging by the writer's context switches (`getrusage`): the rates overlap between the
//!   regimes, and looking in the middle of a transfer slows it (see `fd/pace.rs`).

use std::os::fd::BorrowedFd;

use super::options::WriteSizing;
use crate::limits::MAX_BYTES_PER_CALL;
use crate::sys::FdKind;

/// The pipe capacity assumed when it cannot be asked: Linux's default, and the usual size
/// elsewhere.
const DEFAULT_PIPE_CAPACITY: usize = 64 * 1024;

/// The smallest automatic pipe cap: one page, below which every call is a hand-over.
const MIN_PIPE_CAP: usize = 4096;

/// How the calls of one loop are sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CallSize {
    /// The most bytes a window offers.
    pub(crate) max_bytes: usize,
    /// Whether a pacer offers less of each window (see `fd/pace.rs`).
    pub(crate) paced: bool,
}

impl CallSize {
    const fn fixed(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            paced: false,
        }
    }
}

/// The byte cap per window for an fd of `kind` under `sizing`.
#[cfg(test)]
fn bytes_per_call(sizing: WriteSizing, kind: FdKind, fd: BorrowedFd<'_>) -> usize {
    call_size(sizing, kind, fd).max_bytes
}

/// The sizing of the calls to an fd of `kind` under `sizing`.
pub(crate) fn call_size(sizing: WriteSizing, kind: FdKind, fd: BorrowedFd<'_>) -> CallSize {
    match sizing {
        WriteSizing::Auto => auto(kind, fd),
        WriteSizing::Fixed(bytes) => CallSize::fixed(bytes.clamp(1, MAX_BYTES_PER_CALL)),
        WriteSizing::Unlimited => CallSize::fixed(MAX_BYTES_PER_CALL),
    }
}

/// The `Auto` rule (see the module docs).
fn auto(kind: FdKind, fd: BorrowedFd<'_>) -> CallSize {
    match kind {
        // The pacer sizes each call (8 or 128 KiB): no `F_GETPIPE_SZ` needed.
        FdKind::Pipe if PACED => CallSize {
            max_bytes: MAX_BYTES_PER_CALL,
            paced: true,
        },
        FdKind::Pipe => CallSize::fixed(half_pipe(pipe_capacity(fd))),
        FdKind::Socket | FdKind::File | FdKind::Other => CallSize::fixed(MAX_BYTES_PER_CALL),
    }
}

/// Whether pipes are paced here (Linux: the measurements behind the pacer were made there).
const PACED: bool = cfg!(any(target_os = "linux", target_os = "android"));

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
    fn auto_paces_pipes() {
        let (r, w) = std::io::pipe().unwrap();
        let fd = w.as_fd();
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(
            call_size(WriteSizing::Auto, FdKind::Pipe, fd),
            CallSize {
                max_bytes: MAX_BYTES_PER_CALL,
                paced: true
            }
        );
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        assert_eq!(
            call_size(WriteSizing::Auto, FdKind::Pipe, fd),
            CallSize::fixed(DEFAULT_PIPE_CAPACITY / 2)
        );
        drop(r);
    }

    #[test]
    fn half_a_pipe_is_the_fixed_rule_without_a_pacer() {
        assert_eq!(half_pipe(64 * 1024), K32);
        assert_eq!(half_pipe(1024 * 1024), 512 * 1024);
        assert_eq!(half_pipe(4096), MIN_PIPE_CAP);
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
            (FdKind::File, file.as_fd()),
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
            half_pipe(pipe_capacity(null.as_fd())),
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
        for sizing in [WriteSizing::Fixed(4096), WriteSizing::Unlimited] {
            assert!(!call_size(sizing, FdKind::Pipe, fd).paced, "{sizing:?}");
        }
        drop(r);
    }
}
