//! Building Python exceptions from OS errors and from `vectored::Error`.
//!
//! OS errors become `OSError(errno, strerror(errno))`, exactly what CPython's
//! `PyErr_SetFromErrno` raises, so the `OSError` constructor picks the subclass
//! (`BrokenPipeError`, `BlockingIOError`, `IsADirectoryError`, ...). PyO3's
//! `From<io::Error> for PyErr` is avoided on purpose: it drops `errno`.
//!
//! The helpers add `transferred`, the exact number of bytes committed before the error
//! (and `characters_written` on `BlockingIOError`, Python's own name for it).

use std::cell::RefCell;
use std::ffi::{c_int, CStr};
use std::io;

use pyo3::exceptions::{PyBlockingIOError, PyEOFError, PyOSError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::{create_exception, intern};

create_exception!(
    vectored,
    IncompleteReadError,
    PyEOFError,
    "End of file before every buffer was filled.\n\n\
     Raised by ``readv_exact`` and ``preadv_exact``. ``transferred`` is the number of bytes\n\
     read (they fill the buffers in order), ``expected`` the number asked for."
);

/// `OSError(errno, strerror(errno))`.
pub(crate) fn os_error(py: Python<'_>, errno: c_int) -> PyErr {
    PyOSError::new_err((errno, strerror(py, errno)))
}

/// `strerror(errno)`, as `os.strerror` and `PyErr_SetFromErrno` word it.
fn strerror(_py: Python<'_>, errno: c_int) -> String {
    // SAFETY: `strerror` returns a valid NUL-terminated string (glibc: "Unknown error N" for
    // unknown codes). Its buffer may be reused by a later call on any thread, so it is copied
    // at once; holding the GIL (`_py`) serializes us with CPython's own callers.
    let text = unsafe { CStr::from_ptr(libc::strerror(errno)) };
    text.to_string_lossy().into_owned()
}

/// An `OSError` for an `io::Error`: its `errno` if it has one; otherwise a code standing for
/// its kind (`TimedOut` is `ETIMEDOUT`, so `TimeoutError`) with the error's own message.
pub(crate) fn from_io(py: Python<'_>, err: &io::Error) -> PyErr {
    if let Some(errno) = err.raw_os_error() {
        return os_error(py, errno);
    }
    let errno = match err.kind() {
        io::ErrorKind::TimedOut => libc::ETIMEDOUT,
        io::ErrorKind::WouldBlock => libc::EAGAIN,
        io::ErrorKind::BrokenPipe => libc::EPIPE,
        io::ErrorKind::InvalidInput => libc::EINVAL,
        io::ErrorKind::Unsupported => libc::EOPNOTSUPP,
        io::ErrorKind::OutOfMemory => libc::ENOMEM,
        io::ErrorKind::Interrupted => libc::EINTR,
        // WriteZero (a write accepted nothing), InvalidData (a call claimed more than it was
        // offered), anything else: an I/O error with the loop's explanation.
        _ => libc::EIO,
    };
    PyOSError::new_err((errno, err.to_string()))
}

/// Adds `.transferred` (and `.characters_written` on `BlockingIOError`) to `err`.
///
/// An `OSError` is re-made as the matching `vectored.TransferError` subclass
/// (`vectored._errors.with_transferred`), which declares `transferred` for type checkers and
/// is still an instance of the `OSError` subclass its errno picks.
pub(crate) fn with_progress(py: Python<'_>, err: PyErr, transferred: usize) -> PyErr {
    let value = err.value(py);
    if value.is_instance_of::<PyOSError>() {
        static HOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let remade = HOOK
            .import(py, "vectored._errors", "with_transferred")
            .and_then(|hook| hook.call1((value, transferred)));
        if let Ok(remade) = remade {
            return PyErr::from_value(remade);
        }
    }
    // Setting an attribute on an exception instance only fails for exotic subclasses
    // without `__dict__`; the original error matters more than the count then.
    let _ = value.setattr(intern!(py, "transferred"), transferred);
    if value.is_instance_of::<PyBlockingIOError>() {
        let _ = value.setattr(intern!(py, "characters_written"), transferred);
    }
    err
}

/// `IncompleteReadError` with `.transferred` and `.expected`.
pub(crate) fn incomplete_read(py: Python<'_>, transferred: usize, expected: usize) -> PyErr {
    let err = IncompleteReadError::new_err(format!(
        "end of file after {transferred} of {expected} bytes"
    ));
    let value = err.value(py);
    let _ = value.setattr(intern!(py, "transferred"), transferred);
    let _ = value.setattr(intern!(py, "expected"), expected);
    err
}

/// The exception for a failed helper loop: the signal handler's if one raised, an
/// `IncompleteReadError` for end of file (`expected` is the total asked for), else the
/// `OSError`; each with `.transferred`.
pub(crate) fn from_loop(py: Python<'_>, err: vectored::Error, expected: usize) -> PyErr {
    let (source, transferred) = err.into_parts();
    if let Some(raised) = take_signal_error() {
        return with_progress(py, raised, transferred);
    }
    if source.kind() == io::ErrorKind::UnexpectedEof && source.raw_os_error().is_none() {
        return incomplete_read(py, transferred, expected);
    }
    with_progress(py, from_io(py, &source), transferred)
}

thread_local! {
    /// The exception a Python signal handler raised inside a helper loop, kept for the glue
    /// to raise once the loop has stopped.
    static SIGNAL_ERROR: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// The `FdOptions::on_interrupt` hook: runs Python's signal handlers after `EINTR` (PEP 475).
///
/// Attaches to the interpreter (the loop runs detached) and calls `PyErr_CheckSignals`. If a
/// handler raises, its exception is kept for [`from_loop`] and the loop is stopped with an
/// `Interrupted` error; otherwise the loop retries.
// The closure is needed: `Python::check_signals` as a path is not general over the lifetime.
#[allow(clippy::redundant_closure_for_method_calls)]
pub(crate) fn run_signal_handlers() -> io::Result<()> {
    match Python::attach(|py| py.check_signals()) {
        Ok(()) => Ok(()),
        Err(raised) => {
            SIGNAL_ERROR.with(|slot| *slot.borrow_mut() = Some(raised));
            Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "a Python signal handler raised an exception",
            ))
        }
    }
}

/// Takes the exception kept by [`run_signal_handlers`], if any.
fn take_signal_error() -> Option<PyErr> {
    SIGNAL_ERROR.with(|slot| slot.borrow_mut().take())
}
