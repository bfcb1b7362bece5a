//! `writev_all`, `pwritev_all`, `readv_exact`, `preadv_exact`: the `vectored` loops for
//! Python. They transfer everything or raise an exception that says exactly how much was
//! transferred (`.transferred`).

use std::os::fd::{BorrowedFd, RawFd};
use std::time::Duration;

use pyo3::prelude::*;
use vectored::{FdOptions, RwFlags};

use crate::args::{fd_or_fileno, timeout_arg, CInt, OffT};
use crate::buffers::{sequence_len, Held};
use crate::errors::{from_loop, os_error, run_signal_handlers, with_progress};
use crate::plan::{Blocks, Plan};

/// Write every byte of *buffers* to *fd*, in order; returns the total.
///
/// Partial writes are resumed, ``EINTR`` is retried after running signal handlers, any
/// number of buffers is fine. On a non-blocking *fd* it waits in ``poll`` (as long as
/// *timeout* seconds allow). ``SIGPIPE`` is never raised.
#[pyfunction]
#[pyo3(signature = (fd, buffers, /, *, timeout = None))]
pub(crate) fn writev_all(
    py: Python<'_>,
    fd: &Bound<'_, PyAny>,
    buffers: &Bound<'_, PyAny>,
    timeout: Option<&Bound<'_, PyAny>>,
) -> PyResult<usize> {
    let fd = fd_or_fileno(fd)?;
    let opts = fd_options(timeout_arg(timeout)?);
    let len = sequence_len(buffers, "writev_all")?;
    let blocks = Blocks::new();
    let mut held = Held::new(py, len);
    let plan = Plan::build(&mut held, &blocks, buffers, len)?;
    let fd = borrow(fd);
    py.detach(|| plan.write(fd, &opts))
        .map_err(|err| from_loop(py, err, 0))
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
    let fd = fd_or_fileno(fd)?;
    let opts = fd_options(timeout_arg(timeout)?);
    let len = sequence_len(buffers, "readv_exact")?;
    let mut held = Held::new(py, len);
    let mut bufs = held.scatter(buffers, len)?;
    let expected = bufs.iter().map(|b| b.len()).sum();
    let fd = borrow(fd);
    py.detach(|| vectored::read_exact_fd(fd, &mut bufs, &opts))
        .map_err(|err| from_loop(py, err, expected))
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
    let mut held = Held::new(py, len);
    let bufs = held.gather(buffers, len)?;
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
    let mut held = Held::new(py, len);
    let mut bufs = held.scatter(buffers, len)?;
    let expected = bufs.iter().map(|b| b.len()).sum();
    let fd = borrow(fd);
    py.detach(|| vectored::read_exact_at(fd, &mut bufs, offset, flags))
        .map_err(|err| from_loop(py, err, expected))
}

/// The loop options for a `timeout` argument: `None` waits as long as it takes, `0` never
/// waits (`BlockingIOError`, like a socket with timeout 0), anything else bounds the waits
/// (`TimeoutError`). Python's signal handlers run after every `EINTR` in all cases.
fn fd_options(timeout: Option<Duration>) -> FdOptions {
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

fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: `fd_or_fileno` returned a non-negative fd, as `BorrowedFd` requires. If it
    // names no open file, the loop's first system call fails with `EBADF`, which is raised.
    // It is used only while the calling function runs.
    unsafe { BorrowedFd::borrow_raw(fd) }
}
