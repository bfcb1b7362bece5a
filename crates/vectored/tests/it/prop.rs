//! Property tests: `write_all`, `read_exact` and the cursors against a naive model.
//!
//! The model of a write is the plain concatenation of the buffers: whatever a writer accepts,
//! call by call, must add up to that concatenation (or to its exact prefix of length
//! `transferred` when the loop fails). The mock writers and readers misbehave in the ways real
//! ones do: short counts anywhere (also inside a buffer), one byte per call, only the first
//! buffer (std's default `write_vectored`), `Interrupted`, `WouldBlock`, hard errors, `Ok(0)`
//! and over-claiming counts.
//!
//! Cases default to 64 (`PROPTEST_CASES` overrides); buffer lists run from 1 to 5000 buffers
//! (crossing `IOV_MAX`) with sizes biased small and the total capped per mock so the file stays
//! fast in debug builds.

use crate::support;

use std::io::{self, IoSlice, IoSliceMut, Read, Write};

use proptest::prelude::*;
use proptest::test_runner::Config;
use support::{chunks, layout, layout_mut, pattern, slices, slices_from, slices_mut_from};
use vectored::{IoCursor, IoCursorMut, IOV_MAX};

// ---------------------------------------------------------------------------------------------
// Strategies

/// One buffer length: often empty or tiny, sometimes up to 64 KiB.
fn buf_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        3 => Just(0usize),
        10 => 1usize..16,
        4 => 16usize..1024,
        1 => 1024usize..65_536,
    ]
}

/// A list of 1..5000 buffer lengths whose total is scaled down to at most `max_total`.
fn buf_lens(max_total: usize) -> impl Strategy<Value = Vec<usize>> {
    let count = prop_oneof![
        4 => 1usize..16,
        3 => 16usize..1100,
        1 => 1000usize..5000,
    ];
    count
        .prop_flat_map(|n| proptest::collection::vec(buf_len(), n))
        .prop_map(move |lens| scale(lens, max_total))
}

/// Shrinks every length proportionally so the total fits `max_total` (zeros stay zeros).
fn scale(lens: Vec<usize>, max_total: usize) -> Vec<usize> {
    let total: usize = lens.iter().sum();
    if total <= max_total {
        return lens;
    }
    lens.into_iter().map(|l| l * max_total / total).collect()
}

fn config() -> Config {
    // 64 cases unless PROPTEST_CASES says otherwise; no regression files in the source tree.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Mock writers

/// A small deterministic generator for the mocks' choices (seeded by proptest).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*; a zero state would stick at zero.
        if self.0 == 0 {
            self.0 = 0x2545_F491_4F6C_DD1D;
        }
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `1..=max` (`max >= 1`).
    fn upto(&mut self, max: usize) -> usize {
        1 + usize::try_from(self.next() % max as u64).unwrap()
    }

    /// A short count for a window of `total` bytes whose first buffer has `first` bytes:
    /// everything, a random amount, a few bytes, or a cut inside the first buffer.
    fn short_count(&mut self, total: usize, first: usize) -> usize {
        match self.next() % 4 {
            0 => total,
            1 => self.upto(total),
            2 => self.upto(total.min(64)),
            _ => self.upto(first),
        }
    }
}

/// What a mock writer or reader does on one call.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Random short counts, never 0.
    Short,
    /// One byte per call.
    OneByte,
    /// Random short counts, with `Interrupted` and `WouldBlock` mixed in.
    Flaky,
    /// Random short counts until call `at`, which fails as `how`.
    FailAt { at: usize, how: Failure },
}

#[derive(Debug, Clone, Copy)]
enum Failure {
    /// `ENOSPC` from the OS.
    NoSpace,
    /// `EPIPE` from the OS.
    Pipe,
    /// A custom (non-OS) error.
    Custom,
    /// `Ok(0)` with bytes offered.
    Zero,
    /// A count larger than what was offered.
    Overclaim,
}

impl Failure {
    fn error(self) -> io::Error {
        match self {
            Self::NoSpace => io::Error::from_raw_os_error(libc::ENOSPC),
            Self::Pipe => io::Error::from_raw_os_error(libc::EPIPE),
            Self::Custom => io::Error::other("mock failure"),
            Self::Zero | Self::Overclaim => unreachable!("not an error return"),
        }
    }

    /// The kind and errno the loop must report for this failure: those of the error the
    /// mock returned, unchanged.
    fn expected(self) -> (io::ErrorKind, Option<i32>) {
        match self {
            Self::NoSpace | Self::Pipe | Self::Custom => {
                let e = self.error();
                (e.kind(), e.raw_os_error())
            }
            Self::Zero => (io::ErrorKind::WriteZero, None),
            Self::Overclaim => (io::ErrorKind::InvalidData, None),
        }
    }
}

fn failure() -> impl Strategy<Value = Failure> {
    prop_oneof![
        Just(Failure::NoSpace),
        Just(Failure::Pipe),
        Just(Failure::Custom),
        Just(Failure::Zero),
        Just(Failure::Overclaim),
    ]
}

/// A `Write` with a vectored `write_vectored` that behaves as `behaviour` says and checks
/// every window it is offered.
struct MockWriter<'e> {
    /// The whole stream the caller means to write, to check each accepted piece in place.
    expected: &'e [u8],
    sink: Vec<u8>,
    rng: Rng,
    behaviour: Behaviour,
    calls: usize,
    would_blocks: usize,
}

impl<'e> MockWriter<'e> {
    fn new(expected: &'e [u8], seed: u64, behaviour: Behaviour) -> Self {
        Self {
            expected,
            sink: Vec::new(),
            rng: Rng(seed),
            behaviour,
            calls: 0,
            would_blocks: 0,
        }
    }

    /// Accepts the first `n` bytes of `bufs`.
    fn accept(&mut self, bufs: &[IoSlice<'_>], n: usize) -> usize {
        let mut left = n;
        for buf in bufs {
            let take = buf.len().min(left);
            self.sink.extend_from_slice(&buf[..take]);
            left -= take;
            if left == 0 {
                break;
            }
        }
        assert_eq!(left, 0, "accepted more than offered");
        let start = self.sink.len() - n;
        assert!(
            self.sink[start..] == self.expected[start..start + n],
            "bytes {start}..{} differ from the model",
            start + n
        );
        n
    }
}

impl Write for MockWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let call = self.calls;
        self.calls += 1;
        assert!(
            bufs.len() <= IOV_MAX,
            "window of {} > IOV_MAX buffers",
            bufs.len()
        );
        // The loop must never offer nothing: `Ok(0)` would then be ambiguous. The cursor
        // guarantees a window never starts with an empty buffer.
        assert!(
            !bufs.is_empty() && !bufs[0].is_empty(),
            "window starts empty"
        );
        match self.behaviour {
            Behaviour::OneByte => Ok(self.accept(bufs, 1)),
            Behaviour::Short => {
                let total: usize = bufs.iter().map(|b| b.len()).sum();
                let n = self.rng.short_count(total, bufs[0].len());
                Ok(self.accept(bufs, n))
            }
            Behaviour::Flaky => match self.rng.next() % 5 {
                0 => Err(io::ErrorKind::Interrupted.into()),
                1 => {
                    self.would_blocks += 1;
                    Err(io::ErrorKind::WouldBlock.into())
                }
                _ => {
                    let total: usize = bufs.iter().map(|b| b.len()).sum();
                    let n = self.rng.short_count(total, bufs[0].len());
                    Ok(self.accept(bufs, n))
                }
            },
            Behaviour::FailAt { at, how } => {
                assert!(call <= at, "called again after failing at call {at}");
                let total: usize = bufs.iter().map(|b| b.len()).sum();
                if call < at {
                    let n = self.rng.short_count(total, bufs[0].len());
                    return Ok(self.accept(bufs, n));
                }
                match how {
                    Failure::Zero => Ok(0),
                    Failure::Overclaim => Ok(total + 1),
                    _ => Err(how.error()),
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A `Write` without `write_vectored`: std's default offers only the first non-empty buffer.
struct FirstOnly<'e> {
    inner: MockWriter<'e>,
}

impl Write for FirstOnly<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Accept a random prefix of the one buffer std passes on.
        let n = self.inner.rng.short_count(buf.len(), buf.len());
        self.inner.write_vectored(&[IoSlice::new(&buf[..n])])
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `write_all` with `behaviour` and checks the outcome against the model.
fn check_write_all(lens: &[usize], seed: u64, behaviour: Behaviour) {
    let data = chunks(seed, lens);
    let expected = data.concat();
    let bufs = slices(&data);
    let before = layout(&bufs);
    let mut w = MockWriter::new(&expected, seed ^ 0xABCD, behaviour);
    let result = vectored::write_all(&mut w, &bufs);
    assert_eq!(layout(&bufs), before, "the caller's slices were modified");
    match (behaviour, result) {
        (Behaviour::FailAt { at, how }, Err(e)) => {
            assert_eq!(w.calls, at + 1, "the error must end the loop");
            assert_eq!(e.transferred(), w.sink.len(), "{e}");
            assert!(
                w.sink[..] == expected[..e.transferred()],
                "sink is not the prefix"
            );
            let (kind, errno) = how.expected();
            assert_eq!((e.kind(), e.raw_os_error()), (kind, errno), "{e}");
        }
        (Behaviour::FailAt { at, .. }, Ok(n)) => {
            assert!(w.calls <= at, "finished although call {at} failed");
            assert_eq!(n, expected.len());
            assert!(w.sink == expected, "sink differs from the model");
        }
        (_, Ok(n)) => {
            assert_eq!(n, expected.len());
            assert!(w.sink == expected, "sink differs from the model");
        }
        (_, Err(e)) => panic!("unexpected error {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Mock readers

/// A `Read` with a vectored `read_vectored` over `source`, behaving as `behaviour` says.
struct MockReader<'s> {
    source: &'s [u8],
    pos: usize,
    rng: Rng,
    behaviour: Behaviour,
    calls: usize,
}

impl MockReader<'_> {
    /// Fills the first `n` bytes of `bufs` from the source.
    fn fill(&mut self, bufs: &mut [IoSliceMut<'_>], n: usize) -> usize {
        let n = n.min(self.source.len() - self.pos);
        let mut left = n;
        for buf in bufs.iter_mut() {
            let take = buf.len().min(left);
            buf[..take].copy_from_slice(&self.source[self.pos..self.pos + take]);
            self.pos += take;
            left -= take;
            if left == 0 {
                break;
            }
        }
        n
    }
}

impl Read for MockReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_vectored(&mut [IoSliceMut::new(buf)])
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let call = self.calls;
        self.calls += 1;
        assert!(
            bufs.len() <= IOV_MAX,
            "window of {} > IOV_MAX buffers",
            bufs.len()
        );
        assert!(
            !bufs.is_empty() && !bufs[0].is_empty(),
            "window starts empty"
        );
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        match self.behaviour {
            Behaviour::OneByte => Ok(self.fill(bufs, 1)),
            Behaviour::Short => {
                let n = self.rng.short_count(total, bufs[0].len());
                Ok(self.fill(bufs, n))
            }
            Behaviour::Flaky => match self.rng.next() % 5 {
                0 => Err(io::ErrorKind::Interrupted.into()),
                1 => Err(io::ErrorKind::WouldBlock.into()),
                _ => {
                    let n = self.rng.short_count(total, bufs[0].len());
                    Ok(self.fill(bufs, n))
                }
            },
            Behaviour::FailAt { at, how } => {
                assert!(call <= at, "called again after failing at call {at}");
                if call < at {
                    let n = self.rng.short_count(total, bufs[0].len());
                    return Ok(self.fill(bufs, n));
                }
                match how {
                    Failure::Zero => Ok(0),
                    Failure::Overclaim => Ok(total + 1),
                    _ => Err(how.error()),
                }
            }
        }
    }
}

/// A `Read` without `read_vectored`: std's default fills only the first non-empty buffer.
struct ReadFirstOnly<'s>(MockReader<'s>);

impl Read for ReadFirstOnly<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_vectored(&mut [IoSliceMut::new(buf)])
    }
}

/// Fills buffers of `lens` from a source of `available` bytes (fewer than the total means an
/// early end of file) and checks the outcome against the model.
fn check_read_exact(lens: &[usize], available: usize, seed: u64, behaviour: Behaviour) {
    let total: usize = lens.iter().sum();
    let source = pattern(seed, total);
    let source = &source[..available.min(total)];
    // Distinct filler, so bytes the loop must not touch can be checked.
    let untouched = chunks(!seed, lens);
    let mut store = untouched.clone();
    let mut reader = MockReader {
        source,
        pos: 0,
        rng: Rng(seed ^ 0x5EED),
        behaviour,
        calls: 0,
    };
    let result = {
        let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let before = layout_mut(&bufs);
        let result = vectored::read_exact(&mut reader, &mut bufs);
        assert_eq!(
            layout_mut(&bufs),
            before,
            "the caller's slices were modified"
        );
        result
    };
    let filled = match result {
        Ok(n) => {
            assert_eq!(n, total);
            assert_eq!(source.len(), total, "filled past the end of the source");
            total
        }
        Err(e) => {
            let expected = match behaviour {
                Behaviour::FailAt { at, how } if reader.calls == at + 1 => how.expected(),
                _ => (io::ErrorKind::UnexpectedEof, None),
            };
            let expected = match expected.0 {
                // A reader's `Ok(0)` is end of file, not `WriteZero`.
                io::ErrorKind::WriteZero => (io::ErrorKind::UnexpectedEof, None),
                _ => expected,
            };
            assert_eq!((e.kind(), e.raw_os_error()), expected, "{e}");
            if e.kind() == io::ErrorKind::UnexpectedEof
                && !matches!(
                    behaviour,
                    Behaviour::FailAt {
                        how: Failure::Zero,
                        ..
                    }
                )
            {
                assert_eq!(e.transferred(), source.len());
            }
            assert_eq!(e.transferred(), reader.pos, "{e}");
            e.transferred()
        }
    };
    let got = store.concat();
    let mut want = source[..filled].to_vec();
    want.extend_from_slice(&untouched.concat()[filled..]);
    assert!(
        got == want,
        "buffers differ from the model ({filled} filled)"
    );
}

// ---------------------------------------------------------------------------------------------
// Cursor models

/// The greedy window a fresh cursor must offer at stream position `p`: the rest of the
/// current buffer (or a `max_bytes` piece of it), then whole buffers while both limits hold.
fn greedy_window(lens: &[usize], p: usize, max_iov: usize, max_bytes: usize) -> Vec<usize> {
    let mut start = 0;
    let mut i = 0;
    while i < lens.len() && start + lens[i] <= p {
        start += lens[i];
        i += 1;
    }
    if i == lens.len() {
        return Vec::new();
    }
    let avail = start + lens[i] - p;
    if avail > max_bytes {
        return vec![max_bytes];
    }
    let mut window = vec![avail];
    let mut bytes = avail;
    for &len in &lens[i + 1..] {
        if window.len() == max_iov || len > max_bytes - bytes {
            break;
        }
        window.push(len);
        bytes += len;
    }
    window
}

/// Stream position → (buffer index, offset) of the non-empty buffer holding byte `p`.
fn locate(starts: &[usize], lens: &[usize], p: usize) -> (usize, usize) {
    // The last buffer starting at or before `p` holds it: any later buffer, empty ones
    // included, starts after the end of the one that holds `p`.
    let i = starts.partition_point(|&s| s <= p) - 1;
    assert!(p < starts[i] + lens[i], "position {p} outside the stream");
    (i, p - starts[i])
}

fn concat(window: &[IoSlice<'_>]) -> Vec<u8> {
    window.iter().flat_map(|s| s.iter().copied()).collect()
}

/// Drives an `IoCursor<N>` with a random advance schedule and checks every window against
/// the model.
fn check_cursor<const N: usize>(
    lens: &[usize],
    max_iovecs: usize,
    max_bytes: usize,
    schedule: &[u8],
    seed: u64,
) {
    let data = chunks(seed, lens);
    let stream = data.concat();
    let total = stream.len();
    let bufs = slices(&data);
    let before = layout(&bufs);
    let starts: Vec<usize> = lens
        .iter()
        .scan(0, |s, &l| {
            let start = *s;
            *s += l;
            Some(start)
        })
        .collect();
    let max_iov = max_iovecs.clamp(1, N.max(1));
    let max_b = max_bytes.max(1);

    let mut cursor = IoCursor::<N>::with_limits(&bufs, max_iovecs, max_bytes);
    let mut pos = 0;
    let mut fresh = true; // no partial advance since the window was last emptied
    for step in 0.. {
        let window = cursor.window();
        if pos == total {
            assert!(window.is_empty(), "window after the end");
            break;
        }
        assert!(!window.is_empty(), "empty window at {pos} of {total}");
        let wlens: Vec<usize> = window.iter().map(|b| b.len()).collect();
        let wb: usize = wlens.iter().sum();
        assert!(
            wlens.len() <= max_iov,
            "{} descriptors > {max_iov}",
            wlens.len()
        );
        assert!(
            wb >= 1 && wb <= max_b && wb <= total - pos,
            "window bytes {wb}"
        );
        let (i, off) = locate(&starts, lens, pos);
        assert_eq!(
            wlens[0],
            (lens[i] - off).min(max_b),
            "first descriptor at {pos}"
        );
        if fresh {
            assert_eq!(
                wlens,
                greedy_window(lens, pos, max_iov, max_b),
                "fresh window at {pos}"
            );
        }
        // Zero copy: every non-empty descriptor points into the caller's buffer at the
        // position it stands for, and the bytes are the model's.
        let mut at = pos;
        for entry in window {
            if !entry.is_empty() {
                let (buf, off_in) = locate(&starts, lens, at);
                assert_eq!(
                    entry.as_ptr(),
                    data[buf][off_in..].as_ptr(),
                    "descriptor for {at}"
                );
            }
            at += entry.len();
        }
        assert!(
            concat(window) == stream[pos..pos + wb],
            "window bytes at {pos}"
        );
        assert_eq!(cursor.window_bytes(), wb);

        // Past a generous number of steps, finish with full advances so that a schedule of
        // zeros or over-claims cannot loop forever.
        let pick = if step > 4 * total + 64 {
            3
        } else {
            schedule[step % schedule.len()]
        };
        let n = match pick % 8 {
            0 => 0,
            1 => 1,
            2 => wb - 1,
            3 | 4 => wb,
            5 => {
                // Over-claim: rejected, nothing changes.
                let claim = wb + 1 + usize::from(pick);
                let err = cursor.advance(claim).unwrap_err();
                assert_eq!((err.claimed(), err.offered()), (claim, wb));
                assert_eq!(cursor.transferred(), pos);
                assert!(concat(cursor.window()).starts_with(&stream[pos..pos + wb]));
                continue;
            }
            6 => {
                // Asking again without advancing offers the same bytes, maybe more.
                let again = concat(cursor.window());
                assert!(again.starts_with(&stream[pos..pos + wb]), "window changed");
                0
            }
            _ => 1 + usize::from(pick) % wb,
        };
        cursor.advance(n).unwrap();
        pos += n;
        fresh = n == wb || (fresh && n == 0);
        assert_eq!(cursor.transferred(), pos);
        assert_eq!(cursor.remaining(), total - pos);
    }
    assert_eq!(cursor.transferred(), total);
    drop(cursor);
    assert_eq!(layout(&bufs), before, "the caller's slices were modified");
}

/// Drives an `IoCursorMut<N>`: every window must map onto the caller's storage at the right
/// stream positions, so that filling windows in turn fills the storage in order.
fn check_cursor_mut<const N: usize>(
    lens: &[usize],
    max_iovecs: usize,
    max_bytes: usize,
    schedule: &[u8],
    seed: u64,
) {
    let stream = pattern(seed, lens.iter().sum());
    let total = stream.len();
    let mut store: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0u8; l]).collect();
    let bases: Vec<usize> = store.iter().map(|b| b.as_ptr() as usize).collect();
    let starts: Vec<usize> = lens
        .iter()
        .scan(0, |s, &l| {
            let start = *s;
            *s += l;
            Some(start)
        })
        .collect();
    let max_iov = max_iovecs.clamp(1, N.max(1));
    let max_b = max_bytes.max(1);
    {
        let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let before = layout_mut(&bufs);
        {
            let mut cursor = IoCursorMut::<N>::with_limits(&mut bufs, max_iovecs, max_bytes);
            let mut pos = 0;
            for step in 0.. {
                let window = cursor.window();
                if pos == total {
                    assert!(window.is_empty(), "window after the end");
                    break;
                }
                assert!(!window.is_empty(), "empty window at {pos} of {total}");
                assert!(window.len() <= max_iov, "{} > {max_iov}", window.len());
                assert!(!window[0].is_empty(), "window starts empty");
                let wb: usize = window.iter().map(|b| b.len()).sum();
                assert!(
                    wb >= 1 && wb <= max_b && wb <= total - pos,
                    "window bytes {wb}"
                );
                let mut at = pos;
                for entry in window.iter() {
                    if !entry.is_empty() {
                        let (buf, off_in) = locate(&starts, lens, at);
                        assert_eq!(
                            entry.as_ptr() as usize,
                            bases[buf] + off_in,
                            "descriptor for {at}"
                        );
                    }
                    at += entry.len();
                }
                let pick = if step > 4 * total + 64 {
                    2
                } else {
                    schedule[step % schedule.len()]
                };
                let n = match pick % 6 {
                    0 => 0,
                    1 => 1,
                    2 | 3 => wb,
                    4 => {
                        let claim = wb + 1;
                        assert_eq!(cursor.advance(claim).unwrap_err().offered(), wb);
                        assert_eq!(cursor.transferred(), pos);
                        continue;
                    }
                    _ => 1 + usize::from(pick) % wb,
                };
                // Fill the first n bytes of the window with the next stream bytes.
                let window = cursor.window();
                let mut left = n;
                let mut at = pos;
                for entry in window.iter_mut() {
                    let take = entry.len().min(left);
                    entry[..take].copy_from_slice(&stream[at..at + take]);
                    at += take;
                    left -= take;
                    if left == 0 {
                        break;
                    }
                }
                cursor.advance(n).unwrap();
                pos += n;
                assert_eq!(cursor.transferred(), pos);
            }
        }
        assert_eq!(
            layout_mut(&bufs),
            before,
            "the caller's slices were modified"
        );
    }
    assert!(store.concat() == stream, "storage differs from the stream");
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config())]

    /// (a) Random short counts, including cuts inside a buffer.
    #[test]
    fn write_all_short_counts(lens in buf_lens(1 << 20), seed in any::<u64>()) {
        check_write_all(&lens, seed, Behaviour::Short);
    }

    /// (b) One byte per call.
    #[test]
    fn write_all_one_byte_per_call(lens in buf_lens(16 << 10), seed in any::<u64>()) {
        check_write_all(&lens, seed, Behaviour::OneByte);
    }

    /// (c) std's default `write_vectored`: only the first non-empty buffer, short counts too.
    #[test]
    fn write_all_first_buffer_only(lens in buf_lens(1 << 20), seed in any::<u64>()) {
        let data = chunks(seed, &lens);
        let expected = data.concat();
        let bufs = slices(&data);
        let before = layout(&bufs);
        let mut w = FirstOnly { inner: MockWriter::new(&expected, seed, Behaviour::Short) };
        let n = vectored::write_all(&mut w, &bufs).unwrap();
        prop_assert_eq!(layout(&bufs), before);
        prop_assert_eq!(n, expected.len());
        prop_assert!(w.inner.sink == expected);
    }

    /// (d) `Interrupted` is retried inside the loop; `WouldBlock` ends it with the exact
    /// progress, and the caller resumes from a fresh list sliced at that offset.
    #[test]
    fn write_all_would_block_resumes(lens in buf_lens(256 << 10), seed in any::<u64>()) {
        let data = chunks(seed, &lens);
        let expected = data.concat();
        let all = slices(&data);
        let before = layout(&all);
        let mut w = MockWriter::new(&expected, seed, Behaviour::Flaky);
        let mut done = 0;
        let mut rounds = 0;
        loop {
            let bufs = slices_from(&data, done);
            let inner_before = layout(&bufs);
            let result = vectored::write_all(&mut w, &bufs);
            prop_assert_eq!(layout(&bufs), inner_before);
            match result {
                Ok(n) => {
                    prop_assert_eq!(done + n, expected.len());
                    break;
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{}", e);
                    done += e.transferred();
                    prop_assert_eq!(w.sink.len(), done);
                    prop_assert!(w.sink[..] == expected[..done]);
                }
            }
            rounds += 1;
            prop_assert!(rounds <= w.would_blocks, "more errors than WouldBlocks");
        }
        prop_assert!(w.sink == expected);
        prop_assert_eq!(layout(&all), before);
    }

    /// (e) A failure at call `at` (OS error, custom error, `Ok(0)`, over-claim) ends the loop
    /// with exactly the bytes accepted before it.
    #[test]
    fn write_all_fails_at_call_k(
        lens in buf_lens(256 << 10),
        seed in any::<u64>(),
        at in 0usize..40,
        how in failure(),
    ) {
        check_write_all(&lens, seed, Behaviour::FailAt { at, how });
    }

    /// Short reads (and one-byte reads) land in order; an early end of file reports exactly
    /// the bytes filled and leaves the rest of the buffers untouched.
    #[test]
    fn read_exact_short_reads(
        lens in buf_lens(1 << 20),
        seed in any::<u64>(),
        missing in prop_oneof![3 => Just(0usize), 1 => 1usize..100_000],
        one_byte in proptest::bool::weighted(0.1),
    ) {
        // One-byte reads of a megabyte are slow in debug builds: scale those lists down.
        let (lens, behaviour) = if one_byte {
            (scale(lens, 16 << 10), Behaviour::OneByte)
        } else {
            (lens, Behaviour::Short)
        };
        let total: usize = lens.iter().sum();
        check_read_exact(&lens, total.saturating_sub(missing), seed, behaviour);
    }

    /// A failure at read call `at` reports exactly the bytes filled before it.
    #[test]
    fn read_exact_fails_at_call_k(
        lens in buf_lens(256 << 10),
        seed in any::<u64>(),
        at in 0usize..40,
        how in failure(),
    ) {
        let total: usize = lens.iter().sum();
        check_read_exact(&lens, total, seed, Behaviour::FailAt { at, how });
    }

    /// std's default `read_vectored` fills only the first non-empty buffer.
    #[test]
    fn read_exact_first_buffer_only(lens in buf_lens(1 << 20), seed in any::<u64>()) {
        let total: usize = lens.iter().sum();
        let source = pattern(seed, total);
        let mut store: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0u8; l]).collect();
        let mut reader = ReadFirstOnly(MockReader {
            source: &source,
            pos: 0,
            rng: Rng(seed),
            behaviour: Behaviour::Short,
            calls: 0,
        });
        let mut bufs: Vec<IoSliceMut<'_>> = store.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        prop_assert_eq!(vectored::read_exact(&mut reader, &mut bufs).unwrap(), total);
        drop(bufs);
        prop_assert!(store.concat() == source);
    }

    /// `WouldBlock` from a reader ends `read_exact` with the bytes filled; resuming from a
    /// fresh list at that offset completes the fill.
    #[test]
    fn read_exact_would_block_resumes(lens in buf_lens(256 << 10), seed in any::<u64>()) {
        let total: usize = lens.iter().sum();
        let source = pattern(seed, total);
        let mut store: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0u8; l]).collect();
        let mut reader = MockReader {
            source: &source,
            pos: 0,
            rng: Rng(seed),
            behaviour: Behaviour::Flaky,
            calls: 0,
        };
        let mut done = 0;
        loop {
            let mut bufs = slices_mut_from(&mut store, done);
            match vectored::read_exact(&mut reader, &mut bufs) {
                Ok(n) => {
                    prop_assert_eq!(done + n, total);
                    break;
                }
                Err(e) => {
                    prop_assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{}", e);
                    done += e.transferred();
                    prop_assert_eq!(reader.pos, done);
                }
            }
        }
        prop_assert!(store.concat() == source);
    }

    /// `IoCursor` with random limits and advance schedules, against the model, for several
    /// window capacities (1 and 3 exercise the private window's compaction at every step).
    #[test]
    fn io_cursor_matches_model(
        lens in proptest::collection::vec(prop_oneof![2 => Just(0usize), 5 => 1usize..12, 1 => 12usize..200], 0..120),
        max_iovecs in 0usize..12,
        max_bytes in prop_oneof![Just(0usize), 1usize..40, Just(usize::MAX)],
        schedule in proptest::collection::vec(any::<u8>(), 1..32),
        seed in any::<u64>(),
    ) {
        check_cursor::<1>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor::<3>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor::<8>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor::<IOV_MAX>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor::<IOV_MAX>(&lens, usize::MAX, usize::MAX, &schedule, seed);
    }

    /// `IoCursorMut` with random limits and advance schedules.
    #[test]
    fn io_cursor_mut_matches_model(
        lens in proptest::collection::vec(prop_oneof![2 => Just(0usize), 5 => 1usize..12, 1 => 12usize..200], 0..120),
        max_iovecs in 0usize..12,
        max_bytes in prop_oneof![Just(0usize), 1usize..40, Just(usize::MAX)],
        schedule in proptest::collection::vec(any::<u8>(), 1..32),
        seed in any::<u64>(),
    ) {
        check_cursor_mut::<1>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor_mut::<3>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor_mut::<8>(&lens, max_iovecs, max_bytes, &schedule, seed);
        check_cursor_mut::<IOV_MAX>(&lens, max_iovecs, max_bytes, &schedule, seed);
    }
}

/// The same long list through `IoCursor` with its default limits: at most `IOV_MAX`
/// descriptors per window and the minimal number of windows.
#[test]
fn long_list_needs_ceil_n_over_iov_max_windows() {
    for n in [1usize, 1023, 1024, 1025, 4097, 5000] {
        let lens = vec![1usize; n];
        let data = chunks(7, &lens);
        let bufs = slices(&data);
        let mut cursor = IoCursor::new(&bufs);
        let mut windows = 0;
        loop {
            let w = cursor.window();
            if w.is_empty() {
                break;
            }
            assert!(w.len() <= IOV_MAX);
            let len = w.len();
            cursor.advance(len).unwrap();
            windows += 1;
        }
        assert_eq!(windows, n.div_ceil(IOV_MAX), "{n} buffers");
    }
}
