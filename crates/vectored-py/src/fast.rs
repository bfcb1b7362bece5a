//! The drop-ins' calling convention: plain `METH_FASTCALL` C functions, as CPython's own
//! `os.writev` (Argument Clinic) is, registered without PyO3's `#[pyfunction]` layer.
//!
//! Measured (docs/bench, `bench_python.py --calls`): the `#[pyfunction]` trampoline and its
//! generic argument extraction cost a few tens of nanoseconds per call, which is the whole
//! margin between `os.writev` and a one-buffer `vectored.writev`. These functions take
//! their positional arguments straight from the vector CPython passes, convert them as
//! Argument Clinic does (same messages for a wrong count), and return a Python `int`.
//! Keyword arguments are refused by CPython itself, as for `os` (no `METH_KEYWORDS`).

use std::ffi::CStr;
use std::panic::AssertUnwindSafe;

use pyo3::exceptions::{PySystemError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use pyo3::Borrowed;

use crate::args::{c_int_arg, off_t_arg, CInt, OffT};
use crate::dropin;

/// Runs `body` for a `METH_FASTCALL` function: its `int` result, or NULL with the exception
/// set. A panic (there should be none) becomes `SystemError` instead of unwinding into C.
fn entry(body: impl FnOnce(Python<'_>) -> PyResult<usize>) -> *mut ffi::PyObject {
    // SAFETY: CPython calls `METH_FASTCALL` functions on a thread attached to the
    // interpreter, which is all `assume_attached` requires.
    let py = unsafe { Python::assume_attached() };
    match std::panic::catch_unwind(AssertUnwindSafe(|| body(py))) {
        // SAFETY: attached; returns a new reference or NULL with `MemoryError` set.
        Ok(Ok(n)) => unsafe { ffi::PyLong_FromSize_t(n) },
        Ok(Err(err)) => {
            err.restore(py);
            std::ptr::null_mut()
        }
        Err(_) => {
            PySystemError::new_err("vectored: unexpected panic").restore(py);
            std::ptr::null_mut()
        }
    }
}

/// The positional arguments, checked against `min..=max` with Argument Clinic's messages
/// (`"writev expected 2 arguments, got 3"`).
///
/// # Safety
///
/// `args` must point to `nargs` valid borrowed references (CPython's vectorcall contract).
// Inlined, with the error out of line: measured (python/benchmarks/count_instructions.py),
// 28 instructions per call as a function of its own.
#[inline]
unsafe fn positional<'a>(
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    name: &str,
    min: usize,
    max: usize,
) -> PyResult<&'a [*mut ffi::PyObject]> {
    let count = usize::try_from(nargs).unwrap_or(0);
    if count < min || count > max {
        return Err(wrong_count(name, min, max, count));
    }
    if count == 0 {
        return Ok(&[]);
    }
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts(args, count) })
}

/// Argument Clinic's `TypeError` for a wrong number of positional arguments.
#[cold]
#[inline(never)]
fn wrong_count(name: &str, min: usize, max: usize, count: usize) -> PyErr {
    let want = if min == max {
        format!("{min} argument{}", if min == 1 { "" } else { "s" })
    } else if count < min {
        format!("at least {min} arguments")
    } else {
        format!("at most {max} arguments")
    };
    PyTypeError::new_err(format!("{name} expected {want}, got {count}"))
}

/// A borrowed argument as a `Bound`-like reference for the call's duration.
///
/// # Safety
///
/// `ptr` must be a valid object kept alive by the caller for `'a`.
unsafe fn arg<'a>(py: Python<'_>, ptr: *mut ffi::PyObject) -> Borrowed<'a, '_, PyAny> {
    // SAFETY: guaranteed by the caller.
    unsafe { Borrowed::from_ptr(py, ptr) }
}

unsafe extern "C" fn writev(
    _module: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    entry(|py| {
        // SAFETY: CPython's vectorcall arguments, alive for the call.
        let args = unsafe { positional(args, nargs, "writev", 2, 2)? };
        // SAFETY: as above.
        let (fd, bufs) = unsafe { (arg(py, args[0]), arg(py, args[1])) };
        dropin::writev(py, CInt(c_int_arg(&fd)?), &bufs)
    })
}

unsafe extern "C" fn readv(
    _module: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    entry(|py| {
        // SAFETY: CPython's vectorcall arguments, alive for the call.
        let args = unsafe { positional(args, nargs, "readv", 2, 2)? };
        // SAFETY: as above.
        let (fd, bufs) = unsafe { (arg(py, args[0]), arg(py, args[1])) };
        dropin::readv(py, CInt(c_int_arg(&fd)?), &bufs)
    })
}

unsafe extern "C" fn sock_writev_all(
    _module: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    entry(|py| {
        // SAFETY: CPython's vectorcall arguments, alive for the call.
        let args = unsafe { positional(args, nargs, "_sock_writev_all", 2, 2)? };
        // SAFETY: as above.
        let (fd, bufs) = unsafe { (arg(py, args[0]), arg(py, args[1])) };
        crate::helpers::sock_writev_all(py, &fd, &bufs)
    })
}

/// `fd, buffers, offset, flags=0`, converted in order like Argument Clinic does.
#[inline]
fn positional_args<'a, 'py>(
    py: Python<'py>,
    args: &'a [*mut ffi::PyObject],
) -> PyResult<(CInt, Borrowed<'a, 'py, PyAny>, OffT, CInt)> {
    // SAFETY: CPython's vectorcall arguments (checked count), alive for the call.
    let get = |i: usize| unsafe { arg(py, args[i]) };
    let fd = CInt(c_int_arg(&get(0))?);
    let bufs = get(1);
    let offset = OffT(off_t_arg(&get(2))?);
    let flags = if args.len() > 3 {
        CInt(c_int_arg(&get(3))?)
    } else {
        CInt(0)
    };
    Ok((fd, bufs, offset, flags))
}

unsafe extern "C" fn pwritev(
    _module: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    entry(|py| {
        // SAFETY: CPython's vectorcall arguments, alive for the call.
        let args = unsafe { positional(args, nargs, "pwritev", 3, 4)? };
        let (fd, bufs, offset, flags) = positional_args(py, args)?;
        dropin::pwritev(py, fd, &bufs, offset, flags)
    })
}

unsafe extern "C" fn preadv(
    _module: *mut ffi::PyObject,
    args: *mut *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
) -> *mut ffi::PyObject {
    entry(|py| {
        // SAFETY: CPython's vectorcall arguments, alive for the call.
        let args = unsafe { positional(args, nargs, "preadv", 3, 4)? };
        let (fd, bufs, offset, flags) = positional_args(py, args)?;
        dropin::preadv(py, fd, &bufs, offset, flags)
    })
}

unsafe extern "C" fn writev_all(
    _module: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    entry(|py| {
        // SAFETY: CPython's vectorcall arguments, alive for the call.
        let positional = unsafe { positional(args, nargs, "writev_all", 2, 2)? };
        // SAFETY: the keyword values follow the positional ones in `args` (vectorcall).
        let timeout = unsafe { keyword_timeout(py, args.add(2), kwnames, "writev_all")? };
        // SAFETY: as above.
        let (fd, bufs) = unsafe { (arg(py, positional[0]), arg(py, positional[1])) };
        crate::helpers::writev_all(py, &fd, &bufs, timeout.as_deref())
    })
}

/// The only keyword argument, `timeout`, from a vectorcall's `kwnames` (NULL or a tuple of
/// names) and the values after the positional arguments.
///
/// # Safety
///
/// `values` must point to `len(kwnames)` valid borrowed references.
unsafe fn keyword_timeout<'a, 'py>(
    py: Python<'py>,
    values: *const *mut ffi::PyObject,
    kwnames: *mut ffi::PyObject,
    name: &str,
) -> PyResult<Option<Borrowed<'a, 'py, PyAny>>> {
    if kwnames.is_null() {
        return Ok(None);
    }
    // SAFETY: `kwnames` is a tuple of str (vectorcall contract).
    let names = unsafe { Borrowed::from_ptr(py, kwnames) };
    let names = names.cast::<PyTuple>()?;
    let mut timeout = None;
    for (i, key) in names.iter().enumerate() {
        if key.cast::<PyString>().is_ok_and(|s| s == "timeout") {
            // SAFETY: guaranteed by the caller (`i < len(kwnames)`).
            timeout = Some(unsafe { arg(py, *values.add(i)) });
        } else {
            return Err(PyTypeError::new_err(format!(
                "{name}() got an unexpected keyword argument '{key}'"
            )));
        }
    }
    Ok(timeout)
}

type Fast = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *mut *mut ffi::PyObject,
    ffi::Py_ssize_t,
) -> *mut ffi::PyObject;

/// Name, function, and docstring (with the text signature `inspect` reads).
const FUNCTIONS: [(&CStr, Fast, &CStr); 5] = [
    (
        c"writev",
        writev,
        c"writev($module, fd, buffers, /)\n--\n\n\
Write the bytes-like objects in *buffers* to *fd* with one ``writev(2)`` call.\n\n\
Same as ``os.writev``: returns the number of bytes written, which may be fewer than the\n\
total. *buffers* must be a sequence of bytes-like objects; more than ``IOV_MAX`` (1024)\n\
raises ``OSError(EINVAL)``.",
    ),
    (
        c"readv",
        readv,
        c"readv($module, fd, buffers, /)\n--\n\n\
Read from *fd* into the writable bytes-like objects in *buffers* with one ``readv(2)``.\n\n\
Same as ``os.readv``: fills the buffers in order and returns the number of bytes read\n\
(0 at end of file), which may be fewer than their total size.",
    ),
    (
        c"pwritev",
        pwritev,
        c"pwritev($module, fd, buffers, offset, flags=0, /)\n--\n\n\
Write *buffers* to *fd* at *offset*, leaving the file offset unchanged (``pwritev2(2)``).\n\n\
Same as ``os.pwritev``: *offset* ``-1`` writes at (and advances) the current file offset,\n\
*flags* is a bitwise OR of ``RWF_*`` values; returns the number of bytes written.",
    ),
    (
        c"preadv",
        preadv,
        c"preadv($module, fd, buffers, offset, flags=0, /)\n--\n\n\
Read from *fd* at *offset* into *buffers*, leaving the file offset unchanged\n\
(``preadv2(2)``).\n\n\
Same as ``os.preadv``: *offset* ``-1`` reads at (and advances) the current file offset,\n\
*flags* is a bitwise OR of ``RWF_*`` values; returns the number of bytes read (0 at or\n\
past the end of the file).",
    ),
    (
        c"_sock_writev_all",
        sock_writev_all,
        c"_sock_writev_all($module, fd, buffers, /)\n--\n\n\
Private to ``vectored.asyncio``: ``writev_all(fd, buffers, timeout=0)`` for an *fd* known\n\
to be a stream socket (no test of what it is; a first attempt that is one buffer is one\n\
``send``).",
    ),
];

/// Adds `writev`, `readv`, `pwritev`, `preadv` and `_sock_writev_all` to the module.
pub(crate) fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let module_name = m.name()?;
    for (name, function, doc) in FUNCTIONS {
        // CPython keeps a pointer to the definition for the function's lifetime: it is
        // leaked, once per module initialization (PyO3 initializes a module once).
        let def: &'static mut ffi::PyMethodDef = Box::leak(Box::new(ffi::PyMethodDef {
            ml_name: name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFast: function,
            },
            ml_flags: ffi::METH_FASTCALL,
            ml_doc: doc.as_ptr(),
        }));
        // SAFETY: `def` is a valid, never freed definition; `m` and `module_name` are valid
        // objects. Returns a new reference or NULL with an exception set.
        let func = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                ffi::PyCFunction_NewEx(def, m.as_ptr(), module_name.as_ptr()),
            )?
        };
        let name = name.to_str().unwrap_or_default();
        if name.starts_with('_') {
            // Private: an attribute, not in the module's `__all__` (which `add` extends).
            m.setattr(name, func)?;
        } else {
            m.add(name, func)?;
        }
    }
    // `writev_all`, with its keyword argument.
    let def: &'static mut ffi::PyMethodDef = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"writev_all".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: writev_all,
        },
        ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
        ml_doc: WRITEV_ALL_DOC.as_ptr(),
    }));
    // SAFETY: as above.
    let func = unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            ffi::PyCFunction_NewEx(def, m.as_ptr(), module_name.as_ptr()),
        )?
    };
    m.add("writev_all", func)?;
    Ok(())
}

const WRITEV_ALL_DOC: &CStr = c"writev_all($module, fd, buffers, /, *, timeout=None)\n--\n\n\
Write every byte of *buffers* to *fd*, in order; returns the total.\n\n\
Partial writes are resumed, ``EINTR`` is retried after running signal handlers, any\n\
number of buffers is fine. On a non-blocking *fd* it waits in ``poll`` (as long as\n\
*timeout* seconds allow; for a socket object with no *timeout* given, as long as its own\n\
``gettimeout()`` allows). ``SIGPIPE`` is never raised.";
