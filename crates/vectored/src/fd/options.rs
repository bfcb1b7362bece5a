//! The options of the fd-level loops: waiting, fd kind, interrupt hook, write sizing.

use std::fmt;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sys::FdKind;

/// What an fd-level loop does when the fd is not ready (`EAGAIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Wait {
    /// Wait in `poll(2)` as long as it takes.
    #[default]
    Forever,
    /// Wait at most this long in total, counted from the start of each call.
    Timeout(Duration),
    /// Wait until this instant (monotonic clock).
    Deadline(Instant),
    /// Do not wait: return `WouldBlock` with the progress so far.
    Never,
}

/// Options for [`write_all_fd`](crate::write_all_fd) and [`read_exact_fd`](crate::read_exact_fd).
///
/// By default the loops wait for readiness without limit when a non-blocking fd is not ready
/// (a blocking fd simply blocks in the system call), and find out once per call with `fstat`
/// whether the fd is a socket or a pipe, to pick the write call that cannot raise `SIGPIPE`
/// (`write_all_fd` first writes a short list without it where the kernel has
/// `RWF_NOSIGNAL`; [`kind`](Self::kind) saves it always).
///
/// # Small buffers
///
/// Where the kernel copies the data (sockets, pipes, regular files), each buffer handed to
/// a vectored call costs about as much as copying 400–500 bytes, so
/// [`write_all_fd`](crate::write_all_fd) and
/// [`write_all_fd_cursor`](crate::write_all_fd_cursor) copy runs of small buffers into one
/// staging buffer per call; see [`coalesce`](Self::coalesce) for the exact rule and the way
/// to turn it off.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use vectored::{FdKind, FdOptions};
///
/// // Give up after 5 seconds of waiting; the fd is known to be a socket.
/// let opts = FdOptions::new().timeout(Duration::from_secs(5)).kind(FdKind::Socket);
/// # let _ = opts;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct FdOptions {
    wait: Wait,
    kind: Option<FdKind>,
    on_interrupt: Option<Hook>,
    sizing: WriteSizing,
    /// Set by `coalesce(false)`: `write_all_fd` passes the caller's buffers as they are.
    no_coalesce: bool,
}

/// The caller's `EINTR` hook, shared by clones of the options.
type Hook = Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

impl FdOptions {
    /// The defaults: wait without limit, detect the fd kind.
    ///
    /// # Examples
    ///
    /// ```
    /// let opts = vectored::FdOptions::new();
    /// # let _ = opts;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits at most `timeout` in total for readiness, counted from the start of each call on
    /// the monotonic clock. When it passes, the loop fails with
    /// [`io::ErrorKind::TimedOut`] and the bytes transferred so far.
    ///
    /// Only waits the loop makes itself are bounded: a blocking fd blocks inside the system
    /// call, so use a non-blocking fd (or a socket with `SO_SNDTIMEO`) for a hard bound.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{IoSlice, ErrorKind};
    /// use std::time::Duration;
    ///
    /// let (r, w) = std::io::pipe()?;
    /// rustix::io::ioctl_fionbio(&w, true)?;
    /// let big = vec![0u8; 1 << 20]; // more than the pipe holds; nobody reads
    /// let opts = vectored::FdOptions::new().timeout(Duration::from_millis(50));
    /// let err = vectored::write_all_fd(&w, &[IoSlice::new(&big)], &opts).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// assert!(err.transferred() > 0 && err.transferred() < big.len());
    /// # drop(r);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.wait = Wait::Timeout(timeout);
        self
    }

    /// Waits for readiness until `deadline` at the latest; see [`timeout`](Self::timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let opts = vectored::FdOptions::new().deadline(Instant::now() + Duration::from_secs(1));
    /// # let _ = opts;
    /// ```
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.wait = Wait::Deadline(deadline);
        self
    }

    /// Never waits: on `EAGAIN` the loop returns [`io::ErrorKind::WouldBlock`] with the bytes
    /// transferred so far, for callers that run their own event loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{IoSlice, ErrorKind};
    ///
    /// let (r, w) = std::io::pipe()?;
    /// rustix::io::ioctl_fionbio(&w, true)?;
    /// let big = vec![0u8; 1 << 20];
    /// let opts = vectored::FdOptions::new().nonblocking();
    /// let err = vectored::write_all_fd(&w, &[IoSlice::new(&big)], &opts).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// // Resume later from `err.transferred()`.
    /// # drop(r);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn nonblocking(mut self) -> Self {
        self.wait = Wait::Never;
        self
    }

    /// Declares what the fd is, saving the `fstat` the loops otherwise make once per call
    /// (`write_all_fd` skips it anyway for a short list that one first call takes whole,
    /// where the kernel has `RWF_NOSIGNAL`).
    ///
    /// Declaring [`FdKind::Other`] or [`FdKind::File`] for a pipe or socket gives up the
    /// `SIGPIPE` protection; declaring `Other` for a regular file gives up
    /// [coalescing](Self::coalesce) (`Other` is a device such as `/dev/null`, where copying
    /// only costs), declaring `File` for a device copies for nothing. The `fstat` costs about
    /// 0.4 µs here, as much as a whole one-call write of a few buffers to `/dev/null`.
    ///
    /// # Examples
    ///
    /// ```
    /// let opts = vectored::FdOptions::new().kind(vectored::FdKind::Pipe);
    /// # let _ = opts;
    /// ```
    pub fn kind(mut self, kind: FdKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Calls `hook` each time a system call or wait of the loop is interrupted by a signal
    /// (`EINTR`) before retrying it. If the hook returns an error, the loop stops with that
    /// error and the bytes transferred so far.
    ///
    /// This is how a program that handles signals itself (an interpreter checking for
    /// Ctrl-C, a server with a shutdown flag) keeps a long transfer interruptible. Without a
    /// hook, `EINTR` is always retried.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// static SHUTDOWN: AtomicBool = AtomicBool::new(false);
    ///
    /// fn check_shutdown() -> std::io::Result<()> {
    ///     if SHUTDOWN.load(Ordering::Relaxed) {
    ///         Err(std::io::Error::other("shutting down"))
    ///     } else {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let opts = vectored::FdOptions::new().on_interrupt(check_shutdown);
    /// # let _ = opts;
    /// ```
    ///
    /// The hook may capture state, as long as it can be shared between threads:
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let interrupts = Arc::new(AtomicUsize::new(0));
    /// let seen = Arc::clone(&interrupts);
    /// let opts = vectored::FdOptions::new().on_interrupt(move || {
    ///     seen.fetch_add(1, Ordering::Relaxed);
    ///     Ok(())
    /// });
    /// # let _ = opts;
    /// assert_eq!(interrupts.load(Ordering::Relaxed), 0);
    /// ```
    pub fn on_interrupt(
        mut self,
        hook: impl Fn() -> io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.on_interrupt = Some(Arc::new(hook));
        self
    }

    /// Caps the bytes one write call of the fd-level loops offers; see [`WriteSizing`].
    ///
    /// The default, [`WriteSizing::Auto`], lets the crate pick the cap for the fd's kind.
    /// Only the write loops read this option; reads always offer the whole window.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{IoSlice, Read};
    /// use vectored::{FdOptions, WriteSizing};
    ///
    /// let (mut r, w) = std::io::pipe()?;
    /// let data = vec![5u8; 10_000];
    /// let reader = std::thread::spawn(move || {
    ///     let mut got = Vec::new();
    ///     r.read_to_end(&mut got).map(|_| got)
    /// });
    /// // At most 4 KiB per write call.
    /// let opts = FdOptions::new().write_sizing(WriteSizing::Fixed(4096));
    /// vectored::write_all_fd(&w, &[IoSlice::new(&data)], &opts)?;
    /// drop(w);
    /// assert_eq!(reader.join().unwrap()?, data);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_sizing(mut self, sizing: WriteSizing) -> Self {
        self.sizing = sizing;
        self
    }

    /// Whether [`write_all_fd`](crate::write_all_fd) and
    /// [`write_all_fd_cursor`](crate::write_all_fd_cursor) may copy runs of small buffers into
    /// a staging buffer (`true`, the default) or must pass the caller's buffers as they are.
    ///
    /// The rule, for each write call when coalescing is on:
    ///
    /// - where the kernel copies the data: sockets, pipes and regular files, as found by
    ///   the loop's one `fstat` (or [declared](Self::kind)). Character devices such as
    ///   `/dev/null` and everything else ([`FdKind::Other`]) copy nothing, but still take
    ///   each buffer's descriptor in (about 2.5 ns each on `/dev/null`): there only a list
    ///   whose first window averages under 64 bytes a buffer is coalesced (100000 × 16 B:
    ///   0.6 of the time of the buffers as they are), and every other list gets the
    ///   caller's buffers, with no per-buffer test;
    /// - the call covers the bytes it would cover without coalescing (the same
    ///   [`IOV_MAX`](crate::IOV_MAX) buffers and [write-sizing](Self::write_sizing) cap),
    ///   and, when that window ends with a small buffer and leaves room under the cap, the
    ///   run of small buffers after it too (up to 256 KiB more), so that tiny records are
    ///   not held to `IOV_MAX` per call: 100000 × 16 B takes 6–7 calls, not 98. It never
    ///   takes more calls than without coalescing;
    /// - in that window, each run of two or more consecutive small buffers — shorter than
    ///   512 bytes for pipes and regular files, 256 bytes for sockets, whose kernel pays less
    ///   per buffer, 64 bytes for devices — is copied into the staging buffer and offered as
    ///   one buffer; longer buffers (and a small buffer alone between long ones) are
    ///   offered by reference, uncopied;
    /// - the staging buffer grows by doubling (from 4 KiB) to hold the largest call's staged
    ///   bytes (at most 768 KiB, more than any call stages) and is kept per thread for the
    ///   next loop; if the
    ///   first call of a loop has nothing to stage, the loop stops looking.
    ///
    /// The bytes written, their order, and the progress reported on an error are the same
    /// either way. The queue ([`WriteQueue`](crate::WriteQueue)) coalesces in its own arena
    /// and ignores this option. Turn it off to keep zero copies, e.g. when the buffers are
    /// mostly written by reference anyway and the allocation is not wanted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{IoSlice, Read};
    /// use std::os::unix::net::UnixStream;
    /// use vectored::FdOptions;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let records: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; 16]).collect();
    /// let bufs: Vec<IoSlice<'_>> = records.iter().map(|r| IoSlice::new(r)).collect();
    /// for opts in [FdOptions::new(), FdOptions::new().coalesce(false)] {
    ///     // Coalesced (one 1600-byte buffer) or not (100 buffers): the same bytes.
    ///     assert_eq!(vectored::write_all_fd(&a, &bufs, &opts)?, 1600);
    ///     let mut got = vec![0u8; 1600];
    ///     b.read_exact(&mut got)?;
    ///     assert_eq!(got, records.concat());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn coalesce(mut self, on: bool) -> Self {
        self.no_coalesce = !on;
        self
    }

    /// Whether `write_all_fd` may coalesce small buffers (see [`coalesce`](Self::coalesce)).
    pub(crate) fn coalesces(&self) -> bool {
        !self.no_coalesce
    }

    /// The write-sizing rule of these options.
    pub(crate) fn sizing(&self) -> WriteSizing {
        self.sizing
    }

    /// Runs the interrupt hook, if any.
    pub(crate) fn interrupted(&self) -> io::Result<()> {
        self.on_interrupt.as_ref().map_or(Ok(()), |hook| hook())
    }

    /// The declared kind, if any (then no `fstat` is needed).
    pub(crate) fn declared_kind(&self) -> Option<FdKind> {
        self.kind
    }

    /// The fd's kind: as declared, or found with one `fstat`.
    pub(crate) fn fd_kind(&self, fd: BorrowedFd<'_>) -> io::Result<FdKind> {
        self.kind.map_or_else(|| FdKind::of(fd), Ok)
    }

    /// How long the loop may wait for readiness.
    pub(crate) fn wait(&self) -> Wait {
        self.wait
    }
}

impl fmt::Debug for FdOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FdOptions")
            .field("wait", &self.wait)
            .field("kind", &self.kind)
            .field("on_interrupt", &self.on_interrupt.is_some())
            .field("write_sizing", &self.sizing)
            .field("coalesce", &!self.no_coalesce)
            .finish()
    }
}

/// How many bytes one write call of an fd-level loop may offer.
///
/// Whatever the rule, a call never offers more than [`IOV_MAX`](crate::IOV_MAX) buffers or
/// [`MAX_BYTES_PER_CALL`](crate::MAX_BYTES_PER_CALL) bytes, and the loops still write every
/// byte: a cap only splits the data into more calls.
///
/// # The automatic rule
///
/// | fd kind | bytes per call under [`Auto`](Self::Auto) |
/// |---|---|
/// | pipe / FIFO, Linux | paced: 8 KiB per call or the pipe's capacity (`F_GETPIPE_SZ`) per call, whichever the writing thread measured to be faster |
/// | pipe / FIFO, other systems | half its capacity (32 KiB for the usual 64 KiB pipe), at least 4 KiB |
/// | socket (stream or datagram) | no cap (a datagram is one call anyway) |
/// | file, `/dev/null`, other | no cap: one call per `IOV_MAX` buffers |
///
/// On a pipe, one uncapped call makes writer and reader strictly alternate: the writer
/// fills the 64 KiB pipe and sleeps, the reader empties it and sleeps, one hand-over per
/// 64 KiB. When the reader has a CPU of its own (the usual `prog | consumer` on an idle
/// machine) each hand-over is a cross-CPU wake-up, and 8 KiB calls, which keep the reader
/// draining while the writer copies, are 2–4× faster than calls of the whole pipe for
/// buffers of 4 KiB and more (0.8–2× for buffers of 100–512 B). When the reader shares the
/// writer's CPU (the other CPUs busy), every call that wakes it may be a context switch,
/// and calls of the whole pipe are 1.2–1.6× faster than 8 KiB calls. No
/// fixed size is good in both regimes and the writer cannot see where the reader runs, so on
/// Linux the loops measure: now and then a loop of at least 512 KiB times 128 KiB in each
/// size (with the monotonic clock, no system call), and the thread keeps the faster for its
/// next loops; a thread does this in its first three such loops, then every eighth, and a
/// long loop every 4 MiB (both up to 16 times less often while the results agree). Where
/// that is not available, half the pipe is the fixed size with the smallest worst case
/// (1.3–1.7× behind the best in either regime). Stream sockets stream inside one call
/// already (a cap only added calls), and files gain nothing from smaller calls. Measurements and mechanism: `BENCHMARKS.md`, "No regret".
///
/// So: if your pipe's reader surely shares your CPU, [`Unlimited`](Self::Unlimited) saves
/// the pacer's experiments; if it surely has its own, `Fixed(8 * 1024)` does.
///
/// # Examples
///
/// ```
/// use vectored::{FdOptions, WriteSizing};
///
/// assert_eq!(WriteSizing::default(), WriteSizing::Auto);
/// let opts = FdOptions::new().write_sizing(WriteSizing::Fixed(64 * 1024));
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum WriteSizing {
    /// The crate's rule for the fd's kind (see above): a pipe gets 8 KiB calls or calls of
    /// the whole pipe, whichever measured faster (half the pipe off Linux); sockets, files
    /// and everything else get the whole window (one call per
    /// [`IOV_MAX`](crate::IOV_MAX) buffers).
    #[default]
    Auto,
    /// At most this many bytes per call (0 counts as 1).
    Fixed(usize),
    /// No cap beyond the per-call limits of the system call.
    Unlimited,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn interrupt_hook_can_capture_state() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&calls);
        let opts = FdOptions::new().on_interrupt(move || {
            if seen.fetch_add(1, Ordering::Relaxed) == 1 {
                Err(io::Error::other("stop"))
            } else {
                Ok(())
            }
        });
        let clone = opts.clone();
        assert!(opts.interrupted().is_ok());
        assert_eq!(clone.interrupted().unwrap_err().to_string(), "stop");
        assert_eq!(calls.load(Ordering::Relaxed), 2, "clones share the hook");
        assert!(format!("{opts:?}").contains("on_interrupt: true"));
    }

    #[test]
    fn fn_pointer_hooks_still_work() {
        #[allow(clippy::unnecessary_wraps)] // The shape `on_interrupt` takes.
        fn hook() -> io::Result<()> {
            Ok(())
        }
        let opts = FdOptions::new().on_interrupt(hook);
        assert!(opts.interrupted().is_ok());
        assert!(FdOptions::new().interrupted().is_ok());
    }

    #[test]
    fn write_sizing_defaults_to_auto() {
        assert_eq!(FdOptions::new().sizing(), WriteSizing::Auto);
        let opts = FdOptions::new().write_sizing(WriteSizing::Fixed(10));
        assert_eq!(opts.sizing(), WriteSizing::Fixed(10));
    }
}
