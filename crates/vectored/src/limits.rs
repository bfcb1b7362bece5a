//! Per-call limits of the vectored system calls, fixed per platform.

/// The most buffers one vectored system call accepts (`IOV_MAX`).
///
/// Linux (`UIO_MAXIOV`), the BSDs, Apple and illumos all accept 1024; AIX and Solaris accept
/// only 16 (the same table Go uses in `internal/poll/writev.go`). Passing more makes the kernel
/// fail with `EINVAL`, so every function in this crate passes at most this many per call.
///
/// # Examples
///
/// ```
/// assert!(vectored::IOV_MAX >= 16);
/// # #[cfg(target_os = "linux")]
/// assert_eq!(vectored::IOV_MAX, 1024);
/// ```
pub const IOV_MAX: usize = if cfg!(any(target_os = "aix", target_os = "solaris")) {
    16
} else {
    1024
};

/// The most bytes one read or write system call transfers.
///
/// Linux truncates every read and write to `MAX_RW_COUNT` (`INT_MAX` rounded down to a page,
/// `0x7ffff000`) and Apple rejects vectored calls whose total exceeds `INT_MAX` with `EINVAL`, so
/// this crate never asks for more than this in one call and loops for the rest.
///
/// # Examples
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(vectored::MAX_BYTES_PER_CALL, 0x7fff_f000);
/// ```
pub const MAX_BYTES_PER_CALL: usize = if cfg!(any(target_os = "linux", target_os = "android")) {
    0x7fff_f000
} else if cfg!(target_pointer_width = "32") || cfg!(target_vendor = "apple") {
    0x7fff_ffff
} else {
    // `isize::MAX`, the largest count a `ssize_t` return value can carry.
    usize::MAX >> 1
};
