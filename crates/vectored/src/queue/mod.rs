//! An owned gather queue: append chunks of any owned (or borrowed) kind, flush them with as
//! few system calls as the kernel allows.
//!
//! Tiny chunks are copied into a staging arena so that a run of them becomes one iovec (one
//! iovec costs the kernel about as much as copying 400–500 bytes on this project's machines);
//! larger chunks are passed by reference. See [`QueueOptions`] for the numbers behind the
//! defaults.
//!
//! This module is pure data: it offers its bytes ([`WriteQueue::pieces`], the message front)
//! and accepts counts ([`WriteQueue::consume`]); the flushing loops are in `crate::flush`.

mod arena;
#[cfg(feature = "bytes")]
mod buf;
mod chunk;
mod message;
mod options;

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, Write};

use crate::cursor::Overrun;

pub use chunk::Chunk;
use chunk::{Owned, Repr};
pub use options::QueueOptions;

/// An owned queue of byte chunks, flushed with vectored writes.
///
/// Push chunks of any kind ([`push`](Self::push), [`push_copy`](Self::push_copy), a list
/// of borrowed chunks with [`push_slices`](Self::push_slices), or `write!` through its
/// [`Write`] impl), then write them out with
/// [`write_to`](Self::write_to) (any `Write`) or [`write_to_fd`](Self::write_to_fd) (an fd,
/// with readiness waits, deadline and `SIGPIPE` protection).
///
/// - **Coalescing:** chunks shorter than the copy threshold are copied into staging blocks
///   (64 KiB, growing), so a run of them becomes one iovec; larger chunks are passed by
///   reference. After a flush to an fd, borrowed chunks are copied only where that saves
///   that fd's kernel more than the copy costs (for `/dev/null`, which copies nothing, only
///   below 96 B; see [`QueueOptions`], "The fd teaches the queue").
/// - **Few system calls:** a flush makes ⌈iovecs / [`IOV_MAX`](crate::IOV_MAX)⌉ calls when the kernel takes
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
    /// Sealed entries, in order, from `front` (those before it are written): a borrowed
    /// chunk (never empty), or an empty entry for the next owned one in `owned`. On Unix
    /// they are iovecs, so a queue of borrowed chunks is offered to the kernel as it is
    /// stored (`as_whole_list`). A `Vec`, not a deque: a push is a store and a length.
    chunks: Vec<Entry<'a>>,
    /// The first unwritten entry of `chunks`.
    front: usize,
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
    /// Emptied staging blocks kept for reuse.
    spare: Vec<Vec<u8>>,
    /// The size of the next new staging block: blocks grow while the queue holds data.
    next_block: usize,
    /// Borrowed chunks shorter than this are copied into the staging block: the copy
    /// threshold, or less once a flush has found that the fd's kernel copies less of what it
    /// is given ([`write_to_fd`](Self::write_to_fd), [`learn_fd_line`](Self::learn_fd_line)).
    borrowed_below: usize,
    opts: QueueOptions,
}

/// How many entries [`WriteQueue::push_slices`] gathers in a local array before it appends
/// them to the queue (1 KiB of stack).
const RUN_BLOCK: usize = 64;

/// [`WriteQueue::push_slices`] gathers a run in a block only if at least this many chunks
/// follow its first: setting up the block costs about as much as the pushes of a dozen
/// chunks one by one save.
const RUN_MIN: usize = 16;

/// Borrowed chunks shorter than this are still copied at push time for a device
/// ([`WriteQueue::learn_fd_line`]). `write_all_fd` draws its device line lower (64 B, and
/// only for a list averaging under it), since its staging is a pass of its own; the queue's
/// copy *replaces* the store of an entry, and the kernel still takes each iovec in (3-5 ns
/// each on /dev/null). Per-cell medians of five
/// rounds (`docs/bench/2026-12-02-s7-queue-learned-line0.txt`), the queue's time over the cell's
/// best, staged against by reference: 1024 x 8 B 1.00 against 1.75, 16 B 1.03 / 1.60, 32 B
/// 1.08 / 1.37, 100000 x 16 B 1.13 / 1.69, 64 B 1.25 / 1.46; by reference wins from 100 B
/// on (10000 x 100 B 2.46 / 1.61, 256 B 2.20 / 1.37; 1024 x 128 B 1.30 / 1.38 is within
/// noise), so the line lies between 64 and 100 B.
#[cfg(unix)]
const DEVICE_LINE: usize = 96;

/// One sealed entry of a queue. On Unix an [`IoSlice`] (an `iovec`), so that borrowed
/// entries are a list the kernel takes as it is; elsewhere a slice (Windows' `IoSlice`
/// holds at most 4 GiB, and there is no fd-level flush to hand a list to).
#[cfg(unix)]
pub(crate) type Entry<'a> = IoSlice<'a>;
/// One sealed entry of a queue (see the Unix definition).
#[cfg(not(unix))]
pub(crate) type Entry<'a> = &'a [u8];

/// The entry for a borrowed chunk, or (empty) the mark of an owned one.
#[inline]
fn entry(bytes: &[u8]) -> Entry<'_> {
    #[cfg(unix)]
    return IoSlice::new(bytes);
    #[cfg(not(unix))]
    return bytes;
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
            chunks: Vec::new(),
            front: 0,
            owned: VecDeque::new(),
            tail: Vec::new(),
            head: 0,
            len: 0,
            messages: VecDeque::new(),
            marked: 0,
            spare: Vec::new(),
            next_block: opts.arena_bytes(),
            borrowed_below: opts.copy_threshold_bytes(),
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
    #[must_use]
    pub fn iovecs(&self) -> usize {
        self.chunks.len() - self.front + usize::from(!self.tail.is_empty())
    }

    /// Appends a chunk: copied into the staging arena if shorter than the copy threshold
    /// (for a borrowed chunk, the line a flush to an fd has taught the queue, if lower: see
    /// [`QueueOptions`]), otherwise kept (moved, not copied) and passed to the kernel by
    /// reference.
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
        match chunk.0 {
            Repr::Borrowed(bytes) if len < self.borrowed_below => self.stage(bytes),
            Repr::Borrowed(bytes) => self.push_borrowed(bytes),
            Repr::Owned(owned) if len < self.opts.copy_threshold_bytes() => {
                self.stage(owned.as_bytes());
            }
            Repr::Owned(owned) => self.push_owned(owned),
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
        // The two common cases inline, for the caller's loop: a copy into the open staging
        // block that fits, and a chunk passed by reference with nothing staged before it.
        // Starting a block and sealing one are calls.
        let len = bytes.len();
        if len < self.borrowed_below {
            self.stage(bytes);
        } else if self.tail.is_empty() && len > 0 {
            self.chunks.push(entry(bytes));
        } else if len > 0 {
            self.push_borrowed(bytes);
        }
        self.len += len;
    }

    /// Appends every chunk of a list, in order: the same as [`push_slice`](Self::push_slice)
    /// on each (the same entries, the same staging), but a run of chunks passed by reference
    /// costs about half as much, because the queue's bookkeeping stays in registers across
    /// the run, where one push at a time reloads and stores it for every chunk. Pushing and
    /// flushing 1024 chunks of 1 KiB to `/dev/null`: 26,029 instructions one by one, 15,578
    /// with this, against 5,353 for `write_all_fd` of a list already built (callgrind,
    /// `docs/bench/2026-12-03-s8-queue-callgrind.txt`).
    ///
    /// # Examples
    ///
    /// ```
    /// let records: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; 1000]).collect();
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.push_slices(&records);
    /// assert_eq!(queue.len(), 100 * 1000);
    /// assert_eq!(queue.iovecs(), 100); // passed by reference, one iovec each
    ///
    /// let mut out = Vec::new();
    /// queue.write_to(&mut out)?;
    /// assert_eq!(out, records.concat());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn push_slices<S: AsRef<[u8]>>(&mut self, chunks: &'a [S]) {
        // Nothing below changes the line; read once, it stays in a register.
        let line = self.borrowed_below;
        let mut rest = chunks;
        while let Some((first, after)) = rest.split_first() {
            let bytes: &'a [u8] = first.as_ref();
            rest = after;
            if bytes.len() < line {
                // `push_slice`'s first case, written out: called, it is not inlined here.
                self.stage(bytes);
                self.len += bytes.len();
            } else if !bytes.is_empty() && self.tail.is_empty() && rest.len() >= RUN_MIN {
                self.push_run_by_reference(bytes, &mut rest);
            } else {
                self.push_slice(bytes);
            }
        }
    }

    /// Appends `first` (a chunk that goes by reference, with nothing staged) and the chunks
    /// of `rest` that follow it by reference, then pushes the chunk that ended the run, if
    /// any, with [`push_slice`](Self::push_slice), leaving `rest` after it. The entries are
    /// gathered [`RUN_BLOCK`] at a time in a local array and appended with one copy each
    /// time: the loop stores nothing the compiler must assume changes the queue's fields, so
    /// they stay in registers (one push at a time reloads and stores them for every chunk).
    /// Each chunk's `as_ref` is called once, so a chunk that answers differently each time
    /// cannot make the entries and the byte count disagree, and one that panics leaves the
    /// queue holding exactly the chunks appended before its block.
    fn push_run_by_reference<S: AsRef<[u8]>>(&mut self, first: &'a [u8], rest: &mut &'a [S]) {
        let below = self.borrowed_below.max(1);
        self.chunks.reserve(rest.len() + 1);
        self.chunks.push(entry(first));
        self.len += first.len();
        let mut block = [entry(&[]); RUN_BLOCK];
        loop {
            let mut filled = 0;
            let mut added = 0;
            let mut odd = None;
            for (slot, chunk) in block.iter_mut().zip(rest.iter()) {
                let bytes: &'a [u8] = chunk.as_ref();
                if bytes.len() < below {
                    odd = Some(bytes);
                    break;
                }
                *slot = entry(bytes);
                filled += 1;
                added += bytes.len();
            }
            self.chunks.extend_from_slice(&block[..filled]);
            self.len += added;
            *rest = &rest[filled + usize::from(odd.is_some())..];
            if let Some(odd) = odd {
                self.push_slice(odd);
                return;
            }
            if rest.is_empty() {
                return;
            }
        }
    }

    /// Adopts the staging line of the fd a stream flush has just classified (`line`: the
    /// one `write_all_fd` uses, or 0 for a device, which copies nothing), never above the copy
    /// threshold: from now on a borrowed chunk is copied at push time only where that saves
    /// the kernel more than the copy costs, so that a queue flushed to `/dev/null` again and
    /// again does not copy its 256-byte chunks for nothing. For a device the line is
    /// [`DEVICE_LINE`], not 0. [`end_message`](Self::end_message) restores the copy threshold
    /// (a message must fit one call's iovecs).
    #[cfg(unix)]
    pub(crate) fn learn_fd_line(&mut self, line: usize) {
        let line = if line == 0 { DEVICE_LINE } else { line };
        self.borrowed_below = self.opts.copy_threshold_bytes().min(line);
    }

    /// The unwritten bytes, entry by entry, in order; none is empty.
    pub(crate) fn pieces(&self) -> Pieces<'_, 'a> {
        Pieces {
            chunks: self.chunks[self.front..].iter(),
            owned: self.owned.iter(),
            tail: Some(&self.tail[..]).filter(|t| !t.is_empty()),
            head: self.head,
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

    /// The queue as one list the kernel takes as it is stored, when it is one: borrowed
    /// chunks only (nothing owned or staged), none of them partly written, at most
    /// [`IOV_MAX`](crate::IOV_MAX) of them. A write call of it needs no window built.
    #[cfg(unix)]
    pub(crate) fn as_whole_list(&self) -> Option<&[IoSlice<'a>]> {
        self.as_borrowed_list()
            .filter(|list| list.len() <= crate::IOV_MAX)
    }

    /// The queue as a list of iovecs as it is stored, of any length, when it holds borrowed
    /// chunks only (nothing owned or staged), none of them partly written: what a
    /// write-all loop can run a cursor over, with no window built from the entries.
    #[cfg(unix)]
    pub(crate) fn as_borrowed_list(&self) -> Option<&[IoSlice<'a>]> {
        let borrowed_only = self.owned.is_empty() && self.tail.is_empty() && self.head == 0;
        let list = &self.chunks[self.front..];
        (borrowed_only && !list.is_empty()).then_some(list)
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
        if self.len == 0 {
            let opts = self.opts;
            // Everything written: the common case after a flush.
            self.head = 0;
            self.tail.clear();
            self.chunks.clear();
            self.front = 0;
            // The next batch starts again from the first block size.
            self.next_block = opts.arena_bytes();
            for entry in self.owned.drain(..) {
                match entry {
                    // The open block was sealed (a chunk passed by reference followed it)
                    // and none opened since: the sealed block opens again, rather than going
                    // to the spare list to be taken back by the next push.
                    Owned::Staged(mut block) if self.tail.capacity() == 0 => {
                        block.clear();
                        self.tail = block;
                    }
                    entry => Self::recycle_block(&mut self.spare, opts, entry),
                }
            }
            return Ok(());
        }
        let mut left = n;
        while left > 0 {
            let front = match self.chunks.get(self.front) {
                Some(borrowed) if !borrowed.is_empty() => borrowed.len(),
                Some(_) => self.owned.front().map_or(0, |o| o.as_bytes().len()),
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
            self.pop_entry();
        }
        Ok(())
    }

    /// Pops the front entry, and its owned bytes if it is the mark of an owned entry. The
    /// written entries are dropped from `chunks` once they are at least half of it (and
    /// 1024), so a queue that is never emptied keeps its list bounded, at amortised O(1)
    /// per entry.
    fn pop_entry(&mut self) {
        let Some(front) = self.chunks.get(self.front) else {
            return;
        };
        if front.is_empty() {
            if let Some(entry) = self.owned.pop_front() {
                Self::recycle_block(&mut self.spare, self.opts, entry);
            }
        }
        self.front += 1;
        if self.front >= 1024 && 2 * self.front >= self.chunks.len() {
            self.chunks.drain(..self.front);
            self.front = 0;
        }
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

    /// Records `n` bytes written by a loop over [`pieces`](Self::pieces).
    pub(crate) fn commit(&mut self, n: usize) {
        // The loops never report more than they were offered, which is at most `len`.
        let committed = self.consume(n);
        debug_assert!(committed.is_ok());
    }
}

/// The unwritten bytes of a queue, entry by entry; see [`WriteQueue::pieces`].
pub(crate) struct Pieces<'q, 'a> {
    chunks: std::slice::Iter<'q, Entry<'a>>,
    owned: std::collections::vec_deque::Iter<'q, Owned>,
    tail: Option<&'q [u8]>,
    /// Bytes to skip at the start of the next piece (the first one only).
    head: usize,
}

impl<'q> Iterator for Pieces<'q, '_> {
    type Item = &'q [u8];

    #[inline]
    fn next(&mut self) -> Option<&'q [u8]> {
        let piece: &[u8] = match self.chunks.next() {
            Some(borrowed) if !borrowed.is_empty() => borrowed,
            Some(_) => self.owned.next()?.as_bytes(),
            None => self.tail.take()?,
        };
        Some(&piece[std::mem::take(&mut self.head)..])
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::IOV_MAX;

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
        let opts = QueueOptions::new()
            .copy_threshold(8)
            .arena_size(32)
            .max_arena_size(0);
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
        short_call_then_the_rest(&mut queue, b"abcdefghijk");
    }

    /// Flushes `queue` into a writer that takes 7 bytes (5 per call) and then refuses with
    /// `WouldBlock`, checks the error and what is left, then flushes the rest; the writer
    /// must have got exactly `expected`.
    fn short_call_then_the_rest(queue: &mut WriteQueue<'_>, expected: &[u8]) {
        let mut w = ShortThenFail {
            out: Vec::new(),
            budget: 7,
        };
        let err = queue.write_to(&mut w).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WouldBlock, 7)
        );
        assert_eq!(queue.len(), expected.len() - 7);
        w.budget = usize::MAX;
        assert_eq!(queue.write_to(&mut w).unwrap(), expected.len() - 7);
        assert_eq!(w.out, expected);
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
    fn extend_copied_matches_push_copy() {
        let pieces: Vec<Vec<u8>> = (0..3000usize)
            .map(|i| vec![u8::try_from(i % 251).unwrap(); i % 300])
            .collect();
        let mut bulk = WriteQueue::new();
        bulk.extend_copied(pieces.iter().map(Vec::as_slice));
        let mut one_by_one = WriteQueue::new();
        for piece in &pieces {
            one_by_one.push_copy(piece);
        }
        assert_eq!(bulk.len(), one_by_one.len());
        assert_eq!(bulk.iovecs(), one_by_one.iovecs());
        assert_eq!(drain(&mut bulk), pieces.concat());
        assert_eq!(drain(&mut one_by_one), pieces.concat());
    }

    #[test]
    fn push_copy_of_more_than_a_block_is_one_entry() {
        let opts = QueueOptions::new().copy_threshold(8).arena_size(32);
        let mut queue = WriteQueue::with_options(opts);
        queue.push_copy(b"ab");
        queue.push_copy(&[7u8; 100]);
        queue.push_copy(b"cd");
        assert_eq!(queue.iovecs(), 3);
        let mut expected = b"ab".to_vec();
        expected.extend([7u8; 100]);
        expected.extend(b"cd");
        assert_eq!(drain(&mut queue), expected);
    }

    #[test]
    fn recycle_keeps_staging_blocks_across_lifetimes() {
        let opts = QueueOptions::new()
            .copy_threshold(16)
            .arena_size(64)
            .max_arena_size(64)
            .spare_blocks(8);
        let mut idle: WriteQueue<'static> = WriteQueue::with_options(opts);
        for _ in 0..20 {
            idle.push_copy(&[1u8; 10]); // 6 per 64-byte block: 4 blocks
        }
        idle.end_message();
        assert_eq!(idle.iovecs(), 4);
        let body = vec![2u8; 100];
        {
            let mut queue: WriteQueue<'_> = idle.recycle();
            assert!(queue.is_empty());
            assert_eq!((queue.messages(), queue.iovecs()), (0, 0));
            // The 3 sealed blocks are spare; the open block is kept open.
            assert_eq!(queue.spare.len(), 3);
            let open = queue.tail.as_ptr();
            queue.push_copy(b"head ");
            assert_eq!(queue.tail.as_ptr(), open, "no new block");
            queue.push_slice(&body);
            assert_eq!(queue.tail.capacity(), 0, "sealed by push_slice");
            let mut expected = b"head ".to_vec();
            expected.extend(&body);
            assert_eq!(drain(&mut queue), expected);
            assert_eq!(queue.tail.as_ptr(), open, "the sealed block is open again");
            assert!(queue.tail.is_empty());
            idle = queue.recycle();
        }
        assert_eq!(idle.options(), opts);
        assert_eq!(idle.spare.len(), 3);
    }

    #[test]
    fn spare_blocks_limit_is_honoured() {
        let opts = QueueOptions::new()
            .copy_threshold(16)
            .arena_size(64)
            .spare_blocks(1);
        let mut queue = WriteQueue::with_options(opts);
        for _ in 0..30 {
            queue.push_copy(&[1u8; 10]);
        }
        drain(&mut queue);
        assert_eq!(queue.spare.len(), 1);
        // The largest sealed block is the one kept.
        assert_eq!(queue.spare[0].capacity(), 128);
    }

    #[test]
    fn staging_blocks_double_up_to_the_largest_size() {
        let opts = QueueOptions::new()
            .copy_threshold(8)
            .arena_size(32)
            .max_arena_size(128)
            .spare_blocks(8);
        let mut queue = WriteQueue::with_options(opts);
        let mut expected = Vec::new();
        for i in 0..100u8 {
            queue.push_copy(&[i; 4]);
            expected.extend([i; 4]);
        }
        // 400 bytes in blocks of 32, 64, 128, 128, 128 (the open one holds 48).
        let sizes: Vec<usize> = queue
            .owned
            .iter()
            .map(|entry| entry.as_bytes().len())
            .chain([queue.tail.len()])
            .collect();
        assert_eq!(sizes, [32, 64, 128, 128, 48]);
        assert_eq!(queue.tail.capacity(), 128);
        assert_eq!(drain(&mut queue), expected);
        // Emptied: the next batch starts at the first size again, reusing a kept block
        // (the open 128-byte block stays open).
        assert_eq!(queue.next_block, 32);
        for i in 0..100u8 {
            queue.push_copy(&[i; 4]);
        }
        assert_eq!(queue.iovecs(), 4, "128 + 128 + 128 + 16");
        assert_eq!(drain(&mut queue), expected);
    }

    #[test]
    fn growth_keeps_exact_progress_across_blocks() {
        let mut queue = WriteQueue::with_options(
            QueueOptions::new()
                .copy_threshold(8)
                .arena_size(16)
                .max_arena_size(64),
        );
        let mut expected = Vec::new();
        for i in 0..60u8 {
            queue.push_copy(&[i, i.wrapping_add(1), i.wrapping_add(2)]);
            expected.extend([i, i.wrapping_add(1), i.wrapping_add(2)]);
        }
        // Consume in odd steps across block boundaries, checking what is left each time.
        let mut done = 0;
        for step in [5, 11, 16, 1, 40, 33, 64] {
            queue.consume(step).unwrap();
            done += step;
            assert_eq!(queue.len(), expected.len() - done);
            let rest: Vec<u8> = queue.pieces().flatten().copied().collect();
            assert_eq!(rest, expected[done..]);
        }
        assert_eq!(drain(&mut queue), expected[done..]);
    }

    #[test]
    fn a_smaller_largest_size_means_fixed_blocks() {
        for opts in [
            QueueOptions::new()
                .copy_threshold(8)
                .max_arena_size(0)
                .arena_size(32),
            QueueOptions::new()
                .copy_threshold(8)
                .arena_size(32)
                .max_arena_size(0),
        ] {
            assert_eq!(opts.max_arena_size_bytes(), 32);
            assert_eq!(opts.next_block_bytes(32), 32);
        }
        let opts = QueueOptions::new();
        assert_eq!(opts.next_block_bytes(64 * 1024), 128 * 1024);
        assert_eq!(opts.next_block_bytes(1024 * 1024), 1024 * 1024);
        assert_eq!(opts.next_block_bytes(usize::MAX), 1024 * 1024);
    }

    struct Scripted(Vec<io::Result<usize>>);

    impl Write for Scripted {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.0.remove(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn message_calls_are_retried_only_when_nothing_was_written() {
        let mut queue = WriteQueue::new();
        queue.push("abc");
        queue.end_message();
        queue.push("de");
        queue.end_message();
        let mut w = Scripted(vec![Err(io::ErrorKind::Interrupted.into()), Ok(3), Ok(0)]);
        let err = queue.write_messages_to(&mut w).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WriteZero, 3)
        );
        assert_eq!((queue.len(), queue.messages()), (2, 1));
        let mut w = Scripted(vec![Ok(5)]);
        let err = queue.write_messages_to(&mut w).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidData, 0),
            "an over-claim is not recorded"
        );
        assert_eq!((queue.len(), queue.messages()), (2, 1));
    }

    #[cfg(unix)]
    #[test]
    fn borrowed_chunks_are_offered_as_stored() {
        let data = vec![5u8; 4096];
        let mut queue = WriteQueue::new();
        assert!(queue.as_whole_list().is_none(), "empty");
        for i in 0..IOV_MAX {
            queue.push_slice(&data[i % 3..]);
        }
        let list: Vec<(usize, usize)> = queue
            .as_whole_list()
            .unwrap()
            .iter()
            .map(|s| (s.as_ptr() as usize, s.len()))
            .collect();
        let expected: Vec<(usize, usize)> = (0..IOV_MAX)
            .map(|i| (data[i % 3..].as_ptr() as usize, data.len() - i % 3))
            .collect();
        assert_eq!(list, expected);
        // One more is more than one call may offer.
        queue.push_slice(&data);
        assert!(queue.as_whole_list().is_none(), "IOV_MAX + 1 entries");
        queue.clear();
        // Anything owned or staged, or a partly written front, is not the list as stored.
        queue.push_slice(&data);
        queue.push_slice(b"tiny");
        assert!(queue.as_whole_list().is_none(), "staged tail");
        queue.push_slice(&data);
        assert!(queue.as_whole_list().is_none(), "sealed staging block");
        queue.clear();
        queue.push(data.clone());
        assert!(queue.as_whole_list().is_none(), "owned chunk");
        queue.clear();
        queue.push_slice(&data);
        queue.push_slice(&data);
        queue.consume(1).unwrap();
        assert!(queue.as_whole_list().is_none(), "front partly written");
        queue.consume(4095).unwrap();
        assert_eq!(queue.as_whole_list().map(<[_]>::len), Some(1));
    }

    /// After a stream flush, borrowed chunks are copied at push time only below the line of
    /// the fd flushed to: below 96 B for a device, 256 B for a socket, the copy threshold
    /// for pipes and files; owned chunks and messages keep the threshold.
    #[cfg(unix)]
    #[test]
    fn a_flush_teaches_the_queue_where_copying_pays() {
        use crate::fd::FdOptions;
        use crate::FdKind;
        use std::os::fd::AsFd;
        use std::os::unix::net::UnixStream;

        // The first flush is more than a short queue (8 KiB), which goes out before the fd
        // is classified.
        fn fresh<'d>(
            big: &'d [u8],
            fd: std::os::fd::BorrowedFd<'_>,
            opts: &FdOptions,
        ) -> WriteQueue<'d> {
            let mut queue = WriteQueue::new();
            queue.push_slice(big);
            queue.write_to_fd(fd, opts).unwrap();
            queue
        }
        fn iovecs_after<'d>(queue: &mut WriteQueue<'d>, data: &'d [u8], len: usize) -> usize {
            queue.clear();
            for _ in 0..100 {
                queue.push_slice(&data[..len]);
            }
            queue.iovecs()
        }
        let data = vec![7u8; 400];
        let big = vec![7u8; 9000];
        let null = std::fs::File::create("/dev/null").unwrap();
        let mut queue = fresh(&big, null.as_fd(), &FdOptions::new());
        assert_eq!(
            iovecs_after(&mut queue, &data, 300),
            100,
            "a device copies nothing"
        );
        assert_eq!(iovecs_after(&mut queue, &data, DEVICE_LINE), 100);
        queue.push(vec![1u8; 20]);
        queue.push(vec![1u8; 20]);
        assert_eq!(queue.iovecs(), 101, "owned small chunks are still staged");
        assert_eq!(
            iovecs_after(&mut queue, &data, 8),
            1,
            "tiny chunks are still copied"
        );
        queue.end_message();
        assert_eq!(
            iovecs_after(&mut queue, &data, 300),
            1,
            "a message restores the threshold"
        );

        let (_r, w) = std::io::pipe().unwrap();
        let mut queue = fresh(&big, w.as_fd(), &FdOptions::new());
        assert_eq!(iovecs_after(&mut queue, &data, 300), 1, "a pipe copies");
        // A declared kind is learned as well (no `fstat`).
        let mut queue = fresh(&big, w.as_fd(), &FdOptions::new().kind(FdKind::Other));
        assert_eq!(iovecs_after(&mut queue, &data, 300), 100);

        let (a, _b) = UnixStream::pair().unwrap();
        let mut queue = fresh(&big, a.as_fd(), &FdOptions::new().kind(FdKind::Socket));
        assert_eq!(
            iovecs_after(&mut queue, &data, 300),
            100,
            "sockets stage below 256 B"
        );
        assert_eq!(iovecs_after(&mut queue, &data, 200), 1);

        // Never above the queue's own threshold.
        let mut queue = WriteQueue::with_options(QueueOptions::new().copy_threshold(100));
        queue.push_slice(&big);
        queue.write_to_fd(w.as_fd(), &FdOptions::new()).unwrap();
        assert_eq!(iovecs_after(&mut queue, &data, 300), 100);
        assert_eq!(iovecs_after(&mut queue, &data, 50), 1);
    }

    /// A queue that is never emptied (a slow peer, written as fast as it is filled) keeps its
    /// list of entries bounded: written entries are dropped once they are half of it.
    #[test]
    fn a_queue_never_emptied_keeps_its_entries_bounded() {
        let data: Vec<u8> = (0..=255u8).cycle().take(600 * 64).collect();
        let chunks: Vec<&[u8]> = data.chunks(600).collect();
        let mut queue = WriteQueue::new();
        queue.push_slice(chunks[0]);
        let mut expected = chunks[0].to_vec();
        let mut written: Vec<u8> = Vec::new();
        for i in 1..20_000 {
            let chunk = chunks[i % chunks.len()];
            queue.push_slice(chunk);
            expected.extend_from_slice(chunk);
            // Write a little less than was pushed, sometimes inside an entry.
            let n = 600 - (i % 3);
            written.extend(queue.pieces().flatten().take(n));
            queue.consume(n).unwrap();
            assert!(
                queue.chunks.len() <= 2 * 1024 + 2 * 100,
                "{}",
                queue.chunks.len()
            );
        }
        written.extend(queue.pieces().flatten());
        assert_eq!(written, expected);
    }

    /// The first call of a flush takes its result as the loop would: an over-claim, a zero
    /// and `WouldBlock` end it with nothing recorded, after one call; `EINTR` is retried.
    #[test]
    fn first_call_results_are_taken_as_the_loop_takes_them() {
        fn fill<'a>(queue: &mut WriteQueue<'a>, data: &'a [u8]) {
            for chunk in data.chunks(600) {
                queue.push_slice(chunk);
            }
        }
        let data = vec![1u8; 100 * 600];
        for (results, kind, calls_made) in [
            (vec![Ok(60_001)], io::ErrorKind::InvalidData, 1),
            (vec![Ok(0)], io::ErrorKind::WriteZero, 1),
            (
                vec![Err(io::ErrorKind::WouldBlock.into())],
                io::ErrorKind::WouldBlock,
                1,
            ),
            (
                vec![Err(io::ErrorKind::Interrupted.into()), Ok(0)],
                io::ErrorKind::WriteZero,
                2,
            ),
        ] {
            let mut queue = WriteQueue::new();
            fill(&mut queue, &data);
            let mut w = Scripted(results);
            let err = queue.write_to(&mut w).unwrap_err();
            assert_eq!((err.kind(), err.transferred()), (kind, 0));
            assert_eq!(queue.len(), data.len(), "nothing recorded");
            assert!(w.0.is_empty(), "{calls_made} calls made");
        }
        // A short first call (of the list as stored), then the loop from where it stopped.
        let mut queue = WriteQueue::new();
        fill(&mut queue, &data);
        short_call_then_the_rest(&mut queue, &data);
    }

    /// The entries a queue offers, as the byte strings of its iovecs, and its length.
    fn layout(queue: &WriteQueue<'_>) -> (Vec<Vec<u8>>, usize) {
        let mut dst = vec![IoSlice::new(&[]); queue.iovecs()];
        let n = queue.io_slices(&mut dst);
        (dst[..n].iter().map(|s| s.to_vec()).collect(), queue.len())
    }

    /// `push_slices` lays a list out exactly as `push_slice` one by one does (the same
    /// iovecs, holding the same bytes), whatever the chunk sizes, the copy threshold, the
    /// learned line, what the queue held before, and runs longer than a block.
    #[test]
    fn push_slices_lays_out_a_list_as_pushes_one_by_one_do() {
        use proptest::prelude::*;
        // Runs of chunks of one size, so that runs by reference span several blocks.
        let runs = proptest::collection::vec(
            (
                prop_oneof![Just(0usize), 1usize..120, 120usize..2000],
                1usize..150,
            ),
            0..8,
        );
        let threshold = prop_oneof![Just(0usize), 0usize..700];
        let before =
            proptest::collection::vec(prop_oneof![Just(0usize), 1usize..40, 600usize..900], 0..3);
        let line = proptest::option::of(prop_oneof![Just(0usize), 1usize..700]);
        proptest!(|(runs in runs, before in before, threshold in threshold, line in line)| {
            let data: Vec<Vec<u8>> = runs
                .iter()
                .flat_map(|&(n, count)| std::iter::repeat_n(n, count))
                .enumerate()
                .map(|(i, n)| vec![u8::try_from(i % 251).unwrap(); n])
                .collect();
            let head: Vec<Vec<u8>> = before.iter().map(|&n| vec![0xEE; n]).collect();
            let opts = QueueOptions::new().copy_threshold(threshold);
            let fill = |queue: &mut WriteQueue<'_>| {
                if let Some(line) = line {
                    queue.learn_fd_line(line);
                }
                for h in &head {
                    queue.push(h.clone());
                }
            };
            let mut one_by_one = WriteQueue::with_options(opts);
            fill(&mut one_by_one);
            for d in &data {
                one_by_one.push_slice(d);
            }
            let mut listed = WriteQueue::with_options(opts);
            fill(&mut listed);
            listed.push_slices(&data);
            prop_assert_eq!(layout(&listed), layout(&one_by_one));
            prop_assert_eq!(drain(&mut listed), drain(&mut one_by_one));
        });
    }

    /// A chunk whose `as_ref` answers differently each time (empty every other time) is
    /// asked once: the queue's length is the bytes it writes, and no empty entry appears
    /// (an empty entry is the mark of an owned chunk, which would shift every owned chunk).
    #[test]
    fn push_slices_asks_each_chunk_once() {
        use std::cell::Cell;
        struct Fickle {
            calls: Cell<usize>,
            data: Vec<u8>,
        }
        impl AsRef<[u8]> for Fickle {
            fn as_ref(&self) -> &[u8] {
                let calls = self.calls.get();
                self.calls.set(calls + 1);
                if calls & 1 == 0 {
                    &self.data
                } else {
                    &[]
                }
            }
        }
        let chunks: Vec<Fickle> = (0..200u8)
            .map(|i| Fickle {
                calls: Cell::new(0),
                data: vec![i; 1000],
            })
            .collect();
        let mut queue = WriteQueue::new();
        queue.push(vec![1u8; 2000]);
        queue.push_slices(&chunks);
        queue.push(vec![2u8; 3000]);
        assert!(chunks.iter().all(|c| c.calls.get() == 1));
        let mut expected = vec![1u8; 2000];
        for i in 0..200u8 {
            expected.extend_from_slice(&[i; 1000]);
        }
        expected.extend_from_slice(&[2u8; 3000]);
        assert_eq!(queue.len(), expected.len());
        assert_eq!(drain(&mut queue), expected);
    }

    /// A chunk whose `as_ref` panics in the middle of a run leaves a queue that holds
    /// exactly what it says it holds: a prefix of the list, in order, with the right length.
    #[test]
    fn a_panic_in_push_slices_leaves_a_consistent_queue() {
        struct Bomb(Vec<u8>);
        impl AsRef<[u8]> for Bomb {
            fn as_ref(&self) -> &[u8] {
                assert!(!self.0.is_empty(), "the bomb");
                &self.0
            }
        }
        for at in [1, 17, 63, 64, 65, 130, 299] {
            let chunks: Vec<Bomb> = (0..300)
                .map(|i| {
                    Bomb(if i == at {
                        Vec::new()
                    } else {
                        vec![u8::try_from(i % 251).unwrap(); 700]
                    })
                })
                .collect();
            let mut queue = WriteQueue::new();
            let pushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                queue.push_slices(&chunks);
            }));
            assert!(pushed.is_err());
            let len = queue.len();
            let out = drain(&mut queue);
            assert_eq!(out.len(), len);
            let all: Vec<u8> = chunks[..at].iter().flat_map(|c| c.0.clone()).collect();
            assert_eq!(
                out,
                all[..len],
                "a prefix of the list, in order (panic at {at})"
            );
            assert_eq!(len % 700, 0, "whole chunks only");
        }
    }

    #[test]
    fn queue_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<WriteQueue<'static>>();
        check::<WriteQueue<'_>>();
    }
}
