//! Coalescing small buffers for one write call: the staging step of `write_all_fd`.
//!
//! Where the kernel copies the data (sockets, pipes, regular files), each descriptor of a
//! vectored call costs about 25–35 ns in the kernel's `copy_from_iter`, as much as a
//! 400–500 byte `memcpy` (on `/dev/null`, which copies nothing, about 3 ns). So for one
//! call's window, runs of small buffers are copied into one staging buffer and offered as one
//! descriptor, while larger buffers are offered by reference. The staged list holds exactly the
//! window's bytes (and the small buffers past it that ride along), in order: a count
//! returned by the call advances the cursor as it would have without staging.
//!
//! Pure data: no system calls here.

use std::io::{self, IoSlice};

use arrayvec::ArrayVec;

use crate::copy;
use crate::limits::IOV_MAX;

/// Buffers shorter than this are copied when they come in runs, for pipes and regular files
/// (stream sockets draw the line lower, `fd::mode::SOCKET_SMALL`): below it a copy costs
/// less than the descriptor it saves (about a 400–500 byte `memcpy`, see above), the line
/// the queue's default copy threshold draws too. Measured in the full grid of 2026-12-02
/// (`BENCHMARKS.md`, "Third sitting"): at 1024 × 256 B on files, one copy then one call
/// (`concat`) is 1.17–1.42× faster than the buffers by reference, at 1024 × 512 B they are
/// even.
pub(crate) const SMALL: usize = 512;

/// Ends the open run of `len` entries from `first`, staged from `from` up to `at` in the
/// staging buffer: two or more are one staged descriptor, a lone one is taken back and
/// passed by reference. Returns where the staged bytes now end.
fn close_run(slots: &mut Vec<Slot>, first: usize, len: usize, from: usize, at: usize) -> usize {
    match len {
        0 => at,
        1 => {
            slots.push(Slot::Ref(first));
            from
        }
        _ if at == from => at, // Only empty entries: nothing to write.
        _ => {
            slots.push(Slot::Staged(at - from));
            at
        }
    }
}

/// Copies the run of entries of `entries` shorter than `small` from `i` into `buf` at `at`,
/// ending where the next would pass `limit`: returns the index of the first entry after the
/// run, and where the staged bytes end. Entries of one inline size class (see
/// [`copy_class`]) are copied by that class's loop, so a run of like sizes (records of one
/// length, the commonest run) pays the size dispatch once, not once per entry.
#[inline]
fn copy_small(
    buf: &mut Vec<u8>,
    entries: &[IoSlice<'_>],
    (mut i, mut at): (usize, usize),
    limit: usize,
    small: usize,
) -> (usize, usize) {
    while let Some(entry) = entries.get(i) {
        let n = entry.len();
        let end = at + n;
        if n >= small || end > limit {
            break;
        }
        if end > buf.len() {
            grow(buf, end);
        }
        // The class loops stop where the buffer would need to grow, or at `limit`.
        let cap = limit.min(buf.len());
        let run = (i, at);
        (i, at) = match n {
            4..8 => copy_class(buf, entries, run, cap, 4..small.min(8), copy::copy_4_to_8),
            8..16 => copy_class(buf, entries, run, cap, 8..small.min(16), copy::copy_8_to_16),
            16..32 => copy_class(
                buf,
                entries,
                run,
                cap,
                16..small.min(32),
                copy::copy_16_to_32,
            ),
            32..64 => copy_class(
                buf,
                entries,
                run,
                cap,
                32..small.min(64),
                copy::copy_32_to_64,
            ),
            64..=128 => copy_class(
                buf,
                entries,
                run,
                cap,
                64..small.min(129),
                copy::copy_64_to_128,
            ),
            129.. => copy_class(buf, entries, run, cap, 129..small, <[u8]>::copy_from_slice),
            // 0 to 3 bytes: not worth a loop of their own.
            _ => {
                buf[at..end].copy_from_slice(entry);
                (i + 1, end)
            }
        };
    }
    (i, at)
}

/// Copies entries of `entries` from `i` into `buf` at `at` with `copy` while their lengths
/// are in `class` (one of the inline classes of `copy`, cut at the small line) and they end
/// within `cap`: returns the index of the first entry not copied, and where the staged bytes
/// end. Per entry: its length's range test, the end's test and the copy.
#[inline]
fn copy_class(
    buf: &mut [u8],
    entries: &[IoSlice<'_>],
    (mut i, mut at): (usize, usize),
    cap: usize,
    class: std::ops::Range<usize>,
    copy: impl Fn(&mut [u8], &[u8]),
) -> (usize, usize) {
    let span = class.end - class.start;
    while let Some(entry) = entries.get(i) {
        let end = at + entry.len();
        if entry.len().wrapping_sub(class.start) >= span || end > cap {
            break;
        }
        copy(&mut buf[at..end], entry);
        at = end;
        i += 1;
    }
    (i, at)
}

/// Lengthens the staging buffer to at least `len` bytes: to twice its length (at least a
/// page, at most [`KEEP`], which is more than any call stages), so that a call's run of tiny
/// entries grows it a few times, not once per entry.
#[cold]
fn grow(buf: &mut Vec<u8>, len: usize) {
    buf.resize(len.max((2 * buf.len()).clamp(4096, KEEP)), 0);
}

/// One descriptor of a staged call: window entry `i` by reference, or the next `bytes` of
/// the staging buffer.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Ref(usize),
    Staged(usize),
}

/// The staging buffer of one write-all loop, reused for every call (it grows to the
/// largest call's staged bytes, at most that call's bytes), as is the list of the call's
/// descriptors. Both come from, and go back to, a per-thread spare (up to [`KEEP`] bytes),
/// so a thread's loops allocate them once rather than grow them in each loop.
#[derive(Debug)]
pub(crate) struct Staging {
    /// The staging buffer: its first `staged` bytes are the current call's. Its length only
    /// grows (zero-filled once), so that copying an entry is a plain slice copy, without
    /// the capacity test and length update of `extend_from_slice` (measured: 27 instructions
    /// per 100-byte entry with them, against 15 for a hand-written loop).
    buf: Vec<u8>,
    /// How many bytes of `buf` the current call stages.
    staged: usize,
    /// The descriptors of the current call, laid out by the one pass that copies.
    slots: Vec<Slot>,
    /// Whether a call was planned already.
    planned: bool,
    /// Set when the first call had nothing to stage: the loop's buffers are then taken to be
    /// large, and later calls skip the plan.
    nothing_to_stage: bool,
    /// Entries shorter than this are small ([`SMALL`], or the fd kind's line: see
    /// `FdWriter::stage_below`).
    small: usize,
}

/// The most staging a thread keeps between loops: one window of small buffers
/// (`IOV_MAX` × 511 bytes) plus what may ride along past it (256 KiB).
const KEEP: usize = 768 * 1024;

thread_local! {
    /// The staging buffer and descriptor list of the thread's last loop.
    static SPARE: std::cell::Cell<(Vec<u8>, Vec<Slot>)> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.buf.capacity() <= KEEP && self.slots.capacity() <= KEEP {
            let (buf, mut slots) = (
                std::mem::take(&mut self.buf),
                std::mem::take(&mut self.slots),
            );
            slots.clear();
            // `try_with`: a loop run from another thread-local's destructor must not panic.
            let _ = SPARE.try_with(|spare| spare.set((buf, slots)));
        }
    }
}

impl Staging {
    /// A staging step with the thread's spare buffers, for entries shorter than [`SMALL`].
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::below(SMALL)
    }

    /// A staging step with the thread's spare buffers, for entries shorter than `small`.
    pub(crate) fn below(small: usize) -> Self {
        let (buf, slots) = SPARE.try_with(std::cell::Cell::take).unwrap_or_default();
        Self {
            buf,
            staged: 0,
            slots,
            planned: false,
            nothing_to_stage: false,
            small,
        }
    }

    /// Makes the one call `write` for `window`, with runs of small buffers staged (see
    /// [`lay_out`](Self::lay_out)); the list `write` gets holds exactly the window's bytes,
    /// in order, in at most as many descriptors.
    pub(crate) fn write(
        &mut self,
        window: &[IoSlice<'_>],
        write: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        // Nothing to stage, or a window longer than a call takes (never from the cursor):
        // the window as it is.
        if self.nothing_to_stage || window.len() > IOV_MAX {
            return write(window);
        }
        self.write_parts(window, write)
    }

    /// Makes the one call `write` for `window` followed by the small buffers that come next
    /// in the caller's list (`after` is that list; see `write_all_fd`: tiny buffers are not
    /// held to [`IOV_MAX`] per call): as many as fit in `room` bytes, up to the first that is
    /// not small. The window must end with a small buffer, so that they extend its last run
    /// and the call has no more descriptors than the window alone. Returns the call's result
    /// and how many buffers of `after` it offered, with their bytes.
    pub(crate) fn write_extended(
        &mut self,
        window: &[IoSlice<'_>],
        after: &[IoSlice<'_>],
        room: usize,
        write: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> (io::Result<usize>, usize, usize) {
        debug_assert!(window.last().is_some_and(|last| last.len() < self.small));
        let (taken, bytes) = self.lay_out(window, after, room);
        let result = self.write_laid_out(window, &after[..taken], write);
        (result, taken, bytes)
    }

    /// Lays out one call over `window` then `after` in one pass (the tests' `plan` is the
    /// model, with unbounded room): each run of two or more consecutive small entries
    /// (shorter than the line given to [`below`](Self::below)) is copied into the staging
    /// buffer as it is read (a run that ends with one entry is taken back: that entry is
    /// passed by reference), every other entry is a
    /// [`Slot::Ref`]. Then the small entries at the front of `after`, as many as fit in
    /// `room` bytes, extend the window's last run. Returns how many of `after` it took, and
    /// their bytes.
    fn lay_out(
        &mut self,
        window: &[IoSlice<'_>],
        after: &[IoSlice<'_>],
        room: usize,
    ) -> (usize, usize) {
        let (buf, slots, small) = (&mut self.buf, &mut self.slots, self.small);
        slots.clear();
        // Where the staged bytes end, and the run left open at the end of the window: its
        // first entry and where it starts in `buf`.
        let (mut at, mut open) = (0, None);
        let mut i = 0;
        while let Some(entry) = window.get(i) {
            if entry.len() >= small {
                slots.push(Slot::Ref(i));
                i += 1;
                continue;
            }
            let (first, from) = (i, at);
            (i, at) = copy_small(buf, window, (i, at), usize::MAX, small);
            if i < window.len() {
                at = close_run(slots, first, i - first, from, at);
            } else {
                open = Some((first, from));
            }
        }
        let (first, from) = open.unwrap_or((window.len(), at));
        let (taken, end) = copy_small(buf, after, (0, at), at.saturating_add(room), small);
        self.staged = close_run(slots, first, window.len() - first + taken, from, end);
        (taken, end - at)
    }

    /// The staged call over `window`, laid out.
    fn write_parts(
        &mut self,
        window: &[IoSlice<'_>],
        write: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.lay_out(window, &[], 0);
        self.write_laid_out(window, &[], write)
    }

    /// The call over `window` then `after`, as [`lay_out`](Self::lay_out) laid them out.
    fn write_laid_out(
        &mut self,
        window: &[IoSlice<'_>],
        after: &[IoSlice<'_>],
        write: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let entry = |i: usize| {
            window
                .get(i)
                .map_or_else(|| after[i - window.len()], |&slice| slice)
        };
        let first = !std::mem::replace(&mut self.planned, true);
        if self.staged == 0 && after.is_empty() {
            self.nothing_to_stage = first;
            return write(window);
        }
        let staged = &self.buf[..self.staged];
        let mut iovs: ArrayVec<IoSlice<'_>, IOV_MAX> = ArrayVec::new();
        let mut at = 0;
        for &slot in &self.slots {
            let iov = match slot {
                Slot::Ref(i) => entry(i),
                Slot::Staged(bytes) => {
                    at += bytes;
                    IoSlice::new(&staged[at - bytes..at])
                }
            };
            // Never more than a call takes: the rest is offered by the next call.
            if iovs.try_push(iov).is_err() {
                break;
            }
        }
        write(&iovs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    // The model of a call's layout, written for clarity: `Staging::lay_out` must agree with it.

    /// One piece of a staged call, in window order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Piece {
        /// Window entry `i`, by reference.
        Ref(usize),
        /// Window entries `entries`, copied one after another into the staging buffer, `bytes`
        /// bytes in all.
        Staged { entries: Range<usize>, bytes: usize },
    }

    /// A run of small entries being gathered by [`plan`].
    #[derive(Debug, Default)]
    struct Run {
        start: usize,
        len: usize,
        bytes: usize,
    }

    impl Run {
        /// Ends the run: two or more entries are staged (taking `bytes` of `room`), a lone entry
        /// is passed by reference (copying it would save no descriptor).
        fn close(&mut self, room: &mut usize, emit: &mut impl FnMut(Piece)) {
            match self.len {
                0 => {}
                1 => emit(Piece::Ref(self.start)),
                _ => {
                    emit(Piece::Staged {
                        entries: self.start..self.start + self.len,
                        bytes: self.bytes,
                    });
                    *room -= self.bytes;
                }
            }
            *self = Run::default();
        }

        /// Adds entry `i` of `len` bytes if it is shorter than `small` and fits in `room`.
        fn take(&mut self, i: usize, len: usize, room: usize, small: usize) -> bool {
            if len >= small || len > room - self.bytes {
                return false;
            }
            if self.len == 0 {
                self.start = i;
            }
            self.len += 1;
            self.bytes += len;
            true
        }
    }

    /// The pieces of one call for a window whose entries are `lens` long, with `capacity` bytes
    /// of staging: each run of two or more consecutive entries shorter than [`SMALL`] that fits in
    /// what is left of the staging buffer becomes one [`Piece::Staged`]; every other entry is a
    /// [`Piece::Ref`]. A run that would overflow the staging buffer is cut there, and what does
    /// not fit starts a new run only if it fits. Deterministic: the same lengths and capacity
    /// give the same pieces.
    fn plan(lens: impl Iterator<Item = usize>, capacity: usize, emit: impl FnMut(Piece)) {
        plan_below(lens, capacity, SMALL, emit);
    }

    /// [`plan`] with `small` in place of [`SMALL`].
    fn plan_below(
        lens: impl Iterator<Item = usize>,
        capacity: usize,
        small: usize,
        mut emit: impl FnMut(Piece),
    ) {
        let mut room = capacity;
        let mut run = Run::default();
        for (i, len) in lens.enumerate() {
            if run.take(i, len, room, small) {
                continue;
            }
            run.close(&mut room, &mut emit);
            if !run.take(i, len, room, small) {
                emit(Piece::Ref(i));
            }
        }
        run.close(&mut room, &mut emit);
    }

    /// The bytes a window needs staged with an unbounded staging buffer.
    #[cfg(test)]
    fn staged_bytes(window: &[IoSlice<'_>]) -> usize {
        let mut need = 0;
        plan(window.iter().map(|s| s.len()), usize::MAX, |piece| {
            if let Piece::Staged { bytes, .. } = piece {
                need += bytes;
            }
        });
        need
    }

    fn pieces(lens: &[usize], capacity: usize) -> Vec<Piece> {
        let mut out = Vec::new();
        plan(lens.iter().copied(), capacity, |p| out.push(p));
        out
    }

    fn flat(iovs: &[IoSlice<'_>]) -> Vec<u8> {
        iovs.iter().flat_map(|s| s.iter().copied()).collect()
    }

    fn staged(entries: Range<usize>, bytes: usize) -> Piece {
        Piece::Staged { entries, bytes }
    }

    #[test]
    fn runs_of_small_entries_are_staged_large_ones_passed() {
        use Piece::Ref;
        let max = usize::MAX;
        assert_eq!(pieces(&[], max), []);
        assert_eq!(pieces(&[16; 4], max), [staged(0..4, 64)]);
        assert_eq!(
            pieces(&[10, 20, 4096, 30, 40, 50, SMALL], max),
            [staged(0..2, 30), Ref(2), staged(3..6, 120), Ref(6)]
        );
        // SMALL - 1 is small, SMALL is not.
        assert_eq!(
            pieces(&[SMALL - 1, SMALL - 1, SMALL], max),
            [staged(0..2, 2 * SMALL - 2), Ref(2)]
        );
        // A lone small entry is passed as it is: copying it saves no descriptor.
        assert_eq!(pieces(&[1000, 8, 1000], max), [Ref(0), Ref(1), Ref(2)]);
        assert_eq!(pieces(&[8], max), [Ref(0)]);
        assert_eq!(pieces(&[8, 9], max), [staged(0..2, 17)]);
        // Zero-length entries join runs (they cost nothing to copy).
        assert_eq!(pieces(&[0, 5, 0], max), [staged(0..3, 5)]);
    }

    /// A staging step made for a lower line (a socket's) stages only entries under it.
    #[test]
    fn a_lower_line_is_honoured() {
        let line = 256;
        let data = [[1u8; 255], [2u8; 255]];
        let big = [[3u8; 256], [4u8; 256]];
        let window = [
            IoSlice::new(&data[0]),
            IoSlice::new(&data[1]),
            IoSlice::new(&big[0]),
            IoSlice::new(&big[1]),
        ];
        let mut staging = Staging::below(line);
        let n = staging
            .write(&window, |iovs| {
                let lens: Vec<usize> = iovs.iter().map(|iov| iov.len()).collect();
                assert_eq!(lens, [510, 256, 256], "255 B staged, 256 B by reference");
                assert_eq!(flat(iovs), flat(&window));
                Ok(flat(iovs).len())
            })
            .unwrap();
        assert_eq!(n, 1022);
    }

    #[test]
    fn staging_room_bounds_the_runs() {
        use Piece::Ref;
        // 100 bytes of room: the run is cut where it would overflow, the rest starts anew
        // only if it fits.
        assert_eq!(
            pieces(&[40, 40, 40, 40], 100),
            [staged(0..2, 80), Ref(2), Ref(3)]
        );
        assert_eq!(
            pieces(&[40, 40, 10, 10, 40], 100),
            [staged(0..4, 100), Ref(4)]
        );
        // A lone entry that ended a run does not take room.
        assert_eq!(pieces(&[90, 20, 5, 5], 100), [Ref(0), staged(1..4, 30)]);
        assert_eq!(pieces(&[16; 3], 0), [Ref(0), Ref(1), Ref(2)]);
    }

    #[test]
    fn staged_bytes_never_exceed_the_window() {
        for lens in [&[16usize; 1024][..], &[1, 300, 2, 3, 4000, 255, 255]] {
            let data: Vec<Vec<u8>> = lens.iter().map(|&n| vec![7; n]).collect();
            let window: Vec<IoSlice<'_>> = data.iter().map(|d| IoSlice::new(d)).collect();
            let total: usize = lens.iter().sum();
            assert!(staged_bytes(&window) <= total);
        }
        let window = [IoSlice::new(&[1; 16]), IoSlice::new(&[2; 16])];
        assert_eq!(staged_bytes(&window), 32);
    }

    /// Every call's list holds the window's bytes in order, in no more descriptors; the
    /// buffer grows once, for the first (largest) window.
    #[test]
    fn staged_lists_keep_the_bytes_and_reuse_one_buffer() {
        let data: Vec<Vec<u8>> = (0..300u16)
            .map(|i| {
                vec![
                    (i % 251) as u8;
                    [3, 16, SMALL + 44, 0, 100, SMALL - 1, SMALL][usize::from(i) % 7]
                ]
            })
            .collect();
        let window: Vec<IoSlice<'_>> = data.iter().map(|d| IoSlice::new(d)).collect();
        let mut staging = Staging::new();
        let mut first_capacity = None;
        for start in [0, 1, 7, 150, 299] {
            let window = &window[start..];
            let mut seen = None;
            let n = staging
                .write(window, |iovs| {
                    assert!(iovs.len() <= window.len());
                    seen = Some((flat(iovs), iovs.len()));
                    Ok(iovs.iter().map(|s| s.len()).sum())
                })
                .unwrap();
            let (bytes, count) = seen.unwrap();
            assert_eq!(bytes, flat(window), "start {start}");
            assert_eq!(n, bytes.len());
            if start == 0 {
                // Each group of 7 (3 16 | SMALL + 44 | 0 100 SMALL - 1 | SMALL) takes 4 descriptors; the
                // last 6 entries take 3.
                assert_eq!(count, 42 * 4 + 3);
            }
            let capacity = *first_capacity.get_or_insert(staging.buf.capacity());
            assert_eq!(staging.buf.capacity(), capacity, "never reallocated");
        }
    }

    #[test]
    fn nothing_to_stage_passes_the_window_itself() {
        let big = vec![1u8; 4096];
        let window = [IoSlice::new(&big), IoSlice::new(b"x"), IoSlice::new(&big)];
        let mut staging = Staging::new();
        staging
            .write(&window, |iovs| {
                assert_eq!(iovs.as_ptr(), window.as_ptr());
                Ok(0)
            })
            .unwrap();
        // The lone small entry was copied, then taken back.
        assert_eq!(staging.staged, 0);
    }

    /// The one-pass layout agrees with the model's plan (unbounded room) for any lengths:
    /// the same descriptors, holding the same bytes.
    #[test]
    fn the_one_pass_layout_follows_the_model() {
        use proptest::prelude::*;
        let lens = proptest::collection::vec(
            prop_oneof![0usize..=2, 3usize..SMALL, SMALL..SMALL + 2, 300usize..5000],
            0..300,
        );
        proptest!(|(lens in lens)| {
            let data: Vec<Vec<u8>> = lens
                .iter()
                .enumerate()
                .map(|(i, &n)| vec![u8::try_from(i % 251).unwrap(); n])
                .collect();
            let window: Vec<IoSlice<'_>> = data.iter().map(|d| IoSlice::new(d)).collect();
            let mut expected = Vec::new();
            plan(lens.iter().copied(), usize::MAX, |piece| match piece {
                Piece::Ref(i) => expected.push(Slot::Ref(i)),
                Piece::Staged { bytes: 0, .. } => {}
                Piece::Staged { bytes, .. } => expected.push(Slot::Staged(bytes)),
            });
            let mut staging = Staging::new();
            prop_assert_eq!(staging.lay_out(&window, &[], 0), (0, 0));
            prop_assert_eq!(format!("{:?}", staging.slots), format!("{expected:?}"));
            // The same list split as `write_extended` splits it (a window that ends with a
            // small entry, then small entries only) lays out the same.
            let suffix = lens.iter().rev().take_while(|&&n| n < SMALL).count();
            if suffix > 0 {
                let split = lens.len() - suffix + suffix.div_ceil(2);
                let tail: usize = lens[split..].iter().sum();
                let taken = staging.lay_out(&window[..split], &window[split..], usize::MAX);
                prop_assert_eq!(taken, (lens.len() - split, tail));
                prop_assert_eq!(format!("{:?}", staging.slots), format!("{expected:?}"));
                // With less room, the longest prefix of the rest that fits.
                let room = tail / 2;
                let fits = lens[split..]
                    .iter()
                    .scan(0, |sum, &n| { *sum += n; Some(*sum) })
                    .take_while(|&sum| sum <= room)
                    .count();
                let taken = staging.lay_out(&window[..split], &window[split..], room);
                let bytes: usize = lens[split..split + fits].iter().sum();
                prop_assert_eq!(taken, (fits, bytes));
                let mut expected = Vec::new();
                plan(lens[..split + fits].iter().copied(), usize::MAX, |piece| match piece {
                    Piece::Ref(i) => expected.push(Slot::Ref(i)),
                    Piece::Staged { bytes: 0, .. } => {}
                    Piece::Staged { bytes, .. } => expected.push(Slot::Staged(bytes)),
                });
                prop_assert_eq!(format!("{:?}", staging.slots), format!("{expected:?}"));
            }
            let mut seen = Vec::new();
            staging.write(&window, |iovs| { seen = flat(iovs); Ok(0) }).unwrap();
            prop_assert!(seen == flat(&window));
        });
    }

    /// The layout at any line, over lengths that cross the copy's size classes (4, 8, 16,
    /// 32, 64, 129 bytes: each copied by a loop of its own) and the line inside a run: the
    /// same descriptors as the model, each entry's bytes where the model puts them, and
    /// the staging buffer grown in the middle of runs (it starts empty, and grows from a
    /// page).
    #[test]
    fn the_layout_follows_the_model_at_any_line_across_size_classes() {
        use proptest::prelude::*;
        let edges = [
            0usize, 1, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 129, 130,
        ];
        let len = prop_oneof![
            proptest::sample::select(edges.to_vec()),
            0usize..140,
            129usize..700,
            // Runs of one length, the records the class loops are for.
            Just(8usize),
            Just(100usize),
        ];
        let small = prop_oneof![
            proptest::sample::select(vec![
                1usize, 4, 5, 8, 9, 16, 17, 33, 64, 65, 96, 128, 129, 130, 512
            ]),
            1usize..800,
        ];
        let runs = proptest::collection::vec((len, 1usize..80), 0..40);
        proptest!(|(runs in runs, small in small)| {
            let lens: Vec<usize> = runs.iter().flat_map(|&(len, n)| std::iter::repeat_n(len, n)).collect();
            let data: Vec<Vec<u8>> = lens
                .iter()
                .enumerate()
                .map(|(i, &n)| (0..n).map(|k| u8::try_from((i * 7 + k) % 251).unwrap()).collect())
                .collect();
            let window: Vec<IoSlice<'_>> = data.iter().map(|d| IoSlice::new(d)).collect();
            let mut expected = Vec::new();
            plan_below(lens.iter().copied(), usize::MAX, small, |piece| match piece {
                Piece::Ref(i) => expected.push(Slot::Ref(i)),
                Piece::Staged { bytes: 0, .. } => {}
                Piece::Staged { bytes, .. } => expected.push(Slot::Staged(bytes)),
            });
            // A fresh staging step, not the thread's spare: its buffer grows during the run.
            let mut staging = Staging::below(small);
            staging.buf = Vec::new();
            prop_assert_eq!(staging.lay_out(&window, &[], 0), (0, 0));
            prop_assert_eq!(format!("{:?}", staging.slots), format!("{expected:?}"));
            let mut seen = Vec::new();
            staging.write(&window, |iovs| { seen = flat(iovs); Ok(0) }).unwrap();
            prop_assert!(seen == flat(&window));
        });
    }

    #[test]
    fn small_buffers_after_the_window_extend_its_last_run() {
        let records: Vec<Vec<u8>> = (0..3000u16).map(|i| i.to_le_bytes().repeat(8)).collect();
        let all: Vec<IoSlice<'_>> = records.iter().map(|r| IoSlice::new(r)).collect();
        let (window, after) = all.split_at(1024);
        let mut staging = Staging::new();
        let mut seen = None;
        let (n, taken, taken_bytes) = staging.write_extended(window, after, usize::MAX, |iovs| {
            seen = Some((flat(iovs), iovs.len()));
            Ok(iovs.iter().map(|s| s.len()).sum())
        });
        let (bytes, count) = seen.unwrap();
        assert_eq!(bytes, flat(&all));
        assert_eq!((n.unwrap(), count), (3000 * 16, 1));
        assert_eq!((taken, taken_bytes), (3000 - 1024, (3000 - 1024) * 16));
        // As many as fit in the room (100 bytes: 6 records), and none past a large buffer.
        let (_, taken, taken_bytes) = staging.write_extended(window, after, 100, |_| Ok(0));
        assert_eq!((taken, taken_bytes), (6, 96));
        let large = [IoSlice::new(&[0; SMALL])];
        let (_, taken, _) = staging.write_extended(window, &large, usize::MAX, |iovs| {
            assert_eq!(flat(iovs), flat(window));
            Ok(0)
        });
        assert_eq!(taken, 0);
        // A window with large buffers: the staged tail grows, the descriptors do not.
        let big = vec![9u8; 4096];
        let mut window = vec![IoSlice::new(&big), IoSlice::new(&records[0])];
        window.extend_from_slice(&all[1..5]);
        let (n, taken, _) = staging.write_extended(&window, &all[5..100], usize::MAX, |iovs| {
            assert_eq!(iovs.len(), 2);
            assert_eq!(&*iovs[0], &big[..]);
            assert_eq!(flat(&iovs[1..]), flat(&all[..100]));
            Ok(10)
        });
        assert_eq!((n.unwrap(), taken), (10, 95));
    }

    /// The staging buffer's growth, as the docs of `FdOptions::coalesce` promise it: from a
    /// page, by doubling, never past `KEEP` unless one call needs more.
    #[test]
    fn the_staging_buffer_grows_by_doubling_from_a_page_up_to_keep() {
        let mut buf = Vec::new();
        grow(&mut buf, 10);
        assert_eq!(buf.len(), 4096);
        grow(&mut buf, 4097);
        assert_eq!(buf.len(), 8192);
        grow(&mut buf, 30_000);
        assert_eq!(buf.len(), 30_000);
        let mut buf = vec![0; KEEP / 2 + 1];
        grow(&mut buf, KEEP / 2 + 2);
        assert_eq!(buf.len(), KEEP);
        grow(&mut buf, KEEP + 1);
        assert_eq!(buf.len(), KEEP + 1);
    }

    #[test]
    fn a_threads_staging_buffers_are_kept_for_its_next_loop() {
        std::thread::spawn(|| {
            let window = [IoSlice::new(&[1; 16]), IoSlice::new(&[2; 16])];
            let mut staging = Staging::new();
            staging.write(&window, |iovs| Ok(flat(iovs).len())).unwrap();
            let kept = staging.buf.as_ptr();
            drop(staging);
            let next = Staging::new();
            assert!(next.staged == 0 && next.buf.len() >= 32);
            assert_eq!(next.buf.as_ptr(), kept, "the same allocation");
            drop(next);
            // More than `KEEP` is not kept.
            let mut big = Staging::new();
            big.buf.reserve(KEEP + 1);
            drop(big);
            assert!(Staging::new().buf.capacity() <= KEEP);
        })
        .join()
        .unwrap();
    }
}
