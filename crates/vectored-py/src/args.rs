//! Converting Python arguments the way CPython's own converters do, messages included.

use std::ffi::c_int;
use std::os::fd::RawFd;
use std::time::Duration;

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyFloat;

/// Argument Clinic's `int` converter (`_PyLong_AsInt`): `__index__` is honoured, floats and
/// strings are a `TypeError`, values outside C `int` an `OverflowError`.
// Inlined, with everything but an exact `int` in range out of line: measured
// (python/benchmarks/count_instructions.py), a call of its own cost 17 instructions of
// prologue and epilogue per argument.
#[inline]
pub(crate) fn c_int_arg(obj: &Bound<'_, PyAny>) -> PyResult<c_int> {
    // SAFETY: `obj` is a valid object; the check reads its type.
    if unsafe { ffi::PyLong_CheckExact(obj.as_ptr()) } != 0 {
        // An exact `int` (the common case, an fd), without the generic extraction: measured
        // (python/benchmarks/count_instructions.py), 74 instructions per call against
        // `_PyLong_AsInt`'s 31, a third of what separated a one-buffer call from `os`.
        let mut overflow: c_int = 0;
        // SAFETY: `obj` is an exact `int` and `overflow` a valid out-pointer; for an `int`
        // the call cannot fail other than by reporting an overflow.
        let wide = unsafe { ffi::PyLong_AsLongAndOverflow(obj.as_ptr(), &raw mut overflow) };
        if overflow == 0 {
            if let Ok(value) = c_int::try_from(wide) {
                return Ok(value);
            }
        }
    }
    c_int_arg_slow(obj)
}

/// [`c_int_arg`] for anything but an exact `int` that fits.
#[cold]
#[inline(never)]
fn c_int_arg_slow(obj: &Bound<'_, PyAny>) -> PyResult<c_int> {
    let wide: i64 = obj
        .extract()
        .map_err(|err| too_large_for_int(obj.py(), err))?;
    c_int::try_from(wide).map_err(|_| int_overflow())
}

fn int_overflow() -> PyErr {
    PyOverflowError::new_err("Python int too large to convert to C int")
}

/// Keeps `TypeError`s; rewords a C `long` overflow as the C `int` one CPython reports.
fn too_large_for_int(py: Python<'_>, err: PyErr) -> PyErr {
    if err.is_instance_of::<PyOverflowError>(py) {
        int_overflow()
    } else {
        err
    }
}

/// An `off_t` argument, converted like CPython's `Py_off_t` converter (`PyLong_AsLongLong`
/// on 64-bit Linux: `__index__` honoured, `OverflowError` outside `i64`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OffT(pub(crate) i64);

impl<'a, 'py> FromPyObject<'a, 'py> for OffT {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        off_t_arg(&obj).map(OffT)
    }
}

/// The `off_t` converter behind [`OffT`]: an exact `int` inline (as [`c_int_arg`]), anything
/// else through `PyLong_AsLongLong`'s rules.
#[inline]
pub(crate) fn off_t_arg(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    // SAFETY: `obj` is a valid object; the check reads its type.
    if unsafe { ffi::PyLong_CheckExact(obj.as_ptr()) } != 0 {
        let mut overflow: c_int = 0;
        // SAFETY: as in `c_int_arg`.
        let wide = unsafe { ffi::PyLong_AsLongAndOverflow(obj.as_ptr(), &raw mut overflow) };
        if overflow == 0 {
            #[allow(clippy::useless_conversion)] // a C `long` is narrower on 32-bit targets
            return Ok(i64::from(wide));
        }
    }
    off_t_arg_slow(obj)
}

/// [`off_t_arg`] for anything but an exact `int` that fits.
#[cold]
#[inline(never)]
fn off_t_arg_slow(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    obj.extract()
}

/// `PyObject_AsFileDescriptor`, as `select.poll().register` takes an fd: an `int`, or an
/// object whose `fileno()` returns one; a negative fd is a `ValueError`.
pub(crate) fn fd_or_fileno(obj: &Bound<'_, PyAny>) -> PyResult<RawFd> {
    // SAFETY: `obj` is a valid object; the call returns -1 with an exception set on failure.
    let fd = unsafe { ffi::PyObject_AsFileDescriptor(obj.as_ptr()) };
    if fd < 0 {
        Err(PyErr::fetch(obj.py()))
    } else {
        Ok(fd)
    }
}

/// A `timeout` argument as `socket.settimeout` takes it: `None` (wait as long as it takes),
/// or a non-negative `int`/`float` of seconds.
///
/// Returns `None` for no limit. `TypeError` for other types (`float` subclasses and
/// `__index__` integers are accepted), `ValueError` for NaN and negative values,
/// `OverflowError` for values no `Duration` can hold (including infinity).
pub(crate) fn timeout_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    let Some(obj) = obj.filter(|obj| !obj.is_none()) else {
        return Ok(None);
    };
    let seconds: f64 = if let Ok(float) = obj.cast::<PyFloat>() {
        float.value()
    } else {
        // Integers only (via `__index__`), like `_PyTime_FromSecondsObject`.
        let whole: i64 = obj.extract()?;
        #[allow(clippy::cast_precision_loss)] // seconds beyond 2**53 are "forever" anyway
        let seconds = whole as f64;
        seconds
    };
    if seconds.is_nan() {
        return Err(PyValueError::new_err("Invalid value NaN (not a number)"));
    }
    if seconds < 0.0 {
        return Err(PyValueError::new_err("Timeout value out of range"));
    }
    let timeout = Duration::try_from_secs_f64(seconds)
        .map_err(|_| PyOverflowError::new_err("timeout value is too large"))?;
    // A positive timeout below a nanosecond is still a timeout (`TimeoutError`), not 0
    // (`BlockingIOError`).
    if timeout.is_zero() && seconds > 0.0 {
        return Ok(Some(Duration::from_nanos(1)));
    }
    Ok(Some(timeout))
}

/// A C `int` argument (`fd`, `flags`), converted like [`c_int_arg`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct CInt(pub(crate) c_int);

impl<'a, 'py> FromPyObject<'a, 'py> for CInt {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        c_int_arg(&obj).map(CInt)
    }
}
