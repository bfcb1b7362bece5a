//! User-space cost of the write queue: push and flush bookkeeping per chunk, with a sink that
//! accepts everything without copying, so no system call or data copy hides a regression.
//!
//! - `borrowed_1k`: 1000 borrowed 1 KiB chunks (passed by reference), pushed and flushed.
//! - `owned_vec_1k`: the same with owned `Vec<u8>` chunks (moved in, dropped after the flush).
//! - `tiny_16b`: 100000 borrowed 16 B chunks (copied into the staging arena), pushed and
//!   flushed; compare with `concat_16b`, the same bytes appended to one reused `Vec`.
//! - `header_body`: a status line, 20 formatted headers and a 64 KiB body (by reference).
//!
//! Throughput is in chunks, so the time per element is the cost per chunk.

use std::hint::black_box;
use std::io::{self, IoSlice, Write};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use vectored::WriteQueue;

/// Accepts every byte of every call without looking at them.
struct Sink;

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(black_box(buf).len())
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(black_box(bufs).iter().map(|b| b.len()).sum())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn buffers(count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| vec![u8::try_from(i % 251).unwrap(); size])
        .collect()
}

fn queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("write_queue");

    let big = buffers(1000, 1024);
    group.throughput(Throughput::Elements(1000));
    group.bench_function(BenchmarkId::new("borrowed_1k", 1000), |b| {
        let mut queue = WriteQueue::new();
        b.iter(|| {
            for buf in &big {
                queue.push_slice(buf);
            }
            queue.write_to(&mut Sink).unwrap()
        });
    });
    group.bench_function(BenchmarkId::new("owned_vec_1k", 1000), |b| {
        let mut queue = WriteQueue::new();
        b.iter_batched(
            || big.clone(),
            |owned| {
                for buf in owned {
                    queue.push(buf);
                }
                queue.write_to(&mut Sink).unwrap()
            },
            criterion::BatchSize::LargeInput,
        );
    });

    let tiny = buffers(100_000, 16);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function(BenchmarkId::new("tiny_16b", 100_000), |b| {
        let mut queue = WriteQueue::new();
        b.iter(|| {
            for buf in &tiny {
                queue.push_slice(buf);
            }
            queue.write_to(&mut Sink).unwrap()
        });
    });
    group.bench_function(BenchmarkId::new("concat_16b", 100_000), |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            for buf in &tiny {
                out.extend_from_slice(buf);
            }
            Sink.write(&out).unwrap()
        });
    });

    let body = vec![b'x'; 64 * 1024];
    group.throughput(Throughput::Elements(1));
    group.bench_function("header_body", |b| {
        let mut queue = WriteQueue::new();
        b.iter(|| {
            queue.push(&b"HTTP/1.1 200 OK\r\n"[..]);
            for i in 0..20 {
                write!(queue, "X-Header-{i}: value\r\n").unwrap();
            }
            queue.push_copy(b"\r\n");
            queue.push_slice(&body);
            queue.write_to(&mut Sink).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, queue);
criterion_main!(benches);
