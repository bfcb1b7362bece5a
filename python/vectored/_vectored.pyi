"""Scatter-gather I/O: drop-in ``os.writev``/``readv``/``pwritev``/``preadv`` and loops that
transfer everything (the Rust extension module of :mod:`vectored`).

*buffers* is always a **sequence** (list, tuple, any object with ``__len__`` and
``__getitem__``; not an iterator or generator) of objects supporting the buffer protocol:
``bytes``, ``bytearray``, ``memoryview`` (C-contiguous, slices included), ``array.array``,
``mmap.mmap``, C-contiguous NumPy arrays... Their bytes are used in place, never copied
(except that :func:`writev_all` may gather runs of tiny buffers into one). Every buffer is
acquired before the first system call and held until the call returns, with the GIL released
in between: a ``bytearray`` cannot be resized meanwhile (``BufferError``).
"""

import sys
from collections.abc import Sequence
from typing import Final, Protocol

from typing_extensions import Buffer

__all__ = [
    "writev",
    "readv",
    "pwritev",
    "preadv",
    "writev_all",
    "readv_exact",
    "pwritev_all",
    "preadv_exact",
    "IncompleteReadError",
    "IOV_MAX",
    "__version__",
]
if sys.platform == "linux":
    __all__ += [
        "RWF_HIPRI",
        "RWF_DSYNC",
        "RWF_SYNC",
        "RWF_NOWAIT",
        "RWF_APPEND",
        "RWF_ATOMIC",
        "RWF_DONTCACHE",
        "RWF_NOSIGNAL",
        "send_datagrams",
        "recv_datagrams",
    ]

class _HasFileno(Protocol):
    def fileno(self) -> int: ...

_FdLike = int | _HasFileno

__version__: Final[str]

IOV_MAX: Final[int]
"""The most buffers one system call takes (1024 on Linux); ``writev`` and friends raise
``OSError(EINVAL)`` beyond it, the ``*_all``/``*_exact`` helpers split the list."""

if sys.platform == "linux":
    RWF_HIPRI: Final[int]
    """High-priority (polled) read or write; meaningful with ``O_DIRECT``."""
    RWF_DSYNC: Final[int]
    """This write is ``O_DSYNC``: data (and the metadata needed to read it) reach the device."""
    RWF_SYNC: Final[int]
    """This write is ``O_SYNC``."""
    RWF_NOWAIT: Final[int]
    """Fail with ``BlockingIOError`` rather than block (page-cache misses, locks)."""
    RWF_APPEND: Final[int]
    """Append to the end of the file whatever the offset (Linux 4.16+)."""
    RWF_ATOMIC: Final[int]
    """Write without tearing, where the file system supports it (Linux 6.11+)."""
    RWF_DONTCACHE: Final[int]
    """Uncached buffered I/O (Linux 6.14+)."""
    RWF_NOSIGNAL: Final[int]
    """Raise ``BrokenPipeError`` instead of ``SIGPIPE`` on a broken pipe or socket (Linux 6.18+)."""

class IncompleteReadError(EOFError):
    """End of file before every buffer was filled.

    Raised by :func:`readv_exact` and :func:`preadv_exact`. The first ``transferred`` bytes of
    the buffers (in order) hold what was read; ``expected`` is the total that was asked for.
    """

    transferred: int
    """Bytes read before the end of file."""
    expected: int
    """Bytes asked for: the total size of the buffers."""

def writev(fd: int, buffers: Sequence[Buffer], /) -> int:
    """Write the contents of *buffers* to file descriptor *fd* with one ``writev(2)`` call.

    A drop-in replacement for :func:`os.writev`: same arguments, result and exceptions.
    Returns the number of bytes written, which may be less than the total (a non-blocking
    fd, a signal, a full disk); use :func:`writev_all` to write everything.

    Raises ``OSError`` for the system call's errors (``BrokenPipeError``,
    ``BlockingIOError``, ...; ``EINVAL`` for more than :data:`IOV_MAX` buffers), ``TypeError``
    for a non-sequence or an item without the buffer protocol, ``BufferError`` for a
    non-contiguous buffer.
    """

def readv(fd: int, buffers: Sequence[Buffer], /) -> int:
    """Read from file descriptor *fd* into the writable *buffers* with one ``readv(2)`` call.

    A drop-in replacement for :func:`os.readv`. The buffers are filled in order; returns the
    number of bytes read, which may be less than their total size, and 0 at end of file.
    Read-only buffers (``bytes``) raise ``BufferError``. Use :func:`readv_exact` to fill every
    buffer.
    """

def pwritev(fd: int, buffers: Sequence[Buffer], offset: int, flags: int = 0, /) -> int:
    """Write *buffers* to *fd* at *offset* with one ``pwritev2(2)`` call, leaving the file
    offset unchanged.

    A drop-in replacement for :func:`os.pwritev`. *offset* ``-1`` writes at the current file
    offset and advances it (this works on pipes too); other negative offsets raise
    ``OSError(EINVAL)``. *flags* is a bitwise OR of ``RWF_*`` constants; flags the kernel
    does not know raise ``OSError(EOPNOTSUPP)``. Returns the number of bytes written, which
    may be less than the total; use :func:`pwritev_all` to write everything.
    """

def preadv(fd: int, buffers: Sequence[Buffer], offset: int, flags: int = 0, /) -> int:
    """Read from *fd* at *offset* into the writable *buffers* with one ``preadv2(2)`` call,
    leaving the file offset unchanged.

    A drop-in replacement for :func:`os.preadv`. *offset* ``-1`` reads at the current file
    offset and advances it. *flags* is a bitwise OR of ``RWF_*`` constants (``RWF_NOWAIT``:
    ``BlockingIOError`` instead of waiting for the disk). Returns the number of bytes read,
    which may be less than the total size of the buffers, and 0 at or past the end of the
    file; use :func:`preadv_exact` to fill every buffer.
    """

def _sock_writev_all(fd: int, buffers: Sequence[Buffer], /) -> int:
    """Private to :mod:`vectored.asyncio`: ``writev_all(fd, buffers, timeout=0)`` for an
    *fd* known to be a stream socket."""

def writev_all(fd: _FdLike, buffers: Sequence[Buffer], /, *, timeout: float | None = None) -> int:
    """Write every byte of *buffers* to *fd*, in order, and return the total.

    *fd* is a file descriptor or an object with ``fileno()`` (socket, file). Short writes
    are resumed where they stopped, any number of buffers is fine (more than
    :data:`IOV_MAX` are split over several calls), runs of small buffers are gathered into
    few system calls, and ``EINTR`` is retried after running Python's signal handlers (an
    exception a handler raises, such as ``KeyboardInterrupt``, propagates with
    ``.transferred`` set).

    On a non-blocking fd it waits for room with ``poll`` (never sleeping or spinning): as
    long as it takes when *timeout* is ``None``, at most *timeout* seconds in total
    (``TimeoutError``), and not at all when *timeout* is 0 (``BlockingIOError``). A blocking
    fd blocks inside the system call, where *timeout* does not apply. The GIL is released
    throughout. With *timeout* ``None`` and an *fd* object whose ``gettimeout()`` is not
    ``None`` (a socket after ``settimeout``), that timeout applies to the whole call, as in
    ``socket.sendall``.

    ``SIGPIPE`` is never raised, even if its handler is ``SIG_DFL``: a pipe or socket
    without a reader raises ``BrokenPipeError``.

    Every ``OSError`` raised after the buffers were accepted is a
    :class:`vectored.TransferError` (``VectoredTimeoutError``, ``VectoredBrokenPipeError``...,
    still instances of the errno's ``OSError`` subclass) with a ``transferred`` attribute:
    exactly how many bytes were written (the first ``transferred`` bytes of the
    concatenation, each once); ``BlockingIOError`` also has it as ``characters_written``.
    Bad *timeout* values raise ``ValueError``/``TypeError``/``OverflowError`` as
    :meth:`socket.socket.settimeout` does.
    """

def readv_exact(fd: _FdLike, buffers: Sequence[Buffer], /, *, timeout: float | None = None) -> int:
    """Fill every one of the writable *buffers* from *fd*, in order, and return their total
    size.

    Short reads are resumed, ``EINTR`` is retried after running signal handlers, and a
    non-blocking fd is waited for with ``poll`` as *timeout* allows (see :func:`writev_all`).
    End of file first raises :class:`IncompleteReadError`, whose ``transferred`` says how
    many bytes were read; other errors raise ``OSError`` with ``transferred``.
    """

def pwritev_all(fd: _FdLike, buffers: Sequence[Buffer], offset: int, /, *, flags: int = 0) -> int:
    """Write every byte of *buffers* at *offset* with positional writes (``pwritev2``),
    leaving the file offset unchanged, and return the total.

    Each call writes at *offset* plus the bytes already written; *flags* (``RWF_*``) applies
    to every call. *offset* must not be negative (``OSError(EINVAL)``); use
    :func:`writev_all` to write at the current file offset. Errors raise ``OSError`` with a
    ``transferred`` attribute (``ESPIPE`` for pipes and sockets).
    """

def preadv_exact(fd: _FdLike, buffers: Sequence[Buffer], offset: int, /, *, flags: int = 0) -> int:
    """Fill every one of the writable *buffers* from *offset* with positional reads
    (``preadv2``), leaving the file offset unchanged, and return their total size.

    Reading past the end of the file raises :class:`IncompleteReadError` (``transferred``
    bytes were read). *offset* must not be negative (``OSError(EINVAL)``).
    """

if sys.platform == "linux":
    _Address = tuple[str, int] | tuple[str, int, int, int]

    def send_datagrams(
        sock: _FdLike,
        messages: Sequence[Buffer],
        /,
        *,
        address: _Address | None = None,
        timeout: float | None = None,
    ) -> int:
        """Send each item of *messages* as one datagram on *sock*, in order, and return the
        total bytes sent (Linux).

        Runs of consecutive messages of the same size (the last may be shorter) go out as one
        UDP segmentation-offload send (``UDP_SEGMENT``, up to 64 datagrams), the rest in
        ``sendmmsg`` batches of up to 1024, with the GIL released. A kernel or socket that
        refuses segmentation is detected and the same datagrams are sent without it, never
        twice. Only UDP sockets get segmentation; other datagram sockets (``AF_UNIX``) get
        ``sendmmsg`` batches.

        *address* is the destination of every message, ``(host, port)`` or ``(host, port,
        flowinfo, scope_id)`` with a **numeric** host (no name resolution); ``None`` sends to
        the connected peer. *timeout* is as in :func:`writev_all`.

        On failure the ``OSError`` has ``datagrams_sent``: the first that many messages were
        sent, each exactly once, and the next one is the one that failed (``EMSGSIZE``: too
        large) or was not tried; ``transferred`` is their bytes (``ConnectionRefusedError``
        on a connected socket after an earlier datagram drew an ICMP error).
        """

    def recv_datagrams(
        sock: _FdLike, buffers: Sequence[Buffer], /, *, timeout: float | None = None
    ) -> list[tuple[int, int, int, _Address | None, bool]]:
        """Receive datagrams into the writable *buffers* with one ``recvmmsg`` (Linux).

        Waits for the first datagram (as *timeout* allows on a non-blocking socket, see
        :func:`writev_all`; a blocking socket blocks inside ``recvmmsg``), then takes
        what is queued, one datagram per buffer. With ``UDP_GRO`` on (``sock.setsockopt(
        socket.SOL_UDP, 104, 1)``), one buffer may receive several datagrams coalesced; they
        are split back by the segment size the kernel reports (give such sockets buffers of
        65535 bytes).

        Returns one tuple ``(index, offset, nbytes, address, truncated)`` per datagram, in
        order: its bytes are ``buffers[index][offset:offset + nbytes]``; ``address`` is the
        sender as :meth:`socket.socket.recvfrom` gives it (``None`` for non-IP sockets);
        ``truncated`` is true when the buffer was too small and the datagram's tail was lost.
        """
