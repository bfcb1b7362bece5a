//! Raw `iovec`s over a Python sequence of bytes-like objects, for the drop-ins and the read
//! helpers: exactly what CPython's `iov_setup` builds for `os.writev`/`os.readv`.
//!
//! The iovecs are plain pointers and lengths handed to the kernel: no Rust reference (`&mut
//! [u8]`) is made over the memory, so a writable buffer listed twice (which `os.readv`
//! allows: the later segment wins) never becomes two `&mut` over one region. Callers that
//! need `IoSliceMut`s (the `vectored` loops) first check [`Iovecs::overlapping`].
//!
//! Small lists (up to [`INLINE`] buffers) live on the stack: no allocation at all for the
//! common call. Larger ones are allocated with `try_reserve` up front, as CPython's
//! `PyMem_New`, so a lying `__len__` raises `MemoryError` instead of aborting.

use std::ffi::c_int;
use std::io::IoSliceMut;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use pyo3::exceptions::PyMemoryError;
use pyo3::ffi;
use pyo3::prelude::*;

use crate::buffers::item;

/// Buffers kept on the stack (iovecs, `bytes` references and buffer views each).
pub(crate) const INLINE: usize = 16;

/// `PyBUF_SIMPLE`: a C-contiguous, possibly read-only view of the bytes.
pub(crate) const PYBUF_SIMPLE: c_int = 0;
/// `PyBUF_WRITABLE`: as `PyBUF_SIMPLE`, and the exporter must allow writes.
pub(crate) const PYBUF_WRITABLE: c_int = 0x0001;

/// `MemoryError`, as CPython raises when `PyMem_New` fails.
pub(crate) fn no_memory() -> PyErr {
    PyMemoryError::new_err(())
}

/// Up to `N` values on the stack, or (announced up front) a heap array: never reallocated
/// once the first value is in, so the address of a stored value stays valid while the
/// owner is not moved.
struct Slots<T: Copy, const N: usize> {
    inline: [MaybeUninit<T>; N],
    heap: Vec<T>,
    len: usize,
    on_heap: bool,
}

impl<T: Copy, const N: usize> Slots<T, N> {
    fn new() -> Self {
        Self {
            inline: [const { MaybeUninit::uninit() }; N],
            heap: Vec::new(),
            len: 0,
            on_heap: false,
        }
    }

    /// Room for `capacity` values in all; `MemoryError` if it cannot be allocated.
    fn reserve(&mut self, capacity: usize) -> PyResult<()> {
        if capacity > N && !self.on_heap {
            self.heap
                .try_reserve_exact(capacity)
                .map_err(|_| no_memory())?;
            // SAFETY: the first `len` inline slots are initialized (see `slot`).
            let filled = unsafe { &*(&raw const self.inline[..self.len] as *const [T]) };
            self.heap.extend_from_slice(filled);
            self.on_heap = true;
        }
        Ok(())
    }

    /// The next free slot, uninitialized; call [`Slots::commit`] once it is filled. The
    /// caller must have reserved room for it.
    fn slot(&mut self) -> *mut T {
        if self.on_heap {
            debug_assert!(self.heap.len() < self.heap.capacity());
            self.heap.spare_capacity_mut()[0].as_mut_ptr()
        } else {
            self.inline[self.len].as_mut_ptr()
        }
    }

    /// Marks the slot from [`Slots::slot`] as filled.
    fn commit(&mut self) {
        if self.on_heap {
            let len = self.heap.len() + 1;
            // SAFETY: the caller filled the slot right after the last value (`slot`).
            unsafe { self.heap.set_len(len) };
        }
        self.len += 1;
    }

    fn push(&mut self, value: T) {
        // SAFETY: `slot` points to room for one `T` (the caller reserved it).
        unsafe { self.slot().write(value) };
        self.commit();
    }

    fn as_slice(&self) -> &[T] {
        if self.on_heap {
            &self.heap
        } else {
            // SAFETY: the first `len` inline slots are initialized.
            unsafe { &*(&raw const self.inline[..self.len] as *const [T]) }
        }
    }

    fn as_mut_ptr(&mut self) -> *mut T {
        if self.on_heap {
            self.heap.as_mut_ptr()
        } else {
            self.inline.as_mut_ptr().cast()
        }
    }
}

/// The iovecs of one call and what keeps their memory alive: a strong reference to each
/// exact `bytes` item (immutable, so as good as a view) and a buffer view
/// (`PyObject_GetBuffer`) of every other item, released on drop.
///
/// **Never move an `Iovecs` after the first [`Iovecs::acquire`]**: exporters may point into
/// their `Py_buffer` (it is only used through `&mut` from the frame that created it).
/// It is tied to `Python<'py>` (neither `Send` nor `Ungil`), so the views are released with
/// the thread attached.
pub(crate) struct Iovecs<'py> {
    iov: Slots<libc::iovec, INLINE>,
    refs: Slots<*mut ffi::PyObject, INLINE>,
    views: Slots<ffi::Py_buffer, INLINE>,
    py: PhantomData<Python<'py>>,
}

impl<'py> Iovecs<'py> {
    pub(crate) fn new(_py: Python<'py>) -> Self {
        Self {
            iov: Slots::new(),
            refs: Slots::new(),
            views: Slots::new(),
            py: PhantomData,
        }
    }

    /// Acquires the first `len` items of `seq` in order, readable (`PyBUF_SIMPLE`) or
    /// `writable` (`PyBUF_WRITABLE`: read-only exporters raise `BufferError`, `bytes`
    /// included), as `iov_setup` does: `PySequence_GetItem` then `PyObject_GetBuffer`.
    ///
    /// Room for `len` iovecs is reserved first (`MemoryError` if that fails, before any
    /// item is looked at, like CPython). An item's exception stops the walk; what was
    /// acquired is released on drop.
    pub(crate) fn acquire(
        &mut self,
        seq: &Bound<'py, PyAny>,
        len: usize,
        writable: bool,
    ) -> PyResult<()> {
        self.iov.reserve(len)?;
        let py = seq.py();
        let seq_ptr = seq.as_ptr();
        // SAFETY: `seq` is a valid object; the checks read its type.
        let (list, tuple) = unsafe {
            (
                ffi::PyList_CheckExact(seq_ptr) != 0,
                ffi::PyTuple_CheckExact(seq_ptr) != 0,
            )
        };
        for index in 0..len {
            let at = ffi::Py_ssize_t::try_from(index).unwrap_or(ffi::Py_ssize_t::MAX);
            // A new reference to the item: `PyList_GetItem`/`PyTuple_GetItem` plus an
            // incref is what `PySequence_GetItem` does for these types, minus the dispatch.
            let obj = if list || tuple {
                // SAFETY: `seq` is an exact list (tuple); the result is a borrowed
                // reference, or null with `IndexError` set if the list shrank meanwhile.
                let borrowed = unsafe {
                    if list {
                        ffi::PyList_GetItem(seq_ptr, at)
                    } else {
                        ffi::PyTuple_GetItem(seq_ptr, at)
                    }
                };
                if borrowed.is_null() {
                    return Err(PyErr::fetch(py));
                }
                // SAFETY: `borrowed` is a valid object; we take our own reference.
                unsafe { ffi::Py_INCREF(borrowed) };
                borrowed
            } else {
                item(seq, index)?.into_ptr()
            };
            // SAFETY: `obj` is a valid object we own a reference to.
            if !writable && unsafe { ffi::PyBytes_CheckExact(obj) } != 0 {
                let mut data: *mut std::ffi::c_char = std::ptr::null_mut();
                let mut size: ffi::Py_ssize_t = 0;
                // SAFETY: `obj` is exactly `bytes` and both out-pointers are valid; with a
                // length pointer the call cannot fail.
                unsafe { ffi::PyBytes_AsStringAndSize(obj, &raw mut data, &raw mut size) };
                if let Err(err) = self.refs.reserve(len) {
                    // SAFETY: we own this reference and keep it nowhere.
                    unsafe { ffi::Py_DECREF(obj) };
                    return Err(err);
                }
                // The reference keeps the immutable contents alive until `self` is dropped.
                self.refs.push(obj);
                self.iov.push(libc::iovec {
                    iov_base: data.cast(),
                    iov_len: usize::try_from(size).unwrap_or(0),
                });
                continue;
            }
            let got = self.get_buffer(
                obj,
                if writable {
                    PYBUF_WRITABLE
                } else {
                    PYBUF_SIMPLE
                },
                len,
            );
            // SAFETY: the view (if any) holds its own reference; ours is no longer needed.
            unsafe { ffi::Py_DECREF(obj) };
            let (base, size) = got?;
            self.iov.push(libc::iovec {
                iov_base: base,
                iov_len: size,
            });
        }
        Ok(())
    }

    /// `PyObject_GetBuffer(obj, flags)` into the next view slot.
    fn get_buffer(
        &mut self,
        obj: *mut ffi::PyObject,
        flags: c_int,
        len: usize,
    ) -> PyResult<(*mut std::ffi::c_void, usize)> {
        self.views.reserve(len)?;
        let slot = self.views.slot();
        // SAFETY: `obj` is a valid object and `slot` points to room for one `Py_buffer`,
        // which a successful call fills completely. The slot does not move afterwards
        // (`Slots` never reallocates after `reserve`, and `self` is not moved; see the
        // type's docs).
        if unsafe { ffi::PyObject_GetBuffer(obj, slot, flags) } != 0 {
            // SAFETY: we are attached; an exception is set.
            return Err(PyErr::fetch(unsafe { Python::assume_attached() }));
        }
        self.views.commit();
        // SAFETY: the slot was just filled by the exporter.
        let view = unsafe { &*slot };
        // A view's `len` is never negative; treat a broken exporter's as empty.
        Ok((view.buf, usize::try_from(view.len).unwrap_or(0)))
    }

    /// The iovecs, in order.
    pub(crate) fn as_slice(&self) -> &[libc::iovec] {
        self.iov.as_slice()
    }

    /// A pointer to the first iovec, for the system call.
    pub(crate) fn as_ptr(&mut self) -> *mut libc::iovec {
        self.iov.as_mut_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.iov.len
    }

    /// The total size, saturating (aliased buffers can add up past `usize::MAX`).
    pub(crate) fn total(&self) -> usize {
        self.as_slice()
            .iter()
            .fold(0usize, |sum, v| sum.saturating_add(v.iov_len))
    }

    /// The writable buffers as `IoSliceMut`s for the `vectored` loops, or `None` when two of
    /// them share a byte (a `bytearray` listed twice): `&mut` slices must never alias, so
    /// the caller then reads through a scratch buffer or refuses. `MemoryError` if the list
    /// cannot be had. Only for iovecs acquired `writable`.
    pub(crate) fn disjoint_slices_mut(&self) -> PyResult<Option<Vec<IoSliceMut<'_>>>> {
        if self.overlapping()? {
            return Ok(None);
        }
        let mut slices: Vec<IoSliceMut<'_>> = Vec::new();
        slices
            .try_reserve_exact(self.len())
            .map_err(|_| no_memory())?;
        for v in self.as_slice() {
            let slice: &mut [u8] = if v.iov_len == 0 {
                &mut []
            } else {
                // SAFETY: a writable view held by `self` (alive as long as the returned
                // borrow of `self`) covers `iov_len` bytes at the non-null `iov_base`; no
                // two of these slices overlap (checked just above), and nothing else in
                // Rust accesses the memory while they live (Python code mutating the buffer
                // concurrently is the caller's race, as with `os`).
                unsafe { std::slice::from_raw_parts_mut(v.iov_base.cast::<u8>(), v.iov_len) }
            };
            slices.push(IoSliceMut::new(slice));
        }
        Ok(Some(slices))
    }

    /// Whether any two non-empty buffers share a byte (a writable buffer listed twice, or
    /// two views of one `bytearray`). `MemoryError` if the scratch list cannot be had.
    pub(crate) fn overlapping(&self) -> PyResult<bool> {
        let iov = self.as_slice();
        if iov.len() < 2 {
            return Ok(false);
        }
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        ranges
            .try_reserve_exact(iov.len())
            .map_err(|_| no_memory())?;
        ranges.extend(
            iov.iter()
                .filter(|v| v.iov_len > 0)
                .map(|v| (v.iov_base as usize, v.iov_len)),
        );
        ranges.sort_unstable();
        Ok(ranges
            .windows(2)
            .any(|w| w[0].0.saturating_add(w[0].1) > w[1].0))
    }
}

impl Drop for Iovecs<'_> {
    fn drop(&mut self) {
        let views = self.views.as_mut_ptr();
        for at in 0..self.views.len {
            // SAFETY: each view was filled by a successful `PyObject_GetBuffer` and is
            // released once, in place; the thread is attached (see the type's docs).
            unsafe { ffi::PyBuffer_Release(views.add(at)) };
        }
        for &obj in self.refs.as_slice() {
            // SAFETY: we own one reference to each object; the thread is attached.
            unsafe { ffi::Py_DECREF(obj) };
        }
    }
}
