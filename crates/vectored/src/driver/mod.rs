//! The one synchronous driver (and, in [`tokio`], the one asynchronous driver) that runs
//! every loop of the crate over a data source.
//!
//! A data source ([`Source`]: a cursor, the queue's gather, the queue's message front) only
//! offers a window, accepts a byte count and reports progress. A loop is a source plus a
//! *transfer step*, one call on the current window, plus a [`Retry`] policy for `EINTR` and
//! `EAGAIN`; the decision after each call is [`Step::of`]'s, the same for every loop.

#[cfg(feature = "tokio")]
pub(crate) mod tokio;

use std::io::{self, IoSlice, IoSliceMut};

use crate::cursor::{Gather, IoCursor, IoCursorMut, Overrun};
use crate::error::{Error, Result};
use crate::queue::WriteQueue;
use crate::step::{Direction, Retry, Step};
#[cfg(unix)]
use crate::{
    fd::{FdOptions, FdWriter, Interest, Waiter},
    sys,
};
#[cfg(target_os = "linux")]
use std::os::fd::BorrowedFd;

/// A data source the drivers run: no system calls, no waiting.
///
/// A call's result counts *units* of the source: bytes for the byte streams (cursors, the
/// queue's gather, one message), whole datagrams or messages for the datagram sources
/// (`datagram::send`, `datagram::queue`), whose sends are all-or-nothing per datagram.
/// [`transferred`](Self::transferred) is always in bytes: it is what an [`Error`] reports.
pub(crate) trait Source {
    /// Units offered by the window of the last call (what it may transfer at most).
    fn offered(&self) -> usize;
    /// Records that the last call transferred `n` units.
    ///
    /// # Errors
    ///
    /// When `n` cannot be accepted (more than offered, a torn message); the source records
    /// whatever part of it is real before failing.
    fn advance(&mut self, n: usize) -> io::Result<()>;
    /// Bytes transferred so far.
    fn transferred(&self) -> usize;
    /// Called once the window is empty: whether the source is really finished.
    ///
    /// # Errors
    ///
    /// When bytes remain that the source cannot offer (more than `usize::MAX` in total).
    fn finish(&self) -> io::Result<()> {
        Ok(())
    }
}

/// The error of a source whose byte count would pass `usize::MAX`.
pub(crate) fn count_overflow() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "the buffers hold more than usize::MAX bytes in total (aliased slices); \
         the bytes counted so far were transferred",
    )
}

/// Runs `source` to the end.
///
/// `call` makes the one call of a turn on the source's current window and returns its
/// result, or `None` when the window is empty (every byte transferred). Then [`Step::of`]
/// decides: progress and `EINTR` (after `retry.interrupted()`) go round again, `EAGAIN`
/// goes to `retry.not_ready`, anything else stops the loop with an [`Error`] carrying
/// exactly the bytes transferred.
#[inline]
pub(crate) fn drive<S: Source>(
    source: &mut S,
    direction: Direction,
    mut call: impl FnMut(&mut S) -> Option<io::Result<usize>>,
    retry: &mut impl Retry,
) -> Result<usize> {
    loop {
        let Some(result) = call(source) else {
            return match source.finish() {
                Ok(()) => Ok(source.transferred()),
                Err(e) => Err(Error::new(e, source.transferred())),
            };
        };
        let offered = source.offered();
        let failure = match Step::of(result, direction, offered, |n| source.advance(n)) {
            Step::Progress => continue,
            Step::Interrupted => match retry.interrupted() {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::NotReady(e) => match retry.not_ready(e) {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::Failed(e) => e,
        };
        return Err(Error::new(failure, source.transferred()));
    }
}

fn overrun(result: std::result::Result<(), Overrun>) -> io::Result<()> {
    result.map_err(io::Error::from)
}

impl<const N: usize> Source for IoCursor<'_, N> {
    #[inline]
    fn offered(&self) -> usize {
        self.window_bytes()
    }
    #[inline]
    fn advance(&mut self, n: usize) -> io::Result<()> {
        overrun(IoCursor::advance(self, n))
    }
    #[inline]
    fn transferred(&self) -> usize {
        IoCursor::transferred(self)
    }
    fn finish(&self) -> io::Result<()> {
        if self.count_overflow() {
            Err(count_overflow())
        } else {
            Ok(())
        }
    }
}

impl<const N: usize> Source for IoCursorMut<'_, '_, N> {
    #[inline]
    fn offered(&self) -> usize {
        self.window_bytes()
    }
    #[inline]
    fn advance(&mut self, n: usize) -> io::Result<()> {
        overrun(IoCursorMut::advance(self, n))
    }
    #[inline]
    fn transferred(&self) -> usize {
        IoCursorMut::transferred(self)
    }
    fn finish(&self) -> io::Result<()> {
        if self.count_overflow() {
            Err(count_overflow())
        } else {
            Ok(())
        }
    }
}

impl<'q, I: Iterator<Item = &'q [u8]>, const N: usize> Source for Gather<&'q [u8], I, N> {
    #[inline]
    fn offered(&self) -> usize {
        self.window_bytes()
    }
    #[inline]
    fn advance(&mut self, n: usize) -> io::Result<()> {
        overrun(Gather::advance(self, n))
    }
    #[inline]
    fn transferred(&self) -> usize {
        Gather::transferred(self)
    }
    fn finish(&self) -> io::Result<()> {
        if self.count_overflow() {
            Err(count_overflow())
        } else {
            Ok(())
        }
    }
}

/// Runs a write loop on an fd: `call` makes the fd writer's one call per turn, `EAGAIN`
/// waits for writability as `opts` allow, `EINTR` runs the caller's hook, and `SIGPIPE` is
/// blocked around the whole loop when the writer's mode needs it (and its own `SIGPIPE`
/// consumed).
#[cfg(unix)]
pub(crate) fn drive_fd_write<S: Source>(
    writer: &FdWriter<'_>,
    source: &mut S,
    call: impl FnMut(&mut S) -> Option<io::Result<usize>>,
    opts: &FdOptions,
) -> Result<usize> {
    let mut waiter = Waiter::new(writer.fd(), Interest::Write, opts);
    writer.run(
        || drive(source, Direction::Write, call, &mut waiter),
        |result| result.as_ref().is_err_and(|e| sys::is_epipe(e.io_error())),
    )
}

/// Runs a loop on an fd whose calls need no `SIGPIPE` protection (datagram sends use
/// `MSG_NOSIGNAL`, receives cannot raise it): `EAGAIN` waits for `interest` as `opts`
/// allow, `EINTR` runs the caller's hook.
#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn drive_fd<S: Source>(
    fd: BorrowedFd<'_>,
    interest: Interest,
    source: &mut S,
    call: impl FnMut(&mut S) -> Option<io::Result<usize>>,
    opts: &FdOptions,
) -> Result<usize> {
    let direction = match interest {
        Interest::Read => Direction::Read,
        Interest::Write => Direction::Write,
    };
    drive(
        source,
        direction,
        call,
        &mut Waiter::new(fd, interest, opts),
    )
}

/// A source of write windows: the write cursor and the queue's gather.
pub(crate) trait WriteSource: Source {
    /// The descriptors to write next; empty when done.
    fn write_window(&mut self) -> &[IoSlice<'_>];
}

impl<const N: usize> WriteSource for IoCursor<'_, N> {
    #[inline]
    fn write_window(&mut self) -> &[IoSlice<'_>] {
        self.window()
    }
}

impl<'q, I: Iterator<Item = &'q [u8]>, const N: usize> WriteSource for Gather<&'q [u8], I, N> {
    #[inline]
    fn write_window(&mut self) -> &[IoSlice<'_>] {
        self.window()
    }
}

/// The transfer step of a write loop: `write` makes one call with the window and the bytes
/// transferred so far (for positional writes).
#[inline]
pub(crate) fn writes<S: WriteSource>(
    mut write: impl FnMut(&[IoSlice<'_>], usize) -> io::Result<usize>,
) -> impl FnMut(&mut S) -> Option<io::Result<usize>> {
    move |source| {
        let done = source.transferred();
        let window = source.write_window();
        (!window.is_empty()).then(|| write(window, done))
    }
}

/// [`writes`] for a loop whose first call was made already, on the source's whole first
/// window, with the result `first` (if given): that result is taken as the first turn's.
#[inline]
pub(crate) fn writes_after<S: WriteSource>(
    mut first: Option<io::Result<usize>>,
    write: impl FnMut(&[IoSlice<'_>], usize) -> io::Result<usize>,
) -> impl FnMut(&mut S) -> Option<io::Result<usize>> {
    let mut step = writes(write);
    move |source| match first.take() {
        Some(result) => {
            // The window the call was made on, so that the result is counted against it.
            source.write_window();
            Some(result)
        }
        None => step(source),
    }
}

/// The transfer step of a read loop: `read` makes one call with the window and the bytes
/// transferred so far (for positional reads).
#[inline]
pub(crate) fn reads<const N: usize>(
    mut read: impl FnMut(&mut [IoSliceMut<'_>], usize) -> io::Result<usize>,
) -> impl FnMut(&mut IoCursorMut<'_, '_, N>) -> Option<io::Result<usize>> {
    move |cursor| {
        let done = cursor.transferred();
        let window = cursor.window();
        (!window.is_empty()).then(|| read(window, done))
    }
}

/// A queue's complete messages as a source: one call per message, a short call an error.
pub(crate) struct Messages<'q, 'a> {
    queue: &'q mut WriteQueue<'a>,
    sent: usize,
    offered: usize,
}

impl<'q, 'a> Messages<'q, 'a> {
    pub(crate) fn new(queue: &'q mut WriteQueue<'a>) -> Self {
        Self {
            queue,
            sent: 0,
            offered: 0,
        }
    }
}

impl Source for Messages<'_, '_> {
    fn offered(&self) -> usize {
        self.offered
    }
    fn advance(&mut self, n: usize) -> io::Result<()> {
        let result = self.queue.commit_message(n);
        // A torn message is recorded before its error; an overrun is not.
        if n <= self.offered {
            self.sent += n;
        }
        result
    }
    fn transferred(&self) -> usize {
        self.sent
    }
}

/// The transfer step of a message flush: `write` makes the one call for the front message.
pub(crate) fn message_calls(
    mut write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
) -> impl FnMut(&mut Messages<'_, '_>) -> Option<io::Result<usize>> {
    move |messages| {
        messages.offered = messages.queue.front_message()?;
        let result = messages.queue.with_front_message(&mut write)?;
        Some(result.and_then(|written| written))
    }
}

/// A queue consumed call by call (each window rebuilt from the queue), for loops whose
/// progress must be in the queue after every call (cancel-safe futures).
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct Consume<'q, 'a> {
    pub(crate) queue: &'q mut WriteQueue<'a>,
    pub(crate) offered: usize,
    written: usize,
}

#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
impl<'q, 'a> Consume<'q, 'a> {
    pub(crate) fn new(queue: &'q mut WriteQueue<'a>) -> Self {
        Self {
            queue,
            offered: 0,
            written: 0,
        }
    }
}

impl Source for Consume<'_, '_> {
    fn offered(&self) -> usize {
        self.offered
    }
    fn advance(&mut self, n: usize) -> io::Result<()> {
        if n > self.offered {
            return Err(Overrun::new(n, self.offered).into());
        }
        self.queue.consume(n)?;
        self.written += n;
        Ok(())
    }
    fn transferred(&self) -> usize {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::NoWait;
    use std::io::Write;

    #[test]
    fn count_overflow_is_an_error_not_a_wrap() {
        let bufs = [IoSlice::new(b"abcdef")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.set_transferred_for_test(usize::MAX - 4);
        let mut sink = Vec::new();
        let err = drive(
            &mut cursor,
            Direction::Write,
            writes(|window, _| sink.write_vectored(window)),
            &mut NoWait,
        )
        .unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidInput, usize::MAX)
        );
        assert_eq!(sink, b"abcd");
    }

    #[test]
    fn short_writes_near_the_limit_are_not_invalid_data() {
        let bufs = [IoSlice::new(b"abc")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.set_transferred_for_test(usize::MAX - 3);
        let mut calls = 0;
        let done = drive(
            &mut cursor,
            Direction::Write,
            writes(|_, _| {
                calls += 1;
                Ok(1)
            }),
            &mut NoWait,
        )
        .unwrap();
        assert_eq!((done, calls), (usize::MAX, 3));
    }
}
