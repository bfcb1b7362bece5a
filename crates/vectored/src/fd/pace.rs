//! Pacing the write calls to a pipe by where its reader runs: small calls while the reader
//! drains on a CPU of its own, calls of the whole pipe while it shares the writer's CPU.
//!
//! # Why (measurements: `BENCHMARKS.md`, "No regret", "Pacing pipes")
//!
//! The kernel copies a pipe write into the pipe's pages under the pipe's mutex and wakes the
//! reader only when the pipe was empty; the reader copies out under the same mutex. Which
//! call size is fastest depends on one thing the writer cannot see directly: where the
//! reader runs.
//!
//! - **Reader on another, idle CPU**: waking it is a cross-CPU wake-up of a halted vCPU, tens
//!   of µs. Calls of 8 KiB wake it after the first one and keep it draining concurrently; the
//!   pipe seldom fills and neither side sleeps (1000 × 1 KiB: 2–3 writer sleeps per batch).
//!   Calls of the whole pipe fill it before the reader is up, so the two alternate with a
//!   sleep each per 64 KiB: 2–4× slower.
//! - **Reader on the writer's CPU** (the other CPUs busy): every call that finds the pipe
//!   empty hands the CPU to the reader, so the fewest hand-overs win: calls of the whole
//!   pipe; 8 KiB calls are up to 1.9× slower.
//!
//! What tells the two apart is how often the writer gives up its CPU per small call: it
//! sleeps on a full pipe, or the reader it woke on its own CPU preempts it. With the reader
//! on its own CPU that is 1–17% of 8 KiB calls in the measurements; with a shared CPU
//! 18–96%, mostly above 30%. A call of the whole pipe is a hand-over in both regimes, so
//! only small calls can be judged: the pacer counts the writer thread's context switches
//! (`getrusage(RUSAGE_THREAD)`) over its small calls and switches to whole-pipe calls when
//! at least a quarter of them gave up the CPU. The verdict is kept per thread, so the next
//! loop on the thread starts with it, and a thread that settled on whole-pipe calls tries
//! small calls again now and then ([`PROBE_EVERY`] loops, or [`WHOLE_SPAN`] calls into a long
//! loop), since readers move.
//!
//! Looking at the count is one system call (~0.4 µs), but not free: with the reader draining
//! concurrently, any pause of the writer can let it find the pipe empty and sleep, and its
//! wake-up costs a cross-CPU wake-up. Looking every 16 calls made 8 KiB calls 1.3–1.5× slower
//! (`docs/experiments/results/2026-12-02-pacer-look-cost.txt`), so a loop on small calls
//! looks only when it ends (in `Drop`), or every [`SMALL_SPAN`] calls when it is long, and a
//! probe looks once after [`PROBE_CALLS`] calls.

use std::cell::Cell;
use std::io::{self, IoSlice};

use arrayvec::ArrayVec;

use crate::limits::IOV_MAX;
use crate::sys;

/// The call size while the reader has a CPU of its own: std's `BufWriter` size, the best or
/// within noise of it in the idle-reader measurements (4 KiB was as good, 16 KiB 1.3–3×
/// slower for large buffers).
pub(crate) const SMALL_CALL: usize = 8 * 1024;

/// Small calls between two looks inside one long loop (2 MiB).
const SMALL_SPAN: u32 = 256;

/// Small calls a probe makes before its look.
const PROBE_CALLS: u32 = 32;

/// Whole-pipe calls inside one long loop before a probe (16 MiB with the default pipe).
const WHOLE_SPAN: u32 = 256;

/// Loops on whole-pipe calls between two probes.
const PROBE_EVERY: u32 = 16;

/// A loop that ends with fewer small calls leaves no verdict.
const MIN_CALLS_FOR_VERDICT: u32 = 4;

/// What the thread learned from its last loops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Verdict {
    /// Whether pipe readers share this thread's CPU.
    shared: bool,
    /// Loops on whole-pipe calls since the last probe.
    whole_loops: u32,
}

thread_local! {
    static VERDICT: Cell<Verdict> = const {
        Cell::new(Verdict {
            shared: false,
            whole_loops: 0,
        })
    };
}

/// The two call sizes of the pacer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// At most [`SMALL_CALL`] bytes per call: the reader drains concurrently on its own CPU.
    Small,
    /// The whole window (the pipe's capacity): the reader shares the writer's CPU.
    Whole,
}

#[derive(Debug, Clone, Copy)]
struct State {
    mode: Mode,
    /// Calls in this mode since the last look (or mode change).
    calls: u32,
    /// Calls until the next look or mode change.
    span: u32,
    /// The thread's context switches when the calls began to be counted; `None` until the
    /// loop's second call, so that a loop of one call (most small writes) makes no
    /// `getrusage` at all.
    mark: Option<u64>,
    /// Whether the loop's first call (never counted) was made.
    first_done: bool,
}

/// The pacer of one loop call on a pipe (see the module docs).
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Cell<State>,
}

impl Pacer {
    /// A pacer starting from this thread's verdict.
    pub(crate) fn new() -> Self {
        let mut verdict = VERDICT.get();
        let state = if !verdict.shared {
            State::small(SMALL_SPAN, None)
        } else if verdict.whole_loops >= PROBE_EVERY {
            verdict.whole_loops = 0;
            State::small(PROBE_CALLS, None)
        } else {
            verdict.whole_loops += 1;
            State::whole(None)
        };
        VERDICT.set(verdict);
        Self {
            state: Cell::new(state),
        }
    }

    /// Makes one call with `call` on the part of `window` the current mode offers, then
    /// counts it (see [`count`](Self::count)).
    #[inline]
    pub(crate) fn write(
        &self,
        window: &[IoSlice<'_>],
        call: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        self.count(|| match self.budget() {
            Some(max) => with_prefix(window, max, call),
            None => call(window),
        })
    }

    /// The most bytes the next call may offer: [`SMALL_CALL`] in small mode, `None` (the
    /// whole window) otherwise.
    #[inline]
    pub(crate) fn budget(&self) -> Option<usize> {
        match self.state.get().mode {
            Mode::Small => Some(SMALL_CALL),
            Mode::Whole => None,
        }
    }

    /// Runs `call`, one write call made within [`budget`](Self::budget), and counts it: from
    /// the loop's second call on, and at the end of a span, looks and decides the mode again.
    #[inline]
    pub(crate) fn count(&self, call: impl FnOnce() -> io::Result<usize>) -> io::Result<usize> {
        let mut state = self.state.get();
        if state.first_done && state.mark.is_none() {
            // The loop's second call: counting starts (see `State::mark`).
            state.mark = sys::thread_switches();
        }
        let result = call();
        if state.first_done {
            state.calls += 1;
            if state.calls == state.span {
                state = state.next();
            }
        } else {
            state.first_done = true;
        }
        self.state.set(state);
        result
    }

    /// The mode after `calls` small calls during which the writer gave up its CPU
    /// `switches` times: [`Mode::Whole`] when it did in at least a quarter of the calls
    /// (and at least twice).
    pub(crate) fn mode_after(calls: u32, switches: u64) -> Mode {
        if switches >= 2 && switches * 4 >= u64::from(calls) {
            Mode::Whole
        } else {
            Mode::Small
        }
    }

    #[cfg(test)]
    pub(crate) fn mode(&self) -> Mode {
        self.state.get().mode
    }
}

impl State {
    fn small(span: u32, mark: Option<u64>) -> Self {
        Self {
            mode: Mode::Small,
            calls: 0,
            span,
            mark,
            first_done: mark.is_some(),
        }
    }

    fn whole(mark: Option<u64>) -> Self {
        Self {
            mode: Mode::Whole,
            calls: 0,
            span: WHOLE_SPAN,
            mark,
            first_done: mark.is_some(),
        }
    }

    /// At the end of a span: small calls are judged (and the verdict recorded); whole-pipe
    /// calls give way to a probe.
    fn next(self) -> Self {
        let (Some(mark), Some(now)) = (self.mark, sys::thread_switches()) else {
            return Self { calls: 0, ..self };
        };
        let now = Some(now);
        match self.mode {
            Mode::Small => match Pacer::mode_after(self.calls, switches(mark, now)) {
                Mode::Small => {
                    record(false);
                    Self::small(SMALL_SPAN, now)
                }
                Mode::Whole => {
                    record(true);
                    Self::whole(now)
                }
            },
            Mode::Whole => Self::small(PROBE_CALLS, now),
        }
    }
}

/// Context switches from `mark` to `now` (none if `now` could not be read).
fn switches(mark: u64, now: Option<u64>) -> u64 {
    now.map_or(0, |now| now.saturating_sub(mark))
}

/// Sets this thread's verdict, for tests of the loops that use the pacer.
#[cfg(test)]
pub(crate) fn set_verdict_for_test(shared: bool) {
    record(shared);
}

/// Records the verdict of small calls for the thread's next loops.
fn record(shared: bool) {
    VERDICT.set(Verdict {
        shared,
        whole_loops: 0,
    });
}

impl Drop for Pacer {
    /// Judges the small calls of a loop that ended before its next look.
    fn drop(&mut self) {
        let state = self.state.get();
        if let (Mode::Small, Some(mark)) = (state.mode, state.mark) {
            if state.calls >= MIN_CALLS_FOR_VERDICT {
                if let Some(now) = sys::thread_switches() {
                    let mode = Self::mode_after(state.calls, now.saturating_sub(mark));
                    record(mode == Mode::Whole);
                }
            }
        }
    }
}

/// Calls `call` with the first `max` bytes of `window` (all of it if shorter). Whole entries
/// are passed as a sub-slice when they make at least half of `max`; otherwise the entries up
/// to the cut are copied to the stack with the last one shortened.
fn with_prefix<R>(window: &[IoSlice<'_>], max: usize, call: impl FnOnce(&[IoSlice<'_>]) -> R) -> R {
    let mut before = 0;
    for (i, entry) in window.iter().enumerate() {
        let end = before + entry.len();
        if end >= max {
            if end == max {
                return call(&window[..=i]);
            }
            if i > 0 && before >= max / 2 {
                return call(&window[..i]);
            }
            let mut cut: ArrayVec<IoSlice<'_>, IOV_MAX> = ArrayVec::new();
            cut.extend(window[..i].iter().copied());
            cut.push(IoSlice::new(&entry[..max - before]));
            return call(&cut);
        }
        before = end;
    }
    call(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(window: &[IoSlice<'_>]) -> Vec<usize> {
        window.iter().map(|s| s.len()).collect()
    }

    fn prefix_lens(sizes: &[usize], max: usize) -> Vec<usize> {
        let data = vec![0u8; sizes.iter().sum()];
        let mut rest = &data[..];
        let window: Vec<IoSlice<'_>> = sizes
            .iter()
            .map(|&n| {
                let (head, tail) = rest.split_at(n);
                rest = tail;
                IoSlice::new(head)
            })
            .collect();
        with_prefix(&window, max, lens)
    }

    #[test]
    fn the_prefix_is_the_first_max_bytes() {
        // Shorter than max: all of it.
        assert_eq!(prefix_lens(&[100, 200], 8192), [100, 200]);
        // Exactly max at an entry boundary.
        assert_eq!(prefix_lens(&[4096, 4096, 4096], 8192), [4096, 4096]);
        // A cut inside a long entry.
        assert_eq!(prefix_lens(&[65536], 8192), [8192]);
        assert_eq!(prefix_lens(&[1000, 65536], 8192), [1000, 7192]);
        // Whole entries making at least half of max: no copy, a little less than max.
        assert_eq!(prefix_lens(&[3000, 3000, 3000], 8192), [3000, 3000]);
        // Many small entries then a long one.
        let mut sizes = vec![100; 50];
        sizes.push(100_000);
        let got = prefix_lens(&sizes, 8192);
        assert_eq!(got.iter().sum::<usize>(), 5000);
        assert_eq!(got.len(), 50);
        let got = prefix_lens(&sizes, 16384);
        assert_eq!(got.iter().sum::<usize>(), 16384);
        assert_eq!(got.len(), 51);
    }

    #[test]
    fn the_prefix_never_passes_max_and_keeps_order() {
        let data: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
        for split in [1, 7, 100, 4095, 4096, 9000] {
            let window: Vec<IoSlice<'_>> = data.chunks(split).map(IoSlice::new).collect();
            for max in [1, 100, 4096, 8192, 8193] {
                let got: Vec<u8> = with_prefix(&window, max, |w| {
                    w.iter().flat_map(|s| s.iter().copied()).collect()
                });
                assert!(
                    !got.is_empty() && got.len() <= max,
                    "split {split} max {max}"
                );
                assert!(
                    got.len() >= max.min(data.len()) / 2,
                    "split {split} max {max}"
                );
                assert_eq!(got[..], data[..got.len()], "split {split} max {max}");
            }
        }
    }

    #[test]
    fn a_quarter_of_small_calls_giving_up_the_cpu_means_a_shared_cpu() {
        assert_eq!(Pacer::mode_after(16, 0), Mode::Small);
        assert_eq!(Pacer::mode_after(16, 3), Mode::Small);
        assert_eq!(Pacer::mode_after(16, 4), Mode::Whole);
        assert_eq!(Pacer::mode_after(16, 16), Mode::Whole);
        // The idle-reader measurements: 1000 x 1 KiB, reader process, 21.5 of 125.
        assert_eq!(Pacer::mode_after(125, 21), Mode::Small);
        // Short loops need two switches at least.
        assert_eq!(Pacer::mode_after(4, 1), Mode::Small);
        assert_eq!(Pacer::mode_after(4, 2), Mode::Whole);
    }

    /// Runs `f` on a fresh thread, whose verdict starts from the default.
    fn on_fresh_thread(f: impl FnOnce() + Send + 'static) {
        std::thread::spawn(f).join().unwrap();
    }

    #[test]
    fn loops_start_from_the_threads_verdict_and_probe_now_and_then() {
        on_fresh_thread(|| {
            assert_eq!(Pacer::new().mode(), Mode::Small);
            record(true);
            let modes: Vec<Mode> = (0..2 * (PROBE_EVERY + 1))
                .map(|_| Pacer::new().mode())
                .collect();
            let probes = modes.iter().filter(|&&m| m == Mode::Small).count();
            assert_eq!(probes, 2, "{modes:?}");
            assert_eq!(modes[usize::try_from(PROBE_EVERY).unwrap()], Mode::Small);
            record(false);
            assert_eq!(Pacer::new().mode(), Mode::Small);
        });
    }

    #[test]
    fn small_calls_that_keep_the_cpu_leave_a_small_verdict() {
        on_fresh_thread(|| {
            record(true);
            let pacer = Pacer {
                state: Cell::new(State::small(SMALL_SPAN, sys::thread_switches())),
            };
            // 64 instant calls: 16 switches in a few µs are out of reach even on a busy CPU.
            for _ in 0..64 {
                pacer.write(&[IoSlice::new(b"x")], |w| Ok(w.len())).unwrap();
            }
            drop(pacer);
            assert!(!VERDICT.get().shared);
        });
    }

    #[test]
    fn small_calls_that_give_up_the_cpu_leave_a_shared_verdict() {
        on_fresh_thread(|| {
            let pacer = Pacer::new();
            // The loop's first call is not counted: one more than the minimum.
            for _ in 0..=MIN_CALLS_FOR_VERDICT {
                // Each call sleeps: a voluntary switch, as on a full pipe.
                pacer
                    .write(&[IoSlice::new(b"x")], |w| {
                        std::thread::sleep(std::time::Duration::from_micros(50));
                        Ok(w.len())
                    })
                    .unwrap();
            }
            drop(pacer);
            assert!(VERDICT.get().shared);
            assert_eq!(Pacer::new().mode(), Mode::Whole);
        });
    }

    #[test]
    fn a_long_loop_looks_at_the_end_of_each_span() {
        on_fresh_thread(|| {
            let pacer = Pacer::new();
            let sleepy = |w: &[IoSlice<'_>]| {
                std::thread::sleep(std::time::Duration::from_micros(20));
                Ok(w.len())
            };
            // The loop's first call is not counted: one more than a span.
            for _ in 0..=SMALL_SPAN {
                pacer.write(&[IoSlice::new(b"x")], sleepy).unwrap();
            }
            assert_eq!(pacer.mode(), Mode::Whole, "sleeping small calls");
            for _ in 0..WHOLE_SPAN {
                pacer.write(&[IoSlice::new(b"x")], |w| Ok(w.len())).unwrap();
            }
            assert_eq!(pacer.mode(), Mode::Small, "a probe after a whole span");
            for _ in 0..PROBE_CALLS {
                pacer.write(&[IoSlice::new(b"x")], |w| Ok(w.len())).unwrap();
            }
            assert_eq!(pacer.mode(), Mode::Small, "the probe kept the CPU");
        });
    }

    #[test]
    fn a_loop_of_one_call_looks_at_nothing() {
        on_fresh_thread(|| {
            let pacer = Pacer::new();
            pacer.write(&[IoSlice::new(b"x")], |w| Ok(w.len())).unwrap();
            assert_eq!(pacer.state.get().mark, None);
            record(true);
            drop(pacer);
            assert!(VERDICT.get().shared, "no verdict from one call");
        });
    }

    #[test]
    fn small_mode_offers_at_most_a_small_call() {
        let data = vec![1u8; 100_000];
        for (state, expected) in [
            (State::small(SMALL_SPAN, Some(0)), SMALL_CALL),
            (State::whole(Some(0)), data.len()),
        ] {
            let pacer = Pacer {
                state: Cell::new(state),
            };
            let n = pacer
                .write(&[IoSlice::new(&data)], |w| Ok(w[0].len()))
                .unwrap();
            assert_eq!(n, expected);
        }
    }
}
