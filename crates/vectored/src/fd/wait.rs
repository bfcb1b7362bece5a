//! Readiness waits of the fd-level loops: `poll(2)` on one fd, within the caller's deadline,
//! with the caller's `EINTR` hook.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use super::options::{FdOptions, Wait};
use crate::step::Retry;

/// Which readiness a loop waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    Read,
    Write,
}

/// The retry policy of one fd-level loop call: waits for `interest` on `EAGAIN` as the
/// options allow, runs the interrupt hook on `EINTR`.
pub(crate) struct Waiter<'o> {
    fd: BorrowedFd<'o>,
    interest: Interest,
    limit: Limit,
    opts: &'o FdOptions,
}

#[derive(Debug, Clone, Copy)]
enum Limit {
    NoWait,
    Forever,
    Until(Instant),
}

impl<'o> Waiter<'o> {
    /// Starts the clock for one call.
    pub(crate) fn new(fd: BorrowedFd<'o>, interest: Interest, opts: &'o FdOptions) -> Self {
        let limit = match opts.wait() {
            Wait::Forever => Limit::Forever,
            // An unrepresentable deadline is as good as none.
            Wait::Timeout(t) => Instant::now()
                .checked_add(t)
                .map_or(Limit::Forever, Limit::Until),
            Wait::Deadline(d) => Limit::Until(d),
            Wait::Never => Limit::NoWait,
        };
        Self {
            fd,
            interest,
            limit,
            opts,
        }
    }
}

impl Retry for Waiter<'_> {
    fn interrupted(&mut self) -> io::Result<()> {
        self.opts.interrupted()
    }

    /// Waits until the fd is ready, or returns the error to give up with (`not_ready`
    /// itself when not waiting, `TimedOut` past the deadline).
    fn not_ready(&mut self, not_ready: io::Error) -> io::Result<()> {
        loop {
            let timeout = match self.limit {
                Limit::NoWait => return Err(not_ready),
                Limit::Forever => None,
                Limit::Until(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(timed_out(self.interest));
                    }
                    Some(left)
                }
            };
            match poll_one(self.fd, self.interest, timeout) {
                Ok(true) => return Ok(()),
                // Timed out, or woke early: the next turn re-checks the clock.
                Ok(false) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.opts.interrupted()?,
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

/// `poll(2)` on one fd: waits until it is ready for `interest` or `timeout` passes.
///
/// Returns `Ok(true)` when ready (including error and hang-up conditions, which the next
/// read or write reports), `Ok(false)` on timeout. `EINTR` is returned to the caller, which
/// recomputes its timeout.
fn poll_one(fd: BorrowedFd<'_>, interest: Interest, timeout: Option<Duration>) -> io::Result<bool> {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let events = match interest {
        Interest::Read => PollFlags::IN,
        Interest::Write => PollFlags::OUT,
    };
    let mut fds = [PollFd::from_borrowed_fd(fd, events)];
    // Durations too long for a timespec are as good as forever.
    let timeout = timeout.and_then(|t| Timespec::try_from(t).ok());
    let ready = poll(&mut fds, timeout.as_ref())?;
    if ready == 0 {
        return Ok(false);
    }
    if fds[0].revents().contains(PollFlags::NVAL) {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    Ok(true)
}
