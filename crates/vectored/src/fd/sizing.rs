//! How many bytes one write call of an fd-level loop offers: the one place that decides it.
//!
//! Every fd-level write path (`write_all_fd`, `write_all_fd_cursor`, the queue's fd flush)
//! asks [`plan`] once per loop call. (The message flush asks too, but a message is one call
//! by definition: it is never split.)
//!
//! # The `Auto` rule
//!
//! | fd kind | bytes per call |
//! |---|---|
//! | pipe / FIFO | half the pipe's capacity (`F_GETPIPE_SZ / 2`; 32 KiB if unknown or off Linux; never below 4 KiB), see [`Pacer`] |
//! | socket (stream or datagram) | no cap |
//! | file, `/dev/null`, other | no cap: one call per `IOV_MAX` window |
//!
//! From the write-sizing measurements of 2026-12-02 (`BENCHMARKS.md`, "No regret";
//! `docs/experiments/write_sizing.c`; `docs/bench/2026-12-02-half-pipe-placement.json`): an
//! uncapped `writev` to a pipe makes writer and reader alternate on full pipes (one sleep
//! and one wake-up per 64 KiB on each side), which costs 1.4–5.9× when the reader has a CPU
//! of its own. A call of half the capacity never fills an empty pipe, so the reader (woken
//! at the end of the call) drains one half while the writer fills the other: worst 1.34×
//! with an own-CPU reader. The price is up to ~1.24× when the reader shares the writer's CPU
//! (twice the hand-overs). Unix stream sockets already pipeline inside one `sendmsg`
//! (uncapped was best or tied in every cell), and files gain nothing from smaller calls.
//!
//! # The pacer (automatic pipes only)
//!
//! A fixed half-pipe cap wins where the reader has its own CPU and loses where it shares the
//! writer's. [`Pacer`] tells the two apart from what the pipe holds after each call
//! (`FIONREAD`, no timing): if the reader drained some of it while the writer was not
//! waiting, it runs concurrently, and small calls stay; if the writer had to wait for room
//! twice in a row without ever seeing such a drain, the reader only runs when the writer
//! sleeps (it shares the CPU), and the rest of this loop call goes uncapped, which halves
//! the hand-overs.

use std::os::fd::BorrowedFd;

use super::options::WriteSizing;
use crate::limits::MAX_BYTES_PER_CALL;
use crate::sys::FdKind;

/// The pipe capacity assumed when it cannot be asked: Linux's default, and the usual size
/// elsewhere.
const DEFAULT_PIPE_CAPACITY: usize = 64 * 1024;

/// The smallest automatic pipe cap: one page, below which every call is a hand-over.
const MIN_PIPE_CAP: usize = 4096;

/// The byte cap per write call for an fd of `kind` under `sizing`: the fixed part of the
/// rule (what a loop without a [`Pacer`] uses).
pub(crate) fn bytes_per_call(sizing: WriteSizing, kind: FdKind, fd: BorrowedFd<'_>) -> usize {
    match sizing {
        WriteSizing::Auto => auto(kind, fd),
        WriteSizing::Fixed(bytes) => bytes.clamp(1, MAX_BYTES_PER_CALL),
        WriteSizing::Unlimited => MAX_BYTES_PER_CALL,
    }
}

/// What one stream write loop call does: the cap on its windows, and, for an automatic
/// pipe, the pacer that trims each call further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The most bytes a window may hold.
    pub(crate) window: usize,
    /// The per-call decision, when it is made call by call.
    pub(crate) pacer: Option<Pacer>,
}

/// The plan of a stream write loop call (`write_all_fd`, the queue's fd flush).
pub(crate) fn plan(sizing: WriteSizing, kind: FdKind, fd: BorrowedFd<'_>) -> Plan {
    let window = bytes_per_call(sizing, kind, fd);
    if sizing == WriteSizing::Auto && kind == FdKind::Pipe {
        if let Some(pending) = unread(fd) {
            return Plan {
                window: MAX_BYTES_PER_CALL,
                pacer: Some(Pacer::new(pipe_capacity(fd), pending)),
            };
        }
    }
    Plan {
        window,
        pacer: None,
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

/// `FIONREAD`: the bytes in the pipe that no reader has taken yet; `None` if it cannot be
/// asked.
fn unread(fd: BorrowedFd<'_>) -> Option<usize> {
    rustix::io::ioctl_fionread(fd)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
}

/// Waits for room without a concurrent drain in between after which a pipe loop stops
/// capping.
const WAITS_BEFORE_UNCAPPED: u8 = 2;

/// The per-call cap of an automatic pipe loop, decided from what the pipe holds after each
/// call (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pacer {
    /// The pipe's capacity in bytes.
    capacity: usize,
    /// Bytes unread in the pipe at the last look.
    unread: usize,
    /// Calls in a row that had to wait for room, with no concurrent drain seen since.
    waits: u8,
    /// Whether the loop has stopped capping (the reader shares the CPU).
    uncapped: bool,
}

impl Pacer {
    /// A pacer for a pipe of `capacity` bytes holding `unread` bytes now.
    pub(crate) fn new(capacity: usize, unread: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            unread,
            waits: 0,
            uncapped: false,
        }
    }

    /// The most bytes the next call offers.
    pub(crate) fn cap(&self) -> usize {
        if self.uncapped {
            MAX_BYTES_PER_CALL
        } else {
            half_pipe(self.capacity)
        }
    }

    /// After a call that wrote `written` bytes, looks at the pipe (one `FIONREAD`) and
    /// updates the decision. Once uncapped, it no longer looks.
    pub(crate) fn after_write(&mut self, fd: BorrowedFd<'_>, written: usize) {
        if self.uncapped {
            return;
        }
        match unread(fd) {
            Some(unread) => self.observe(written, unread),
            // Cannot look: keep the fixed cap, and stop asking.
            None => self.waits = 0,
        }
    }

    /// The decision: `written` bytes went in, and the pipe now holds `unread`.
    fn observe(&mut self, written: usize, unread: usize) {
        let expected = self.unread.saturating_add(written);
        if expected > self.capacity {
            // The call could only finish once the reader had made room: it waited. That
            // says nothing about where the reader runs, but a reader that only runs while
            // the writer waits shows nothing else.
            self.waits = self.waits.saturating_add(1);
            if self.waits >= WAITS_BEFORE_UNCAPPED {
                self.uncapped = true;
            }
        } else if unread < expected {
            // The reader took bytes while the writer never had to wait: it runs on another
            // CPU, where half-pipe calls let it drain one half while the writer fills the
            // other.
            self.waits = 0;
        }
        self.unread = unread;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    const K64: usize = 64 * 1024;
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
            let plan = plan(WriteSizing::Auto, kind, fd);
            assert_eq!(plan.window, MAX_BYTES_PER_CALL);
            assert_eq!(plan.pacer, None, "{kind:?}");
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
        // An override is never paced.
        for sizing in [WriteSizing::Fixed(4096), WriteSizing::Unlimited] {
            let plan = plan(sizing, FdKind::Pipe, fd);
            assert_eq!(plan.pacer, None);
            assert_eq!(plan.window, bytes_per_call(sizing, FdKind::Pipe, fd));
        }
        drop(r);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_automatic_pipe_is_paced_from_half_its_capacity() {
        let (r, w) = std::io::pipe().unwrap();
        rustix::io::write(&w, &[1u8; 100]).unwrap();
        let plan = plan(WriteSizing::Auto, FdKind::Pipe, w.as_fd());
        assert_eq!(plan.window, MAX_BYTES_PER_CALL);
        let pacer = plan.pacer.expect("a pipe answers FIONREAD");
        assert_eq!(pacer, Pacer::new(K64, 100));
        assert_eq!(pacer.cap(), K32);
        drop(r);
    }

    #[test]
    fn a_reader_that_drains_concurrently_keeps_half_pipe_calls() {
        // Own-CPU reader: the first fill waits once (the reader is not awake yet), then
        // the reader drains while the writer writes.
        let mut pacer = Pacer::new(K64, 0);
        pacer.observe(K32, K32); // fits, reader not running yet
        pacer.observe(K32, K64); // fills the pipe
        pacer.observe(K32, K32); // waited for room
        assert_eq!(pacer.cap(), K32);
        pacer.observe(K32, 10_000); // fitted, and the reader drained meanwhile
        pacer.observe(K32, K64); // waited
        pacer.observe(K32, 5_000); // fitted, drained: the wait count starts over
        pacer.observe(K32, K64);
        assert_eq!(pacer.cap(), K32);
    }

    #[test]
    fn a_reader_that_only_runs_while_the_writer_waits_uncaps_the_loop() {
        // Shared-CPU reader: the pipe fills, the writer waits, the reader empties it.
        let mut pacer = Pacer::new(K64, 0);
        pacer.observe(K32, K32);
        pacer.observe(K32, K64);
        pacer.observe(K32, K32); // wait 1
        assert_eq!(pacer.cap(), K32);
        pacer.observe(K32, K64); // fitted, nothing drained: no evidence either way
        pacer.observe(K32, K32); // wait 2
        assert_eq!(pacer.cap(), MAX_BYTES_PER_CALL);
        // Uncapped stays uncapped for the rest of the loop call.
        pacer.observe(K32, 0);
        assert_eq!(pacer.cap(), MAX_BYTES_PER_CALL);
    }

    #[test]
    fn a_partial_write_counts_what_went_in() {
        // A non-blocking pipe with 60 KiB unread takes 4 KiB of a 32 KiB offer: no wait
        // (the call returned at once), no drain.
        let mut pacer = Pacer::new(K64, 60 * 1024);
        pacer.observe(4096, K64);
        assert_eq!(pacer.cap(), K32);
        assert_eq!(pacer.waits, 0);
    }

    #[test]
    fn a_fd_that_cannot_be_asked_keeps_the_cap() {
        let null = std::fs::File::create("/dev/null").unwrap();
        let mut pacer = Pacer::new(K64, 0);
        pacer.waits = 1;
        pacer.after_write(null.as_fd(), K32);
        assert_eq!(pacer.waits, 0);
        assert_eq!(pacer.cap(), K32);
    }
}
