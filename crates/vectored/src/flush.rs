//! Flushing a [`WriteQueue`]: the stream flush and the message flush, run by the one driver.

use std::io::{self, IoSlice, Write};

use arrayvec::ArrayVec;

use crate::cursor::Gather;
use crate::driver::{drive, message_calls, writes_after, Messages};
#[cfg(unix)]
use crate::error::Error;
use crate::error::Result;
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};
use crate::queue::{Pieces, WriteQueue};
use crate::step::{Direction, NoWait};

#[cfg(unix)]
use {
    crate::cursor::IoCursor,
    crate::driver::drive_fd_write,
    crate::fd::{FdOptions, FdWriter},
    crate::write_all::write_all_fd_with,
    std::os::fd::AsFd,
};

impl<'a> WriteQueue<'a> {
    /// Writes every queued byte to `writer` with `write_vectored`, and returns how many.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("one ");
    /// queue.push("two");
    /// let mut out = Vec::new();
    /// assert_eq!(queue.write_to(&mut out)?, 7);
    /// assert_eq!(out, b"one two");
    /// # Ok::<(), vectored::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_all`](crate::write_all); [`transferred`](Error::transferred) counts the
    /// bytes written by this call, and the queue keeps exactly the rest.
    pub fn write_to<W: Write + ?Sized>(&mut self, writer: &mut W) -> Result<usize> {
        // One call of everything first, as `write_all` makes it: the common flush is that
        // call and nothing else.
        let first = self.whole_first_call(|slices, bytes| {
            (bytes <= MAX_BYTES_PER_CALL).then(|| writer.write_vectored(slices))
        });
        if let Some(done) = self.took_everything(first.as_ref()) {
            return Ok(done);
        }
        self.flush_with(MAX_BYTES_PER_CALL, |gather| {
            drive(
                gather,
                Direction::Write,
                writes_after(first, |window, _| writer.write_vectored(window)),
                &mut NoWait,
            )
        })
    }

    /// Writes every queued byte to a file descriptor, like
    /// [`write_all_fd`](crate::write_all_fd): the no-`SIGPIPE` write call for the fd's kind,
    /// `poll(2)` on `EAGAIN` within the deadline of `opts`, `EINTR` retried. Like it too, a
    /// short queue (at most 16 iovecs and 8 KiB) is first offered whole with one
    /// `pwritev2(RWF_NOSIGNAL)` before the fd's kind is found, where the kernel has that flag
    /// and `opts` declares no kind: a small response costs one system call. Otherwise, where
    /// the fd's write call needs no `SIGPIPE` mask and no pacing (sockets, files, devices,
    /// and pipes on Linux kernels with `RWF_NOSIGNAL` when the
    /// [`WriteSizing`](crate::WriteSizing) is not automatic), a queue that one call may
    /// offer whole is offered by that call before any loop is set up: borrowed chunks (up
    /// to [`IOV_MAX`](crate::IOV_MAX) of them) as the queue stores them, with no list built.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    ///
    /// let (a, mut b) = UnixStream::pair()?;
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("status\n");
    /// queue.push(vec![b'.'; 10_000]);
    /// queue.write_to_fd(&a, &vectored::FdOptions::new())?;
    /// drop(a);
    /// let mut got = Vec::new();
    /// b.read_to_end(&mut got)?;
    /// assert_eq!(got.len(), 10_007);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_all_fd`](crate::write_all_fd); [`transferred`](Error::transferred) counts
    /// the bytes written by this call, and the queue keeps exactly the rest: after
    /// `WouldBlock` (with [`FdOptions::nonblocking`]) or `TimedOut`, call again when the fd
    /// is writable.
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn write_to_fd<Fd: AsFd>(&mut self, fd: Fd, opts: &FdOptions) -> Result<usize> {
        let fd = fd.as_fd();
        // A short queue is written before the fd's kind is found, as `write_all_fd` writes
        // a short list (`fd::unclassified_first_call`): a small response flushed with the
        // default options costs one system call, not an `fstat` and a loop as well. (A
        // declared kind makes no such call: its writer needs no `fstat`.)
        let mut first = None;
        if opts.declared_kind().is_none() {
            first = self
                .whole_first_call(|slices, _| crate::fd::unclassified_first_call(fd, slices, opts));
            if let Some(done) = self.took_everything(first.as_ref()) {
                return Ok(done);
            }
        }
        let writer = match FdWriter::new(fd, opts) {
            Ok(writer) => writer,
            Err(e) => {
                // The first call's bytes, if it wrote some, are written: recorded as such.
                let done = match first {
                    Some(Ok(n)) if n <= self.len() => n,
                    _ => 0,
                };
                self.commit(done);
                return Err(Error::new(e, done));
            }
        };
        // The queue draws its own line for a device (`DEVICE_LINE`): its copy replaces the
        // store of an entry, where `write_all_fd`'s staging is a pass of its own.
        self.learn_fd_line(if writer.is_device() {
            0
        } else {
            writer.stage_below()
        });
        // Otherwise a queue that one call of this writer may offer whole (no SIGPIPE mask
        // or pacer to set up) is offered by that call before the flush loop is set up: a
        // header and a body, or a list of borrowed chunks offered as the queue stores them,
        // one call and nothing else.
        if first.is_none() && writer.may_call_alone() {
            let room = writer.bytes_per_call();
            first = self.whole_first_call(|slices, bytes| {
                (bytes <= room).then(|| writer.write_whole(slices))
            });
            if let Some(done) = self.took_everything(first.as_ref()) {
                return Ok(done);
            }
        }
        // A queue of borrowed chunks only, too long for one call (10000 small records kept
        // by reference for a device, say), is written as `write_all_fd` writes a list: a
        // cursor over the entries as they are stored, where windows built from the queue's
        // pieces cost about 50 instructions per entry more.
        if let Some(list) = self.as_borrowed_list() {
            let result = write_all_fd_with(&writer, &mut IoCursor::new(list), opts, first);
            self.commit(match &result {
                Ok(n) => *n,
                Err(e) => e.transferred(),
            });
            return result;
        }
        self.flush_with(writer.bytes_per_call(), |gather| {
            drive_fd_write(
                &writer,
                gather,
                writes_after(first, |window, _| writer.write(window)),
                opts,
            )
        })
    }

    /// One write call of every queued byte, before a flush loop is set up: `call` gets the
    /// queue as one list and its bytes and makes one write call of all of it, or none
    /// (`None`), and its result is returned. The list is the queue's own entries when it
    /// holds only borrowed chunks ([`as_whole_list`](WriteQueue::as_whole_list), up to
    /// `IOV_MAX`), else a copy of at most 16 iovecs; a longer queue gets no call. Unless it
    /// took everything ([`took_everything`](Self::took_everything)), the result is the
    /// flush loop's first ([`writes_after`]): `call` must offer no more than the loop's
    /// first window would (`IOV_MAX` iovecs and the loop's byte cap).
    fn whole_first_call(
        &mut self,
        call: impl FnOnce(&[IoSlice<'_>], usize) -> Option<io::Result<usize>>,
    ) -> Option<io::Result<usize>> {
        const SHORT: usize = 16;
        let len = self.len();
        if len == 0 {
            return None;
        }
        #[cfg(unix)]
        let whole = self.as_whole_list();
        #[cfg(not(unix))]
        let whole: Option<&[IoSlice<'_>]> = None;
        if let Some(list) = whole {
            call(list, len)
        } else if self.iovecs() <= SHORT {
            let slices: ArrayVec<IoSlice<'_>, SHORT> = self.pieces().map(IoSlice::new).collect();
            call(&slices, len)
        } else {
            None
        }
    }

    /// Whether a first call (`first`, made on the whole queue) wrote every queued byte; if
    /// so, they are consumed and their count returned.
    fn took_everything(&mut self, first: Option<&io::Result<usize>>) -> Option<usize> {
        match first {
            Some(&Ok(n)) if n == self.len() => {
                self.commit(n);
                Some(n)
            }
            _ => None,
        }
    }

    /// Runs a stream flush over the queued bytes in windows of at most `max_bytes`, then
    /// consumes what it wrote (also on error, so the queue keeps exactly the rest).
    fn flush_with(
        &mut self,
        max_bytes: usize,
        run: impl for<'q> FnOnce(&mut Gather<&'q [u8], Pieces<'q, 'a>, IOV_MAX>) -> Result<usize>,
    ) -> Result<usize> {
        let mut gather = Gather::<_, _, IOV_MAX>::new(self.pieces(), IOV_MAX, max_bytes);
        let result = run(&mut gather);
        let done = gather.transferred();
        drop(gather);
        self.commit(done);
        result
    }

    /// Writes each complete message to `writer` in exactly one `write_vectored` call, in
    /// order, and returns the bytes written. Bytes after the last mark stay queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{self, IoSlice, Write};
    ///
    /// // A writer that records the boundaries of its calls.
    /// #[derive(Default)]
    /// struct Calls(Vec<Vec<u8>>);
    /// impl Write for Calls {
    ///     fn write(&mut self, buf: &[u8]) -> io::Result<usize> { self.write_vectored(&[IoSlice::new(buf)]) }
    ///     fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    ///         self.0.push(bufs.iter().flat_map(|b| b.iter().copied()).collect());
    ///         Ok(self.0.last().unwrap().len())
    ///     }
    ///     fn flush(&mut self) -> io::Result<()> { Ok(()) }
    /// }
    ///
    /// let mut queue = vectored::WriteQueue::new();
    /// for record in ["a", "bb", "ccc"] {
    ///     queue.push(record);
    ///     queue.push("\n");
    ///     queue.end_message();
    /// }
    /// let mut calls = Calls::default();
    /// queue.write_messages_to(&mut calls)?;
    /// assert_eq!(calls.0, [&b"a\n"[..], b"bb\n", b"ccc\n"]);
    /// # Ok::<(), vectored::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidInput`](std::io::ErrorKind::InvalidInput) when a message needs more than
    /// [`IOV_MAX`] iovecs or more than [`MAX_BYTES_PER_CALL`] bytes (nothing of it is
    /// written); [`Other`](std::io::ErrorKind::Other) when the writer took only part of a message
    /// (the rest stays queued as the front message); [`WriteZero`](std::io::ErrorKind::WriteZero)
    /// when it took nothing of a non-empty message (as in every loop); the writer's errors
    /// otherwise. In every case [`transferred`](Error::transferred) counts the bytes written by
    /// this call.
    pub fn write_messages_to<W: Write + ?Sized>(&mut self, writer: &mut W) -> Result<usize> {
        drive(
            &mut Messages::new(self),
            Direction::Write,
            message_calls(|window| writer.write_vectored(window)),
            &mut NoWait,
        )
    }

    /// Sends each complete message to a file descriptor whole: one datagram per message on a
    /// datagram socket, one record per message on a stream or file; waiting on `EAGAIN` as
    /// `opts` allows.
    ///
    /// - **Datagram sockets** (`SOCK_DGRAM`, found with one `getsockopt` per call on a socket, after the `fstat` that finds the kind; Linux): the
    ///   messages go out in batches, as [`DatagramSender::send_queue`](crate::datagram::DatagramSender::send_queue) sends them with a new
    ///   sender: runs of equal sizes (the last may be shorter) as one segmented send
    ///   (`UDP_SEGMENT`) on UDP, the others in `sendmmsg` batches, with the fallback when the
    ///   kernel refuses segmentation. Each message leaves the queue as soon as the kernel has
    ///   accepted it. Messages carry no destination: connect the socket. To keep what the
    ///   sender learns about the socket between calls, use
    ///   [`DatagramSender::send_queue`](crate::datagram::DatagramSender::send_queue) with a sender kept per socket.
    /// - **Other fds**: one call per message (`sendmsg` on a stream socket, `writev` on a
    ///   file opened with `O_APPEND`, so each record is appended whole).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixDatagram;
    ///
    /// let (a, b) = UnixDatagram::pair()?;
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("first");
    /// queue.end_message();
    /// queue.push("second");
    /// queue.end_message();
    /// queue.write_messages_to_fd(&a, &vectored::FdOptions::new())?;
    /// let mut buf = [0u8; 16];
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"first");
    /// let n = b.recv(&mut buf)?;
    /// assert_eq!(&buf[..n], b"second");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Equal-size messages to a UDP socket, batched:
    ///
    /// ```
    /// use std::net::UdpSocket;
    ///
    /// let rx = UdpSocket::bind("127.0.0.1:0")?;
    /// let tx = UdpSocket::bind("127.0.0.1:0")?;
    /// tx.connect(rx.local_addr()?)?;
    /// let mut queue = vectored::WriteQueue::new();
    /// for i in 0..64u8 {
    ///     queue.push(vec![i; 1200]);
    ///     queue.end_message();
    /// }
    /// assert_eq!(queue.write_messages_to_fd(&tx, &vectored::FdOptions::new())?, 64 * 1200);
    /// let mut buf = [0u8; 2048];
    /// for i in 0..64u8 {
    ///     assert_eq!(rx.recv(&mut buf)?, 1200); // boundaries kept
    ///     assert_eq!(buf[0], i);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`write_messages_to`](Self::write_messages_to), plus the fd-level errors of
    /// [`write_to_fd`](Self::write_to_fd); [`transferred`](Error::transferred) counts the
    /// bytes of the messages sent by this call. The queue then holds exactly the messages
    /// not sent, and its front message is the one the error is about: a datagram larger than
    /// the socket allows fails with the kernel's `EMSGSIZE` and stays queued at the front.
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn write_messages_to_fd<Fd: AsFd>(&mut self, fd: Fd, opts: &FdOptions) -> Result<usize> {
        let fd = fd.as_fd();
        let writer = FdWriter::new(fd, opts).map_err(|e| Error::new(e, 0))?;
        // Only a socket can be a datagram socket: files and pipes (O_APPEND records) are
        // spared the `getsockopt`.
        #[cfg(target_os = "linux")]
        if writer.is_socket() && crate::datagram::is_datagram_socket(fd) {
            return crate::datagram::DatagramSender::new()
                .send_queue(fd, self, opts)
                .map(|sent| sent.bytes())
                .map_err(|e| {
                    let bytes = e.progress().bytes();
                    Error::new(e.into_io_error(), bytes)
                });
        }
        // A message is one call whatever the write-sizing cap: it is never split.
        let step = message_calls(|window| writer.write_whole(window));
        drive_fd_write(&writer, &mut Messages::new(self), step, opts)
    }
}
