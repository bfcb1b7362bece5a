//! Write-all loops: every byte written exactly once, in order, or an error that says how many
//! were.

use std::io::{self, IoSlice, Write};

use crate::error::{Error, Result};
use crate::slices::{Gather, IoCursor, Overrun};
use crate::step::{Direction, Step};

#[cfg(unix)]
use {
    crate::fd::{FdOptions, Waiter},
    crate::sys::{self, Interest, WriteMode},
    std::os::fd::{AsFd, BorrowedFd},
};

/// Something a write loop can drive: a window of descriptors and a way to record progress.
pub(crate) trait WriteWindow {
    fn window(&mut self) -> &[IoSlice<'_>];
    fn advance(&mut self, n: usize) -> std::result::Result<(), Overrun>;
    fn transferred(&self) -> usize;
}

impl<const N: usize> WriteWindow for IoCursor<'_, N> {
    #[inline]
    fn window(&mut self) -> &[IoSlice<'_>] {
        IoCursor::window(self)
    }
    #[inline]
    fn advance(&mut self, n: usize) -> std::result::Result<(), Overrun> {
        IoCursor::advance(self, n)
    }
    #[inline]
    fn transferred(&self) -> usize {
        IoCursor::transferred(self)
    }
}

impl<'q, I: Iterator<Item = &'q [u8]>, const N: usize> WriteWindow for Gather<&'q [u8], I, N> {
    #[inline]
    fn window(&mut self) -> &[IoSlice<'_>] {
        Gather::window(self)
    }
    #[inline]
    fn advance(&mut self, n: usize) -> std::result::Result<(), Overrun> {
        Gather::advance(self, n)
    }
    #[inline]
    fn transferred(&self) -> usize {
        Gather::transferred(self)
    }
}

/// Drives `cursor` to the end: `write` makes one call with a window and the bytes transferred
/// so far; `not_ready` decides what `WouldBlock` means (wait and retry, or give up);
/// `interrupted` runs after each `Interrupted` (its error stops the loop).
///
/// Otherwise the policy of [`Step::of`]: `Interrupted` is retried, `Ok(0)` is `WriteZero`, a
/// count larger than the window is `InvalidData`; every error carries the exact count.
#[inline]
pub(crate) fn write_loop(
    cursor: &mut impl WriteWindow,
    mut write: impl FnMut(&[IoSlice<'_>], usize) -> io::Result<usize>,
    mut not_ready: impl FnMut(io::Error) -> io::Result<()>,
    mut interrupted: impl FnMut() -> io::Result<()>,
) -> Result<usize> {
    loop {
        let done = cursor.transferred();
        let window = cursor.window();
        if window.is_empty() {
            return Ok(done);
        }
        let result = write(window, done);
        let failure = match Step::of(result, Direction::Write, |n| cursor.advance(n)) {
            Step::Progress => continue,
            Step::Interrupted => match interrupted() {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::NotReady(e) => match not_ready(e) {
                Ok(()) => continue,
                Err(e) => e,
            },
            Step::Failed(e) => e,
        };
        return Err(Error::new(failure, done));
    }
}

/// The `interrupted` argument of the loops when there is no hook: always retry.
#[allow(clippy::unnecessary_wraps)]
pub(crate) fn no_hook() -> io::Result<()> {
    Ok(())
}

/// Writes every byte of `bufs`, in order, to any [`Write`], using `write_vectored`.
///
/// Partial writes resume exactly where they stopped (inside a buffer if need be), at most
/// [`IOV_MAX`](crate::IOV_MAX) buffers are offered per call, zero-length buffers are fine,
/// and `bufs` itself is never modified. Returns the total number of bytes written.
///
/// Works with anything that implements `Write`: `File`, `TcpStream`, `UnixStream`,
/// `Vec<u8>`, `BufWriter`, `&mut dyn Write`… For raw fds with readiness waits, deadlines and
/// `SIGPIPE` protection, use [`write_all_fd`].
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
///
/// let mut out = Vec::new();
/// let n = vectored::write_all(&mut out, &[IoSlice::new(b"GET "), IoSlice::new(b"/")])?;
/// assert_eq!((n, &out[..]), (5, &b"GET /"[..]));
/// # Ok::<(), vectored::Error>(())
/// ```
///
/// # Errors
///
/// On failure the [`Error`] carries the exact number of bytes written before it:
///
/// - [`Interrupted`](io::ErrorKind::Interrupted) is retried and never returned;
/// - `Ok(0)` from the writer with bytes left is [`WriteZero`](io::ErrorKind::WriteZero);
/// - a writer claiming more bytes than it was offered is
///   [`InvalidData`](io::ErrorKind::InvalidData) (never a panic);
/// - [`WouldBlock`](io::ErrorKind::WouldBlock) is returned as is, with the progress, since a
///   plain `Write` gives no way to wait for readiness;
/// - any other error of the writer is returned unchanged.
pub fn write_all<W: Write + ?Sized>(writer: &mut W, bufs: &[IoSlice<'_>]) -> Result<usize> {
    let mut cursor = IoCursor::new(bufs);
    write_loop(
        &mut cursor,
        |window, _| writer.write_vectored(window),
        Err,
        no_hook,
    )
}

/// Writes every byte of `bufs`, in order, to a file descriptor, waiting for readiness when it
/// is non-blocking, and never letting `SIGPIPE` kill the process.
///
/// The write call depends on what `fd` is (see [`FdKind`](crate::FdKind)): sockets get
/// `sendmsg(MSG_NOSIGNAL)`; pipes get `pwritev2(RWF_NOSIGNAL)` where the kernel has it
/// (Linux 6.18+) and otherwise `writev` with `SIGPIPE` blocked for this thread only, a
/// `SIGPIPE` raised by this write consumed, and the thread's mask restored; everything else
/// gets `writev`. No process-wide signal disposition is touched.
///
/// On `EAGAIN` the loop waits in `poll(2)` (never sleeps, never spins) for as long as
/// `opts` allows. Other behaviour is that of [`write_all`].
///
/// # Examples
///
/// ```
/// use std::io::{IoSlice, Read};
/// use std::os::unix::net::UnixStream;
///
/// let (a, mut b) = UnixStream::pair()?;
/// let bufs = [IoSlice::new(b"HTTP/1.1 200 OK\r\n\r\n"), IoSlice::new(b"hi")];
/// let n = vectored::write_all_fd(&a, &bufs, &vectored::FdOptions::new())?;
/// drop(a);
/// let mut got = String::new();
/// b.read_to_string(&mut got)?;
/// assert_eq!((n, got.as_str()), (21, "HTTP/1.1 200 OK\r\n\r\nhi"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_all`], plus: [`TimedOut`](io::ErrorKind::TimedOut) when the wait allowed by
/// `opts` runs out, [`WouldBlock`](io::ErrorKind::WouldBlock) with
/// [`FdOptions::nonblocking`], [`BrokenPipe`](io::ErrorKind::BrokenPipe) when the reader is
/// gone, and the `fstat` error (with 0 bytes written) if the kind of `fd` cannot be found.
#[cfg(unix)]
pub fn write_all_fd<Fd: AsFd>(fd: Fd, bufs: &[IoSlice<'_>], opts: &FdOptions) -> Result<usize> {
    write_fd_loop(fd.as_fd(), &mut IoCursor::new(bufs), opts)
}

/// The fd-level write loop shared by [`write_all_fd`] and the queue.
#[cfg(unix)]
pub(crate) fn write_fd_loop(
    fd: BorrowedFd<'_>,
    cursor: &mut impl WriteWindow,
    opts: &FdOptions,
) -> Result<usize> {
    let writer = FdWriter::new(fd, opts)?;
    writer.run(|| {
        write_loop(
            cursor,
            |window, _| writer.write(window),
            |e| writer.not_ready(e),
            || writer.interrupted(),
        )
    })
}

/// How one fd-level loop writes: the write call for the fd's kind, the readiness wait on
/// `EAGAIN` as the options allow, and the `SIGPIPE` protection.
#[cfg(unix)]
pub(crate) struct FdWriter<'fd> {
    fd: BorrowedFd<'fd>,
    mode: WriteMode,
    waiter: Waiter,
}

#[cfg(unix)]
impl<'fd> FdWriter<'fd> {
    /// Finds out the fd's kind (unless `opts` says it) and starts the deadline clock.
    pub(crate) fn new(fd: BorrowedFd<'fd>, opts: &FdOptions) -> Result<Self> {
        let kind = opts.fd_kind(fd).map_err(|e| Error::new(e, 0))?;
        Ok(Self {
            fd,
            mode: WriteMode::for_kind(kind),
            waiter: opts.waiter(),
        })
    }

    /// Runs a loop made of this writer's calls, with `SIGPIPE` blocked around it if needed.
    pub(crate) fn run(&self, body: impl FnOnce() -> Result<usize>) -> Result<usize> {
        sys::with_write_mode(self.mode, body, |result| {
            result.as_ref().is_err_and(|e| sys::is_epipe(e.io_error()))
        })
    }

    #[inline]
    pub(crate) fn write(&self, window: &[IoSlice<'_>]) -> io::Result<usize> {
        self.mode.write(self.fd, window)
    }

    pub(crate) fn not_ready(&self, e: io::Error) -> io::Result<()> {
        self.waiter.wait(self.fd, Interest::Write, e)
    }

    pub(crate) fn interrupted(&self) -> io::Result<()> {
        self.waiter.interrupted()
    }
}

/// Writes every byte of `bufs` at `offset` with positional writes (`pwritev2` with `flags` on
/// Linux, `pwritev` elsewhere), leaving the file position unchanged.
///
/// Each call writes at `offset` plus the bytes already written. `flags` applies to every
/// call; with [`RwFlags::APPEND`](crate::RwFlags::APPEND) the offset is ignored by the kernel
/// and each call appends, so the data stays in order but another appender may interleave
/// between calls when the data needs more than one. Other behaviour is that of [`write_all`].
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::RwFlags;
///
/// let path = std::env::temp_dir().join("vectored-doc-write-all-at");
/// let file = std::fs::File::create(&path)?;
/// vectored::write_all_at(&file, &[IoSlice::new(b"world")], 6, RwFlags::empty())?;
/// vectored::write_all_at(&file, &[IoSlice::new(b"hello ")], 0, RwFlags::DSYNC)?;
/// assert_eq!(std::fs::read(&path)?, b"hello world");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_all`], plus: [`InvalidInput`](io::ErrorKind::InvalidInput) when `offset`
/// (plus the bytes written) exceeds `i64::MAX`; `ESPIPE` on pipes and sockets;
/// [`WouldBlock`](io::ErrorKind::WouldBlock) with [`RwFlags::NOWAIT`](crate::RwFlags::NOWAIT)
/// when the write would block (regular files cannot be polled, so there is no wait);
/// [`Unsupported`](io::ErrorKind::Unsupported) for non-empty `flags` off Linux.
#[cfg(all(
    unix,
    not(any(
        target_os = "haiku",
        target_os = "nto",
        target_os = "redox",
        target_os = "solaris"
    ))
))]
pub fn write_all_at<Fd: AsFd>(
    fd: Fd,
    bufs: &[IoSlice<'_>],
    offset: u64,
    flags: sys::RwFlags,
) -> Result<usize> {
    let fd = fd.as_fd();
    let mut cursor = IoCursor::new(bufs);
    write_loop(
        &mut cursor,
        |window, done| sys::pwrite_at_raw(fd, window, sys::offset_at(offset, done)?, flags),
        Err,
        no_hook,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts at most `per_call` bytes from the first `n_bufs` buffers, like std's
    /// `test_writer`.
    struct Limited {
        out: Vec<u8>,
        per_call: usize,
        n_bufs: usize,
        calls: usize,
    }

    impl Write for Limited {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }
        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            let mut left = self.per_call;
            for buf in bufs.iter().take(self.n_bufs) {
                let n = buf.len().min(left);
                self.out.extend_from_slice(&buf[..n]);
                left -= n;
                if left == 0 {
                    break;
                }
            }
            Ok(self.per_call - left)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn std_cross_product_of_shapes_and_limits() {
        let inputs: &[&[&[u8]]] = &[
            &[],
            &[b""],
            &[b"", b""],
            &[b"1"],
            &[b"12"],
            &[b"123", b"4"],
            &[b"1", b"23", b"", b"456"],
            &[b"1234", b"", b"5678", b"9"],
        ];
        for (n_bufs, per_call) in [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3), (9, 100)] {
            for input in inputs {
                let bufs: Vec<IoSlice<'_>> = input.iter().map(|b| IoSlice::new(b)).collect();
                let mut w = Limited {
                    out: Vec::new(),
                    per_call,
                    n_bufs,
                    calls: 0,
                };
                let n = write_all(&mut w, &bufs).unwrap();
                assert_eq!(w.out, input.concat(), "{n_bufs} {per_call} {input:?}");
                assert_eq!(n, w.out.len());
            }
        }
    }

    #[test]
    fn empty_input_makes_no_call() {
        let mut w = Limited {
            out: Vec::new(),
            per_call: 1,
            n_bufs: 1,
            calls: 0,
        };
        assert_eq!(
            write_all(&mut w, &[IoSlice::new(b""), IoSlice::new(b"")]).unwrap(),
            0
        );
        assert_eq!(w.calls, 0);
    }

    #[test]
    fn calls_are_minimal_for_a_complete_writer() {
        let data = vec![1u8; 3000];
        let bufs: Vec<IoSlice<'_>> = data
            .iter()
            .map(std::slice::from_ref)
            .map(IoSlice::new)
            .collect();
        let mut w = Limited {
            out: Vec::new(),
            per_call: usize::MAX,
            n_bufs: usize::MAX,
            calls: 0,
        };
        write_all(&mut w, &bufs).unwrap();
        assert_eq!(w.calls, 3);
    }

    struct Scripted(Vec<io::Result<usize>>);

    impl Write for Scripted {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                Ok(usize::MAX)
            } else {
                self.0.remove(0)
            }
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn interrupted_is_retried_and_errors_carry_progress() {
        let bufs = [IoSlice::new(b"abcdef")];
        let mut w = Scripted(vec![
            Err(io::ErrorKind::Interrupted.into()),
            Ok(2),
            Err(io::ErrorKind::Interrupted.into()),
            Ok(1),
            Err(io::Error::from_raw_os_error(28)),
        ]);
        let err = write_all(&mut w, &bufs).unwrap_err();
        assert_eq!(err.transferred(), 3);
        assert_eq!(err.raw_os_error(), Some(28));
    }

    #[test]
    fn zero_is_write_zero_and_overclaim_is_invalid_data() {
        let bufs = [IoSlice::new(b"abc")];
        let err = write_all(&mut Scripted(vec![Ok(1), Ok(0)]), &bufs).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WriteZero, 1)
        );
        let err = write_all(&mut Scripted(vec![Ok(1), Ok(5)]), &bufs).unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::InvalidData, 1)
        );
    }

    #[test]
    fn would_block_is_returned_with_progress() {
        let bufs = [IoSlice::new(b"abc")];
        let err = write_all(
            &mut Scripted(vec![Ok(2), Err(io::ErrorKind::WouldBlock.into())]),
            &bufs,
        )
        .unwrap_err();
        assert_eq!(
            (err.kind(), err.transferred()),
            (io::ErrorKind::WouldBlock, 2)
        );
    }
}

/// The `SIGPIPE` masking path (used for pipes on kernels without `RWF_NOSIGNAL`, and on
/// non-Linux Unix) cannot be reached through the public API on a 6.18 kernel, so it is
/// forced here. It must run in a child process with `SIGPIPE` at its default disposition:
/// the Rust runtime ignores `SIGPIPE`, which would hide a death.
#[cfg(all(test, target_os = "linux"))]
#[allow(unsafe_code)] // Signal-mask inspection in the test only.
mod sigpipe_fallback_tests {
    use super::*;
    use crate::fd::FdOptions;
    use std::mem::MaybeUninit;
    use std::process::Command;

    const CHILD: &str = "VECTORED_SIGPIPE_FALLBACK_CHILD";

    fn sigpipe_pending() -> bool {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: `sigpending` fills the set; it is only read after success.
        unsafe {
            assert_eq!(libc::sigpending(set.as_mut_ptr()), 0);
            libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
        }
    }

    fn sigpipe_blocked() -> bool {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: a null new mask only queries; `set` is written on success.
        unsafe {
            assert_eq!(
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), set.as_mut_ptr()),
                0
            );
            libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
        }
    }

    fn set_sigpipe_blocked(blocked: bool) {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        let how = if blocked {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        // SAFETY: the set is initialized by `sigemptyset` before use.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
            assert_eq!(
                libc::pthread_sigmask(how, set.as_ptr(), std::ptr::null_mut()),
                0
            );
        }
    }

    /// Writes 1 MiB to a pipe whose reader closes after 100 KiB, through the masked path.
    fn masked_write_to_vanishing_reader() -> Error {
        let (r, w) = std::io::pipe().unwrap();
        let reader = std::thread::spawn(move || {
            use std::io::Read;
            let mut r = r;
            let mut got = vec![0u8; 100 * 1024];
            r.read_exact(&mut got).unwrap();
        });
        let data = vec![7u8; 1 << 20];
        let bufs = [IoSlice::new(&data)];
        let opts = FdOptions::new();
        let writer = FdWriter {
            fd: w.as_fd(),
            mode: WriteMode::PipeMasked,
            waiter: opts.waiter(),
        };
        let mut cursor = IoCursor::new(&bufs);
        let err = writer
            .run(|| {
                write_loop(
                    &mut cursor,
                    |window, _| writer.write(window),
                    |e| writer.not_ready(e),
                    || writer.interrupted(),
                )
            })
            .unwrap_err();
        reader.join().unwrap();
        err
    }

    /// The child: `SIGPIPE` at `SIG_DFL`, so a raised and unconsumed `SIGPIPE` kills it.
    #[test]
    fn child_masked_pipe_write() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        // SAFETY: restoring the default disposition of SIGPIPE in this test process only.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
        // 1. The loop's own SIGPIPE is consumed; the mask is restored.
        assert!(!sigpipe_blocked());
        let err = masked_write_to_vanishing_reader();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        assert!(err.transferred() >= 100 * 1024 && err.transferred() < 1 << 20);
        assert!(!sigpipe_pending(), "our SIGPIPE must be consumed");
        assert!(!sigpipe_blocked(), "the mask must be restored");

        // 2. A SIGPIPE the program already had pending is left alone, and a mask that
        //    already blocked SIGPIPE stays blocked.
        set_sigpipe_blocked(true);
        // SAFETY: sends SIGPIPE to this thread; it is blocked, so it stays pending.
        unsafe {
            libc::pthread_kill(libc::pthread_self(), libc::SIGPIPE);
        }
        assert!(sigpipe_pending());
        let err = masked_write_to_vanishing_reader();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
        assert!(
            sigpipe_pending(),
            "a pre-existing SIGPIPE must stay pending"
        );
        assert!(sigpipe_blocked(), "a blocked SIGPIPE must stay blocked");
        println!("child survived: ok");
        // Exit before unblocking: the pending SIGPIPE would kill us, by design.
        std::process::exit(0);
    }

    #[test]
    fn masked_pipe_write_survives_default_sigpipe() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "write_all::sigpipe_fallback_tests::child_masked_pipe_write",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("child survived: ok"),
            "child failed: {:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
