//! Pacing the write calls to a pipe: small calls or calls of the whole pipe, whichever this
//! thread measured to be faster.
//!
//! # Why (measurements: `BENCHMARKS.md`, "No regret", "Pacing pipes")
//!
//! The kernel copies a pipe write into the pipe's pages under the pipe's mutex and wakes the
//! reader only when the pipe was empty; the reader copies out under the same mutex. Which
//! call size is fastest depends on where the reader runs, which the writer cannot see:
//!
//! - **Reader on another, idle CPU**: waking it is a cross-CPU wake-up of a halted vCPU, tens
//!   of µs. Calls of 8 KiB wake it after the first one and keep it draining concurrently; the
//!   pipe seldom fills and neither side sleeps. Calls of the whole pipe fill it before the
//!   reader is up, so the two alternate with a sleep each per 64 KiB: 2–4× slower for
//!   buffers of 4 KiB and more, 0.8–2× for 100–512 B ones
//!   (`docs/experiments/results/2026-12-02-idle-shapes.txt`).
//! - **Reader sharing the writer's CPU** (the other CPUs busy): every call that finds the pipe
//!   empty may hand the CPU to the reader, so the fewest hand-overs win: calls of the whole
//!   pipe or more ([`WHOLE_CALL`]); 8 KiB calls are 1.2–1.6× slower
//!   (`2026-12-02-shared-cpu.txt`).
//!
//! Counting the writer's context switches (`getrusage`) does not tell the two apart reliably:
//! per 8 KiB call, 2–17% gave up the CPU with an idle reader and 17–36% with a shared CPU
//! (the same files), and a look in the middle of a transfer is not free (one `getrusage` every
//! 16 calls made 8 KiB calls 1.1–1.5× slower: the pause lets the reader run dry and sleep,
//! `2026-12-02-pacer-look-cost.txt`). So the pacer measures the objective itself: now and
//! then a loop runs an *experiment*, one span of [`SPAN`] bytes in each mode, each after an
//! untimed span in the same mode (see [`Phase`]), timed with the monotonic clock (`clock_gettime` in the vDSO: no system call), and the
//! thread keeps a running score of ln(small time ÷ whole time) per byte. Loops use the mode
//! the score favours; a thread experiments in its first [`WARM_UP`] loops that are long
//! enough, then every [`EXPERIMENT_EVERY`] loops, and a long loop again every
//! [`SPANS_BETWEEN`] spans, since readers move. Each experiment that confirms the favoured
//! mode by a clear margin ([`DECISIVE`]) doubles both intervals (up to [`MAX_BACKOFF`]
//! times): an experiment spends a span in the slower mode, up to 8× slower per byte. Ties go to small calls, the smaller loss
//! when wrong.

use std::cell::Cell;
use std::io::{self, IoSlice};
use std::time::Instant;

use arrayvec::ArrayVec;

use crate::limits::IOV_MAX;

/// The call size in small mode: std's `BufWriter` size, the best or within noise of it in
/// the idle-reader measurements (4 KiB was as good, 16 KiB 1.3–3× slower for large buffers).
pub(crate) const SMALL_CALL: usize = 8 * 1024;

/// The call size in whole mode: two default pipes, so each call fills an empty pipe and
/// waits once for the reader, as one uncapped call does per 64 KiB (within 5% of uncapped
/// calls when the reader shares the CPU, `2026-12-02-shared-cpu.txt`: `writev-cap256K`,
/// `uncapped`), yet short enough to be timed in spans.
pub(crate) const WHOLE_CALL: usize = 128 * 1024;

/// The bytes of one measured span: 16 small calls or one whole call.
const SPAN: usize = WHOLE_CALL;

/// Experiments every loop this many times on a fresh thread (loops of at least four spans).
const WARM_UP: u32 = 3;

/// Then one experiment every this many loops long enough for one.
const EXPERIMENT_EVERY: u32 = 8;

/// Inside one long loop, spans between the end of an experiment and the next (4 MiB).
const SPANS_BETWEEN: u32 = 32;

/// The most the two intervals above grow by while experiments confirm the favoured mode.
const MAX_BACKOFF: u32 = 16;

/// The score beyond which an experiment that confirms the favoured mode spaces out the next
/// ones: one size 1.2× faster than the other.
const DECISIVE: f64 = 0.2;

/// How much one experiment moves the score (an exponential moving average: the last few
/// experiments count, so one disturbed by other work does not decide alone).
const WEIGHT: f64 = 0.35;

/// The two call sizes of the pacer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// At most [`SMALL_CALL`] bytes per call.
    Small,
    /// At most [`WHOLE_CALL`] bytes per call: more than the pipe holds.
    Whole,
}

impl Mode {
    fn other(self) -> Self {
        match self {
            Self::Small => Self::Whole,
            Self::Whole => Self::Small,
        }
    }
}

/// What a thread learned from its experiments.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Verdict {
    /// Moving average of ln(time per byte in small mode ÷ in whole mode): above zero, whole
    /// calls were faster.
    score: f64,
    /// Experiments made so far.
    experiments: u32,
    /// Loops long enough for an experiment since the last one (or the last attempt that
    /// spent a span in the other mode without finishing).
    loops_since: u32,
    /// Attempts that ended before finishing, after a span in the other mode.
    unfinished: u32,
    /// The intervals' factor: doubled by each experiment that confirms the favoured mode,
    /// back to 1 when one changes it.
    backoff: u32,
}

impl Verdict {
    const NEW: Self = Self {
        score: 0.0,
        experiments: 0,
        loops_since: 0,
        unfinished: 0,
        backoff: 1,
    };

    fn mode(self) -> Mode {
        if self.score > 0.0 {
            Mode::Whole
        } else {
            Mode::Small
        }
    }

    fn wants_experiment(self) -> bool {
        // Warming up, unless loops keep ending before their experiment can finish (then
        // the regular interval bounds what the attempts cost).
        (self.experiments < WARM_UP && self.unfinished < WARM_UP)
            || self.loops_since + 1 >= EXPERIMENT_EVERY * self.backoff
    }

    /// Spans of a long loop between two experiments.
    fn spans_between(self) -> u32 {
        SPANS_BETWEEN * self.backoff
    }

    /// The verdict after an experiment that measured `small` and `whole` (ns per byte).
    fn after(self, small: f64, whole: f64) -> Self {
        let ratio = (small / whole).ln().clamp(-2.0, 2.0);
        let score = if self.experiments == 0 {
            ratio
        } else {
            (1.0 - WEIGHT) * self.score + WEIGHT * ratio
        };
        // Confirmed, and by a clear margin: when the two sizes are close, experiments cost
        // little and keep their pace.
        let confirmed = (score > 0.0) == (self.score > 0.0) && score.abs() > DECISIVE;
        Self {
            score,
            experiments: self.experiments.saturating_add(1),
            loops_since: 0,
            unfinished: self.unfinished,
            backoff: if confirmed && self.experiments >= WARM_UP {
                (self.backoff * 2).min(MAX_BACKOFF)
            } else {
                1
            },
        }
    }
}

thread_local! {
    static VERDICT: Cell<Verdict> = const { Cell::new(Verdict::NEW) };
}

/// Where a loop is in an experiment: a settling span then a timed span in the favoured
/// mode, then the same in the other mode. The settling span (not timed) takes the reader's
/// start-up or the switch of mode: a span ends when its last call returns, with up to a
/// pipe of its bytes still to be read, so each timed span carries the tail of a span in its
/// own mode, never of the other mode's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No experiment: the thread's mode; `spans` counts spans towards the next experiment.
    Exploit,
    /// The settling span of the favoured (`false`) or the other (`true`) mode.
    Settle(bool),
    /// The timed span of the favoured (`false`) or the other (`true`) mode.
    Timed(bool),
}

/// Time and bytes of the spans measured in one mode.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    nanos: u128,
    bytes: usize,
}

impl Tally {
    fn per_byte(self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // A ratio: 52 bits are plenty.
        let per_byte = self.nanos as f64 / self.bytes.max(1) as f64;
        per_byte.max(f64::MIN_POSITIVE)
    }
}

#[derive(Debug, Clone, Copy)]
struct State {
    mode: Mode,
    phase: Phase,
    /// Bytes written in the current span.
    span_bytes: usize,
    /// When the current span began (taken only while experimenting).
    span_start: Option<Instant>,
    /// Spans completed since the last experiment (in [`Phase::Exploit`]).
    spans: u32,
    /// Spans between two experiments in this loop.
    spans_between: u32,
    /// Spans completed in this loop.
    loop_spans: u32,
    small: Tally,
    whole: Tally,
    /// Whether this loop completed an experiment.
    experimented: bool,
}

/// The pacer of one loop call on a pipe (see the module docs).
#[derive(Debug)]
pub(crate) struct Pacer {
    state: Cell<State>,
}

impl Pacer {
    /// A pacer in the mode the thread's score favours, ready to experiment if the thread's
    /// schedule says so.
    pub(crate) fn new() -> Self {
        let verdict = VERDICT.get();
        let may_experiment = verdict.wants_experiment();
        let mut state = State {
            mode: verdict.mode(),
            phase: Phase::Exploit,
            span_bytes: 0,
            span_start: None,
            spans: 0,
            spans_between: verdict.spans_between(),
            loop_spans: 0,
            small: Tally::default(),
            whole: Tally::default(),
            experimented: false,
        };
        if may_experiment {
            // The favoured mode first: a loop too short for the other one is an ordinary
            // loop.
            state.phase = Phase::Settle(false);
        }
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
        self.count(|| with_prefix(window, self.budget(), call))
    }

    /// The most bytes the next call may offer: [`SMALL_CALL`] or [`WHOLE_CALL`].
    #[inline]
    pub(crate) fn budget(&self) -> usize {
        match self.state.get().mode {
            Mode::Small => SMALL_CALL,
            Mode::Whole => WHOLE_CALL,
        }
    }

    /// Runs `call`, one write call made within [`budget`](Self::budget), and counts the
    /// bytes it wrote towards the current span.
    #[inline]
    pub(crate) fn count(&self, call: impl FnOnce() -> io::Result<usize>) -> io::Result<usize> {
        let result = call();
        if let Ok(n) = result {
            let mut state = self.state.get();
            state.span_bytes += n;
            if state.span_bytes >= SPAN {
                state.end_span(Instant::now);
            }
            self.state.set(state);
        }
        result
    }

    #[cfg(test)]
    fn mode(&self) -> Mode {
        self.state.get().mode
    }
}

impl State {
    /// Ends a span of `span_bytes` bytes at `now()` (read only while experimenting).
    fn end_span(&mut self, now: impl FnOnce() -> Instant) {
        let bytes = std::mem::take(&mut self.span_bytes);
        self.loop_spans = self.loop_spans.saturating_add(1);
        match self.phase {
            Phase::Exploit => {
                self.spans += 1;
                if self.spans >= self.spans_between {
                    // Inside a long loop: experiment again.
                    self.spans = 0;
                    self.phase = Phase::Settle(false);
                }
            }
            Phase::Settle(other) => {
                self.phase = Phase::Timed(other);
                self.span_start = Some(now());
            }
            Phase::Timed(other) => {
                let nanos = self
                    .span_start
                    .map_or(0, |start| now().duration_since(start).as_nanos());
                let tally = match self.mode {
                    Mode::Small => &mut self.small,
                    Mode::Whole => &mut self.whole,
                };
                tally.nanos += nanos;
                tally.bytes += bytes;
                if other {
                    self.finish_experiment();
                } else {
                    self.phase = Phase::Settle(true);
                    self.mode = self.mode.other();
                }
            }
        }
    }

    /// Scores the experiment, records it for the thread and goes on in the favoured mode.
    fn finish_experiment(&mut self) {
        let verdict = VERDICT
            .get()
            .after(self.small.per_byte(), self.whole.per_byte());
        VERDICT.set(verdict);
        self.experimented = true;
        self.small = Tally::default();
        self.whole = Tally::default();
        self.phase = Phase::Exploit;
        self.mode = verdict.mode();
        self.spans = 0;
        self.spans_between = verdict.spans_between();
    }
}

impl Drop for Pacer {
    /// Counts a loop of at least one span without an experiment in the thread's schedule.
    /// An experiment that ended before it could finish is due again at once if it never
    /// left the favoured mode; if it spent a span in the other mode, it counts as an
    /// attempt and the next one waits a full interval, so loops that always end in the
    /// middle of an experiment (3 spans long, say) do not pay for one every time.
    fn drop(&mut self) {
        let state = self.state.get();
        if state.experimented || state.loop_spans == 0 {
            return;
        }
        let mut verdict = VERDICT.get();
        let spent_in_the_other_mode = match state.phase {
            Phase::Settle(true) => state.span_bytes > 0,
            Phase::Timed(true) => true,
            _ => false,
        };
        if spent_in_the_other_mode {
            verdict.loops_since = 0;
            verdict.unfinished = verdict.unfinished.saturating_add(1);
        } else {
            verdict.loops_since = verdict.loops_since.saturating_add(1);
        }
        VERDICT.set(verdict);
    }
}

/// Sets this thread's verdict to favour whole-pipe calls (`true`) or small calls, with no
/// experiment due: for tests of the loops that use the pacer.
#[cfg(test)]
pub(crate) fn set_verdict_for_test(whole: bool) {
    // (Whole calls are `WHOLE_CALL` bytes.)
    VERDICT.set(Verdict {
        score: if whole { 1.0 } else { -1.0 },
        experiments: WARM_UP,
        loops_since: 0,
        unfinished: 0,
        backoff: 1,
    });
}

/// Calls `call` with the first `max` bytes of `window` (all of it if shorter). Whole entries
/// are passed as a sub-slice when they make at least half of `max` (or fill a call);
/// otherwise the entries up to the cut are copied to the stack with the last one shortened.
fn with_prefix<R>(window: &[IoSlice<'_>], max: usize, call: impl FnOnce(&[IoSlice<'_>]) -> R) -> R {
    let mut before = 0;
    for (i, entry) in window.iter().enumerate() {
        let end = before + entry.len();
        if end >= max {
            if end == max {
                return call(&window[..=i]);
            }
            if i > 0 && (before >= max / 2 || i >= IOV_MAX) {
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
    use super::Mode::{Small, Whole};
    use super::*;
    use std::time::Duration;

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
        // More entries before the cut than a call takes: whole entries only, no copy.
        let mut sizes = vec![1; 2000];
        sizes.push(100_000);
        assert_eq!(prefix_lens(&sizes, 4000).len(), 2000);
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
    fn the_score_favours_the_faster_mode_and_ties_go_small() {
        assert_eq!(Verdict::NEW.mode(), Mode::Small);
        let whole_faster = Verdict::NEW.after(2.0, 1.0);
        assert_eq!(whole_faster.mode(), Mode::Whole);
        assert_eq!(
            whole_faster.after(1.0, 1.0).mode(),
            Mode::Whole,
            "moving average"
        );
        let small_faster = Verdict::NEW.after(1.0, 3.0);
        assert_eq!(small_faster.mode(), Mode::Small);
        assert_eq!(Verdict::NEW.after(1.0, 1.0).mode(), Mode::Small);
        // One wild measurement moves the score by at most the clamp.
        let wild = whole_faster.after(1.0, 1e9);
        assert!(wild.score >= (1.0 - WEIGHT) * 2f64.ln() - WEIGHT * 2.0);
        assert_eq!(wild.experiments, 2);
    }

    #[test]
    fn threads_experiment_while_warming_up_then_every_few_loops() {
        let mut verdict = Verdict::NEW;
        for _ in 0..WARM_UP {
            assert!(verdict.wants_experiment());
            verdict = verdict.after(1.0, 2.0);
        }
        // Every 8 loops, then (the first experiment confirmed small calls) every 16.
        let mut due = Vec::new();
        for i in 0..3 * EXPERIMENT_EVERY {
            if verdict.wants_experiment() {
                due.push(i);
                verdict = verdict.after(1.0, 2.0);
            } else {
                verdict.loops_since += 1;
            }
        }
        assert_eq!(due, [EXPERIMENT_EVERY - 1, 3 * EXPERIMENT_EVERY - 1]);
    }

    #[test]
    fn close_results_keep_the_experiments_coming() {
        let mut verdict = Verdict::NEW;
        for _ in 0..WARM_UP + 4 {
            verdict = verdict.after(1.0, 1.1);
        }
        assert_eq!((verdict.mode(), verdict.backoff), (Mode::Small, 1));
    }

    #[test]
    fn confirming_experiments_space_out_and_a_change_resets_them() {
        let mut verdict = Verdict::NEW;
        for _ in 0..WARM_UP {
            verdict = verdict.after(1.0, 2.0);
            assert_eq!(verdict.backoff, 1, "no backoff while warming up");
        }
        for expected in [2, 4, 8, 16, 16] {
            verdict = verdict.after(1.0, 2.0);
            assert_eq!(verdict.backoff, expected);
        }
        assert_eq!(verdict.spans_between(), SPANS_BETWEEN * MAX_BACKOFF);
        assert!(!Verdict {
            loops_since: 8 * EXPERIMENT_EVERY,
            ..verdict
        }
        .wants_experiment());
        // Whole calls now much faster: the mode changes and the intervals start over.
        while verdict.mode() == Mode::Small {
            verdict = verdict.after(8.0, 1.0);
        }
        assert_eq!(verdict.backoff, 1);
    }

    /// Runs one loop of `spans` spans on a fresh pacer with a fake clock: each span takes
    /// `small` or `whole` µs depending on the mode it ran in. Returns the modes of the spans.
    fn run_loop(spans: u32, small: u64, whole: u64, clock: &mut Instant) -> Vec<Mode> {
        let pacer = Pacer::new();
        let mut modes = Vec::new();
        for _ in 0..spans {
            let mut state = pacer.state.get();
            modes.push(state.mode);
            let took = if state.mode == Mode::Small {
                small
            } else {
                whole
            };
            *clock += Duration::from_micros(took);
            state.span_bytes = SPAN;
            let now = *clock;
            state.end_span(|| now);
            pacer.state.set(state);
        }
        modes
    }

    fn on_fresh_thread(f: impl FnOnce() + Send + 'static) {
        std::thread::spawn(f).join().unwrap();
    }

    #[test]
    fn an_experiment_settles_then_times_both_modes_and_keeps_the_faster() {
        on_fresh_thread(|| {
            let mut clock = Instant::now();
            // Whole calls twice as fast: after the first experiment the loop goes on whole.
            let modes = run_loop(6, 200, 100, &mut clock);
            assert_eq!(modes, [Small, Small, Whole, Whole, Whole, Whole]);
            assert_eq!(VERDICT.get().mode(), Whole);
            assert_eq!(VERDICT.get().experiments, 1);
            // The next experiment starts with whole calls, and small calls are now much
            // faster.
            let modes = run_loop(6, 100, 400, &mut clock);
            assert_eq!(modes, [Whole, Whole, Small, Small, Small, Small]);
            assert_eq!(VERDICT.get().mode(), Small);
        });
    }

    #[test]
    fn loops_too_short_for_their_experiment() {
        on_fresh_thread(|| {
            VERDICT.set(Verdict {
                score: 1.0,
                experiments: WARM_UP,
                loops_since: EXPERIMENT_EVERY,
                unfinished: 0,
                backoff: 1,
            });
            let mut clock = Instant::now();
            // Due, but two spans never leave the favoured mode: still due.
            assert_eq!(run_loop(2, 100, 100, &mut clock), [Whole, Whole]);
            assert!(VERDICT.get().wants_experiment());
            // Three spans reach the other mode's settling span and stop: an attempt, and
            // the next one waits a full interval.
            assert_eq!(run_loop(3, 100, 100, &mut clock), [Whole, Whole, Small]);
            let after = VERDICT.get();
            assert!(!after.wants_experiment());
            assert_eq!(
                (after.loops_since, after.unfinished, after.experiments),
                (0, 1, WARM_UP)
            );
            let modes: Vec<Vec<Mode>> = (0..EXPERIMENT_EVERY)
                .map(|_| run_loop(3, 100, 100, &mut clock))
                .collect();
            let attempts = modes.iter().filter(|m| m.contains(&Small)).count();
            assert_eq!(attempts, 1, "{modes:?}");
            // A loop shorter than a span leaves everything as it was.
            let before = VERDICT.get();
            drop(Pacer::new());
            assert_eq!(VERDICT.get(), before);
        });
    }

    #[test]
    fn a_fresh_thread_of_short_loops_stops_warming_up() {
        on_fresh_thread(|| {
            let mut clock = Instant::now();
            let small_spans: usize = (0..2 * WARM_UP + EXPERIMENT_EVERY)
                .map(|_| {
                    let modes = run_loop(3, 100, 100, &mut clock);
                    modes.iter().filter(|&&m| m == Whole).count()
                })
                .sum();
            // Three warm-up attempts, then one per interval: not one per loop.
            assert!(
                small_spans <= usize::try_from(WARM_UP).unwrap() + 2,
                "{small_spans}"
            );
            assert_eq!(VERDICT.get().experiments, 0);
        });
    }

    #[test]
    fn long_loops_experiment_again_every_few_spans() {
        on_fresh_thread(|| {
            VERDICT.set(Verdict {
                score: -0.2,
                experiments: WARM_UP,
                loops_since: 0,
                unfinished: 0,
                backoff: 1,
            });
            let mut clock = Instant::now();
            // Small calls favoured, but whole calls are now twice as fast.
            let modes = run_loop(SPANS_BETWEEN + 6, 100, 50, &mut clock);
            let n = usize::try_from(SPANS_BETWEEN).unwrap();
            assert!(modes[..n].iter().all(|&m| m == Mode::Small));
            // Settle and time the favoured mode, then the other, then the winner.
            assert_eq!(modes[n..], [Small, Small, Whole, Whole, Whole, Whole]);
            assert_eq!(VERDICT.get().experiments, WARM_UP + 1);
        });
    }

    #[test]
    fn small_mode_offers_at_most_a_small_call_and_counts_the_bytes() {
        on_fresh_thread(|| {
            let data = vec![1u8; 100_000];
            let pacer = Pacer::new();
            assert_eq!(pacer.mode(), Mode::Small);
            let n = pacer
                .write(&[IoSlice::new(&data)], |w| Ok(w[0].len()))
                .unwrap();
            assert_eq!(n, SMALL_CALL);
            assert_eq!(pacer.state.get().span_bytes, SMALL_CALL);
            // A failed call counts nothing.
            let err = pacer.write(&[IoSlice::new(&data)], |_| {
                Err(io::ErrorKind::WouldBlock.into())
            });
            assert!(err.is_err());
            assert_eq!(pacer.state.get().span_bytes, SMALL_CALL);
            let mut state = pacer.state.get();
            state.mode = Mode::Whole;
            pacer.state.set(state);
            let more = vec![1u8; 2 * WHOLE_CALL];
            let n = pacer
                .write(&[IoSlice::new(&more)], |w| Ok(w[0].len()))
                .unwrap();
            assert_eq!(n, WHOLE_CALL);
        });
    }
}
