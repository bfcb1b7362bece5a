//! Cursors that walk a caller's buffer list by byte count, without copying data.
//!
//! A vectored call may transfer any prefix of the bytes it is offered. The cursors here turn
//! "the kernel took `n` bytes" into "this is the next window of at most [`IOV_MAX`] descriptors
//! to offer", with three guarantees:
//!
//! - **The caller's list is never modified.** Windows are either a sub-slice of the caller's
//!   list (the common case: whole buffers were written) or a private copy of descriptors in
//!   which only the first one is shortened (after a transfer ended inside a buffer).
//! - **Linear cost.** Each descriptor is examined a bounded number of times over a whole
//!   transfer, however the transfer is split: O(number of buffers), never O(n²).
//! - **No allocation and no data copies.** The private window lives inside the cursor.
//!
//! The cursors make no system calls; the loops in this crate and in your code drive them.

mod read;
#[cfg(unix)]
mod stage;
mod window;
mod write;

use std::fmt;
use std::io;

use crate::limits::IOV_MAX;

pub use read::IoCursorMut;
#[cfg(unix)]
pub(crate) use stage::{Staging, SMALL};
pub(crate) use window::Gather;
pub use write::IoCursor;

/// A writer or reader claimed to transfer more bytes than it was offered.
///
/// Returned by [`IoCursor::advance`] and [`IoCursorMut::advance`]. A correct `Write` or `Read`
/// never does this, so the loops report it as an [`io::ErrorKind::InvalidData`] error instead
/// of panicking like `IoSlice::advance_slices` does.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::IoCursor;
///
/// let bufs = [IoSlice::new(b"abc")];
/// let mut cursor = IoCursor::new(&bufs);
/// cursor.window();
/// let err = cursor.advance(4).unwrap_err();
/// assert_eq!((err.claimed(), err.offered()), (4, 3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overrun {
    claimed: usize,
    offered: usize,
}

impl Overrun {
    pub(crate) fn new(claimed: usize, offered: usize) -> Self {
        Self { claimed, offered }
    }

    /// The byte count the writer or reader returned.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSlice;
    /// let bufs = [IoSlice::new(b"ab")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// cursor.window();
    /// assert_eq!(cursor.advance(9).unwrap_err().claimed(), 9);
    /// ```
    pub fn claimed(&self) -> usize {
        self.claimed
    }

    /// The number of bytes the last window offered.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::io::IoSlice;
    /// let bufs = [IoSlice::new(b"ab")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// cursor.window();
    /// assert_eq!(cursor.advance(9).unwrap_err().offered(), 2);
    /// ```
    pub fn offered(&self) -> usize {
        self.offered
    }
}

impl fmt::Display for Overrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "I/O object reported {} bytes transferred but was offered only {}",
            self.claimed, self.offered
        )
    }
}

impl std::error::Error for Overrun {}

impl From<Overrun> for io::Error {
    fn from(err: Overrun) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, err)
    }
}

/// Clamps the requested limits to what a window of `N` descriptors can hold.
///
/// A window never holds more than [`IOV_MAX`] descriptors, whatever `N`; `N == 0` (a window
/// that could hold nothing) is rejected at compile time.
fn clamp_limits<const N: usize>(max_iovecs: usize, max_bytes: usize) -> (usize, usize) {
    const {
        assert!(
            N > 0,
            "a cursor window needs room for at least one descriptor: N must be at least 1"
        );
    }
    (max_iovecs.clamp(1, N.min(IOV_MAX)), max_bytes.max(1))
}
