//! The send side: one step (one `sendmmsg`, resent without segmentation when refused) and the
//! synchronous loop over it.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd};

use super::plan::{self, Entry, Limits};
use super::{with_progress, Datagram, DatagramError, DatagramProgress};
use crate::cursor::Overrun;
use crate::driver::{drive_fd, Source};
use crate::fd::Interest;
use crate::sys::{self, OutMessage, MAX_MESSAGES_PER_CALL};
use crate::FdOptions;

/// The datagrams of a list not yet sent, as a source for the drivers: units are whole
/// datagrams (a send takes each one whole or not at all), progress is kept in `progress`,
/// which may be the caller's (the cancel-safe tokio form).
pub(crate) struct Batch<'p, 'd, 'a> {
    datagrams: &'d [Datagram<'a>],
    progress: &'p mut DatagramProgress,
    offered: usize,
}

impl<'p, 'd, 'a> Batch<'p, 'd, 'a> {
    /// `datagrams[progress.datagrams()..]` still to send.
    pub(crate) fn new(datagrams: &'d [Datagram<'a>], progress: &'p mut DatagramProgress) -> Self {
        Self {
            datagrams,
            progress,
            offered: 0,
        }
    }

    /// Whether every datagram was sent.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn is_done(&self) -> bool {
        self.rest().is_empty()
    }

    /// The datagrams not yet sent (none when `progress` is past the end).
    fn rest(&self) -> &'d [Datagram<'a>] {
        self.datagrams
            .get(self.progress.datagrams()..)
            .unwrap_or_default()
    }
}

impl Source for Batch<'_, '_, '_> {
    fn offered(&self) -> usize {
        self.offered
    }
    fn advance(&mut self, n: usize) -> io::Result<()> {
        if n > self.offered {
            return Err(Overrun::new(n, self.offered).into());
        }
        let bytes = self.rest()[..n].iter().map(Datagram::len).sum();
        self.progress.add(DatagramProgress::new(n, bytes));
        Ok(())
    }
    fn transferred(&self) -> usize {
        self.progress.bytes()
    }
}

/// Per-socket state of datagram sending: whether the socket takes segmentation offload, and
/// up to which segment size. Keep one per socket and reuse it, so a refusal is learnt once.
///
/// A new sender finds out on its first send whether the socket is UDP (three `getsockopt`
/// calls); only UDP sockets get segmentation. When the kernel refuses a segmented send, the
/// sender records it and sends the same datagrams again without segmentation:
///
/// - `EIO` (no checksum offload on the route), `ENOPROTOOPT`, `EOPNOTSUPP` (kernel without
///   `UDP_SEGMENT`): segmentation is off for good on this sender;
/// - `EINVAL`, `EMSGSIZE` (segment plus headers over the path MTU, `SO_NO_CHECK` set):
///   segments of that size or larger are no longer tried.
///
/// A refused send sends nothing, so the resend duplicates nothing.
///
/// # Examples
///
/// ```
/// use std::net::UdpSocket;
/// use vectored::datagram::{Datagram, DatagramSender};
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// let to = rx.local_addr()?;
/// let mut sender = DatagramSender::new();
/// let batch = [Datagram::new(b"one").to(to), Datagram::new(b"two").to(to)];
/// let sent = sender.send(&tx, &batch, &vectored::FdOptions::new())?;
/// assert_eq!(sent.datagrams(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DatagramSender {
    /// `None` until the socket type is known; then the largest segment size to try (0: off).
    max_segment_size: Option<usize>,
}

impl DatagramSender {
    /// A sender that detects on first use whether the socket takes segmentation.
    ///
    /// # Examples
    ///
    /// ```
    /// let sender = vectored::datagram::DatagramSender::new();
    /// assert!(sender.segmentation().is_none()); // not known yet
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A sender that never uses segmentation offload, only `sendmmsg` batches.
    ///
    /// # Examples
    ///
    /// ```
    /// let sender = vectored::datagram::DatagramSender::without_segmentation();
    /// assert_eq!(sender.segmentation(), Some(0));
    /// ```
    pub fn without_segmentation() -> Self {
        Self {
            max_segment_size: Some(0),
        }
    }

    /// What the sender knows: `None` before the first send, then the largest segment size it
    /// will try (0 when segmentation is off: not a UDP socket, or refused by the kernel).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixDatagram;
    /// use vectored::datagram::{Datagram, DatagramSender};
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut sender = DatagramSender::new();
    /// sender.send(&a, &[Datagram::new(b"x")], &vectored::FdOptions::new())?;
    /// assert_eq!(sender.segmentation(), Some(0)); // not UDP
    /// # drop(b);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segmentation(&self) -> Option<usize> {
        self.max_segment_size
    }

    /// Sends every datagram of `datagrams`, in order, each exactly once.
    ///
    /// Waits for readiness on `EAGAIN` and retries `EINTR` as the stream loops do, under
    /// `opts` (timeout, deadline, non-blocking, interrupt hook). Returns the datagrams and
    /// bytes sent: all of them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use vectored::datagram::{Datagram, DatagramSender};
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// let payload = [7u8; 1200];
    /// let batch = vec![Datagram::new(&payload); 64];
    /// let sent = DatagramSender::new().send(&tx, &batch, &vectored::FdOptions::new())?;
    /// assert_eq!((sent.datagrams(), sent.bytes()), (64, 64 * 1200));
    /// let mut buf = [0u8; 2000];
    /// assert_eq!(rx.recv(&mut buf)?, 1200); // one datagram per receive, boundaries kept
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Any error but `EINTR`, `EAGAIN` and a refused segmentation stops the send, with the
    /// progress so far; the datagram at index `progress().datagrams()` is the one the kernel
    /// refused (`EMSGSIZE`: too large) or was not tried. `ECONNREFUSED` on a connected socket
    /// (reported by the kernel after an earlier datagram drew an ICMP error) stops it the
    /// same way. `WouldBlock` under [`FdOptions::nonblocking`], `TimedOut` past a deadline.
    pub fn send<Fd: AsFd>(
        &mut self,
        fd: Fd,
        datagrams: &[Datagram<'_>],
        opts: &FdOptions,
    ) -> Result<DatagramProgress, DatagramError> {
        let fd = fd.as_fd();
        let mut progress = DatagramProgress::default();
        let result = drive_fd(
            fd,
            Interest::Write,
            &mut Batch::new(datagrams, &mut progress),
            self.batch_step(fd),
            opts,
        );
        with_progress(result, progress)
    }

    /// The transfer step of a [`Batch`]: one [`send_step`](Self::send_step) on the datagrams
    /// not yet sent, counting whole datagrams.
    pub(crate) fn batch_step<'s>(
        &'s mut self,
        fd: BorrowedFd<'s>,
    ) -> impl FnMut(&mut Batch<'_, '_, '_>) -> Option<io::Result<usize>> + 's {
        move |batch| {
            let rest = batch.rest();
            if rest.is_empty() {
                return None;
            }
            batch.offered = rest.len();
            Some(self.send_step(fd, rest).map(|step| step.datagrams()))
        }
    }

    /// One transfer step: sends a prefix of `datagrams` (never empty) with one `sendmmsg`,
    /// and returns what was sent. A refused segmentation is learnt and the step resent
    /// without it (more system calls, still one step); any other error is returned with
    /// nothing sent by this step.
    ///
    /// This is the step the synchronous loop, the tokio forms and a message queue share.
    pub(crate) fn send_step(
        &mut self,
        fd: impl AsFd,
        datagrams: &[Datagram<'_>],
    ) -> io::Result<DatagramProgress> {
        let fd = fd.as_fd();
        if datagrams.is_empty() {
            return Ok(DatagramProgress::default());
        }
        let max_segment_size = if let Some(max) = self.max_segment_size {
            max
        } else {
            let max = if sys::is_udp(fd)? {
                Limits::KERNEL.max_segment_size
            } else {
                0
            };
            self.max_segment_size = Some(max);
            max
        };
        let mut limits = Limits {
            max_segment_size,
            ..Limits::KERNEL
        };
        let mut entries = Vec::new();
        loop {
            entries.clear();
            plan::plan(datagrams, &limits, MAX_MESSAGES_PER_CALL, &mut entries);
            match send_entries(fd, datagrams, &entries) {
                Ok(sent) => return Ok(progress_of(datagrams, &entries[..sent])),
                Err(e) => {
                    // sendmmsg fails only when its first message fails.
                    let Some(seg) = entries[0].segment else {
                        return Err(e);
                    };
                    let Some(max) = refused(&e, usize::from(seg)) else {
                        return Err(e);
                    };
                    // Each refusal strictly lowers the limit, so this loop ends.
                    limits.max_segment_size = max.min(usize::from(seg) - 1);
                    self.max_segment_size = Some(limits.max_segment_size);
                }
            }
        }
    }
}

/// If `e` means the kernel refused segmenting by `seg` bytes, the new largest size to try.
fn refused(e: &io::Error, seg: usize) -> Option<usize> {
    match e.raw_os_error()? {
        libc::EIO | libc::ENOPROTOOPT | libc::EOPNOTSUPP => Some(0),
        libc::EINVAL | libc::EMSGSIZE => Some(seg - 1),
        _ => None,
    }
}

fn progress_of(datagrams: &[Datagram<'_>], entries: &[Entry]) -> DatagramProgress {
    let count: usize = entries.iter().map(|e| e.count).sum();
    let bytes = datagrams[..count].iter().map(Datagram::len).sum();
    DatagramProgress::new(count, bytes)
}

/// One `sendmmsg` of the planned messages; returns how many messages were sent.
fn send_entries(
    fd: std::os::fd::BorrowedFd<'_>,
    datagrams: &[Datagram<'_>],
    entries: &[Entry],
) -> io::Result<usize> {
    // The iovecs of all messages, back to back: a segmented message takes the parts of all
    // its datagrams in a row, and the kernel cuts the concatenation by the segment size.
    let mut parts: Vec<IoSlice<'_>> = Vec::new();
    let mut ranges = Vec::with_capacity(entries.len());
    for e in entries {
        let first = parts.len();
        for d in &datagrams[e.start..e.start + e.count] {
            parts.extend_from_slice(d.parts());
        }
        ranges.push(first..parts.len());
    }
    let msgs: Vec<OutMessage<'_>> = entries
        .iter()
        .zip(ranges)
        .map(|(e, r)| {
            OutMessage::new(&parts[r])
                .to(datagrams[e.start].destination())
                .segment_size(e.segment)
        })
        .collect();
    sys::sendmmsg(fd, &msgs, sys::SendFlags::empty())
}

/// Sends every datagram with a new [`DatagramSender`]: a one-shot form of
/// [`DatagramSender::send`], for callers that send one batch per socket (a sender kept per
/// socket saves the socket-type check and relearning a refusal on each call).
///
/// # Examples
///
/// ```
/// use std::net::UdpSocket;
/// use vectored::datagram::{send_datagrams, Datagram};
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.connect(rx.local_addr()?)?;
/// let sent = send_datagrams(&tx, &[Datagram::new(b"a"), Datagram::new(b"bc")], &Default::default())?;
/// assert_eq!((sent.datagrams(), sent.bytes()), (2, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`DatagramSender::send`].
pub fn send_datagrams<Fd: AsFd>(
    fd: Fd,
    datagrams: &[Datagram<'_>],
    opts: &FdOptions,
) -> Result<DatagramProgress, DatagramError> {
    DatagramSender::new().send(fd, datagrams, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_lower_the_limit() {
        let err = |n| io::Error::from_raw_os_error(n);
        assert_eq!(refused(&err(libc::EIO), 100), Some(0));
        assert_eq!(refused(&err(libc::ENOPROTOOPT), 100), Some(0));
        assert_eq!(refused(&err(libc::EINVAL), 100), Some(99));
        assert_eq!(refused(&err(libc::EMSGSIZE), 100), Some(99));
        assert_eq!(refused(&err(libc::EAGAIN), 100), None);
        assert_eq!(refused(&err(libc::ECONNREFUSED), 100), None);
        assert_eq!(refused(&io::ErrorKind::Other.into(), 100), None);
    }

    #[test]
    fn progress_counts_whole_entries() {
        let d = [
            Datagram::new(b"aa"),
            Datagram::new(b"aa"),
            Datagram::new(b"b"),
        ];
        let entries = [
            Entry {
                start: 0,
                count: 2,
                segment: Some(2),
            },
            Entry {
                start: 2,
                count: 1,
                segment: None,
            },
        ];
        assert_eq!(progress_of(&d, &entries[..1]), DatagramProgress::new(2, 4));
        assert_eq!(progress_of(&d, &entries), DatagramProgress::new(3, 5));
    }

    #[test]
    fn unix_sockets_never_segment() {
        let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let d = [
            Datagram::new(b"xy"),
            Datagram::new(b"xy"),
            Datagram::new(b"z"),
        ];
        let mut sender = DatagramSender::new();
        assert_eq!(
            sender.send_step(&a, &d).unwrap(),
            DatagramProgress::new(3, 5)
        );
        assert_eq!(sender.segmentation(), Some(0));
        let mut buf = [0u8; 8];
        for want in [&b"xy"[..], b"xy", b"z"] {
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], want);
        }
    }
}
