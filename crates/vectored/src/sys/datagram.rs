//! Datagram system calls (Linux): `sendmsg` with a destination and a `UDP_SEGMENT` control
//! message, `sendmmsg`, `recvmmsg`, and the `UDP_GRO` socket option.
//!
//! rustix 1.1 has `sendmmsg` but cannot attach `UDP_SEGMENT` control messages to it, and has
//! no `recvmmsg` and no `UDP_GRO`: these wrappers use the `libc` crate directly. Each makes
//! exactly one system call and takes the caller's flags ([`SendFlags`], [`RecvFlags`]), with
//! `MSG_NOSIGNAL` always added on sends (a datagram socket never raises `SIGPIPE` on Linux,
//! but a connected `SOCK_SEQPACKET` could) and `MSG_WAITFORONE | MSG_TRUNC` on `recvmmsg`.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd};
use std::ptr;

pub use rustix::net::{RecvFlags, SendFlags};

/// The caller's flag bits as the C `int` the calls take (the bits unchanged).
fn c_flags(bits: u32) -> libc::c_int {
    libc::c_int::from_ne_bytes(bits.to_ne_bytes())
}

/// The flags of a send: the caller's, plus `MSG_NOSIGNAL`.
fn send_flags(flags: SendFlags) -> libc::c_int {
    c_flags(flags.bits()) | libc::MSG_NOSIGNAL
}

/// The most messages one `sendmmsg`/`recvmmsg` call takes (`UIO_MAXIOV`): the kernel
/// silently caps `vlen` there, so the wrappers pass at most this many.
///
/// # Examples
///
/// ```
/// assert_eq!(vectored::sys::MAX_MESSAGES_PER_CALL, 1024);
/// ```
pub const MAX_MESSAGES_PER_CALL: usize = 1024;

/// One outgoing message of [`sendmsg_to`] and [`sendmmsg`].
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use vectored::sys::OutMessage;
///
/// let parts = [IoSlice::new(b"head"), IoSlice::new(b"body")];
/// let msg = OutMessage::new(&parts).to(Some("127.0.0.1:9".parse()?));
/// assert_eq!(msg.len(), 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OutMessage<'a> {
    bufs: &'a [IoSlice<'a>],
    addr: Option<SocketAddr>,
    segment_size: Option<u16>,
}

impl<'a> OutMessage<'a> {
    /// A message made of `bufs`, to the connected peer, without segmentation.
    ///
    /// # Examples
    ///
    /// ```
    /// let parts = [std::io::IoSlice::new(b"ping")];
    /// let msg = vectored::sys::OutMessage::new(&parts);
    /// assert_eq!(msg.len(), 4);
    /// ```
    pub fn new(bufs: &'a [IoSlice<'a>]) -> Self {
        Self {
            bufs,
            addr: None,
            segment_size: None,
        }
    }

    /// Sends to `addr` (`msg_name`); `None` sends to the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// let parts = [std::io::IoSlice::new(b"ping")];
    /// let msg = vectored::sys::OutMessage::new(&parts).to(Some("[::1]:9".parse()?));
    /// # let _ = msg;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to(mut self, addr: Option<SocketAddr>) -> Self {
        self.addr = addr;
        self
    }

    /// Attaches a `UDP_SEGMENT` control message: the kernel cuts the payload into datagrams
    /// of `size` bytes (the last may be shorter). Only UDP sockets honour it; other socket
    /// types ignore or refuse it, so callers must check the socket first (see
    /// [`is_udp`]). `None` (the default) sends one datagram.
    ///
    /// # Examples
    ///
    /// ```
    /// let parts = [std::io::IoSlice::new(&[0u8; 3000])];
    /// // Three datagrams: 1200 + 1200 + 600 bytes.
    /// let msg = vectored::sys::OutMessage::new(&parts).segment_size(Some(1200));
    /// # let _ = msg;
    /// ```
    #[must_use]
    pub fn segment_size(mut self, size: Option<u16>) -> Self {
        self.segment_size = size;
        self
    }

    /// The total payload length in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let parts = [std::io::IoSlice::new(b"ab"), std::io::IoSlice::new(b"c")];
    /// assert_eq!(vectored::sys::OutMessage::new(&parts).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.bufs.iter().map(|b| b.len()).sum()
    }

    /// Whether the payload is empty (a zero-length datagram is valid).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(vectored::sys::OutMessage::new(&[]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What [`recvmmsg`] learned about one received message.
///
/// # Examples
///
/// ```
/// let meta = vectored::sys::RecvMeta::default();
/// assert_eq!((meta.len(), meta.segment_size(), meta.source()), (0, None, None));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecvMeta {
    len: usize,
    truncated: bool,
    source: Option<SocketAddr>,
    segment_size: Option<u16>,
}

impl RecvMeta {
    /// The full length of the message as the kernel had it (received with `MSG_TRUNC`), which
    /// may exceed the buffer; the bytes in the buffer are `len().min(buffer length)`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::sys::RecvMeta::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the message was empty.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(vectored::sys::RecvMeta::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the kernel cut the message to fit the buffer (`MSG_TRUNC` in `msg_flags`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!vectored::sys::RecvMeta::default().truncated());
    /// ```
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The sender's address, when the socket reports one (IPv4/IPv6).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::sys::RecvMeta::default().source(), None);
    /// ```
    pub fn source(&self) -> Option<SocketAddr> {
        self.source
    }

    /// The segment size of a coalesced receive (`UDP_GRO` control message): the message holds
    /// several datagrams of this size, the last possibly shorter. `None` for a single
    /// datagram.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(vectored::sys::RecvMeta::default().segment_size(), None);
    /// ```
    pub fn segment_size(&self) -> Option<u16> {
        self.segment_size
    }
}

#[cfg(test)]
impl RecvMeta {
    pub(crate) fn for_tests(len: usize, segment_size: Option<u16>) -> Self {
        Self {
            len,
            truncated: false,
            source: None,
            segment_size,
        }
    }
}

/// Room for one `UDP_SEGMENT` or `UDP_GRO` control message (`CMSG_SPACE(sizeof(int))` is 24
/// on 64-bit Linux), aligned like `cmsghdr`.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct CmsgBuf([u8; 32]);

const CMSG_ZERO: CmsgBuf = CmsgBuf([0; 32]);

/// A socket address in the C layout, and its length.
#[derive(Clone, Copy)]
struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

fn raw_addr(addr: &SocketAddr) -> RawAddr {
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::sa_family_t::try_from(libc::AF_INET).unwrap_or_default(),
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { ptr::write(ptr::from_mut(&mut storage).cast(), sin) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::sa_family_t::try_from(libc::AF_INET6).unwrap_or_default(),
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo().to_be(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { ptr::write(ptr::from_mut(&mut storage).cast(), sin6) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    RawAddr {
        storage,
        // Both sizes (16 and 28) fit any socklen_t.
        len: libc::socklen_t::try_from(len).unwrap_or(0),
    }
}

fn from_raw_addr(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = usize::try_from(len).ok()?;
    match i32::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the kernel wrote a sockaddr_in (family AF_INET, length checked), and
            // sockaddr_storage is aligned for it.
            let sin = unsafe { &*ptr::from_ref(storage).cast::<libc::sockaddr_in>() };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the kernel wrote a sockaddr_in6 (family AF_INET6, length checked), and
            // sockaddr_storage is aligned for it.
            let sin6 = unsafe { &*ptr::from_ref(storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// The size of a small C type (at most `sockaddr_storage`, 128 bytes) as the kernel's
/// 32-bit length types (`socklen_t`, `c_uint`).
#[allow(clippy::cast_possible_truncation)]
const fn c_size<T>() -> u32 {
    size_of::<T>() as u32
}

/// Fills `cmsg` with a `UDP_SEGMENT` control message; returns its `msg_controllen`.
fn write_segment_cmsg(cmsg: &mut CmsgBuf, size: u16) -> usize {
    *cmsg = CMSG_ZERO;
    // SAFETY: CMSG_SPACE/CMSG_LEN are pure arithmetic on their argument.
    let (space, len) = unsafe {
        (
            libc::CMSG_SPACE(c_size::<u16>()),
            libc::CMSG_LEN(c_size::<u16>()),
        )
    };
    let hdr = libc::cmsghdr {
        cmsg_len: len as _,
        cmsg_level: libc::SOL_UDP,
        cmsg_type: libc::UDP_SEGMENT,
    };
    let base = ptr::from_mut(cmsg);
    // SAFETY: `cmsg` is 32 bytes aligned to 8, enough for CMSG_SPACE(2) = 24 bytes: a
    // cmsghdr at the start and its 2-byte payload right after it (CMSG_LEN(0) = header
    // size, already aligned), exactly where CMSG_DATA points.
    unsafe {
        ptr::write(base.cast::<libc::cmsghdr>(), hdr);
        let data = base.cast::<u8>().add(libc::CMSG_LEN(0) as usize);
        ptr::write_unaligned(data.cast::<u16>(), size);
    }
    space as usize
}

/// Finds the `UDP_GRO` control message in a received `msghdr`, if any.
fn read_gro_cmsg(hdr: &libc::msghdr) -> Option<u16> {
    // SAFETY: `hdr` was filled by recvmmsg: msg_control/msg_controllen describe the control
    // buffer we passed, and the CMSG_* macros walk only within msg_controllen.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            let c = &*cmsg;
            if c.cmsg_level == libc::SOL_UDP && c.cmsg_type == libc::UDP_GRO {
                // The kernel sends the segment size as an int.
                let size = ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>());
                return u16::try_from(size).ok().filter(|&s| s > 0);
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
    None
}

/// Scratch space for one outgoing `msghdr`, kept alive across the call.
struct OutHdr {
    addr: Option<RawAddr>,
    cmsg: CmsgBuf,
}

fn fill_msghdr(msg: &OutMessage<'_>, scratch: &mut OutHdr, hdr: &mut libc::msghdr) {
    scratch.addr = msg.addr.as_ref().map(raw_addr);
    let controllen = msg
        .segment_size
        .map_or(0, |size| write_segment_cmsg(&mut scratch.cmsg, size));
    // SAFETY: msghdr is plain old data, valid when zeroed (null pointers, zero lengths).
    *hdr = unsafe { std::mem::zeroed() };
    if let Some(a) = scratch.addr.as_mut() {
        hdr.msg_name = ptr::from_mut(&mut a.storage).cast();
        hdr.msg_namelen = a.len;
    }
    // IoSlice is guaranteed ABI-compatible with iovec on Unix; the kernel only reads it.
    hdr.msg_iov = msg.bufs.as_ptr().cast_mut().cast();
    hdr.msg_iovlen = msg.bufs.len() as _;
    if controllen > 0 {
        hdr.msg_control = scratch.cmsg.0.as_mut_ptr().cast();
        hdr.msg_controllen = controllen as _;
    }
}

/// `sendmsg(2)` of one datagram with an optional destination and `UDP_SEGMENT` size.
///
/// Returns the bytes sent: for a datagram socket, all of them or an error. With a segment
/// size, the kernel cuts the payload into several datagrams (all or none are sent).
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use std::net::UdpSocket;
/// use vectored::sys::{sendmsg_to, OutMessage, SendFlags};
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// let parts = [IoSlice::new(b"hello "), IoSlice::new(b"world")];
/// let n = sendmsg_to(&tx, &OutMessage::new(&parts).to(Some(rx.local_addr()?)), SendFlags::empty())?;
/// let mut buf = [0u8; 64];
/// assert_eq!(rx.recv(&mut buf)?, n);
/// assert_eq!(&buf[..n], b"hello world");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// [`sendmsg(2)`](https://man7.org/linux/man-pages/man2/sendmsg.2.html),
/// [`udp(7)`](https://man7.org/linux/man-pages/man7/udp.7.html) (`UDP_SEGMENT`)
pub fn sendmsg_to<Fd: AsFd>(fd: Fd, msg: &OutMessage<'_>, flags: SendFlags) -> io::Result<usize> {
    let mut scratch = OutHdr {
        addr: None,
        cmsg: CMSG_ZERO,
    };
    // SAFETY: msghdr is plain old data, valid when zeroed.
    let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
    fill_msghdr(msg, &mut scratch, &mut hdr);
    // SAFETY: `hdr` points at `msg.bufs` (borrowed for this call), at `scratch.addr` and
    // `scratch.cmsg` (alive on this stack frame), with lengths matching each.
    let n = unsafe { libc::sendmsg(fd.as_fd().as_raw_fd(), &raw const hdr, send_flags(flags)) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// `sendmmsg(2)`: sends up to [`MAX_MESSAGES_PER_CALL`] messages in one call.
///
/// Returns how many messages were sent, each whole. The kernel reports an error only when the
/// first message fails; a later failure ends the call early, and sending from the first
/// unsent message reports it.
///
/// # Examples
///
/// ```
/// use std::io::IoSlice;
/// use std::net::UdpSocket;
/// use vectored::sys::{sendmmsg, OutMessage, SendFlags};
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.connect(rx.local_addr()?)?;
/// let (a, b) = ([IoSlice::new(b"one")], [IoSlice::new(b"two")]);
/// let msgs = [OutMessage::new(&a), OutMessage::new(&b)];
/// assert_eq!(sendmmsg(&tx, &msgs, SendFlags::empty())?, 2);
/// let mut buf = [0u8; 8];
/// assert_eq!(rx.recv(&mut buf)?, 3);
/// assert_eq!(&buf[..3], b"one");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// [`sendmmsg(2)`](https://man7.org/linux/man-pages/man2/sendmmsg.2.html)
pub fn sendmmsg<Fd: AsFd>(fd: Fd, msgs: &[OutMessage<'_>], flags: SendFlags) -> io::Result<usize> {
    let msgs = &msgs[..msgs.len().min(MAX_MESSAGES_PER_CALL)];
    if msgs.is_empty() {
        return Ok(0);
    }
    let mut scratch: Vec<OutHdr> = msgs
        .iter()
        .map(|_| OutHdr {
            addr: None,
            cmsg: CMSG_ZERO,
        })
        .collect();
    let mut hdrs: Vec<libc::mmsghdr> = msgs
        .iter()
        .zip(scratch.iter_mut())
        .map(|(msg, s)| {
            // SAFETY: mmsghdr is plain old data, valid when zeroed.
            let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
            fill_msghdr(msg, s, &mut m.msg_hdr);
            m
        })
        .collect();
    // At most MAX_MESSAGES_PER_CALL (1024), which fits c_uint.
    let vlen = libc::c_uint::try_from(hdrs.len()).unwrap_or(1024);
    // SAFETY: each header points into `msgs` (borrowed for this call) and into `scratch`,
    // whose elements do not move: the Vec is not touched again until after the call.
    let n = unsafe {
        libc::sendmmsg(
            fd.as_fd().as_raw_fd(),
            hdrs.as_mut_ptr(),
            vlen,
            send_flags(flags),
        )
    };
    drop(scratch);
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// `recvmmsg(2)`: receives up to `bufs.len()` messages (at most [`MAX_MESSAGES_PER_CALL`]),
/// one per buffer, describing each in `meta`.
///
/// Called with `MSG_WAITFORONE` (a blocking socket blocks for the first message only) and
/// `MSG_TRUNC` (each [`RecvMeta::len`] is the full length, even when the buffer was
/// shorter). Returns how many messages arrived; `meta` must be at least as long as `bufs`
/// (extra buffers are not used).
///
/// # Examples
///
/// ```
/// use std::io::IoSliceMut;
/// use std::net::UdpSocket;
/// use vectored::sys::{recvmmsg, RecvFlags, RecvMeta};
///
/// let rx = UdpSocket::bind("127.0.0.1:0")?;
/// let tx = UdpSocket::bind("127.0.0.1:0")?;
/// tx.send_to(b"first", rx.local_addr()?)?;
/// tx.send_to(b"second", rx.local_addr()?)?;
/// let (mut a, mut b) = ([0u8; 16], [0u8; 3]);
/// let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
/// let mut meta = [RecvMeta::default(); 2];
/// let mut n = recvmmsg(&rx, &mut bufs, &mut meta, RecvFlags::empty())?;
/// if n == 1 {
///     // The second datagram was not queued yet when the call returned.
///     n += recvmmsg(&rx, &mut bufs[1..], &mut meta[1..], RecvFlags::empty())?;
/// }
/// assert_eq!(n, 2);
/// assert_eq!((meta[0].len(), meta[0].truncated()), (5, false));
/// assert_eq!((meta[1].len(), meta[1].truncated()), (6, true));
/// assert_eq!(meta[0].source(), Some(tx.local_addr()?));
/// assert_eq!(&a[..5], b"first");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// [`recvmmsg(2)`](https://man7.org/linux/man-pages/man2/recvmmsg.2.html),
/// [`udp(7)`](https://man7.org/linux/man-pages/man7/udp.7.html) (`UDP_GRO`)
pub fn recvmmsg<Fd: AsFd>(
    fd: Fd,
    bufs: &mut [IoSliceMut<'_>],
    meta: &mut [RecvMeta],
    flags: RecvFlags,
) -> io::Result<usize> {
    let count = bufs.len().min(meta.len()).min(MAX_MESSAGES_PER_CALL);
    if count == 0 {
        return Ok(0);
    }
    // SAFETY: sockaddr_storage is plain old data, valid when zeroed.
    let zero_addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut addrs = vec![zero_addr; count];
    let mut cmsgs = vec![CMSG_ZERO; count];
    let mut hdrs: Vec<libc::mmsghdr> = Vec::with_capacity(count);
    for ((buf, addr), cmsg) in bufs.iter_mut().zip(&mut addrs).zip(&mut cmsgs) {
        // SAFETY: mmsghdr is plain old data, valid when zeroed.
        let mut m: libc::mmsghdr = unsafe { std::mem::zeroed() };
        m.msg_hdr.msg_name = ptr::from_mut(addr).cast();
        m.msg_hdr.msg_namelen = c_size::<libc::sockaddr_storage>();
        // IoSliceMut is guaranteed ABI-compatible with iovec on Unix.
        m.msg_hdr.msg_iov = ptr::from_mut(buf).cast();
        m.msg_hdr.msg_iovlen = 1;
        m.msg_hdr.msg_control = cmsg.0.as_mut_ptr().cast();
        m.msg_hdr.msg_controllen = size_of::<CmsgBuf>() as _;
        hdrs.push(m);
    }
    // At most MAX_MESSAGES_PER_CALL (1024), which fits c_uint.
    let vlen = libc::c_uint::try_from(count).unwrap_or(1024);
    // SAFETY: each header points at one of the caller's buffers (exclusively borrowed for this
    // call) and at an element of `addrs`/`cmsgs`, which are not touched until after the call;
    // every length matches its buffer. A null timeout means none.
    let n = unsafe {
        libc::recvmmsg(
            fd.as_fd().as_raw_fd(),
            hdrs.as_mut_ptr(),
            vlen,
            libc::MSG_WAITFORONE | libc::MSG_TRUNC | c_flags(flags.bits()),
            ptr::null_mut(),
        )
    };
    let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
    for ((m, addr), out) in hdrs.iter().zip(&addrs).take(n).zip(meta.iter_mut()) {
        *out = RecvMeta {
            len: m.msg_len as usize,
            truncated: m.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
            source: from_raw_addr(addr, m.msg_hdr.msg_namelen),
            segment_size: read_gro_cmsg(&m.msg_hdr),
        };
    }
    Ok(n)
}

fn setsockopt_int<Fd: AsFd>(fd: Fd, level: i32, name: i32, value: i32) -> io::Result<()> {
    let len = c_size::<libc::c_int>();
    // SAFETY: `value` is a live c_int and `len` its size, as the option expects.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_fd().as_raw_fd(),
            level,
            name,
            ptr::from_ref(&value).cast(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Turns `UDP_GRO` on or off (`setsockopt(SOL_UDP, UDP_GRO)`): with it on, the kernel may
/// hand one receive several same-size datagrams coalesced, reporting the segment size in a
/// control message ([`RecvMeta::segment_size`]). Fails with `ENOPROTOOPT` on kernels before
/// 5.0 and on non-UDP sockets.
///
/// # Examples
///
/// ```
/// let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// vectored::sys::set_udp_gro(&sock, true)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// [`udp(7)`](https://man7.org/linux/man-pages/man7/udp.7.html)
pub fn set_udp_gro<Fd: AsFd>(fd: Fd, on: bool) -> io::Result<()> {
    setsockopt_int(fd, libc::SOL_UDP, libc::UDP_GRO, i32::from(on))
}

/// Sets `SO_NO_CHECK` (no UDP checksums on IPv4): the kernel then refuses segmentation
/// offload (`EINVAL`), which is how tests force the fallback path on a real socket.
///
/// # Examples
///
/// ```
/// let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// vectored::sys::set_no_check(&sock, true)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # References
///
/// [`socket(7)`](https://man7.org/linux/man-pages/man7/socket.7.html)
pub fn set_no_check<Fd: AsFd>(fd: Fd, on: bool) -> io::Result<()> {
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_NO_CHECK, i32::from(on))
}

/// Whether `fd` is a UDP socket (IPv4 or IPv6 `SOCK_DGRAM` with protocol UDP), the only kind
/// that honours `UDP_SEGMENT`: a Unix datagram socket silently ignores the control message
/// and would send the whole run as one datagram. Three `getsockopt` calls.
///
/// # Examples
///
/// ```
/// let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
/// let (unix, _peer) = std::os::unix::net::UnixDatagram::pair()?;
/// assert!(vectored::sys::is_udp(&udp)?);
/// assert!(!vectored::sys::is_udp(&unix)?);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn is_udp<Fd: AsFd>(fd: Fd) -> io::Result<bool> {
    use rustix::net::{sockopt, AddressFamily, SocketType};
    let fd = fd.as_fd();
    let domain = sockopt::socket_domain(fd)?;
    if domain != AddressFamily::INET && domain != AddressFamily::INET6 {
        return Ok(false);
    }
    if sockopt::socket_type(fd)? != SocketType::DGRAM {
        return Ok(false);
    }
    Ok(sockopt::socket_protocol(fd)? == Some(rustix::net::ipproto::UDP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for text in ["127.0.0.1:4242", "[::1]:9", "[fe80::1%2]:53"] {
            let addr: SocketAddr = text.parse().unwrap();
            let raw = raw_addr(&addr);
            assert_eq!(from_raw_addr(&raw.storage, raw.len), Some(addr), "{text}");
        }
    }

    #[test]
    fn segment_cmsg_is_what_the_kernel_parses() {
        let mut cmsg = CMSG_ZERO;
        let len = write_segment_cmsg(&mut cmsg, 1200);
        // SAFETY: msghdr is plain old data.
        let mut hdr: libc::msghdr = unsafe { std::mem::zeroed() };
        hdr.msg_control = cmsg.0.as_mut_ptr().cast();
        hdr.msg_controllen = len as _;
        // SAFETY: hdr describes `cmsg`, which holds one control message.
        let (level, ty, size) = unsafe {
            let c = libc::CMSG_FIRSTHDR(&raw const hdr);
            assert!(!c.is_null());
            (
                (*c).cmsg_level,
                (*c).cmsg_type,
                ptr::read_unaligned(libc::CMSG_DATA(c).cast::<u16>()),
            )
        };
        assert_eq!((level, ty, size), (libc::SOL_UDP, libc::UDP_SEGMENT, 1200));
    }
}
