//! How `writev_all` hands a list of buffers to `vectored`: by reference, or through a
//! `WriteQueue` with the small ones coalesced.

use std::cell::RefCell;
use std::io::IoSlice;
use std::os::fd::BorrowedFd;

use pyo3::prelude::*;
use vectored::{FdOptions, QueueOptions, WriteQueue};

use crate::buffers::{Held, Piece};

/// Buffers shorter than this are copied (coalesced) rather than passed as their own iovec:
/// the queue's own threshold.
const COPY_BELOW: usize = QueueOptions::DEFAULT_COPY_THRESHOLD;

/// Size of a block collecting consecutive small buffers: the queue's staging block size, so
/// a full block is one iovec.
const BLOCK_BYTES: usize = QueueOptions::DEFAULT_ARENA_SIZE;

/// Blocks kept per thread for the next call (1 MiB).
const POOL_BLOCKS: usize = 16;

/// The buffers of one `writev_all` call, ready to be written with the GIL released.
///
/// - With no buffer shorter than [`COPY_BELOW`] bytes, the slices go to
///   `vectored::write_all_fd` as they are: the queue would only add per-chunk bookkeeping.
/// - Otherwise everything goes through a `WriteQueue`: large buffers by reference
///   (`push_slice`), small ones coalesced. Small buffers are copied while their view is
///   held, which is then released at once (a tiny object costs no bookkeeping afterwards).
///   Runs of them are copied straight into 64 KiB [`Blocks`] and pushed once per block
///   rather than one by one, because a push costs more (about 8 ns) than copying 16 bytes:
///   pushed one by one, `writev_all` loses to `b"".join` on 16- and 100-byte buffers. A
///   short run (under half a block) is copied into the queue's own staging blocks instead
///   (`push_copy`), which pack it tightly. The bytes written and the system calls made are
///   the same as with `push_slice` for every buffer.
pub(crate) enum Plan<'s> {
    /// Every buffer by reference.
    Direct(Vec<&'s [u8]>),
    /// Through the queue.
    Queued(WriteQueue<'s>),
}

impl<'s> Plan<'s> {
    /// Acquires the first `len` items of `buffers` into `held` (small ones copied into
    /// `blocks`) and lays them out.
    pub(crate) fn build<'py>(
        held: &'s mut Held<'py>,
        blocks: &'s Blocks,
        buffers: &Bound<'py, PyAny>,
        len: usize,
    ) -> PyResult<Self> {
        let mut builder = Builder {
            len,
            blocks,
            direct: Vec::new(),
            queue: None,
            run: Vec::new(),
        };
        held.readable(buffers, len, COPY_BELOW, |piece| match piece {
            Piece::Transient(bytes) => builder.small(bytes),
            Piece::Held(bytes) => builder.large(bytes),
        })?;
        Ok(builder.finish())
    }

    /// Writes everything to `fd` (no Python objects are touched: call it detached).
    pub(crate) fn write(self, fd: BorrowedFd<'_>, opts: &FdOptions) -> vectored::Result<usize> {
        match self {
            Plan::Direct(slices) => {
                let slices: Vec<IoSlice<'_>> = slices.into_iter().map(IoSlice::new).collect();
                vectored::write_all_fd(fd, &slices, opts)
            }
            Plan::Queued(mut queue) => queue.write_to_fd(fd, opts),
        }
    }
}

/// Lays out the buffers of a [`Plan`] as they are acquired.
struct Builder<'s> {
    /// Items in the list, for sizing `direct`.
    len: usize,
    blocks: &'s Blocks,
    /// The large buffers, while no small one has been seen.
    direct: Vec<&'s [u8]>,
    /// Everything once a small buffer has been seen (then `direct` is empty).
    queue: Option<WriteQueue<'s>>,
    /// The block filling with small buffers. Has capacity only once `queue` exists.
    run: Vec<u8>,
}

impl<'s> Builder<'s> {
    /// A buffer shorter than [`COPY_BELOW`], valid only during this call. The common case,
    /// room in the run (including empty buffers, which fit anywhere), stays inline.
    // Measured: with plain `#[inline]` the per-item closure is not inlined into the
    // acquisition loop, which costs 15-20% on lists of 100-byte buffers.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn small(&mut self, bytes: &[u8]) {
        if self.run.capacity() - self.run.len() >= bytes.len() {
            self.run.extend_from_slice(bytes);
        } else {
            self.small_slow(bytes);
        }
    }

    /// The run is full or not started: switch to the queue if needed, flush, start a run.
    #[cold]
    #[inline(never)]
    fn small_slow(&mut self, bytes: &[u8]) {
        let queue = self.queue.get_or_insert_with(|| {
            let mut queue = WriteQueue::new();
            for slice in self.direct.drain(..) {
                queue.push_slice(slice);
            }
            queue
        });
        flush(queue, self.blocks, &mut self.run);
        if self.run.capacity() == 0 {
            self.run = Blocks::fresh();
        }
        self.run.extend_from_slice(bytes);
    }

    /// A buffer of at least [`COPY_BELOW`] bytes, passed by reference.
    fn large(&mut self, bytes: &'s [u8]) {
        if let Some(queue) = &mut self.queue {
            flush(queue, self.blocks, &mut self.run);
            queue.push_slice(bytes);
        } else {
            if self.direct.capacity() == 0 {
                // Allocated on the first large buffer: a list of small ones never needs it.
                // Best effort: a lying `__len__` has already been refused by `Held`.
                let _ = self.direct.try_reserve_exact(self.len);
            }
            self.direct.push(bytes);
        }
    }

    fn finish(mut self) -> Plan<'s> {
        match self.queue.take() {
            // Only small buffers, all in one block: write that block by reference (one
            // copy of each buffer in all, no queue bookkeeping).
            Some(queue) if queue.is_empty() && !self.run.is_empty() => {
                Plan::Direct(vec![self.blocks.keep(std::mem::take(&mut self.run))])
            }
            Some(mut queue) => {
                flush(&mut queue, self.blocks, &mut self.run);
                if self.run.capacity() > 0 {
                    Blocks::recycle(std::mem::take(&mut self.run));
                }
                Plan::Queued(queue)
            }
            None => Plan::Direct(self.direct),
        }
    }
}

/// Hands the small buffers collected in `run` to the queue: a well-filled block by
/// reference (kept alive by `blocks`), a short run as a copy (and `run` is reused).
fn flush<'s>(queue: &mut WriteQueue<'s>, blocks: &'s Blocks, run: &mut Vec<u8>) {
    if run.len() >= BLOCK_BYTES / 2 {
        queue.push_slice(blocks.keep(std::mem::take(run)));
    } else if !run.is_empty() {
        queue.push_copy(run);
        run.clear();
    }
}

thread_local! {
    /// Empty blocks kept for the next call on this thread, so that a steady stream of
    /// `writev_all` calls neither allocates nor page-faults (freed 64 KiB blocks would
    /// otherwise often go back to the OS and come back as fresh zeroed pages).
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// The filled blocks of one `writev_all` call, which the queue borrows; returned to the
/// thread's pool when dropped.
pub(crate) struct Blocks {
    filled: RefCell<Vec<Vec<u8>>>,
}

impl Blocks {
    pub(crate) fn new() -> Self {
        Self {
            filled: RefCell::new(Vec::new()),
        }
    }

    /// An empty block with room for [`BLOCK_BYTES`], from the pool if it has one.
    fn fresh() -> Vec<u8> {
        POOL.try_with(|pool| pool.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK_BYTES))
    }

    /// Keeps `block` until `self` is dropped and returns its bytes.
    fn keep(&self, block: Vec<u8>) -> &[u8] {
        let (ptr, len) = (block.as_ptr(), block.len());
        // Moving the `Vec` into the list does not move its heap buffer.
        self.filled.borrow_mut().push(block);
        // SAFETY: `ptr` and `len` describe the heap buffer of `block`, now owned by
        // `self.filled`, which never modifies, reallocates or frees a kept block before
        // `self` is dropped; the returned borrow of `self` ends before that.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }

    /// Returns an unused block to the pool.
    fn recycle(mut block: Vec<u8>) {
        block.clear();
        // A thread being torn down has no pool: the block is simply freed.
        let _ = POOL.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL_BLOCKS && block.capacity() == BLOCK_BYTES {
                pool.push(block);
            }
        });
    }
}

impl Drop for Blocks {
    fn drop(&mut self) {
        for block in self.filled.get_mut().drain(..) {
            Self::recycle(block);
        }
    }
}
