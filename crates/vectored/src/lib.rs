//! Scatter-gather (vectored) I/O done right.
//!
//! One call hands the kernel many buffers (`writev`, `readv`, `pwritev`, `preadv`,
//! `sendmsg`). This crate makes that correct under every partial transfer and fault:
//!
//! - **Loops that finish the job** — [`write_all`], [`write_all_fd`], [`write_all_at`],
//!   [`read_exact`], [`read_exact_fd`], [`read_exact_at`] — resume exactly where a short
//!   transfer stopped, retry `EINTR`, wait for readiness on `EAGAIN` (with an optional
//!   deadline; never sleeping, never spinning), split lists longer than [`IOV_MAX`] and
//!   transfers larger than [`MAX_BYTES_PER_CALL`], and never let `SIGPIPE` kill the process.
//! - **One error type that says how far it got**: every failure is an [`Error`] whose
//!   [`transferred`](Error::transferred) is exactly the number of bytes committed before it.
//! - **Zero copies, caller's slices untouched**: the [`IoCursor`]/[`IoCursorMut`] cursors
//!   walk your `&[IoSlice]` without modifying it, copying data, or allocating.
//! - **An owned queue that coalesces**: [`WriteQueue`] takes chunks of any owned kind, copies
//!   tiny ones into a staging arena and passes large ones by reference, then flushes with as
//!   few system calls as the kernel allows, keeping exactly the unwritten bytes on failure.
//! - **Async**: with the `tokio` feature, the `vectored::tokio` module has the same loops for
//!   `AsyncWrite` and tokio streams, with cancel-safe variants whose progress survives a
//!   timeout.
//! - **Thin syscall wrappers** in [`sys`] for when you want exactly one call.
//!
//! # Examples
//!
//! ```
//! use std::io::IoSlice;
//!
//! let path = std::env::temp_dir().join("vectored-doc-lib");
//! let mut file = std::fs::File::create(&path)?;
//! let header = b"HEADER\n".to_vec();
//! let body: Vec<Vec<u8>> = (0..3000).map(|i| format!("line {i}\n").into_bytes()).collect();
//!
//! // 3001 buffers: more than IOV_MAX, written completely with no copying.
//! let mut bufs = vec![IoSlice::new(&header)];
//! bufs.extend(body.iter().map(|b| IoSlice::new(b)));
//! let n = vectored::write_all(&mut file, &bufs)?;
//!
//! assert_eq!(n as u64, std::fs::metadata(&path)?.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Platforms
//!
//! Linux is the first-class platform: every function is available and tested there.
//! Other Unix systems get everything except [`sys::pwritev2`]/[`sys::preadv2`] (Linux only);
//! there, non-empty [`RwFlags`] make the positional loops fail with `Unsupported`, and pipes
//! are protected from `SIGPIPE` by blocking it for the writing thread. On non-Unix targets
//! only the `std::io` trait loops ([`write_all`], [`read_exact`]) and the cursors exist: the
//! fd-level functions and [`sys`] are not compiled.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs, missing_debug_implementations, unsafe_code)]
#![warn(unreachable_pub)]
#![doc(test(attr(deny(warnings))))]

/// Compiles the items only where the positional calls (`pwritev`, `preadv`) exist: Unix
/// except Haiku, QNX Neutrino, Redox and Solaris. The one copy of that platform list.
macro_rules! cfg_positional {
    ($($item:item)*) => {
        $(
            #[cfg(all(
                unix,
                not(any(
                    target_os = "haiku",
                    target_os = "nto",
                    target_os = "redox",
                    target_os = "solaris"
                ))
            ))]
            #[cfg_attr(docsrs, doc(cfg(unix)))]
            $item
        )*
    };
}

// Layers, each depending only on those above it in this list:
// sys (system calls) -> step (retry policy), fd (options, write mode, waits, sizing)
// -> cursor, queue (pure data) -> driver (the one loop, sync and async)
// -> write_all, read_exact, flush, datagram, tokio (public loops).
mod error;
mod limits;
#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(unix)))]
#[allow(unsafe_code)]
pub mod sys;

#[cfg(unix)]
mod fd;
mod step;

mod copy;
mod cursor;
mod queue;

mod driver;

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub mod datagram;
mod flush;
mod read_exact;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
mod write_all;

pub use cursor::{IoCursor, IoCursorMut, Overrun};
pub use error::{Error, Result};
pub use limits::{IOV_MAX, MAX_BYTES_PER_CALL};
pub use queue::{Chunk, QueueOptions, WriteQueue};
pub use read_exact::read_exact;
pub use write_all::{write_all, write_all_cursor};

#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(unix)))]
pub use {
    fd::{FdOptions, WriteSizing},
    read_exact::{read_exact_fd, read_exact_fd_cursor},
    sys::{readv, sendmsg, writev, FdKind, RwFlags},
    write_all::{write_all_fd, write_all_fd_cursor},
};

cfg_positional! {
    pub use read_exact::read_exact_at;
    pub use sys::{preadv, pwritev};
    pub use write_all::write_all_at;
}

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use sys::{preadv2, pwritev2};

#[cfg(target_os = "linux")]
#[cfg_attr(docsrs, doc(cfg(target_os = "linux")))]
pub use datagram::{
    recv_datagrams, send_datagrams, Datagram, DatagramError, DatagramProgress, DatagramSender,
    Received,
};

/// The Rust examples of the repository's README, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
