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
//! | pipe / FIFO | the pipe's capacity (`F_GETPIPE_SZ`; 64 KiB if unknown or off Linux) |
//! | socket (stream or datagram) | no cap |
//! | file, `/dev/null`, other | no cap: one call per `IOV_MAX` window |
//!
//! From the write-sizing measurements of 2026-12-02 (`/work/wt/regret-findings.md` on the
//! `regret` branch; `docs/experiments/write_sizing.c`): an uncapped `writev` to a pipe makes
//! writer and reader alternate on full pipes (one sleep and one wake-up per 64 KiB on each
//! side); a call of at most the pipe's capacity keeps the same number of hand-overs when the
//! reader shares the writer's CPU (median 1.05× of uncapped) and lets a reader with its own
//! CPU drain concurrently (faster in 9 of 10 pinned cells, 1.04–12×). Smaller caps win more
//! with an idle reader CPU but lose 1.5–2.7× on a shared one, so they are left to
//! [`WriteSizing::Fixed`]. Unix stream sockets already pipeline inside one `sendmsg`
//! (uncapped was best or tied in every cell), and files gain nothing from smaller calls.

use std::os::fd::BorrowedFd;

use super::options::WriteSizing;
use crate::limits::MAX_BYTES_PER_CALL;
use crate::sys::FdKind;

/// The pipe capacity assumed when it cannot be asked: Linux's default, and the usual size
/// elsewhere.
const DEFAULT_PIPE_CAPACITY: usize = 64 * 1024;

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
        FdKind::Pipe => pipe_capacity(fd).clamp(1, MAX_BYTES_PER_CALL),
        FdKind::Socket | FdKind::Other => MAX_BYTES_PER_CALL,
    }
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

    #[test]
    fn auto_caps_pipes_at_their_capacity() {
        let (r, w) = std::io::pipe().unwrap();
        let fd = w.as_fd();
        #[cfg(target_os = "linux")]
        {
            assert_eq!(
                bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd),
                64 * 1024
            );
            let grown = rustix::pipe::fcntl_setpipe_size(fd, 256 * 1024).unwrap();
            assert_eq!(bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd), grown);
            let shrunk = rustix::pipe::fcntl_setpipe_size(fd, 4096).unwrap();
            assert_eq!(bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd), shrunk);
        }
        #[cfg(not(target_os = "linux"))]
        assert_eq!(
            bytes_per_call(WriteSizing::Auto, FdKind::Pipe, fd),
            DEFAULT_PIPE_CAPACITY
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
            DEFAULT_PIPE_CAPACITY
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
