//! Write-all loops: every byte written exactly once, in order, or an error that says how many
//! were.

use std::io::{IoSlice, Write};

use crate::cursor::IoCursor;
use crate::driver::{drive, writes_after};
#[cfg(unix)]
use crate::error::Error;
use crate::error::Result;
use crate::step::{Direction, NoWait};

#[cfg(unix)]
use {
    crate::cursor::Staging,
    crate::driver::{drive_fd_write, writes, Source},
    crate::fd::{FdOptions, FdWriter},
    std::os::fd::{AsFd, BorrowedFd},
};

/// Writes every byte of `bufs`, in order, to any [`Write`], using `write_vectored`.
///
/// Partial writes resume exactly where they stopped (inside a buffer if need be), at most
/// [`IOV_MAX`](crate::IOV_MAX) buffers are offered per call, zero-length buffers are fine,
/// and `bufs` itself is never modified. Returns the total number of bytes written.
///
/// Works with anything that implements `Write`: `File`, `TcpStream`, `UnixStream`,
/// `Vec<u8>`, `BufWriter`, `&mut dyn Write`… For raw fds with readiness waits, deadlines and
/// `SIGPIPE` protection, use [`write_all_fd`].
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
///
/// let mut out = Vec::new();
/// let n = vectored::write_all(&mut out, &[IoSlice::new(b"GET "), IoSlice::new(b"/")])?;
/// assert_eq!((n, &out[..]), (5, &b"GET /"[..]));
/// # Ok::<(), vectored::Error>(())
/// ```
///
/// # Errors
///
/// On failure the [`Error`] carries the exact number of bytes written before it:
///
/// - [`Interrupted`](std::io::ErrorKind::Interrupted) is retried and never returned;
/// - `Ok(0)` from the writer with bytes left is [`WriteZero`](std::io::ErrorKind::WriteZero);
/// - a writer claiming more bytes than it was offered is
///   [`InvalidData`](std::io::ErrorKind::InvalidData) (never a panic);
/// - [`WouldBlock`](std::io::ErrorKind::WouldBlock) is returned as is, with the progress, since a
///   plain `Write` gives no way to wait for readiness;
/// - any other error of the writer is returned unchanged.
///
/// # Write sizing
///
/// A `Write` has no fd to ask what it is, so each call offers a whole window (up to
/// [`IOV_MAX`](crate::IOV_MAX) buffers, no byte cap), like
/// [`WriteSizing::Unlimited`](crate::WriteSizing::Unlimited). For a pipe or socket, prefer
/// [`write_all_fd`], whose automatic sizing paces pipe writes; or choose a cap yourself with
/// [`write_all_cursor`] and [`IoCursor::with_limits`].
pub fn write_all<W: Write + ?Sized>(writer: &mut W, bufs: &[IoSlice<'_>]) -> Result<usize> {
    // The commonest call, one `write_vectored` that takes everything, is made before the
    // cursor is set up, which it then never is: about 40 ns of a 0.45 µs write of a header
    // and a body to /dev/null. Otherwise its result is the loop's first.
    let first = whole_list(bufs).map(|(list, total)| (total, writer.write_vectored(list)));
    if let Some((total, Ok(n))) = first {
        if n == total {
            return Ok(n);
        }
    }
    write_all_from(
        writer,
        &mut IoCursor::new(bufs),
        first.map(|(_, result)| result),
    )
}

/// The list a cursor's first window would offer when that is the whole of `bufs` (at most
/// [`IOV_MAX`](crate::IOV_MAX) buffers and [`MAX_BYTES_PER_CALL`](crate::MAX_BYTES_PER_CALL)
/// bytes, not none): `bufs` from its first non-empty buffer on, as a window never starts
/// with an empty one (a writer that writes only the first buffer would return `Ok(0)`), and
/// its bytes.
#[inline]
fn whole_list<'l, 'b>(bufs: &'l [IoSlice<'b>]) -> Option<(&'l [IoSlice<'b>], usize)> {
    if bufs.len() > crate::IOV_MAX {
        return None;
    }
    let mut total = 0usize;
    for buf in bufs {
        total = total.checked_add(buf.len())?;
    }
    if total == 0 || total > crate::MAX_BYTES_PER_CALL {
        return None;
    }
    let start = bufs.iter().position(|buf| !buf.is_empty())?;
    Some((&bufs[start..], total))
}

/// [`write_all_cursor`] on a fresh cursor whose first call, if `first` is given, was
/// already made on the whole list (the cursor's first window) with that result.
fn write_all_from<W: Write + ?Sized, const N: usize>(
    writer: &mut W,
    cursor: &mut IoCursor<'_, N>,
    first: Option<std::io::Result<usize>>,
) -> Result<usize> {
    drive(
        cursor,
        Direction::Write,
        writes_after(first, |window, _| writer.write_vectored(window)),
        &mut NoWait,
    )
}

/// Writes every byte the cursor has left to any [`Write`], as [`write_all`] does, keeping
/// the progress in the caller's cursor; the cursor's limits are the write sizing (see
/// [`IoCursor::with_limits`]).
///
/// # Examples
///
/// At most 8 KiB per call, the sizing [`write_all_fd`] picks for a pipe whose reader has a
/// CPU of its own:
///
/// ```
/// use std::io::{IoSlice, Read};
/// use vectored::{IoCursor, IOV_MAX};
///
/// let (mut r, mut w) = std::io::pipe()?;
/// let data = vec![7u8; 100_000];
/// let reader = std::thread::spawn(move || {
///     let mut got = Vec::new();
///     r.read_to_end(&mut got).map(|_| got)
/// });
/// let bufs = [IoSlice::new(&data)];
/// let mut cursor = IoCursor::<IOV_MAX>::with_limits(&bufs, IOV_MAX, 8 * 1024);
/// assert_eq!(vectored::write_all_cursor(&mut w, &mut cursor)?, data.len());
/// drop(w);
/// assert_eq!(reader.join().unwrap()?, data);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_all`]; [`Error::transferred`](crate::Error::transferred) equals
/// `cursor.transferred()` (the count since the cursor was created, over every call).
pub fn write_all_cursor<W: Write + ?Sized, const N: usize>(
    writer: &mut W,
    cursor: &mut IoCursor<'_, N>,
) -> Result<usize> {
    write_all_from(writer, cursor, None)
}

/// Writes every byte of `bufs`, in order, to a file descriptor, waiting for readiness when it
/// is non-blocking, and never letting `SIGPIPE` kill the process.
///
/// The write call depends on what `fd` is (see [`FdKind`](crate::FdKind)): sockets get
/// `sendmsg(MSG_NOSIGNAL)`; pipes get `pwritev2(RWF_NOSIGNAL)` where the kernel has it
/// (Linux 6.18+) and otherwise `writev` with `SIGPIPE` blocked for this thread only, a
/// `SIGPIPE` raised by this write consumed, and the thread's mask restored; everything else
/// gets `writev`. No process-wide signal disposition is touched. The kind is found with one
/// `fstat` per call unless [`FdOptions::kind`] declares it; but a short list (at most 16
/// buffers and 8 KiB, with the automatic [write sizing](FdOptions::write_sizing)) is first
/// offered whole with one `pwritev2(RWF_NOSIGNAL)` where the kernel has that flag, which
/// keeps sockets and pipes alike from raising `SIGPIPE`: when that call takes everything, as
/// it mostly does, no `fstat` is made (a header and a 1 KiB body to a unix socket: about
/// 1.5 µs per call instead of 2.2 µs; `docs/bench/2026-12-02-s3-small-writes.txt`).
///
/// On `EAGAIN` the loop waits in `poll(2)` (never sleeps, never spins) for as long as
/// `opts` allows. Other behaviour is that of [`write_all`].
///
/// Where the kernel copies the data (sockets, pipes, regular files; not `/dev/null` and
/// other devices), each call's runs of two or more consecutive buffers shorter than 512
/// bytes are copied into one staging buffer and offered as one buffer, since a buffer costs
/// the kernel about as much as copying 400–500 bytes; larger buffers are offered by
/// reference. Each call covers at least the bytes it would cover without staging, and runs
/// of small buffers past a window ride along (so tiny records are not held to
/// [`IOV_MAX`](crate::IOV_MAX) per call), and [`Error::transferred`] is exact as always.
/// [`FdOptions::coalesce`] has the details and turns it off.
///
/// How many bytes each call offers follows [`FdOptions::write_sizing`]: by default, pipes
/// get 8 KiB or 128 KiB calls, whichever this thread measured to be faster (see
/// [`WriteSizing`](crate::WriteSizing)), and everything else whole windows.
///
/// # Examples
///
/// ```
/// use std::io::{IoSlice, Read};
/// use std::os::unix::net::UnixStream;
///
/// let (a, mut b) = UnixStream::pair()?;
/// let bufs = [IoSlice::new(b"HTTP/1.1 200 OK\r\n\r\n"), IoSlice::new(b"hi")];
/// let n = vectored::write_all_fd(&a, &bufs, &vectored::FdOptions::new())?;
/// drop(a);
/// let mut got = String::new();
/// b.read_to_string(&mut got)?;
/// assert_eq!((n, got.as_str()), (21, "HTTP/1.1 200 OK\r\n\r\nhi"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_all`], plus: [`TimedOut`](std::io::ErrorKind::TimedOut) when the wait allowed by
/// `opts` runs out, [`WouldBlock`](std::io::ErrorKind::WouldBlock) with
/// [`FdOptions::nonblocking`], [`BrokenPipe`](std::io::ErrorKind::BrokenPipe) when the reader is
/// gone, and the `fstat` error (with 0 bytes written) if the kind of `fd` cannot be found.
#[cfg(unix)]
pub fn write_all_fd<Fd: AsFd>(fd: Fd, bufs: &[IoSlice<'_>], opts: &FdOptions) -> Result<usize> {
    let fd = fd.as_fd();
    let declared_as_is = opts
        .declared_kind()
        .is_some_and(|kind| !crate::fd::declared_kind_stages(kind, bufs, opts));
    if declared_as_is {
        // The writer costs no system call for a declared kind, so it is built here once:
        // where its first call is the whole list as it is (a device, or nothing to stage),
        // that call is made before the cursor is set up, which it then never is when the
        // call takes everything (a header and a body to /dev/null: about 40 ns of 0.5 µs).
        // A list that is staged (1024 x 8 B to a file) takes the loop's path below, as
        // before this shortcut: summing it up front made that cell 15-20% slower.
        let writer = FdWriter::new(fd, opts).map_err(|e| Error::new(e, 0))?;
        // Nothing is staged (above); no SIGPIPE mask or pacer may stand around the call.
        let first = writer
            .may_call_alone()
            .then(|| whole_list(bufs))
            .flatten()
            .filter(|&(_, total)| total <= writer.bytes_per_call())
            // A device's list of tiny buffers is staged by the loop (see `tiny_on_average`).
            .filter(|&(list, total)| !writer.stages_device_list(opts, list.len(), total))
            .map(|(list, total)| (total, writer.write_whole(list)));
        if let Some((total, Ok(n))) = first {
            if n == total {
                return Ok(n);
            }
        }
        let first = first.map(|(_, result)| result);
        return write_all_fd_with(&writer, &mut IoCursor::new(bufs), opts, first);
    }
    // A short list is written before the fd's kind is found, where that is safe; when that
    // call takes everything, no `fstat` is made (see `fd::unclassified_first_call`).
    let first = crate::fd::unclassified_first_call(fd, bufs, opts);
    if let Some(Ok(n)) = first {
        // Its window is the whole list (at most 16 buffers).
        if whole_list(bufs).is_some_and(|(_, total)| n == total) {
            return Ok(n);
        }
    }
    write_all_fd_from(fd, &mut IoCursor::new(bufs), opts, first)
}

/// Writes the rest of `cursor` to a file descriptor, advancing it as bytes are accepted;
/// returns [`cursor.transferred()`](IoCursor::transferred) once everything is written.
///
/// The cursor form of [`write_all_fd`], for non-blocking callers with their own event loop:
/// after [`WouldBlock`](std::io::ErrorKind::WouldBlock) (with [`FdOptions::nonblocking`]) or
/// [`TimedOut`](std::io::ErrorKind::TimedOut), the cursor holds exactly the unwritten bytes,
/// and calling again when the fd is writable resumes there, without skipping bytes by hand.
///
/// # Examples
///
/// ```
/// use std::io::{ErrorKind, IoSlice, Read};
/// use vectored::{FdOptions, IoCursor};
///
/// let (mut r, w) = std::io::pipe()?;
/// rustix::io::ioctl_fionbio(&w, true)?;
/// let data = vec![3u8; 1 << 20]; // more than the pipe holds
/// let bufs = [IoSlice::new(&data)];
/// let mut cursor = IoCursor::new(&bufs);
/// let opts = FdOptions::new().nonblocking();
/// let mut got = Vec::new();
/// loop {
///     match vectored::write_all_fd_cursor(&w, &mut cursor, &opts) {
///         Ok(n) => break assert_eq!(n, data.len()),
///         Err(e) if e.kind() == ErrorKind::WouldBlock => {
///             // Our event loop: make room, then resume where the cursor stopped.
///             let mut chunk = vec![0u8; 64 * 1024];
///             let n = r.read(&mut chunk)?;
///             got.extend_from_slice(&chunk[..n]);
///         }
///         Err(e) => return Err(e.into()),
///     }
/// }
/// drop(w);
/// r.read_to_end(&mut got)?;
/// assert_eq!(got, data);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_all_fd`]; [`Error::transferred`] equals `cursor.transferred()` (the count since
/// the cursor was created, over every call).
#[cfg(unix)]
pub fn write_all_fd_cursor<Fd: AsFd, const N: usize>(
    fd: Fd,
    cursor: &mut IoCursor<'_, N>,
    opts: &FdOptions,
) -> Result<usize> {
    write_all_fd_from(fd.as_fd(), cursor, opts, None)
}

/// [`write_all_fd_cursor`], whose first call, if `first` is given, was already made on the
/// cursor's whole first window (by `fd::unclassified_first_call`) with that result.
#[cfg(unix)]
fn write_all_fd_from<const N: usize>(
    fd: BorrowedFd<'_>,
    cursor: &mut IoCursor<'_, N>,
    opts: &FdOptions,
    first: Option<std::io::Result<usize>>,
) -> Result<usize> {
    let writer = FdWriter::new(fd, opts).map_err(|e| Error::new(e, cursor.transferred()))?;
    write_all_fd_with(&writer, cursor, opts, first)
}

/// [`write_all_fd_from`] with the fd's writer built (also the queue's flush of a list of
/// borrowed chunks, `WriteQueue::write_to_fd`).
#[cfg(unix)]
pub(crate) fn write_all_fd_with<const N: usize>(
    writer: &FdWriter<'_>,
    cursor: &mut IoCursor<'_, N>,
    opts: &FdOptions,
    mut first: Option<std::io::Result<usize>>,
) -> Result<usize> {
    cursor.limit_bytes(writer.bytes_per_call());
    // A device's list is staged only where its first window is tiny buffers on average.
    let stages = if writer.is_device() {
        let (window, bytes, _) = cursor.window_and_rest();
        writer.stages_device_list(opts, window.len(), bytes)
    } else {
        writer.stages(opts)
    };
    if stages {
        let small = writer.stage_below();
        let mut staging = Staging::below(small);
        let mut source = Extending {
            cursor,
            offered: 0,
            extra: 0,
        };
        drive_fd_write(
            writer,
            &mut source,
            |source: &mut Extending<'_, '_, N>| {
                let budget = writer.call_budget();
                let room = usize::MAX - source.cursor.transferred();
                let (window, bytes, after) = source.cursor.window_and_rest();
                if window.is_empty() {
                    return None;
                }
                if let Some(result) = first.take() {
                    source.offered = bytes;
                    source.extra = 0;
                    return Some(result);
                }
                let extend = if bytes < budget && ends_small(window, small) {
                    (budget - bytes).min(EXTEND_MAX).min(room - bytes)
                } else {
                    0
                };
                if after
                    .first()
                    .is_some_and(|next| next.len() < small && next.len() <= extend)
                {
                    let (mut extra, mut extra_bytes) = (0, 0);
                    let result = writer.counted(|| {
                        let (result, taken, taken_bytes) =
                            staging.write_extended(window, after, extend, |iovs| {
                                writer.write_whole(iovs)
                            });
                        (extra, extra_bytes) = (taken, taken_bytes);
                        result
                    });
                    source.offered = bytes + extra_bytes;
                    source.extra = extra;
                    Some(result)
                } else {
                    source.offered = bytes;
                    source.extra = 0;
                    Some(writer.paced(window, |part| {
                        staging.write(part, |iovs| writer.write_whole(iovs))
                    }))
                }
            },
            opts,
        )
    } else {
        // The first call, made before the loop is set up: when it takes everything (the rule
        // for a few buffers to a device or a file), the loop is never entered, which saves
        // most of its set-up (the waiter, the driver): about 90 ns, a fifth of a one-call
        // write to /dev/null. Otherwise its result is the loop's first, handled as ever.
        if first.is_none() && writer.may_call_alone() {
            let (window, bytes, _) = cursor.window_and_rest();
            if bytes > 0 {
                let result = writer.write_whole(window);
                if matches!(result, Ok(n) if n == bytes) && cursor.advance(bytes).is_ok() {
                    if cursor.window().is_empty() {
                        return Source::finish(&*cursor)
                            .map(|()| cursor.transferred())
                            .map_err(|e| Error::new(e, cursor.transferred()));
                    }
                } else {
                    first = Some(result);
                }
            }
        }
        drive_fd_write(
            writer,
            cursor,
            writes_after(first, |window, _| writer.write(window)),
            opts,
        )
    }
}

/// The most bytes of small buffers past the cursor's window that one coalescing call adds:
/// a window holds at most [`IOV_MAX`](crate::IOV_MAX) buffers, which for 16-byte records is
/// 16 KiB per call; past it, small buffers are staged too, up to the call's byte budget and
/// this bound on the staging buffer.
#[cfg(unix)]
const EXTEND_MAX: usize = 256 * 1024;

/// Whether the window ends with a buffer shorter than `small`, so that small buffers after
/// it extend its last run without adding a descriptor.
#[cfg(unix)]
fn ends_small(window: &[IoSlice<'_>], small: usize) -> bool {
    window.last().is_some_and(|last| last.len() < small)
}

/// A write-all cursor whose calls may also take small buffers past its window (see
/// [`Staging::write_extended`]): `offered` is what the last call offered in all, `extra`
/// how many whole buffers past the window it took.
#[cfg(unix)]
struct Extending<'c, 's, const N: usize> {
    cursor: &'c mut IoCursor<'s, N>,
    offered: usize,
    extra: usize,
}

#[cfg(unix)]
impl<const N: usize> Source for Extending<'_, '_, N> {
    fn offered(&self) -> usize {
        self.offered
    }
    fn advance(&mut self, n: usize) -> std::io::Result<()> {
        // A call that took everything it offered (the rule, on a blocking fd) ends exactly
        // `extra` buffers past the window: no need to walk them again.
        let moved = if self.extra > 0 && n == self.offered {
            self.cursor.advance_window_and(n, self.extra)
        } else {
            self.cursor.advance_past_window(n)
        };
        moved.map_err(std::io::Error::from)
    }
    fn transferred(&self) -> usize {
        self.cursor.transferred()
    }
    fn finish(&self) -> std::io::Result<()> {
        Source::finish(&*self.cursor)
    }
}

cfg_positional! {
/// Writes every byte of `bufs` at `offset` with positional writes (`pwritev2` with `flags` on
/// Linux, `pwritev` elsewhere), leaving the file position unchanged.
///
/// Each call writes at `offset` plus the bytes already written. `flags` applies to every
/// call; with [`RwFlags::APPEND`](crate::RwFlags::APPEND) the offset is ignored by the kernel
/// and each call appends, so the data stays in order but another appender may interleave
/// between calls when the data needs more than one. Other behaviour is that of [`write_all`].
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::RwFlags;
///
/// let path = std::env::temp_dir().join("vectored-doc-write-all-at");
/// let file = std::fs::File::create(&path)?;
/// vectored::write_all_at(&file, &[IoSlice::new(b"world")], 6, RwFlags::empty())?;
/// vectored::write_all_at(&file, &[IoSlice::new(b"hello ")], 0, RwFlags::DSYNC)?;
/// assert_eq!(std::fs::read(&path)?, b"hello world");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_all`], plus: [`InvalidInput`](std::io::ErrorKind::InvalidInput) when `offset`
/// (plus the bytes written) exceeds `i64::MAX`; `ESPIPE` on pipes and sockets;
/// [`WouldBlock`](std::io::ErrorKind::WouldBlock) with [`RwFlags::NOWAIT`](crate::RwFlags::NOWAIT)
/// when the write would block (regular files cannot be polled, so there is no wait);
/// [`Unsupported`](std::io::ErrorKind::Unsupported) for non-empty `flags` off Linux.
pub fn write_all_at<Fd: AsFd>(
    fd: Fd,
    bufs: &[IoSlice<'_>],
    offset: u64,
    flags: crate::RwFlags,
) -> Result<usize> {
    let fd = fd.as_fd();
    let mut cursor = IoCursor::new(bufs);
    drive(
        &mut cursor,
        Direction::Write,
        writes(|window, done| {
            crate::sys::pwrite_at_raw(fd, window, crate::sys::offset_at(offset, done)?, flags)
        }),
        &mut NoWait,
    )
}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// Accepts at most `per_call` bytes from the first `n_bufs` buffers, like std's
    /// `test_writer`.
    struct Limited {
        out: Vec<u8>,
        per_call: usize,
        n_bufs: usize,
        calls: usize,
    }

    impl Write for Limited {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            let mut left = self.per_call;
            for buf in bufs.iter().take(self.n_bufs) {
                let n = buf.len().min(left);
                self.out.extend_from_slice(&buf[..n]);
                left -= n;
                if left == 0 {
                    break;
                }
            }
            Ok(self.per_call - left)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_cursor_form_keeps_its_limits_and_progress() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 249) as u8).collect();
        let bufs: Vec<IoSlice<'_>> = data.chunks(500).map(IoSlice::new).collect();
        let mut cursor = IoCursor::<{ crate::IOV_MAX }>::with_limits(&bufs, 3, 1000);
        let mut out = Limited {
            out: Vec::new(),
            per_call: usize::MAX,
            n_bufs: usize::MAX,
            calls: 0,
        };
        assert_eq!(write_all_cursor(&mut out, &mut cursor).unwrap(), data.len());
        assert_eq!(out.out, data);
        assert_eq!(out.calls, 10, "two 500-byte buffers (1000 bytes) per call");
        // An error leaves the progress in the cursor, and a second call resumes there.
        let mut cursor = IoCursor::new(&bufs);
        let mut failing = Failing {
            left: 3000,
            out: Vec::new(),
        };
        let err = write_all_cursor(&mut failing, &mut cursor).unwrap_err();
        assert_eq!((err.transferred(), cursor.transferred()), (3000, 3000));
        failing.left = usize::MAX;
        assert_eq!(
            write_all_cursor(&mut failing, &mut cursor).unwrap(),
            data.len()
        );
        assert_eq!(failing.out, data);
    }

    /// Accepts `left` bytes in calls of at most 1000, then fails with `BrokenPipe`.
    struct Failing {
        left: usize,
        out: Vec<u8>,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.left).min(1000);
            self.out.extend_from_slice(&buf[..n]);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn std_cross_product_of_shapes_and_limits() {
        let inputs: &[&[&[u8]]] = &[
            &[],
            &[b""],
            &[b"", b""],
            &[b"1"],
            &[b"12"],
            &[b"123", b"4"],
            &[b"1", b"23", b"", b"456"],
            &[b"1234", b"", b"5678", b"9"],
        ];
        for (n_bufs, per_call) in [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3), (9, 100)] {
            for input in inputs {
                let bufs: Vec<IoSlice<'_>> = input.iter().map(|b| IoSlice::new(b)).collect();
                let mut w = Limited {
                    out: Vec::new(),
                    per_call,
                    n_bufs,
                    calls: 0,
                };
                let n = write_all(&mut w, &bufs).unwrap();
                assert_eq!(w.out, input.concat(), "{n_bufs} {per_call} {input:?}");
                assert_eq!(n, w.out.len());
            }
        }
    }

    #[test]
    fn empty_input_makes_no_call() {
        let mut w = Limited {
            out: Vec::new(),
            per_call: 1,
            n_bufs: 1,
            calls: 0,
        };
        assert_eq!(
            write_all(&mut w, &[IoSlice::new(b""), IoSlice::new(b"")]).unwrap(),
            0
        );
        assert_eq!(w.calls, 0);
    }

    #[test]
    fn calls_are_minimal_for_a_complete_writer() {
        let data = vec![1u8; 3000];
        let bufs: Vec<IoSlice<'_>> = data
            .iter()
            .map(std::slice::from_ref)
            .map(IoSlice::new)
            .collect();
        let mut w = Limited {
            out: Vec::new(),
            per_call: usize::MAX,
            n_bufs: usize::MAX,
            calls: 0,
        };
        write_all(&mut w, &bufs).unwrap();
        assert_eq!(w.calls, 3);
    }

    struct Scripted(Vec<io::Result<usize>>);

    impl Write for Scripted {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                Ok(usize::MAX)
            } else {
                self.0.remove(0)
            }
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn interrupted_is_retried_and_errors_carry_progress() {
        let bufs = [IoSlice::new(b"abcdef")];
        let mut w = Scripted(vec![
            Err(io::ErrorKind::Interrupted.into()),
            Ok(2),
            Err(io::ErrorKind::Interrupted.into()),
            Ok(1),
            Err(io::Error::from_raw_os_error(28)),
        ]);
        let err = write_all(&mut w, &bufs).unwrap_err();
        assert_eq!(err.transferred(), 3);
        assert_eq!(err.raw_os_error(), Some(28));
    }

    #[test]
    fn zero_is_write_zero_and_overclaim_is_invalid_data() {
        let bufs = [IoSlice::new(b"abc")];
        let err = write_all(&mut Scripted(vec![Ok(1), Ok(0)]), &bufs).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WriteZero, 1)
        );
        let err = write_all(&mut Scripted(vec![Ok(1), Ok(5)]), &bufs).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidData, 1)
        );
    }

    #[test]
    fn would_block_is_returned_with_progress() {
        let bufs = [IoSlice::new(b"abc")];
        let err = write_all(
            &mut Scripted(vec![Ok(2), Err(io::ErrorKind::WouldBlock.into())]),
            &bufs,
        )
        .unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WouldBlock, 2)
        );
    }
}

/// The write-sizing override, observed through call sizes on real fds.
#[cfg(all(test, unix))]
mod sizing_tests {
    use super::*;
    use crate::fd::{FdOptions, WriteSizing};
    use crate::queue::WriteQueue;
    use std::io::ErrorKind;
    use std::os::unix::net::UnixDatagram;

    /// Each `sendmsg` on a datagram socket is one datagram: the call sizes, exactly.
    fn datagram_sizes(opts: &FdOptions, total: usize, via_queue: bool) -> Vec<usize> {
        let (a, b) = UnixDatagram::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        let data = vec![9u8; total];
        if via_queue {
            let mut queue = WriteQueue::new();
            queue.push_slice(&data);
            queue.write_to_fd(&a, opts).unwrap();
        } else {
            write_all_fd(&a, &[IoSlice::new(&data)], opts).unwrap();
        }
        let mut sizes = Vec::new();
        let mut buf = vec![0u8; total + 1];
        while let Ok(n) = b.recv(&mut buf) {
            sizes.push(n);
        }
        sizes
    }

    #[test]
    fn fixed_sizing_caps_every_call() {
        let opts = FdOptions::new().write_sizing(WriteSizing::Fixed(1000));
        for via_queue in [false, true] {
            assert_eq!(
                datagram_sizes(&opts, 3500, via_queue),
                [1000, 1000, 1000, 500],
                "queue: {via_queue}"
            );
        }
        assert_eq!(datagram_sizes(&FdOptions::new(), 3500, false), [3500]);
        let unlimited = FdOptions::new().write_sizing(WriteSizing::Unlimited);
        assert_eq!(datagram_sizes(&unlimited, 3500, true), [3500]);
    }

    /// On a pipe nobody reads: writes of at most `PIPE_BUF` bytes are atomic, so with a
    /// 3000-byte cap the pipe takes a whole number of calls before `EAGAIN`, while one
    /// uncapped call fills it to its capacity (64 KiB, not a multiple of 3000).
    #[test]
    fn fixed_sizing_is_honoured_on_a_pipe() {
        let data = vec![1u8; 1 << 20];
        let bufs = [IoSlice::new(&data)];
        let written = |sizing| {
            let (r, w) = std::io::pipe().unwrap();
            rustix::io::ioctl_fionbio(&w, true).unwrap();
            let opts = FdOptions::new().nonblocking().write_sizing(sizing);
            let err = write_all_fd(&w, &bufs, &opts).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            drop(r);
            err.transferred()
        };
        let capped = written(WriteSizing::Fixed(3000));
        assert!(capped > 0 && capped % 3000 == 0, "{capped}");
        let whole = written(WriteSizing::Auto);
        assert_ne!(whole % 3000, 0, "{whole}");
    }

    /// Write calls made by this thread so far (`syscw` of `/proc/thread-self/io`).
    #[cfg(target_os = "linux")]
    fn write_calls() -> u64 {
        let io = std::fs::read_to_string("/proc/thread-self/io").unwrap();
        io.lines()
            .find_map(|line| line.strip_prefix("syscw: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap()
    }

    /// The automatic sizing on a blocking pipe with a reader: 8 KiB calls while the thread's
    /// verdict favours small calls, 128 KiB calls while it favours whole ones; the same
    /// bytes either way.
    #[cfg(target_os = "linux")]
    #[test]
    fn auto_sizing_paces_a_pipe_by_the_threads_verdict() {
        use crate::fd::pace::{set_verdict_for_test, SMALL_CALL, WHOLE_CALL};
        use std::io::Read;
        std::thread::spawn(|| {
            let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 253) as u8).collect();
            let bufs: Vec<IoSlice<'_>> = data.chunks(1024).map(IoSlice::new).collect();
            // The first pipe write of the process probes `RWF_NOSIGNAL` with a write of its
            // own: make it before counting.
            let (_r, w) = std::io::pipe().unwrap();
            write_all_fd(&w, &[IoSlice::new(b"x")], &FdOptions::new()).unwrap();
            let mut calls = Vec::new();
            for shared in [false, true] {
                set_verdict_for_test(shared);
                let (mut r, w) = std::io::pipe().unwrap();
                let reader = std::thread::spawn(move || {
                    let mut got = Vec::new();
                    r.read_to_end(&mut got).map(|_| got)
                });
                let before = write_calls();
                let n = write_all_fd(&w, &bufs, &FdOptions::new()).unwrap();
                calls.push(write_calls() - before);
                drop(w);
                assert_eq!(n, data.len());
                assert!(reader.join().unwrap().unwrap() == data, "shared: {shared}");
            }
            let [small, whole] = calls[..] else {
                unreachable!()
            };
            assert_eq!(
                small,
                u64::try_from(data.len().div_ceil(SMALL_CALL)).unwrap()
            );
            assert_eq!(
                whole,
                u64::try_from(data.len().div_ceil(WHOLE_CALL)).unwrap()
            );
        })
        .join()
        .unwrap();
    }

    /// Tiny records are not held to `IOV_MAX` per call where the kernel copies: runs of
    /// small buffers past a window ride along in its call, up to `EXTEND_MAX` more bytes.
    /// (Counted on a regular file: `syscw` counts `write`-family calls, not `sendmsg`.)
    #[cfg(target_os = "linux")]
    #[test]
    fn tiny_records_take_few_calls() {
        let records: Vec<[u8; 16]> = (0..100_000u32)
            .map(|i| {
                let mut r = [0u8; 16];
                r[..4].copy_from_slice(&i.to_le_bytes());
                r
            })
            .collect();
        let bufs: Vec<IoSlice<'_>> = records.iter().map(|r| IoSlice::new(r)).collect();
        let expected: Vec<u8> = records.concat();
        let path = std::env::temp_dir().join(format!("vectored-tiny-{}", std::process::id()));
        let mut calls = Vec::new();
        for opts in [FdOptions::new(), FdOptions::new().coalesce(false)] {
            let file = std::fs::File::create(&path).unwrap();
            let before = write_calls();
            let n = write_all_fd(&file, &bufs, &opts).unwrap();
            calls.push(write_calls() - before);
            assert_eq!(n, expected.len());
            assert!(std::fs::read(&path).unwrap() == expected, "{opts:?}");
        }
        std::fs::remove_file(&path).unwrap();
        // 1.6 MB in calls of one window (16 KiB) plus up to 256 KiB: 6 or 7 calls, where
        // one window per call (coalescing off) takes 98.
        let most = expected.len().div_ceil(EXTEND_MAX + 16 * crate::IOV_MAX) + 1;
        assert!(calls[0] <= u64::try_from(most).unwrap(), "{calls:?}");
        assert_eq!(calls[1], 98, "{calls:?}");
    }

    #[test]
    fn cursor_form_resumes_after_would_block() {
        let (r, w) = std::io::pipe().unwrap();
        rustix::io::ioctl_fionbio(&w, true).unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let bufs: Vec<IoSlice<'_>> = data.chunks(1000).map(IoSlice::new).collect();
        let mut cursor = IoCursor::new(&bufs);
        let opts = FdOptions::new().nonblocking();
        let mut got = Vec::new();
        let mut r = r;
        loop {
            match write_all_fd_cursor(&w, &mut cursor, &opts) {
                Ok(n) => {
                    assert_eq!(n, data.len());
                    break;
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::WouldBlock);
                    assert_eq!(e.transferred(), cursor.transferred());
                    let mut chunk = vec![0u8; 50_000];
                    let n = std::io::Read::read(&mut r, &mut chunk).unwrap();
                    got.extend_from_slice(&chunk[..n]);
                }
            }
        }
        drop(w);
        std::io::Read::read_to_end(&mut r, &mut got).unwrap();
        assert_eq!(got, data);
    }
}

/// The `SIGPIPE` masking path (used for pipes on kernels without `RWF_NOSIGNAL`, and on
/// non-Linux Unix) cannot be reached through the public API on a 6.18 kernel, so it is
/// forced here. It must run in a child process with `SIGPIPE` at its default disposition:
/// the Rust runtime ignores `SIGPIPE`, which would hide a death.
#[cfg(all(test, target_os = "linux"))]
mod sigpipe_fallback_tests {
    use super::*;
    use crate::fd::{FdOptions, WriteMode};
    use crate::sys::test_support::{
        default_sigpipe, raise_sigpipe, set_sigpipe_blocked, sigpipe_blocked, sigpipe_pending,
    };
    use std::process::Command;

    const CHILD: &str = "VECTORED_SIGPIPE_FALLBACK_CHILD";

    /// Writes 1 MiB to a pipe whose reader closes after 100 KiB, through the masked path.
    fn masked_write_to_vanishing_reader() -> Error {
        let (r, w) = std::io::pipe().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut r = r;
            let mut got = vec![0u8; 100 * 1024];
            r.read_exact(&mut got).unwrap();
        });
        let data = vec![7u8; 1 << 20];
        let bufs = [IoSlice::new(&data)];
        let opts = FdOptions::new();
        let writer = FdWriter::with_mode(w.as_fd(), WriteMode::PipeMasked, usize::MAX);
        let mut cursor = IoCursor::new(&bufs);
        let step = writes(|window, _| writer.write(window));
        let err = drive_fd_write(&writer, &mut cursor, step, &opts).unwrap_err();
        reader.join().unwrap();
        err
    }

    /// The child: `SIGPIPE` at `SIG_DFL`, so a raised and unconsumed `SIGPIPE` kills it.
    #[test]
    #[ignore = "child-process helper: its parent test runs it"]
    fn child_masked_pipe_write() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        default_sigpipe();
        // 1. The loop's own SIGPIPE is consumed; the mask is restored.
        assert!(!sigpipe_blocked());
        let err = masked_write_to_vanishing_reader();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
        assert!(err.transferred() >= 100 * 1024 && err.transferred() < 1 << 20);
        assert!(!sigpipe_pending(), "our SIGPIPE must be consumed");
        assert!(!sigpipe_blocked(), "the mask must be restored");

        // 2. A SIGPIPE the program already had pending is left alone, and a mask that
        //    already blocked SIGPIPE stays blocked.
        set_sigpipe_blocked(true);
        raise_sigpipe();
        assert!(sigpipe_pending());
        let err = masked_write_to_vanishing_reader();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
        assert!(
            sigpipe_pending(),
            "a pre-existing SIGPIPE must stay pending"
        );
        assert!(sigpipe_blocked(), "a blocked SIGPIPE must stay blocked");
        println!("child survived: ok");
        // Exit before unblocking: the pending SIGPIPE would kill us, by design.
        std::process::exit(0);
    }

    #[test]
    fn masked_pipe_write_survives_default_sigpipe() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "write_all::sigpipe_fallback_tests::child_masked_pipe_write",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("child survived: ok"),
            "child failed: {:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
