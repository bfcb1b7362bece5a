//! The tuning of a write queue: when to copy, how large the staging blocks are, how many are
//! kept.

/// Tuning of a [`WriteQueue`](crate::WriteQueue): when to copy and how large the staging blocks are.
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
    spare_blocks: usize,
}

impl QueueOptions {
    /// Chunks shorter than this many bytes are copied into the staging arena by default.
    pub const DEFAULT_COPY_THRESHOLD: usize = 512;
    /// Default size of one staging block.
    pub const DEFAULT_ARENA_SIZE: usize = 64 * 1024;
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
            spare_blocks: Self::DEFAULT_SPARE_BLOCKS,
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

impl QueueOptions {
    /// Keeps up to `blocks` emptied staging blocks for reuse (default
    /// [`DEFAULT_SPARE_BLOCKS`](Self::DEFAULT_SPARE_BLOCKS)), so that a queue reused for a
    /// steady stream of writes (see [`WriteQueue::recycle`](crate::WriteQueue::recycle)) neither allocates nor
    /// page-faults. Memory kept: up to `blocks` × the arena size.
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
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self::new()
    }
}
