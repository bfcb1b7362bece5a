//! Targets: where a batch is written, and how the harness knows it has arrived.
//!
//! Files and `/dev/null` have arrived when the write call returns. Pipes and sockets have a
//! reader thread that drains them; a batch has arrived when that reader holds every byte,
//! so the time includes waking the reader, not just filling the kernel's buffer.

use std::fs::File;
use std::io::{self, BufRead as _, BufReader, IoSliceMut, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd as _, OwnedFd};
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, ensure, Context as _};
use clap::ValueEnum;
use rustix::event::{PollFd, PollFlags, Timespec};
use serde::{Deserialize, Serialize};
use vectored::datagram::recv_datagrams;
use vectored::{FdKind, FdOptions};

use crate::cpus::pin_this_thread;
use crate::syscalls::{SwitchCounter, Switches};

/// The kinds of target a batch can be written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
pub enum TargetKind {
    /// `/dev/null`: no data copy at all, so only user-space and syscall overhead shows.
    #[value(name = "devnull")]
    #[serde(rename = "devnull")]
    DevNull,
    /// A file on tmpfs (`/dev/shm`): page-cache copy, no disk.
    #[value(name = "tmpfs")]
    #[serde(rename = "tmpfs")]
    Tmpfs,
    /// A file on the working disk (the temp dir, or the current dir when that is tmpfs).
    #[value(name = "disk")]
    #[serde(rename = "disk")]
    Disk,
    /// An anonymous pipe drained by a reader thread.
    #[value(name = "pipe")]
    #[serde(rename = "pipe")]
    Pipe,
    /// A Unix stream socketpair drained by a reader thread.
    #[value(name = "unix")]
    #[serde(rename = "unix")]
    Unix,
    /// TCP over loopback with Nagle's algorithm on (the default), drained by a reader thread.
    #[value(name = "tcp")]
    #[serde(rename = "tcp")]
    Tcp,
    /// TCP over loopback with `TCP_NODELAY`, drained by a reader thread.
    #[value(name = "tcp-nodelay")]
    #[serde(rename = "tcp-nodelay")]
    TcpNodelay,
    /// A connected UDP loopback socket whose receiver (64 MiB `SO_RCVBUF`) is drained by a
    /// reader that counts every datagram: datagram workloads and strategies only.
    #[value(name = "udp")]
    #[serde(rename = "udp")]
    Udp,
}

impl TargetKind {
    /// Every target, in table order.
    pub const ALL: [TargetKind; 7] = [
        TargetKind::DevNull,
        TargetKind::Tmpfs,
        TargetKind::Disk,
        TargetKind::Pipe,
        TargetKind::Unix,
        TargetKind::Tcp,
        TargetKind::TcpNodelay,
    ];

    /// The datagram targets: measured with datagram workloads and strategies only.
    pub const DATAGRAM: [TargetKind; 1] = [TargetKind::Udp];

    /// Every target of either kind, in table order.
    pub fn every() -> impl Iterator<Item = TargetKind> {
        Self::ALL.into_iter().chain(Self::DATAGRAM)
    }

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::DevNull => "devnull",
            TargetKind::Tmpfs => "tmpfs",
            TargetKind::Disk => "disk",
            TargetKind::Pipe => "pipe",
            TargetKind::Unix => "unix",
            TargetKind::Tcp => "tcp",
            TargetKind::TcpNodelay => "tcp-nodelay",
            TargetKind::Udp => "udp",
        }
    }

    /// Whether the target is a pipe or socket (drained by a reader), datagram sockets
    /// included.
    pub fn is_stream(self) -> bool {
        self == TargetKind::Pipe || self.is_socket()
    }

    /// Whether the target takes datagrams (each buffer one datagram) rather than a byte
    /// stream.
    pub fn is_datagram(self) -> bool {
        self == TargetKind::Udp
    }

    /// Whether the target is a socket (its writes can be `sendmsg`, which the kernel's
    /// per-thread I/O accounting does not count).
    pub fn is_socket(self) -> bool {
        matches!(
            self,
            TargetKind::Unix | TargetKind::Tcp | TargetKind::TcpNodelay | TargetKind::Udp
        )
    }
}

/// Who reads a pipe or socket target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReaderMode {
    /// A thread of the benchmark process.
    #[default]
    Thread,
    /// A separate process (the `vectored` binary itself, re-executed), as with
    /// `prog | consumer`.
    Process,
}

impl ReaderMode {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            ReaderMode::Thread => "thread",
            ReaderMode::Process => "process",
        }
    }
}

/// How long the harness waits for a reader before declaring the run stuck.
const READER_TIMEOUT: Duration = Duration::from_mins(1);

/// The reader's buffer: large enough that reading never limits a fast writer.
const READER_BUFFER: usize = 256 * 1024;

/// An open target: the writer end plus whatever tells when a batch has arrived.
#[derive(Debug)]
pub struct Target {
    kind: TargetKind,
    // Declared before `sink`: dropping the writer first gives the reader end-of-file, so the
    // reader thread can always be joined, even after a failed batch.
    writer: File,
    fd_kind: FdKind,
    sink: Sink,
    detail: String,
    /// Datagrams per batch on a datagram target (0 on the others).
    datagrams: usize,
}

#[derive(Debug)]
enum Sink {
    /// `/dev/null`: the bytes are gone when the call returns.
    Discard,
    /// A regular file, rewound and truncated before each batch and removed at the end.
    File { path: PathBuf, written: usize },
    /// A pipe or socket drained by a reader thread or process.
    Stream(Drain),
}

impl Target {
    /// Opens a fresh target of `kind`; pipes and sockets are drained by a reader thread.
    ///
    /// # Errors
    ///
    /// When the target does not exist on this machine (no tmpfs mount) or setting it up fails.
    pub fn open(kind: TargetKind) -> anyhow::Result<Self> {
        Self::open_with(kind, ReaderMode::Thread, BatchShape::default())
    }

    /// Opens a fresh target of `kind` whose pipe or socket is drained by a `reader` thread or
    /// process. A reader process must know the batches in advance (`shape`); a thread is told
    /// before each batch.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), and when the reader process cannot be started.
    pub fn open_with(
        kind: TargetKind,
        reader: ReaderMode,
        shape: BatchShape,
    ) -> anyhow::Result<Self> {
        let reader_mode = (reader, shape);
        let (writer, sink, detail) = match kind {
            TargetKind::DevNull => {
                let file = File::options()
                    .write(true)
                    .open("/dev/null")
                    .context("opening /dev/null")?;
                (file, Sink::Discard, "/dev/null".to_owned())
            }
            TargetKind::Tmpfs => file_target(&tmpfs_dir()?)?,
            TargetKind::Disk => file_target(&disk_dir()?)?,
            TargetKind::Pipe => {
                let (reader, writer) = io::pipe().context("creating a pipe")?;
                stream_target(
                    OwnedFd::from(writer),
                    OwnedFd::from(reader),
                    "pipe",
                    reader_mode,
                )?
            }
            TargetKind::Unix => {
                let (writer, reader) = UnixStream::pair().context("creating a socketpair")?;
                stream_target(
                    OwnedFd::from(writer),
                    OwnedFd::from(reader),
                    "unix socketpair",
                    reader_mode,
                )?
            }
            TargetKind::Tcp | TargetKind::TcpNodelay => {
                let (writer, reader) = tcp_pair().context("connecting over TCP loopback")?;
                let nodelay = kind == TargetKind::TcpNodelay;
                writer.set_nodelay(nodelay)?;
                let detail = if nodelay {
                    "TCP loopback, TCP_NODELAY"
                } else {
                    "TCP loopback, Nagle on"
                };
                stream_target(
                    OwnedFd::from(writer),
                    OwnedFd::from(reader),
                    detail,
                    reader_mode,
                )?
            }
            TargetKind::Udp => {
                let (writer, reader, rcvbuf) =
                    udp_pair(shape).context("connecting over UDP loopback")?;
                stream_target(
                    OwnedFd::from(writer),
                    OwnedFd::from(reader),
                    &format!("UDP loopback, SO_RCVBUF {}", format_buffer(rcvbuf)),
                    reader_mode,
                )?
            }
        };
        let fd_kind = FdKind::of(&writer)?;
        Ok(Self {
            kind,
            writer,
            fd_kind,
            sink,
            detail,
            datagrams: if kind.is_datagram() {
                shape.datagrams
            } else {
                0
            },
        })
    }

    /// The kind of this target.
    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    /// What the target is on this machine, e.g. `/tmp (ext4)`.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The writer end. Every strategy writes through this fd (as a `File`: `write`/`writev`
    /// on a `File` are the same system calls as on a `TcpStream` or `PipeWriter`).
    pub fn writer(&self) -> &File {
        &self.writer
    }

    /// What the library's fd loops see the writer as.
    pub fn fd_kind(&self) -> FdKind {
        self.fd_kind
    }

    /// Prepares for a batch of `bytes` bytes; not timed.
    ///
    /// Files are rewound and truncated so they never grow; a reader is told how many bytes to
    /// expect and whether to keep them for [`take_delivered`](Self::take_delivered).
    ///
    /// # Errors
    ///
    /// When truncating fails or the reader thread is gone.
    pub fn before_batch(&mut self, bytes: usize, keep: bool) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Discard => {}
            Sink::File { written, .. } => {
                rustix::fs::seek(&self.writer, rustix::fs::SeekFrom::Start(0))?;
                self.writer.set_len(0)?;
                *written = bytes;
            }
            Sink::Stream(Drain::Thread(drain)) => drain.expect(bytes, self.datagrams, keep)?,
            Sink::Stream(Drain::Process(drain)) => drain.expect(bytes, keep)?,
        }
        Ok(())
    }

    /// Waits until the batch has arrived: immediately for files and `/dev/null`, and until
    /// the reader holds every byte for pipes and sockets. This is inside the timed region.
    ///
    /// # Errors
    ///
    /// When the reader failed, saw end-of-file early, or did not finish within a minute.
    pub fn wait_delivered(&mut self) -> anyhow::Result<()> {
        match &mut self.sink {
            Sink::Stream(Drain::Thread(drain)) => drain.wait(),
            Sink::Stream(Drain::Process(drain)) => drain.wait(),
            Sink::Discard | Sink::File { .. } => Ok(()),
        }
    }

    /// What the reader did during the last batch; `None` for files and `/dev/null`.
    pub fn reader_stats(&self) -> Option<ReaderStats> {
        match &self.sink {
            Sink::Stream(Drain::Thread(drain)) => Some(drain.stats),
            Sink::Stream(Drain::Process(drain)) => Some(drain.stats),
            Sink::Discard | Sink::File { .. } => None,
        }
    }

    /// Checks that the last batch (written with `keep`) delivered exactly `expected`: the
    /// bytes the reader thread kept, the reader process's checksum, or the file's content.
    /// Nothing can be checked on `/dev/null`.
    ///
    /// # Errors
    ///
    /// When the bytes differ, or cannot be observed although they should be.
    pub fn check_delivered(&mut self, expected: &[u8]) -> anyhow::Result<()> {
        if let Sink::Stream(Drain::Process(drain)) = &self.sink {
            let got = drain
                .checksum
                .context("the reader process did not checksum the batch")?;
            let want = Checksum::of(expected);
            ensure!(
                got == want,
                "the reader process received bytes with checksum {got:016x}, expected {want:016x} \
                 ({} bytes)",
                expected.len()
            );
            return Ok(());
        }
        if let Some(got) = self.take_delivered()? {
            if got != expected {
                let at = got.iter().zip(expected).position(|(a, b)| a != b);
                bail!(
                    "the target received {} bytes, {} expected; first difference at {:?}",
                    got.len(),
                    expected.len(),
                    at.unwrap_or(got.len().min(expected.len())),
                );
            }
        }
        Ok(())
    }

    /// The bytes the last batch delivered, when they can be observed: what the reader thread
    /// kept (if asked to) or the file's content. `None` for `/dev/null` and a reader process
    /// (see [`check_delivered`](Self::check_delivered)).
    ///
    /// # Errors
    ///
    /// When reading the file back fails.
    pub fn take_delivered(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        match &mut self.sink {
            Sink::Discard | Sink::Stream(Drain::Process(_)) => Ok(None),
            Sink::File { written, .. } => {
                let len = usize::try_from(self.writer.metadata()?.len())?;
                ensure!(
                    len == *written,
                    "the file holds {len} bytes after a batch of {written}"
                );
                let mut data = vec![0; len];
                self.writer.read_exact_at(&mut data, 0)?;
                Ok(Some(data))
            }
            Sink::Stream(Drain::Thread(drain)) => Ok(drain.kept.take()),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        // The fields drop after this: the writer first, then the sink (see above).
        if let Sink::File { path, .. } = &self.sink {
            let _ = std::fs::remove_file(path);
        }
        // UDP has no end-of-file: an empty datagram where a batch would start stands for it.
        if self.kind.is_datagram() {
            let _ = rustix::net::send(&self.writer, &[], rustix::net::SendFlags::empty());
        }
    }
}

/// The bytes a datagram target delivers for `datagrams`, as the harness compares them: each
/// datagram's length (4 bytes, little-endian) then its payload, so that a lost, split,
/// merged or reordered datagram changes the result even when the bytes alone would not.
pub fn framed<B: AsRef<[u8]>>(datagrams: &[B]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in datagrams {
        let d = d.as_ref();
        out.extend_from_slice(&frame_header(d.len()));
        out.extend_from_slice(d);
    }
    out
}

/// The length prefix of [`framed`]; datagrams are below 64 KiB, so 4 bytes always suffice.
fn frame_header(len: usize) -> [u8; 4] {
    u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes()
}

/// What the reader of a pipe or socket did during one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// `read` calls it made.
    pub reads: u64,
    /// Its context switches from the end of the previous batch to the end of this one
    /// (so they include the wait for this batch's first byte); `None` without procfs.
    pub switches: Option<Switches>,
}

/// The reader of a pipe or socket: a thread, or a separate process.
#[derive(Debug)]
enum Drain {
    Thread(ThreadDrain),
    Process(ProcessDrain),
}

impl Drain {
    fn spawn(source: OwnedFd, mode: ReaderMode, shape: BatchShape) -> anyhow::Result<Self> {
        Ok(match mode {
            ReaderMode::Thread => Drain::Thread(
                ThreadDrain::spawn(File::from(source), shape.reader_cpu)
                    .context("starting the reader thread")?,
            ),
            ReaderMode::Process => Drain::Process(
                ProcessDrain::spawn(source, shape).context("starting the reader process")?,
            ),
        })
    }
}

/// The batches a process reader will get: it is told up front, as it has no other channel
/// from the writer than the data itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchShape {
    /// Bytes per batch (every batch of a cell has the same size).
    pub bytes: usize,
    /// How many batches, from the first, the reader checksums so that the harness can check
    /// the delivered bytes (the strategies' check round); later batches are only read.
    pub checked: usize,
    /// The CPU the reader (thread or process) pins itself to; `None`: wherever the scheduler
    /// puts it.
    pub reader_cpu: Option<usize>,
    /// Datagrams per batch on a datagram target (their payloads add up to `bytes`); 0 for a
    /// byte stream.
    pub datagrams: usize,
}

/// A reader thread draining a pipe or socket, one batch at a time.
#[derive(Debug)]
struct ThreadDrain {
    requests: Option<Sender<Request>>,
    results: Receiver<io::Result<Delivered>>,
    thread: Option<JoinHandle<()>>,
    kept: Option<Vec<u8>>,
    stats: ReaderStats,
}

/// One batch as the reader thread saw it.
#[derive(Debug)]
struct Delivered {
    kept: Option<Vec<u8>>,
    stats: ReaderStats,
}

#[derive(Debug, Clone, Copy)]
struct Request {
    bytes: usize,
    /// Datagrams to receive (0: a byte stream).
    datagrams: usize,
    keep: bool,
}

impl ThreadDrain {
    fn spawn(source: File, cpu: Option<usize>) -> io::Result<Self> {
        let (requests, requests_rx) = mpsc::channel();
        let (results_tx, results) = mpsc::channel();
        let (pinned_tx, pinned) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("bench-reader".to_owned())
            .spawn(move || {
                let pin = cpu.map_or(Ok(()), pin_this_thread);
                let ok = pin.is_ok();
                let _ = pinned_tx.send(pin);
                if ok {
                    drain(source, &requests_rx, &results_tx);
                }
            })?;
        pinned
            .recv()
            .map_err(|_| io::Error::other("the reader thread exited at start"))??;
        Ok(Self {
            requests: Some(requests),
            results,
            thread: Some(thread),
            kept: None,
            stats: ReaderStats::default(),
        })
    }

    fn expect(&mut self, bytes: usize, datagrams: usize, keep: bool) -> anyhow::Result<()> {
        self.kept = None;
        let requests = self.requests.as_ref().expect("sender lives until drop");
        let request = Request {
            bytes,
            datagrams,
            keep,
        };
        if requests.send(request).is_err() {
            bail!("the reader thread has exited");
        }
        Ok(())
    }

    fn wait(&mut self) -> anyhow::Result<()> {
        match self.results.recv_timeout(READER_TIMEOUT) {
            Ok(Ok(delivered)) => {
                self.kept = delivered.kept;
                self.stats = delivered.stats;
                Ok(())
            }
            Ok(Err(e)) => Err(anyhow::Error::new(e).context("the reader failed")),
            Err(RecvTimeoutError::Timeout) => bail!("the reader got no complete batch in 60 s"),
            Err(RecvTimeoutError::Disconnected) => bail!("the reader thread has exited"),
        }
    }
}

impl Drop for ThreadDrain {
    fn drop(&mut self) {
        // The writer is already closed (see `Target`), so a reader inside `read` sees EOF and
        // one waiting for a request sees the channel close.
        drop(self.requests.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reader thread: for each request, read exactly that many bytes, then report.
fn drain(mut source: File, requests: &Receiver<Request>, results: &Sender<io::Result<Delivered>>) {
    let mut buf = vec![0u8; READER_BUFFER];
    let mut counter = SwitchCounter::for_this_thread().ok();
    let mut last = counter.as_mut().and_then(|c| c.sample().ok());
    let mut datagram_buffers = Vec::new();
    while let Ok(request) = requests.recv() {
        let mut reads = 0;
        let result = if request.datagrams > 0 {
            let mut kept = Vec::new();
            // The harness asked for this batch just before sending it: silence means loss.
            recv_datagram_batch(
                &source,
                &mut datagram_buffers,
                (request.datagrams, request.bytes),
                LOSS_TIMEOUT,
                &mut reads,
                |chunk| {
                    if request.keep {
                        kept.extend_from_slice(chunk);
                    }
                },
            )
            .and_then(|got| match got {
                Some(()) => Ok(vec![kept]),
                None => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the writer closed before the batch",
                )),
            })
        } else {
            read_batch(&mut source, &mut buf, request.bytes, &mut reads, |chunk| {
                chunk.to_vec()
            })
        };
        let failed = result.is_err();
        let now = counter.as_mut().and_then(|c| c.sample().ok());
        let stats = ReaderStats {
            reads,
            switches: now.zip(last).map(|(n, l)| n.since(l)),
        };
        let delivered = result.map(|chunks| Delivered {
            kept: request.keep.then(|| chunks.concat()),
            stats,
        });
        if results.send(delivered).is_err() || failed {
            return;
        }
        // The counts of the next batch start after this reply (whose wake-up of the harness
        // is not the next batch's work).
        last = counter.as_mut().and_then(|c| c.sample().ok());
    }
}

/// Reads exactly `bytes` bytes, counting the `read` calls in `reads`; `keep` maps each chunk
/// read to what the caller wants of it (a copy, a checksum update, nothing).
fn read_batch<T>(
    source: &mut File,
    buf: &mut [u8],
    bytes: usize,
    reads: &mut u64,
    mut keep: impl FnMut(&[u8]) -> T,
) -> io::Result<Vec<T>> {
    let mut kept = Vec::new();
    let mut got = 0;
    while got < bytes {
        // Never read past the batch: the next batch's bytes belong to the next request.
        let want = buf.len().min(bytes - got);
        let n = match source.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("end of stream after {got} of {bytes} bytes"),
                ))
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        *reads += 1;
        kept.push(keep(&buf[..n]));
        got += n;
    }
    Ok(kept)
}

/// How long a datagram reader waits for the rest of a batch before declaring the missing
/// datagrams lost (loopback delivers within microseconds; this only bounds a failed run).
const LOSS_TIMEOUT: Duration = Duration::from_secs(5);

/// Datagrams received per `recvmmsg` at most, and the size of each receive buffer (the
/// largest UDP payload fits, so nothing is ever truncated).
const DATAGRAM_BUFFERS: (usize, usize) = (128, 64 * 1024);

/// Receives exactly `want.0` datagrams whose payloads add up to `want.1` bytes with
/// `recv_datagrams` (`recvmmsg`), counting the calls in `reads` and passing each datagram to
/// `keep` as [`framed`] does (length prefix, then payload). `buffers` is allocated on first
/// use and reused.
///
/// Waits at most `first_wait` for the first datagram and [`LOSS_TIMEOUT`] for each next one.
/// Returns `None` when the batch starts with an empty
/// datagram (the writer's end-of-file, see [`Target`]'s drop).
///
/// # Errors
///
/// `TimedOut` when datagrams were lost, `InvalidData` when a datagram was truncated or the
/// datagrams carried other than `want.1` bytes (boundaries moved), and receive errors.
fn recv_datagram_batch(
    source: &File,
    buffers: &mut Vec<Vec<u8>>,
    (datagrams, bytes): (usize, usize),
    first_wait: Duration,
    reads: &mut u64,
    mut keep: impl FnMut(&[u8]),
) -> io::Result<Option<()>> {
    if buffers.is_empty() {
        *buffers = vec![vec![0u8; DATAGRAM_BUFFERS.1]; DATAGRAM_BUFFERS.0];
    }
    let mut meta = Vec::with_capacity(buffers.len());
    let (mut got, mut got_bytes) = (0, 0);
    while got < datagrams {
        let wait = if got == 0 { first_wait } else { LOSS_TIMEOUT };
        let opts = FdOptions::new().timeout(wait);
        meta.clear();
        {
            // Never more than the batch: the next batch's datagrams belong to the next one.
            let mut bufs: Vec<IoSliceMut<'_>> = buffers
                .iter_mut()
                .take(datagrams - got)
                .map(|b| IoSliceMut::new(b))
                .collect();
            match recv_datagrams(source, &mut bufs, &mut meta, &opts) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "datagrams lost: received {got} of {datagrams} ({got_bytes} of \
                             {bytes} bytes), then nothing for {} s",
                            wait.as_secs()
                        ),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        *reads += 1;
        for r in &meta {
            if r.truncated() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "datagram {got} of {} bytes was truncated to {}",
                        r.original_len(),
                        r.len()
                    ),
                ));
            }
            if r.is_empty() && got == 0 {
                return Ok(None);
            }
            keep(&frame_header(r.len()));
            keep(&buffers[r.buffer()][r.range()]);
            got += 1;
            got_bytes += r.len();
        }
    }
    if got_bytes != bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "datagram boundaries moved: {datagrams} datagrams carried {got_bytes} bytes, \
                 {bytes} expected"
            ),
        ));
    }
    Ok(Some(()))
}

/// A reader process: `vectored drain` with the read end as its stdin, reporting each batch as
/// one line on its stdout (see [`drain_main`]).
#[derive(Debug)]
struct ProcessDrain {
    child: Child,
    replies: BufReader<ChildStdout>,
    shape: BatchShape,
    batches: usize,
    /// The checksum the reader reported for the last batch, if it checked it.
    checksum: Option<u64>,
    stats: ReaderStats,
}

impl ProcessDrain {
    fn spawn(source: OwnedFd, shape: BatchShape) -> anyhow::Result<Self> {
        ensure!(shape.bytes > 0, "a reader process needs the batch size");
        let exe = drain_executable()?;
        let mut command = Command::new(&exe);
        command.args([
            "drain",
            "--batch-bytes",
            &shape.bytes.to_string(),
            "--checked",
            &shape.checked.to_string(),
        ]);
        if shape.datagrams > 0 {
            command.args(["--datagrams", &shape.datagrams.to_string()]);
        }
        if let Some(cpu) = shape.reader_cpu {
            command.args(["--cpu", &cpu.to_string()]);
        }
        let mut child = command
            .stdin(Stdio::from(source))
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {} drain", exe.display()))?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        Ok(Self {
            child,
            replies: BufReader::new(stdout),
            shape,
            batches: 0,
            checksum: None,
            stats: ReaderStats::default(),
        })
    }

    fn expect(&mut self, bytes: usize, keep: bool) -> anyhow::Result<()> {
        ensure!(
            bytes == self.shape.bytes,
            "the reader process reads batches of {} bytes, not {bytes}",
            self.shape.bytes
        );
        ensure!(
            !keep || self.batches < self.shape.checked,
            "the reader process checks only the first {} batches",
            self.shape.checked
        );
        self.batches += 1;
        self.checksum = None;
        Ok(())
    }

    fn wait(&mut self) -> anyhow::Result<()> {
        if self.replies.buffer().is_empty() {
            let fd = self.replies.get_ref().as_fd();
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            let timeout = Timespec {
                tv_sec: READER_TIMEOUT.as_secs().try_into().unwrap_or(i64::MAX),
                tv_nsec: 0,
            };
            let ready = rustix::event::poll(&mut fds, Some(&timeout))?;
            ensure!(
                ready > 0,
                "the reader process got no complete batch in 60 s"
            );
        }
        let mut line = String::new();
        self.replies.read_line(&mut line)?;
        let reply =
            Reply::parse(&line).with_context(|| format!("the reader process replied {line:?}"))?;
        self.checksum = reply.checksum;
        self.stats = reply.stats;
        Ok(())
    }
}

impl Drop for ProcessDrain {
    fn drop(&mut self) {
        // The writer is closed by now: the reader sees end-of-file and exits. Kill it only if
        // it does not (it is our own child, addressed by its pid).
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_)) | Err(_)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary to run as a reader process: `$VECTORED_DRAIN_EXE`, else this executable.
fn drain_executable() -> anyhow::Result<PathBuf> {
    if let Some(exe) = std::env::var_os("VECTORED_DRAIN_EXE") {
        return Ok(PathBuf::from(exe));
    }
    std::env::current_exe().context("finding the vectored executable")
}

/// One line of a reader process: `ok <checksum or -> <reads> <voluntary> <involuntary>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reply {
    checksum: Option<u64>,
    stats: ReaderStats,
}

impl Reply {
    fn format(&self) -> String {
        let sum = self
            .checksum
            .map_or_else(|| "-".to_owned(), |c| format!("{c:016x}"));
        let (v, i) = self.stats.switches.map_or_else(
            || ("-".to_owned(), "-".to_owned()),
            |s| (s.voluntary.to_string(), s.involuntary.to_string()),
        );
        format!("ok {sum} {} {v} {i}\n", self.stats.reads)
    }

    fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace();
        if words.next()? != "ok" {
            return None;
        }
        let checksum = match words.next()? {
            "-" => None,
            hex => Some(u64::from_str_radix(hex, 16).ok()?),
        };
        let reads = words.next()?.parse().ok()?;
        let switches = match (words.next()?, words.next()?) {
            ("-", "-") => None,
            (v, i) => Some(Switches {
                voluntary: v.parse().ok()?,
                involuntary: i.parse().ok()?,
            }),
        };
        Some(Self {
            checksum,
            stats: ReaderStats { reads, switches },
        })
    }
}

/// An order-sensitive 64-bit checksum (FNV-1a) of a byte stream, however it is split.
#[derive(Debug, Clone, Copy)]
pub struct Checksum(u64);

impl Default for Checksum {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Checksum {
    /// Adds `bytes` to the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The checksum of the stream so far.
    pub fn value(self) -> u64 {
        self.0
    }

    /// The checksum of `bytes`.
    pub fn of(bytes: &[u8]) -> u64 {
        let mut sum = Self::default();
        sum.update(bytes);
        sum.value()
    }
}

/// The reader process (`vectored drain`): reads batches of `shape.bytes` from `source`,
/// checksums the first `shape.checked`, and after each batch writes one reply line to
/// `replies`. Returns at end-of-file between batches.
///
/// # Errors
///
/// When reading fails, the stream ends inside a batch, or the reply cannot be written.
pub fn drain_main(mut source: File, replies: &mut impl Write, shape: BatchShape) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut datagram_buffers = Vec::new();
    let mut counter = SwitchCounter::for_this_thread().ok();
    let mut last = counter.as_mut().and_then(|c| c.sample().ok());
    for batch in 0.. {
        let mut reads = 0;
        let mut sum = Checksum::default();
        let check = batch < shape.checked;
        let update = |chunk: &[u8]| {
            if check {
                sum.update(chunk);
            }
        };
        if shape.datagrams > 0 {
            // Between batches the writer may be busy for a while: wait for the first datagram
            // as long as the harness waits for a reply (an empty datagram ends the run; the
            // bound ends it too if the benchmark died without sending one).
            let got = recv_datagram_batch(
                &source,
                &mut datagram_buffers,
                (shape.datagrams, shape.bytes),
                READER_TIMEOUT,
                &mut reads,
                update,
            )?;
            if got.is_none() {
                return Ok(());
            }
        } else {
            if buf.is_empty() {
                buf = vec![0u8; READER_BUFFER];
            }
            match read_batch(
                &mut source,
                &mut buf,
                shape.bytes.max(1),
                &mut reads,
                update,
            ) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && reads == 0 => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        let now = counter.as_mut().and_then(|c| c.sample().ok());
        let reply = Reply {
            checksum: check.then(|| sum.value()),
            stats: ReaderStats {
                reads,
                switches: now.zip(last).map(|(n, l)| n.since(l)),
            },
        };
        replies.write_all(reply.format().as_bytes())?;
        replies.flush()?;
        last = counter.as_mut().and_then(|c| c.sample().ok());
    }
    Ok(())
}

fn stream_target(
    writer: OwnedFd,
    reader: OwnedFd,
    detail: &str,
    (mode, shape): (ReaderMode, BatchShape),
) -> anyhow::Result<(File, Sink, String)> {
    let drain = Drain::spawn(reader, mode, shape)?;
    let detail = match mode {
        ReaderMode::Thread => detail.to_owned(),
        ReaderMode::Process => format!("{detail}, reader process"),
    };
    Ok((File::from(writer), Sink::Stream(drain), detail))
}

/// The receive buffer asked of the UDP receiver (granted in full with `CAP_NET_ADMIN`,
/// else up to `net.core.rmem_max`).
const UDP_RCVBUF: usize = 64 << 20;

/// A writer connected to a receiver over UDP loopback, with the receiver's buffer size.
///
/// The receiver must be able to hold a whole batch (`shape`) even if its reader does not run
/// until the writer is done, so that loopback never drops a datagram and every strategy is
/// timed on the same lossless path; a buffer too small for that is an error, not a run.
fn udp_pair(shape: BatchShape) -> anyhow::Result<(UdpSocket, UdpSocket, usize)> {
    let reader = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    if rustix::net::sockopt::set_socket_recv_buffer_size_force(&reader, UDP_RCVBUF).is_err() {
        rustix::net::sockopt::set_socket_recv_buffer_size(&reader, UDP_RCVBUF)?;
    }
    let rcvbuf = rustix::net::sockopt::socket_recv_buffer_size(&reader)?;
    let need = udp_buffer_need(shape);
    ensure!(
        rcvbuf >= need,
        "the UDP receive buffer is {rcvbuf} bytes, a batch of {} datagrams ({} bytes) needs \
         about {need} to be lossless; run with CAP_NET_ADMIN or raise net.core.rmem_max",
        shape.datagrams,
        shape.bytes
    );
    // Non-blocking: the reader waits with `poll`, with a bound once a batch has started.
    reader.set_nonblocking(true)?;
    let writer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    writer.connect(reader.local_addr()?)?;
    reader.connect(writer.local_addr()?)?;
    Ok((writer, reader, rcvbuf))
}

/// `134217728` → `128 MiB`, `212992` → `208 KiB`.
fn format_buffer(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// What a receive queue charges for a batch, generously: each datagram costs its payload
/// plus a buffer and `sk_buff` of up to about 2 KiB (`truesize`), and twice the payload for
/// large ones.
pub fn udp_buffer_need(shape: BatchShape) -> usize {
    shape.bytes * 2 + shape.datagrams * 2048
}

fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let writer = TcpStream::connect(listener.local_addr()?)?;
    let (reader, _) = listener.accept()?;
    Ok((writer, reader))
}

/// Creates a fresh, empty file in `dir`; it is removed when the target is dropped.
fn file_target(dir: &Path) -> anyhow::Result<(File, Sink, String)> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        ".vectored-bench-{}-{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(name);
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let detail = format!("{} ({})", dir.display(), fs_name(dir));
    Ok((file, Sink::File { path, written: 0 }, detail))
}

const TMPFS_MAGIC: u64 = 0x0102_1994;

/// The `statfs` magic number of the file system holding `path`.
fn fs_magic(path: &Path) -> io::Result<u64> {
    let stat = rustix::fs::statfs(path)?;
    // `f_type` is signed on some architectures and unsigned on others; magic numbers are
    // small positive values either way.
    #[allow(clippy::cast_sign_loss, clippy::unnecessary_cast)]
    Ok(stat.f_type as u64)
}

fn is_tmpfs(path: &Path) -> bool {
    fs_magic(path).is_ok_and(|m| m == TMPFS_MAGIC)
}

fn fs_name(path: &Path) -> String {
    match fs_magic(path) {
        Ok(TMPFS_MAGIC) => "tmpfs".to_owned(),
        Ok(0xEF53) => "ext4".to_owned(),
        Ok(0x5846_5342) => "xfs".to_owned(),
        Ok(0x9123_683E) => "btrfs".to_owned(),
        Ok(0x794C_7630) => "overlayfs".to_owned(),
        Ok(0x0102_1997) => "9p".to_owned(),
        Ok(magic) => format!("fs magic {magic:#x}"),
        Err(e) => format!("statfs failed: {e}"),
    }
}

/// `/dev/shm`, or the temp dir when that is tmpfs.
fn tmpfs_dir() -> anyhow::Result<PathBuf> {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && is_tmpfs(shm) {
        return Ok(shm.to_owned());
    }
    let temp = std::env::temp_dir();
    if is_tmpfs(&temp) {
        return Ok(temp);
    }
    bail!("no tmpfs found (/dev/shm is missing and the temp dir is not tmpfs)")
}

/// The temp dir, unless it is tmpfs (then it would be a second tmpfs target): then the
/// current dir.
fn disk_dir() -> anyhow::Result<PathBuf> {
    let temp = std::env::temp_dir();
    if temp.is_dir() && !is_tmpfs(&temp) {
        return Ok(temp);
    }
    let cwd = std::env::current_dir().context("finding the current dir")?;
    if is_tmpfs(&cwd) {
        bail!("both the temp dir and the current dir are tmpfs: no disk to test");
    }
    Ok(cwd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_takes_exactly_one_batch_at_a_time() {
        let mut target = Target::open(TargetKind::Pipe).unwrap();
        for round in 0..3u8 {
            let batch = vec![round; 100_000];
            target.before_batch(batch.len(), true).unwrap();
            vectored::write_all(&mut target.writer(), &[io::IoSlice::new(&batch)]).unwrap();
            target.wait_delivered().unwrap();
            assert_eq!(target.take_delivered().unwrap().unwrap(), batch);
        }
    }

    #[test]
    fn files_are_truncated_between_batches_and_removed() {
        let mut target = Target::open(TargetKind::Disk).unwrap();
        let path = match &target.sink {
            Sink::File { path, .. } => path.clone(),
            _ => unreachable!(),
        };
        for len in [5000, 10] {
            target.before_batch(len, true).unwrap();
            vectored::write_all(&mut target.writer(), &[io::IoSlice::new(&vec![7; len])]).unwrap();
            assert_eq!(target.take_delivered().unwrap().unwrap(), vec![7; len]);
        }
        drop(target);
        assert!(!path.exists());
    }

    #[test]
    fn reply_lines_round_trip() {
        for reply in [
            Reply {
                checksum: Some(0xdead_beef_0123_4567),
                stats: ReaderStats {
                    reads: 16,
                    switches: Some(Switches {
                        voluntary: 9,
                        involuntary: 7,
                    }),
                },
            },
            Reply {
                checksum: None,
                stats: ReaderStats {
                    reads: 1,
                    switches: None,
                },
            },
        ] {
            assert_eq!(Reply::parse(&reply.format()), Some(reply));
        }
        assert_eq!(Reply::parse("error 1 2 3 4"), None);
        assert_eq!(Reply::parse("ok zz 1 2 3"), None);
    }

    #[test]
    fn checksum_is_order_sensitive_and_split_independent() {
        let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let mut split = Checksum::default();
        for chunk in data.chunks(77) {
            split.update(chunk);
        }
        assert_eq!(split.value(), Checksum::of(&data));
        let mut swapped = data.clone();
        swapped.swap(10, 11);
        assert_ne!(Checksum::of(&swapped), Checksum::of(&data));
    }

    #[test]
    fn drain_main_reads_fixed_batches_and_checksums_the_first() {
        let (reader, mut writer) = io::pipe().unwrap();
        let shape = BatchShape {
            bytes: 100_000,
            checked: 1,
            reader_cpu: None,
            datagrams: 0,
        };
        let child = std::thread::spawn(move || {
            let mut replies = Vec::new();
            drain_main(File::from(OwnedFd::from(reader)), &mut replies, shape).unwrap();
            replies
        });
        let batches = [vec![1u8; 100_000], vec![2u8; 100_000]];
        for batch in &batches {
            writer.write_all(batch).unwrap();
        }
        drop(writer); // end-of-file between batches: a clean exit
        let replies = String::from_utf8(child.join().unwrap()).unwrap();
        let replies: Vec<Reply> = replies.lines().map(|l| Reply::parse(l).unwrap()).collect();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].checksum, Some(Checksum::of(&batches[0])));
        assert_eq!(replies[1].checksum, None);
        assert!(replies.iter().all(|r| r.stats.reads >= 1));
    }

    #[test]
    fn drain_main_fails_on_a_batch_cut_short() {
        let (reader, mut writer) = io::pipe().unwrap();
        writer.write_all(&[0; 10]).unwrap();
        drop(writer);
        let shape = BatchShape {
            bytes: 11,
            checked: 0,
            reader_cpu: None,
            datagrams: 0,
        };
        let err =
            drain_main(File::from(OwnedFd::from(reader)), &mut Vec::new(), shape).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn framing_keeps_boundaries() {
        assert_eq!(
            framed(&[b"ab".as_slice(), b"c"]),
            b"\x02\0\0\0ab\x01\0\0\0c"
        );
        // The same bytes with other boundaries frame differently.
        assert_ne!(
            framed(&[b"a".as_slice(), b"bc"]),
            framed(&[b"ab".as_slice(), b"c"])
        );
        assert_eq!(format_buffer(128 << 20), "128 MiB");
        assert_eq!(format_buffer(212_992), "208 KiB");
        let shape = BatchShape {
            bytes: 1000,
            datagrams: 10,
            ..BatchShape::default()
        };
        assert_eq!(udp_buffer_need(shape), 2000 + 10 * 2048);
    }

    #[test]
    fn drain_main_counts_datagrams_and_ends_on_an_empty_one() {
        let reader = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        reader.set_nonblocking(true).unwrap();
        let writer = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        writer.connect(reader.local_addr().unwrap()).unwrap();
        let batch: [&[u8]; 3] = [b"one", b"two!", b"3"];
        for _ in 0..2 {
            for d in batch {
                writer.send(d).unwrap();
            }
        }
        writer.send(&[]).unwrap(); // end of the run
        let shape = BatchShape {
            bytes: 8,
            checked: 1,
            reader_cpu: None,
            datagrams: 3,
        };
        let mut replies = Vec::new();
        drain_main(File::from(OwnedFd::from(reader)), &mut replies, shape).unwrap();
        let replies: Vec<Reply> = String::from_utf8(replies)
            .unwrap()
            .lines()
            .map(|l| Reply::parse(l).unwrap())
            .collect();
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].checksum, Some(Checksum::of(&framed(&batch))));
    }

    #[test]
    fn a_lost_datagram_fails_the_reader() {
        let shape = BatchShape {
            bytes: 30,
            checked: 0,
            reader_cpu: None,
            datagrams: 3,
        };
        let mut target = Target::open_with(TargetKind::Udp, ReaderMode::Thread, shape).unwrap();
        target.before_batch(30, false).unwrap();
        // Two of the three datagrams: the third never comes.
        for _ in 0..2 {
            rustix::net::send(target.writer(), &[0; 15], rustix::net::SendFlags::empty()).unwrap();
        }
        let err = target.wait_delivered().unwrap_err();
        assert!(format!("{err:#}").contains("received 2 of 3"), "{err:#}");
    }

    #[test]
    fn a_dead_writer_does_not_hang_the_reader() {
        let mut target = Target::open(TargetKind::Unix).unwrap();
        target.before_batch(10, false).unwrap();
        drop(target); // the reader is inside `read`; closing the writer must end it
    }
}
