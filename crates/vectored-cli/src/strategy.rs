//! The strategies: different ways to write every byte of a batch, each a complete write-all
//! that survives short writes and `EINTR`.
//!
//! Each strategy reports the write system calls it made. Adding one takes a
//! [`StrategyKind`] variant, its `name`, and a [`Strategy`] implementation returned by
//! [`StrategyKind::build`].

use std::fs::File;
use std::io::{self, BufWriter, IoSlice, Write};
use std::os::fd::{AsFd, BorrowedFd};

use arrayvec::ArrayVec;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use vectored::datagram::{Datagram, DatagramSender};
use vectored::sys::OutMessage;
use vectored::{FdKind, FdOptions, IoCursor, WriteQueue, IOV_MAX};

use crate::syscalls::CountingWriter;

/// The capacity of std's `BufWriter` (its default).
const BUFWRITER_CAPACITY: usize = 8 * 1024;

/// The staging area of the hybrid strategies: large enough that coalescing never adds
/// system calls compared with passing every buffer (the 1024-iovec limit is hit first for
/// buffers under 64 B, the staging limit only for runs of more than 64 KiB of small buffers).
const STAGING_CAPACITY: usize = 64 * 1024;

/// One batch: the caller's buffers, and an `IoSlice` for each, built once outside the timed
/// region (building them is the caller's job with every vectored API).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The buffers, separately allocated.
    pub bufs: &'a [Vec<u8>],
    /// One slice per buffer, in order.
    pub slices: &'a [IoSlice<'a>],
}

/// How a strategy writes a batch.
pub trait Strategy<'a> {
    /// Writes every byte of `batch` to `file`, whose kind is `fd_kind`.
    ///
    /// Returns the number of write system calls made, or `None` when they happen inside the
    /// library where they cannot be counted (the harness then asks the kernel).
    ///
    /// # Errors
    ///
    /// Any error of the writes other than `EINTR`, and `WriteZero` if a write accepts nothing.
    fn write_batch(
        &mut self,
        file: &File,
        fd_kind: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>>;
}

/// The strategies the benchmark compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
pub enum StrategyKind {
    /// One `write_all` per buffer: one `write(2)` per buffer.
    #[value(name = "write-each")]
    #[serde(rename = "write-each")]
    WriteEach,
    /// std `BufWriter` (8 KiB) with `write_all` per buffer, then `flush`.
    #[value(name = "bufwriter")]
    #[serde(rename = "bufwriter")]
    BufWriter,
    /// Concatenate into one reused `Vec`, then one `write_all`.
    #[value(name = "concat")]
    #[serde(rename = "concat")]
    Concat,
    /// A hand-written `writev` loop on `rustix`, ≤1024 iovecs per call: the floor.
    #[value(name = "raw-writev")]
    #[serde(rename = "raw-writev")]
    RawWritev,
    /// std `write_vectored` with an `IoSlice::advance_slices` loop on a copy of the slices.
    #[value(name = "std-write-vectored")]
    #[serde(rename = "std-write-vectored")]
    StdWriteVectored,
    /// `vectored::write_all` on the fd as a `std::io::Write`.
    #[value(name = "vectored-write-all")]
    #[serde(rename = "vectored-write-all")]
    VectoredWriteAll,
    /// `vectored::write_all_fd` (sendmsg on sockets, pwritev2 NOSIGNAL on pipes).
    #[value(name = "vectored-write-all-fd")]
    #[serde(rename = "vectored-write-all-fd")]
    VectoredWriteAllFd,
    /// `vectored::WriteQueue` (default options: copy < 512 B into blocks of 64 KiB growing to 1 MiB), `write_to`.
    #[value(name = "vectored-queue")]
    #[serde(rename = "vectored-queue")]
    VectoredQueue,
    /// `vectored::WriteQueue` (default options), `write_to_fd`.
    #[value(name = "vectored-queue-fd")]
    #[serde(rename = "vectored-queue-fd")]
    VectoredQueueFd,
    /// Hand-written: copy buffers < 256 B into a 64 KiB staging area, pass the rest as iovecs.
    #[value(name = "hybrid-256")]
    #[serde(rename = "hybrid-256")]
    Hybrid256,
    /// Hand-written: copy buffers < 1 KiB into a 64 KiB staging area, pass the rest as iovecs.
    #[value(name = "hybrid-1024")]
    #[serde(rename = "hybrid-1024")]
    Hybrid1024,
    /// Prototype of a write-sizing policy: `writev` of at most 8 KiB per call (the library's
    /// `IoCursor::with_limits`).
    #[value(name = "capped-8k")]
    #[serde(rename = "capped-8k")]
    Capped8K,
    /// Prototype: at most 16 KiB per call.
    #[value(name = "capped-16k")]
    #[serde(rename = "capped-16k")]
    Capped16K,
    /// Prototype: at most 32 KiB per call.
    #[value(name = "capped-32k")]
    #[serde(rename = "capped-32k")]
    Capped32K,
    /// Prototype: at most 64 KiB per call.
    #[value(name = "capped-64k")]
    #[serde(rename = "capped-64k")]
    Capped64K,
    /// Prototype: at most 256 KiB per call.
    #[value(name = "capped-256k")]
    #[serde(rename = "capped-256k")]
    Capped256K,
    /// Prototype of a policy: pipes at most their capacity (`F_GETPIPE_SZ`) per call,
    /// everything else uncapped.
    #[value(name = "capped-auto")]
    #[serde(rename = "capped-auto")]
    CappedAuto,
    /// Prototype of the recommended policy (see BENCHMARKS.md, "No regret"): pipes at most
    /// half their capacity (`F_GETPIPE_SZ / 2`) per call, so writer and reader double-buffer;
    /// everything else uncapped.
    #[value(name = "capped-half-pipe")]
    #[serde(rename = "capped-half-pipe")]
    CappedHalfPipe,
    /// Datagram targets: one `send(2)` per datagram, the naive loop.
    #[value(name = "send-each")]
    #[serde(rename = "send-each")]
    SendEach,
    /// Datagram targets: `sendmmsg(2)` batches of up to 1024 datagrams, one datagram per
    /// message (naive batching, `vectored::sys::sendmmsg`).
    #[value(name = "sendmmsg")]
    #[serde(rename = "sendmmsg")]
    Sendmmsg,
    /// Datagram targets: the library's `DatagramSender::send` (UDP segmentation offload for
    /// runs of equal sizes, `sendmmsg` for the rest), one sender kept for the whole run.
    #[value(name = "vectored-datagrams")]
    #[serde(rename = "vectored-datagrams")]
    VectoredDatagrams,
}

impl StrategyKind {
    /// Every strategy, in table order.
    pub const ALL: [StrategyKind; 11] = [
        StrategyKind::WriteEach,
        StrategyKind::BufWriter,
        StrategyKind::Concat,
        StrategyKind::RawWritev,
        StrategyKind::StdWriteVectored,
        StrategyKind::VectoredWriteAll,
        StrategyKind::VectoredWriteAllFd,
        StrategyKind::VectoredQueue,
        StrategyKind::VectoredQueueFd,
        StrategyKind::Hybrid256,
        StrategyKind::Hybrid1024,
    ];

    /// The write-sizing prototypes (not in `--full`; ask for them with `--strategy`).
    pub const PROTOTYPES: [StrategyKind; 7] = [
        StrategyKind::Capped8K,
        StrategyKind::Capped16K,
        StrategyKind::Capped32K,
        StrategyKind::Capped64K,
        StrategyKind::Capped256K,
        StrategyKind::CappedAuto,
        StrategyKind::CappedHalfPipe,
    ];

    /// The strategies of datagram targets (`udp`), the only ones those targets run; every
    /// other strategy runs on stream and file targets only.
    pub const DATAGRAM: [StrategyKind; 3] = [
        StrategyKind::SendEach,
        StrategyKind::Sendmmsg,
        StrategyKind::VectoredDatagrams,
    ];

    /// The strategy every other is compared with.
    pub const FLOOR: StrategyKind = StrategyKind::RawWritev;

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::WriteEach => "write-each",
            StrategyKind::BufWriter => "bufwriter",
            StrategyKind::Concat => "concat",
            StrategyKind::RawWritev => "raw-writev",
            StrategyKind::StdWriteVectored => "std-write-vectored",
            StrategyKind::VectoredWriteAll => "vectored-write-all",
            StrategyKind::VectoredWriteAllFd => "vectored-write-all-fd",
            StrategyKind::VectoredQueue => "vectored-queue",
            StrategyKind::VectoredQueueFd => "vectored-queue-fd",
            StrategyKind::Hybrid256 => "hybrid-256",
            StrategyKind::Hybrid1024 => "hybrid-1024",
            StrategyKind::Capped8K => "capped-8k",
            StrategyKind::Capped16K => "capped-16k",
            StrategyKind::Capped32K => "capped-32k",
            StrategyKind::Capped64K => "capped-64k",
            StrategyKind::Capped256K => "capped-256k",
            StrategyKind::CappedAuto => "capped-auto",
            StrategyKind::CappedHalfPipe => "capped-half-pipe",
            StrategyKind::SendEach => "send-each",
            StrategyKind::Sendmmsg => "sendmmsg",
            StrategyKind::VectoredDatagrams => "vectored-datagrams",
        }
    }

    /// Whether this strategy sends each buffer as one datagram (and runs on datagram targets
    /// only).
    pub fn is_datagram(self) -> bool {
        Self::DATAGRAM.contains(&self)
    }

    /// A fresh instance, with empty reusable state.
    pub fn build<'a>(self) -> Box<dyn Strategy<'a> + 'a> {
        match self {
            StrategyKind::WriteEach => Box::new(WriteEach),
            StrategyKind::BufWriter => Box::new(BufWriterStrategy),
            StrategyKind::Concat => Box::new(Concat::default()),
            StrategyKind::RawWritev => Box::new(RawWritev),
            StrategyKind::StdWriteVectored => Box::new(StdWriteVectored::default()),
            StrategyKind::VectoredWriteAll => Box::new(VectoredWriteAll),
            StrategyKind::VectoredWriteAllFd => Box::new(VectoredWriteAllFd),
            StrategyKind::VectoredQueue => Box::new(Queue::new(QueueSink::Writer)),
            StrategyKind::VectoredQueueFd => Box::new(Queue::new(QueueSink::Fd)),
            StrategyKind::Hybrid256 => Box::new(Hybrid::new(256)),
            StrategyKind::Hybrid1024 => Box::new(Hybrid::new(1024)),
            StrategyKind::Capped8K => Box::new(Capped(Cap::Fixed(8 << 10))),
            StrategyKind::Capped16K => Box::new(Capped(Cap::Fixed(16 << 10))),
            StrategyKind::Capped32K => Box::new(Capped(Cap::Fixed(32 << 10))),
            StrategyKind::Capped64K => Box::new(Capped(Cap::Fixed(64 << 10))),
            StrategyKind::Capped256K => Box::new(Capped(Cap::Fixed(256 << 10))),
            StrategyKind::CappedAuto => Box::new(Capped(Cap::Pipe { divisor: 1 })),
            StrategyKind::CappedHalfPipe => Box::new(Capped(Cap::Pipe { divisor: 2 })),
            StrategyKind::SendEach => Box::new(SendEach),
            StrategyKind::Sendmmsg => Box::new(Sendmmsg::default()),
            StrategyKind::VectoredDatagrams => Box::new(VectoredDatagrams::default()),
        }
    }
}

struct WriteEach;

impl<'a> Strategy<'a> for WriteEach {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let mut out = CountingWriter::new(file);
        for buf in batch.bufs {
            out.write_all(buf)?;
        }
        Ok(Some(out.calls()))
    }
}

struct BufWriterStrategy;

impl<'a> Strategy<'a> for BufWriterStrategy {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let mut out = BufWriter::with_capacity(BUFWRITER_CAPACITY, CountingWriter::new(file));
        for buf in batch.bufs {
            out.write_all(buf)?;
        }
        out.flush()?;
        Ok(Some(out.get_ref().calls()))
    }
}

#[derive(Default)]
struct Concat {
    /// Reused across batches, like a long-lived output buffer.
    joined: Vec<u8>,
}

impl<'a> Strategy<'a> for Concat {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        self.joined.clear();
        for buf in batch.bufs {
            self.joined.extend_from_slice(buf);
        }
        let mut out = CountingWriter::new(file);
        out.write_all(&self.joined)?;
        Ok(Some(out.calls()))
    }
}

struct RawWritev;

impl<'a> Strategy<'a> for RawWritev {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let mut calls = 0;
        writev_all(
            |chunk| raw_writev(file.as_fd(), chunk),
            batch.slices,
            &mut calls,
        )?;
        Ok(Some(calls))
    }
}

/// `writev(2)` straight through `rustix`, without std or the library in between.
#[inline]
fn raw_writev(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    Ok(rustix::io::writev(fd, bufs)?)
}

/// A hand-written write-all over a `writev`-like call: chunks of at most [`IOV_MAX`]
/// descriptors taken straight from `slices` and, after a short write, one private chunk on
/// the stack whose first descriptor is cut. `calls` counts the calls made.
///
/// The bookkeeping is the minimum: one pass over the descriptors a call consumed.
///
/// # Errors
///
/// Errors of `writev` other than `Interrupted`; `WriteZero` when it accepts nothing;
/// `InvalidData` when it claims more than it was offered.
pub fn writev_all(
    mut writev: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    slices: &[IoSlice<'_>],
    calls: &mut u64,
) -> io::Result<()> {
    let mut idx = 0;
    // Bytes of `slices[idx]` already written.
    let mut off = 0;
    let mut cut: ArrayVec<IoSlice<'_>, IOV_MAX> = ArrayVec::new();
    loop {
        // Skip finished and empty buffers, so every call offers at least one byte.
        while idx < slices.len() && off == slices[idx].len() {
            idx += 1;
            off = 0;
        }
        if idx == slices.len() {
            return Ok(());
        }
        let chunk = &slices[idx..slices.len().min(idx + IOV_MAX)];
        let result = if off == 0 {
            writev(chunk)
        } else {
            cut.clear();
            cut.push(IoSlice::new(&slices[idx][off..]));
            cut.extend(chunk[1..].iter().copied());
            writev(&cut)
        };
        *calls += 1;
        let mut n = match result {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        while n > 0 {
            let Some(buf) = slices.get(idx) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "writev claimed more bytes than it was offered",
                ));
            };
            let left = buf.len() - off;
            if n < left {
                off += n;
                break;
            }
            n -= left;
            idx += 1;
            off = 0;
        }
    }
}

#[derive(Default)]
struct StdWriteVectored<'a> {
    /// `advance_slices` rewrites the list, so each batch works on a copy; the allocation is
    /// reused across batches.
    scratch: Vec<IoSlice<'a>>,
}

impl<'a> Strategy<'a> for StdWriteVectored<'a> {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let mut out = CountingWriter::new(file);
        self.scratch.clear();
        self.scratch.extend_from_slice(batch.slices);
        // This is std's unstable `Write::write_all_vectored`.
        let mut rest = &mut self.scratch[..];
        IoSlice::advance_slices(&mut rest, 0);
        while !rest.is_empty() {
            match out.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Some(out.calls()))
    }
}

struct VectoredWriteAll;

impl<'a> Strategy<'a> for VectoredWriteAll {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let mut out = CountingWriter::new(file);
        vectored::write_all(&mut out, batch.slices)?;
        Ok(Some(out.calls()))
    }
}

struct VectoredWriteAllFd;

impl<'a> Strategy<'a> for VectoredWriteAllFd {
    fn write_batch(
        &mut self,
        file: &File,
        fd_kind: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        // The kind is known up front, as a long-lived connection or an open log file would
        // know it (the default options add one `fstat`, about 0.4 µs, per call): the target's
        // own `FdKind::of`, found once when it was opened (`File` for tmpfs and disk, `Other`
        // for /dev/null).
        vectored::write_all_fd(file, batch.slices, &FdOptions::new().kind(fd_kind))?;
        Ok(None)
    }
}

/// The library's coalescing queue. One queue is kept for the whole run, as a connection
/// would keep one, so its staging blocks are recycled across batches.
struct Queue<'a> {
    queue: WriteQueue<'a>,
    sink: QueueSink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueueSink {
    /// `write_to` a `std::io::Write` (countable).
    Writer,
    /// `write_to_fd` (the calls happen inside the library).
    Fd,
}

impl Queue<'_> {
    fn new(sink: QueueSink) -> Self {
        Self {
            queue: WriteQueue::new(),
            sink,
        }
    }
}

impl<'a> Strategy<'a> for Queue<'a> {
    fn write_batch(
        &mut self,
        file: &File,
        fd_kind: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        self.queue.push_slices(batch.bufs);
        match self.sink {
            QueueSink::Writer => {
                let mut out = CountingWriter::new(file);
                self.queue.write_to(&mut out)?;
                Ok(Some(out.calls()))
            }
            QueueSink::Fd => {
                self.queue
                    .write_to_fd(file, &FdOptions::new().kind(fd_kind))?;
                Ok(None)
            }
        }
    }
}

/// Copies buffers shorter than `threshold` into a staging area (runs of them become one
/// iovec) and passes longer ones by reference, then writes the iovecs with [`writev_all`].
struct Hybrid {
    threshold: usize,
    staging: Vec<u8>,
    segments: Vec<Segment>,
}

/// One iovec of the hybrid strategy.
#[derive(Debug, Clone, Copy)]
enum Segment {
    /// `staging[start..end]`.
    Staged { start: usize, end: usize },
    /// The caller's buffer at this index.
    Direct(usize),
}

impl Hybrid {
    fn new(threshold: usize) -> Self {
        Self {
            threshold,
            staging: Vec::with_capacity(STAGING_CAPACITY),
            segments: Vec::with_capacity(IOV_MAX),
        }
    }

    /// Writes the pending segments and empties the staging area.
    fn flush(&mut self, fd: BorrowedFd<'_>, bufs: &[Vec<u8>], calls: &mut u64) -> io::Result<()> {
        if self.segments.is_empty() {
            return Ok(());
        }
        {
            // Filled in place: `collect` would build the 16 KiB array and then move it.
            let mut slices: ArrayVec<IoSlice<'_>, IOV_MAX> = ArrayVec::new();
            for segment in &self.segments {
                slices.push(match *segment {
                    Segment::Staged { start, end } => IoSlice::new(&self.staging[start..end]),
                    Segment::Direct(i) => IoSlice::new(&bufs[i]),
                });
            }
            writev_all(|chunk| raw_writev(fd, chunk), &slices, calls)?;
        }
        self.segments.clear();
        self.staging.clear();
        Ok(())
    }
}

impl<'a> Strategy<'a> for Hybrid {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let fd = file.as_fd();
        let mut calls = 0;
        self.segments.clear();
        self.staging.clear();
        for (i, buf) in batch.bufs.iter().enumerate() {
            if buf.len() < self.threshold {
                // Consecutive small buffers share one staged segment.
                let mut extends = matches!(self.segments.last(), Some(Segment::Staged { .. }));
                if self.staging.len() + buf.len() > STAGING_CAPACITY
                    || (!extends && self.segments.len() == IOV_MAX)
                {
                    self.flush(fd, batch.bufs, &mut calls)?;
                    extends = false;
                }
                let start = self.staging.len();
                self.staging.extend_from_slice(buf);
                let end = self.staging.len();
                match self.segments.last_mut() {
                    Some(Segment::Staged { end: last_end, .. }) if extends => *last_end = end,
                    _ => self.segments.push(Segment::Staged { start, end }),
                }
            } else {
                if self.segments.len() == IOV_MAX {
                    self.flush(fd, batch.bufs, &mut calls)?;
                }
                self.segments.push(Segment::Direct(i));
            }
        }
        self.flush(fd, batch.bufs, &mut calls)?;
        Ok(Some(calls))
    }
}

/// The byte budget per call of a [`Capped`] strategy.
#[derive(Debug, Clone, Copy)]
enum Cap {
    Fixed(usize),
    /// [`pipe_cap`] with this divisor.
    Pipe {
        divisor: usize,
    },
}

/// A write-sizing rule, as a prototype: the most bytes to offer per call on `fd`, or `None`
/// for no limit beyond `IOV_MAX` descriptors.
///
/// Pipes: their capacity (`F_GETPIPE_SZ`, 64 KiB by default, 64 KiB where it cannot be read)
/// divided by `divisor` (at least one page); every other kind: no limit. BENCHMARKS.md, "No
/// regret", recommends `divisor` 2.
pub fn pipe_cap(fd: BorrowedFd<'_>, kind: FdKind, divisor: usize) -> Option<usize> {
    match kind {
        FdKind::Pipe => {
            let size = rustix::pipe::fcntl_getpipe_size(fd).unwrap_or(64 << 10);
            Some((size / divisor.max(1)).max(4096))
        }
        _ => None,
    }
}

/// A `writev` loop over the library's cursor with a byte budget per call.
struct Capped(Cap);

impl<'a> Strategy<'a> for Capped {
    fn write_batch(
        &mut self,
        file: &File,
        fd_kind: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let fd = file.as_fd();
        let cap = match self.0 {
            Cap::Fixed(cap) => cap,
            Cap::Pipe { divisor } => pipe_cap(fd, fd_kind, divisor).unwrap_or(usize::MAX),
        };
        let mut cursor = IoCursor::<IOV_MAX>::with_limits(batch.slices, IOV_MAX, cap);
        let mut calls = 0;
        loop {
            let window = cursor.window();
            if window.is_empty() {
                return Ok(Some(calls));
            }
            calls += 1;
            match raw_writev(fd, window) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => cursor
                    .advance(n)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// One `send(2)` per datagram, retrying `EINTR`.
struct SendEach;

impl<'a> Strategy<'a> for SendEach {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        let mut calls = 0;
        for buf in batch.bufs {
            loop {
                calls += 1;
                match rustix::net::send(file, buf, rustix::net::SendFlags::empty()) {
                    Ok(n) if n == buf.len() => break,
                    Ok(n) => return Err(short_datagram(n, buf.len())),
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(Some(calls))
    }
}

/// A datagram socket never sends part of a datagram; if it claims to, the run is void.
fn short_datagram(sent: usize, len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("a datagram of {len} bytes was sent as {sent}"),
    )
}

/// `sendmmsg(2)` batches, one datagram per message, retrying `EINTR`. The message list is
/// rebuilt for each batch (pointers into the caller's slices, no copy) in a reused `Vec`.
#[derive(Default)]
struct Sendmmsg<'a> {
    msgs: Vec<OutMessage<'a>>,
}

impl<'a> Strategy<'a> for Sendmmsg<'a> {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        self.msgs.clear();
        self.msgs
            .extend((0..batch.slices.len()).map(|i| OutMessage::new(&batch.slices[i..=i])));
        let mut calls = 0;
        let mut done = 0;
        while done < self.msgs.len() {
            calls += 1;
            match vectored::sys::sendmmsg(
                file,
                &self.msgs[done..],
                vectored::sys::SendFlags::empty(),
            ) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Some(calls))
    }
}

/// The library's `DatagramSender`, kept for the whole run as a server keeps one per socket
/// (it remembers whether the socket takes segmentation).
#[derive(Default)]
struct VectoredDatagrams<'a> {
    sender: DatagramSender,
    datagrams: Vec<Datagram<'a>>,
}

impl<'a> Strategy<'a> for VectoredDatagrams<'a> {
    fn write_batch(
        &mut self,
        file: &File,
        _: FdKind,
        batch: &Batch<'a>,
    ) -> io::Result<Option<u64>> {
        self.datagrams.clear();
        self.datagrams
            .extend(batch.bufs.iter().map(|b| Datagram::new(b)));
        let sent = self
            .sender
            .send(file, &self.datagrams, &FdOptions::new())
            .map_err(io::Error::from)?;
        if sent.datagrams() != self.datagrams.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "DatagramSender::send returned after {} of {} datagrams",
                    sent.datagrams(),
                    self.datagrams.len()
                ),
            ));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `writev_all` against a fake `writev` that takes at most `limit` bytes per call.
    fn short_writes(bufs: &[&[u8]], limit: usize) -> (Vec<u8>, u64) {
        let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
        let mut out = Vec::new();
        let mut calls = 0;
        writev_all(
            |chunk| {
                assert!(chunk.len() <= IOV_MAX);
                assert!(!chunk[0].is_empty());
                let mut left = limit;
                for s in chunk {
                    let n = s.len().min(left);
                    out.extend_from_slice(&s[..n]);
                    left -= n;
                }
                Ok(limit - left)
            },
            &slices,
            &mut calls,
        )
        .unwrap();
        (out, calls)
    }

    #[test]
    fn writev_all_survives_short_writes() {
        let bufs: &[&[u8]] = &[b"hello", b"", b" ", b"world", b"", b"!"];
        for limit in 1..=13 {
            let (out, calls) = short_writes(bufs, limit);
            assert_eq!(out, b"hello world!", "limit {limit}");
            assert_eq!(calls, 12u64.div_ceil(limit as u64), "limit {limit}");
        }
    }

    #[test]
    fn writev_all_chunks_at_iov_max() {
        let data: Vec<[u8; 1]> = (0..=255u8).cycle().take(2500).map(|b| [b]).collect();
        let bufs: Vec<&[u8]> = data.iter().map(|b| &b[..]).collect();
        let (out, calls) = short_writes(&bufs, usize::MAX);
        assert_eq!(out, data.concat());
        assert_eq!(calls, 3);
    }

    #[test]
    fn writev_all_reports_errors() {
        let slices = [IoSlice::new(b"abc")];
        let mut calls = 0;
        let err = writev_all(|_| Ok(0), &slices, &mut calls).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
        let err = writev_all(|_| Ok(4), &slices, &mut calls).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let mut interrupted = true;
        writev_all(
            |_| {
                if std::mem::take(&mut interrupted) {
                    Err(io::ErrorKind::Interrupted.into())
                } else {
                    Ok(3)
                }
            },
            &slices,
            &mut calls,
        )
        .unwrap();
    }

    #[test]
    fn pipe_cap_divides_the_pipe_capacity_and_is_none_elsewhere() {
        let (r, w) = std::io::pipe().unwrap();
        let size = rustix::pipe::fcntl_getpipe_size(&w).unwrap();
        let kind = FdKind::of(&w).unwrap();
        assert_eq!(pipe_cap(w.as_fd(), kind, 1), Some(size));
        assert_eq!(pipe_cap(w.as_fd(), kind, 2), Some(size / 2));
        assert_eq!(pipe_cap(w.as_fd(), kind, 1 << 20), Some(4096));
        drop(r);
        let null = File::options().write(true).open("/dev/null").unwrap();
        assert_eq!(pipe_cap(null.as_fd(), FdKind::of(&null).unwrap(), 2), None);
    }

    #[test]
    fn names_round_trip_through_clap() {
        for kind in StrategyKind::ALL
            .into_iter()
            .chain(StrategyKind::PROTOTYPES)
            .chain(StrategyKind::DATAGRAM)
        {
            assert_eq!(StrategyKind::from_str(kind.name(), false), Ok(kind));
        }
    }
}
