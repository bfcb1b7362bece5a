//! Turning a Python sequence of bytes-like objects into `IoSlice`s without copying, exactly
//! as `os.writev`/`os.readv` do (`iov_setup` in CPython's `posixmodule.c`).
//!
//! The sequence is walked with `PySequence_Check`, `PySequence_Size` and `PySequence_GetItem`
//! in that order (never iterated, so generators are rejected and `__len__`/`__getitem__`
//! errors pass through), and every item is acquired with `PyObject_GetBuffer` (`PyBUF_SIMPLE`
//! for writes, `PyBUF_WRITABLE` for reads) before any system call. The views are held in a
//! [`Held`] until it is dropped, so they stay valid while the GIL is released and exporters
//! keep refusing to resize (`BufferError`) during the call.

use std::ffi::c_int;
use std::io::IoSlice;
use std::marker::PhantomData;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::iov::{no_memory, PYBUF_SIMPLE};

type RawBuffer = ffi::Py_buffer;

/// One item's bytes, as handed out by [`Held::readable`].
pub(crate) enum Piece<'s, 't> {
    /// Valid as long as the [`Held`] borrow `'s`.
    Held(&'s [u8]),
    /// Valid only during the callback; the view is released right after it.
    Transient(&'t [u8]),
}

/// Buffer views (and references) acquired from Python objects, released on drop.
///
/// The slices handed out borrow `self` for as long as they live, so they cannot outlive the
/// views. `Held` is tied to `Python<'py>` (it is neither `Send` nor `Ungil`), so it is
/// dropped, and the views released, with the thread attached to the interpreter.
pub(crate) struct Held<'py> {
    /// Exact `bytes` objects, held by a strong reference instead of a view (see
    /// [`Held::readable`]).
    objects: Vec<*mut ffi::PyObject>,
    /// Views from `PyObject_GetBuffer`, each released with `PyBuffer_Release`. Allocated on
    /// the first non-`bytes` item with room for all the items, so a view never moves after
    /// its exporter filled it.
    views: Vec<RawBuffer>,
    /// Items announced to [`Held::new`].
    capacity: usize,
    py: PhantomData<Python<'py>>,
}

impl<'py> Held<'py> {
    /// Room for `capacity` items; more can be added, at the cost of moving the views.
    pub(crate) fn new(_py: Python<'py>, capacity: usize) -> Self {
        Self {
            objects: Vec::new(),
            views: Vec::new(),
            capacity,
            py: PhantomData,
        }
    }

    /// Read-only views of the first `len` items of `seq` (`PyBUF_SIMPLE`, for the write
    /// calls), passed to `each` in order.
    ///
    /// Items shorter than `transient_below` bytes come as [`Piece::Transient`]: valid only
    /// during the call of `each`, after which their view (or reference) is released at once,
    /// for a caller that copies them. Longer ones are [`Piece::Held`] until `self` is dropped.
    ///
    /// `each` must not call into Python: a transient piece of an exact list or tuple may be
    /// borrowed from the sequence without a reference of its own (see below).
    ///
    /// An exact `bytes` object is held by reference rather than through the buffer protocol:
    /// its contents are immutable and live as long as the object, and `bytes` has no
    /// `bf_releasebuffer`, so this is what `PyObject_GetBuffer` would give, minus 72 bytes
    /// of `Py_buffer` per item.
    pub(crate) fn readable<'s>(
        &'s mut self,
        seq: &Bound<'py, PyAny>,
        len: usize,
        transient_below: usize,
        mut each: impl for<'t> FnMut(Piece<'s, 't>),
    ) -> PyResult<()> {
        // SAFETY: `seq` is a valid object; the checks read its type.
        let (list, tuple) = unsafe {
            (
                ffi::PyList_CheckExact(seq.as_ptr()) != 0,
                ffi::PyTuple_CheckExact(seq.as_ptr()) != 0,
            )
        };
        for index in 0..len {
            // The items of an exact list or tuple are read without a reference first: most
            // are exact `bytes`, and a small one is copied before any Python code can run
            // (nothing below calls back into Python for `bytes`), so it needs no reference at
            // all. `PyList_GetItem` is what `PySequence_GetItem` does for these types.
            let item = if list || tuple {
                let at = ffi::Py_ssize_t::try_from(index).unwrap_or(ffi::Py_ssize_t::MAX);
                // SAFETY: `seq` is an exact list (tuple); the result is a borrowed reference,
                // or null with `IndexError` set if the list shrank meanwhile.
                let borrowed = unsafe {
                    if list {
                        ffi::PyList_GetItem(seq.as_ptr(), at)
                    } else {
                        ffi::PyTuple_GetItem(seq.as_ptr(), at)
                    }
                };
                if borrowed.is_null() {
                    return Err(PyErr::fetch(seq.py()));
                }
                // SAFETY: `borrowed` is a valid object; the check reads its type.
                if unsafe { ffi::PyBytes_CheckExact(borrowed) } != 0 {
                    // SAFETY: `borrowed` is exact `bytes`, alive while the sequence holds it,
                    // which it does until Python code runs again.
                    let bytes = unsafe { bytes_contents(borrowed) };
                    if bytes.len() < transient_below {
                        each(Piece::Transient(bytes));
                    } else {
                        self.reserve_objects()?;
                        // SAFETY: `borrowed` is a valid object; we take our own reference.
                        unsafe { ffi::Py_IncRef(borrowed) };
                        self.hold_object(borrowed);
                        // SAFETY: the reference just stored in `self.objects` keeps the
                        // immutable contents alive until `self` is dropped, which cannot
                        // happen while the `'s` borrow of `self` lasts.
                        each(Piece::Held(unsafe { extend(bytes) }));
                    }
                    continue;
                }
                // SAFETY: `borrowed` is a valid object; this takes a new reference to it.
                unsafe { Bound::from_borrowed_ptr(seq.py(), borrowed) }
            } else {
                item(seq, index)?
            };
            let obj = item.as_ptr();
            // SAFETY: `obj` is a valid object (we own a reference); the check reads its type.
            if unsafe { ffi::PyBytes_CheckExact(obj) } != 0 {
                // SAFETY: `obj` is exact `bytes`, alive as long as `item`.
                let bytes = unsafe { bytes_contents(obj) };
                if bytes.len() < transient_below {
                    each(Piece::Transient(bytes));
                    continue;
                }
                self.reserve_objects()?;
                self.hold_object(item.into_ptr());
                // SAFETY: the reference now in `self.objects` keeps the immutable contents
                // alive until `self` is dropped, which cannot happen while the `'s` borrow
                // of `self` lasts.
                each(Piece::Held(unsafe { extend(bytes) }));
            } else {
                let (data, size) = self.get_buffer(&item, PYBUF_SIMPLE)?;
                if size < transient_below {
                    // SAFETY: the view just acquired covers `size` bytes at `data`; it is
                    // released right after `each` returns.
                    each(Piece::Transient(unsafe { raw_slice(data, size) }));
                    self.release_last();
                    continue;
                }
                // SAFETY: the view just acquired covers `size` bytes at `data` and is
                // released only when `self` is dropped, which cannot happen while the `'s`
                // borrow of `self` lasts.
                each(Piece::Held(unsafe { raw_slice(data, size) }));
            }
        }
        Ok(())
    }

    /// Room for the references of every item (`MemoryError` if it cannot be had).
    fn reserve_objects(&mut self) -> PyResult<()> {
        if self.objects.capacity() == 0 {
            self.objects
                .try_reserve_exact(self.capacity.max(1))
                .map_err(|_| no_memory())?;
        }
        Ok(())
    }

    /// Keeps a strong reference (already counted) to an exact `bytes` object; room was
    /// reserved by [`Held::reserve_objects`].
    fn hold_object(&mut self, obj: *mut ffi::PyObject) {
        self.objects.push(obj);
    }

    /// Read-only slices of the first `len` items of `seq`, in order.
    pub(crate) fn gather<'s>(
        &'s mut self,
        seq: &Bound<'py, PyAny>,
        len: usize,
    ) -> PyResult<Vec<IoSlice<'s>>> {
        let mut slices = Vec::new();
        slices.try_reserve_exact(len).map_err(|_| no_memory())?;
        self.readable(seq, len, 0, |piece| {
            if let Piece::Held(bytes) = piece {
                slices.push(IoSlice::new(bytes));
            }
        })?;
        Ok(slices)
    }

    /// `PyObject_GetBuffer(item, flags)` into the next free slot of `views`.
    fn get_buffer(&mut self, item: &Bound<'py, PyAny>, flags: c_int) -> PyResult<(*mut u8, usize)> {
        if self.views.capacity() == 0 {
            self.views
                .try_reserve_exact(self.capacity.max(1))
                .map_err(|_| no_memory())?;
        }
        self.views.try_reserve(1).map_err(|_| no_memory())?; // a no-op within the capacity
        let slot = self
            .views
            .spare_capacity_mut()
            .as_mut_ptr()
            .cast::<RawBuffer>();
        // SAFETY: `item` is a valid object and `slot` points to uninitialized memory for one
        // `RawBuffer` (the `Py_buffer` layout), which the call fills completely on success.
        if unsafe { ffi::PyObject_GetBuffer(item.as_ptr(), slot, flags) } != 0 {
            return Err(PyErr::fetch(item.py()));
        }
        let filled = self.views.len() + 1;
        // SAFETY: the successful call above initialized the slot right after the last view.
        unsafe { self.views.set_len(filled) };
        let view = &self.views[filled - 1];
        // A view's `len` is never negative; treat a broken exporter's as empty.
        let len = usize::try_from(view.len).unwrap_or(0);
        Ok((view.buf.cast(), len))
    }
}

impl Held<'_> {
    /// Releases the view acquired last (a transient one).
    fn release_last(&mut self) {
        if let Some(last) = self.views.len().checked_sub(1) {
            // SAFETY: the view was filled by a successful `PyObject_GetBuffer`; it is released
            // in place and then dropped from the list, so exactly once.
            unsafe {
                ffi::PyBuffer_Release(&raw mut self.views[last]);
                self.views.set_len(last);
            }
        }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        for view in &mut self.views {
            // SAFETY: each view was filled by a successful `PyObject_GetBuffer` and is
            // released once; the thread is attached (`Held` cannot leave the attached
            // thread, see the type's docs).
            unsafe { ffi::PyBuffer_Release(view) };
        }
        for &obj in &self.objects {
            // SAFETY: we own one reference to each object; the thread is attached.
            unsafe { ffi::Py_DECREF(obj) };
        }
    }
}

/// The contents of an exact `bytes` object.
///
/// # Safety
///
/// `obj` must be an exact `bytes` object that outlives `'a`.
unsafe fn bytes_contents<'a>(obj: *mut ffi::PyObject) -> &'a [u8] {
    let mut data: *mut std::ffi::c_char = std::ptr::null_mut();
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `obj` is exactly `bytes` (the caller's promise) and both out-pointers are
    // valid; with a length pointer the call cannot fail.
    unsafe { ffi::PyBytes_AsStringAndSize(obj, &raw mut data, &raw mut size) };
    // SAFETY: a `bytes` object's storage holds `size` bytes and lives as long as the object.
    unsafe { raw_slice(data.cast_const().cast(), usize::try_from(size).unwrap_or(0)) }
}

/// Widens the lifetime of a slice whose memory the caller keeps alive for `'b`.
///
/// # Safety
///
/// The memory must stay valid and unchanged for `'b`.
unsafe fn extend<'b>(bytes: &[u8]) -> &'b [u8] {
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) }
}

/// `&[u8]` from a view's pointer and length; an empty slice for a zero length, where
/// exporters may report a null pointer.
///
/// # Safety
///
/// For a non-zero `len`, `ptr` must be valid for reads of `len` bytes for `'a`.
unsafe fn raw_slice<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

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

/// `PySequence_GetItem(seq, index)`: a new reference, or the exception `__getitem__` raised.
pub(crate) fn item<'py>(seq: &Bound<'py, PyAny>, index: usize) -> PyResult<Bound<'py, PyAny>> {
    // `index` comes from `0..sequence_len(..)`, which fits `Py_ssize_t`.
    let index = ffi::Py_ssize_t::try_from(index).unwrap_or(ffi::Py_ssize_t::MAX);
    // SAFETY: `seq` is a valid object; the result is a new reference or null with an
    // exception set, which `from_owned_ptr_or_err` turns into the `PyErr`.
    unsafe { Bound::from_owned_ptr_or_err(seq.py(), ffi::PySequence_GetItem(seq.as_ptr(), index)) }
}
