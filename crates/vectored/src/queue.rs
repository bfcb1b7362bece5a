//! An owned gather queue: append chunks of any owned (or borrowed) kind, flush them with as
//! few system calls as the kernel allows.
//!
//! Tiny chunks are copied into a staging arena so that a run of them becomes one iovec (one
//! iovec costs the kernel about as much as copying 400–500 bytes on this project's machines);
//! larger chunks are passed by reference. See [`QueueOptions`] for the numbers behind the
//! defaults.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, Write};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};
use crate::slices::{Gather, Overrun};
use crate::write_all::{no_hook, write_loop};

#[cfg(unix)]
use {
    crate::fd::FdOptions,
    crate::write_all::{write_fd_loop, FdWriter},
    std::os::fd::AsFd,
};

/// Tuning of a [`WriteQueue`]: when to copy and how large the staging blocks are.
///
/// Defaults, from `vectored bench` runs on this project's reference machines (2-vCPU Linux
/// 6.18 VM; see `BENCHMARKS.md`): passing a buffer as its own iovec costs the kernel
/// 25–35 ns on every target that copies data (files, pipes, sockets), the same as copying
/// 400–500 bytes in user space, and the measured break-even between `writev` and copying is
/// about 512 bytes. Chunks shorter than [`DEFAULT_COPY_THRESHOLD`](Self::DEFAULT_COPY_THRESHOLD)
/// (512 B) are therefore copied; staging blocks hold
/// [`DEFAULT_ARENA_SIZE`](Self::DEFAULT_ARENA_SIZE) (64 KiB) so that coalescing never costs
/// extra system calls the way an 8 KiB `BufWriter` does.
///
/// # Examples
///
/// ```
/// use vectored::{QueueOptions, WriteQueue};
///
/// // Copy nothing (pure iovec passing), e.g. when every chunk is large.
/// let queue: WriteQueue<'static> =
///     WriteQueue::with_options(QueueOptions::new().copy_threshold(0));
/// # let _ = queue;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct QueueOptions {
    copy_threshold: usize,
    arena_size: usize,
}

impl QueueOptions {
    /// Chunks shorter than this many bytes are copied into the staging arena by default.
    pub const DEFAULT_COPY_THRESHOLD: usize = 512;
    /// Default size of one staging block.
    pub const DEFAULT_ARENA_SIZE: usize = 64 * 1024;

    /// The defaults.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::QueueOptions;
    ///
    /// assert_eq!(QueueOptions::new(), QueueOptions::default());
    /// ```
    pub fn new() -> Self {
        Self {
            copy_threshold: Self::DEFAULT_COPY_THRESHOLD,
            arena_size: Self::DEFAULT_ARENA_SIZE,
        }
    }

    /// Copies chunks shorter than `bytes` into the staging arena; 0 disables copying.
    ///
    /// The arena size is raised to at least this value.
    ///
    /// # Examples
    ///
    /// ```
    /// let opts = vectored::QueueOptions::new().copy_threshold(256);
    /// # let _ = opts;
    /// ```
    pub fn copy_threshold(mut self, bytes: usize) -> Self {
        self.copy_threshold = bytes;
        self.arena_size = self.arena_size.max(bytes);
        self
    }

    /// Makes each staging block `bytes` long (at least the copy threshold, at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// let opts = vectored::QueueOptions::new().arena_size(256 * 1024);
    /// # let _ = opts;
    /// ```
    pub fn arena_size(mut self, bytes: usize) -> Self {
        self.arena_size = bytes.max(self.copy_threshold).max(1);
        self
    }
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// A chunk of bytes a [`WriteQueue`] can take without copying.
///
/// Built with `From`/`Into` from `Vec<u8>`, `Box<[u8]>`, `Arc<[u8]>`, `String`, `&[u8]`
/// and `&str` (borrowed for the queue's lifetime; `&'static` data lives forever), and
/// `bytes::Bytes` with the `bytes` feature.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use vectored::Chunk;
///
/// let shared: Arc<[u8]> = Arc::from(&b"shared"[..]);
/// let chunk = Chunk::from(shared);
/// assert_eq!(chunk.as_bytes(), b"shared");
/// ```
pub struct Chunk<'a>(Repr<'a>);

/// A chunk as pushed: borrowed for the queue's lifetime, or owned by the queue.
enum Repr<'a> {
    Borrowed(&'a [u8]),
    Owned(Owned),
}

/// Bytes the queue owns: its own staging blocks, or chunks moved in.
enum Owned {
    Staged(Vec<u8>),
    Vec(Vec<u8>),
    Boxed(Box<[u8]>),
    Shared(Arc<[u8]>),
    #[cfg(feature = "bytes")]
    Bytes(bytes::Bytes),
}

impl Chunk<'_> {
    /// The bytes of the chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::Chunk::from("hi").as_bytes(), b"hi");
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Borrowed(s) => s,
            Repr::Owned(o) => o.as_bytes(),
        }
    }
}

impl Owned {
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            Owned::Staged(v) | Owned::Vec(v) => v,
            Owned::Boxed(b) => b,
            Owned::Shared(a) => a,
            #[cfg(feature = "bytes")]
            Owned::Bytes(b) => b,
        }
    }
}

impl fmt::Debug for Chunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.0 {
            Repr::Borrowed(_) => "Borrowed",
            Repr::Owned(Owned::Staged(_)) => "Staged",
            Repr::Owned(Owned::Vec(_)) => "Vec",
            Repr::Owned(Owned::Boxed(_)) => "Boxed",
            Repr::Owned(Owned::Shared(_)) => "Shared",
            #[cfg(feature = "bytes")]
            Repr::Owned(Owned::Bytes(_)) => "Bytes",
        };
        f.debug_struct("Chunk")
            .field("kind", &kind)
            .field("len", &self.as_bytes().len())
            .finish()
    }
}

impl From<Vec<u8>> for Chunk<'_> {
    fn from(v: Vec<u8>) -> Self {
        Self(Repr::Owned(Owned::Vec(v)))
    }
}

impl From<Box<[u8]>> for Chunk<'_> {
    fn from(b: Box<[u8]>) -> Self {
        Self(Repr::Owned(Owned::Boxed(b)))
    }
}

impl From<Arc<[u8]>> for Chunk<'_> {
    fn from(a: Arc<[u8]>) -> Self {
        Self(Repr::Owned(Owned::Shared(a)))
    }
}

impl From<String> for Chunk<'_> {
    fn from(s: String) -> Self {
        Self(Repr::Owned(Owned::Vec(s.into_bytes())))
    }
}

impl<'a> From<&'a [u8]> for Chunk<'a> {
    fn from(s: &'a [u8]) -> Self {
        Self(Repr::Borrowed(s))
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for Chunk<'a> {
    fn from(s: &'a [u8; N]) -> Self {
        Self(Repr::Borrowed(s))
    }
}

impl<'a> From<&'a str> for Chunk<'a> {
    fn from(s: &'a str) -> Self {
        Self(Repr::Borrowed(s.as_bytes()))
    }
}

#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl From<bytes::Bytes> for Chunk<'_> {
    fn from(b: bytes::Bytes) -> Self {
        Self(Repr::Owned(Owned::Bytes(b)))
    }
}

/// Recycled staging blocks kept per queue, so a steady stream of small writes allocates
/// nothing.
const MAX_SPARE_BLOCKS: usize = 4;

/// An owned queue of byte chunks, flushed with vectored writes.
///
/// Push chunks of any kind ([`push`](Self::push), [`push_copy`](Self::push_copy), or
/// `write!` through its [`Write`] impl), then write them out with
/// [`write_to`](Self::write_to) (any `Write`) or [`write_to_fd`](Self::write_to_fd) (an fd,
/// with readiness waits, deadline and `SIGPIPE` protection).
///
/// - **Coalescing:** chunks shorter than the copy threshold are copied into 64 KiB staging
///   blocks, so a run of them becomes one iovec; larger chunks are passed by reference.
/// - **Few system calls:** a flush makes ⌈iovecs / [`IOV_MAX`]⌉ calls when the kernel takes
///   everything offered, so a header and a body go out in one call; there is no smaller
///   internal cap that would split a message.
/// - **Exact under failure:** after any error, including `WouldBlock`, the queue holds
///   exactly the bytes that were not written ([`len`](Self::len) is O(1)), so the caller can
///   retry later, for example from an event loop. Nothing is lost or written twice.
/// - **Messages:** [`end_message`](Self::end_message) marks message boundaries for datagram
///   sockets or `O_APPEND` records, and [`write_messages_to_fd`](Self::write_messages_to_fd)
///   sends each message in exactly one call, refusing to split one.
///
/// The lifetime `'a` is that of borrowed chunks; use `WriteQueue<'static>` for owned data.
///
/// # Examples
///
/// An HTTP response: the status line and headers are tiny (copied into one staging block),
/// the body is passed by reference, and everything goes out in one `writev`.
///
/// ```
/// use std::io::Write;
/// use vectored::WriteQueue;
///
/// let body = vec![b'x'; 64 * 1024];
/// let mut queue = WriteQueue::new();
/// queue.push(&b"HTTP/1.1 200 OK\r\n"[..]);
/// write!(queue, "Content-Length: {}\r\n\r\n", body.len())?;
/// queue.push(body);
///
/// let mut out = Vec::new();
/// let n = queue.write_to(&mut out)?;
/// assert_eq!(n, out.len());
/// assert!(queue.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct WriteQueue<'a> {
    /// Sealed entries, in order: a borrowed chunk, or `None` for the next owned one in
    /// `owned`. Two words each, so appending one is a pair of register stores.
    chunks: VecDeque<Option<&'a [u8]>>,
    /// The owned entries, in order.
    owned: VecDeque<Owned>,
    /// The open staging block, logically after `chunks`: small chunks are appended here.
    tail: Vec<u8>,
    /// Bytes of the first piece (`chunks[0]`, or `tail` when `chunks` is empty) already
    /// written.
    head: usize,
    /// Unwritten bytes.
    len: usize,
    /// Unwritten bytes of each complete message, front first (empty messages are 0).
    messages: VecDeque<usize>,
    /// Sum of `messages`: the queued bytes that belong to a complete message.
    marked: usize,
    spare: Vec<Vec<u8>>,
    opts: QueueOptions,
}

impl Default for WriteQueue<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> WriteQueue<'a> {
    /// An empty queue with the default [`QueueOptions`]. Allocates nothing until used.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = vectored::WriteQueue::new();
    /// assert!(queue.is_empty());
    /// # let _: vectored::WriteQueue<'static> = queue;
    /// ```
    pub fn new() -> Self {
        Self::with_options(QueueOptions::new())
    }

    /// An empty queue with the given options.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::{QueueOptions, WriteQueue};
    ///
    /// let opts = QueueOptions::new().copy_threshold(256);
    /// let queue: WriteQueue<'_> = WriteQueue::with_options(opts);
    /// assert_eq!(queue.options(), opts);
    /// ```
    pub fn with_options(opts: QueueOptions) -> Self {
        Self {
            chunks: VecDeque::new(),
            owned: VecDeque::new(),
            tail: Vec::new(),
            head: 0,
            len: 0,
            messages: VecDeque::new(),
            marked: 0,
            spare: Vec::new(),
            opts,
        }
    }

    /// The options this queue was made with.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue: vectored::WriteQueue<'_> = vectored::WriteQueue::new();
    /// assert_eq!(queue.options(), vectored::QueueOptions::new());
    /// ```
    pub fn options(&self) -> QueueOptions {
        self.opts
    }

    /// Unwritten bytes in the queue. O(1).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("abc");
    /// queue.push(vec![0u8; 1000]);
    /// assert_eq!(queue.len(), 1003);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether every queued byte has been written.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// assert!(queue.is_empty());
    /// queue.push("x");
    /// assert!(!queue.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of iovecs the queued bytes currently take (chunks passed by reference plus
    /// staging blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// for _ in 0..1000 {
    ///     queue.push_copy(b"tiny record\n");
    /// }
    /// assert_eq!(queue.iovecs(), 1); // 12 KB of tiny records: one staging block
    /// queue.push(vec![0u8; 4096]);
    /// assert_eq!(queue.iovecs(), 2);
    /// ```
    pub fn iovecs(&self) -> usize {
        self.chunks.len() + usize::from(!self.tail.is_empty())
    }

    /// Appends a chunk: copied into the staging arena if shorter than the copy threshold,
    /// otherwise kept (moved, not copied) and passed to the kernel by reference.
    /// Empty chunks are ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push(b"static bytes");
    /// queue.push(String::from("an owned string"));
    /// queue.push(Arc::<[u8]>::from(vec![7u8; 4096]));
    /// queue.push(vec![1u8; 100].into_boxed_slice());
    /// assert_eq!(queue.len(), 12 + 15 + 4096 + 100);
    /// ```
    pub fn push(&mut self, chunk: impl Into<Chunk<'a>>) {
        let chunk = chunk.into();
        let len = chunk.as_bytes().len();
        if len == 0 {
            return;
        }
        if len < self.opts.copy_threshold {
            self.stage(chunk.as_bytes());
        } else {
            match chunk.0 {
                Repr::Borrowed(bytes) => self.push_borrowed(bytes),
                Repr::Owned(owned) => self.push_owned(owned),
            }
        }
        self.len += len;
    }

    /// Appends borrowed bytes: the same as [`push`](Self::push) with a `&'a [u8]`.
    ///
    /// # Examples
    ///
    /// ```
    /// let header = b"GET / HTTP/1.1\r\n\r\n".to_vec();
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push_slice(&header);
    /// assert_eq!(queue.len(), header.len());
    /// ```
    #[inline]
    pub fn push_slice(&mut self, bytes: &'a [u8]) {
        // The common case, without the generic path's conversions.
        if bytes.len() < self.opts.copy_threshold {
            self.stage(bytes);
        } else if !bytes.is_empty() {
            self.push_borrowed(bytes);
        }
        self.len += bytes.len();
    }

    /// Appends a copy of `bytes` (for data the queue cannot borrow). Copies go into the
    /// current staging block when they fit, so consecutive copies share one iovec.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// {
    ///     let temporary = format!("{}\n", 42);
    ///     queue.push_copy(temporary.as_bytes());
    /// }
    /// assert_eq!(queue.len(), 3);
    /// ```
    pub fn push_copy(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if bytes.len() <= self.opts.arena_size {
            self.stage(bytes);
        } else {
            self.push_owned(Owned::Vec(bytes.to_vec()));
        }
        self.len += bytes.len();
    }

    /// Copies `bytes` (at most one arena block long) into the open staging block, starting a
    /// new block when it does not fit.
    #[inline]
    fn stage(&mut self, bytes: &[u8]) {
        if self.tail.capacity() - self.tail.len() < bytes.len() {
            self.new_tail();
        }
        self.tail.extend_from_slice(bytes);
    }

    /// Seals the open staging block (if it holds anything) and opens an empty one with room
    /// for a whole arena block.
    #[cold]
    fn new_tail(&mut self) {
        self.seal_tail();
        if self.tail.capacity() < self.opts.arena_size {
            self.tail = self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(self.opts.arena_size));
        }
    }

    /// Moves a non-empty open staging block to the sealed entries, keeping the order.
    #[inline]
    fn seal_tail(&mut self) {
        if !self.tail.is_empty() {
            let block = std::mem::take(&mut self.tail);
            self.owned.push_back(Owned::Staged(block));
            self.chunks.push_back(None);
        }
    }

    /// Appends a borrowed chunk passed by reference, after everything staged so far.
    #[inline]
    fn push_borrowed(&mut self, bytes: &'a [u8]) {
        self.seal_tail();
        self.chunks.push_back(Some(bytes));
    }

    /// Appends an owned chunk passed by reference, after everything staged so far.
    fn push_owned(&mut self, owned: Owned) {
        self.seal_tail();
        self.owned.push_back(owned);
        self.chunks.push_back(None);
    }

    /// The unwritten bytes, entry by entry, in order; none is empty.
    pub(crate) fn pieces(&self) -> Pieces<'_, 'a> {
        Pieces {
            chunks: self.chunks.iter(),
            owned: self.owned.iter(),
            tail: Some(&self.tail[..]).filter(|t| !t.is_empty()),
            head: self.head,
        }
    }

    /// Returns a sealed staging block to the spare list, if it is worth keeping.
    fn recycle(spare: &mut Vec<Vec<u8>>, arena_size: usize, entry: Owned) {
        if let Owned::Staged(mut block) = entry {
            if spare.len() < MAX_SPARE_BLOCKS && block.capacity() == arena_size {
                block.clear();
                spare.push(block);
            }
        }
    }

    /// Fills `dst` with the queued bytes in order, one slice per chunk, and returns how many
    /// slices it filled. The bytes are not consumed: call [`consume`](Self::consume) with
    /// the count your write accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{IoSlice, Write};
    ///
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("head ");
    /// queue.push(vec![b'b'; 600]);
    /// let mut slices = [IoSlice::new(&[]); 8];
    /// let n = queue.io_slices(&mut slices);
    /// let written = Vec::new().write_vectored(&slices[..n])?;
    /// queue.consume(written)?;
    /// assert!(queue.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn io_slices<'b>(&'b self, dst: &mut [IoSlice<'b>]) -> usize {
        let mut filled = 0;
        for (slot, piece) in dst.iter_mut().zip(self.pieces()) {
            *slot = IoSlice::new(piece);
            filled += 1;
        }
        filled
    }

    /// Drops the first `n` queued bytes, as written by a call of your own.
    ///
    /// # Errors
    ///
    /// [`Overrun`] if `n` exceeds [`len`](Self::len); the queue is unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("hello");
    /// queue.consume(2)?;
    /// assert_eq!(queue.len(), 3);
    /// assert!(queue.consume(4).is_err());
    /// # Ok::<(), vectored::Overrun>(())
    /// ```
    pub fn consume(&mut self, n: usize) -> std::result::Result<(), Overrun> {
        if n > self.len {
            return Err(Overrun::new(n, self.len));
        }
        self.len -= n;
        self.consume_messages(n);
        let arena_size = self.opts.arena_size;
        if self.len == 0 {
            // Everything written: the common case after a flush.
            self.head = 0;
            self.tail.clear();
            self.chunks.clear();
            for entry in self.owned.drain(..) {
                Self::recycle(&mut self.spare, arena_size, entry);
            }
            return Ok(());
        }
        let mut left = n;
        while left > 0 {
            let front = match self.chunks.front() {
                Some(Some(borrowed)) => borrowed.len(),
                Some(None) => self.owned.front().map_or(0, |o| o.as_bytes().len()),
                None => {
                    // Inside the open staging block, which still holds the rest.
                    self.head += left;
                    break;
                }
            };
            let rest = front - self.head;
            if left < rest {
                self.head += left;
                break;
            }
            left -= rest;
            self.head = 0;
            if let Some(None) = self.chunks.pop_front() {
                if let Some(entry) = self.owned.pop_front() {
                    Self::recycle(&mut self.spare, arena_size, entry);
                }
            }
        }
        Ok(())
    }

    /// Removes every queued byte and message mark without writing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("abc");
    /// queue.clear();
    /// assert!(queue.is_empty());
    /// ```
    pub fn clear(&mut self) {
        let len = self.len;
        // Cannot fail: `len` is exactly what is queued.
        let _ = self.consume(len);
        self.messages.clear();
        self.marked = 0;
    }

    /// Applies a consumption of `n` bytes to the message marks: messages written completely
    /// (by a message or stream flush, or `consume`) are gone, with empty messages before the
    /// stop; a message written in part stays the front message, shortened; empty messages at
    /// the stop stay, to be sent next.
    fn consume_messages(&mut self, n: usize) {
        let mut left = n.min(self.marked);
        self.marked -= left;
        while left > 0 {
            let Some(front) = self.messages.front_mut() else {
                break;
            };
            if *front <= left {
                left -= *front;
                self.messages.pop_front();
            } else {
                *front -= left;
                left = 0;
            }
        }
    }

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
        let mut gather = Gather::<_, _, IOV_MAX>::new(self.pieces(), IOV_MAX, MAX_BYTES_PER_CALL);
        let result = write_loop(
            &mut gather,
            |window, _| writer.write_vectored(window),
            Err,
            no_hook,
        );
        let done = gather.transferred();
        drop(gather);
        self.commit(done);
        result
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
        let mut gather = Gather::<_, _, IOV_MAX>::new(self.pieces(), IOV_MAX, MAX_BYTES_PER_CALL);
        let result = write_fd_loop(fd.as_fd(), &mut gather, opts);
        let done = gather.transferred();
        drop(gather);
        self.commit(done);
        result
    }

    /// Records `n` bytes written by a loop over [`pieces`](Self::pieces).
    fn commit(&mut self, n: usize) {
        // The loops never report more than they were offered, which is at most `len`.
        let committed = self.consume(n);
        debug_assert!(committed.is_ok());
    }

    /// Marks the bytes pushed since the previous mark as one message, for
    /// [`write_messages_to`](Self::write_messages_to) and
    /// [`write_messages_to_fd`](Self::write_messages_to_fd). A mark with nothing pushed
    /// since the previous one makes an empty message (a zero-length datagram on a socket).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push("header|");
    /// queue.push("payload");
    /// queue.end_message();
    /// queue.push("unfinished");
    /// assert_eq!(queue.messages(), 1);
    /// ```
    pub fn end_message(&mut self) {
        self.messages.push_back(self.len - self.marked);
        self.marked = self.len;
    }

    /// Complete messages waiting to be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.end_message();
    /// assert_eq!(queue.messages(), 1);
    /// ```
    pub fn messages(&self) -> usize {
        self.messages.len()
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
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) when a message needs more than
    /// [`IOV_MAX`] iovecs or more than [`MAX_BYTES_PER_CALL`] bytes (nothing of it is
    /// written); [`Other`](io::ErrorKind::Other) when the writer took only part of a message
    /// (the rest stays queued as the front message); the writer's errors otherwise. In every
    /// case [`transferred`](Error::transferred) counts the bytes written by this call.
    pub fn write_messages_to<W: Write + ?Sized>(&mut self, writer: &mut W) -> Result<usize> {
        self.send_messages(|window| writer.write_vectored(window), Err, no_hook)
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
        let writer = FdWriter::new(fd.as_fd(), opts)?;
        writer.run(|| {
            self.send_messages(
                |window| writer.write(window),
                |e| writer.not_ready(e),
                || writer.interrupted(),
            )
        })
    }

    /// Sends complete messages one call each; see [`write_messages_to`](Self::write_messages_to).
    fn send_messages(
        &mut self,
        mut write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
        mut not_ready: impl FnMut(io::Error) -> io::Result<()>,
        mut interrupted: impl FnMut() -> io::Result<()>,
    ) -> Result<usize> {
        let mut sent = 0;
        while let Some(&message) = self.messages.front() {
            let outcome = self.send_one(message, &mut write, &mut not_ready, &mut interrupted);
            let failure = match outcome {
                Ok(0) if message == 0 => {
                    self.messages.pop_front();
                    continue;
                }
                // Consuming the whole message also drops its mark.
                Ok(n) if n == message => {
                    self.commit(n);
                    sent += n;
                    continue;
                }
                Ok(n) if n < message => {
                    self.commit(n);
                    sent += n;
                    io::Error::other(format!(
                        "message torn: the call wrote {n} of its {message} bytes; the rest is still queued"
                    ))
                }
                Ok(n) => Overrun::new(n, message).into(),
                Err(e) => e,
            };
            return Err(Error::new(failure, sent));
        }
        Ok(sent)
    }

    /// Makes the one call for the front message of `message` bytes, retrying only calls that
    /// transferred nothing (`EINTR`, `EAGAIN` after a wait).
    fn send_one(
        &self,
        message: usize,
        write: &mut impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
        not_ready: &mut impl FnMut(io::Error) -> io::Result<()>,
        interrupted: &mut impl FnMut() -> io::Result<()>,
    ) -> io::Result<usize> {
        let pieces = TakeBytes {
            inner: self.pieces(),
            left: message,
        };
        let mut gather = Gather::<_, _, IOV_MAX>::new(pieces, IOV_MAX, MAX_BYTES_PER_CALL);
        let window = gather.window();
        let (iovecs, offered) = (window.len(), gather.window_bytes());
        if offered != message {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "message of {message} bytes cannot be sent in one call (it needs more than \
                     {IOV_MAX} iovecs or {MAX_BYTES_PER_CALL} bytes; {iovecs} iovecs hold \
                     {offered} bytes)"
                ),
            ));
        }
        let window = gather.window();
        loop {
            match write(window) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => interrupted()?,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => not_ready(e)?,
                other => return other,
            }
        }
    }
}

/// The unwritten bytes of a queue, entry by entry; see [`WriteQueue::pieces`].
pub(crate) struct Pieces<'q, 'a> {
    chunks: std::collections::vec_deque::Iter<'q, Option<&'a [u8]>>,
    owned: std::collections::vec_deque::Iter<'q, Owned>,
    tail: Option<&'q [u8]>,
    /// Bytes to skip at the start of the next piece (the first one only).
    head: usize,
}

impl<'q> Iterator for Pieces<'q, '_> {
    type Item = &'q [u8];

    #[inline]
    fn next(&mut self) -> Option<&'q [u8]> {
        let piece = match self.chunks.next() {
            Some(Some(borrowed)) => borrowed,
            Some(None) => self.owned.next()?.as_bytes(),
            None => self.tail.take()?,
        };
        Some(&piece[std::mem::take(&mut self.head)..])
    }
}

/// The first `left` bytes of a stream of pieces.
struct TakeBytes<I> {
    inner: I,
    left: usize,
}

impl<'q, I: Iterator<Item = &'q [u8]>> Iterator for TakeBytes<I> {
    type Item = &'q [u8];

    fn next(&mut self) -> Option<&'q [u8]> {
        if self.left == 0 {
            return None;
        }
        let piece = self.inner.next()?;
        let piece = &piece[..piece.len().min(self.left)];
        self.left -= piece.len();
        Some(piece)
    }
}

/// Appends copies through [`push_copy`](WriteQueue::push_copy), so `write!` builds headers in
/// the staging arena. `flush` does nothing: the queue is written by
/// [`write_to`](WriteQueue::write_to) and friends.
impl Write for WriteQueue<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push_copy(buf);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.push_copy(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a, C: Into<Chunk<'a>>> Extend<C> for WriteQueue<'a> {
    fn extend<T: IntoIterator<Item = C>>(&mut self, iter: T) {
        for chunk in iter {
            self.push(chunk);
        }
    }
}

impl fmt::Debug for WriteQueue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteQueue")
            .field("len", &self.len)
            .field("iovecs", &self.iovecs())
            .field("messages", &self.messages.len())
            .field("options", &self.opts)
            .finish_non_exhaustive()
    }
}

/// The queue as a [`bytes::Buf`], for APIs such as tokio's `write_all_buf`.
///
/// `chunks_vectored` exposes the chunks strictly in order, starting with the unwritten part
/// of the front chunk; `advance` consumes like [`consume`](WriteQueue::consume) and panics if
/// asked to go past the end, as the `Buf` contract allows.
#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl bytes::Buf for WriteQueue<'_> {
    fn remaining(&self) -> usize {
        self.len
    }

    fn chunk(&self) -> &[u8] {
        self.pieces().next().unwrap_or(&[])
    }

    fn advance(&mut self, cnt: usize) {
        if let Err(overrun) = self.consume(cnt) {
            panic!("cannot advance a WriteQueue past its end: {overrun}");
        }
    }

    fn chunks_vectored<'b>(&'b self, dst: &mut [IoSlice<'b>]) -> usize {
        self.io_slices(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut WriteQueue<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        queue.write_to(&mut out).unwrap();
        out
    }

    #[test]
    fn small_chunks_share_a_staging_block() {
        let mut queue = WriteQueue::new();
        for i in 0..100u8 {
            queue.push(vec![i; 16]);
        }
        assert_eq!(queue.iovecs(), 1);
        let out = drain(&mut queue);
        assert_eq!(out.len(), 1600);
        assert!(out
            .chunks(16)
            .enumerate()
            .all(|(i, c)| c.iter().all(|&b| usize::from(b) == i)));
    }

    #[test]
    fn large_chunks_are_kept_and_order_is_preserved() {
        let big = vec![9u8; 4096];
        let mut queue = WriteQueue::new();
        queue.push("a");
        queue.push(&big[..]);
        queue.push("b");
        assert_eq!(queue.iovecs(), 3);
        let out = drain(&mut queue);
        assert_eq!(out[0], b'a');
        assert_eq!(&out[1..4097], &big[..]);
        assert_eq!(out[4097], b'b');
    }

    #[test]
    fn threshold_boundary() {
        let mut queue = WriteQueue::with_options(QueueOptions::new().copy_threshold(10));
        queue.push(vec![0u8; 9]);
        queue.push(vec![0u8; 9]);
        assert_eq!(queue.iovecs(), 1);
        queue.push(vec![0u8; 10]);
        assert_eq!(queue.iovecs(), 2);
    }

    #[test]
    fn arena_blocks_roll_over_and_are_recycled() {
        let opts = QueueOptions::new().copy_threshold(8).arena_size(32);
        let mut queue = WriteQueue::with_options(opts);
        for _ in 0..10 {
            queue.push_copy(&[1u8; 7]);
        }
        // 4 records of 7 bytes fit a 32-byte block.
        assert_eq!(queue.iovecs(), 3);
        drain(&mut queue);
        // The two sealed blocks are kept for reuse; the open block is kept as it is.
        assert_eq!(queue.spare.len(), 2);
        assert_eq!(queue.iovecs(), 0);
        for _ in 0..5 {
            queue.push_copy(&[2u8; 7]);
        }
        assert_eq!(queue.spare.len(), 1);
        assert_eq!(queue.iovecs(), 2);
    }

    #[test]
    fn consume_inside_and_across_chunks() {
        let mut queue = WriteQueue::with_options(QueueOptions::new().copy_threshold(0));
        queue.push("abc");
        queue.push("def");
        queue.consume(2).unwrap();
        assert_eq!(queue.len(), 4);
        assert_eq!(queue.pieces().collect::<Vec<_>>(), [&b"c"[..], b"def"]);
        queue.consume(2).unwrap();
        assert_eq!(queue.pieces().collect::<Vec<_>>(), [&b"ef"[..]]);
        assert!(queue.consume(3).is_err());
        assert_eq!(queue.len(), 2);
    }

    struct ShortThenFail {
        out: Vec<u8>,
        budget: usize,
    }

    impl Write for ShortThenFail {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.budget).min(5);
            self.out.extend_from_slice(&buf[..n]);
            self.budget -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn queue_keeps_exactly_the_unwritten_bytes_after_would_block() {
        let mut queue = WriteQueue::with_options(QueueOptions::new().copy_threshold(4));
        queue.push("abc");
        queue.push("defghij");
        queue.push("k");
        let mut w = ShortThenFail {
            out: Vec::new(),
            budget: 7,
        };
        let err = queue.write_to(&mut w).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WouldBlock, 7)
        );
        assert_eq!(queue.len(), 4);
        w.budget = usize::MAX;
        assert_eq!(queue.write_to(&mut w).unwrap(), 4);
        assert_eq!(w.out, b"abcdefghijk");
    }

    #[test]
    fn messages_are_sent_whole_and_oversized_ones_refused() {
        let mut queue = WriteQueue::with_options(QueueOptions::new().copy_threshold(0));
        let parts: Vec<[u8; 1]> = (0..=IOV_MAX).map(|i| [i.to_le_bytes()[0]]).collect();
        for p in &parts {
            queue.push(&p[..]);
        }
        queue.end_message();
        let mut out = Vec::new();
        let err = queue.write_messages_to(&mut out).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidInput, 0)
        );
        assert!(out.is_empty());
        assert_eq!(queue.len(), IOV_MAX + 1);
        // As a stream it goes out fine.
        assert_eq!(queue.write_to(&mut out).unwrap(), IOV_MAX + 1);
    }

    #[test]
    fn torn_message_keeps_the_rest() {
        let mut queue = WriteQueue::new();
        queue.push("hello");
        queue.end_message();
        let mut w = ShortThenFail {
            out: Vec::new(),
            budget: 3,
        };
        let err = queue.write_messages_to(&mut w).unwrap_err();
        assert_eq!((err.kind(), err.transferred()), (io::ErrorKind::Other, 3));
        assert_eq!((queue.len(), queue.messages()), (2, 1));
    }

    #[test]
    fn empty_message_makes_one_empty_call() {
        let mut queue = WriteQueue::new();
        queue.end_message();
        queue.push("x");
        queue.end_message();
        let mut out = Vec::new();
        assert_eq!(queue.write_messages_to(&mut out).unwrap(), 1);
        assert_eq!(queue.messages(), 0);
    }

    #[test]
    fn stream_flush_past_message_marks_drops_them() {
        let mut queue = WriteQueue::new();
        queue.push("one");
        queue.end_message();
        queue.push("two");
        queue.end_message();
        queue.push("three");
        queue.end_message();
        queue.consume(5).unwrap(); // "one" and "tw"
        assert_eq!(queue.messages(), 2);
        queue.end_message(); // empty, after "three"
        let mut out = Vec::new();
        assert_eq!(queue.write_messages_to(&mut out).unwrap(), 6);
        assert_eq!(out, b"othree");
        assert_eq!(queue.messages(), 0, "the empty message was sent too");
        queue.push("four");
        queue.end_message();
        drain(&mut queue);
        assert_eq!(queue.messages(), 0);
        assert_eq!(queue.write_messages_to(&mut out).unwrap(), 0);
    }

    #[test]
    fn write_impl_and_extend() {
        let mut queue = WriteQueue::new();
        write!(queue, "{}-{}", 1, 2).unwrap();
        queue.extend(["a", "b"]);
        assert_eq!(drain(&mut queue), b"1-2ab");
    }

    #[test]
    fn clear_drops_everything() {
        let mut queue = WriteQueue::new();
        queue.push("abc");
        queue.end_message();
        queue.clear();
        assert!(queue.is_empty());
        assert_eq!(queue.messages(), 0);
        assert_eq!(queue.iovecs(), 0);
    }

    #[test]
    fn queue_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<WriteQueue<'static>>();
        check::<WriteQueue<'_>>();
    }
}
