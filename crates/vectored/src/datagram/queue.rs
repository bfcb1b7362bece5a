//! A [`WriteQueue`]'s messages as datagrams: each complete message is one datagram, sent in
//! batches through [`DatagramSender::send_step`] (segmentation offload for runs of equal
//! sizes, `sendmmsg` for the rest), and popped from the queue as soon as the kernel took it.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use super::{with_progress, Datagram, DatagramError, DatagramProgress, DatagramSender};
use crate::cursor::Overrun;
use crate::driver::{drive_fd, Source};
use crate::fd::Interest;
use crate::queue::WriteQueue;
use crate::FdOptions;

/// The most messages one step looks at: enough for one `sendmmsg` of full segmented runs
/// (the step sends what one call takes and the rest is offered again).
const MESSAGES_PER_STEP: usize = 4096;

/// A queue's complete messages as a source for the drivers: units are whole messages, each
/// one datagram; every accepted message leaves the queue at once, so after any error (or a
/// dropped future) the queue holds exactly the messages not sent.
pub(crate) struct QueueMessages<'q, 'a> {
    queue: &'q mut WriteQueue<'a>,
    progress: DatagramProgress,
    offered: usize,
}

impl<'q, 'a> QueueMessages<'q, 'a> {
    pub(crate) fn new(queue: &'q mut WriteQueue<'a>) -> Self {
        Self {
            queue,
            progress: DatagramProgress::default(),
            offered: 0,
        }
    }

    /// The messages and bytes sent so far.
    pub(crate) fn progress(&self) -> DatagramProgress {
        self.progress
    }

    /// Whether no complete message is left.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn is_done(&self) -> bool {
        self.queue.messages() == 0
    }
}

impl Source for QueueMessages<'_, '_> {
    fn offered(&self) -> usize {
        self.offered
    }
    fn advance(&mut self, n: usize) -> io::Result<()> {
        if n > self.offered {
            return Err(Overrun::new(n, self.offered).into());
        }
        let bytes = self.queue.commit_messages(n)?;
        self.progress.add(DatagramProgress::new(n, bytes));
        Ok(())
    }
    fn transferred(&self) -> usize {
        self.progress.bytes()
    }
}

impl DatagramSender {
    /// The transfer step of a [`QueueMessages`]: the front messages as datagrams, one
    /// [`send_step`](Self::send_step), counting whole messages.
    pub(crate) fn queue_step<'s>(
        &'s mut self,
        fd: BorrowedFd<'s>,
    ) -> impl FnMut(&mut QueueMessages<'_, '_>) -> Option<io::Result<usize>> + 's {
        move |source| {
            if source.queue.messages() == 0 {
                return None;
            }
            let (mut parts, mut ranges) = (Vec::new(), Vec::new());
            if let Err(e) = source
                .queue
                .front_messages(MESSAGES_PER_STEP, &mut parts, &mut ranges)
            {
                return Some(Err(e));
            }
            let datagrams: Vec<Datagram<'_>> = ranges
                .into_iter()
                .map(|r| Datagram::vectored(&parts[r]))
                .collect();
            source.offered = datagrams.len();
            Some(self.send_step(fd, &datagrams).map(|sent| sent.datagrams()))
        }
    }

    /// Sends the complete messages of `queue` (marked with
    /// [`end_message`](WriteQueue::end_message)), each as one datagram, in order, and pops
    /// each from the queue once the kernel accepted it. Bytes after the last mark stay
    /// queued. Returns the messages and bytes sent.
    ///
    /// Runs of messages of equal size (the last of a run may be shorter) go out as one
    /// segmented send on a UDP socket; the others go out in `sendmmsg` batches, as for
    /// [`send`](Self::send). Messages carry no destination: use a connected socket.
    /// `EAGAIN` waits and `EINTR` is retried under `opts`, as for the stream loops.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::UdpSocket;
    /// use vectored::datagram::DatagramSender;
    /// use vectored::WriteQueue;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// let mut queue = WriteQueue::new();
    /// for i in 0..100u8 {
    ///     queue.push(vec![i; 512]);
    ///     queue.end_message();
    /// }
    /// let mut sender = DatagramSender::new(); // keep one per socket
    /// let sent = sender.send_queue(&tx, &mut queue, &vectored::FdOptions::new())?;
    /// assert_eq!((sent.datagrams(), sent.bytes(), queue.messages()), (100, 51_200, 0));
    /// let mut buf = [0u8; 2048];
    /// assert_eq!(rx.recv(&mut buf)?, 512); // one message per datagram
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), with the progress of this call; the queue then holds
    /// exactly the messages not sent, and its front message is the one the error is about
    /// (`EMSGSIZE`: too large for the socket). `InvalidInput`, without a call, when the
    /// front message needs more than [`IOV_MAX`](crate::IOV_MAX) iovecs.
    pub fn send_queue<Fd: AsFd>(
        &mut self,
        fd: Fd,
        queue: &mut WriteQueue<'_>,
        opts: &FdOptions,
    ) -> Result<DatagramProgress, DatagramError> {
        let fd = fd.as_fd();
        let mut source = QueueMessages::new(queue);
        let result = drive_fd(fd, Interest::Write, &mut source, self.queue_step(fd), opts);
        with_progress(result, source.progress())
    }
}

/// Whether `fd` is a datagram socket (`SOCK_DGRAM`: UDP, Unix datagram), with one
/// `getsockopt(SO_TYPE)`; `false` for other sockets and for fds that are not sockets.
pub(crate) fn is_datagram_socket(fd: BorrowedFd<'_>) -> bool {
    use rustix::net::{sockopt, SocketType};
    matches!(sockopt::socket_type(fd), Ok(SocketType::DGRAM))
}
