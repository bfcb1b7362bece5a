//! `writev_all`, `pwritev_all`, `readv_exact`, `preadv_exact`: the `vectored` loops for
//! Python. They transfer everything or raise an exception that says exactly how much was
//! transferred (`.transferred`).

use std::ffi::c_int;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyInt;
use vectored::{FdOptions, RwFlags, WriteQueue};

use crate::args::{fd_or_fileno, timeout_arg, CInt, OffT};
use crate::buffers::sequence_len;
use crate::errors::{from_loop, os_error, run_signal_handlers, with_progress};
use crate::iov::{no_memory, Iovecs, INLINE};
use crate::plan::Plan;

/// `writev_all(fd, buffers, /, *, timeout=None)`; its calling convention is in `fast`.
pub(crate) fn writev_all(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    buffers: &Bound<'_, PyAny>,
    timeout: Option<&Bound<'_, PyAny>>,
) -> PyResult<usize> {
    let raw = fd_arg(fd)?;
    // The options are built only if the loop runs (`Wait::opts`): the hook that runs
    // Python's signal handlers is an allocation, measured at about 200 instructions, a sixth
    // of a call that one system call finishes.
    let wait = Wait::<false> {
        timeout: effective_timeout(fd, timeout)?,
    };
    write_list(py, raw, buffers, wait, "writev_all")
}

/// `_sock_writev_all(fd, buffers, /)`: `writev_all(fd, buffers, timeout=0)` for an `int` fd
/// the caller knows to be a stream socket (`vectored.asyncio`'s first attempt). Knowing it
/// saves the pipe test above 16 KiB and the loop's `fstat`, and a first attempt that stages
/// everything into one buffer is one `send(MSG_NOSIGNAL)`, which costs the kernel less than
/// a `pwritev2` or `sendmsg` of one iovec (10 KB to a unix socket: medians 2.3 against
/// 2.5-2.6 µs, `docs/bench/2026-12-02-s4-socket-send-calls.txt`). Its calling convention
/// is in `fast`.
pub(crate) fn sock_writev_all(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    buffers: &Bound<'_, PyAny>,
) -> PyResult<usize> {
    let raw = fd_arg(fd)?;
    let wait = Wait::<true> {
        timeout: Some(Duration::ZERO),
    };
    write_list(py, raw, buffers, wait, "_sock_writev_all")
}

/// The body of [`writev_all`] and [`sock_writev_all`].
#[inline]
fn write_list<const SOCKET: bool>(
    py: Python<'_>,
    raw: RawFd,
    buffers: &Bound<'_, PyAny>,
    wait: Wait<SOCKET>,
    name: &str,
) -> PyResult<usize> {
    let len = sequence_len(buffers, name)?;
    if len <= INLINE && wait.first_attempt_possible() {
        // Measured (docs/bench/python-*.txt): a few buffers are cheapest passed as they are
        // in one system call. Longer lists go through the plan below, which copies runs of
        // small buffers together: even when one call would take them all, the kernel pays
        // per iovec (256 x 100 B on a socketpair: 0.6x `os.writev` coalesced, 1.0x not),
        // and the plan borrows small `bytes` without holding a reference to each.
        let mut iov = Iovecs::new(py);
        iov.acquire(buffers, len, false)?;
        return write_first(py, raw, &mut iov, wait);
    }
    write_planned(py, raw, buffers, len, wait)
}

/// `writev_all` for more than [`INLINE`] buffers (or any number, on kernels without
/// `RWF_NOSIGNAL`): laid out by a [`Plan`]. Out of line, so that the few-buffer path does
/// not pay for its stack frame.
#[inline(never)]
fn write_planned<const SOCKET: bool>(
    py: Python<'_>,
    raw: RawFd,
    buffers: &Bound<'_, PyAny>,
    len: usize,
    wait: Wait<SOCKET>,
) -> PyResult<usize> {
    if len > vectored::IOV_MAX {
        // What `os.writev` allocates up front: a lying `__len__` is a `MemoryError` before
        // any item is looked at, however the items are then laid out.
        let mut probe: Vec<libc::iovec> = Vec::new();
        probe.try_reserve_exact(len).map_err(|_| no_memory())?;
    }
    let mut held = Iovecs::new(py);
    let plan = Plan::build(&mut held, buffers, len)?;
    let queue = &plan.staged.queue;
    if queue.is_empty() {
        // No small buffer (or only empty ones): every buffer by reference.
        let mut slices: Vec<IoSlice<'_>> = Vec::new();
        slices
            .try_reserve_exact(plan.direct.len())
            .map_err(|_| no_memory())?;
        slices.extend(plan.direct.iter().copied().map(IoSlice::new));
        return write_first_slices(py, raw, &mut slices, wait);
    }
    if plan.direct.is_empty() {
        let mut plan = plan;
        return write_queue_first(py, raw, &mut plan.staged.queue, wait);
    }
    // Large buffers, then small ones: one queue of the large ones and the staged bytes, by
    // reference (short staged pieces are copied again), so that the call still writes
    // everything in order with as few system calls as the kernel allows.
    let mut staged: Vec<IoSlice<'_>> = Vec::new();
    staged
        .try_reserve_exact(queue.iovecs())
        .map_err(|_| no_memory())?;
    staged.resize(queue.iovecs(), IoSlice::new(&[]));
    let filled = queue.io_slices(&mut staged);
    let mut merged = WriteQueue::new();
    for &bytes in &plan.direct {
        merged.push_slice(bytes);
    }
    for bytes in &staged[..filled] {
        merged.push_slice(bytes);
    }
    write_queue_first(py, raw, &mut merged, wait)
}

/// `PyObject_AsFileDescriptor`, with an exact non-negative `int` that fits a C `int`
/// (the common case) inline.
#[inline]
fn fd_arg(fd: &Bound<'_, PyAny>) -> PyResult<RawFd> {
    // SAFETY: `fd` is a valid object; the check reads its type.
    if unsafe { pyo3::ffi::PyLong_CheckExact(fd.as_ptr()) } != 0 {
        let mut overflow: c_int = 0;
        // SAFETY: `fd` is an exact `int` and `overflow` a valid out-pointer; for an `int`
        // the call cannot fail other than by reporting an overflow.
        let wide = unsafe { pyo3::ffi::PyLong_AsLongAndOverflow(fd.as_ptr(), &raw mut overflow) };
        if overflow == 0 {
            if let Ok(raw) = RawFd::try_from(wide) {
                if raw >= 0 {
                    return Ok(raw);
                }
            }
        }
    }
    fd_or_fileno(fd)
}

/// What a `writev_all` call knows before it starts: its timeout, turned into the loop's
/// options only when the loop runs, and whether the fd is a stream socket (`SOCKET`,
/// declared by the caller, `_sock_writev_all`, never found out). A constant, so that
/// `writev_all`'s own path has no test of it: as a field it cost that path about 40
/// instructions per call (callgrind).
#[derive(Clone, Copy)]
struct Wait<const SOCKET: bool> {
    timeout: Option<Duration>,
}

impl<const SOCKET: bool> Wait<SOCKET> {
    fn opts(self) -> FdOptions {
        let opts = fd_options(self.timeout);
        if SOCKET {
            opts.kind(vectored::FdKind::Socket)
        } else {
            opts
        }
    }

    /// Whether a first attempt can be made without knowing more about the fd: always to a
    /// socket (`send`/`sendmsg` with `MSG_NOSIGNAL`), elsewhere where the kernel has
    /// `RWF_NOSIGNAL`.
    #[inline]
    #[allow(clippy::unused_self)] // what it reads is the type's constant
    fn first_attempt_possible(self) -> bool {
        (SOCKET && cfg!(any(target_os = "linux", target_os = "android")))
            || NOSIGNAL_WORKS.load(Ordering::Relaxed)
    }
}

/// Whether `pwritev2(RWF_NOSIGNAL)` is known to work (Linux 6.18+): cleared by the first
/// `EOPNOTSUPP` that comes from the kernel rather than from one file's driver, after which
/// `writev_all` always classifies the fd first.
static NOSIGNAL_WORKS: AtomicBool = AtomicBool::new(cfg!(target_os = "linux"));

/// `writev_all` for a few buffers: the write is tried first, with one
/// `pwritev2(fd, iov, n, -1, RWF_NOSIGNAL)` of every buffer as they are (no `fstat` to
/// pick the call that cannot raise `SIGPIPE`: this one cannot, on any kind of fd), which is
/// all a call takes when the fd accepts everything at once. Only a short write, `EAGAIN`
/// or `EINTR` goes on to the `vectored` loop (`write_all_fd`, which classifies the fd and
/// waits as `wait` says) from where the first call stopped.
#[inline]
fn write_first<const SOCKET: bool>(
    py: Python<'_>,
    fd: RawFd,
    iov: &mut Iovecs<'_>,
    wait: Wait<SOCKET>,
) -> PyResult<usize> {
    let total = iov.total();
    if !first_attempt_allowed(fd, total, wait) {
        let mut slices = iov.io_slices()?;
        return finish_rest(py, fd, &mut slices, 0, wait);
    }
    let count = c_int::try_from(iov.len()).unwrap_or(c_int::MAX);
    // SAFETY: the iovecs describe buffers held by `iov` until it is dropped, after the call.
    let done = unsafe { first_attempt(py, fd, IovPtr(iov.as_ptr()), count, wait)? };
    if done >= total {
        return Ok(done);
    }
    let mut slices = iov.io_slices()?;
    finish_rest(py, fd, &mut slices, done, wait)
}

/// [`write_first`] for slices already laid out (a plan's direct list).
fn write_first_slices<const SOCKET: bool>(
    py: Python<'_>,
    fd: RawFd,
    slices: &mut [IoSlice<'_>],
    wait: Wait<SOCKET>,
) -> PyResult<usize> {
    let mut done = 0;
    let total = slices.iter().fold(0usize, |t, s| t.saturating_add(s.len()));
    if wait.first_attempt_possible()
        && slices.len() <= vectored::IOV_MAX
        && first_attempt_allowed(fd, total, wait)
    {
        let count = c_int::try_from(slices.len()).unwrap_or(c_int::MAX);
        // `IoSlice` is ABI-compatible with `iovec` on Unix (std's documented guarantee).
        let ptr = IovPtr(slices.as_mut_ptr().cast::<libc::iovec>());
        // SAFETY: `count` iovecs over the slices' memory, borrowed for the whole call.
        done = unsafe { first_attempt(py, fd, ptr, count, wait)? };
        if done >= total {
            return Ok(done);
        }
    }
    finish_rest(py, fd, slices, done, wait)
}

/// [`write_first`] for a queue: its iovecs (`io_slices`) go to one first attempt, the
/// queue `consume`s what that wrote, and its own loop (`write_to_fd`) writes the rest.
/// Without the first attempt, a list of small buffers (one staging block) would pay the
/// loop's fd classification (`fstat`) and set-up on every call, where `os.writev` makes one
/// system call.
fn write_queue_first<const SOCKET: bool>(
    py: Python<'_>,
    fd: RawFd,
    queue: &mut WriteQueue<'_>,
    wait: Wait<SOCKET>,
) -> PyResult<usize> {
    let mut done = 0;
    let count = queue.iovecs();
    let total = queue.len();
    if wait.first_attempt_possible()
        && count <= vectored::IOV_MAX
        && first_attempt_allowed(fd, total, wait)
    {
        let mut inline = [IoSlice::new(&[]); INLINE];
        let mut heap: Vec<IoSlice<'_>> = Vec::new();
        let slots: &mut [IoSlice<'_>] = if count <= INLINE {
            &mut inline[..count]
        } else {
            heap.try_reserve_exact(count).map_err(|_| no_memory())?;
            heap.resize(count, IoSlice::new(&[]));
            &mut heap
        };
        let filled = queue.io_slices(slots);
        let ptr = IovPtr(slots.as_mut_ptr().cast::<libc::iovec>());
        let filled = c_int::try_from(filled).unwrap_or(c_int::MAX);
        // SAFETY: `filled` iovecs (`IoSlice` is ABI-compatible with `iovec` on Unix, std's
        // documented guarantee) over the queue's bytes, which are neither changed nor freed
        // before the queue is used again after the call.
        done = unsafe { first_attempt(py, fd, ptr, filled, wait)? };
        if done >= total {
            return Ok(done);
        }
        // Cannot fail: `done < total`, the queue's length.
        queue
            .consume(done)
            .map_err(|overrun| from_loop(py, vectored::Error::new(overrun.into(), 0), 0))?;
    }
    let fd = borrow(fd);
    let opts = wait.opts();
    py.detach(|| queue.write_to_fd(fd, &opts))
        .map(|n| n + done)
        .map_err(|err| {
            let (source, transferred) = err.into_parts();
            from_loop(py, vectored::Error::new(source, transferred + done), 0)
        })
}

/// Up to this many bytes, `writev_all`'s first attempt is made without asking what the fd
/// is. To a pipe read by another program, one call of 12-16 KiB is 1.5x faster than the
/// paced loop's 8 KiB calls when batches follow each other, and no different when each
/// batch waits for the reader (both bimodal there, 10-15 or 40-60 µs); from 24 KiB on, one
/// call is 8-27% slower in the second regime
/// (`docs/bench/python-pipe-sizes-s4-2026-12-02.txt`). Below this size, not asking saves
/// every call to a socket or file the `F_GETPIPE_SZ` test (about 200 ns: 6% of a 10 KB
/// response of 100 small buffers to a socket).
const PIPE_FIRST_ATTEMPT_MAX: usize = 16 * 1024;

/// Whether `writev_all`'s first attempt, one uncapped `pwritev2` of everything, may be
/// made: not for more than [`PIPE_FIRST_ATTEMPT_MAX`] bytes to a pipe, where one uncapped
/// call makes writer and reader alternate on a full pipe (1000 x 1 KiB into `cat`: 1.5-2x
/// slower than one `os.write` per buffer, `docs/bench/python-pipe-s3-2026-12-02.txt`);
/// those go to `vectored`'s loop, which paces pipes. The test is `F_GETPIPE_SZ`, made only
/// above that size, and not for a declared socket.
fn first_attempt_allowed<const SOCKET: bool>(fd: RawFd, total: usize, _: Wait<SOCKET>) -> bool {
    SOCKET || total <= PIPE_FIRST_ATTEMPT_MAX || !is_pipe(fd)
}

/// Whether `fd` is a pipe or FIFO (`F_GETPIPE_SZ` answers only for those).
fn is_pipe(fd: RawFd) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return rustix::pipe::fcntl_getpipe_size(borrow(fd)).is_ok();
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = fd;
        false
    }
}

/// The first attempt, GIL released: one `pwritev2(RWF_NOSIGNAL)`, or to a declared socket
/// one `send`/`sendmsg` with `MSG_NOSIGNAL`. The bytes it wrote (0 when the loop should
/// simply start: `EAGAIN`, `EINTR` after the signal handlers ran, a kernel without the
/// flag), or the error to raise.
///
/// # Safety
///
/// `ptr` must point to `count` iovecs over memory readable for the whole call.
#[inline]
unsafe fn first_attempt<const SOCKET: bool>(
    py: Python<'_>,
    fd: RawFd,
    ptr: IovPtr,
    count: c_int,
    _: Wait<SOCKET>,
) -> PyResult<usize> {
    // SAFETY: guaranteed by the caller. The GIL is released as `Py_BEGIN_ALLOW_THREADS`
    // does (see `dropin::call`): the detached part touches no Python object.
    let first = unsafe {
        let state = pyo3::ffi::PyEval_SaveThread();
        let result = if SOCKET {
            send_nosignal(fd, ptr, count)
        } else {
            pwritev2_nosignal(fd, ptr, count)
        };
        pyo3::ffi::PyEval_RestoreThread(state);
        result
    };
    match first {
        Ok(n) => Ok(n),
        Err(libc::EOPNOTSUPP) => {
            // A kernel without RWF_NOSIGNAL: classify the fd from now on. Or a driver that
            // takes no flags (`/dev/full`) on a kernel that has it: nothing was written, and
            // only this call goes the classifying way (before, one write to /dev/full turned
            // the first attempt off for the whole process, and with it for the rest of the
            // test suite).
            if !kernel_has_nosignal() {
                NOSIGNAL_WORKS.store(false, Ordering::Relaxed);
            }
            Ok(0)
        }
        Err(libc::EAGAIN | libc::EINVAL) => Ok(0),
        Err(libc::EINTR) => match py.check_signals() {
            Ok(()) => Ok(0),
            Err(raised) => Err(with_progress(py, raised, 0)),
        },
        Err(errno) => Err(with_progress(py, os_error(py, errno), 0)),
    }
}

/// Whether the kernel takes `RWF_NOSIGNAL` (probed once by `vectored`).
fn kernel_has_nosignal() -> bool {
    #[cfg(target_os = "linux")]
    return vectored::sys::rwf_nosignal_supported();
    #[cfg(not(target_os = "linux"))]
    return false;
}

/// The `vectored` loop over what the first attempt left (`done` bytes were written).
fn finish_rest<const SOCKET: bool>(
    py: Python<'_>,
    fd: RawFd,
    slices: &mut [IoSlice<'_>],
    done: usize,
    wait: Wait<SOCKET>,
) -> PyResult<usize> {
    let mut rest: &mut [IoSlice<'_>] = slices;
    IoSlice::advance_slices(&mut rest, done);
    let fd = borrow(fd);
    let opts = wait.opts();
    py.detach(|| vectored::write_all_fd(fd, rest, &opts))
        .map(|n| n + done)
        .map_err(|err| {
            let (source, transferred) = err.into_parts();
            from_loop(py, vectored::Error::new(source, transferred + done), 0)
        })
}

/// A pointer to iovecs owned by the attached frame, for the detached system call.
#[derive(Clone, Copy)]
struct IovPtr(*mut libc::iovec);

// SAFETY: only the kernel dereferences it, during the call, while the owner stays alive.
unsafe impl Send for IovPtr {}

/// One `pwritev2(fd, iov, count, -1, RWF_NOSIGNAL)`: the bytes written, or the errno.
///
/// # Safety
///
/// `iov` must point to `count` iovecs over readable memory.
unsafe fn pwritev2_nosignal(fd: RawFd, iov: IovPtr, count: c_int) -> Result<usize, i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: guaranteed by the caller; offset -1 (lo -1, hi 0 on 64-bit, and the
        // kernel ignores hi there) is "the current file offset".
        let n = unsafe {
            libc::syscall(
                libc::SYS_pwritev2,
                fd,
                iov.0,
                count,
                -1 as libc::c_long,
                -1 as libc::c_long,
                vectored::RwFlags::NOSIGNAL.bits(),
            )
        };
        usize::try_from(n).map_err(|_| {
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (fd, iov.0, count);
        Err(libc::EOPNOTSUPP)
    }
}

/// One `send` (one iovec) or `sendmsg` (more) with `MSG_NOSIGNAL`: the bytes written, or
/// the errno.
///
/// # Safety
///
/// `iov` must point to `count` iovecs over readable memory.
#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn send_nosignal(fd: RawFd, iov: IovPtr, count: c_int) -> Result<usize, i32> {
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    let count = usize::try_from(count).unwrap_or(0);
    // SAFETY: `IoSlice` is ABI-compatible with `iovec` on Unix (std's documented
    // guarantee), and the caller promises `count` iovecs over readable memory.
    let slices: &[IoSlice<'_>] = unsafe { std::slice::from_raw_parts(iov.0.cast(), count) };
    let fd = borrow(fd);
    let sent = match slices {
        [one] => rustix::net::send(fd, one, SendFlags::NOSIGNAL),
        _ => rustix::net::sendmsg(
            fd,
            slices,
            &mut SendAncillaryBuffer::default(),
            SendFlags::NOSIGNAL,
        ),
    };
    sent.map_err(rustix::io::Errno::raw_os_error)
}

/// Elsewhere there is no `MSG_NOSIGNAL` to send with: never called (a declared socket makes
/// no first attempt there, see [`Wait::first_attempt_possible`]).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
unsafe fn send_nosignal(fd: RawFd, iov: IovPtr, count: c_int) -> Result<usize, i32> {
    let _ = (fd, iov.0, count);
    Err(libc::EOPNOTSUPP)
}

/// Fill every buffer of *buffers* from *fd*, in order; returns their total size.
#[pyfunction]
#[pyo3(signature = (fd, buffers, /, *, timeout = None))]
pub(crate) fn readv_exact(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    buffers: &Bound<'_, PyAny>,
    timeout: Option<&Bound<'_, PyAny>>,
) -> PyResult<usize> {
    let raw = fd_or_fileno(fd)?;
    let opts = fd_options(effective_timeout(fd, timeout)?);
    let len = sequence_len(buffers, "readv_exact")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, true)?;
    let fd = borrow(raw);
    read_into(py, &iov, |bufs| vectored::read_exact_fd(fd, bufs, &opts))
}

/// Write every byte of *buffers* at *offset* with positional writes; returns the total.
#[pyfunction]
#[pyo3(signature = (fd, buffers, offset, /, *, flags = CInt(0)))]
#[pyo3(text_signature = "(fd, buffers, offset, /, *, flags=0)")]
pub(crate) fn pwritev_all(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    buffers: &Bound<'_, PyAny>,
    offset: OffT,
    flags: CInt,
) -> PyResult<usize> {
    let fd = fd_or_fileno(fd)?;
    let offset = file_offset(py, offset)?;
    let flags = rw_flags(flags);
    let len = sequence_len(buffers, "pwritev_all")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, false)?;
    let bufs = iov.io_slices()?;
    let fd = borrow(fd);
    py.detach(|| vectored::write_all_at(fd, &bufs, offset, flags))
        .map_err(|err| from_loop(py, err, 0))
}

/// Fill every buffer of *buffers* from *offset* with positional reads; returns their total.
#[pyfunction]
#[pyo3(signature = (fd, buffers, offset, /, *, flags = CInt(0)))]
#[pyo3(text_signature = "(fd, buffers, offset, /, *, flags=0)")]
pub(crate) fn preadv_exact(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    buffers: &Bound<'_, PyAny>,
    offset: OffT,
    flags: CInt,
) -> PyResult<usize> {
    let fd = fd_or_fileno(fd)?;
    let offset = file_offset(py, offset)?;
    let flags = rw_flags(flags);
    let len = sequence_len(buffers, "preadv_exact")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, true)?;
    let fd = borrow(fd);
    read_into(py, &iov, |bufs| {
        vectored::read_exact_at(fd, bufs, offset, flags)
    })
}

/// Runs a read loop over the writable buffers of `iov` with the GIL released.
///
/// The loops take `IoSliceMut`s, which must not overlap: when no two buffers share a byte
/// they are made straight from the views. Otherwise (the same `bytearray` listed twice,
/// which the kernel handles as "the later segment wins") the loop reads into one scratch
/// buffer of the total size, whose bytes are then copied into the buffers in order: the
/// same result, with no aliasing `&mut`.
fn read_into(
    py: Python<'_>,
    iov: &Iovecs<'_>,
    read: impl FnOnce(&mut [IoSliceMut<'_>]) -> vectored::Result<usize> + Send,
) -> PyResult<usize> {
    let expected = iov.total();
    if let Some(mut slices) = iov.disjoint_slices_mut()? {
        return py
            .detach(|| read(&mut slices))
            .map_err(|err| from_loop(py, err, expected));
    }
    let mut scratch: Vec<u8> = Vec::new();
    scratch
        .try_reserve_exact(expected)
        .map_err(|_| no_memory())?;
    scratch.resize(expected, 0);
    let result = py.detach(|| read(&mut [IoSliceMut::new(&mut scratch)]));
    let got = match &result {
        Ok(n) => *n,
        Err(err) => err.transferred(),
    };
    let mut rest = &scratch[..got.min(expected)];
    for v in iov.as_slice() {
        if rest.is_empty() {
            break;
        }
        let n = v.iov_len.min(rest.len());
        // SAFETY: the view at `iov_base` is writable for `iov_len >= n` bytes and held by
        // `iov`; `scratch` is our own allocation, so the two do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(rest.as_ptr(), v.iov_base.cast::<u8>(), n) };
        rest = &rest[n..];
    }
    result.map_err(|err| from_loop(py, err, expected))
}

/// The timeout of a helper call: the `timeout` argument if given (not `None`); otherwise,
/// for an object with `gettimeout()` (a socket), its timeout, as `socket.sendall` and
/// `recv_into` would apply it (`None`: wait forever, `0.0`: never wait); otherwise none.
#[inline]
pub(crate) fn effective_timeout(
    fd: &Bound<'_, PyAny>,
    timeout: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Duration>> {
    if let Some(timeout) = timeout.filter(|t| !t.is_none()) {
        return timeout_arg(Some(timeout));
    }
    if fd.is_instance_of::<PyInt>() {
        return Ok(None);
    }
    socket_timeout(fd)
}

/// The `gettimeout()` of an object that has one (a socket), as [`timeout_arg`] takes it.
#[inline(never)]
fn socket_timeout(fd: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    match fd.getattr_opt(intern!(fd.py(), "gettimeout"))? {
        Some(method) => timeout_arg(Some(&method.call0()?)),
        None => Ok(None),
    }
}

/// The loop options for a `timeout` argument: `None` waits as long as it takes, `0` never
/// waits (`BlockingIOError`, like a socket with timeout 0), anything else bounds the waits
/// (`TimeoutError`). Python's signal handlers run after every `EINTR` in all cases.
pub(crate) fn fd_options(timeout: Option<Duration>) -> FdOptions {
    let opts = FdOptions::new().on_interrupt(run_signal_handlers);
    match timeout {
        None => opts,
        Some(t) if t.is_zero() => opts.nonblocking(),
        Some(t) => opts.timeout(t),
    }
}

/// A non-negative file offset; anything else is `OSError(EINVAL)`, as from the kernel.
fn file_offset(py: Python<'_>, offset: OffT) -> PyResult<u64> {
    u64::try_from(offset.0).map_err(|_| with_progress(py, os_error(py, libc::EINVAL), 0))
}

/// The C `int` flags as the kernel's `rwf_t` bits, unknown bits included.
fn rw_flags(flags: CInt) -> RwFlags {
    RwFlags::from_bits_retain(u32::from_ne_bytes(flags.0.to_ne_bytes()))
}

pub(crate) fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: `fd_or_fileno` returned a non-negative fd, as `BorrowedFd` requires. If it
    // names no open file, the loop's first system call fails with `EBADF`, which is raised.
    // It is used only while the calling function runs.
    unsafe { BorrowedFd::borrow_raw(fd) }
}
