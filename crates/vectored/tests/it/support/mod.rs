//! Helpers shared by the integration tests: test data, buffer lists, temp dirs, watchdogs,
//! small pipes, child processes and visible skips.

mod skip;

pub(crate) use skip::{skip, Facility};

use std::io::{self, IoSlice, IoSliceMut, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Eight deterministic test bytes: word `k` of stream `seed`.
fn word(seed: u64, k: u64) -> [u8; 8] {
    let x = (k ^ seed.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x ^ (x >> 29) ^ (x >> 47)).to_le_bytes()
}

/// `len` bytes of stream `seed`, starting at stream position `start`: deterministic and
/// non-periodic, so swapped, duplicated or skipped runs of bytes show up as mismatches, which
/// a constant or short-period fill would hide.
pub(crate) fn pattern_from(seed: u64, start: usize, len: usize) -> Vec<u8> {
    // Word by word: debug builds generate megabytes of this.
    let mut out = Vec::with_capacity(len);
    let mut i = start;
    while out.len() < len {
        let w = word(seed, (i / 8) as u64);
        let from = i % 8;
        let take = (8 - from).min(len - out.len());
        out.extend_from_slice(&w[from..from + take]);
        i += take;
    }
    out
}

/// `len` bytes of stream `seed`.
pub(crate) fn pattern(seed: u64, len: usize) -> Vec<u8> {
    pattern_from(seed, 0, len)
}

/// Separately allocated buffers with the given lengths holding consecutive bytes of stream
/// `seed`.
///
/// Separate allocations matter: in one contiguous allocation a cursor that offered a few
/// bytes past the end of a buffer would still produce the right output by accident.
pub(crate) fn chunks(seed: u64, lens: &[usize]) -> Vec<Vec<u8>> {
    let mut pos = 0;
    lens.iter()
        .map(|&len| {
            let chunk = pattern_from(seed, pos, len);
            pos += len;
            chunk
        })
        .collect()
}

/// `IoSlice`s over every buffer.
pub(crate) fn slices(bufs: &[Vec<u8>]) -> Vec<IoSlice<'_>> {
    bufs.iter().map(|b| IoSlice::new(b)).collect()
}

/// A fresh `IoSlice` list over the bytes of `bufs` from stream position `offset` on: how a
/// caller resumes after an error that reported `offset` bytes transferred.
pub(crate) fn slices_from(bufs: &[Vec<u8>], mut offset: usize) -> Vec<IoSlice<'_>> {
    let mut out = Vec::new();
    for buf in bufs {
        if offset >= buf.len() && !(offset == 0 && buf.is_empty()) {
            offset -= buf.len();
            continue;
        }
        out.push(IoSlice::new(&buf[offset..]));
        offset = 0;
    }
    out
}

/// A fresh `IoSliceMut` list over the bytes of `bufs` from stream position `offset` on.
pub(crate) fn slices_mut_from(bufs: &mut [Vec<u8>], mut offset: usize) -> Vec<IoSliceMut<'_>> {
    let mut out = Vec::new();
    for buf in bufs.iter_mut() {
        if offset >= buf.len() && !(offset == 0 && buf.is_empty()) {
            offset -= buf.len();
            continue;
        }
        out.push(IoSliceMut::new(&mut buf[offset..]));
        offset = 0;
    }
    out
}

/// Where each slice points and how long it is, to check that a call left the list alone.
pub(crate) fn layout(bufs: &[IoSlice<'_>]) -> Vec<(usize, usize)> {
    bufs.iter()
        .map(|b| (b.as_ptr() as usize, b.len()))
        .collect()
}

/// [`layout`] for an `IoSliceMut` list.
pub(crate) fn layout_mut(bufs: &[IoSliceMut<'_>]) -> Vec<(usize, usize)> {
    bufs.iter()
        .map(|b| (b.as_ptr() as usize, b.len()))
        .collect()
}

/// Aborts the whole test binary if it is still alive after `limit`, so that a hung test
/// fails loudly instead of stalling the suite. Disarmed when dropped.
#[must_use = "the watchdog is disarmed when dropped"]
pub(crate) struct Watchdog {
    _disarm: mpsc::Sender<()>,
}

impl Watchdog {
    pub(crate) fn new(what: &str, limit: Duration) -> Self {
        let (tx, rx) = mpsc::channel::<()>();
        let what = what.to_owned();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                eprintln!("watchdog: `{what}` still running after {limit:?}; aborting");
                std::process::abort();
            }
        });
        Self { _disarm: tx }
    }
}

/// A directory under the system temp dir, removed when dropped.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("vectored-test-{tag}-{}-{n}", std::process::id()));
        // A leftover from a crashed run with the same pid would only hold stale files.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A plain blocking pipe as `(read, write)` files (`std::io::pipe` is newer than the MSRV).
pub(crate) fn pipe() -> (std::fs::File, std::fs::File) {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).expect("pipe2");
    (r.into(), w.into())
}

/// A pipe whose write end is non-blocking and holds only `size` bytes (`F_SETPIPE_SZ`); the
/// read end blocks. Returns `(read, write)`.
pub(crate) fn small_pipe(size: usize) -> (OwnedFd, OwnedFd) {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).expect("pipe2");
    let got = rustix::pipe::fcntl_setpipe_size(&w, size).expect("F_SETPIPE_SZ");
    assert_eq!(got, size, "the kernel rounded the pipe size");
    rustix::io::ioctl_fionbio(&w, true).expect("FIONBIO");
    (r, w)
}

/// Reads whatever is in the pipe right now without blocking (switches `r` to non-blocking).
pub(crate) fn drain_now(r: &OwnedFd) -> Vec<u8> {
    rustix::io::ioctl_fionbio(r, true).expect("FIONBIO");
    let mut file = std::fs::File::from(r.try_clone().expect("dup"));
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("drain: {e}"),
        }
    }
    out
}

/// CPU time consumed so far by the calling thread.
pub(crate) fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).expect("non-negative CPU time"),
        u32::try_from(t.tv_nsec).expect("nanoseconds below 1e9"),
    )
}

/// The name libtest gives test `name` of module `module` (the caller's `module_path!()`):
/// the module path without the crate's name, as `--exact` wants it.
pub(crate) fn test_path(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_owned(),
    }
}

/// The full name of test function `$name` of the calling module, for `--exact`.
macro_rules! test_name {
    ($name:literal) => {
        $crate::support::test_path(module_path!(), $name)
    };
}
pub(crate) use test_name;

/// The arguments that run exactly the child-process helper `test_name` (a full name, see
/// [`test_name!`]) of this very test binary. Helpers are `#[ignore]`d, so that a plain run
/// does not count them as tests; `--ignored` runs them.
pub(crate) fn child_args(test_name: &str) -> [&str; 5] {
    [
        "--ignored",
        "--exact",
        test_name,
        "--nocapture",
        "--test-threads=1",
    ]
}

/// Runs the child-process helper `test_name` (a full name, see [`test_name!`]) of this very
/// test binary in a child process with `var` set in its environment, and returns its output
/// once it exits.
///
/// The helper is expected to do nothing unless `var` is set. Panics (after killing the
/// child) if it runs longer than `limit`.
pub(crate) fn run_child(test_name: &str, var: (&str, &str), limit: Duration) -> Output {
    let exe = std::env::current_exe().expect("current_exe");
    let child = Command::new(exe)
        .args(child_args(test_name))
        .env(var.0, var.1)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the test binary");
    wait_with_limit(child, limit, test_name)
}

/// Collects a child's output, killing it and panicking if it outlives `limit`.
pub(crate) fn wait_with_limit(
    mut child: std::process::Child,
    limit: Duration,
    what: &str,
) -> Output {
    // Read both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err_thread.join().unwrap_or_default();
            panic!(
                "child `{what}` still running after {limit:?}; killed. stderr:\n{}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out_thread.join().expect("stdout reader"),
        stderr: err_thread.join().expect("stderr reader"),
    }
}

/// Reads `r` to the end in `piece`-sized reads, pausing 1 ms every 32 reads, so writers meet
/// a full pipe or socket buffer.
pub(crate) fn slow_read_all(mut r: impl std::io::Read, piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; piece];
    for i in 0.. {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
        if i % 32 == 31 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    out
}
