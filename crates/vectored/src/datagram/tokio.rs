//! The datagram send and receive for `tokio::net::UdpSocket`, driven by readiness.

use std::io::{self, IoSliceMut};
use std::os::fd::AsFd;
use std::task::Poll;

use tokio::io::Interest;
use tokio::net::UdpSocket;

use super::queue::QueueMessages;
use super::recv::{recv_step, Once};
use super::send::Batch;
use super::{with_progress, Datagram, DatagramError, DatagramProgress, DatagramSender, Received};
use crate::driver::tokio::drive_async;
use crate::queue::WriteQueue;
use crate::step::Direction;

/// Sends `datagrams[progress.datagrams()..]` on a tokio UDP socket, advancing `progress` after
/// every system call, until all are sent.
///
/// Each step is the same as in [`DatagramSender::send`] (segmentation offload where the
/// socket takes it, `sendmmsg` batches, fallback when refused); waiting is tokio's readiness
/// (`writable()` then `try_io`), never a blocking call. Returns the final `progress`.
///
/// # Examples
///
/// ```
/// use tokio::net::UdpSocket;
/// use vectored::datagram::{Datagram, DatagramProgress, DatagramSender};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rx = UdpSocket::bind("127.0.0.1:0").await?;
/// let tx = UdpSocket::bind("127.0.0.1:0").await?;
/// tx.connect(rx.local_addr()?).await?;
/// let batch = vec![Datagram::new(b"tick"); 10];
/// let mut sender = DatagramSender::new();
/// let mut progress = DatagramProgress::default();
/// vectored::datagram::tokio::send_datagrams(&tx, &mut sender, &batch, &mut progress).await?;
/// assert_eq!((progress.datagrams(), progress.bytes()), (10, 40));
/// let mut buf = [0u8; 16];
/// assert_eq!(rx.recv(&mut buf).await?, 4);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`DatagramSender::send`]; the error's progress equals `*progress`.
///
/// # Cancel safety
///
/// Cancel safe: if the future is dropped (by `tokio::time::timeout`, `select!`...),
/// `progress` counts exactly the datagrams the kernel accepted, and calling again with the
/// same list and `progress` resumes with the next one: nothing is sent twice.
pub async fn send_datagrams(
    socket: &UdpSocket,
    sender: &mut DatagramSender,
    datagrams: &[Datagram<'_>],
    progress: &mut DatagramProgress,
) -> Result<DatagramProgress, DatagramError> {
    let fd = socket.as_fd();
    let mut step = sender.batch_step(fd);
    let result = drive_async(
        &mut Batch::new(datagrams, progress),
        Direction::Write,
        |batch, _| {
            Poll::Ready(try_io(socket, Interest::WRITABLE, batch.is_done(), || {
                step(batch)
            }))
        },
        |_| socket.writable(),
    )
    .await;
    with_progress(result, *progress)
}

/// Sends the complete messages of `queue` on a tokio UDP socket, each as one datagram, and
/// pops each from the queue once the kernel accepted it; returns the messages and bytes sent
/// by this call.
///
/// Each step is the same as in [`DatagramSender::send_queue`] (segmented runs of equal
/// sizes, `sendmmsg` batches, fallback when refused); waiting is tokio's readiness. Messages
/// carry no destination: use a connected socket.
///
/// # Examples
///
/// ```
/// use tokio::net::UdpSocket;
/// use vectored::datagram::DatagramSender;
/// use vectored::WriteQueue;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rx = UdpSocket::bind("127.0.0.1:0").await?;
/// let tx = UdpSocket::bind("127.0.0.1:0").await?;
/// tx.connect(rx.local_addr()?).await?;
/// let mut queue = WriteQueue::new();
/// for word in ["alpha", "beta", "gamma"] {
///     queue.push(word);
///     queue.end_message();
/// }
/// let mut sender = DatagramSender::new();
/// let sent = vectored::datagram::tokio::send_queue(&tx, &mut sender, &mut queue).await?;
/// assert_eq!((sent.datagrams(), sent.bytes(), queue.messages()), (3, 14, 0));
/// let mut buf = [0u8; 16];
/// let n = rx.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"alpha");
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`DatagramSender::send_queue`]: the queue holds exactly the messages not sent, the
/// one the error is about at the front.
///
/// # Cancel safety
///
/// Cancel safe: every message the kernel accepted has left the queue by the time the future
/// can be dropped, so the queue holds exactly the messages not sent (the progress of the
/// dropped call is not reported), and calling again sends each of them once.
pub async fn send_queue(
    socket: &UdpSocket,
    sender: &mut DatagramSender,
    queue: &mut WriteQueue<'_>,
) -> Result<DatagramProgress, DatagramError> {
    let mut step = sender.queue_step(socket.as_fd());
    let mut source = QueueMessages::new(queue);
    let result = drive_async(
        &mut source,
        Direction::Write,
        |source, _| {
            Poll::Ready(try_io(socket, Interest::WRITABLE, source.is_done(), || {
                step(source)
            }))
        },
        |_| socket.writable(),
    )
    .await;
    with_progress(result, source.progress())
}

/// One step of a driver through tokio's readiness: nothing when `done`, else `step` inside
/// `try_io`, so that its `WouldBlock` clears the socket's readiness (which the driver then
/// awaits) and a socket not known ready is not called at all.
fn try_io(
    socket: &UdpSocket,
    interest: Interest,
    done: bool,
    step: impl FnOnce() -> Option<io::Result<usize>>,
) -> Option<io::Result<usize>> {
    if done {
        return None;
    }
    socket.try_io(interest, || step().transpose()).transpose()
}

/// Receives datagrams into `bufs` on a tokio UDP socket with one `recvmmsg` once readable,
/// appending one [`Received`] per datagram to `out`; returns how many were appended.
///
/// As [`recv_datagrams`](super::recv_datagrams), waiting with tokio's readiness.
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use tokio::net::UdpSocket;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rx = UdpSocket::bind("127.0.0.1:0").await?;
/// let tx = UdpSocket::bind("127.0.0.1:0").await?;
/// tx.send_to(b"hi", rx.local_addr()?).await?;
/// let mut buf = [0u8; 32];
/// let mut got = Vec::new();
/// let n = vectored::datagram::tokio::recv_datagrams(&rx, &mut [IoSliceMut::new(&mut buf)], &mut got).await?;
/// assert_eq!((n, &buf[got[0].range()]), (1, &b"hi"[..]));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// The error of `recvmmsg` or of the readiness wait; its progress is zero.
///
/// # Cancel safety
///
/// Cancel safe: a datagram is taken from the socket only by the system call, and `out` is
/// appended in the same step, so a dropped future has received nothing.
pub async fn recv_datagrams(
    socket: &UdpSocket,
    bufs: &mut [IoSliceMut<'_>],
    out: &mut Vec<Received>,
) -> Result<usize, DatagramError> {
    let before = out.len();
    let mut once = Once::new(bufs.len());
    let result = drive_async(
        &mut once,
        Direction::Read,
        |once, _| {
            Poll::Ready(try_io(socket, Interest::READABLE, once.is_done(), || {
                Some(recv_step(socket, bufs, out))
            }))
        },
        |_| socket.readable(),
    )
    .await;
    with_progress(result, DatagramProgress::default()).map(|_| out.len() - before)
}
