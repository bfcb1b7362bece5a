//! How `writev_all` hands a list of buffers to `vectored`: by reference, or through the
//! thread's reusable `WriteQueue` with the small ones coalesced.

use std::cell::Cell;

use pyo3::prelude::*;
use vectored::{QueueOptions, WriteQueue};

use crate::iov::{Iovecs, Piece};

/// Buffers shorter than this are copied (coalesced) rather than passed as their own iovec:
/// the queue's own threshold, which `push_slice` applies to the large ones.
const COPY_BELOW: usize = QueueOptions::DEFAULT_COPY_THRESHOLD;

/// Emptied staging blocks the thread's queue keeps for the next call (16 x 64 KiB = 1 MiB),
/// so that a steady stream of `writev_all` calls of up to 1 MiB of small buffers neither
/// allocates nor page-faults (freed 64 KiB blocks would otherwise often go back to the OS
/// and come back as fresh zeroed pages).
const SPARE_BLOCKS: usize = 16;

/// The buffers of one `writev_all` call, ready to be written with the GIL released: the
/// large buffers before the first small one by reference (`direct`), then everything else
/// in the thread's queue (`staged`), in order.
///
/// - Buffers of at least [`COPY_BELOW`] bytes are passed by reference: in `direct` while
///   nothing is queued, so a list with no small buffer goes to `vectored::write_all_fd` as
///   it is (the queue would add per-chunk bookkeeping: measured, about 17 more instructions
///   per buffer, 12% of a call of 1000 x 1 KiB to `/dev/null`); by `push_slice` after that.
/// - Smaller ones are copied into the queue (`push_copy`) while their view is held (an exact
///   `bytes` or `bytearray` needs none: it is read in place under the GIL), which is
///   then released at once (a tiny object costs no bookkeeping afterwards). Consecutive
///   small buffers share the queue's staging block, so a run of them is one iovec per
///   64 KiB; each copy is a capacity check and a `memcpy` inlined into the acquisition loop
///   with no other test (pushed as chunks one by one, at about 8 ns each, `writev_all`
///   would lose to `b"".join` on 16- and 100-byte buffers; a "has a small one been seen"
///   flag checked per buffer costs 5 instructions per `bytearray` or `memoryview`, 2% of a
///   call of 1024 x 100 B).
pub(crate) struct Plan<'s> {
    /// The large buffers before the first (non-empty) small one.
    pub(crate) direct: Vec<&'s [u8]>,
    /// Everything from the first non-empty small buffer on.
    pub(crate) staged: Staged<'s>,
}

impl<'s> Plan<'s> {
    /// Acquires the first `len` items of `buffers` into `held` (small ones copied into the
    /// queue) and lays them out.
    pub(crate) fn build<'py>(
        held: &'s mut Iovecs<'py>,
        buffers: &Bound<'py, PyAny>,
        len: usize,
    ) -> PyResult<Self> {
        let mut builder = Builder {
            len,
            direct: Vec::new(),
            staged: Staged::take(),
        };
        held.readable(buffers, len, COPY_BELOW, |piece| match piece {
            Piece::Transient(bytes) => builder.small(bytes),
            Piece::Held(bytes) => builder.large(bytes),
        })?;
        Ok(Plan {
            direct: builder.direct,
            staged: builder.staged,
        })
    }
}

/// Lays out the buffers of a [`Plan`] as they are acquired.
struct Builder<'s> {
    /// Items in the list, for sizing `direct`.
    len: usize,
    direct: Vec<&'s [u8]>,
    staged: Staged<'s>,
}

impl<'s> Builder<'s> {
    /// A buffer shorter than [`COPY_BELOW`], valid only during this call. The common case,
    /// room in the queue's open staging block (including empty buffers, which fit
    /// anywhere), stays inline.
    // Measured: with plain `#[inline]` the per-item closure is not inlined into the
    // acquisition loop, which costs 15-20% on lists of 100-byte buffers.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn small(&mut self, bytes: &[u8]) {
        self.staged.queue.push_copy(bytes);
    }

    /// A buffer of at least [`COPY_BELOW`] bytes, passed by reference.
    fn large(&mut self, bytes: &'s [u8]) {
        if self.staged.queue.is_empty() {
            if self.direct.capacity() == 0 {
                // Allocated on the first large buffer: a list of small ones never needs it.
                // Best effort: a lying `__len__` has already been refused (`writev_all`).
                let _ = self.direct.try_reserve_exact(self.len);
            }
            self.direct.push(bytes);
        } else {
            self.staged.queue.push_slice(bytes);
        }
    }
}

thread_local! {
    /// The queue of the last `writev_all` call on this thread, emptied, with its staging
    /// blocks (`None` while a call has it, or before the first call).
    static IDLE: Cell<Option<WriteQueue<'static>>> = const { Cell::new(None) };
}

/// The thread's queue, lent to one call (buffers borrowed for `'s`); emptied and given back
/// when dropped, also when the call fails halfway.
pub(crate) struct Staged<'s> {
    pub(crate) queue: WriteQueue<'s>,
}

impl Staged<'_> {
    /// The thread's idle queue (a new one if another call on this thread holds it, say a
    /// `__getitem__` that calls `writev_all` itself), ready for this call's buffers.
    fn take() -> Self {
        let idle = IDLE.try_with(Cell::take).ok().flatten().unwrap_or_else(|| {
            WriteQueue::with_options(QueueOptions::new().spare_blocks(SPARE_BLOCKS))
        });
        Self {
            queue: idle.recycle(),
        }
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        let queue = std::mem::take(&mut self.queue).recycle();
        // A thread being torn down has no slot left: the queue is simply freed.
        let _ = IDLE.try_with(|idle| idle.set(Some(queue)));
    }
}
