//! Flushing a [`WriteQueue`]: the stream flush and the message flush, run by the one driver.

use std::io::Write;

use crate::cursor::Gather;
use crate::driver::{drive, message_calls, writes, Messages};
use crate::error::{Error, Result};
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};
use crate::queue::{Pieces, WriteQueue};
use crate::step::{Direction, NoWait};

#[cfg(unix)]
use {
    crate::driver::drive_fd_write,
    crate::fd::{FdOptions, FdWriter},
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
        self.flush_with(MAX_BYTES_PER_CALL, |gather| {
            drive(
                gather,
                Direction::Write,
                writes(|window, _| writer.write_vectored(window)),
                &mut NoWait,
            )
        })
    }

    /// Writes every queued byte to a file descriptor, like
    /// [`write_all_fd`](crate::write_all_fd): the no-`SIGPIPE` write call for the fd's kind,
    /// `poll(2)` on `EAGAIN` within the deadline of `opts`, `EINTR` retried.
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
        let writer = FdWriter::new(fd.as_fd(), opts).map_err(|e| Error::new(e, 0))?;
        self.flush_with(writer.bytes_per_call(), |gather| {
            drive_fd_write(
                &writer,
                gather,
                writes(|window, _| writer.write(window)),
                opts,
            )
        })
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

    /// Sends each complete message to a file descriptor in exactly one call (`sendmsg` on a
    /// socket, so each message is one datagram; `writev` on a file opened with `O_APPEND`,
    /// so each record is appended whole), waiting on `EAGAIN` as `opts` allows.
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
    /// # Errors
    ///
    /// As [`write_messages_to`](Self::write_messages_to), plus the fd-level errors of
    /// [`write_to_fd`](Self::write_to_fd). A datagram larger than the socket allows fails
    /// with the kernel's `EMSGSIZE`, and stays queued.
    #[cfg(unix)]
    #[cfg_attr(docsrs, doc(cfg(unix)))]
    pub fn write_messages_to_fd<Fd: AsFd>(&mut self, fd: Fd, opts: &FdOptions) -> Result<usize> {
        let fd = fd.as_fd();
        // A message is one call whatever the write-sizing cap: it is never split.
        let writer = FdWriter::new(fd, opts).map_err(|e| Error::new(e, 0))?;
        let step = message_calls(|window| writer.write(window));
        drive_fd_write(&writer, &mut Messages::new(self), step, opts)
    }
}
