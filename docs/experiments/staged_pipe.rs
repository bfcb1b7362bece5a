//! Ad-hoc check: write_all_fd with 8 KiB calls (WriteSizing::Fixed) against a hand-written staging loop making the same
//! pwritev2(RWF_NOSIGNAL) calls of 8100 bytes, and that loop plus two extra passes over each call's entries, on a pipe
//! drained by a thread; 10000 x 100 B per batch, 4000 interleaved rounds, medians in µs.
//! Run as a throwaway crate (see coalesce_tmpfs.rs), with rustix = { version = "1", features = ["fs"] } as well.
//! Output: docs/bench/2026-12-02-s2-staged-pipe.txt
use std::io::{IoSlice, Read};
use std::time::Instant;
use vectored::{FdOptions, WriteSizing};
fn main() {
    let bufs: Vec<Vec<u8>> = (0..10000usize).map(|i| vec![i as u8; 100]).collect();
    let small: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
    let (mut r, w) = std::io::pipe().unwrap();
    std::thread::spawn(move || { let mut b = vec![0u8; 262144]; while r.read(&mut b).unwrap() > 0 {} });
    let opts = FdOptions::new().write_sizing(WriteSizing::Fixed(8192));
    let mut stage = vec![0u8; 8192];
    let mut t = [Vec::new(), Vec::new(), Vec::new()];
    for rep in 0..4000 {
        for k in 0..3 {
            let k = (k + rep) % 3;
            let s = Instant::now();
            if k == 0 { vectored::write_all_fd(&w, &small, &opts).unwrap(); } else {
                let mut i = 0;
                while i < bufs.len() {
                    if k == 2 {
                        // two extra passes over the next 82 entries
                        let end = (i + 82).min(small.len());
                        let a: usize = small[i..end].iter().map(|s| s.len()).sum();
                        let b: usize = small[i..end].iter().map(|s| s.len() ^ 1).sum();
                        std::hint::black_box((a, b));
                    }
                    let mut n = 0;
                    while i < bufs.len() && n + bufs[i].len() <= 8192 { stage[n..n+bufs[i].len()].copy_from_slice(&bufs[i]); n += bufs[i].len(); i += 1; }
                    let mut off = 0;
                    while off < n { off += rustix::io::pwritev2(&w, &[IoSlice::new(&stage[off..n])], u64::MAX, rustix::io::ReadWriteFlags::from_bits_retain(0x100)).unwrap(); }
                }
            }
            t[k].push(s.elapsed().as_nanos());
        }
    }
    for v in &mut t { v.sort(); }
    let m = |v: &Vec<u128>| v[v.len()/2] as f64 / 1e3;
    println!("ours {:.0}  hand {:.0}  hand+2passes {:.0}", m(&t[0]), m(&t[1]), m(&t[2]));
}
