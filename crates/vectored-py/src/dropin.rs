//! `writev`, `readv`, `pwritev`, `preadv`: drop-in replacements for the `os` functions, with
//! the same arguments, results and exceptions (see `shared/reference/cpython-os-vectored.md`).
//!
//! The calling convention (`METH_FASTCALL`, arguments, docstrings) is in `fast`.
//!
//! Each acquires every buffer ([`Iovecs`], as CPython's `iov_setup`), then makes one system
//! call with all of them, exactly as `os` does: no clamping of the count or the total (more
//! than `IOV_MAX` buffers is the kernel's `EINVAL`, a huge total the kernel's own short
//! count), the GIL released, and `EINTR` retried once Python's signal handlers have run
//! (PEP 475). The raw iovecs go straight to libc: a buffer listed twice in a read is never
//! turned into two Rust `&mut` slices.

use std::ffi::c_int;

use pyo3::prelude::*;

use crate::args::{CInt, OffT};
use crate::buffers::sequence_len;
use crate::errors::os_error;
use crate::iov::Iovecs;

/// Write the bytes-like objects in *buffers* to *fd* with one ``writev(2)`` call.
///
/// Same as ``os.writev``: returns the number of bytes written, which may be fewer than the
/// total. *buffers* must be a sequence of bytes-like objects; more than ``IOV_MAX`` (1024)
/// raises ``OSError(EINVAL)``.
#[inline]
pub(crate) fn writev(py: Python<'_>, fd: CInt, buffers: &Bound<'_, PyAny>) -> PyResult<usize> {
    let len = sequence_len(buffers, "writev")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, false)?;
    let (ptr, count) = raw(&mut iov);
    // SAFETY: `ptr` points to `count` iovecs describing memory kept alive (and, for
    // exporters, locked against resizing) by `iov` until it is dropped after the call.
    call(py, move || unsafe { libc::writev(fd.0, ptr.get(), count) })
}

/// Read from *fd* into the writable bytes-like objects in *buffers* with one ``readv(2)``.
///
/// Same as ``os.readv``: fills the buffers in order and returns the number of bytes read
/// (0 at end of file), which may be fewer than their total size.
#[inline]
pub(crate) fn readv(py: Python<'_>, fd: CInt, buffers: &Bound<'_, PyAny>) -> PyResult<usize> {
    let len = sequence_len(buffers, "readv")?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, true)?;
    let (ptr, count) = raw(&mut iov);
    // SAFETY: `ptr` points to `count` iovecs describing writable views held by `iov` until
    // it is dropped after the call; only the kernel writes through them.
    call(py, move || unsafe { libc::readv(fd.0, ptr.get(), count) })
}

/// Write *buffers* to *fd* at *offset*, leaving the file offset unchanged (``pwritev2(2)``).
///
/// Same as ``os.pwritev``: *offset* ``-1`` writes at (and advances) the current file offset,
/// *flags* is a bitwise OR of ``RWF_*`` values; returns the number of bytes written.
#[inline]
pub(crate) fn pwritev(
    py: Python<'_>,
    fd: CInt,
    buffers: &Bound<'_, PyAny>,
    offset: OffT,
    flags: CInt,
) -> PyResult<usize> {
    let len = sequence_len(buffers, "pwritev")?;
    positional::check_flags("pwritev2", flags.0)?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, false)?;
    let (ptr, count) = raw(&mut iov);
    // SAFETY: as in `writev`.
    call(py, move || unsafe {
        positional::pwritev(fd.0, ptr.get(), count, offset.0, flags.0)
    })
}

/// Read from *fd* at *offset* into *buffers*, leaving the file offset unchanged
/// (``preadv2(2)``).
///
/// Same as ``os.preadv``: *offset* ``-1`` reads at (and advances) the current file offset,
/// *flags* is a bitwise OR of ``RWF_*`` values; returns the number of bytes read (0 at or
/// past the end of the file).
#[inline]
pub(crate) fn preadv(
    py: Python<'_>,
    fd: CInt,
    buffers: &Bound<'_, PyAny>,
    offset: OffT,
    flags: CInt,
) -> PyResult<usize> {
    // CPython's message names preadv2 here, even for os.preadv.
    let len = sequence_len(buffers, "preadv2")?;
    positional::check_flags("preadv2", flags.0)?;
    let mut iov = Iovecs::new(py);
    iov.acquire(buffers, len, true)?;
    let (ptr, count) = raw(&mut iov);
    // SAFETY: as in `readv`.
    call(py, move || unsafe {
        positional::preadv(fd.0, ptr.get(), count, offset.0, flags.0)
    })
}

/// A pointer to iovecs that may cross into the detached closure: the memory it points to
/// is owned by an `Iovecs` of the attached frame, which outlives the call.
#[derive(Clone, Copy)]
struct IovPtr(*mut libc::iovec);

// SAFETY: the pointer is only dereferenced by the kernel during the system call, while the
// `Iovecs` that owns the iovecs (and holds the buffers) stays alive in the calling frame.
unsafe impl Send for IovPtr {}

impl IovPtr {
    fn get(self) -> *mut libc::iovec {
        self.0
    }
}

/// The pointer and count for the system call. Like CPython, the count is narrowed to a C
/// `int` (a list that long could not have been acquired anyway).
fn raw(iov: &mut Iovecs<'_>) -> (IovPtr, c_int) {
    let count = c_int::try_from(iov.len()).unwrap_or(c_int::MAX);
    (IovPtr(iov.as_ptr()), count)
}

/// Makes the system call with the GIL released, retrying after `EINTR` once the signal
/// handlers have run (their exception, if any, is raised instead), as CPython does.
///
/// The GIL is released with `PyEval_SaveThread`/`PyEval_RestoreThread` directly, as
/// `Py_BEGIN_ALLOW_THREADS` does, rather than through `Python::detach`: the system call
/// touches no Python object and cannot panic, and the bookkeeping `detach` adds for
/// arbitrary closures (thread-local counters, deferred reference counts) was a measurable
/// part of a one-buffer call.
fn call(py: Python<'_>, syscall: impl Fn() -> isize + Send + Copy) -> PyResult<usize> {
    loop {
        // SAFETY: the thread is attached (`py`); between the two calls it runs only the
        // system call and reads `errno`, touching no Python object, and it re-attaches
        // before anything else.
        let result = unsafe {
            let state = pyo3::ffi::PyEval_SaveThread();
            let n = syscall();
            let result =
                usize::try_from(n).map_err(|_| std::io::Error::last_os_error().raw_os_error());
            pyo3::ffi::PyEval_RestoreThread(state);
            result
        };
        match result {
            Ok(n) => return Ok(n),
            Err(Some(libc::EINTR)) => py.check_signals()?,
            Err(errno) => return Err(os_error(py, errno.unwrap_or(libc::EIO))),
        }
    }
}

/// `pwritev2`/`preadv2` where they exist (Linux), as CPython uses them, made with
/// `syscall(2)` so the module does not need glibc 2.26 (manylinux2014 is glibc 2.17).
#[cfg(target_os = "linux")]
mod positional {
    use std::ffi::{c_int, c_long};

    use pyo3::prelude::*;

    /// Every flag goes to the kernel, which rejects unknown ones with `EOPNOTSUPP`.
    #[allow(clippy::unnecessary_wraps)] // the other platforms' version can fail
    pub(super) fn check_flags(_name: &str, _flags: i32) -> PyResult<()> {
        Ok(())
    }

    /// The `pos_l`, `pos_h` pair of the raw `*v2` system calls (`-1`: the current offset).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        clippy::cast_sign_loss
    )]
    fn lo_hi(offset: i64) -> (c_long, c_long) {
        let bits = offset as u64;
        (bits as c_long, (bits >> 32) as c_long)
    }

    /// # Safety
    ///
    /// `iov` must point to `count` iovecs over readable memory.
    #[allow(clippy::cast_possible_truncation)] // the syscall's result is a `ssize_t`
    pub(super) unsafe fn pwritev(
        fd: c_int,
        iov: *mut libc::iovec,
        count: c_int,
        offset: i64,
        flags: c_int,
    ) -> isize {
        let (lo, hi) = lo_hi(offset);
        // SAFETY: guaranteed by the caller; the kernel validates everything else.
        unsafe { libc::syscall(libc::SYS_pwritev2, fd, iov, count, lo, hi, flags) as isize }
    }

    /// # Safety
    ///
    /// `iov` must point to `count` iovecs over writable memory.
    #[allow(clippy::cast_possible_truncation)] // the syscall's result is a `ssize_t`
    pub(super) unsafe fn preadv(
        fd: c_int,
        iov: *mut libc::iovec,
        count: c_int,
        offset: i64,
        flags: c_int,
    ) -> isize {
        let (lo, hi) = lo_hi(offset);
        // SAFETY: guaranteed by the caller; the kernel validates everything else.
        unsafe { libc::syscall(libc::SYS_preadv2, fd, iov, count, lo, hi, flags) as isize }
    }
}

/// Plain `pwritev`/`preadv` elsewhere, as CPython builds without the `*v2` calls do:
/// non-zero flags are `NotImplementedError`.
#[cfg(not(target_os = "linux"))]
mod positional {
    use std::ffi::c_int;

    use pyo3::exceptions::PyNotImplementedError;
    use pyo3::prelude::*;

    pub(super) fn check_flags(name: &str, flags: i32) -> PyResult<()> {
        if flags == 0 {
            Ok(())
        } else {
            Err(PyNotImplementedError::new_err(format!(
                "{name}: flags is unavailable on this platform"
            )))
        }
    }

    /// # Safety
    ///
    /// `iov` must point to `count` iovecs over readable memory.
    pub(super) unsafe fn pwritev(
        fd: c_int,
        iov: *mut libc::iovec,
        count: c_int,
        offset: i64,
        _flags: c_int,
    ) -> isize {
        // SAFETY: guaranteed by the caller.
        unsafe { libc::pwritev(fd, iov, count, offset as libc::off_t) }
    }

    /// # Safety
    ///
    /// `iov` must point to `count` iovecs over writable memory.
    pub(super) unsafe fn preadv(
        fd: c_int,
        iov: *mut libc::iovec,
        count: c_int,
        offset: i64,
        _flags: c_int,
    ) -> isize {
        // SAFETY: guaranteed by the caller.
        unsafe { libc::preadv(fd, iov, count, offset as libc::off_t) }
    }
}
