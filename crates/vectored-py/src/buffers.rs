//! The length of a Python sequence of buffers, as `os.writev`/`os.readv` take it
//! (`iov_setup` in CPython's `posixmodule.c`): `PySequence_Check` then `PySequence_Size`,
//! never iteration, so generators are rejected and `__len__` errors pass through. The items
//! are then acquired by [`crate::iov::Iovecs`].

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;

/// `PySequence_Check` then `PySequence_Size`, with `os`'s message for a non-sequence
/// (`"writev() arg 2 must be a sequence"`; `what` is the function name, e.g. `"writev"`).
#[inline]
pub(crate) fn sequence_len(seq: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    // SAFETY: `seq` is a valid object; the check reads its type.
    if unsafe { ffi::PyList_CheckExact(seq.as_ptr()) } != 0 {
        // An exact list (the common case): its size, which cannot fail or run Python code.
        // Measured (python/benchmarks/count_instructions.py): the generic path below took 49
        // instructions per call, `os.writev`'s `PySequence_Check` + `PySequence_Size` 26.
        // SAFETY: `seq` is an exact list.
        let len = unsafe { ffi::PyList_Size(seq.as_ptr()) };
        // A list's size is never negative.
        return Ok(usize::try_from(len).unwrap_or(0));
    }
    sequence_len_slow(seq, what)
}

/// [`sequence_len`] for anything but an exact list.
#[cold]
#[inline(never)]
fn sequence_len_slow(seq: &Bound<'_, PyAny>, what: &str) -> PyResult<usize> {
    // SAFETY: `seq` is a valid object; the check only reads its type slots.
    if unsafe { ffi::PySequence_Check(seq.as_ptr()) } == 0 {
        return Err(PyTypeError::new_err(format!(
            "{what}() arg 2 must be a sequence"
        )));
    }
    // SAFETY: as above; `__len__` may run Python code, which is fine while attached.
    let len = unsafe { ffi::PySequence_Size(seq.as_ptr()) };
    usize::try_from(len).map_err(|_| PyErr::fetch(seq.py()))
}
