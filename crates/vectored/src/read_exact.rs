//! Read-exact loops: fill every buffer, in order, or fail saying how many bytes were read.

use std::io::{IoSliceMut, Read};

use crate::cursor::IoCursorMut;
use crate::driver::{drive, reads};
use crate::error::Result;
use crate::step::{Direction, NoWait};

#[cfg(unix)]
use {
    crate::fd::{FdOptions, Interest, Waiter},
    crate::sys,
    std::os::fd::AsFd,
};

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
/// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) when the reader ends first, with
/// [`transferred`](crate::Error::transferred) the number of bytes that were filled (the first
/// `transferred` bytes of the buffers, in order). `Interrupted` is retried; `WouldBlock` and
/// other errors are returned with the progress; a reader claiming more bytes than it was
/// offered is [`InvalidData`](std::io::ErrorKind::InvalidData).
pub fn read_exact<R: Read + ?Sized>(reader: &mut R, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
    let mut cursor = IoCursorMut::new(bufs);
    drive(
        &mut cursor,
        Direction::Read,
        reads(|window, _| reader.read_vectored(window)),
        &mut NoWait,
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
/// As [`read_exact`], plus [`TimedOut`](std::io::ErrorKind::TimedOut) when the wait allowed by
/// `opts` runs out and [`WouldBlock`](std::io::ErrorKind::WouldBlock) with
/// [`FdOptions::nonblocking`].
#[cfg(unix)]
pub fn read_exact_fd<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    opts: &FdOptions,
) -> Result<usize> {
    read_exact_fd_cursor(fd, &mut IoCursorMut::new(bufs), opts)
}

/// Fills the rest of `cursor` from a file descriptor, advancing it as bytes arrive; returns
/// [`cursor.transferred()`](IoCursorMut::transferred) once every buffer is full.
///
/// The cursor form of [`read_exact_fd`], for non-blocking callers with their own event loop:
/// after [`WouldBlock`](std::io::ErrorKind::WouldBlock) (with [`FdOptions::nonblocking`]) or
/// [`TimedOut`](std::io::ErrorKind::TimedOut), the cursor records exactly the bytes filled,
/// and calling again when the fd is readable resumes there.
///
/// # Examples
///
/// ```
/// use std::io::{ErrorKind, IoSliceMut, Write};
/// use vectored::{FdOptions, IoCursorMut};
///
/// let (r, mut w) = std::io::pipe()?;
/// rustix::io::ioctl_fionbio(&r, true)?;
/// let mut buf = [0u8; 8];
/// let mut bufs = [IoSliceMut::new(&mut buf)];
/// let mut cursor = IoCursorMut::new(&mut bufs);
/// let opts = FdOptions::new().nonblocking();
///
/// w.write_all(b"half")?;
/// let err = vectored::read_exact_fd_cursor(&r, &mut cursor, &opts).unwrap_err();
/// assert_eq!((err.kind(), cursor.transferred()), (ErrorKind::WouldBlock, 4));
///
/// w.write_all(b"full")?; // the fd is readable again: resume
/// assert_eq!(vectored::read_exact_fd_cursor(&r, &mut cursor, &opts)?, 8);
/// drop(cursor);
/// assert_eq!(&buf, b"halffull");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`read_exact_fd`]; [`Error::transferred`](crate::Error::transferred) equals
/// `cursor.transferred()`.
#[cfg(unix)]
pub fn read_exact_fd_cursor<Fd: AsFd, const N: usize>(
    fd: Fd,
    cursor: &mut IoCursorMut<'_, '_, N>,
    opts: &FdOptions,
) -> Result<usize> {
    let fd = fd.as_fd();
    let mut waiter = Waiter::new(fd, Interest::Read, opts);
    drive(
        cursor,
        Direction::Read,
        reads(|window, _| sys::readv_raw(fd, window)),
        &mut waiter,
    )
}

cfg_positional! {
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
/// As [`read_exact`] (end of file is [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) with the
/// bytes filled), plus [`InvalidInput`](std::io::ErrorKind::InvalidInput) for an offset above
/// `i64::MAX`, `ESPIPE` on pipes and sockets, and
/// [`WouldBlock`](std::io::ErrorKind::WouldBlock) with [`RwFlags::NOWAIT`](crate::RwFlags::NOWAIT).
pub fn read_exact_at<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    offset: u64,
    flags: crate::RwFlags,
) -> Result<usize> {
    let fd = fd.as_fd();
    let mut cursor = IoCursorMut::new(bufs);
    drive(
        &mut cursor,
        Direction::Read,
        reads(|window, done| {
            crate::sys::pread_at_raw(fd, window, crate::sys::offset_at(offset, done)?, flags)
        }),
        &mut NoWait,
    )
}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

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
