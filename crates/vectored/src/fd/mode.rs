//! Which write call an fd-level loop makes for each kind of fd, so that no write can raise a
//! process-killing `SIGPIPE`; and the one-step fd writer built on it.

use std::io::{self, IoSlice};
use std::os::fd::BorrowedFd;

use super::options::{FdOptions, WriteSizing};
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::pace::Pacer;
use super::sizing;
use crate::cursor::SMALL;
use crate::sys::{self, FdKind};

/// How a write loop writes to an fd of a given kind without risking `SIGPIPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode {
    /// `sendmsg(MSG_NOSIGNAL)`.
    Sendmsg,
    /// `pwritev2(offset -1, RWF_NOSIGNAL)`.
    #[cfg(target_os = "linux")]
    PipeNoSignal,
    /// `writev`; the loop must block `SIGPIPE` around it ([`WriteMode::needs_mask`]).
    PipeMasked,
    /// Plain `writev`: the fd cannot raise `SIGPIPE`.
    Writev,
}

impl WriteMode {
    pub(crate) fn for_kind(kind: FdKind) -> Self {
        match kind {
            FdKind::Socket => Self::Sendmsg,
            FdKind::Pipe => pipe_mode(),
            FdKind::File | FdKind::Other => Self::Writev,
        }
    }

    fn needs_mask(self) -> bool {
        self == Self::PipeMasked
    }

    /// Makes the one write call of this mode.
    #[inline]
    pub(crate) fn write(self, fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Self::Sendmsg => sys::sendmsg_raw(fd, bufs),
            #[cfg(target_os = "linux")]
            Self::PipeNoSignal => sys::pwritev2_raw(fd, bufs, u64::MAX, sys::RwFlags::NOSIGNAL),
            Self::PipeMasked | Self::Writev => sys::writev_raw(fd, bufs),
        }
    }
}

/// `RWF_NOSIGNAL` where the kernel takes it (`sys::rwf_nosignal_supported`, probed once).
#[cfg(target_os = "linux")]
fn pipe_mode() -> WriteMode {
    if sys::rwf_nosignal_supported() {
        WriteMode::PipeNoSignal
    } else {
        WriteMode::PipeMasked
    }
}

#[cfg(not(target_os = "linux"))]
fn pipe_mode() -> WriteMode {
    WriteMode::PipeMasked
}

/// The most buffers, and bytes, of a write-all call that [`unclassified_first_call`] writes
/// before the fd's kind is known: few enough that no kind would split them (a pipe's paced
/// calls are 8 KiB or more) and that passing them unstaged costs the kernel at most about
/// what the `fstat` does (16 descriptors at 25–35 ns each, against 380–480 ns).
const UNCLASSIFIED_BUFFERS: usize = 16;
const UNCLASSIFIED_BYTES: usize = 8 * 1024;

/// The first call of a write-all loop, made before the `fstat` that finds the fd's kind,
/// where the kind would change nothing about it: on Linux kernels that take `RWF_NOSIGNAL`
/// (which keeps sockets and pipes alike from raising `SIGPIPE`:
/// `docs/bench/2026-12-02-s3-fd-probe-costs.txt`), with the kind not declared, the automatic
/// sizing, and at most [`UNCLASSIFIED_BUFFERS`] buffers of at most [`UNCLASSIFIED_BYTES`]
/// in all. One `pwritev2(RWF_NOSIGNAL)` of the whole list; `None` when not made. When it
/// takes everything, the loop ends without an `fstat`: the common small write (a header and
/// a short body) costs one system call, not two.
pub(crate) fn unclassified_first_call(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
    opts: &FdOptions,
) -> Option<io::Result<usize>> {
    if opts.declared_kind().is_some()
        || opts.sizing() != WriteSizing::Auto
        || bufs.is_empty()
        || bufs.len() > UNCLASSIFIED_BUFFERS
    {
        return None;
    }
    let bytes = bufs.iter().try_fold(0usize, |sum, buf| {
        sum.checked_add(buf.len())
            .filter(|&sum| sum <= UNCLASSIFIED_BYTES)
    })?;
    if bytes == 0 {
        return None;
    }
    first_call_without_sigpipe(fd, bufs)
}

/// One `pwritev2(RWF_NOSIGNAL)` of `bufs` where the kernel takes the flag. A file whose
/// driver has no vectored write with flags (`/dev/full`, say) refuses any flag with
/// `EOPNOTSUPP` before writing anything: that is no call, and the loop starts as usual.
#[cfg(target_os = "linux")]
fn first_call_without_sigpipe(
    fd: BorrowedFd<'_>,
    bufs: &[IoSlice<'_>],
) -> Option<io::Result<usize>> {
    if pipe_mode() != WriteMode::PipeNoSignal {
        return None;
    }
    match sys::pwritev2_raw(fd, bufs, u64::MAX, sys::RwFlags::NOSIGNAL) {
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::OPNOTSUPP.raw_os_error()) => None,
        result => Some(result),
    }
}

#[cfg(not(target_os = "linux"))]
fn first_call_without_sigpipe(
    _fd: BorrowedFd<'_>,
    _bufs: &[IoSlice<'_>],
) -> Option<io::Result<usize>> {
    None
}

/// The write step of one fd-level loop call: the write call for the fd's kind, the byte cap
/// per call, and the `SIGPIPE` protection around the loop.
#[derive(Debug)]
pub(crate) struct FdWriter<'fd> {
    fd: BorrowedFd<'fd>,
    mode: WriteMode,
    bytes_per_call: usize,
    /// Buffers shorter than this are worth copying together, when they come in runs
    /// ([`stage_below`]).
    stage_below: usize,
    /// A device ([`FdKind::Other`]): staged only where a list's buffers average under the
    /// line ([`tiny_on_average`]).
    device: bool,
    /// Paces the calls to a pipe under the automatic sizing (`fd/pace.rs`).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pacer: Option<Pacer>,
}

impl<'fd> FdWriter<'fd> {
    /// Finds out the fd's kind (unless `opts` says it), the byte cap for it and whether the
    /// kernel copies the data, all from one `fstat`.
    ///
    /// # Errors
    ///
    /// The `fstat` error.
    #[inline]
    pub(crate) fn new(fd: BorrowedFd<'fd>, opts: &FdOptions) -> io::Result<Self> {
        let kind = opts.fd_kind(fd)?;
        let size = sizing::call_size(opts.sizing(), kind, fd);
        let mut writer = Self::with_mode(fd, WriteMode::for_kind(kind), size.max_bytes);
        writer.stage_below = stage_below(kind);
        writer.device = kind == FdKind::Other;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if size.paced {
            writer.pacer = Some(Pacer::new());
        }
        Ok(writer)
    }

    pub(crate) fn with_mode(fd: BorrowedFd<'fd>, mode: WriteMode, bytes_per_call: usize) -> Self {
        Self {
            fd,
            mode,
            bytes_per_call,
            stage_below: 0,
            device: false,
            #[cfg(any(target_os = "linux", target_os = "android"))]
            pacer: None,
        }
    }

    /// Buffers shorter than this are worth copying together when they come in runs (0:
    /// none are; see [`stage_below`]).
    pub(crate) fn stage_below(&self) -> usize {
        self.stage_below
    }

    /// Whether a write-all loop stages runs of small buffers for this fd: the kernel copies
    /// what is written, and `opts` coalesce.
    pub(crate) fn stages(&self, opts: &FdOptions) -> bool {
        self.stage_below > 0 && opts.coalesces()
    }

    /// The most bytes one window may offer (a pacer may offer less of it per call).
    pub(crate) fn bytes_per_call(&self) -> usize {
        self.bytes_per_call
    }

    pub(crate) fn fd(&self) -> BorrowedFd<'fd> {
        self.fd
    }

    /// Whether a call of this writer may be made outside [`run`](Self::run): its mode needs
    /// no `SIGPIPE` mask, and no pacer has to count it.
    pub(crate) fn may_call_alone(&self) -> bool {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.pacer.is_some() {
            return false;
        }
        !self.mode.needs_mask()
    }

    /// Whether the fd is a device whose list, with `count` buffers of `bytes` in all in its
    /// first window, is staged: only one of tiny buffers on average ([`tiny_on_average`]),
    /// and only if `opts` coalesce. (The other kinds stage runs wherever they are:
    /// [`stages`](Self::stages), [`declared_kind_stages`].)
    pub(crate) fn stages_device_list(&self, opts: &FdOptions, count: usize, bytes: usize) -> bool {
        self.device && self.stages(opts) && tiny_on_average(count, bytes)
    }

    /// Whether the fd is a device (anything but a socket, a pipe or a regular file), which
    /// is assumed to copy nothing of what is written (as found out or declared).
    pub(crate) fn is_device(&self) -> bool {
        self.device
    }

    /// Whether the fd is a socket, as found out (or declared) for this writer: sockets, and
    /// only they, are written with `sendmsg`.
    #[cfg(target_os = "linux")]
    pub(crate) fn is_socket(&self) -> bool {
        self.mode == WriteMode::Sendmsg
    }

    /// Runs a loop made of this writer's calls, with `SIGPIPE` blocked around it if the mode
    /// needs it; `is_epipe` tells from the loop's result whether it ended with `EPIPE`.
    pub(crate) fn run<T>(&self, body: impl FnOnce() -> T, is_epipe: impl FnOnce(&T) -> bool) -> T {
        if self.mode.needs_mask() {
            sys::without_sigpipe(body, is_epipe)
        } else {
            body()
        }
    }

    /// One write call on the part of `window` the pacer offers (all of it when not paced).
    #[inline]
    pub(crate) fn write(&self, window: &[IoSlice<'_>]) -> io::Result<usize> {
        self.paced(window, |part| self.write_whole(part))
    }

    /// Runs `call`, which must make exactly one write call of this writer, on the part of
    /// `window` the pacer offers (all of it when not paced): for loops that transform the
    /// window first (coalescing).
    #[inline]
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        allow(clippy::unused_self) // Only Linux paces.
    )]
    pub(crate) fn paced(
        &self,
        window: &[IoSlice<'_>],
        call: impl FnOnce(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<usize> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(pacer) = &self.pacer {
            return pacer.write(window, call);
        }
        call(window)
    }

    /// The most bytes the next call may offer: the pacer's size for it, or the window cap.
    #[inline]
    pub(crate) fn call_budget(&self) -> usize {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(pacer) = &self.pacer {
            return pacer.budget().min(self.bytes_per_call);
        }
        self.bytes_per_call
    }

    /// Runs `call`, exactly one write call of this writer offering at most
    /// [`call_budget`](Self::call_budget) bytes, and counts it for the pacer.
    #[inline]
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        allow(clippy::unused_self) // Only Linux paces.
    )]
    pub(crate) fn counted(&self, call: impl FnOnce() -> io::Result<usize>) -> io::Result<usize> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(pacer) = &self.pacer {
            return pacer.count(call);
        }
        call()
    }

    /// One write call on the whole of `window`, never paced: a message is one call.
    #[inline]
    pub(crate) fn write_whole(&self, window: &[IoSlice<'_>]) -> io::Result<usize> {
        self.mode.write(self.fd, window)
    }
}

/// Whether a write-all loop would stage some of `bufs` in its first call to an fd of the
/// declared `kind` (or might: an empty buffer counts as short here, which can only turn a
/// shortcut down): the kernel copies for that kind, `opts` coalesce, and the list has a run
/// of two or more buffers shorter than the kind's line ([`stage_below`]). Not for a device:
/// whether its list is staged is decided on the list's sum ([`tiny_on_average`]), which
/// `write_all_fd`'s shortcut makes anyway.
pub(crate) fn declared_kind_stages(kind: FdKind, bufs: &[IoSlice<'_>], opts: &FdOptions) -> bool {
    let small = stage_below(kind);
    kind != FdKind::Other
        && opts.coalesces()
        && bufs
            .windows(2)
            .any(|pair| pair[0].len() < small && pair[1].len() < small)
}

/// Buffers of a stream socket shorter than this are copied together when they come in runs.
/// A socket's kernel copies each descriptor's bytes into its buffers as they come, so a
/// descriptor costs it less than a pipe's or a file's does: per-cell medians of six full
/// grids (`docs/bench/2026-12-02-s5-full-*.json`), 1024 × 256 B to a unix socket by
/// reference (`raw-writev`) 1.00× against 1.20–1.34× copied together first (`concat`), to
/// TCP even (1.00–1.03 against 1.01–1.05); at 128 B copying wins (unix 1.00–1.03 against
/// 1.07–1.08, TCP 1.00–1.06 against 1.10–1.28).
const SOCKET_SMALL: usize = 256;

/// Buffers of a device shorter than this are copied together, when they come in runs, in a
/// list whose buffers average under it ([`tiny_on_average`]). A device (`/dev/null`, say)
/// copies nothing, but its kernel still takes each iovec in, about 2.5 ns each on
/// `/dev/null`, more than a copy of a few dozen bytes costs: three rounds of the tiny
/// `/dev/null` cells, staging under 64 B against nothing
/// (`docs/bench/2026-12-03-s8-device-line.txt`), 1024 × 8 / 16 / 32 B took 0.72–0.75 of the
/// time and 100000 × 16 B 0.59; a line of 128 B was worse at 8 B (1.19 of nothing). Only
/// tiny lists pay for the decision: asking every list for runs, as the other kinds do, cost
/// every list of larger buffers 4–10% there.
const DEVICE_SMALL: usize = 64;

/// Buffers shorter than this are worth copying together, when they come in runs, for an fd
/// of `kind`: [`SOCKET_SMALL`] for sockets, [`SMALL`] for pipes and regular files (each
/// descriptor costs the kernel about a 400–500 byte copy there), and [`DEVICE_SMALL`] for
/// devices and anything else, which are assumed to copy nothing (and are staged only where
/// a list averages under it).
fn stage_below(kind: FdKind) -> usize {
    match kind {
        FdKind::Socket => SOCKET_SMALL,
        FdKind::Pipe | FdKind::File => SMALL,
        FdKind::Other => DEVICE_SMALL,
    }
}

/// Whether `count` buffers of `bytes` in all (two or more) average under [`DEVICE_SMALL`]:
/// a device's list that is worth staging. A test on the sum the loop's first window has
/// already made, so lists of larger buffers pay nothing for it.
fn tiny_on_average(count: usize, bytes: usize) -> bool {
    count >= 2 && bytes < DEVICE_SMALL.saturating_mul(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn staging_lines_per_kind() {
        assert_eq!(stage_below(FdKind::Socket), SOCKET_SMALL);
        assert_eq!(stage_below(FdKind::Pipe), SMALL);
        assert_eq!(stage_below(FdKind::File), SMALL);
        assert_eq!(stage_below(FdKind::Other), DEVICE_SMALL);
        let on = FdOptions::new();
        let null = std::fs::File::create("/dev/null").unwrap();
        let writer = FdWriter::new(null.as_fd(), &on).unwrap();
        assert_eq!(writer.stage_below(), DEVICE_SMALL);
        assert!(writer.is_device());
        // A device stages only a window of tiny buffers on average.
        assert!(writer.stages_device_list(&on, 1024, 1024 * 16));
        assert!(writer.stages_device_list(&on, 1024, 1024 * DEVICE_SMALL - 1));
        assert!(!writer.stages_device_list(&on, 1024, 1024 * DEVICE_SMALL));
        assert!(!writer.stages_device_list(&on, 2, 200 + 65536));
        assert!(
            !writer.stages_device_list(&on, 1, 8),
            "one buffer is never staged"
        );
        assert!(!writer.stages_device_list(&FdOptions::new().coalesce(false), 1024, 1024));
        let exe = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        let writer = FdWriter::new(exe.as_fd(), &on).unwrap();
        assert_eq!(writer.stage_below(), SMALL);
        assert!(writer.stages(&on) && !writer.stages(&FdOptions::new().coalesce(false)));
        // Where the kernel copies, runs are staged wherever they are, not by the average.
        assert!(!writer.is_device() && !writer.stages_device_list(&on, 1024, 1024));
        let (r, w) = std::io::pipe().unwrap();
        assert_eq!(FdWriter::new(w.as_fd(), &on).unwrap().stage_below(), SMALL);
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(
            FdWriter::new(a.as_fd(), &on).unwrap().stage_below(),
            SOCKET_SMALL
        );
        // Declared kinds are taken as declared: no `fstat`.
        let declared = FdOptions::new().kind(FdKind::Other);
        let writer = FdWriter::new(w.as_fd(), &declared).unwrap();
        assert_eq!(writer.stage_below(), DEVICE_SMALL);
        assert!(writer.is_device());
        let declared = FdOptions::new().kind(FdKind::File);
        assert_eq!(
            FdWriter::new(null.as_fd(), &declared)
                .unwrap()
                .stage_below(),
            SMALL
        );
        drop(r);
    }

    /// A declared kind stages a list with a run of two buffers under its line, anywhere.
    #[test]
    fn which_lists_stage() {
        static SOCKET_SMALLER: [u8; SOCKET_SMALL - 1] = [0; SOCKET_SMALL - 1];
        static SMALLER: [u8; SMALL - 1] = [0; SMALL - 1];
        static BIG: [u8; SMALL] = [0; SMALL];
        let list = |bufs: &[&'static [u8]]| -> Vec<IoSlice<'static>> {
            bufs.iter().map(|b| IoSlice::new(b)).collect()
        };
        let on = FdOptions::new();
        let off = FdOptions::new().coalesce(false);
        for (bufs, socket, file) in [
            (list(&[&SOCKET_SMALLER, &SOCKET_SMALLER]), true, true),
            (list(&[&BIG, &SOCKET_SMALLER, &SOCKET_SMALLER]), true, true),
            (list(&[&SMALLER, &SMALLER]), false, true),
            (list(&[&BIG, &SMALLER, &SMALLER, &BIG]), false, true),
            (
                list(&[&SOCKET_SMALLER, &BIG, &SOCKET_SMALLER]),
                false,
                false,
            ),
            (list(&[&SOCKET_SMALLER]), false, false),
        ] {
            assert_eq!(declared_kind_stages(FdKind::Socket, &bufs, &on), socket);
            assert_eq!(declared_kind_stages(FdKind::File, &bufs, &on), file);
            assert_eq!(declared_kind_stages(FdKind::Pipe, &bufs, &on), file);
            assert!(!declared_kind_stages(FdKind::Other, &bufs, &on));
            assert!(!declared_kind_stages(FdKind::File, &bufs, &off));
        }
    }

    /// Which write-all calls are made before the `fstat`, and what comes back.
    #[cfg(target_os = "linux")]
    #[test]
    fn short_lists_are_written_before_the_kind_is_known() {
        let (r, w) = std::io::pipe().unwrap();
        let fd = w.as_fd();
        let auto = FdOptions::new();
        let small = [IoSlice::new(b"head"), IoSlice::new(b"body")];
        let made = unclassified_first_call(fd, &small, &auto);
        if pipe_mode() != WriteMode::PipeNoSignal {
            assert!(made.is_none(), "no RWF_NOSIGNAL: no call before the fstat");
            return;
        }
        assert_eq!(made.unwrap().unwrap(), 8);
        // Not made: a declared kind, a fixed size, too many buffers or bytes, nothing to write.
        let declared = FdOptions::new().kind(FdKind::Pipe);
        assert!(unclassified_first_call(fd, &small, &declared).is_none());
        let fixed = FdOptions::new().write_sizing(WriteSizing::Fixed(4096));
        assert!(unclassified_first_call(fd, &small, &fixed).is_none());
        let many = [IoSlice::new(b"x"); UNCLASSIFIED_BUFFERS + 1];
        assert!(unclassified_first_call(fd, &many, &auto).is_none());
        let big = vec![0u8; UNCLASSIFIED_BYTES + 1];
        assert!(unclassified_first_call(fd, &[IoSlice::new(&big)], &auto).is_none());
        assert!(unclassified_first_call(fd, &[IoSlice::new(b"")], &auto).is_none());
        // A device that refuses flags: no call, the loop writes it as usual.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        assert!(unclassified_first_call(full.as_fd(), &small, &auto).is_none());
        // A socket whose peer is gone: EPIPE, and no SIGPIPE (this test process ignores
        // SIGPIPE; tests/it/sigpipe.rs checks the signal itself in a child process).
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        drop(b);
        let err = unclassified_first_call(a.as_fd(), &small, &auto)
            .unwrap()
            .unwrap_err();
        assert_eq!(
            err.raw_os_error(),
            Some(rustix::io::Errno::PIPE.raw_os_error())
        );
        drop(r);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn rwf_nosignal_is_used_on_pipes_when_the_kernel_has_it() {
        let version = sys::kernel_version().expect("kernel version");
        let expected = if version >= (6, 18) {
            WriteMode::PipeNoSignal
        } else {
            WriteMode::PipeMasked
        };
        assert_eq!(pipe_mode(), expected, "kernel {version:?}");
        assert_eq!(sys::rwf_nosignal_supported(), version >= (6, 18));
    }

    /// When `write_all_fd` may make its first call on a declared kind's list as it is,
    /// before the loop is set up.
    #[test]
    fn lists_written_as_they_are() {
        let null = std::fs::File::create("/dev/null").unwrap();
        let fd = null.as_fd();
        let body = vec![0u8; 65536];
        let head_body = [IoSlice::new(&[b'h'; 200]), IoSlice::new(&body)];
        let head_sep_body = [
            IoSlice::new(&[b'h'; 200]),
            IoSlice::new(b"\r\n"),
            IoSlice::new(&body),
        ];
        let with_empty = [
            IoSlice::new(&[b'h'; 200]),
            IoSlice::new(b""),
            IoSlice::new(&body),
        ];
        // What `write_all_fd` checks for a declared kind before its shortcut.
        let as_is = |opts: &FdOptions, bufs: &[IoSlice<'_>]| {
            let bytes: usize = bufs.iter().map(|b| b.len()).sum();
            let kind = opts.declared_kind().unwrap();
            let writer = FdWriter::new(fd, opts).unwrap();
            !declared_kind_stages(kind, bufs, opts)
                && writer.may_call_alone()
                && bytes <= writer.bytes_per_call()
                && !writer.stages_device_list(opts, bufs.len(), bytes)
        };
        let device = FdOptions::new().kind(FdKind::Other);
        let socket = FdOptions::new().kind(FdKind::Socket);
        // A device: anything one call may offer, small runs included, unless its buffers
        // average under the device line (then they are staged).
        assert!(as_is(&device, &head_body));
        assert!(as_is(&device, &head_sep_body));
        let tiny = [IoSlice::new(&[1u8; 16]); 100];
        assert!(!as_is(&device, &tiny));
        assert!(as_is(&device.clone().coalesce(false), &tiny));
        // Where the kernel copies: not when two short buffers would be staged together (an
        // empty one counts as short), unless coalescing is off.
        assert!(as_is(&socket, &head_body));
        assert!(!as_is(&socket, &head_sep_body));
        assert!(!as_is(&socket, &with_empty));
        assert!(as_is(&socket.clone().coalesce(false), &head_sep_body));
        assert!(!as_is(&FdOptions::new().kind(FdKind::File), &head_sep_body));
        // Not more than one call may offer.
        let capped = device.clone().write_sizing(WriteSizing::Fixed(4096));
        assert!(!as_is(&capped, &head_body));
        assert!(as_is(&capped, &head_body[..1]));
        // `write_all_fd` asks the declared kind before it builds the writer.
        let auto = FdOptions::new();
        assert!(declared_kind_stages(FdKind::File, &head_sep_body, &auto));
        assert!(!declared_kind_stages(FdKind::File, &head_body, &auto));
        assert!(!declared_kind_stages(FdKind::Other, &head_sep_body, &auto));
        assert!(!declared_kind_stages(
            FdKind::Socket,
            &head_sep_body,
            &auto.clone().coalesce(false)
        ));
        // Not a paced pipe (the pacer counts every call).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert!(!as_is(
            &FdOptions::new().kind(FdKind::Pipe),
            &head_body[..1]
        ));
    }

    #[test]
    fn modes_per_kind() {
        assert_eq!(WriteMode::for_kind(FdKind::Socket), WriteMode::Sendmsg);
        assert_eq!(WriteMode::for_kind(FdKind::Other), WriteMode::Writev);
        assert_eq!(WriteMode::for_kind(FdKind::File), WriteMode::Writev);
        assert_ne!(WriteMode::for_kind(FdKind::Pipe), WriteMode::Writev);
    }
}
