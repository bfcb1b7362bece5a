//! Ad-hoc check (third session of 2026-12-02): the cost of staging tiny buffers, built
//! against two versions of the crate (one throwaway crate per version, as in
//! coalesce_tmpfs.rs, with `rustix = { version = "1", features = ["fs"] }` as well):
//! 1. `WriteQueue::push_slice` of 100000 buffers of each size (copied into the arena),
//!    best of 200 rounds, ns per push;
//! 2. `write_all_fd` of 100000 × 16 B to a tmpfs file (`FdOptions::new()`: the library finds
//!    the kind) against one concatenation into a reused `Vec` and one `write_all`, rounds of
//!    100 batches alternating, medians of 10 rounds, µs per batch.
//! Output: docs/bench/2026-12-02-s3-small-copies.txt
use std::io::{IoSlice, Write};
use std::time::Instant;
use vectored::{FdOptions, WriteQueue};

fn main() {
    for size in [4, 8, 12, 16, 24, 32, 100] {
        let bufs: Vec<Vec<u8>> = (0..100000).map(|i| vec![i as u8; size]).collect();
        let mut queue = WriteQueue::new();
        let mut best = f64::MAX;
        for _ in 0..200 {
            let t = Instant::now();
            for b in &bufs {
                queue.push_slice(b);
            }
            std::hint::black_box(queue.len());
            queue.clear();
            best = best.min(t.elapsed().as_nanos() as f64 / bufs.len() as f64);
        }
        println!("push_slice {size:3} B: {best:.2} ns per push (best of 200 rounds)");
    }
    let path = "/dev/shm/vectored-small-copies";
    let mut file = std::fs::File::create(path).unwrap();
    let bufs: Vec<Vec<u8>> = (0..100000).map(|i| vec![i as u8; 16]).collect();
    let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    let mut joined = Vec::new();
    let mut rows: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..10 {
        for k in [round % 2, 1 - round % 2] {
            let t = Instant::now();
            for _ in 0..100 {
                rustix::fs::seek(&file, rustix::fs::SeekFrom::Start(0)).unwrap();
                if k == 0 {
                    vectored::write_all_fd(&file, &slices, &FdOptions::new()).unwrap();
                } else {
                    joined.clear();
                    for b in &bufs {
                        joined.extend_from_slice(b);
                    }
                    file.write_all(&joined).unwrap();
                }
            }
            rows[k].push(t.elapsed().as_secs_f64() * 1e6 / 100.0);
        }
    }
    for (k, name) in [(0, "write_all_fd"), (1, "concat + write")] {
        rows[k].sort_by(f64::total_cmp);
        println!("100000 x 16 B -> tmpfs, {name:>14}: {:.1} us per batch (median of 10 rounds of 100)", rows[k][5]);
    }
    let _ = std::fs::remove_file(path);
}
