//! Ad-hoc check (third session of 2026-12-02): the cost of the commonest small write, a
//! 200-byte header and a 1 KiB body with `write_all_fd` and default options (the kind not
//! declared) to a unix socket drained by a thread, and the same response built in a
//! `WriteQueue` (a copied header, a borrowed body) and flushed with `write_to_fd`: ns per
//! call, three rounds of 200000 calls each.
//! Built against two versions of the crate (a throwaway crate per version, as in
//! coalesce_tmpfs.rs). Output: docs/bench/2026-12-02-s3-small-writes.txt
use std::io::{IoSlice, Read};
use std::time::Instant;
use vectored::{FdOptions, WriteQueue};

fn main() {
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while b.read(&mut buf).unwrap() > 0 {}
    });
    let head = vec![b'h'; 200];
    let body = vec![b'b'; 1024];
    let bufs = [IoSlice::new(&head), IoSlice::new(&body)];
    let opts = FdOptions::new();
    let n = 200_000;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..n {
            vectored::write_all_fd(&a, &bufs, &opts).unwrap();
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
        println!("write_all_fd 200 B + 1 KiB -> unix socket, default options: {ns:.0} ns per call");
    }
    let mut queue = WriteQueue::new();
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..n {
            queue.push_copy(&head);
            queue.push_slice(&body);
            queue.write_to_fd(&a, &opts).unwrap();
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
        println!("WriteQueue 200 B + 1 KiB -> unix socket, write_to_fd, default options: {ns:.0} ns per flush");
    }
}
