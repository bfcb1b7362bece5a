//! The gather engine: a window over a stream of pieces kept in private storage, shared by the
//! read cursor and the write queue's flush.

use std::io::{IoSlice, IoSliceMut};

use arrayvec::ArrayVec;

use super::{clamp_limits, Overrun};

/// A window entry: `IoSlice` for writes, `IoSliceMut` for reads.
pub(crate) trait Entry {
    fn entry_len(&self) -> usize;
    fn entry_advance(&mut self, n: usize);
}

impl Entry for IoSlice<'_> {
    #[inline]
    fn entry_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn entry_advance(&mut self, n: usize) {
        self.advance(n);
    }
}

impl Entry for IoSliceMut<'_> {
    #[inline]
    fn entry_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn entry_advance(&mut self, n: usize) {
        self.advance(n);
    }
}

/// A run of bytes a window entry is made from: `&[u8]` for writes, `&mut [u8]` for reads.
pub(crate) trait Piece: Sized {
    type Entry: Entry;
    fn piece_len(&self) -> usize;
    fn empty() -> Self;
    /// Splits off the first `mid` bytes.
    fn split(self, mid: usize) -> (Self, Self);
    fn into_entry(self) -> Self::Entry;
}

impl<'s> Piece for &'s [u8] {
    type Entry = IoSlice<'s>;
    #[inline]
    fn piece_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn empty() -> Self {
        &[]
    }
    #[inline]
    fn split(self, mid: usize) -> (Self, Self) {
        self.split_at(mid)
    }
    #[inline]
    fn into_entry(self) -> IoSlice<'s> {
        IoSlice::new(self)
    }
}

impl<'s> Piece for &'s mut [u8] {
    type Entry = IoSliceMut<'s>;
    #[inline]
    fn piece_len(&self) -> usize {
        self.len()
    }
    #[inline]
    fn empty() -> Self {
        &mut []
    }
    #[inline]
    fn split(self, mid: usize) -> (Self, Self) {
        self.split_at_mut(mid)
    }
    #[inline]
    fn into_entry(self) -> IoSliceMut<'s> {
        IoSliceMut::new(self)
    }
}

/// A window over a stream of pieces, kept in private storage: the engine of
/// [`IoCursorMut`] and of the write queue's flush.
///
/// Pieces are taken from `rest` in order, each exactly once; empty pieces are skipped; a piece
/// longer than the byte budget is offered in budget-sized parts. After a short transfer only
/// the first entry is adjusted, and the consumed front is reclaimed once at least half the
/// storage is consumed, so the work is O(pieces) over a whole transfer.
pub(crate) struct Gather<P: Piece, I, const N: usize> {
    rest: I,
    /// The part of the current piece not yet in the window (non-empty only for pieces longer
    /// than the byte budget).
    pending: P,
    /// The window is `scratch[start..]`.
    scratch: ArrayVec<P::Entry, N>,
    start: usize,
    wbytes: usize,
    transferred: usize,
    max_iovecs: usize,
    max_bytes: usize,
    /// Set when pieces remain but `transferred` cannot count them.
    count_overflow: bool,
}

impl<P: Piece, I: Iterator<Item = P>, const N: usize> Gather<P, I, N> {
    #[inline]
    pub(crate) fn new(rest: I, max_iovecs: usize, max_bytes: usize) -> Self {
        let (max_iovecs, max_bytes) = clamp_limits::<N>(max_iovecs, max_bytes);
        Self {
            rest,
            pending: P::empty(),
            scratch: ArrayVec::new(),
            start: 0,
            wbytes: 0,
            transferred: 0,
            max_iovecs,
            max_bytes,
            count_overflow: false,
        }
    }

    #[inline]
    pub(crate) fn window(&mut self) -> &mut [P::Entry] {
        self.fill();
        &mut self.scratch[self.start..]
    }

    #[cfg(test)]
    pub(crate) fn set_transferred_for_test(&mut self, transferred: usize) {
        self.transferred = transferred;
    }

    /// Descriptors in the current window.
    pub(crate) fn window_len(&self) -> usize {
        self.scratch.len() - self.start
    }

    pub(crate) fn window_bytes(&self) -> usize {
        self.wbytes
    }

    pub(crate) fn transferred(&self) -> usize {
        self.transferred
    }

    /// Whether the window is empty because `transferred` cannot count further although
    /// pieces remain.
    pub(crate) fn count_overflow(&self) -> bool {
        self.count_overflow
    }

    #[inline]
    pub(crate) fn advance(&mut self, n: usize) -> Result<(), Overrun> {
        if n > self.wbytes {
            return Err(Overrun::new(n, self.wbytes));
        }
        self.transferred += n;
        self.wbytes -= n;
        let mut left = n;
        while left > 0 {
            let first = &mut self.scratch[self.start];
            if left < first.entry_len() {
                first.entry_advance(left);
                break;
            }
            left -= first.entry_len();
            self.start += 1;
        }
        Ok(())
    }

    /// Tops the window up to the limits, taking pieces in order.
    #[inline]
    fn fill(&mut self) {
        if self.start == self.scratch.len() {
            self.scratch.clear();
            self.start = 0;
        } else if self.start >= N / 2 {
            self.scratch.drain(..self.start);
            self.start = 0;
        }
        let limit = (self.start + self.max_iovecs).min(N);
        // The window never holds more than `transferred` can still count. `transferred` does
        // not change here, so the byte budget is computed once, and then shrinks by each
        // piece taken (recomputing it per piece cost ~9 instructions per iovec).
        let mut room = self
            .max_bytes
            .min(usize::MAX - self.transferred)
            .saturating_sub(self.wbytes);
        while self.scratch.len() < limit {
            let piece = if self.pending.piece_len() > 0 {
                std::mem::replace(&mut self.pending, P::empty())
            } else {
                match self.rest.next() {
                    Some(piece) if piece.piece_len() == 0 => continue,
                    Some(piece) => piece,
                    None => break,
                }
            };
            let piece = if piece.piece_len() <= room {
                piece
            } else if room == 0 && self.scratch.len() == self.start {
                // `usize::MAX` bytes transferred and more to go: report it, offer nothing.
                self.count_overflow = true;
                self.pending = piece;
                break;
            } else if self.scratch.len() == self.start {
                // An empty window and a piece over the byte budget: offer a budget-sized part.
                let (part, rest) = piece.split(room);
                self.pending = rest;
                part
            } else {
                self.pending = piece;
                break;
            };
            // `piece` fits `room` (or is a `room`-sized part): neither can underflow.
            room -= piece.piece_len();
            self.wbytes += piece.piece_len();
            // Cannot fail: `limit` is at most the capacity.
            let _ = self.scratch.try_push(piece.into_entry());
        }
    }
}
