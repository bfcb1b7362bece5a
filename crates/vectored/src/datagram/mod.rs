//! Datagrams at scale (Linux): many datagrams per system call, with UDP segmentation offload.
//!
//! - **Send**: [`DatagramSender::send`] (or the one-shot [`send_datagrams`]) sends a list of
//!   [`Datagram`]s. Runs of consecutive datagrams of the same size to the same destination (the
//!   last of a run may be shorter) go out as one segmented send (`UDP_SEGMENT`, up to 64
//!   segments and 65507 bytes), and the resulting messages go out together in one `sendmmsg`
//!   call of up to 1024 messages. Progress is exact, in whole datagrams and bytes: after any
//!   error, [`DatagramError::progress`] says how many datagrams (a prefix of the list) the
//!   kernel accepted, so the failing datagram is the next one.
//! - **Fallback**: if the kernel refuses segmentation (`EIO`, `ENOPROTOOPT`, `EOPNOTSUPP`:
//!   never again on this sender; `EINVAL`, `EMSGSIZE`: not again for segments this large),
//!   the [`DatagramSender`] remembers it and resends the same datagrams without it. A refused
//!   send sends nothing, so nothing is sent twice and nothing is lost. Sockets other than UDP
//!   (Unix datagram sockets ignore `UDP_SEGMENT`) never get segmentation.
//! - **From a queue**: [`DatagramSender::send_queue`] sends the complete messages of a
//!   [`WriteQueue`](crate::WriteQueue) (marked with
//!   [`end_message`](crate::WriteQueue::end_message)) the same way, one datagram per
//!   message, popping each from the queue once the kernel accepted it;
//!   [`WriteQueue::write_messages_to_fd`](crate::WriteQueue::write_messages_to_fd) does so
//!   by itself on a datagram socket. Queued messages carry no destination: connect the socket.
//! - **One loop**: every send and receive here runs through the crate's one synchronous
//!   driver (and the one asynchronous driver for [`tokio`]), over a data source counting whole
//!   datagrams, with the same `EINTR`/`EAGAIN` policy as the stream loops.
//! - **Receive**: [`recv_datagrams`] receives many datagrams with one `recvmmsg` into your
//!   buffers. With `UDP_GRO` on ([`sys::set_udp_gro`](crate::sys::set_udp_gro)) one buffer
//!   may receive several coalesced datagrams; they are split back by the segment size the
//!   kernel reports. Each [`Received`] says where its bytes are and whether they were cut.
//! - **Async**: with the `tokio` feature, [`tokio`] has the same for
//!   `tokio::net::UdpSocket`.
//!
//! # Examples
//!
//! ```
//! use std::net::UdpSocket;
//! use vectored::datagram::{recv_datagrams, Datagram, DatagramSender};
//!
//! let rx = UdpSocket::bind("127.0.0.1:0")?;
//! let tx = UdpSocket::bind("127.0.0.1:0")?;
//! tx.connect(rx.local_addr()?)?;
//!
//! let payloads: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; 512]).collect();
//! let datagrams: Vec<Datagram<'_>> = payloads.iter().map(|p| Datagram::new(p)).collect();
//! let mut sender = DatagramSender::new();
//! let sent = sender.send(&tx, &datagrams, &vectored::FdOptions::new())?;
//! assert_eq!((sent.datagrams(), sent.bytes()), (100, 51_200));
//!
//! let mut storage = vec![[0u8; 512]; 100];
//! let mut got = Vec::new();
//! while got.len() < 100 {
//!     let mut bufs: Vec<_> = storage.iter_mut().map(|b| std::io::IoSliceMut::new(b)).collect();
//!     let mut batch = Vec::new();
//!     recv_datagrams(&rx, &mut bufs, &mut batch, &vectored::FdOptions::new())?;
//!     got.extend(batch.iter().map(|d| storage[d.buffer()][d.range()].to_vec()));
//! }
//! assert_eq!(got, payloads);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io::{self, IoSlice};
use std::net::SocketAddr;

mod plan;
mod queue;
mod recv;
mod send;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;

pub(crate) use queue::is_datagram_socket;
pub use recv::{recv_datagrams, Received};
pub use send::{send_datagrams, DatagramSender};

/// One outgoing datagram: a payload (one buffer or several) and an optional destination.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::datagram::Datagram;
///
/// let parts = [IoSlice::new(b"head:"), IoSlice::new(b"body")];
/// let d = Datagram::vectored(&parts).to("127.0.0.1:5353".parse()?);
/// assert_eq!(d.len(), 9);
/// assert_eq!(d.destination(), Some("127.0.0.1:5353".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    payload: Payload<'a>,
    len: usize,
    dest: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy)]
enum Payload<'a> {
    One(IoSlice<'a>),
    Many(&'a [IoSlice<'a>]),
}

impl<'a> Datagram<'a> {
    /// A datagram whose payload is `payload`, to the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = vectored::datagram::Datagram::new(b"ping");
    /// assert_eq!((d.len(), d.destination()), (4, None));
    /// ```
    pub fn new(payload: &'a [u8]) -> Self {
        Self {
            payload: Payload::One(IoSlice::new(payload)),
            len: payload.len(),
            dest: None,
        }
    }

    /// A datagram whose payload is the concatenation of `parts`, to the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// let parts = [std::io::IoSlice::new(b"a"), std::io::IoSlice::new(b"bc")];
    /// assert_eq!(vectored::datagram::Datagram::vectored(&parts).len(), 3);
    /// ```
    pub fn vectored(parts: &'a [IoSlice<'a>]) -> Self {
        Self {
            payload: Payload::Many(parts),
            len: parts.iter().map(|p| p.len()).sum(),
            dest: None,
        }
    }

    /// Sends this datagram to `addr` (for unconnected sockets).
    ///
    /// # Examples
    ///
    /// ```
    /// let d = vectored::datagram::Datagram::new(b"q").to("[::1]:53".parse()?);
    /// assert!(d.destination().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to(mut self, addr: SocketAddr) -> Self {
        self.dest = Some(addr);
        self
    }

    /// The payload length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::datagram::Datagram::new(b"abc").len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the payload is empty (an empty datagram is valid and is sent).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(vectored::datagram::Datagram::new(b"").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The destination, `None` for the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::datagram::Datagram::new(b"x").destination(), None);
    /// ```
    pub fn destination(&self) -> Option<SocketAddr> {
        self.dest
    }

    /// The payload's buffers.
    pub(crate) fn parts(&self) -> &[IoSlice<'a>] {
        match &self.payload {
            Payload::One(one) => std::slice::from_ref(one),
            Payload::Many(many) => many,
        }
    }
}

impl plan::PlanItem for Datagram<'_> {
    fn len(&self) -> usize {
        self.len
    }
    fn parts(&self) -> usize {
        match self.payload {
            Payload::One(_) => 1,
            Payload::Many(p) => p.len(),
        }
    }
    fn dest(&self) -> Option<SocketAddr> {
        self.dest
    }
}

/// How far a send got: whole datagrams accepted by the kernel, and their bytes.
///
/// # Examples
///
/// ```
/// let p = vectored::datagram::DatagramProgress::default();
/// assert_eq!((p.datagrams(), p.bytes()), (0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatagramProgress {
    datagrams: usize,
    bytes: usize,
}

impl DatagramProgress {
    /// Progress of `datagrams` datagrams totalling `bytes` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = vectored::datagram::DatagramProgress::new(3, 30);
    /// assert_eq!((p.datagrams(), p.bytes()), (3, 30));
    /// ```
    pub fn new(datagrams: usize, bytes: usize) -> Self {
        Self { datagrams, bytes }
    }

    /// The number of whole datagrams sent: the first `datagrams()` of the list.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::datagram::DatagramProgress::new(2, 5).datagrams(), 2);
    /// ```
    pub fn datagrams(&self) -> usize {
        self.datagrams
    }

    /// The payload bytes of those datagrams.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::datagram::DatagramProgress::new(2, 5).bytes(), 5);
    /// ```
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn add(&mut self, other: DatagramProgress) {
        self.datagrams += other.datagrams;
        self.bytes += other.bytes;
    }
}

/// A driver's result as a datagram result: the driver counts bytes, `progress` has both.
pub(crate) fn with_progress(
    result: crate::Result<usize>,
    progress: DatagramProgress,
) -> Result<DatagramProgress, DatagramError> {
    result
        .map(|_| progress)
        .map_err(|e| DatagramError::new(e.into_io_error(), progress))
}

/// An I/O error of a datagram send or receive, with the progress made before it.
///
/// For a send, [`progress`](Self::progress) counts the datagrams the kernel accepted, a
/// prefix of the list: datagram number `progress().datagrams()` is the one that failed
/// (for `EMSGSIZE`, the oversized one) or was not tried, and none after it was sent.
///
/// # Examples
///
/// ```
/// use std::io;
/// use vectored::datagram::{DatagramError, DatagramProgress};
///
/// let err = DatagramError::new(io::Error::from_raw_os_error(90), DatagramProgress::new(4, 400));
/// assert_eq!(err.progress().datagrams(), 4);
/// assert_eq!(err.raw_os_error(), Some(90)); // EMSGSIZE
/// ```
pub struct DatagramError {
    source: io::Error,
    progress: DatagramProgress,
}

impl DatagramError {
    /// An error from its cause and the progress before it.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::datagram::{DatagramError, DatagramProgress};
    ///
    /// let err = DatagramError::new(std::io::ErrorKind::TimedOut.into(), DatagramProgress::new(1, 9));
    /// assert_eq!(err.progress().bytes(), 9);
    /// ```
    pub fn new(source: io::Error, progress: DatagramProgress) -> Self {
        Self { source, progress }
    }

    /// The datagrams and bytes sent (or received) before the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::datagram::{DatagramError, DatagramProgress};
    ///
    /// let err = DatagramError::new(std::io::ErrorKind::WouldBlock.into(), DatagramProgress::new(7, 70));
    /// assert_eq!(err.progress(), DatagramProgress::new(7, 70));
    /// ```
    pub fn progress(&self) -> DatagramProgress {
        self.progress
    }

    /// The kind of the underlying I/O error.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::datagram::{DatagramError, DatagramProgress};
    ///
    /// let err = DatagramError::new(std::io::Error::from_raw_os_error(111), DatagramProgress::default());
    /// assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The OS error code, if the error came from the OS.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::datagram::{DatagramError, DatagramProgress};
    ///
    /// let err = DatagramError::new(std::io::Error::from_raw_os_error(11), DatagramProgress::default());
    /// assert_eq!(err.raw_os_error(), Some(11));
    /// ```
    pub fn raw_os_error(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// The underlying I/O error.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::datagram::{DatagramError, DatagramProgress};
    ///
    /// let err = DatagramError::new(std::io::ErrorKind::Other.into(), DatagramProgress::default());
    /// assert_eq!(err.io_error().kind(), std::io::ErrorKind::Other);
    /// ```
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// The underlying I/O error, unchanged; the progress is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::datagram::{DatagramError, DatagramProgress};
    ///
    /// let err = DatagramError::new(std::io::Error::from_raw_os_error(5), DatagramProgress::default());
    /// assert_eq!(err.into_io_error().raw_os_error(), Some(5));
    /// ```
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
}

impl fmt::Debug for DatagramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramError")
            .field("source", &self.source)
            .field("datagrams", &self.progress.datagrams)
            .field("bytes", &self.progress.bytes)
            .finish()
    }
}

impl fmt::Display for DatagramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} datagrams, {} bytes transferred before the error)",
            self.source, self.progress.datagrams, self.progress.bytes
        )
    }
}

impl std::error::Error for DatagramError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Converts into the underlying `io::Error`, keeping its kind and `errno`.
impl From<DatagramError> for io::Error {
    fn from(err: DatagramError) -> Self {
        err.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_names_both_counts() {
        let err = DatagramError::new(
            io::Error::from_raw_os_error(90),
            DatagramProgress::new(3, 300),
        );
        let text = err.to_string();
        assert!(text.contains("3 datagrams, 300 bytes"), "{text}");
        let io: io::Error = err.into();
        assert_eq!(io.raw_os_error(), Some(90));
    }

    #[test]
    fn vectored_length_is_the_sum() {
        let parts = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cde")];
        let d = Datagram::vectored(&parts);
        assert_eq!((d.len(), d.parts().len()), (5, 3));
        assert_eq!(Datagram::new(b"xy").parts().len(), 1);
    }
}
