//! Vectored write-all and read-exact for tokio.
//!
//! tokio's `AsyncWrite` has `poll_write_vectored` but no vectored write-all that reports
//! progress, and `AsyncRead` has no vectored read at all. This module adds both, with the
//! same guarantees as the blocking API: every byte exactly once and in order, windows of up to
//! [`IOV_MAX`] descriptors, the caller's slices untouched, and errors that
//! carry the exact number of bytes transferred.
//!
//! # Write sizing
//!
//! These loops take an [`AsyncWrite`], not an fd, so each call offers a whole window (up to
//! [`IOV_MAX`] buffers, no byte cap), as [`crate::write_all`] does. To cap the bytes per
//! call (for a pipe, see [`WriteSizing`](crate::WriteSizing) for why 8 KiB can be faster),
//! pass [`write_all_cursor`] a cursor made with [`IoCursor::with_limits`].
//!
//! # Cancellation and timeouts
//!
//! A future that owns its progress loses it when dropped, so each operation comes in two
//! forms: a convenient one ([`write_all`], [`read_exact`]) and one whose progress lives in a
//! value the caller owns ([`write_all_cursor`], [`write_queue`], [`read_exact_cursor`]).
//! The second form composes with `tokio::time::timeout` and `select!`: after the future is
//! dropped, the cursor or queue says exactly how far it got, and calling again resumes there.
//!
//! ```
//! use std::io::IoSlice;
//! use std::time::Duration;
//! use vectored::IoCursor;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let mut client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
//! let (_server, _) = listener.accept().await?; // never reads
//!
//! let big = vec![0u8; 64 << 20];
//! let bufs = [IoSlice::new(&big)];
//! let mut cursor = IoCursor::new(&bufs);
//! let result = tokio::time::timeout(
//!     Duration::from_millis(100),
//!     vectored::tokio::write_all_cursor(&mut client, &mut cursor),
//! )
//! .await;
//! assert!(result.is_err()); // timed out...
//! assert!(cursor.transferred() > 0); // ...after this many bytes reached the socket
//! # Ok(())
//! # }
//! ```

use std::future::{ready as ready_now, Future};
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{ready, Poll};

use ::tokio::io::AsyncWrite;

use crate::cursor::{Gather, IoCursor, IoCursorMut};
use crate::driver::tokio::drive_async;
use crate::driver::Consume;
use crate::error::Result;
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};
use crate::queue::WriteQueue;
use crate::step::Direction;

/// How many bytes are copied into one write for a writer without vectored writes.
///
/// Such writers (most TLS streams, `tokio::fs::File`) take one buffer per call, so small
/// buffers are copied together up to this size, like hyper's flatten strategy; a buffer at
/// least this long is written from where it is.
pub const FLATTEN_LIMIT: usize = 64 * 1024;

/// Writes every byte of `bufs`, in order, to an [`AsyncWrite`].
///
/// Uses `poll_write_vectored` with up to [`IOV_MAX`] buffers per call when
/// the writer says it is vectored (`is_write_vectored`), and otherwise copies small buffers
/// together into writes of up to [`FLATTEN_LIMIT`] bytes, so a non-vectored writer is not
/// called once per buffer. `bufs` is never modified. Returns the number of bytes written.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use tokio::io::AsyncReadExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut a, mut b) = tokio::io::duplex(64);
/// let writer = tokio::spawn(async move {
///     let bufs = [IoSlice::new(b"hello "), IoSlice::new(b"world")];
///     vectored::tokio::write_all(&mut a, &bufs).await
/// });
/// let mut got = vec![0u8; 11];
/// b.read_exact(&mut got).await?;
/// assert_eq!(got, b"hello world");
/// assert_eq!(writer.await??, 11);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`crate::write_all`]: `Interrupted` is retried, `Ok(0)` is `WriteZero`, an
/// over-claiming writer is `InvalidData`, and every error carries the bytes written.
///
/// # Cancel safety
///
/// Not cancel safe in the sense that matters: if the future is dropped, the bytes already
/// written are not reported. Use [`write_all_cursor`] to keep the progress.
pub async fn write_all<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    bufs: &[IoSlice<'_>],
) -> Result<usize> {
    // Boxed: the cursor's inline window (16 KiB) would otherwise make this future as large.
    let mut cursor = Box::new(IoCursor::new(bufs));
    write_all_cursor(writer, &mut cursor).await
}

/// Writes the rest of `cursor` to an [`AsyncWrite`], advancing it as bytes are accepted.
///
/// Returns [`cursor.transferred()`](IoCursor::transferred) once everything is written.
/// Otherwise like [`write_all`]. The cursor lives where you put it: keep a `Box` of it in a
/// long-lived task, or use a smaller window (`IoCursor::<64>::with_limits`) to keep it small.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::IoCursor;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), vectored::Error> {
/// let bufs = [IoSlice::new(b"abc"), IoSlice::new(b"def")];
/// let mut cursor = IoCursor::new(&bufs);
/// let mut out = Vec::new();
/// vectored::tokio::write_all_cursor(&mut out, &mut cursor).await?;
/// assert_eq!((out.as_slice(), cursor.transferred()), (&b"abcdef"[..], 6));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`write_all`]; [`Error::transferred`](crate::Error::transferred) equals `cursor.transferred()`.
///
/// # Cancel safety
///
/// Cancel safe: if the future is dropped (by `tokio::time::timeout`, `select!`...), `cursor`
/// holds exactly the bytes that were not written, and calling again resumes there.
pub async fn write_all_cursor<W: AsyncWrite + Unpin + ?Sized, const N: usize>(
    writer: &mut W,
    cursor: &mut IoCursor<'_, N>,
) -> Result<usize> {
    let vectored = writer.is_write_vectored();
    let mut staging = Vec::new();
    let call = |cursor: &mut IoCursor<'_, N>, cx: &mut std::task::Context<'_>| {
        let window = cursor.window();
        if window.is_empty() {
            return Poll::Ready(None);
        }
        let writer = Pin::new(&mut *writer);
        let result = if vectored {
            ready!(writer.poll_write_vectored(cx, window))
        } else {
            ready!(writer.poll_write(cx, flatten(window, &mut staging)))
        };
        Poll::Ready(Some(result))
    };
    // A `WouldBlock` from `poll_write` breaks the `AsyncWrite` contract: report it.
    drive_async(cursor, Direction::Write, call, |e| ready_now(Err(e))).await
}

/// The bytes a non-vectored writer gets next: the first buffer itself if it is at least
/// [`FLATTEN_LIMIT`] long, otherwise copies of the leading buffers up to that size.
fn flatten<'w>(window: &'w [IoSlice<'_>], staging: &'w mut Vec<u8>) -> &'w [u8] {
    if window[0].len() >= FLATTEN_LIMIT {
        return &window[0];
    }
    staging.clear();
    staging.reserve(FLATTEN_LIMIT);
    for slice in window {
        let room = FLATTEN_LIMIT - staging.len();
        if room == 0 {
            break;
        }
        staging.extend_from_slice(&slice[..slice.len().min(room)]);
    }
    staging
}

/// Writes every byte of `queue` to an [`AsyncWrite`], consuming it as bytes are accepted,
/// and returns the number written by this call.
///
/// Vectored writers get windows of up to [`IOV_MAX`] iovecs, so a queued
/// response (headers coalesced in the staging arena, body by reference) goes out in one
/// call; other writers get the queue's chunks one per call, tiny chunks already coalesced.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// use tokio::io::AsyncReadExt;
/// use vectored::WriteQueue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut a, mut b) = tokio::io::duplex(1024);
/// let mut queue = WriteQueue::new();
/// write!(queue, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")?;
/// queue.push("hi");
/// vectored::tokio::write_queue(&mut a, &mut queue).await?;
/// drop(a);
/// let mut got = String::new();
/// b.read_to_string(&mut got).await?;
/// assert!(got.ends_with("\r\n\r\nhi"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`write_all`]; [`Error::transferred`](crate::Error::transferred) counts the bytes written by this call and the
/// queue keeps exactly the rest.
///
/// # Cancel safety
///
/// Cancel safe: the queue is updated after every write, so if the future is dropped the
/// queue holds exactly the unwritten bytes, and calling again resumes there.
pub async fn write_queue<W: AsyncWrite + Unpin + ?Sized>(
    writer: &mut W,
    queue: &mut WriteQueue<'_>,
) -> Result<usize> {
    let vectored = writer.is_write_vectored();
    let call = |source: &mut Consume<'_, '_>, cx: &mut std::task::Context<'_>| {
        if source.queue.is_empty() {
            return Poll::Ready(None);
        }
        let writer = Pin::new(&mut *writer);
        let result = if vectored {
            let mut gather =
                Gather::<_, _, IOV_MAX>::new(source.queue.pieces(), IOV_MAX, MAX_BYTES_PER_CALL);
            let result = ready!(writer.poll_write_vectored(cx, gather.window()));
            source.offered = gather.window_bytes();
            result
        } else {
            let front = source.queue.pieces().next().unwrap_or_default();
            let offered = front.len();
            let result = ready!(writer.poll_write(cx, front));
            source.offered = offered;
            result
        };
        Poll::Ready(Some(result))
    };
    drive_async(&mut Consume::new(queue), Direction::Write, call, |e| {
        ready_now(Err(e))
    })
    .await
}

/// A tokio I/O object that can read into several buffers at once once it is readable.
///
/// Implemented for tokio's `TcpStream` and `UnixStream`; implement it for your own readiness
/// based types (an `AsyncFd` wrapper, say) to use [`read_exact`] with them.
pub trait AsyncReadVectored {
    /// Tries one vectored read without waiting; `WouldBlock` when nothing is available.
    ///
    /// # Errors
    ///
    /// The read's error; `WouldBlock` must also clear the object's readiness, as tokio's
    /// `try_read_vectored` does.
    fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>;

    /// Waits until the object may be readable.
    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send + '_;
}

impl AsyncReadVectored for ::tokio::net::TcpStream {
    fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        ::tokio::net::TcpStream::try_read_vectored(self, bufs)
    }

    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send + '_ {
        ::tokio::net::TcpStream::readable(self)
    }
}

#[cfg(unix)]
impl AsyncReadVectored for ::tokio::net::UnixStream {
    fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        ::tokio::net::UnixStream::try_read_vectored(self, bufs)
    }

    fn readable(&self) -> impl Future<Output = io::Result<()>> + Send + '_ {
        ::tokio::net::UnixStream::readable(self)
    }
}

/// Fills every buffer of `bufs`, in order, from a tokio stream: waits for readiness, then
/// reads with `readv` (tokio's `AsyncRead` has no vectored read).
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use tokio::io::AsyncWriteExt;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (a, mut b) = tokio::net::UnixStream::pair()?;
/// b.write_all(b"HEADbody").await?;
/// let (mut head, mut body) = ([0u8; 4], [0u8; 4]);
/// let mut bufs = [IoSliceMut::new(&mut head), IoSliceMut::new(&mut body)];
/// vectored::tokio::read_exact(&a, &mut bufs).await?;
/// assert_eq!((&head, &body), (b"HEAD", b"body"));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`crate::read_exact`]: end of stream is `UnexpectedEof` carrying the bytes filled.
///
/// # Cancel safety
///
/// Not cancel safe: bytes read before the future is dropped are not reported (they are in
/// the buffers). Use [`read_exact_cursor`] to keep the progress.
pub async fn read_exact<S: AsyncReadVectored + ?Sized>(
    stream: &S,
    bufs: &mut [IoSliceMut<'_>],
) -> Result<usize> {
    // Boxed: the cursor's inline window (16 KiB) would otherwise make this future as large.
    let mut cursor = Box::new(IoCursorMut::new(bufs));
    read_exact_cursor(stream, &mut cursor).await
}

/// Fills the rest of `cursor` from a tokio stream, advancing it as bytes arrive; returns
/// [`cursor.transferred()`](IoCursorMut::transferred).
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use std::time::Duration;
/// use tokio::io::AsyncWriteExt;
/// use vectored::IoCursorMut;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (a, mut b) = tokio::net::UnixStream::pair()?;
/// b.write_all(b"only 7b").await?;
/// let mut buf = [0u8; 16];
/// let mut bufs = [IoSliceMut::new(&mut buf)];
/// let mut cursor = IoCursorMut::new(&mut bufs);
/// let timed_out = tokio::time::timeout(
///     Duration::from_millis(50),
///     vectored::tokio::read_exact_cursor(&a, &mut cursor),
/// )
/// .await
/// .is_err();
/// assert!(timed_out);
/// assert_eq!(cursor.transferred(), 7);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`read_exact`]; [`Error::transferred`](crate::Error::transferred) equals `cursor.transferred()`.
///
/// # Cancel safety
///
/// Cancel safe: after the future is dropped, `cursor` records exactly the bytes filled, and
/// calling again resumes there.
pub async fn read_exact_cursor<S: AsyncReadVectored + ?Sized, const N: usize>(
    stream: &S,
    cursor: &mut IoCursorMut<'_, '_, N>,
) -> Result<usize> {
    let call = |cursor: &mut IoCursorMut<'_, '_, N>, _: &mut std::task::Context<'_>| {
        let window = cursor.window();
        Poll::Ready((!window.is_empty()).then(|| stream.try_read_vectored(window)))
    };
    drive_async(cursor, Direction::Read, call, |_| stream.readable()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_copies_small_buffers_up_to_the_limit() {
        let small = vec![1u8; 1000];
        let bufs: Vec<IoSlice<'_>> = (0..100).map(|_| IoSlice::new(&small)).collect();
        let mut staging = Vec::new();
        let out = flatten(&bufs, &mut staging);
        assert_eq!(out.len(), FLATTEN_LIMIT);
    }

    #[test]
    fn flatten_passes_a_large_first_buffer_through() {
        let big = vec![2u8; FLATTEN_LIMIT];
        let bufs = [IoSlice::new(&big), IoSlice::new(b"tail")];
        let mut staging = Vec::new();
        let out = flatten(&bufs, &mut staging);
        assert_eq!(out.as_ptr(), big.as_ptr());
        assert!(staging.is_empty());
    }
}
