//! Compares writing 1000 buffers of 1 KiB one call at a time (`write_all` per buffer) with a
//! single `vectored::write_all` over all of them, to a temporary file and to `/dev/null`.
//!
//! Prints the median of a few repetitions and the ratio. The numbers depend on the machine
//! and its load; they are for illustration only. `--quick` does fewer repetitions.
//!
//! ```text
//! cargo run --release -p vectored --example speed_comparison [--quick]
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::path::Path;
use std::time::{Duration, Instant};

const BUFFERS: usize = 1000;
const BUFFER_SIZE: usize = 1024;

/// A writer that counts the calls that reach the inner writer (one system call each for a
/// `File`).
struct Counted<W> {
    inner: W,
    calls: usize,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        self.inner.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls += 1;
        self.inner.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Runs both strategies `reps` times against the file at `path`; returns the medians and the
/// call counts of the last run of each.
fn compare(
    path: &Path,
    truncate: bool,
    chunks: &[Vec<u8>],
    reps: usize,
) -> io::Result<((Duration, usize), (Duration, usize))> {
    let open = || {
        OpenOptions::new()
            .write(true)
            .create(truncate)
            .truncate(truncate)
            .open(path)
    };
    let slices: Vec<IoSlice<'_>> = chunks.iter().map(|c| IoSlice::new(c)).collect();
    let (mut each, mut vectored) = (Vec::new(), Vec::new());
    let (mut each_calls, mut vectored_calls) = (0, 0);
    for _ in 0..reps {
        // One write_all per buffer: at least one system call per buffer.
        let mut w = Counted {
            inner: open()?,
            calls: 0,
        };
        let t = Instant::now();
        for chunk in chunks {
            w.write_all(chunk)?;
        }
        each.push(t.elapsed());
        each_calls = w.calls;

        // One vectored write_all: as few system calls as IOV_MAX allows (here: one).
        let mut w = Counted {
            inner: open()?,
            calls: 0,
        };
        let t = Instant::now();
        let n = vectored::write_all(&mut w, &slices).map_err(io::Error::from)?;
        vectored.push(t.elapsed());
        assert_eq!(n, BUFFERS * BUFFER_SIZE);
        vectored_calls = w.calls;
    }
    Ok((
        (median(each), each_calls),
        (median(vectored), vectored_calls),
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let reps = if quick { 3 } else { 15 };

    let chunks: Vec<Vec<u8>> = (0..BUFFERS)
        .map(|i| vec![u8::try_from(i % 251).unwrap(); BUFFER_SIZE])
        .collect();
    let temp = std::env::temp_dir().join(format!("vectored-speed-{}.bin", std::process::id()));

    println!(
        "{BUFFERS} buffers of {BUFFER_SIZE} bytes, median of {reps} runs{}",
        if quick { " (--quick)" } else { "" }
    );
    for (name, path, truncate) in [
        ("temp file", temp.as_path(), true),
        ("/dev/null", Path::new("/dev/null"), false),
    ] {
        let ((each, each_calls), (vect, vect_calls)) = compare(path, truncate, &chunks, reps)?;
        let ratio = each.as_secs_f64() / vect.as_secs_f64().max(1e-9);
        println!(
            "{name:>10}: write-each {each:>10.1?} (calls={each_calls}) | vectored::write_all \
             {vect:>10.1?} (calls={vect_calls}) | ratio {ratio:.1}x"
        );
    }
    // The temp file holds the last run's data: check it, then clean up.
    let len = File::open(&temp)?.metadata()?.len();
    std::fs::remove_file(&temp)?;
    println!("temp file held {len} bytes");
    Ok(())
}
