//! Acquiring a Python sequence of bytes-like objects, the one way every function of the
//! binding does it: raw `iovec`s for the drop-ins and the loops ([`Iovecs::acquire`],
//! exactly what CPython's `iov_setup` builds for `os.writev`/`os.readv`), or pieces handed
//! to a caller that copies the small ones (`writev_all`'s plan, [`Iovecs::readable`]).
//!
//! The iovecs are plain pointers and lengths handed to the kernel: no Rust reference (`&mut
//! [u8]`) is made over the memory, so a writable buffer listed twice (which `os.readv`
//! allows: the later segment wins) never becomes two `&mut` over one region. Callers that
//! need `IoSliceMut`s (the `vectored` loops) first check [`Iovecs::overlapping`].
//!
//! Small lists (up to [`INLINE`] buffers) live on the stack: no allocation at all for the
//! common call. Larger ones are allocated with `try_reserve` up front, as CPython's
//! `PyMem_New`, so a lying `__len__` raises `MemoryError` instead of aborting.
//!
//! What each item costs (measured with python/benchmarks/count_instructions.py, see
//! docs/bench/python-dropin-instructions-*.txt): one loop per kind of sequence (exact list,
//! exact tuple, other) and direction, so the per-item tests are on constants; an exact
//! `bytes` is held by a reference instead of a view (no `Py_buffer`, no release call); an
//! item borrowed from a list is exported without a reference of ours when its type exports
//! in C (`bytearray`, `memoryview`: no Python code can drop it meanwhile), and a tuple's
//! items never need one (the tuple holds them for the whole call).

use std::ffi::c_int;
use std::io::{IoSlice, IoSliceMut};
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use pyo3::exceptions::PyMemoryError;
use pyo3::ffi;
use pyo3::prelude::*;

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

/// The iovecs of one call and what keeps their memory alive: a strong reference to each
/// exact `bytes` item (immutable, so as good as a view) and a buffer view
/// (`PyObject_GetBuffer`) of every other item, released on drop.
///
/// Up to [`INLINE`] items are kept in arrays inside the value (no allocation for the common
/// call); for more, each array is allocated once with room for every item (the iovecs up
/// front, the references and views on the first item that needs one) and never grows, so
/// nothing stored ever moves.
///
/// **Never move an `Iovecs` after [`Iovecs::acquire`]**: exporters may point into their
/// `Py_buffer` (it is only used through `&mut` from the frame that created it).
/// It is tied to `Python<'py>` (neither `Send` nor `Ungil`), so the views are released with
/// the thread attached.
pub(crate) struct Iovecs<'py> {
    inline_iov: [MaybeUninit<libc::iovec>; INLINE],
    inline_refs: [MaybeUninit<*mut ffi::PyObject>; INLINE],
    inline_views: [MaybeUninit<ffi::Py_buffer>; INLINE],
    /// Used (as raw capacity, never as a `Vec`'s contents) when more than [`INLINE`] items
    /// were announced: see [`Iovecs::spilled`].
    heap_iov: Vec<libc::iovec>,
    heap_refs: Vec<*mut ffi::PyObject>,
    heap_views: Vec<ffi::Py_buffer>,
    /// Whether the arrays are the `heap_*` ones.
    spilled: bool,
    /// Iovecs filled.
    len: usize,
    /// References held (the first `refs` slots).
    refs: usize,
    /// Views held (the first `views` slots).
    views: usize,
    py: PhantomData<Python<'py>>,
}

/// How the items of the sequence are had.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// An exact list: `PyList_GetItem`, a borrowed reference.
    List,
    /// An exact tuple: `PyTuple_GetItem`, a borrowed reference.
    Tuple,
    /// Anything else: `PySequence_GetItem`, a new reference.
    Sequence,
}

impl Walk {
    /// Item `index` of `seq`: borrowed for `List` and `Tuple`, a new reference otherwise;
    /// null with an exception set if there is none.
    ///
    /// # Safety
    ///
    /// `seq` must be a valid object, an exact list for `List` and tuple for `Tuple`.
    #[inline(always)]
    #[allow(clippy::inline_always)] // a single call, in the acquisition loops
    unsafe fn item(self, seq: *mut ffi::PyObject, index: usize) -> *mut ffi::PyObject {
        // `index` is below a length that came from a `Py_ssize_t`.
        #[allow(clippy::cast_possible_wrap)]
        let at = index as ffi::Py_ssize_t;
        // SAFETY: guaranteed by the caller. A list may have shrunk meanwhile (an earlier
        // item's exporter ran Python code): then `IndexError`, as `PySequence_GetItem` says.
        unsafe {
            match self {
                Walk::List => ffi::PyList_GetItem(seq, at),
                Walk::Tuple => ffi::PyTuple_GetItem(seq, at),
                Walk::Sequence => ffi::PySequence_GetItem(seq, at),
            }
        }
    }
}

/// How the items of `seq` are had.
fn walk_of(seq: &Bound<'_, PyAny>) -> Walk {
    let seq = seq.as_ptr();
    // SAFETY: `seq` is a valid object; the checks read its type.
    unsafe {
        if ffi::PyList_CheckExact(seq) != 0 {
            Walk::List
        } else if ffi::PyTuple_CheckExact(seq) != 0 {
            Walk::Tuple
        } else {
            Walk::Sequence
        }
    }
}

/// One item's bytes, as handed out by [`Iovecs::readable`].
pub(crate) enum Piece<'s, 't> {
    /// Valid as long as the [`Iovecs`] borrow `'s`.
    Held(&'s [u8]),
    /// Valid only during the callback; the view is released right after it.
    Transient(&'t [u8]),
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

/// Exports item `obj` of a sequence walked by `walk` into `slot` with `flags`, then gives up
/// `obj`'s reference if `owned` (the view, if any, holds its own).
///
/// A tuple's items live as long as the tuple. `bytearray` and `memoryview` export in C
/// without running Python code, so an item borrowed from a list stays alive through the
/// export without a reference of ours. Any other exporter may run Python code
/// (`__buffer__`) that drops the item from the list: we hold a reference across the export.
///
/// # Safety
///
/// `obj` must be a valid object of type `ty`: a new reference if `owned`, else borrowed from
/// the sequence with no Python code run since. `slot` must point to room for one
/// `Py_buffer`, which a successful call fills.
#[inline(always)]
#[allow(clippy::inline_always)] // in the per-item loops of the acquisitions
unsafe fn export(
    py: Python<'_>,
    obj: *mut ffi::PyObject,
    owned: bool,
    walk: Walk,
    ty: *mut ffi::PyTypeObject,
    slot: *mut ffi::Py_buffer,
    flags: std::ffi::c_int,
) -> PyResult<()> {
    let plain = walk == Walk::Tuple
        || ty == (&raw mut ffi::PyByteArray_Type)
        || ty == (&raw mut ffi::PyMemoryView_Type);
    if !owned && !plain {
        // SAFETY: `obj` is valid (the caller's promise).
        unsafe { ffi::Py_INCREF(obj) };
    }
    // SAFETY: `obj` is valid and `slot` points to room for one `Py_buffer` (the caller's
    // promise).
    let failed = unsafe { ffi::PyObject_GetBuffer(obj, slot, flags) } != 0;
    if owned || !plain {
        // SAFETY: the view (if any) holds its own reference; ours is not needed.
        unsafe { ffi::Py_DECREF(obj) };
    }
    if failed {
        Err(PyErr::fetch(py))
    } else {
        Ok(())
    }
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

impl<'py> Iovecs<'py> {
    #[inline]
    pub(crate) fn new(_py: Python<'py>) -> Self {
        Self {
            inline_iov: [const { MaybeUninit::uninit() }; INLINE],
            inline_refs: [const { MaybeUninit::uninit() }; INLINE],
            inline_views: [const { MaybeUninit::uninit() }; INLINE],
            heap_iov: Vec::new(),
            heap_refs: Vec::new(),
            heap_views: Vec::new(),
            spilled: false,
            len: 0,
            refs: 0,
            views: 0,
            py: PhantomData,
        }
    }

    /// Acquires the first `len` items of `seq` in order, readable (`PyBUF_SIMPLE`) or
    /// `writable` (`PyBUF_WRITABLE`: read-only exporters raise `BufferError`, `bytes`
    /// included), as `iov_setup` does: `PySequence_GetItem` then `PyObject_GetBuffer`.
    /// Call it once per `Iovecs`.
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
        debug_assert_eq!(self.len, 0, "acquire is called once");
        if len > INLINE {
            self.heap_iov
                .try_reserve_exact(len)
                .map_err(|_| no_memory())?;
            self.spilled = true;
        }
        let walk = walk_of(seq);
        // One copy of the loop per case, so that the per-item tests are on constants.
        match (walk, writable) {
            (Walk::List, false) => self.fill::<false>(seq, len, Walk::List),
            (Walk::List, true) => self.fill::<true>(seq, len, Walk::List),
            (Walk::Tuple, false) => self.fill::<false>(seq, len, Walk::Tuple),
            (Walk::Tuple, true) => self.fill::<true>(seq, len, Walk::Tuple),
            (Walk::Sequence, false) => self.fill::<false>(seq, len, Walk::Sequence),
            (Walk::Sequence, true) => self.fill::<true>(seq, len, Walk::Sequence),
        }
    }

    /// The loop of [`Iovecs::acquire`].
    #[inline(always)]
    #[allow(clippy::inline_always)] // measured: one specialized loop per case (see `acquire`)
    fn fill<const WRITABLE: bool>(
        &mut self,
        seq: &Bound<'py, PyAny>,
        len: usize,
        walk: Walk,
    ) -> PyResult<()> {
        let py = seq.py();
        let seq_ptr = seq.as_ptr();
        let iov = self.iov_ptr();
        let flags = if WRITABLE {
            PYBUF_WRITABLE
        } else {
            PYBUF_SIMPLE
        };
        // The reference and view arrays, had on first use.
        let mut refs: *mut *mut ffi::PyObject = std::ptr::null_mut();
        let mut views: *mut ffi::Py_buffer = std::ptr::null_mut();
        for index in 0..len {
            // SAFETY: `seq` is an exact list (tuple) for `List` (`Tuple`).
            let obj = unsafe { walk.item(seq_ptr, index) };
            if obj.is_null() {
                return Err(PyErr::fetch(py));
            }
            let owned = walk == Walk::Sequence;
            // SAFETY: `obj` is a valid object; this reads its type.
            let ty = unsafe { ffi::Py_TYPE(obj) };
            let (base, size) = if !WRITABLE && ty == (&raw mut ffi::PyBytes_Type) {
                // The contents are immutable and live as long as the object: an item of a
                // tuple (which the caller's arguments hold) needs nothing more; any other
                // needs a reference of ours, as the list may be changed while the GIL is
                // released.
                if walk != Walk::Tuple {
                    if refs.is_null() {
                        // SAFETY: `obj` is valid, and ours (kept nowhere) when `owned`.
                        refs = unsafe { release_on_error(self.refs_ptr(len), obj, owned) }?;
                    }
                    if !owned {
                        // SAFETY: `obj` is valid (nothing ran since the list handed it
                        // out); the reference is ours from now on.
                        unsafe { ffi::Py_INCREF(obj) };
                    }
                    // SAFETY: slot `self.refs < len` of an array with room for `len`.
                    unsafe { refs.add(self.refs).write(obj) };
                    self.refs += 1;
                }
                let mut data: *mut std::ffi::c_char = std::ptr::null_mut();
                let mut size: ffi::Py_ssize_t = 0;
                // SAFETY: `obj` is exactly `bytes` and both out-pointers are valid; with a
                // length pointer the call cannot fail.
                unsafe { ffi::PyBytes_AsStringAndSize(obj, &raw mut data, &raw mut size) };
                (data.cast(), usize::try_from(size).unwrap_or(0))
            } else {
                if views.is_null() {
                    // SAFETY: `obj` is valid, and ours (kept nowhere) when `owned`.
                    views = unsafe { release_on_error(self.views_ptr(len), obj, owned) }?;
                }
                // SAFETY: slot `self.views < len` of an array with room for `len`, which a
                // successful call fills completely; it never moves afterwards (the arrays
                // never grow, and `self` is not moved: see the type's docs).
                let slot = unsafe { views.add(self.views) };
                // SAFETY: `obj` is valid (nothing ran since the sequence handed it out) and
                // `slot` points to room for one `Py_buffer`.
                unsafe { export(py, obj, owned, walk, ty, slot, flags) }?;
                self.views += 1;
                // SAFETY: the slot was just filled by the exporter.
                let view = unsafe { &*slot };
                // A view's `len` is never negative; treat a broken exporter's as empty.
                (view.buf, usize::try_from(view.len).unwrap_or(0))
            };
            // SAFETY: slot `index < len` of the iovec array, which has room for `len`.
            unsafe {
                iov.add(index).write(libc::iovec {
                    iov_base: base,
                    iov_len: size,
                });
            }
            self.len = index + 1;
        }
        Ok(())
    }

    /// Read-only views of the first `len` items of `seq` (`PyBUF_SIMPLE`, for the write
    /// loops), passed to `each` in order; no iovecs are laid out.
    ///
    /// Items shorter than `transient_below` bytes come as [`Piece::Transient`]: valid only
    /// during the call of `each`, after which their view (if any) is released at once, for a
    /// caller that copies them. Longer ones are [`Piece::Held`] until `self` is dropped.
    ///
    /// `each` must not call into Python: a transient piece may be the contents of an item
    /// borrowed from the list without a reference or a view of its own (an exact `bytes` or
    /// `bytearray`, read in place while nothing can change it).
    pub(crate) fn readable<'s>(
        &'s mut self,
        seq: &Bound<'py, PyAny>,
        len: usize,
        transient_below: usize,
        mut each: impl for<'t> FnMut(Piece<'s, 't>),
    ) -> PyResult<()> {
        debug_assert_eq!(self.len + self.refs + self.views, 0, "one acquisition");
        self.spilled = len > INLINE;
        match walk_of(seq) {
            Walk::List => self.read_items(seq, len, transient_below, &mut each, Walk::List),
            Walk::Tuple => self.read_items(seq, len, transient_below, &mut each, Walk::Tuple),
            Walk::Sequence => self.read_items(seq, len, transient_below, &mut each, Walk::Sequence),
        }
    }

    /// The loop of [`Iovecs::readable`].
    #[inline(always)]
    #[allow(clippy::inline_always)] // one specialized loop per case (see `acquire`)
    #[allow(clippy::too_many_lines)] // one item's cases, in order
    fn read_items<'s>(
        &'s mut self,
        seq: &Bound<'py, PyAny>,
        len: usize,
        transient_below: usize,
        each: &mut impl for<'t> FnMut(Piece<'s, 't>),
        walk: Walk,
    ) -> PyResult<()> {
        let py = seq.py();
        let mut refs: *mut *mut ffi::PyObject = std::ptr::null_mut();
        let mut views: *mut ffi::Py_buffer = std::ptr::null_mut();
        for index in 0..len {
            // SAFETY: as in `fill`.
            let obj = unsafe { walk.item(seq.as_ptr(), index) };
            if obj.is_null() {
                return Err(PyErr::fetch(py));
            }
            let owned = walk == Walk::Sequence;
            // SAFETY: `obj` is a valid object; this reads its type.
            let ty = unsafe { ffi::Py_TYPE(obj) };
            if ty == (&raw mut ffi::PyBytes_Type) {
                // SAFETY: `obj` is exact `bytes`, alive while the sequence (or our reference)
                // holds it, which it does until Python code runs again.
                let bytes = unsafe { bytes_contents(obj) };
                if bytes.len() < transient_below {
                    each(Piece::Transient(bytes));
                    if owned {
                        // SAFETY: we own this reference and keep it nowhere.
                        unsafe { ffi::Py_DECREF(obj) };
                    }
                    continue;
                }
                if walk != Walk::Tuple {
                    if refs.is_null() {
                        refs = self.refs_ptr(len).inspect_err(|_| {
                            if owned {
                                // SAFETY: we own this reference and keep it nowhere.
                                unsafe { ffi::Py_DECREF(obj) };
                            }
                        })?;
                    }
                    if !owned {
                        // SAFETY: `obj` is valid; the reference is ours from now on.
                        unsafe { ffi::Py_INCREF(obj) };
                    }
                    // SAFETY: slot `self.refs < len` of an array with room for `len`.
                    unsafe { refs.add(self.refs).write(obj) };
                    self.refs += 1;
                }
                // SAFETY: the reference in `refs` (or the tuple, for the whole call) keeps
                // the immutable contents alive until `self` is dropped, which cannot
                // happen while the `'s` borrow of `self` lasts.
                each(Piece::Held(unsafe { extend(bytes) }));
                continue;
            }
            if ty == (&raw mut ffi::PyByteArray_Type) {
                // SAFETY: `obj` is exact `bytearray`; both calls only read its fields.
                let (data, size) =
                    unsafe { (ffi::PyByteArray_AsString(obj), ffi::PyByteArray_Size(obj)) };
                let size = usize::try_from(size).unwrap_or(0);
                if size < transient_below {
                    // A small one is copied right away, before any Python code could resize
                    // it: no export is needed (measured, the view's acquisition and release
                    // were 90 of about 260 instructions per 100-byte `bytearray`).
                    // SAFETY: the storage holds `size` bytes and stays as it is until Python
                    // code runs, which `each` does not do.
                    each(Piece::Transient(unsafe { raw_slice(data.cast(), size) }));
                    if owned {
                        // SAFETY: we own this reference and keep it nowhere.
                        unsafe { ffi::Py_DECREF(obj) };
                    }
                    continue;
                }
            }
            if views.is_null() {
                views = self.views_ptr(len).inspect_err(|_| {
                    if owned {
                        // SAFETY: we own this reference and keep it nowhere.
                        unsafe { ffi::Py_DECREF(obj) };
                    }
                })?;
            }
            // SAFETY: slot `self.views < len` of an array with room for `len`, which never
            // moves (see `fill`).
            let slot = unsafe { views.add(self.views) };
            // SAFETY: `obj` is valid (nothing ran since the sequence handed it out) and
            // `slot` points to room for one `Py_buffer`.
            unsafe { export(py, obj, owned, walk, ty, slot, PYBUF_SIMPLE) }?;
            // SAFETY: the slot was just filled by the exporter.
            let (data, size) = unsafe { ((*slot).buf, usize::try_from((*slot).len).unwrap_or(0)) };
            if size < transient_below {
                // SAFETY: the view just acquired covers `size` bytes at `data`; it is
                // released right after `each` returns.
                each(Piece::Transient(unsafe { raw_slice(data.cast(), size) }));
                // SAFETY: filled by a successful `PyObject_GetBuffer`, released once (the
                // slot is not counted in `self.views`, so not again on drop).
                unsafe { ffi::PyBuffer_Release(slot) };
                continue;
            }
            self.views += 1;
            // SAFETY: the view covers `size` bytes at `data` and is released only when
            // `self` is dropped, which cannot happen while the `'s` borrow of `self` lasts.
            each(Piece::Held(unsafe { raw_slice(data.cast(), size) }));
        }
        Ok(())
    }

    /// The iovecs as `IoSlice`s for the `vectored` loops (`MemoryError` if the list cannot
    /// be had).
    pub(crate) fn io_slices(&self) -> PyResult<Vec<IoSlice<'_>>> {
        let mut slices: Vec<IoSlice<'_>> = Vec::new();
        slices
            .try_reserve_exact(self.len)
            .map_err(|_| no_memory())?;
        for v in self.as_slice() {
            // SAFETY: a view (or `bytes`) held by `self`, alive as long as the returned
            // borrow, covers `iov_len` bytes at `iov_base`; shared slices may alias.
            slices.push(IoSlice::new(unsafe {
                raw_slice(v.iov_base.cast_const().cast(), v.iov_len)
            }));
        }
        Ok(slices)
    }

    /// The iovec array: room for every announced item.
    #[inline]
    fn iov_ptr(&mut self) -> *mut libc::iovec {
        if self.spilled {
            self.heap_iov.as_mut_ptr()
        } else {
            self.inline_iov.as_mut_ptr().cast()
        }
    }

    /// The reference array, with room for `len` (`MemoryError` if it cannot be had).
    #[inline]
    fn refs_ptr(&mut self, len: usize) -> PyResult<*mut *mut ffi::PyObject> {
        if !self.spilled {
            return Ok(self.inline_refs.as_mut_ptr().cast());
        }
        self.heap_refs_ptr(len)
    }

    /// [`Iovecs::refs_ptr`] on the heap.
    #[cold]
    fn heap_refs_ptr(&mut self, len: usize) -> PyResult<*mut *mut ffi::PyObject> {
        if self.heap_refs.capacity() < len {
            self.heap_refs
                .try_reserve_exact(len)
                .map_err(|_| no_memory())?;
        }
        Ok(self.heap_refs.as_mut_ptr())
    }

    /// The view array, with room for `len` (`MemoryError` if it cannot be had).
    #[inline]
    fn views_ptr(&mut self, len: usize) -> PyResult<*mut ffi::Py_buffer> {
        if !self.spilled {
            return Ok(self.inline_views.as_mut_ptr().cast());
        }
        self.heap_views_ptr(len)
    }

    /// [`Iovecs::views_ptr`] on the heap.
    #[cold]
    fn heap_views_ptr(&mut self, len: usize) -> PyResult<*mut ffi::Py_buffer> {
        if self.heap_views.capacity() < len {
            self.heap_views
                .try_reserve_exact(len)
                .map_err(|_| no_memory())?;
        }
        Ok(self.heap_views.as_mut_ptr())
    }

    /// The iovecs, in order.
    pub(crate) fn as_slice(&self) -> &[libc::iovec] {
        let base: *const libc::iovec = if self.spilled {
            self.heap_iov.as_ptr()
        } else {
            self.inline_iov.as_ptr().cast()
        };
        // SAFETY: the first `len` iovecs are initialized (`fill`).
        unsafe { std::slice::from_raw_parts(base, self.len) }
    }

    /// A pointer to the first iovec, for the system call.
    pub(crate) fn as_ptr(&mut self) -> *mut libc::iovec {
        self.iov_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
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
        let (views, refs): (*mut ffi::Py_buffer, *const *mut ffi::PyObject) = if self.spilled {
            (self.heap_views.as_mut_ptr(), self.heap_refs.as_ptr())
        } else {
            (
                self.inline_views.as_mut_ptr().cast(),
                self.inline_refs.as_ptr().cast(),
            )
        };
        for at in 0..self.views {
            // SAFETY: each of the first `views` slots was filled by a successful
            // `PyObject_GetBuffer` and is released once, in place; the thread is attached
            // (see the type's docs).
            unsafe { ffi::PyBuffer_Release(views.add(at)) };
        }
        for at in 0..self.refs {
            // SAFETY: we own one reference to each of the first `refs` objects; the thread
            // is attached.
            unsafe { ffi::Py_DECREF(*refs.add(at)) };
        }
    }
}
/// `result`; on an error, first drops the reference to `obj` if it is ours (`owned`), as
/// every early return of the acquisition loop must.
///
/// # Safety
///
/// `obj` must be a valid object, and when `owned` a reference the caller holds and keeps
/// nowhere else.
#[inline]
unsafe fn release_on_error<T>(
    result: PyResult<T>,
    obj: *mut ffi::PyObject,
    owned: bool,
) -> PyResult<T> {
    if result.is_err() && owned {
        // SAFETY: guaranteed by the caller: the reference is ours and kept nowhere.
        unsafe { ffi::Py_DECREF(obj) };
    }
    result
}
