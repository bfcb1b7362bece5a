//! Partial writes on a non-blocking pipe, handled two ways.
//!
//! The pipe is shrunk to a single 4 KiB page (`F_SETPIPE_SZ`), so almost every `writev` is
//! short or fails with `EAGAIN`, and a reader thread drains it slowly.
//!
//! 1. `write_all_fd` with default options hides all of that: it resumes inside a buffer after
//!    a short write and waits in `poll(2)` on `EAGAIN` (no sleeping, no spinning).
//! 2. `FdOptions::nonblocking()` hands control back instead: each call returns `WouldBlock`
//!    with `transferred()` set, and the caller resumes from that offset when it likes (here,
//!    after waiting for `POLLOUT` itself, as an event loop would).
//!
//! ```text
//! cargo run -p vectored --example partial_writes
//! ```

use std::fs::File;
use std::io::{ErrorKind, IoSlice, Read};
use std::os::fd::OwnedFd;
use std::thread;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags};
use vectored::FdOptions;

const PIPE_SIZE: usize = 4096;

/// A pipe holding one page, with a non-blocking write end. Returns `(read, write)`.
fn small_pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let (r, w) = rustix::pipe::pipe()?;
    rustix::pipe::fcntl_setpipe_size(&w, PIPE_SIZE)?;
    rustix::io::ioctl_fionbio(&w, true)?;
    Ok((r, w))
}

/// Reads everything in 1000-byte pieces, pausing a little now and then.
fn slow_reader(r: OwnedFd) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut r = File::from(r);
        let mut out = Vec::new();
        let mut piece = [0u8; 1000];
        loop {
            let n = r.read(&mut piece).expect("read");
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&piece[..n]);
            if out.len() % 16_000 < 1000 {
                thread::sleep(Duration::from_millis(1));
            }
        }
    })
}

/// 512 buffers of 1..=1000 bytes with distinct contents (about 250 KiB).
fn make_buffers() -> Vec<Vec<u8>> {
    (0..512usize)
        .map(|i| {
            let len = 1 + (i * 397) % 1000;
            (0..len)
                .map(|j| u8::try_from((i + j) % 256).unwrap())
                .collect()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let buffers = make_buffers();
    let expected = buffers.concat();
    let slices: Vec<IoSlice<'_>> = buffers.iter().map(|b| IoSlice::new(b)).collect();

    // 1. Blocking semantics on a non-blocking fd: one call does it all.
    let (r, w) = small_pipe()?;
    let reader = slow_reader(r);
    let start = Instant::now();
    let written = vectored::write_all_fd(&w, &slices, &FdOptions::new())?;
    drop(w); // end of file for the reader
    let received = reader.join().expect("reader thread");
    println!(
        "write_all_fd: wrote {written} bytes from {} buffers through a {PIPE_SIZE}-byte pipe in {:?}",
        slices.len(),
        start.elapsed()
    );
    println!(
        "reader received {} bytes, identical: {}",
        received.len(),
        received == expected
    );

    // 2. Non-blocking semantics: WouldBlock with progress, resumed by the caller.
    let (r, w) = small_pipe()?;
    let reader = slow_reader(r);
    let opts = FdOptions::new().nonblocking();
    let (mut done, mut would_blocks) = (0usize, 0usize);
    loop {
        // Resume from `done`: rebuild the list from the first unwritten byte on.
        let (mut skip, mut rest) = (done, Vec::new());
        for b in &buffers {
            if skip >= b.len() {
                skip -= b.len();
            } else {
                rest.push(IoSlice::new(&b[skip..]));
                skip = 0;
            }
        }
        match vectored::write_all_fd(&w, &rest, &opts) {
            Ok(n) => {
                done += n;
                break;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                done += e.transferred();
                would_blocks += 1;
                // An event loop would go do other work here; we just wait for POLLOUT.
                poll(&mut [PollFd::new(&w, PollFlags::OUT)], None)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    drop(w);
    let received = reader.join().expect("reader thread");
    println!(
        "nonblocking: {would_blocks} WouldBlock returns, each resumed from transferred(); \
         total {done} bytes"
    );
    println!(
        "reader received {} bytes, identical: {}",
        received.len(),
        received == expected
    );
    if received != expected {
        return Err("data mismatch".into());
    }
    Ok(())
}
