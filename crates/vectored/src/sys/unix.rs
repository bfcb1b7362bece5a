//! The Unix system call wrappers, on top of `rustix`.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, BorrowedFd};

use bitflags::bitflags;

use crate::limits::{IOV_MAX, MAX_BYTES_PER_CALL};

bitflags! {
    /// Per-call flags for [`pwritev2`] and [`preadv2`] (the kernel's `RWF_*` values).
    ///
    /// Flags the running kernel does not know make the call fail with `EOPNOTSUPP`. Bits
    /// without a name here can still be passed with [`RwFlags::from_bits_retain`].
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::RwFlags;
    ///
    /// let flags = RwFlags::DSYNC | RwFlags::NOSIGNAL;
    /// assert_eq!(flags.bits(), 0x102);
    /// assert!(RwFlags::empty().is_empty());
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct RwFlags: u32 {
        /// `RWF_HIPRI`: high-priority (polled) I/O; meaningful with `O_DIRECT`.
        const HIPRI = 0x01;
        /// `RWF_DSYNC`: this write is `O_DSYNC` (data and needed metadata reach the device).
        const DSYNC = 0x02;
        /// `RWF_SYNC`: this write is `O_SYNC`.
        const SYNC = 0x04;
        /// `RWF_NOWAIT`: fail with `EAGAIN` rather than block (page cache misses, locks).
        const NOWAIT = 0x08;
        /// `RWF_APPEND`: append to the end of the file whatever the offset (Linux 4.16+).
        const APPEND = 0x10;
        /// `RWF_ATOMIC`: write without tearing, if the file system supports it (Linux 6.11+).
        const ATOMIC = 0x40;
        /// `RWF_DONTCACHE`: uncached buffered I/O (Linux 6.14+).
        const DONTCACHE = 0x80;
        /// `RWF_NOSIGNAL`: fail with `EPIPE` instead of raising `SIGPIPE` (Linux 6.18+).
        const NOSIGNAL = 0x100;
        // Unknown bits are passed to the kernel, which decides.
        const _ = !0;
    }
}

/// What an fd refers to, as far as choosing the write call is concerned.
///
/// Sockets are written with `sendmsg(MSG_NOSIGNAL)`, pipes and FIFOs with
/// `pwritev2(RWF_NOSIGNAL)` (or `writev` with `SIGPIPE` blocked for the thread on kernels
/// without that flag), everything else with `writev`. Where the kernel copies the data
/// (sockets, pipes, regular files) the fd-level loops coalesce runs of small buffers; into
/// [`Other`](Self::Other), such as `/dev/null`, they pass the buffers as they are.
///
/// # Examples
///
/// ```
/// use vectored::FdKind;
///
/// let file = std::fs::File::open("/dev/null")?;
/// assert_eq!(FdKind::of(&file)?, FdKind::Other);
/// let file = std::fs::File::open(std::env::current_exe()?)?;
/// assert_eq!(FdKind::of(&file)?, FdKind::File);
/// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
/// assert_eq!(FdKind::of(&a)?, FdKind::Socket);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FdKind {
    /// A socket of any family.
    Socket,
    /// A pipe or FIFO.
    Pipe,
    /// A regular file: the kernel copies what is written into the page cache.
    File,
    /// A character or block device (such as `/dev/null`), a directory, or anything else.
    Other,
}

impl FdKind {
    /// Finds out what `fd` refers to with one `fstat(2)`.
    ///
    /// # Errors
    ///
    /// The `fstat` error, such as `EBADF` for a closed fd.
    ///
    /// # Examples
    ///
    /// ```
    /// use vectored::FdKind;
    ///
    /// let (r, _w) = std::io::pipe()?;
    /// assert_eq!(FdKind::of(&r)?, FdKind::Pipe);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # References
    ///
    /// - [Linux](https://man7.org/linux/man-pages/man2/fstat.2.html)
    pub fn of<Fd: AsFd>(fd: Fd) -> io::Result<Self> {
        use rustix::fs::FileType;
        let stat = rustix::fs::fstat(fd.as_fd())?;
        Ok(match FileType::from_raw_mode(stat.st_mode) {
            FileType::Socket => Self::Socket,
            FileType::Fifo => Self::Pipe,
            FileType::RegularFile => Self::File,
            _ => Self::Other,
        })
    }
}

/// How many leading buffers one call may take, and whether the first must be cut short.
///
/// Returns `(count, None)` for a prefix of whole buffers within both limits, or
/// `(1, Some(len))` when the first buffer alone exceeds the byte limit.
fn clamp(lens: impl Iterator<Item = usize>) -> (usize, Option<usize>) {
    let mut total = 0usize;
    let mut count = 0;
    for len in lens.take(IOV_MAX) {
        if len > MAX_BYTES_PER_CALL - total {
            if count == 0 {
                return (1, Some(MAX_BYTES_PER_CALL));
            }
            break;
        }
        total += len;
        count += 1;
    }
    (count, None)
}

/// Applies [`clamp`] to a write list and calls `call` with the result.
fn clamped<R>(bufs: &[IoSlice<'_>], call: impl FnOnce(&[IoSlice<'_>]) -> R) -> R {
    match clamp(bufs.iter().map(|b| b.len())) {
        (count, None) => call(&bufs[..count]),
        (_, Some(cut)) => call(&[IoSlice::new(&bufs[0][..cut])]),
    }
}

/// Applies [`clamp`] to a read list and calls `call` with the result.
fn clamped_mut<R>(bufs: &mut [IoSliceMut<'_>], call: impl FnOnce(&mut [IoSliceMut<'_>]) -> R) -> R {
    match clamp(bufs.iter().map(|b| b.len())) {
        (count, None) => call(&mut bufs[..count]),
        (_, Some(cut)) => call(&mut [IoSliceMut::new(&mut bufs[0][..cut])]),
    }
}

/// Checks that a positional offset fits the kernel's signed `off_t`.
///
/// Without this check an offset of `u64::MAX` would reach `pwritev2` as `-1`, which means
/// "the current file position" there: a silent write to the wrong place.
fn check_offset(offset: u64) -> io::Result<u64> {
    if i64::try_from(offset).is_ok() {
        Ok(offset)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("file offset {offset} is larger than the largest off_t (i64::MAX)"),
        ))
    }
}

/// `writev(2)`: writes the buffers, in order, at the current position of `fd`.
///
/// Passes at most [`IOV_MAX`](crate::IOV_MAX) buffers and
/// [`MAX_BYTES_PER_CALL`](crate::MAX_BYTES_PER_CALL) bytes; returns the number of bytes
/// written, which may be fewer than offered. One call, no retries: `EINTR` and `EAGAIN`
/// come back as errors.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
///
/// let file = std::fs::File::create(std::env::temp_dir().join("vectored-doc-writev"))?;
/// let n = vectored::sys::writev(&file, &[IoSlice::new(b"ab"), IoSlice::new(b"cd")])?;
/// assert_eq!(n, 4);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [POSIX](https://pubs.opengroup.org/onlinepubs/9799919799/functions/writev.html)
/// - [Linux](https://man7.org/linux/man-pages/man2/writev.2.html)
pub fn writev<Fd: AsFd>(fd: Fd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    clamped(bufs, |bufs| writev_raw(fd.as_fd(), bufs))
}

/// `readv(2)`: reads into the buffers, in order, from the current position of `fd`.
///
/// Offers at most [`IOV_MAX`](crate::IOV_MAX) buffers and
/// [`MAX_BYTES_PER_CALL`](crate::MAX_BYTES_PER_CALL) bytes. Returns the number of bytes
/// read; 0 means end of file.
///
/// # Examples
///
/// ```
/// use std::io::{IoSliceMut, Write};
///
/// let (r, mut w) = std::io::pipe()?;
/// w.write_all(b"hello")?;
/// let (mut a, mut b) = ([0u8; 2], [0u8; 3]);
/// let n = vectored::sys::readv(&r, &mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])?;
/// assert_eq!((n, &a, &b), (5, b"he", b"llo"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [POSIX](https://pubs.opengroup.org/onlinepubs/9799919799/functions/readv.html)
/// - [Linux](https://man7.org/linux/man-pages/man2/readv.2.html)
pub fn readv<Fd: AsFd>(fd: Fd, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    clamped_mut(bufs, |bufs| readv_raw(fd.as_fd(), bufs))
}

cfg_positional! {
/// `pwritev(2)`: writes the buffers at `offset`, leaving the file position unchanged.
///
/// Same limits as [`writev`]. An `offset` above `i64::MAX` fails with `InvalidInput`.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
///
/// let file = std::fs::File::create(std::env::temp_dir().join("vectored-doc-pwritev"))?;
/// assert_eq!(vectored::sys::pwritev(&file, &[IoSlice::new(b"xy")], 10)?, 2);
/// assert_eq!(file.metadata()?.len(), 12);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [Linux](https://man7.org/linux/man-pages/man2/pwritev.2.html)
/// - [FreeBSD](https://man.freebsd.org/cgi/man.cgi?query=pwritev&sektion=2)
pub fn pwritev<Fd: AsFd>(fd: Fd, bufs: &[IoSlice<'_>], offset: u64) -> io::Result<usize> {
    let offset = check_offset(offset)?;
    clamped(bufs, |bufs| Ok(rustix::io::pwritev(fd, bufs, offset)?))
}
}

cfg_positional! {
/// `preadv(2)`: reads into the buffers from `offset`, leaving the file position unchanged.
///
/// Same limits as [`readv`]. Returns 0 at or past end of file.
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
///
/// let path = std::env::temp_dir().join("vectored-doc-preadv");
/// std::fs::write(&path, b"0123456789")?;
/// let file = std::fs::File::open(&path)?;
/// let mut a = [0u8; 3];
/// assert_eq!(vectored::sys::preadv(&file, &mut [IoSliceMut::new(&mut a)], 4)?, 3);
/// assert_eq!(&a, b"456");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [Linux](https://man7.org/linux/man-pages/man2/preadv.2.html)
pub fn preadv<Fd: AsFd>(fd: Fd, bufs: &mut [IoSliceMut<'_>], offset: u64) -> io::Result<usize> {
    let offset = check_offset(offset)?;
    clamped_mut(bufs, |bufs| Ok(rustix::io::preadv(fd, bufs, offset)?))
}
}

/// The raw offset for the `*v2` calls: `None` is `-1`, "use and update the file position".
#[cfg(target_os = "linux")]
fn v2_offset(offset: Option<u64>) -> io::Result<u64> {
    offset.map_or(Ok(u64::MAX), check_offset)
}

/// `pwritev2(2)`: [`pwritev`] with per-call [`RwFlags`] (Linux 4.6+).
///
/// `offset` `None` writes at the current file position and advances it, like [`writev`];
/// this also works on pipes and sockets. Same limits as [`writev`].
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::RwFlags;
///
/// let file = std::fs::File::create(std::env::temp_dir().join("vectored-doc-pwritev2"))?;
/// let n = vectored::sys::pwritev2(&file, &[IoSlice::new(b"sync me")], Some(0), RwFlags::DSYNC)?;
/// assert_eq!(n, 7);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [Linux](https://man7.org/linux/man-pages/man2/pwritev2.2.html)
#[cfg(target_os = "linux")]
pub fn pwritev2<Fd: AsFd>(
    fd: Fd,
    bufs: &[IoSlice<'_>],
    offset: Option<u64>,
    flags: RwFlags,
) -> io::Result<usize> {
    let offset = v2_offset(offset)?;
    clamped(bufs, |bufs| pwritev2_raw(fd.as_fd(), bufs, offset, flags))
}

/// Whether the running kernel takes [`RwFlags::NOSIGNAL`] (Linux 6.18+), which keeps a
/// write to a pipe or socket whose reader is gone from raising `SIGPIPE`.
///
/// Probed once per process, with a one-byte [`pwritev2`] into a fresh pipe (a zero-length
/// write would not reach the flag check). A kernel that has the flag may still refuse it for
/// a given file: a driver without vectored writes that take flags (`/dev/full`) fails any
/// flagged call with `EOPNOTSUPP` before writing; this tells the two apart.
///
/// # Examples
///
/// ```
/// if vectored::sys::rwf_nosignal_supported() {
///     let (r, w) = std::io::pipe()?;
///     drop(r);
///     let err = vectored::sys::pwritev2(&w, &[std::io::IoSlice::new(b"x")], None, vectored::RwFlags::NOSIGNAL)
///         .unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe); // and no signal
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(target_os = "linux")]
pub fn rwf_nosignal_supported() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    const UNKNOWN: u8 = 0;
    const YES: u8 = 1;
    const NO: u8 = 2;
    static SUPPORT: AtomicU8 = AtomicU8::new(UNKNOWN);

    let mut support = SUPPORT.load(Ordering::Relaxed);
    if support == UNKNOWN {
        let probe = || -> io::Result<usize> {
            let (_r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
            pwritev2_raw(
                w.as_fd(),
                &[IoSlice::new(b"\0")],
                u64::MAX,
                RwFlags::NOSIGNAL,
            )
        };
        support = if probe().is_ok() { YES } else { NO };
        SUPPORT.store(support, Ordering::Relaxed);
    }
    support == YES
}

/// `preadv2(2)`: [`preadv`] with per-call [`RwFlags`] (Linux 4.6+).
///
/// `offset` `None` reads at the current file position and advances it, like [`readv`].
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use vectored::RwFlags;
///
/// let path = std::env::temp_dir().join("vectored-doc-preadv2");
/// std::fs::write(&path, b"abcdef")?;
/// let file = std::fs::File::open(&path)?;
/// let mut a = [0u8; 2];
/// let n = vectored::sys::preadv2(&file, &mut [IoSliceMut::new(&mut a)], Some(2), RwFlags::empty())?;
/// assert_eq!((n, &a), (2, b"cd"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [Linux](https://man7.org/linux/man-pages/man2/preadv2.2.html)
#[cfg(target_os = "linux")]
pub fn preadv2<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    offset: Option<u64>,
    flags: RwFlags,
) -> io::Result<usize> {
    let offset = v2_offset(offset)?;
    clamped_mut(bufs, |bufs| preadv2_raw(fd.as_fd(), bufs, offset, flags))
}

/// `sendmsg(2)` with `MSG_NOSIGNAL`: writes the buffers to a connected socket; a peer that
/// has gone away yields `EPIPE` instead of a process-killing `SIGPIPE`.
///
/// On Apple platforms, which lack `MSG_NOSIGNAL`, `SIGPIPE` is blocked for the calling
/// thread during the call instead. Same limits as [`writev`].
///
/// # Examples
///
/// ```
/// use std::io::{IoSlice, Read};
/// use std::os::unix::net::UnixStream;
///
/// let (a, mut b) = UnixStream::pair()?;
/// assert_eq!(vectored::sys::sendmsg(&a, &[IoSlice::new(b"hi"), IoSlice::new(b"!")])?, 3);
/// let mut got = [0u8; 3];
/// b.read_exact(&mut got)?;
/// assert_eq!(&got, b"hi!");
///
/// drop(b);
/// let err = vectored::sys::sendmsg(&a, &[IoSlice::new(b"x")]).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// - [POSIX](https://pubs.opengroup.org/onlinepubs/9799919799/functions/sendmsg.html)
/// - [Linux](https://man7.org/linux/man-pages/man2/sendmsg.2.html)
pub fn sendmsg<Fd: AsFd>(fd: Fd, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    clamped(bufs, |bufs| sendmsg_raw(fd.as_fd(), bufs))
}

// The `*_raw` functions take windows already within IOV_MAX and MAX_BYTES_PER_CALL (the
// cursors guarantee it), so the loops do not scan each window twice.

#[inline]
pub(crate) fn writev_raw(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    Ok(rustix::io::writev(fd, bufs)?)
}

#[inline]
pub(crate) fn readv_raw(fd: BorrowedFd<'_>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
    Ok(rustix::io::readv(fd, bufs)?)
}

#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn pwritev2_raw(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    offset: u64,
    flags: RwFlags,
) -> io::Result<usize> {
    let flags = rustix::io::ReadWriteFlags::from_bits_retain(flags.bits());
    Ok(rustix::io::pwritev2(fd, bufs, offset, flags)?)
}

#[cfg(target_os = "linux")]
#[inline]
pub(crate) fn preadv2_raw(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    offset: u64,
    flags: RwFlags,
) -> io::Result<usize> {
    let flags = rustix::io::ReadWriteFlags::from_bits_retain(flags.bits());
    Ok(rustix::io::preadv2(fd, bufs, offset, flags)?)
}

#[cfg(not(any(target_vendor = "apple", target_os = "redox")))]
#[inline]
pub(crate) fn sendmsg_raw(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    let mut control = SendAncillaryBuffer::default();
    Ok(rustix::net::sendmsg(
        fd,
        bufs,
        &mut control,
        SendFlags::NOSIGNAL,
    )?)
}

#[cfg(any(target_vendor = "apple", target_os = "redox"))]
#[inline]
pub(crate) fn sendmsg_raw(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    let mut control = SendAncillaryBuffer::default();
    super::sigpipe::without_sigpipe(
        || {
            Ok(rustix::net::sendmsg(
                fd,
                bufs,
                &mut control,
                SendFlags::empty(),
            )?)
        },
        |result| result.as_ref().is_err_and(is_epipe),
    )
}

cfg_positional! {
/// Positional write used by the `_at` loop: `pwritev2` on Linux, `pwritev` elsewhere.
#[inline]
pub(crate) fn pwrite_at_raw(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    offset: u64,
    flags: RwFlags,
) -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        pwritev2_raw(fd, bufs, offset, flags)
    }
    #[cfg(not(target_os = "linux"))]
    {
        no_flags(flags)?;
        Ok(rustix::io::pwritev(fd, bufs, offset)?)
    }
}
}

cfg_positional! {
/// Positional read used by the `_at` loop: `preadv2` on Linux, `preadv` elsewhere.
#[inline]
pub(crate) fn pread_at_raw(
    fd: BorrowedFd<'_>,
    bufs: &mut [IoSliceMut<'_>],
    offset: u64,
    flags: RwFlags,
) -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        preadv2_raw(fd, bufs, offset, flags)
    }
    #[cfg(not(target_os = "linux"))]
    {
        no_flags(flags)?;
        Ok(rustix::io::preadv(fd, bufs, offset)?)
    }
}
}

#[cfg(not(target_os = "linux"))]
fn no_flags(flags: RwFlags) -> io::Result<()> {
    if flags.is_empty() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "per-call RWF_* flags need pwritev2/preadv2, which this platform lacks",
        ))
    }
}

pub(crate) fn offset_at(offset: u64, transferred: usize) -> io::Result<u64> {
    // `transferred` never exceeds the caller's total, which fits in isize; the sum is checked
    // against off_t by `check_offset`.
    check_offset(offset.saturating_add(transferred as u64))
}

pub(crate) fn is_epipe(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::EPIPE)
}

/// The running kernel's `(major, minor)` version, from `/proc/sys/kernel/osrelease`.
#[cfg(all(test, target_os = "linux"))]
pub(crate) fn kernel_version() -> Option<(u32, u32)> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    parse_kernel_version(&release)
}

/// Parses a release string such as `6.18.0-rc1`.
#[cfg(all(test, target_os = "linux"))]
fn parse_kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.trim().split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_takes_whole_buffers_within_limits() {
        assert_eq!(clamp([1, 2, 3].into_iter()), (3, None));
        assert_eq!(clamp(std::iter::repeat_n(1, 5000)), (IOV_MAX, None));
        assert_eq!(clamp([MAX_BYTES_PER_CALL - 1, 1, 1].into_iter()), (2, None));
        assert_eq!(
            clamp([MAX_BYTES_PER_CALL + 5, 1].into_iter()),
            (1, Some(MAX_BYTES_PER_CALL))
        );
        assert_eq!(clamp(std::iter::empty()), (0, None));
    }

    #[test]
    fn offsets_above_off_t_are_rejected() {
        assert!(check_offset(u64::MAX).is_err());
        assert!(check_offset(1 << 63).is_err());
        assert_eq!(check_offset(i64::MAX as u64).unwrap(), i64::MAX as u64);
        assert!(offset_at(i64::MAX as u64, 1).is_err());
    }

    #[test]
    fn fd_kinds() {
        let (r, _w) = std::io::pipe().unwrap();
        assert_eq!(FdKind::of(&r).unwrap(), FdKind::Pipe);
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(FdKind::of(&a).unwrap(), FdKind::Socket);
        let f = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(FdKind::of(&f).unwrap(), FdKind::Other);
        let file = tempfile_for_kind_test();
        assert_eq!(FdKind::of(&file).unwrap(), FdKind::File);
    }

    fn tempfile_for_kind_test() -> std::fs::File {
        let path = std::env::temp_dir().join(format!("vectored-kind-test-{}", std::process::id()));
        let file = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kernel_versions_parse() {
        assert_eq!(parse_kernel_version("6.18.0-rc1\n"), Some((6, 18)));
        assert_eq!(parse_kernel_version("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(parse_kernel_version("garbage"), None);
        assert!(kernel_version().is_some());
    }
}
