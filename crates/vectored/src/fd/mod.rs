//! The fd layer: options of the fd-level loops, the write call per fd kind (and its
//! `SIGPIPE` protection), readiness waits and write sizing. Policy on top of [`sys`](crate::sys),
//! which only makes system calls.

mod mode;
mod options;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) mod pace;
pub(crate) mod sizing;
mod wait;

#[cfg(test)]
pub(crate) use mode::WriteMode;
pub(crate) use mode::{declared_kind_stages, unclassified_first_call, FdWriter};
pub use options::{FdOptions, WriteSizing};
pub(crate) use wait::{Interest, Waiter};
