//! The staging arena: copies of small chunks packed into blocks, each block one iovec, and
//! the blocks kept for reuse.

use super::chunk::Owned;
use super::{entry, Entry, QueueOptions, WriteQueue};

impl<'a> WriteQueue<'a> {
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
    #[inline]
    pub fn push_copy(&mut self, bytes: &[u8]) {
        if self.tail.capacity() - self.tail.len() >= bytes.len() {
            // Room in the open staging block (always, for empty bytes): the common case,
            // inlined into the caller's loop. (`copy::append`, which `stage` uses, made the
            // Python binding's acquisition loop, whose body this is, 5-11% slower in the
            // small-buffer rows of `bench_python.py`:
            // `docs/bench/python-workloads-s3-append-2026-12-02.txt` against
            // `python-workloads-s3-2026-12-02.txt`.)
            self.tail.extend_from_slice(bytes);
            self.len += bytes.len();
        } else {
            self.push_copy_cold(bytes);
        }
    }

    /// [`push_copy`](Self::push_copy) when the open staging block is full or absent.
    #[cold]
    #[inline(never)]
    fn push_copy_cold(&mut self, bytes: &[u8]) {
        if bytes.len() <= self.opts.arena_bytes() {
            self.stage(bytes);
        } else {
            self.push_owned(Owned::Vec(bytes.to_vec()));
        }
        self.len += bytes.len();
    }

    /// Appends a copy of each of `pieces`, in order: the bulk form of
    /// [`push_copy`](Self::push_copy), for runs of small buffers that cannot be borrowed
    /// (buffers of another language's objects, say). Consecutive copies share the staging
    /// block, so a run becomes one iovec per block; each copy costs a capacity check and a
    /// `memcpy`, with no bookkeeping per piece.
    ///
    /// # Examples
    ///
    /// ```
    /// let records: Vec<Vec<u8>> = (0..1000).map(|i| format!("{i}\n").into_bytes()).collect();
    /// let mut queue = vectored::WriteQueue::new();
    /// queue.extend_copied(records.iter().map(Vec::as_slice));
    /// drop(records); // the queue holds copies
    /// assert_eq!(queue.iovecs(), 1);
    /// let mut out = Vec::new();
    /// queue.write_to(&mut out)?;
    /// assert!(out.starts_with(b"0\n1\n2\n"));
    /// # Ok::<(), vectored::Error>(())
    /// ```
    #[inline]
    pub fn extend_copied<'p>(&mut self, pieces: impl IntoIterator<Item = &'p [u8]>) {
        for bytes in pieces {
            self.push_copy(bytes);
        }
    }

    /// Empties the queue (like [`clear`](Self::clear)) and returns it ready for chunks of
    /// another lifetime, keeping its staging blocks and allocations.
    ///
    /// This is how a caller reuses one queue across calls whose borrowed chunks live for
    /// different scopes: keep a `WriteQueue<'static>` between calls, `recycle` it into a
    /// `WriteQueue<'call>` to fill and flush, then `recycle` it back. The open staging block
    /// and up to [`QueueOptions::spare_blocks`] emptied blocks are kept, so a steady stream
    /// of writes allocates nothing and touches no fresh pages.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::{QueueOptions, WriteQueue};
    ///
    /// let mut idle: WriteQueue<'static> =
    ///     WriteQueue::with_options(QueueOptions::new().spare_blocks(16));
    /// for call in 0..3 {
    ///     let body = format!("body {call}").into_bytes(); // lives for this call only
    ///     let mut queue: WriteQueue<'_> = idle.recycle();
    ///     queue.push_copy(b"header ");
    ///     queue.push_slice(&body);
    ///     let mut out = Vec::new();
    ///     queue.write_to(&mut out)?;
    ///     assert_eq!(out, format!("header body {call}").into_bytes());
    ///     idle = queue.recycle();
    /// }
    /// # Ok::<(), vectored::Error>(())
    /// ```
    #[must_use]
    pub fn recycle<'b>(mut self) -> WriteQueue<'b> {
        self.clear();
        let WriteQueue {
            chunks,
            owned,
            tail,
            messages,
            spare,
            borrowed_below,
            opts,
            ..
        } = self;
        // `chunks` is empty: only its allocation is reused (an in-place collect).
        let chunks: Vec<Entry<'b>> = chunks.into_iter().map(|_| entry(&[])).collect();
        WriteQueue {
            chunks,
            front: 0,
            owned,
            tail,
            head: 0,
            len: 0,
            messages,
            marked: 0,
            spare,
            next_block: opts.arena_bytes(),
            borrowed_below,
            opts,
        }
    }

    /// Copies `bytes` (at most one arena block long) into the open staging block, starting a
    /// new block when it does not fit.
    #[inline]
    pub(super) fn stage(&mut self, bytes: &[u8]) {
        if self.tail.capacity() - self.tail.len() >= bytes.len() {
            crate::copy::append(&mut self.tail, bytes);
        } else {
            self.stage_in_new_block(bytes);
        }
    }

    /// [`stage`](Self::stage) when the open staging block has no room for `bytes`: a call,
    /// so that the common case inlines small.
    #[cold]
    #[inline(never)]
    fn stage_in_new_block(&mut self, bytes: &[u8]) {
        self.new_tail();
        crate::copy::append(&mut self.tail, bytes);
    }

    /// Seals the open staging block (if it holds anything) and opens an empty one of the
    /// next block size (each twice the previous, up to the largest; see
    /// [`QueueOptions`]), reusing the largest kept block if it is large enough.
    #[cold]
    fn new_tail(&mut self) {
        self.seal_tail();
        // The open block is empty now.
        let want = self.next_block;
        if self.tail.capacity() < want {
            self.tail =
                take_spare(&mut self.spare, want).unwrap_or_else(|| Vec::with_capacity(want));
        }
        self.next_block = self.opts.next_block_bytes(self.tail.capacity());
    }

    /// Moves a non-empty open staging block to the sealed entries, keeping the order.
    #[inline]
    pub(super) fn seal_tail(&mut self) {
        if !self.tail.is_empty() {
            let block = std::mem::take(&mut self.tail);
            self.push_owned_entry(Owned::Staged(block));
        }
    }

    /// Appends a borrowed chunk passed by reference, after everything staged so far.
    #[inline(never)]
    pub(super) fn push_borrowed(&mut self, bytes: &'a [u8]) {
        self.seal_tail();
        self.chunks.push(entry(bytes));
    }

    /// Appends an owned chunk passed by reference, after everything staged so far.
    pub(super) fn push_owned(&mut self, owned: Owned) {
        self.seal_tail();
        self.push_owned_entry(owned);
    }

    /// Appends `owned` and the empty entry that marks its place.
    fn push_owned_entry(&mut self, owned: Owned) {
        self.owned.push_back(owned);
        self.chunks.push(entry(&[]));
    }

    /// Returns a sealed staging block to the spare list, if it is worth keeping: while the
    /// list has room, or in place of a smaller kept block.
    pub(super) fn recycle_block(spare: &mut Vec<Vec<u8>>, opts: QueueOptions, entry: Owned) {
        let Owned::Staged(mut block) = entry else {
            return;
        };
        if block.capacity() < opts.arena_bytes() {
            return;
        }
        block.clear();
        if spare.len() < opts.spare_block_limit() {
            spare.push(block);
        } else if let Some(smallest) = spare.iter_mut().min_by_key(|kept| kept.capacity()) {
            if smallest.capacity() < block.capacity() {
                *smallest = block;
            }
        }
    }
}

/// Takes the largest kept block out of `spare` if it holds at least `want` bytes.
fn take_spare(spare: &mut Vec<Vec<u8>>, want: usize) -> Option<Vec<u8>> {
    let (largest, block) = spare
        .iter()
        .enumerate()
        .max_by_key(|(_, block)| block.capacity())?;
    if block.capacity() >= want {
        Some(spare.swap_remove(largest))
    } else {
        None
    }
}
