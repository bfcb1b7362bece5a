//! The receive side: one `recvmmsg` into the caller's buffers, coalesced (`UDP_GRO`) receives
//! split back into datagrams.

use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::ops::Range;
use std::os::fd::AsFd;

use super::{with_progress, DatagramError, DatagramProgress};
use crate::cursor::Overrun;
use crate::driver::{drive_fd, Source};
use crate::fd::Interest;
use crate::sys::{self, RecvMeta};
use crate::FdOptions;

/// One received datagram: where its bytes are in the caller's buffers, and whether they were
/// cut short.
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use std::net::UdpSocket;
/// use vectored::datagram::recv_datagrams;
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.send_to(b"hello", rx.local_addr()?)?;
/// let mut buf = [0u8; 64];
/// let mut got = Vec::new();
/// recv_datagrams(&rx, &mut [IoSliceMut::new(&mut buf)], &mut got, &Default::default())?;
/// let d = &got[0];
/// assert_eq!((d.buffer(), d.range(), d.truncated()), (0, 0..5, false));
/// assert_eq!(d.source(), Some(tx.local_addr()?));
/// assert_eq!(&buf[d.range()], b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    buffer: usize,
    offset: usize,
    len: usize,
    original_len: usize,
    source: Option<SocketAddr>,
}

impl Received {
    /// The index of the buffer holding this datagram.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert_eq!(got[0].buffer(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn buffer(&self) -> usize {
        self.buffer
    }

    /// The datagram's bytes within its buffer (`offset..offset + len`). Shorter than
    /// [`original_len`](Self::original_len) when [`truncated`](Self::truncated).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert_eq!(got[0].range(), 0..5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len
    }

    /// The number of bytes of the datagram in the buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert_eq!(got[0].len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no byte of the datagram is in the buffer (an empty datagram, or one cut
    /// entirely).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert!(!got[0].is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The length the datagram had when sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert_eq!(got[0].original_len(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn original_len(&self) -> usize {
        self.original_len
    }

    /// Whether the buffer was too small and the datagram was cut (`MSG_TRUNC`): its tail is
    /// lost.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert!(!got[0].truncated());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn truncated(&self) -> bool {
        self.len < self.original_len
    }

    /// The sender's address (IPv4/IPv6 sockets).
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSliceMut;
    /// # use std::net::UdpSocket;
    /// # let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// # let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// # tx.send_to(b"hello", rx.local_addr()?)?;
    /// # let mut first = [0u8; 64];
    /// # let mut bufs = [IoSliceMut::new(&mut first)];
    /// let mut got = Vec::new();
    /// vectored::datagram::recv_datagrams(&rx, &mut bufs, &mut got, &Default::default())?;
    /// assert_eq!(got[0].source(), Some(tx.local_addr()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn source(&self) -> Option<SocketAddr> {
        self.source
    }
}

/// Splits one received message (buffer `buffer` of `capacity` bytes) into its datagrams.
fn split(buffer: usize, capacity: usize, meta: &RecvMeta, out: &mut Vec<Received>) {
    let total = meta.len();
    let copied = total.min(capacity);
    let seg = meta.segment_size().map_or(total, usize::from);
    let mut offset = 0;
    loop {
        let original_len = seg.min(total - offset);
        out.push(Received {
            buffer,
            offset: offset.min(copied),
            len: copied.saturating_sub(offset).min(original_len),
            original_len,
            source: meta.source(),
        });
        offset += original_len;
        if offset >= total || seg == 0 {
            break;
        }
    }
}

/// Receives datagrams into `bufs` with one `recvmmsg`, appending one [`Received`] per datagram
/// to `out`, and returns how many were appended.
///
/// Waits (under `opts`, as the stream loops do) until at least one datagram is there, then
/// takes what the kernel has queued, up to one message per buffer (at most 1024). With
/// `UDP_GRO` on ([`sys::set_udp_gro`](crate::sys::set_udp_gro)), one buffer may receive
/// several datagrams, split here by the segment size the kernel reports; give such sockets
/// buffers of 65535 bytes, or the coalesced tail is cut. A datagram that did not fit is
/// reported as [`truncated`](Received::truncated), never dropped silently.
///
/// Only waits the loop makes itself are bounded by `opts`: on a blocking socket `recvmmsg`
/// itself blocks until the first datagram arrives, so use a non-blocking socket for a
/// timeout or [`FdOptions::nonblocking`] to apply.
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use std::net::UdpSocket;
/// use vectored::datagram::recv_datagrams;
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.send_to(&[1u8; 100], rx.local_addr()?)?;
/// let mut small = [0u8; 10];
/// let mut got = Vec::new();
/// recv_datagrams(&rx, &mut [IoSliceMut::new(&mut small)], &mut got, &Default::default())?;
/// assert!(got[0].truncated());
/// assert_eq!((got[0].len(), got[0].original_len()), (10, 100));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The error of `recvmmsg` (nothing was received then), `WouldBlock` under
/// [`FdOptions::nonblocking`] when nothing is queued, `TimedOut` past a deadline. The
/// error's progress is always zero.
pub fn recv_datagrams<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    out: &mut Vec<Received>,
    opts: &FdOptions,
) -> Result<usize, DatagramError> {
    let fd = fd.as_fd();
    let before = out.len();
    let mut once = Once::new(bufs.len());
    let result = drive_fd(
        fd,
        Interest::Read,
        &mut once,
        |once| (!once.is_done()).then(|| recv_step(fd, bufs, out)),
        opts,
    );
    with_progress(result, DatagramProgress::default()).map(|_| out.len() - before)
}

/// One receive as a source for the drivers: a single successful `recvmmsg` ends it. Units
/// are received messages (filled buffers); an error before it carries no progress.
pub(crate) struct Once {
    offered: usize,
    done: bool,
}

impl Once {
    /// A receive into `buffers` buffers (none: nothing to do).
    pub(crate) fn new(buffers: usize) -> Self {
        Self {
            offered: buffers.min(sys::MAX_MESSAGES_PER_CALL),
            done: buffers == 0,
        }
    }

    /// Whether the receive happened (or had no buffers to fill).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }
}

impl Source for Once {
    fn offered(&self) -> usize {
        self.offered
    }
    fn advance(&mut self, n: usize) -> io::Result<()> {
        if n > self.offered {
            return Err(Overrun::new(n, self.offered).into());
        }
        self.done = true;
        Ok(())
    }
    fn transferred(&self) -> usize {
        0
    }
}

/// One `recvmmsg` into `bufs`, appending one [`Received`] per datagram to `out`; returns the
/// messages received (a coalesced message holds several datagrams). The step the
/// synchronous loop and the tokio form share.
pub(crate) fn recv_step(
    fd: impl AsFd,
    bufs: &mut [IoSliceMut<'_>],
    out: &mut Vec<Received>,
) -> io::Result<usize> {
    if bufs.is_empty() {
        return Ok(0);
    }
    let mut meta = vec![RecvMeta::default(); bufs.len().min(sys::MAX_MESSAGES_PER_CALL)];
    let n = sys::recvmmsg(fd, bufs, &mut meta, sys::RecvFlags::empty())?;
    for (i, m) in meta[..n].iter().enumerate() {
        split(i, bufs[i].len(), m, out);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(len: usize, seg: Option<u16>) -> RecvMeta {
        RecvMeta::for_tests(len, seg)
    }

    fn shapes(capacity: usize, m: &RecvMeta) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        split(3, capacity, m, &mut out);
        assert!(out.iter().all(|r| r.buffer == 3));
        out.iter()
            .map(|r| (r.offset, r.len, r.original_len))
            .collect()
    }

    #[test]
    fn single_datagrams() {
        assert_eq!(shapes(100, &meta(40, None)), [(0, 40, 40)]);
        assert_eq!(shapes(100, &meta(0, None)), [(0, 0, 0)]);
        assert_eq!(shapes(10, &meta(40, None)), [(0, 10, 40)]);
    }

    #[test]
    fn coalesced_receives_split_by_segment() {
        assert_eq!(
            shapes(1000, &meta(250, Some(100))),
            [(0, 100, 100), (100, 100, 100), (200, 50, 50)]
        );
        assert_eq!(
            shapes(1000, &meta(200, Some(100))),
            [(0, 100, 100), (100, 100, 100)]
        );
    }

    #[test]
    fn coalesced_and_cut_reports_every_datagram() {
        // Buffer of 150: the second datagram is cut, the third did not fit at all.
        assert_eq!(
            shapes(150, &meta(300, Some(100))),
            [(0, 100, 100), (100, 50, 100), (150, 0, 100)]
        );
    }
}
