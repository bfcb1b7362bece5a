//! Targets: where a batch is written, and how the harness knows it has arrived.
//!
//! Files and `/dev/null` have arrived when the write call returns. Pipes and sockets have a
//! reader thread that drains them; a batch has arrived when that reader holds every byte,
//! so the time includes waking the reader, not just filling the kernel's buffer.

use std::fs::File;
use std::io::{self, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, ensure, Context as _};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use vectored::FdKind;

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
        }
    }

    /// Whether the target is a socket (its writes can be `sendmsg`, which the kernel's
    /// per-thread I/O accounting does not count).
    pub fn is_socket(self) -> bool {
        matches!(
            self,
            TargetKind::Unix | TargetKind::Tcp | TargetKind::TcpNodelay
        )
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
}

#[derive(Debug)]
enum Sink {
    /// `/dev/null`: the bytes are gone when the call returns.
    Discard,
    /// A regular file, rewound and truncated before each batch and removed at the end.
    File { path: PathBuf, written: usize },
    /// A pipe or socket drained by a reader thread.
    Stream(Drain),
}

impl Target {
    /// Opens a fresh target of `kind`.
    ///
    /// # Errors
    ///
    /// When the target does not exist on this machine (no tmpfs mount) or setting it up fails.
    pub fn open(kind: TargetKind) -> anyhow::Result<Self> {
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
                stream_target(OwnedFd::from(writer), OwnedFd::from(reader), "pipe")?
            }
            TargetKind::Unix => {
                let (writer, reader) = UnixStream::pair().context("creating a socketpair")?;
                stream_target(
                    OwnedFd::from(writer),
                    OwnedFd::from(reader),
                    "unix socketpair",
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
                stream_target(OwnedFd::from(writer), OwnedFd::from(reader), detail)?
            }
        };
        let fd_kind = FdKind::of(&writer)?;
        Ok(Self {
            kind,
            writer,
            fd_kind,
            sink,
            detail,
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
            Sink::Stream(drain) => drain.expect(bytes, keep)?,
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
        if let Sink::Stream(drain) = &mut self.sink {
            drain.wait()?;
        }
        Ok(())
    }

    /// The bytes the last batch delivered, when they can be observed: what the reader kept
    /// (if asked to) or the file's content. `None` for `/dev/null`.
    ///
    /// # Errors
    ///
    /// When reading the file back fails.
    pub fn take_delivered(&mut self) -> anyhow::Result<Option<Vec<u8>>> {
        match &mut self.sink {
            Sink::Discard => Ok(None),
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
            Sink::Stream(drain) => Ok(drain.kept.take()),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        // The fields drop after this: the writer first, then the sink (see above).
        if let Sink::File { path, .. } = &self.sink {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A reader thread draining a pipe or socket, one batch at a time.
#[derive(Debug)]
struct Drain {
    requests: Option<Sender<Request>>,
    results: Receiver<io::Result<Option<Vec<u8>>>>,
    thread: Option<JoinHandle<()>>,
    kept: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy)]
struct Request {
    bytes: usize,
    keep: bool,
}

impl Drain {
    fn spawn(source: File) -> io::Result<Self> {
        let (requests, requests_rx) = mpsc::channel();
        let (results_tx, results) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("bench-reader".to_owned())
            .spawn(move || drain(source, &requests_rx, &results_tx))?;
        Ok(Self {
            requests: Some(requests),
            results,
            thread: Some(thread),
            kept: None,
        })
    }

    fn expect(&mut self, bytes: usize, keep: bool) -> anyhow::Result<()> {
        self.kept = None;
        let requests = self.requests.as_ref().expect("sender lives until drop");
        if requests.send(Request { bytes, keep }).is_err() {
            bail!("the reader thread has exited");
        }
        Ok(())
    }

    fn wait(&mut self) -> anyhow::Result<()> {
        match self.results.recv_timeout(READER_TIMEOUT) {
            Ok(Ok(kept)) => {
                self.kept = kept;
                Ok(())
            }
            Ok(Err(e)) => Err(anyhow::Error::new(e).context("the reader failed")),
            Err(RecvTimeoutError::Timeout) => bail!("the reader got no complete batch in 60 s"),
            Err(RecvTimeoutError::Disconnected) => bail!("the reader thread has exited"),
        }
    }
}

impl Drop for Drain {
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
fn drain(
    mut source: File,
    requests: &Receiver<Request>,
    results: &Sender<io::Result<Option<Vec<u8>>>>,
) {
    let mut buf = vec![0u8; READER_BUFFER];
    while let Ok(request) = requests.recv() {
        let result = read_batch(&mut source, &mut buf, request);
        let failed = result.is_err();
        if results.send(result).is_err() || failed {
            return;
        }
    }
}

/// Reads exactly `request.bytes` bytes; returns them if `request.keep`.
fn read_batch(source: &mut File, buf: &mut [u8], request: Request) -> io::Result<Option<Vec<u8>>> {
    let mut data = request.keep.then(|| Vec::with_capacity(request.bytes));
    let mut got = 0;
    while got < request.bytes {
        // Never read past the batch: the next batch's bytes belong to the next request.
        let want = buf.len().min(request.bytes - got);
        let n = match source.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("end of stream after {got} of {} bytes", request.bytes),
                ))
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(data) = &mut data {
            data.extend_from_slice(&buf[..n]);
        }
        got += n;
    }
    Ok(data)
}

fn stream_target(
    writer: OwnedFd,
    reader: OwnedFd,
    detail: &str,
) -> anyhow::Result<(File, Sink, String)> {
    let drain = Drain::spawn(File::from(reader)).context("starting the reader thread")?;
    Ok((File::from(writer), Sink::Stream(drain), detail.to_owned()))
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
    fn a_dead_writer_does_not_hang_the_reader() {
        let mut target = Target::open(TargetKind::Unix).unwrap();
        target.before_batch(10, false).unwrap();
        drop(target); // the reader is inside `read`; closing the writer must end it
    }
}
