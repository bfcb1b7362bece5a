//! `writev`, `readv`, `pwritev`, `preadv`: drop-in replacements for the `os` functions, with
//! the same arguments, results and exceptions (see `shared/reference/cpython-os-vectored.md`).
//!
//! Each makes one system call (retried after `EINTR` once Python's signal handlers have run,
//! PEP 475) and returns its result, which may be short. Like CPython, nothing is chunked:
//! more than `IOV_MAX` buffers is `EINVAL`.

use std::io;
use std::os::fd::BorrowedFd;

use pyo3::prelude::*;
use vectored::{sys, IOV_MAX};

use crate::args::{CInt, OffT};
use crate::buffers::{sequence_len, Held};
use crate::errors::{from_io, os_error};

/// Write the bytes-like objects in *buffers* to *fd* with one ``writev(2)`` call.
///
/// Same as ``os.writev``: returns the number of bytes written, which may be fewer than the
/// total. *buffers* must be a sequence of bytes-like objects; more than ``IOV_MAX`` (1024)
/// raises ``OSError(EINVAL)``.
#[pyfunction]
#[pyo3(signature = (fd, buffers, /))]
pub(crate) fn writev(py: Python<'_>, fd: CInt, buffers: &Bound<'_, PyAny>) -> PyResult<usize> {
    let len = sequence_len(buffers, "writev")?;
    let mut held = Held::new(py, len);
    let bufs = held.gather(buffers, len)?;
    let fd = open_fd(py, fd.0)?;
    if len > IOV_MAX {
        too_many(py, || sys::writev(fd, &[]))?;
    }
    call(py, || sys::writev(fd, &bufs))
}

/// Read from *fd* into the writable bytes-like objects in *buffers* with one ``readv(2)``.
///
/// Same as ``os.readv``: fills the buffers in order and returns the number of bytes read
/// (0 at end of file), which may be fewer than their total size.
#[pyfunction]
#[pyo3(signature = (fd, buffers, /))]
pub(crate) fn readv(py: Python<'_>, fd: CInt, buffers: &Bound<'_, PyAny>) -> PyResult<usize> {
    let len = sequence_len(buffers, "readv")?;
    let mut held = Held::new(py, len);
    let mut bufs = held.scatter(buffers, len)?;
    let fd = open_fd(py, fd.0)?;
    if len > IOV_MAX {
        too_many(py, || sys::readv(fd, &mut []))?;
    }
    call(py, || sys::readv(fd, &mut bufs))
}

/// Write *buffers* to *fd* at *offset*, leaving the file offset unchanged (``pwritev2(2)``).
///
/// Same as ``os.pwritev``: *offset* ``-1`` writes at (and advances) the current file offset,
/// *flags* is a bitwise OR of ``RWF_*`` values; returns the number of bytes written.
#[pyfunction]
#[pyo3(
    signature = (fd, buffers, offset, flags = CInt(0), /),
    text_signature = "(fd, buffers, offset, flags=0, /)"
)]
pub(crate) fn pwritev(
    py: Python<'_>,
    fd: CInt,
    buffers: &Bound<'_, PyAny>,
    offset: OffT,
    flags: CInt,
) -> PyResult<usize> {
    let len = sequence_len(buffers, "pwritev")?;
    positional::check_flags("pwritev2", flags.0)?;
    let mut held = Held::new(py, len);
    let bufs = held.gather(buffers, len)?;
    let (fd, offset) = positional::target(py, fd.0, offset.0)?;
    let flags = positional::rw_flags(flags.0);
    if len > IOV_MAX {
        too_many(py, || positional::pwritev(fd, &[], offset, flags))?;
    }
    call(py, || positional::pwritev(fd, &bufs, offset, flags))
}

/// Read from *fd* at *offset* into *buffers*, leaving the file offset unchanged
/// (``preadv2(2)``).
///
/// Same as ``os.preadv``: *offset* ``-1`` reads at (and advances) the current file offset,
/// *flags* is a bitwise OR of ``RWF_*`` values; returns the number of bytes read (0 at or
/// past the end of the file).
#[pyfunction]
#[pyo3(
    signature = (fd, buffers, offset, flags = CInt(0), /),
    text_signature = "(fd, buffers, offset, flags=0, /)"
)]
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
    let mut held = Held::new(py, len);
    let mut bufs = held.scatter(buffers, len)?;
    let (fd, offset) = positional::target(py, fd.0, offset.0)?;
    let flags = positional::rw_flags(flags.0);
    if len > IOV_MAX {
        too_many(py, || positional::preadv(fd, &mut [], offset, flags))?;
    }
    call(py, || positional::preadv(fd, &mut bufs, offset, flags))
}

/// The fd for the system call. A negative fd is `EBADF`, as the kernel would say; it is
/// reported here because `BorrowedFd` cannot hold one.
fn open_fd(py: Python<'_>, fd: i32) -> PyResult<BorrowedFd<'static>> {
    if fd < 0 {
        return Err(os_error(py, libc::EBADF));
    }
    // SAFETY: `fd` is not negative, as `BorrowedFd` requires. It may name no open file; the
    // system calls then fail with `EBADF`, which is the error `os` reports. The fd is used
    // only for the duration of the calling function, as the caller's int was.
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// For more than `IOV_MAX` buffers: `EINVAL`, unless the same call with no buffers fails
/// (bad fd, wrong access mode, ...), since the kernel checks those first. `vectored::sys`
/// would silently take the first `IOV_MAX` buffers, so the count is checked here.
fn too_many(py: Python<'_>, empty_call: impl FnMut() -> io::Result<usize> + Send) -> PyResult<()> {
    call(py, empty_call)?;
    Err(os_error(py, libc::EINVAL))
}

/// Makes the system call with the GIL released, retrying after `EINTR` once the signal
/// handlers have run (their exception, if any, is raised instead).
fn call(py: Python<'_>, mut syscall: impl FnMut() -> io::Result<usize> + Send) -> PyResult<usize> {
    loop {
        match py.detach(&mut syscall) {
            Ok(n) => return Ok(n),
            Err(err) if err.raw_os_error() == Some(libc::EINTR) => py.check_signals()?,
            Err(err) => return Err(from_io(py, &err)),
        }
    }
}

/// `pwritev2`/`preadv2` where they exist (Linux, glibc 2.26+), as CPython uses them.
#[cfg(target_os = "linux")]
mod positional {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::os::fd::BorrowedFd;

    use pyo3::prelude::*;
    use vectored::{sys, RwFlags};

    use super::open_fd;
    use crate::errors::os_error;

    /// Every flag goes to the kernel, which rejects unknown ones with `EOPNOTSUPP`.
    #[allow(clippy::unnecessary_wraps)] // the other platforms' version can fail
    pub(super) fn check_flags(_name: &str, _flags: i32) -> PyResult<()> {
        Ok(())
    }

    /// The fd and the `*v2` offset (`None` for `-1`, the current file offset).
    ///
    /// The kernel rejects other negative offsets with `EINVAL` before it looks at the fd,
    /// so that check comes first here too.
    pub(super) fn target(
        py: Python<'_>,
        fd: i32,
        offset: i64,
    ) -> PyResult<(BorrowedFd<'static>, Option<u64>)> {
        let offset = match offset {
            -1 => None,
            _ => Some(u64::try_from(offset).map_err(|_| os_error(py, libc::EINVAL))?),
        };
        Ok((open_fd(py, fd)?, offset))
    }

    /// The C `int` flags as the kernel's `rwf_t` bits, unknown bits included.
    pub(super) fn rw_flags(flags: i32) -> RwFlags {
        RwFlags::from_bits_retain(u32::from_ne_bytes(flags.to_ne_bytes()))
    }

    pub(super) fn pwritev(
        fd: BorrowedFd<'_>,
        bufs: &[IoSlice<'_>],
        offset: Option<u64>,
        flags: RwFlags,
    ) -> io::Result<usize> {
        sys::pwritev2(fd, bufs, offset, flags)
    }

    pub(super) fn preadv(
        fd: BorrowedFd<'_>,
        bufs: &mut [IoSliceMut<'_>],
        offset: Option<u64>,
        flags: RwFlags,
    ) -> io::Result<usize> {
        sys::preadv2(fd, bufs, offset, flags)
    }
}

/// Plain `pwritev`/`preadv` elsewhere, as CPython builds without the `*v2` calls do:
/// non-zero flags are `NotImplementedError`, and every negative offset is `EINVAL`.
#[cfg(not(target_os = "linux"))]
mod positional {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::os::fd::BorrowedFd;

    use pyo3::exceptions::PyNotImplementedError;
    use pyo3::prelude::*;
    use vectored::sys;

    use super::open_fd;
    use crate::errors::os_error;

    pub(super) fn check_flags(name: &str, flags: i32) -> PyResult<()> {
        if flags == 0 {
            Ok(())
        } else {
            Err(PyNotImplementedError::new_err(format!(
                "{name}: flags is unavailable on this platform"
            )))
        }
    }

    pub(super) fn target(
        py: Python<'_>,
        fd: i32,
        offset: i64,
    ) -> PyResult<(BorrowedFd<'static>, u64)> {
        let offset = u64::try_from(offset).map_err(|_| os_error(py, libc::EINVAL))?;
        Ok((open_fd(py, fd)?, offset))
    }

    pub(super) fn rw_flags(_flags: i32) {}

    pub(super) fn pwritev(
        fd: BorrowedFd<'_>,
        bufs: &[IoSlice<'_>],
        offset: u64,
        (): (),
    ) -> io::Result<usize> {
        sys::pwritev(fd, bufs, offset)
    }

    pub(super) fn preadv(
        fd: BorrowedFd<'_>,
        bufs: &mut [IoSliceMut<'_>],
        offset: u64,
        (): (),
    ) -> io::Result<usize> {
        sys::preadv(fd, bufs, offset)
    }
}
