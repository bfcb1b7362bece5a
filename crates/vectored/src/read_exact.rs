//! Read-exact loops: fill every buffer, in order, or fail saying how many bytes were read.

use std::io::{self, IoSliceMut, Read};

use crate::error::{Error, Result};
use crate::slices::IoCursorMut;
use crate::step::{Direction, Step};
use crate::write_all::no_hook;

#[cfg(unix)]
use {
    crate::fd::FdOptions,
    crate::sys::{self, Interest},
    std::os::fd::AsFd,
};

/// Drives `cursor` until every buffer is full; the read-side twin of `write_loop`.
#[inline]
pub(crate) fn read_loop<const N: usize>(
    cursor: &mut IoCursorMut<'_, '_, N>,
    mut read: impl FnMut(&mut [IoSliceMut<'_>], usize) -> io::Result<usize>,
    mut not_ready: impl FnMut(io::Error) -> io::Result<()>,
    mut interrupted: impl FnMut() -> io::Result<()>,
) -> Result<usize> {
    loop {
        let done = cursor.transferred();
        let window = cursor.window();
        if window.is_empty() {
            return Ok(done);
        }
        let result = read(window, done);
        let failure = match Step::of(result, Direction::Read, |n| cursor.advance(n)) {
            Step::Progress => continue,
            Step::Interrupted => match interrupted() {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::NotReady(e) => match not_ready(e) {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::Failed(e) => e,
        };
        return Err(Error::new(failure, done));
    }
}

/// Fills every buffer of `bufs`, in order, from any [`Read`], using `read_vectored`.
///
/// Returns the total number of bytes read (the sum of the buffer lengths). The buffers are
/// filled front to back; zero-length buffers are skipped; the `IoSliceMut` list itself is not
/// modified.
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
///
/// let mut src: &[u8] = b"HEADbody!";
/// let (mut head, mut body) = ([0u8; 4], [0u8; 5]);
/// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
/// assert_eq!(vectored::read_exact(&mut src, &mut bufs)?, 9);
/// assert_eq!((&head, &body), (b"HEAD", b"body!"));
/// # Ok::<(), vectored::Error>(())
/// ```
///
/// # Errors
///
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) when the reader ends first, with
/// [`transferred`](Error::transferred) the number of bytes that were filled (the first
/// `transferred` bytes of the buffers, in order). `Interrupted` is retried; `WouldBlock` and
/// other errors are returned with the progress; a reader claiming more bytes than it was
/// offered is [`InvalidData`](io::ErrorKind::InvalidData).
pub fn read_exact<R: Read + ?Sized>(reader: &mut R, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
    let mut cursor = IoCursorMut::new(bufs);
    read_loop(
        &mut cursor,
        |window, _| reader.read_vectored(window),
        Err,
        no_hook,
    )
}

/// Fills every buffer of `bufs`, in order, from a file descriptor with `readv`, waiting in
/// `poll(2)` for readiness when it is non-blocking, as `opts` allows.
///
/// # Examples
///
/// ```
/// use std::io::{IoSliceMut, Write};
///
/// let (r, mut w) = std::io::pipe()?;
/// std::thread::spawn(move || {
///     for piece in [&b"he"[..], b"llo ", b"world"] {
///         w.write_all(piece).unwrap();
///     }
/// });
/// let (mut a, mut b) = ([0u8; 6], [0u8; 5]);
/// let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
/// vectored::read_exact_fd(&r, &mut bufs, &vectored::FdOptions::new())?;
/// assert_eq!((&a, &b), (b"hello ", b"world"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`read_exact`], plus [`TimedOut`](io::ErrorKind::TimedOut) when the wait allowed by
/// `opts` runs out and [`WouldBlock`](io::ErrorKind::WouldBlock) with
/// [`FdOptions::nonblocking`].
#[cfg(unix)]
pub fn read_exact_fd<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    opts: &FdOptions,
) -> Result<usize> {
    let fd = fd.as_fd();
    let waiter = opts.waiter();
    let mut cursor = IoCursorMut::new(bufs);
    read_loop(
        &mut cursor,
        |window, _| sys::readv_raw(fd, window),
        |e| waiter.wait(fd, Interest::Read, e),
        || waiter.interrupted(),
    )
}

/// Fills every buffer of `bufs` from `offset` with positional reads (`preadv2` with `flags` on
/// Linux, `preadv` elsewhere), leaving the file position unchanged.
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use vectored::RwFlags;
///
/// let path = std::env::temp_dir().join("vectored-doc-read-exact-at");
/// std::fs::write(&path, b"..header..body..")?;
/// let file = std::fs::File::open(&path)?;
/// let (mut h, mut b) = ([0u8; 6], [0u8; 4]);
/// let mut bufs = [IoSliceMut::new(&mut h), IoSliceMut::new(&mut b)];
/// vectored::read_exact_at(&file, &mut bufs, 2, RwFlags::empty())?;
/// assert_eq!((&h, &b), (b"header", b"..bo"));
///
/// let mut past_end = [0u8; 8];
/// let err = vectored::read_exact_at(&file, &mut [IoSliceMut::new(&mut past_end)], 12, RwFlags::empty())
///     .unwrap_err();
/// assert_eq!((err.kind(), err.transferred()), (std::io::ErrorKind::UnexpectedEof, 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`read_exact`] (end of file is [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) with the
/// bytes filled), plus [`InvalidInput`](io::ErrorKind::InvalidInput) for an offset above
/// `i64::MAX`, `ESPIPE` on pipes and sockets, and
/// [`WouldBlock`](io::ErrorKind::WouldBlock) with [`RwFlags::NOWAIT`](crate::RwFlags::NOWAIT).
#[cfg(all(
    unix,
    not(any(
        target_os = "haiku",
        target_os = "nto",
        target_os = "redox",
        target_os = "solaris"
    ))
))]
pub fn read_exact_at<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    offset: u64,
    flags: sys::RwFlags,
) -> Result<usize> {
    let fd = fd.as_fd();
    let mut cursor = IoCursorMut::new(bufs);
    read_loop(
        &mut cursor,
        |window, done| sys::pread_at_raw(fd, window, sys::offset_at(offset, done)?, flags),
        Err,
        no_hook,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields the source in pieces of at most `step` bytes, with an `Interrupted` before each.
    struct Choppy<'a> {
        src: &'a [u8],
        step: usize,
        interrupt: bool,
    }

    impl Read for Choppy<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.step).min(self.src.len());
            buf[..n].copy_from_slice(&self.src[..n]);
            self.src = &self.src[n..];
            Ok(n)
        }
    }

    #[test]
    fn fills_across_buffers_with_short_reads() {
        let src: Vec<u8> = (0..100).collect();
        let mut store = vec![0u8; 100];
        let mut bufs: Vec<IoSliceMut<'_>> = store.chunks_mut(9).map(IoSliceMut::new).collect();
        let mut r = Choppy {
            src: &src,
            step: 4,
            interrupt: false,
        };
        assert_eq!(read_exact(&mut r, &mut bufs).unwrap(), 100);
        drop(bufs);
        assert_eq!(store, src);
    }

    #[test]
    fn eof_reports_bytes_filled() {
        let mut src: &[u8] = b"abc";
        let mut a = [0u8; 5];
        let err = read_exact(&mut src, &mut [IoSliceMut::new(&mut a)]).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::UnexpectedEof, 3)
        );
        assert_eq!(&a[..3], b"abc");
    }

    struct Liar;

    impl Read for Liar {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            Ok(buf.len() + 1)
        }
    }

    #[test]
    fn overclaiming_reader_is_invalid_data() {
        let mut a = [0u8; 5];
        let err = read_exact(&mut Liar, &mut [IoSliceMut::new(&mut a)]).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidData, 0)
        );
    }

    #[test]
    fn empty_buffers_need_no_read() {
        let mut empty: &[u8] = b"";
        assert_eq!(
            read_exact(&mut empty, &mut [IoSliceMut::new(&mut [])]).unwrap(),
            0
        );
    }
}
