//! Transfers larger than one system call can carry (Linux caps each read/write at
//! `MAX_RW_COUNT`, 0x7ffff000 bytes): they must complete with the exact count.
//!
//! The buffers are zero-filled allocations the test never writes to, so the kernel maps them
//! lazily to the shared zero page: 3 GiB of buffers cost no real memory when written to
//! `/dev/null` (which does not read them) and only page-cache when written to a file.

use std::io::{self, IoSlice, Write};

use vectored::{FdOptions, MAX_BYTES_PER_CALL};

use crate::support::{skip, Facility};

const GIB: usize = 1 << 30;

/// Counts calls and bytes, and checks that no single call is offered more than the limit.
struct CountingNull {
    calls: usize,
    bytes: usize,
    max_offered: usize,
}

impl Write for CountingNull {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let offered: usize = bufs.iter().map(|b| b.len()).sum();
        self.calls += 1;
        self.max_offered = self.max_offered.max(offered);
        self.bytes += offered;
        Ok(offered)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn three_one_gib_buffers_to_dev_null() {
    let gib = vec![0u8; GIB];
    let bufs = [IoSlice::new(&gib), IoSlice::new(&gib), IoSlice::new(&gib)];
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    assert_eq!(
        vectored::write_all_fd(&null, &bufs, &FdOptions::new()).unwrap(),
        3 * GIB
    );

    // The same through the generic loop, counting: no call is offered more than the limit,
    // and whole buffers are not split when they fit (1 GiB each: one per call).
    let mut sink = CountingNull {
        calls: 0,
        bytes: 0,
        max_offered: 0,
    };
    assert_eq!(vectored::write_all(&mut sink, &bufs).unwrap(), 3 * GIB);
    assert_eq!((sink.calls, sink.bytes), (3, 3 * GIB));
    assert!(sink.max_offered <= MAX_BYTES_PER_CALL);
}

#[test]
fn one_three_gib_buffer_is_offered_in_pieces() {
    let big = vec![0u8; 3 * GIB];
    let bufs = [
        IoSlice::new(b"head"),
        IoSlice::new(&big),
        IoSlice::new(b"tail"),
    ];
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    assert_eq!(
        vectored::write_all_fd(&null, &bufs, &FdOptions::new()).unwrap(),
        3 * GIB + 8
    );
    let mut sink = CountingNull {
        calls: 0,
        bytes: 0,
        max_offered: 0,
    };
    assert_eq!(vectored::write_all(&mut sink, &bufs).unwrap(), 3 * GIB + 8);
    assert_eq!(sink.bytes, 3 * GIB + 8);
    assert!(sink.max_offered <= MAX_BYTES_PER_CALL);
    // "head" alone (the big buffer does not fit beside it), then pieces of the big buffer,
    // the last of which shares a call with "tail".
    assert_eq!(sink.calls, 1 + (3 * GIB).div_ceil(MAX_BYTES_PER_CALL));
}

#[test]
fn three_one_gib_buffers_to_a_file() {
    let dir = std::env::temp_dir().join(format!("vectored-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("3gib");
    // Skip (visibly) rather than fill a nearly full disk.
    let free = rustix::fs::statvfs(&dir).map_or(0, |s| s.f_bavail * s.f_frsize);
    if free < 8 * GIB as u64 {
        std::fs::remove_dir_all(&dir).unwrap();
        return skip(
            Facility::FreeDisk,
            format_args!("only {free} bytes free in {}; need 8 GiB", dir.display()),
        );
    }
    let gib = vec![0u8; GIB];
    let bufs = [IoSlice::new(&gib), IoSlice::new(&gib), IoSlice::new(&gib)];
    let file = std::fs::File::create(&path).unwrap();
    let result = vectored::write_all_fd(&file, &bufs, &FdOptions::new());
    let len = file.metadata().unwrap().len();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(result.unwrap(), 3 * GIB);
    assert_eq!(len, 3 * GIB as u64);
}
