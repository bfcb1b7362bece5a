//! The tuning of a write queue: when to copy, how large the staging blocks are, how many are
//! kept.

/// Tuning of a [`WriteQueue`](crate::WriteQueue): when to copy and how large the staging blocks are.
///
/// Defaults, from `vectored bench` runs on this project's reference machines (2-vCPU Linux
/// 6.18 VM; see `BENCHMARKS.md`): passing a buffer as its own iovec costs the kernel
/// 25–35 ns on every target that copies data (files, pipes, sockets), the same as copying
/// 400–500 bytes in user space, and the measured break-even between `writev` and copying is
/// about 512 bytes. Chunks shorter than [`DEFAULT_COPY_THRESHOLD`](Self::DEFAULT_COPY_THRESHOLD)
/// (512 B) are therefore copied.
///
/// # The fd teaches the queue
///
/// A queue cannot know, when a chunk is pushed, where it will be written. Once a stream
/// flush ([`write_to_fd`](crate::WriteQueue::write_to_fd)) has found the kind of its fd, the
/// queue copies *borrowed* chunks pushed after it only below that kind's line: below 96 B
/// for a device such as `/dev/null`, whose kernel copies nothing, so that copying larger
/// chunks is pure cost (1024 chunks of 256 B to `/dev/null` cost the queue 61,000
/// instructions per flush staged and 26,000 by reference) while a tiny chunk still costs
/// less copied than the kernel's intake of its iovec; below 256 B for a socket and 512 B for
/// a pipe or a file (the lines [`write_all_fd`](crate::write_all_fd) stages at); never above
/// the copy threshold. Owned chunks, [`push_copy`](crate::WriteQueue::push_copy) and a queue used for
/// messages ([`end_message`](crate::WriteQueue::end_message) restores the threshold, since a
/// message must fit one call's iovecs) keep the threshold. A flush that a short queue's first
/// call finishes before the fd is classified teaches nothing.
///
/// # Staging blocks grow
///
/// The first staging block holds [`DEFAULT_ARENA_SIZE`](Self::DEFAULT_ARENA_SIZE) (64 KiB),
/// so that coalescing never costs extra system calls the way an 8 KiB `BufWriter` does, and
/// a small batch touches only 64 KiB. Each further block of the same batch is twice the
/// previous one, up to [`DEFAULT_MAX_ARENA_SIZE`](Self::DEFAULT_MAX_ARENA_SIZE) (1 MiB): a
/// large batch of tiny records is a few iovecs, not one per 64 KiB (100 000 records of
/// 16 B: 5 blocks of 64 KiB, 128 KiB, …, 1 MiB instead of 25 of 64 KiB), because each
/// iovec costs the kernel ~25–35 ns and a call has at most `IOV_MAX` of them. Once the queue
/// is empty, the next block starts again at the first size, reusing a kept block when one
/// is large enough. [`arena_size`](Self::arena_size) sets the first size and
/// [`max_arena_size`](Self::max_arena_size) the last; equal sizes give fixed blocks.
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
    max_arena_size: usize,
    spare_blocks: usize,
}

impl QueueOptions {
    /// Chunks shorter than this many bytes are copied into the staging arena by default.
    pub const DEFAULT_COPY_THRESHOLD: usize = 512;
    /// Default size of the first staging block of a batch.
    pub const DEFAULT_ARENA_SIZE: usize = 64 * 1024;
    /// Default size the staging blocks of a batch grow to (by doubling).
    pub const DEFAULT_MAX_ARENA_SIZE: usize = 1024 * 1024;
    /// Emptied staging blocks a queue keeps for reuse by default.
    pub const DEFAULT_SPARE_BLOCKS: usize = 4;

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
            max_arena_size: Self::DEFAULT_MAX_ARENA_SIZE,
            spare_blocks: Self::DEFAULT_SPARE_BLOCKS,
        }
    }

    /// Copies chunks shorter than `bytes` into the staging arena; 0 disables copying. (A
    /// queue flushed to an fd copies borrowed chunks only below the lower of this and the
    /// fd's own line: see "The fd teaches the queue" above.)
    ///
    /// The arena sizes (first and largest block) are raised to at least this value.
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

    /// Makes the first staging block of a batch `bytes` long (at least the copy threshold,
    /// at least 1); later blocks double up to [`max_arena_size`](Self::max_arena_size) (or
    /// stay at this size if that is smaller). Chunks longer than this are never copied.
    ///
    /// # Examples
    ///
    /// ```
    /// let opts = vectored::QueueOptions::new().arena_size(256 * 1024);
    /// assert_eq!(opts.max_arena_size_bytes(), 1024 * 1024);
    /// ```
    pub fn arena_size(mut self, bytes: usize) -> Self {
        self.arena_size = bytes.max(self.copy_threshold).max(1);
        self
    }

    /// Lets the staging blocks of a batch grow (each twice the previous) up to `bytes`
    /// (default [`DEFAULT_MAX_ARENA_SIZE`](Self::DEFAULT_MAX_ARENA_SIZE), 1 MiB). A value
    /// below the first block's [`arena_size`](Self::arena_size) (such as 0) keeps every
    /// block at that size, whatever the order the options are set in.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::{QueueOptions, WriteQueue};
    ///
    /// // Fixed 64 KiB blocks, as a queue without growth.
    /// let fixed = QueueOptions::new().max_arena_size(0);
    /// assert_eq!(fixed.max_arena_size_bytes(), QueueOptions::DEFAULT_ARENA_SIZE);
    /// let mut queue = WriteQueue::with_options(fixed);
    /// for _ in 0..10_000 {
    ///     queue.push_copy(&[0u8; 16]);
    /// }
    /// assert_eq!(queue.iovecs(), 3); // 160 000 bytes in 64 KiB blocks
    ///
    /// let mut queue = WriteQueue::new(); // 64 KiB, then 128 KiB
    /// for _ in 0..10_000 {
    ///     queue.push_copy(&[0u8; 16]);
    /// }
    /// assert_eq!(queue.iovecs(), 2);
    /// ```
    pub fn max_arena_size(mut self, bytes: usize) -> Self {
        self.max_arena_size = bytes;
        self
    }

    /// The size staging blocks grow to; see [`max_arena_size`](Self::max_arena_size).
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::QueueOptions;
    ///
    /// assert_eq!(
    ///     QueueOptions::new().max_arena_size_bytes(),
    ///     QueueOptions::DEFAULT_MAX_ARENA_SIZE
    /// );
    /// ```
    #[must_use]
    pub fn max_arena_size_bytes(&self) -> usize {
        self.max_arena_size.max(self.arena_size)
    }
}

impl QueueOptions {
    /// Keeps up to `blocks` emptied staging blocks for reuse (default
    /// [`DEFAULT_SPARE_BLOCKS`](Self::DEFAULT_SPARE_BLOCKS)), so that a queue reused for a
    /// steady stream of writes (see [`WriteQueue::recycle`](crate::WriteQueue::recycle)) neither allocates nor
    /// page-faults. Memory kept: up to `blocks` × the largest block size
    /// ([`max_arena_size`](Self::max_arena_size)), the largest blocks first.
    ///
    /// # Examples
    ///
    /// ```
    /// // Keep 1 MiB of staging blocks between uses.
    /// let opts = vectored::QueueOptions::new().spare_blocks(16);
    /// assert_eq!(opts.spare_block_limit(), 16);
    /// ```
    pub fn spare_blocks(mut self, blocks: usize) -> Self {
        self.spare_blocks = blocks;
        self
    }

    /// The number of emptied staging blocks a queue keeps; see
    /// [`spare_blocks`](Self::spare_blocks).
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::QueueOptions;
    ///
    /// assert_eq!(QueueOptions::new().spare_block_limit(), QueueOptions::DEFAULT_SPARE_BLOCKS);
    /// ```
    #[must_use]
    pub fn spare_block_limit(&self) -> usize {
        self.spare_blocks
    }

    pub(super) fn copy_threshold_bytes(&self) -> usize {
        self.copy_threshold
    }

    pub(super) fn arena_bytes(&self) -> usize {
        self.arena_size
    }

    /// The size of the block after one of `previous` bytes.
    pub(super) fn next_block_bytes(&self, previous: usize) -> usize {
        previous
            .saturating_mul(2)
            .clamp(self.arena_size, self.max_arena_size_bytes())
    }
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self::new()
    }
}
