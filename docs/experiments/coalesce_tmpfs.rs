//! Ad-hoc check of `write_all_fd`'s small-buffer coalescing on a regular file (tmpfs), where
//! the kind is found by `fstat` (the CLI's `vectored-write-all-fd` declares `FdKind::Other`
//! for files, which does not coalesce). Per workload, 60 interleaved rounds of: default
//! options (coalescing), `coalesce(false)` (the previous behaviour), and concatenation plus
//! one `write_all` (the concatenation is timed). Medians.
//!
//! Run as a throwaway crate: `Cargo.toml` with `vectored = { path = "crates/vectored" }`,
//! an empty `[workspace]`, this file as `src/main.rs`, `cargo run --release`.
//! Output: `docs/bench/2026-12-02-coalesce-tmpfs-detected.txt`.
use std::io::{IoSlice, Seek};
use std::time::Instant;
use vectored::FdOptions;
fn main() {
    let path = "/dev/shm/vectored-coalesce-fbench";
    let mut file = std::fs::File::create(path).unwrap();
    for (count, size) in [(100_000usize, 16usize), (10_000, 100), (1024, 8), (1024, 16), (1024, 32), (1024, 64), (1024, 128), (1024, 256), (1024, 1024)] {
        let bufs: Vec<Vec<u8>> = (0..count).map(|i| vec![i as u8; size]).collect();
        let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
        let concat_buf = bufs.concat();
        let mut t = [Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..60 {
            for (k, opts) in [FdOptions::new(), FdOptions::new().coalesce(false)].iter().enumerate() {
                file.set_len(0).unwrap(); file.rewind().unwrap();
                let s = Instant::now();
                vectored::write_all_fd(&file, &slices, opts).unwrap();
                t[k].push(s.elapsed().as_nanos());
            }
            file.set_len(0).unwrap(); file.rewind().unwrap();
            let s = Instant::now();
            let mut c = Vec::with_capacity(0); c.extend_from_slice(&concat_buf[..0]);
            let mut joined = Vec::with_capacity(concat_buf.len());
            for b in &bufs { joined.extend_from_slice(b); }
            std::io::Write::write_all(&mut file, &joined).unwrap();
            t[2].push(s.elapsed().as_nanos());
        }
        for v in &mut t { v.sort(); }
        let m = |v: &Vec<u128>| v[v.len() / 2] as f64 / 1e3;
        println!("{count}x{size}B tmpfs: coalesce {:.0} us, coalesce(false) {:.0} us, concat {:.0} us -> ratio vs concat {:.2}x / {:.2}x",
            m(&t[0]), m(&t[1]), m(&t[2]), m(&t[0]) / m(&t[2]), m(&t[1]) / m(&t[2]));
    }
    std::fs::remove_file(path).unwrap();
}
