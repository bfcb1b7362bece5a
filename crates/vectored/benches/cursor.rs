//! User-space cost of the write cursor: `IoCursor::window`/`advance` bookkeeping per slice,
//! with no system calls, so that regressions in the per-slice overhead show up directly.
//!
//! Each benchmark walks a whole list of slices the way a write loop would, pretending the
//! writer took a given number of bytes per call:
//!
//! - `full`: every call takes the whole window (≤1024 slices): the common case. With 16
//!   slices this is mostly the fixed cost of one call (cursor set-up, one window).
//! - `half`: every call takes half the window's bytes, so it ends inside a buffer and the
//!   cursor works on its private copy of the window.
//! - `one_byte_short`: every call takes all but one byte of the window.
//! - `trickle`: every call takes one byte (16-byte buffers).
//! - `std_advance_slices`: std's `IoSlice::advance_slices` on a copy of the list, full
//!   windows of 1024, for comparison (the copy is part of its cost, as in a real loop).
//!
//! Throughput is reported in slices (in calls for `trickle`), so the time per element is the
//! cost per slice (per call).

use std::hint::black_box;
use std::io::IoSlice;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vectored::{IoCursor, IOV_MAX};

/// `count` separately allocated buffers of `size` bytes.
fn buffers(count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| vec![u8::try_from(i % 251).unwrap(); size])
        .collect()
}

/// Drives a cursor over `slices` to the end; `take(window_bytes)` says how many bytes each
/// pretend call accepts. Returns the number of calls.
fn drive(slices: &[IoSlice<'_>], take: impl Fn(usize) -> usize) -> usize {
    let mut cursor = IoCursor::new(slices);
    let mut calls = 0;
    loop {
        let window = black_box(cursor.window());
        if window.is_empty() {
            return calls;
        }
        let n = take(cursor.window_bytes()).max(1);
        cursor.advance(n).unwrap();
        calls += 1;
    }
}

fn cursor(c: &mut Criterion) {
    let mut group = c.benchmark_group("io_cursor");
    for count in [16usize, 1000, 100_000] {
        let bufs = buffers(count, 1024);
        let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("full", count), &slices, |b, s| {
            b.iter(|| drive(s, |w| w));
        });
        group.bench_with_input(BenchmarkId::new("half", count), &slices, |b, s| {
            b.iter(|| drive(s, |w| w / 2));
        });
        group.bench_with_input(
            BenchmarkId::new("one_byte_short", count),
            &slices,
            |b, s| {
                b.iter(|| drive(s, |w| w - 1));
            },
        );
        group.bench_with_input(
            BenchmarkId::new("std_advance_slices", count),
            &slices,
            |b, s| {
                let mut scratch: Vec<IoSlice<'_>> = Vec::with_capacity(s.len());
                b.iter(|| {
                    scratch.clear();
                    scratch.extend_from_slice(s);
                    let mut rest = &mut scratch[..];
                    while !rest.is_empty() {
                        let window = &rest[..rest.len().min(IOV_MAX)];
                        let n: usize = black_box(window).iter().map(|s| s.len()).sum();
                        IoSlice::advance_slices(&mut rest, n);
                    }
                });
            },
        );
    }
    let bufs = buffers(1000, 16);
    let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    group.throughput(Throughput::Elements(16_000));
    group.bench_with_input(BenchmarkId::new("trickle", "1000x16B"), &slices, |b, s| {
        b.iter(|| drive(s, |_| 1));
    });
    group.finish();
}

criterion_group!(benches, cursor);
criterion_main!(benches);
