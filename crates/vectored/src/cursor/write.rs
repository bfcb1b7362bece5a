//! The write cursor: windows over a caller's `&[IoSlice]`, sub-slices of it where possible.

use std::fmt;
use std::io::IoSlice;

use arrayvec::ArrayVec;

use super::{clamp_limits, Overrun};
use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};

/// A zero-copy cursor over a caller's `&[IoSlice]` for write loops.
///
/// Call [`window`](Self::window) to get the descriptors for the next system call (at most
/// `min(N, IOV_MAX)` of them and at most [`MAX_BYTES_PER_CALL`] bytes), pass them to
/// `writev`/`write_vectored`/`sendmsg`, then report the result with
/// [`advance`](Self::advance). An empty window means every byte has been transferred.
///
/// `N` is the capacity of the private window, `IOV_MAX` by default; a smaller `N` makes the
/// cursor smaller (useful inside futures) at the price of more calls for long lists.
/// Windows never exceed [`IOV_MAX`] descriptors, whatever `N`. `N` must be at least 1: a
/// cursor whose window could hold nothing is rejected at compile time.
///
/// ```compile_fail
/// let cursor = vectored::IoCursor::<0>::with_limits(&[], 1, 1);
/// ```
///
/// # Examples
///
/// A write loop over a writer that takes at most 4 bytes per call:
///
/// ```
/// use std::io::{IoSlice, Write};
/// use vectored::IoCursor;
///
/// let bufs = [IoSlice::new(b"hello "), IoSlice::new(b""), IoSlice::new(b"world")];
/// let mut out = Vec::new();
/// let mut cursor = IoCursor::new(&bufs);
/// loop {
///     let window = cursor.window();
///     if window.is_empty() {
///         break;
///     }
///     // Pretend the writer accepted only the first 4 bytes of what it was offered.
///     let mut offered: Vec<u8> = window.iter().flat_map(|s| s.iter().copied()).collect();
///     offered.truncate(4);
///     out.write_all(&offered).unwrap();
///     cursor.advance(offered.len()).unwrap();
/// }
/// assert_eq!(out, b"hello world");
/// assert_eq!(cursor.transferred(), 11);
/// // The caller's slices are untouched.
/// assert_eq!(&*bufs[0], b"hello ");
/// ```
pub struct IoCursor<'s, const N: usize = IOV_MAX> {
    /// The caller's list; read only.
    bufs: &'s [IoSlice<'s>],
    /// Index of the first buffer that still has bytes to transfer.
    idx: usize,
    /// Bytes of `bufs[idx]` already transferred.
    off: usize,
    /// Number of descriptors in the current window; window entry `j` covers `bufs[idx + j]`.
    wlen: usize,
    /// Bytes in the current window.
    wbytes: usize,
    /// Whether the first window entry stops before the end of its buffer (byte budget).
    head_cut: bool,
    /// Whether the window lives in `scratch` (true) or is `bufs[idx..idx + wlen]` (false).
    in_scratch: bool,
    /// Private window storage; the window is `scratch[start..]`.
    scratch: ArrayVec<IoSlice<'s>, N>,
    start: usize,
    transferred: usize,
    max_iovecs: usize,
    max_bytes: usize,
    /// Set when bytes remain but `transferred` cannot count them (aliased slices totalling
    /// more than `usize::MAX` bytes).
    count_overflow: bool,
}

impl<'s> IoCursor<'s> {
    /// Creates a cursor at the start of `bufs`, with the platform's limits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let bufs = [IoSlice::new(b"a"), IoSlice::new(b"bc")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// assert_eq!(cursor.window().len(), 2);
    /// assert_eq!(cursor.remaining(), 3);
    /// ```
    #[inline]
    pub fn new(bufs: &'s [IoSlice<'s>]) -> Self {
        Self::with_limits(bufs, IOV_MAX, MAX_BYTES_PER_CALL)
    }
}

impl<'s, const N: usize> IoCursor<'s, N> {
    /// Creates a cursor whose windows hold at most `max_iovecs` descriptors (clamped to
    /// `1..=N`) and at most `max_bytes` bytes (at least 1).
    ///
    /// A buffer longer than `max_bytes` is offered in pieces of `max_bytes`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    /// use vectored::IoCursor;
    ///
    /// let bufs = [IoSlice::new(b"abcdef"), IoSlice::new(b"gh")];
    /// let mut cursor = IoCursor::<16>::with_limits(&bufs, 16, 4);
    /// assert_eq!(&*cursor.window()[0], b"abcd");
    /// cursor.advance(4).unwrap();
    /// let window = cursor.window();
    /// assert_eq!((&*window[0], &*window[1]), (&b"ef"[..], &b"gh"[..]));
    /// ```
    #[inline]
    pub fn with_limits(bufs: &'s [IoSlice<'s>], max_iovecs: usize, max_bytes: usize) -> Self {
        let (max_iovecs, max_bytes) = clamp_limits::<N>(max_iovecs, max_bytes);
        Self {
            bufs,
            idx: 0,
            off: 0,
            wlen: 0,
            wbytes: 0,
            head_cut: false,
            in_scratch: false,
            scratch: ArrayVec::new(),
            start: 0,
            transferred: 0,
            max_iovecs,
            max_bytes,
            count_overflow: false,
        }
    }

    /// The descriptors to offer next; empty once every byte has been transferred (or, with
    /// aliased slices totalling more than `usize::MAX` bytes, once
    /// [`transferred`](Self::transferred) reaches `usize::MAX`: the loops of this crate then
    /// fail with `InvalidInput` rather than let the count wrap).
    ///
    /// The window never starts with an empty buffer, so a non-empty window always offers at
    /// least one byte. Calling `window` again without [`advance`](Self::advance) in between
    /// returns the same bytes (possibly with more descriptors appended).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let bufs = [IoSlice::new(b""), IoSlice::new(b"x")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// assert_eq!(&*cursor.window()[0], b"x");
    /// cursor.advance(1).unwrap();
    /// assert!(cursor.window().is_empty());
    /// ```
    #[inline]
    pub fn window(&mut self) -> &[IoSlice<'s>] {
        self.fill();
        if self.in_scratch {
            &self.scratch[self.start..]
        } else {
            &self.bufs[self.idx..self.idx + self.wlen]
        }
    }

    /// The number of bytes in the current window (as last returned by [`window`](Self::window)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let bufs = [IoSlice::new(b"ab"), IoSlice::new(b"cde")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// cursor.window();
    /// assert_eq!(cursor.window_bytes(), 5);
    /// ```
    pub fn window_bytes(&self) -> usize {
        self.wbytes
    }

    /// Records that the last call transferred `n` bytes of the current window.
    ///
    /// Only the first descriptor of the window is adjusted; fully transferred buffers are
    /// dropped from the front. Zero-length buffers are skipped.
    ///
    /// # Errors
    ///
    /// [`Overrun`] if `n` exceeds [`window_bytes`](Self::window_bytes); the cursor is
    /// unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let bufs = [IoSlice::new(b"hello"), IoSlice::new(b"world")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// cursor.window();
    /// cursor.advance(3).unwrap();
    /// let window = cursor.window();
    /// assert_eq!((&*window[0], &*window[1]), (&b"lo"[..], &b"world"[..]));
    /// ```
    #[inline]
    pub fn advance(&mut self, n: usize) -> Result<(), Overrun> {
        if n > self.wbytes {
            return Err(Overrun::new(n, self.wbytes));
        }
        self.transferred += n;
        if self.head_cut {
            // The window is one piece of an oversized buffer: move within that buffer and let
            // the next `fill` cut the following piece.
            self.off += n;
            self.clear_window();
            return Ok(());
        }
        if n == self.wbytes {
            // Everything offered was taken: the common case, O(1).
            self.idx += self.wlen;
            self.off = 0;
            self.clear_window();
            return Ok(());
        }
        self.wbytes -= n;
        let mut left = n;
        // Drop whole entries (including zero-length ones) from the front.
        loop {
            let first = self.entry_len(0);
            if left < first || (left == 0 && first > 0) {
                break;
            }
            left -= first;
            self.idx += 1;
            self.off = 0;
            self.wlen -= 1;
            if self.in_scratch {
                self.start += 1;
            }
        }
        if left > 0 {
            if !self.in_scratch {
                // The transfer ended inside a buffer: move the window into private storage so
                // its first descriptor can be shortened. Happens once per switch; from then on
                // only the first descriptor is touched.
                self.scratch.clear();
                self.scratch
                    .extend(self.bufs[self.idx..self.idx + self.wlen].iter().copied());
                self.start = 0;
                self.in_scratch = true;
            }
            self.off += left;
            self.scratch[self.start].advance(left);
        }
        Ok(())
    }

    /// Total bytes passed to [`advance`](Self::advance) so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let bufs = [IoSlice::new(b"abc")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// cursor.window();
    /// cursor.advance(2).unwrap();
    /// assert_eq!(cursor.transferred(), 2);
    /// ```
    pub fn transferred(&self) -> usize {
        self.transferred
    }

    /// Bytes not yet transferred. O(number of remaining buffers).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::IoSlice;
    ///
    /// let bufs = [IoSlice::new(b"abc"), IoSlice::new(b"de")];
    /// let mut cursor = vectored::IoCursor::new(&bufs);
    /// cursor.window();
    /// cursor.advance(4).unwrap();
    /// assert_eq!(cursor.remaining(), 1);
    /// ```
    pub fn remaining(&self) -> usize {
        self.bufs[self.idx..]
            .iter()
            .fold(0usize, |acc, b| acc.saturating_add(b.len()))
            - self.off
    }

    #[cfg(test)]
    pub(crate) fn set_transferred_for_test(&mut self, transferred: usize) {
        self.transferred = transferred;
    }

    /// Whether the cursor stopped because `transferred` cannot count further (the window
    /// is empty although bytes remain).
    pub(crate) fn count_overflow(&self) -> bool {
        self.count_overflow
    }

    /// Lowers the byte limit of the windows to `max_bytes` (at least 1); the current window
    /// is dropped and rebuilt by the next [`window`](Self::window).
    #[cfg(unix)]
    pub(crate) fn limit_bytes(&mut self, max_bytes: usize) {
        let max_bytes = max_bytes.max(1);
        if max_bytes < self.max_bytes {
            self.max_bytes = max_bytes;
            self.clear_window();
        }
    }

    /// The current window (filled as [`window`](Self::window) fills it), its bytes, and the
    /// caller's buffers after it; none after it when the window is one piece of a longer
    /// buffer. For a loop that may offer whole buffers past the window in the same call (see
    /// [`advance_past_window`](Self::advance_past_window)).
    #[cfg(unix)]
    pub(crate) fn window_and_rest(&mut self) -> (&[IoSlice<'s>], usize, &'s [IoSlice<'s>]) {
        self.fill();
        let bufs: &'s [IoSlice<'s>] = self.bufs;
        let after = if self.head_cut {
            &bufs[bufs.len()..]
        } else {
            &bufs[self.idx + self.wlen..]
        };
        let window = if self.in_scratch {
            &self.scratch[self.start..]
        } else {
            &self.bufs[self.idx..self.idx + self.wlen]
        };
        (window, self.wbytes, after)
    }

    /// Records that the last call transferred `n` bytes: the current window first, then the
    /// buffers after it (as [`window_and_rest`](Self::window_and_rest) returned them).
    ///
    /// # Errors
    ///
    /// [`Overrun`] if `n` exceeds the window and every byte after it, or if the window is
    /// one piece of a longer buffer and `n` exceeds it, or if `transferred` would pass
    /// `usize::MAX`; the cursor is unchanged.
    #[cfg(unix)]
    pub(crate) fn advance_past_window(&mut self, n: usize) -> Result<(), Overrun> {
        if n <= self.wbytes {
            return self.advance(n);
        }
        let offered = self.wbytes;
        if self.head_cut || self.transferred.checked_add(n).is_none() {
            return Err(Overrun::new(n, offered));
        }
        let mut left = n - self.wbytes;
        let mut idx = self.idx + self.wlen;
        while left > 0 {
            let Some(buf) = self.bufs.get(idx) else {
                return Err(Overrun::new(n, n - left));
            };
            if left < buf.len() {
                break;
            }
            left -= buf.len();
            idx += 1;
        }
        self.transferred += n;
        self.clear_window();
        self.idx = idx;
        self.off = left;
        Ok(())
    }

    /// Length of window entry `j`.
    #[inline]
    fn entry_len(&self, j: usize) -> usize {
        if self.in_scratch {
            self.scratch[self.start + j].len()
        } else {
            self.bufs[self.idx + j].len()
        }
    }

    #[inline]
    /// Records that the last call transferred the whole window and the first `entries`
    /// buffers after it, `n` bytes in all: what [`advance_past_window`](Self::advance_past_window)
    /// does for that count, without walking those buffers (the caller counted them when it
    /// offered them).
    ///
    /// # Errors
    ///
    /// [`Overrun`] if `n` is less than the window, if the window is one piece of a longer
    /// buffer, if fewer than `entries` buffers follow it, or if `transferred` would pass
    /// `usize::MAX`; the cursor is unchanged.
    #[cfg(unix)]
    pub(crate) fn advance_window_and(&mut self, n: usize, entries: usize) -> Result<(), Overrun> {
        let end = self.idx + self.wlen + entries;
        if n < self.wbytes
            || self.head_cut
            || end > self.bufs.len()
            || self.transferred.checked_add(n).is_none()
        {
            return Err(Overrun::new(n, self.wbytes));
        }
        debug_assert_eq!(
            n - self.wbytes,
            self.bufs[self.idx + self.wlen..end]
                .iter()
                .map(|buf| buf.len())
                .sum::<usize>(),
            "`n` counts the window and exactly those buffers"
        );
        self.transferred += n;
        self.clear_window();
        self.idx = end;
        self.off = 0;
        Ok(())
    }

    fn clear_window(&mut self) {
        self.wlen = 0;
        self.wbytes = 0;
        self.head_cut = false;
        if self.in_scratch {
            self.in_scratch = false;
            self.scratch.clear();
            self.start = 0;
        }
    }

    /// Tops the window up to the limits, looking only at buffers not yet in it.
    #[inline]
    fn fill(&mut self) {
        let bufs = self.bufs;
        // The window never holds more than `transferred` can still count.
        let max_bytes = self.max_bytes.min(usize::MAX - self.transferred);
        if self.wlen == 0 {
            // Start a window at (idx, off), skipping exhausted and empty buffers.
            while let Some(buf) = bufs.get(self.idx) {
                if buf.len() != self.off {
                    break;
                }
                self.idx += 1;
                self.off = 0;
            }
            let Some(first) = bufs.get(self.idx) else {
                return;
            };
            if max_bytes == 0 {
                // `usize::MAX` bytes transferred and more to go: an empty window, and the
                // loops report the overflow (see `count_overflow`).
                self.count_overflow = true;
                return;
            }
            if self.off != 0 || first.len() > max_bytes {
                // The window cannot start as a sub-slice of the caller's list: its first
                // descriptor starts inside a buffer, or must stop before its end.
                let first: &'s [u8] = first;
                let avail = first.len() - self.off;
                let take = avail.min(max_bytes);
                self.head_cut = take < avail;
                self.scratch
                    .push(IoSlice::new(&first[self.off..self.off + take]));
                self.in_scratch = true;
                self.wlen = 1;
                self.wbytes = take;
                if self.head_cut {
                    return;
                }
            }
        } else if self.head_cut {
            return;
        } else if self.in_scratch && self.start >= N / 2 {
            // Reclaim the consumed front; amortized O(1) per descriptor since at least N/2
            // descriptors were consumed since the last move.
            self.scratch.drain(..self.start);
            self.start = 0;
        }
        // Append whole buffers while they fit both limits.
        let next = self.idx + self.wlen;
        let mut end = bufs.len().min(self.idx + self.max_iovecs);
        if self.in_scratch {
            end = end.min(next + (N - self.scratch.len()));
        }
        if next >= end {
            return;
        }
        let (count, bytes) = prefix_within(&bufs[next..end], max_bytes - self.wbytes);
        if self.in_scratch {
            let appended = self
                .scratch
                .try_extend_from_slice(&bufs[next..next + count]);
            debug_assert!(
                appended.is_ok(),
                "`end` leaves room for every appended entry"
            );
        }
        self.wlen += count;
        self.wbytes += bytes;
    }
}

/// The longest prefix of `bufs` whose total length is at most `room`: (count, bytes).
#[inline]
fn prefix_within(bufs: &[IoSlice<'_>], room: usize) -> (usize, usize) {
    /// Byte budgets up to this take the exact loop only.
    const SMALL_ROOM: usize = 1 << 20;
    // Fast path, one branch-free (vectorizable) pass: everything fits. The sum wraps, so it
    // is trusted only when every length is below 2^(BITS - 11) (the OR of the lengths says
    // so): at most IOV_MAX = 2^10 of those cannot wrap. Otherwise (aliased slices totalling
    // more than the address space, or huge buffers on 32-bit targets) the exact loop below
    // decides, so a window's byte count is always exact.
    debug_assert!(bufs.len() <= IOV_MAX);
    // With a small byte budget (a paced or capped loop) most windows stop early: the exact
    // loop alone, rather than a pass over up to IOV_MAX lengths before it on every call.
    if room > SMALL_ROOM {
        let (total, bits) = bufs.iter().fold((0usize, 0usize), |(sum, bits), b| {
            (sum.wrapping_add(b.len()), bits | b.len())
        });
        if total <= room && bits >> (usize::BITS - 11) == 0 {
            return (bufs.len(), total);
        }
    }
    let mut bytes = 0;
    for (count, buf) in bufs.iter().enumerate() {
        if buf.len() > room - bytes {
            return (count, bytes);
        }
        bytes += buf.len();
    }
    (bufs.len(), bytes)
}

impl<const N: usize> fmt::Debug for IoCursor<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoCursor")
            .field("buffers", &self.bufs.len())
            .field("index", &self.idx)
            .field("offset", &self.off)
            .field("window_len", &self.wlen)
            .field("window_bytes", &self.wbytes)
            .field("transferred", &self.transferred)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concat(window: &[IoSlice<'_>]) -> Vec<u8> {
        window.iter().flat_map(|s| s.iter().copied()).collect()
    }

    /// Drives a cursor with a fixed schedule of transfer sizes and returns what was written.
    fn drive<const N: usize>(mut cursor: IoCursor<'_, N>, schedule: &[usize]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut step = 0;
        loop {
            let window = cursor.window();
            if window.is_empty() {
                return out;
            }
            let offered = concat(window);
            let n = schedule[step % schedule.len()].clamp(1, offered.len());
            out.extend_from_slice(&offered[..n]);
            cursor.advance(n).unwrap();
            step += 1;
        }
    }

    #[test]
    fn empty_list_and_all_empty_buffers_give_empty_window() {
        let mut cursor = IoCursor::new(&[]);
        assert!(cursor.window().is_empty());
        let bufs = [IoSlice::new(b""), IoSlice::new(b""), IoSlice::new(b"")];
        let mut cursor = IoCursor::new(&bufs);
        assert!(cursor.window().is_empty());
        assert_eq!(cursor.remaining(), 0);
    }

    #[test]
    fn full_write_advances_in_one_step() {
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
        let mut cursor = IoCursor::new(&bufs);
        assert_eq!(cursor.window().len(), 2);
        cursor.advance(4).unwrap();
        assert!(cursor.window().is_empty());
        assert_eq!(cursor.transferred(), 4);
    }

    #[test]
    fn partial_write_shortens_only_first_descriptor() {
        // Regression shape of tokio#8158: [ab, cd] and [hello, world] after short writes.
        let bufs = [IoSlice::new(b"hello"), IoSlice::new(b"world")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.window();
        cursor.advance(3).unwrap();
        assert_eq!(concat(cursor.window()), b"loworld");
        cursor.advance(1).unwrap();
        assert_eq!(concat(cursor.window()), b"oworld");
        cursor.advance(1).unwrap();
        assert_eq!(concat(cursor.window()), b"world");
        assert_eq!(&*bufs[0], b"hello");
    }

    #[test]
    fn advance_past_boundary_lands_in_next_buffer() {
        let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.window();
        cursor.advance(3).unwrap();
        assert_eq!(concat(cursor.window()), b"d");
    }

    #[test]
    fn advance_exactly_to_boundary_stays_direct() {
        let bufs = [
            IoSlice::new(b"ab"),
            IoSlice::new(b"cd"),
            IoSlice::new(b"ef"),
        ];
        let mut cursor = IoCursor::new(&bufs);
        cursor.window();
        cursor.advance(2).unwrap();
        assert!(!cursor.in_scratch);
        assert_eq!(concat(cursor.window()), b"cdef");
    }

    #[test]
    fn overrun_is_an_error_and_leaves_cursor_unchanged() {
        let bufs = [IoSlice::new(b"abc")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.window();
        assert_eq!(cursor.advance(4), Err(Overrun::new(4, 3)));
        assert_eq!(cursor.transferred(), 0);
        assert_eq!(concat(cursor.window()), b"abc");
        let io: std::io::Error = Overrun::new(4, 3).into();
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    }

    #[test]
    fn advance_without_window_only_accepts_zero() {
        let bufs = [IoSlice::new(b"abc")];
        let mut cursor = IoCursor::new(&bufs);
        assert!(cursor.advance(1).is_err());
        cursor.advance(0).unwrap();
        assert_eq!(concat(cursor.window()), b"abc");
    }

    #[test]
    fn window_respects_iovec_limit() {
        let data: Vec<[u8; 1]> = (0..=255u8).cycle().take(2500).map(|b| [b]).collect();
        let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
        let mut cursor = IoCursor::new(&bufs);
        let mut calls = 0;
        let mut out = Vec::new();
        loop {
            let window = cursor.window();
            if window.is_empty() {
                break;
            }
            assert!(window.len() <= IOV_MAX);
            let n = window.len();
            out.extend(concat(window));
            cursor.advance(n).unwrap();
            calls += 1;
        }
        assert_eq!(calls, 2500usize.div_ceil(IOV_MAX));
        assert_eq!(out, data.concat());
    }

    #[test]
    fn oversized_buffer_is_cut_to_byte_budget() {
        let bufs = [IoSlice::new(b"abcdefghij"), IoSlice::new(b"kl")];
        let mut cursor = IoCursor::<8>::with_limits(&bufs, 8, 4);
        let out = drive(cursor, &[usize::MAX]);
        assert_eq!(out, b"abcdefghijkl");
        // And with partial transfers inside each piece.
        cursor = IoCursor::<8>::with_limits(&bufs, 8, 4);
        assert_eq!(drive(cursor, &[3, 1, 2]), b"abcdefghijkl");
    }

    #[test]
    fn byte_budget_limits_whole_buffers_too() {
        let bufs = [
            IoSlice::new(b"abc"),
            IoSlice::new(b"def"),
            IoSlice::new(b"g"),
        ];
        let mut cursor = IoCursor::<8>::with_limits(&bufs, 8, 6);
        assert_eq!(concat(cursor.window()), b"abcdef");
        cursor.advance(6).unwrap();
        assert_eq!(concat(cursor.window()), b"g");
    }

    #[test]
    fn window_refills_after_partial_write_with_more_descriptors() {
        // After a short write ends inside a buffer, the next window must still reach the
        // iovec limit when enough buffers remain, so no extra calls are made.
        let data: Vec<[u8; 2]> = (0..40u8).map(|b| [b, b]).collect();
        let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
        let mut cursor = IoCursor::<8>::with_limits(&bufs, 8, usize::MAX);
        assert_eq!(cursor.window().len(), 8);
        cursor.advance(11).unwrap(); // ends inside the 6th buffer: switch to private window
        assert!(cursor.in_scratch);
        assert_eq!(cursor.window().len(), 8); // topped up from the caller's list
        cursor.advance(1).unwrap(); // finishes that buffer; storage is full, front consumed
        assert_eq!(cursor.window().len(), 7);
        cursor.advance(6).unwrap(); // 4 entries consumed in storage: compacted and topped up
        assert_eq!(cursor.window().len(), 8);
        assert_eq!(cursor.start, 0);
        assert_eq!(cursor.remaining(), 80 - 18);
        let rest = concat(cursor.window());
        assert_eq!(&rest[..2], &[9, 9]);
    }

    #[test]
    fn trickle_writer_touches_only_the_first_descriptor() {
        let data = vec![7u8; 4096];
        let bufs: Vec<IoSlice<'_>> = data.chunks(16).map(IoSlice::new).collect();
        let cursor = IoCursor::new(&bufs);
        assert_eq!(drive(cursor, &[1]), data);
    }

    #[test]
    fn windows_never_exceed_iov_max_whatever_n() {
        let data = vec![[1u8]; 3000];
        let bufs: Vec<IoSlice<'_>> = data.iter().map(|b| IoSlice::new(b)).collect();
        let mut cursor = IoCursor::<4096>::with_limits(&bufs, 4096, usize::MAX);
        assert_eq!(cursor.window().len(), IOV_MAX);
    }

    #[test]
    fn transferred_never_wraps() {
        // Aliased slices can total more than usize::MAX bytes; start near the limit.
        let bufs = [IoSlice::new(b"abcdef")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.transferred = usize::MAX - 4;
        assert_eq!(
            concat(cursor.window()),
            b"abcd",
            "capped at what can be counted"
        );
        cursor.advance(3).unwrap();
        assert_eq!(concat(cursor.window()), b"d");
        cursor.advance(1).unwrap();
        assert!(cursor.window().is_empty());
        assert!(
            cursor.count_overflow(),
            "bytes remain that cannot be counted"
        );
        assert_eq!(cursor.transferred(), usize::MAX);
    }

    /// What the cursor still offers, as bytes.
    #[cfg(unix)]
    fn rest_of(cursor: &mut IoCursor<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let window = cursor.window();
            if window.is_empty() {
                return out;
            }
            let bytes: Vec<u8> = window.iter().flat_map(|s| s.iter().copied()).collect();
            out.extend_from_slice(&bytes);
            cursor.advance(bytes.len()).unwrap();
        }
    }

    /// `abcdefghi` in five buffers, one of them empty.
    #[cfg(unix)]
    fn abcdefghi() -> [IoSlice<'static>; 5] {
        [
            IoSlice::new(b"ab"),
            IoSlice::new(b"cd"),
            IoSlice::new(b""),
            IoSlice::new(b"efg"),
            IoSlice::new(b"hi"),
        ]
    }

    #[test]
    #[cfg(unix)]
    fn advancing_past_the_window_lands_inside_later_buffers() {
        let bufs = abcdefghi();
        for n in 0..=9 {
            let mut cursor = IoCursor::<IOV_MAX>::with_limits(&bufs, 2, usize::MAX);
            let (window, bytes, after) = cursor.window_and_rest();
            assert_eq!((window.len(), bytes, after.len()), (2, 4, 3));
            cursor.advance_past_window(n).unwrap();
            assert_eq!(cursor.transferred(), n);
            assert_eq!(rest_of(&mut cursor), &b"abcdefghi"[n..], "n = {n}");
        }
        // More than there is: an error, and the cursor unchanged.
        let mut cursor = IoCursor::<IOV_MAX>::with_limits(&bufs, 2, usize::MAX);
        cursor.window();
        let err = cursor.advance_past_window(10).unwrap_err();
        assert_eq!((err.claimed(), err.offered()), (10, 9));
        assert_eq!(rest_of(&mut cursor), b"abcdefghi");
    }

    #[test]
    #[cfg(unix)]
    fn advancing_over_whole_buffers_after_the_window_agrees_with_walking_them() {
        let bufs = abcdefghi();
        for (entries, n) in [(0, 4), (1, 4), (2, 7), (3, 9)] {
            let mut walked = IoCursor::<IOV_MAX>::with_limits(&bufs, 2, usize::MAX);
            let mut counted = IoCursor::<IOV_MAX>::with_limits(&bufs, 2, usize::MAX);
            walked.window();
            counted.window();
            walked.advance_past_window(n).unwrap();
            counted.advance_window_and(n, entries).unwrap();
            assert_eq!(counted.transferred(), n);
            assert_eq!(rest_of(&mut counted), rest_of(&mut walked), "{entries} {n}");
        }
        // After a short first call, the window starts inside a buffer.
        let mut cursor = IoCursor::<IOV_MAX>::with_limits(&bufs, 2, usize::MAX);
        cursor.window();
        cursor.advance(1).unwrap();
        cursor.window();
        cursor.advance_window_and(3 + 3, 2).unwrap();
        assert_eq!(rest_of(&mut cursor), b"hi");
        // Less than the window, or more buffers than follow it: an error, nothing moves.
        let mut cursor = IoCursor::<IOV_MAX>::with_limits(&bufs, 2, usize::MAX);
        cursor.window();
        assert!(cursor.advance_window_and(3, 0).is_err());
        assert!(cursor.advance_window_and(9, 4).is_err());
        assert_eq!(rest_of(&mut cursor), b"abcdefghi");
    }

    #[test]
    #[cfg(unix)]
    fn a_window_cut_from_one_buffer_has_nothing_after_it() {
        let bufs = [IoSlice::new(b"abcdef"), IoSlice::new(b"gh")];
        let mut cursor = IoCursor::<IOV_MAX>::with_limits(&bufs, IOV_MAX, 4);
        let (window, bytes, after) = cursor.window_and_rest();
        assert_eq!((window.len(), bytes, after.len()), (1, 4, 0));
        assert!(cursor.advance_past_window(5).is_err());
        cursor.advance_past_window(4).unwrap();
        // After a partial window the rest continues from inside the buffer.
        let (window, bytes, after) = cursor.window_and_rest();
        assert_eq!((&*window[0], bytes, after.len()), (&b"ef"[..], 4, 0));
        cursor.advance(1).unwrap();
        let (_, _, after) = cursor.window_and_rest();
        assert!(after.is_empty());
        cursor.advance_past_window(3).unwrap();
        assert_eq!(rest_of(&mut cursor), b"");
    }

    #[test]
    #[cfg(unix)]
    fn limit_bytes_rebuilds_the_window() {
        let bufs = [IoSlice::new(b"abcdef"), IoSlice::new(b"gh")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.window();
        cursor.advance(1).unwrap();
        cursor.limit_bytes(3);
        assert_eq!(drive(cursor, &[usize::MAX]), b"bcdefgh");
    }

    #[test]
    fn remaining_counts_partial_first_buffer() {
        let bufs = [IoSlice::new(b"abcd"), IoSlice::new(b"ef")];
        let mut cursor = IoCursor::new(&bufs);
        cursor.window();
        cursor.advance(1).unwrap();
        assert_eq!(cursor.remaining(), 5);
    }
}
