//! The buffer protocol (PEP 3118) as CPython exports it.
//!
//! The limited API declares `Py_buffer`, `PyObject_GetBuffer` and `PyBuffer_Release` only
//! from Python 3.11 on, so `pyo3-ffi` hides them in an `abi3-py39` build. CPython 3.9 and
//! 3.10 export the same functions with the same struct layout (unchanged since 3.3, and
//! frozen by the stable ABI in 3.11), which is what `os.writev` itself uses; this module
//! declares them for every version.

use std::ffi::{c_char, c_int, c_void};

use pyo3::ffi::{PyObject, Py_ssize_t};

/// CPython's `Py_buffer`: one exporter's view of its memory.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct RawBuffer {
    pub(crate) buf: *mut c_void,
    pub(crate) obj: *mut PyObject,
    pub(crate) len: Py_ssize_t,
    itemsize: Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut c_char,
    shape: *mut Py_ssize_t,
    strides: *mut Py_ssize_t,
    suboffsets: *mut Py_ssize_t,
    internal: *mut c_void,
}

/// `PyBUF_SIMPLE`: a C-contiguous, possibly read-only view of the bytes.
pub(crate) const PYBUF_SIMPLE: c_int = 0;
/// `PyBUF_WRITABLE`: as `PyBUF_SIMPLE`, and the exporter must allow writes.
pub(crate) const PYBUF_WRITABLE: c_int = 0x0001;

extern "C" {
    /// Fills `view` from `obj`'s exporter; 0 on success, -1 with an exception set.
    pub(crate) fn PyObject_GetBuffer(
        obj: *mut PyObject,
        view: *mut RawBuffer,
        flags: c_int,
    ) -> c_int;
    /// Releases a view filled by [`PyObject_GetBuffer`] (and the reference it holds).
    pub(crate) fn PyBuffer_Release(view: *mut RawBuffer);
}
