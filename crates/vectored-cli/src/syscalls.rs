//! Counting the write system calls of a batch.
//!
//! Strategies that make their calls through a [`CountingWriter`] or their own loop count them
//! themselves (one increment per call, negligible next to the call). The library's fd-level
//! loops make their calls internally, so for those the harness reads the kernel's per-thread
//! count instead ([`thread_write_syscalls`]); it does not count `sendmsg`, so that number is
//! unknown on sockets.
//!
//! The same module counts what the scheduler did: a thread's voluntary (it slept) and
//! involuntary (it was preempted) context switches, from `/proc/thread-self/status`
//! ([`SwitchCounter`]).

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::os::unix::fs::FileExt as _;

/// A `Write` over a borrowed `File` that counts its `write`/`writev` calls.
///
/// It forwards to `&File`, so the system calls are exactly std's: `write(2)` for
/// [`write`](Write::write), `writev(2)` (at most `IOV_MAX` buffers) for
/// [`write_vectored`](Write::write_vectored).
#[derive(Debug)]
pub struct CountingWriter<'f> {
    file: &'f File,
    calls: u64,
}

impl<'f> CountingWriter<'f> {
    /// Wraps `file` with a zero count.
    pub fn new(file: &'f File) -> Self {
        Self { file, calls: 0 }
    }

    /// The number of write calls made so far.
    pub fn calls(&self) -> u64 {
        self.calls
    }
}

impl Write for CountingWriter<'_> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        (&mut &*self.file).write(buf)
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.calls += 1;
        (&mut &*self.file).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The number of write-family system calls (`write`, `writev`, `pwrite*`) the calling thread
/// has made, from the kernel's I/O accounting (`syscw` in `/proc/thread-self/io`).
///
/// `sendmsg` is not counted there.
///
/// # Errors
///
/// When the file cannot be read (no procfs, or a kernel without task I/O accounting).
pub fn thread_write_syscalls() -> io::Result<u64> {
    let io = std::fs::read_to_string("/proc/thread-self/io")?;
    io.lines()
        .find_map(|line| line.strip_prefix("syscw:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "no syscw in /proc/thread-self/io",
            )
        })
}

/// Context switches of one thread so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Switches {
    /// The thread blocked (slept) and another ran.
    pub voluntary: u64,
    /// The thread was preempted while runnable.
    pub involuntary: u64,
}

impl Switches {
    /// The switches between `earlier` and `self`.
    #[must_use]
    pub fn since(self, earlier: Switches) -> Switches {
        Switches {
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }
}

/// Reads the calling thread's context-switch counts. The status file is opened once, on the
/// thread that will sample it (`thread-self` is resolved at open), and re-read from offset 0,
/// so a sample costs one `pread`.
#[derive(Debug)]
pub struct SwitchCounter {
    status: File,
    buf: Vec<u8>,
}

impl SwitchCounter {
    /// Opens the calling thread's `/proc/thread-self/status`.
    ///
    /// # Errors
    ///
    /// When procfs is not mounted.
    pub fn for_this_thread() -> io::Result<Self> {
        Ok(Self {
            status: File::open("/proc/thread-self/status")?,
            buf: vec![0; 4096],
        })
    }

    /// The counts now.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or lacks the two lines.
    pub fn sample(&mut self) -> io::Result<Switches> {
        let n = self.status.read_at(&mut self.buf, 0)?;
        parse_switches(&self.buf[..n])
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no ctxt_switches in status"))
    }
}

/// Finds `voluntary_ctxt_switches:` and `nonvoluntary_ctxt_switches:` in a status file.
fn parse_switches(status: &[u8]) -> Option<Switches> {
    let text = std::str::from_utf8(status).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
    };
    Some(Switches {
        voluntary: field("voluntary_ctxt_switches:")?,
        involuntary: field("nonvoluntary_ctxt_switches:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_are_read_and_a_sleep_counts_as_voluntary() {
        let mut counter = SwitchCounter::for_this_thread().unwrap();
        let before = counter.sample().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let after = counter.sample().unwrap();
        assert!(after.since(before).voluntary >= 1);
        assert_eq!(
            parse_switches(b"x: 1\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t3\n"),
            Some(Switches {
                voluntary: 7,
                involuntary: 3
            })
        );
    }

    #[test]
    fn kernel_count_agrees_with_the_writer_count() {
        let null = File::options().write(true).open("/dev/null").unwrap();
        let mut writer = CountingWriter::new(&null);
        let before = thread_write_syscalls().unwrap();
        writer.write_all(b"abc").unwrap();
        let n = writer
            .write_vectored(&[IoSlice::new(b"a"), IoSlice::new(b"b")])
            .unwrap();
        assert_eq!(n, 2);
        let after = thread_write_syscalls().unwrap();
        assert_eq!(writer.calls(), 2);
        assert_eq!(after - before, 2);
    }
}
