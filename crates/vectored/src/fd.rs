//! Options of the fd-level loops, and their readiness wait.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use crate::sys::{poll_one, FdKind, Interest};

/// What an fd-level loop does when the fd is not ready (`EAGAIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Wait {
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
/// whether the fd is a socket or a pipe, to pick the write call that cannot raise `SIGPIPE`.
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
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct FdOptions {
    wait: Wait,
    kind: Option<FdKind>,
    on_interrupt: Option<fn() -> io::Result<()>>,
}

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

    /// Declares what the fd is, saving the `fstat` the loops otherwise make once per call.
    ///
    /// Declaring [`FdKind::Other`] for a pipe or socket gives up the `SIGPIPE` protection.
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
    pub fn on_interrupt(mut self, hook: fn() -> io::Result<()>) -> Self {
        self.on_interrupt = Some(hook);
        self
    }

    /// Runs the interrupt hook, if any.
    pub(crate) fn interrupted(&self) -> io::Result<()> {
        self.on_interrupt.map_or(Ok(()), |hook| hook())
    }

    pub(crate) fn fd_kind(&self, fd: BorrowedFd<'_>) -> io::Result<FdKind> {
        self.kind.map_or_else(|| FdKind::of(fd), Ok)
    }

    /// Starts the clock for one call.
    pub(crate) fn waiter(&self) -> Waiter {
        let limit = match self.wait {
            Wait::Forever => Limit::Forever,
            // An unrepresentable deadline is as good as none.
            Wait::Timeout(t) => Instant::now()
                .checked_add(t)
                .map_or(Limit::Forever, Limit::Until),
            Wait::Deadline(d) => Limit::Until(d),
            Wait::Never => Limit::NoWait,
        };
        Waiter {
            limit,
            on_interrupt: *self,
        }
    }
}

/// The readiness wait of one loop call.
#[derive(Debug)]
pub(crate) struct Waiter {
    limit: Limit,
    on_interrupt: FdOptions,
}

#[derive(Debug, Clone, Copy)]
enum Limit {
    NoWait,
    Forever,
    Until(Instant),
}

impl Waiter {
    /// Handles `EINTR` from the loop's own system call.
    pub(crate) fn interrupted(&self) -> io::Result<()> {
        self.on_interrupt.interrupted()
    }

    /// Handles `EAGAIN` (`not_ready`): waits until the fd is ready, or returns the error to
    /// give up with (`not_ready` itself when not waiting, `TimedOut` past the deadline).
    pub(crate) fn wait(
        &self,
        fd: BorrowedFd<'_>,
        interest: Interest,
        not_ready: io::Error,
    ) -> io::Result<()> {
        loop {
            let timeout = match self.limit {
                Limit::NoWait => return Err(not_ready),
                Limit::Forever => None,
                Limit::Until(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(timed_out(interest));
                    }
                    Some(left)
                }
            };
            match poll_one(fd, interest, timeout) {
                Ok(true) => return Ok(()),
                // Timed out, or woke early: the next turn re-checks the clock.
                Ok(false) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    self.on_interrupt.interrupted()?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn timed_out(interest: Interest) -> io::Error {
    let what = match interest {
        Interest::Read => "readable",
        Interest::Write => "writable",
    };
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("deadline passed while waiting for the fd to become {what}"),
    )
}
