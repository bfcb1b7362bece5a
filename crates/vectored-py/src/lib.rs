//! `vectored._vectored`: the Python binding of `vectored`.
//!
//! Glue only: it converts arguments, releases the GIL around blocking calls and maps errors;
//! the I/O is done by the `vectored` crate. The Python package (`python/vectored`) re-exports
//! everything, and `_vectored.pyi` documents it for Python users.
//!
//! - `dropin`: `writev`, `readv`, `pwritev`, `preadv` with exactly `os`'s semantics, over
//!   raw iovecs (`iov`), registered as `METH_FASTCALL` functions (`fast`).
//! - `helpers`: `writev_all`, `pwritev_all`, `readv_exact`, `preadv_exact`.
//!
//! Built for the stable ABI of CPython 3.11+ (`abi3-py311`): the buffer protocol is in the
//! limited API from 3.11 and `METH_FASTCALL` from 3.10 (see python/README.md).
//!
//! Buffers are not copied on the way in: each item's buffer (`PyObject_GetBuffer`) is held
//! across the system call with the GIL released, as `os.writev` does. The one exception is
//! `writev_all`, which coalesces buffers under 512 bytes (see `plan`). As with `os.writev`, a
//! buffer mutated by another thread during the call is written in an unspecified state.
#![warn(unreachable_pub)]
// "CPython", "PyPy" and friends are names in prose, not code to put in backticks.
#![allow(clippy::doc_markdown)]

mod args;
mod buffers;
#[cfg(target_os = "linux")]
mod datagrams;
mod dropin;
mod errors;
mod fast;
mod helpers;
mod iov;
mod plan;

use pyo3::prelude::*;

/// The `RWF_*` flags of `pwritev2`/`preadv2`, with the values `os` gives them. The kernel
/// decides which it supports (unknown ones fail with `EOPNOTSUPP`).
#[cfg(target_os = "linux")]
const RWF_FLAGS: [(&str, vectored::RwFlags); 8] = {
    use vectored::RwFlags;
    [
        ("RWF_HIPRI", RwFlags::HIPRI),
        ("RWF_DSYNC", RwFlags::DSYNC),
        ("RWF_SYNC", RwFlags::SYNC),
        ("RWF_NOWAIT", RwFlags::NOWAIT),
        ("RWF_APPEND", RwFlags::APPEND),
        ("RWF_ATOMIC", RwFlags::ATOMIC),
        ("RWF_DONTCACHE", RwFlags::DONTCACHE),
        ("RWF_NOSIGNAL", RwFlags::NOSIGNAL),
    ]
};

/// Scatter-gather I/O: drop-in ``os.writev``/``readv``/``pwritev``/``preadv`` and loops that
/// transfer everything.
#[pymodule]
fn _vectored(m: &Bound<'_, PyModule>) -> PyResult<()> {
    fast::add(m)?;
    m.add_function(wrap_pyfunction!(helpers::readv_exact, m)?)?;
    m.add_function(wrap_pyfunction!(helpers::pwritev_all, m)?)?;
    m.add_function(wrap_pyfunction!(helpers::preadv_exact, m)?)?;
    #[cfg(target_os = "linux")]
    {
        m.add_function(wrap_pyfunction!(datagrams::send_datagrams, m)?)?;
        m.add_function(wrap_pyfunction!(datagrams::recv_datagrams, m)?)?;
    }
    m.add(
        "IncompleteReadError",
        m.py().get_type::<errors::IncompleteReadError>(),
    )?;
    m.add("IOV_MAX", vectored::IOV_MAX)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    #[cfg(target_os = "linux")]
    for (name, flag) in RWF_FLAGS {
        m.add(name, flag.bits())?;
    }
    Ok(())
}
