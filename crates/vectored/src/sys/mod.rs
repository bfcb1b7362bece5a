//! Thin, safe wrappers over the vectored system calls: one function per call, no retries.
//!
//! Each wrapper makes exactly one system call (on Apple platforms, [`sendmsg`] also blocks
//! `SIGPIPE` for the calling thread around it, as they lack `MSG_NOSIGNAL`). Each one passes
//! at most [`IOV_MAX`](crate::IOV_MAX) buffers and at most
//! [`MAX_BYTES_PER_CALL`](crate::MAX_BYTES_PER_CALL) bytes: longer lists are cut to a prefix
//! of whole buffers, and a first buffer longer than the byte limit is offered in part. The
//! result may therefore be shorter than the total offered even on a blocking file; the loops
//! in this crate ([`write_all`](crate::write_all) and friends) take care of the rest.
//!
//! Errors are plain [`std::io::Error`]s carrying the OS `errno`.
//!
//! Available on Unix only. On other targets use the `std::io` trait loops
//! ([`write_all`](crate::write_all), [`read_exact`](crate::read_exact)).

mod sigpipe;
mod unix;

#[cfg(test)]
pub(crate) use sigpipe::test_support;
pub(crate) use sigpipe::without_sigpipe;
pub use unix::*;

#[cfg(target_os = "linux")]
mod datagram;
#[cfg(target_os = "linux")]
pub use datagram::*;
