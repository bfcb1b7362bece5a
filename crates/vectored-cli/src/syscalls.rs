//! Counting the write system calls of a batch.
//!
//! Strategies that make their calls through a [`CountingWriter`] or their own loop count them
//! themselves (one increment per call, negligible next to the call). The library's fd-level
//! loops make their calls internally, so for those the harness reads the kernel's per-thread
//! count instead ([`thread_write_syscalls`]); it does not count `sendmsg`, so that number is
//! unknown on sockets.

use std::fs::File;
use std::io::{self, IoSlice, Write};

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

#[cfg(test)]
mod tests {
    use super::*;

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
