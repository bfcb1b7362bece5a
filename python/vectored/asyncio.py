"""Vectored socket I/O for asyncio: write a list of buffers, or fill one, on a non-blocking
socket, waiting for readiness with the event loop (``loop.add_writer``/``add_reader``).

Works on any loop that implements ``add_reader``/``add_writer`` (the default selector loop
and uvloop on Unix). No thread pool, no copy of large buffers (runs of buffers under 512
bytes are gathered into few system calls, as :func:`vectored.writev_all` does), nothing
buffered beyond the call: each step is one ``writev_all``/``readv_exact`` with
``timeout=0`` that moves as much as the socket takes, then the coroutine waits until the
socket is ready again.

Progress, cancellation and timeouts
-----------------------------------

A coroutine that is cancelled (``task.cancel()``, ``asyncio.timeout``, ``wait_for``) cannot
carry a byte count on its ``CancelledError``. Pass a :class:`Progress` instead: its
``transferred`` is updated after every system call, before the coroutine can be suspended
again, so whenever the coroutine stops (returns, raises, or is cancelled) it holds exactly
how many bytes went out (or came in): the first ``transferred`` bytes of the buffers'
concatenation, each once. ::

    progress = vectored.asyncio.Progress()
    try:
        async with asyncio.timeout(5):
            await vectored.asyncio.sock_writev_all(sock, [head, body], progress=progress)
    except TimeoutError:
        print("sent", progress.transferred, "bytes")

With ``timeout=`` given, the coroutine's own deadline raises
:class:`vectored.VectoredTimeoutError` (a :class:`TimeoutError` with ``transferred``). Other OS errors raise the ``OSError``
subclass with ``transferred`` set, like the synchronous helpers.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing_extensions is not a runtime dependency
    from typing_extensions import Buffer

import vectored
from vectored._errors import TransferError, timeout_error, with_transferred

__all__ = ["Progress", "sock_readv_exact", "sock_writev_all"]


class Progress:
    """Bytes transferred so far by the call this object was passed to (exact at every
    suspension point, so also after a cancellation)."""

    __slots__ = ("transferred",)

    def __init__(self) -> None:
        self.transferred: int = 0

    def __repr__(self) -> str:
        return f"Progress(transferred={self.transferred})"


def _rest(buffers: Sequence[Buffer], skip: int) -> list[Buffer]:
    """The buffers after the first `skip` bytes of their concatenation (no copies)."""
    out: list[Buffer] = []
    it = iter(buffers)
    for buf in it:
        kind = type(buf)
        # len() counts bytes for these two; other exporters need a view to tell.
        size = len(buf) if kind is bytes or kind is bytearray else memoryview(buf).nbytes  # type: ignore[arg-type]
        if skip >= size:
            skip -= size
            continue
        out.append(memoryview(buf).cast("B")[skip:] if skip else buf)
        break
    out.extend(it)
    return out


_FEW = 16
"""Lists up to this long go out with ``pwritev`` (``RWF_NOSIGNAL``) as they are."""
_RWF_NOSIGNAL: int = getattr(vectored, "RWF_NOSIGNAL", 0)
_NOSIGNAL_WORKS = [sys.platform == "linux"]


def _nbytes(buf: Buffer) -> int:
    kind = type(buf)
    return len(buf) if kind is bytes or kind is bytearray else memoryview(buf).nbytes  # type: ignore[arg-type]


def _check(sock: socket.socket) -> int:
    if sock.gettimeout() != 0:
        raise ValueError("the socket must be non-blocking")
    return sock.fileno()


async def _wait(loop: asyncio.AbstractEventLoop, fd: int, write: bool) -> None:
    waiter: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    if write:
        loop.add_writer(fd, ready)
    else:
        loop.add_reader(fd, ready)
    try:
        await waiter
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def sock_writev_all(
    sock: socket.socket,
    buffers: Sequence[Buffer],
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> int:
    """Send every byte of *buffers* on the non-blocking *sock*, in order; return the total.

    Like ``loop.sock_sendall`` for a list of buffers, without joining them. *timeout*
    bounds the whole call (:class:`vectored.VectoredTimeoutError` with ``transferred``).
    *progress*,
    if given, says at any time how many bytes were sent (see the module docs: this is how
    a cancelled caller knows). ``SIGPIPE`` is never raised (``BrokenPipeError``).
    """
    fd = _check(sock)
    loop = asyncio.get_running_loop()
    state = progress if progress is not None else Progress()
    state.transferred = 0
    if len(buffers) <= _FEW and _NOSIGNAL_WORKS[0]:
        # A few buffers (a head and a body): one pwritev2(RWF_NOSIGNAL) per step, whose
        # short count needs no exception, and no coalescing to pay for.
        total = sum(_nbytes(b) for b in buffers)
        deadline = None if timeout is None else loop.time() + timeout
        pending: Sequence[Buffer] = buffers
        try:
            while True:
                try:
                    n = vectored.pwritev(fd, pending, -1, _RWF_NOSIGNAL)
                except BlockingIOError:
                    n = 0
                state.transferred += n
                if state.transferred >= total:
                    return state.transferred
                if n:
                    pending = _rest(pending, n)
                async with asyncio.timeout_at(deadline):  # the whole call's deadline
                    await _wait(loop, fd, write=True)
        except TimeoutError:
            raise timeout_error("timed out before every byte was sent", state.transferred) from None
        except OSError as err:
            if err.errno != errno.EOPNOTSUPP or state.transferred:
                raise with_transferred(err, state.transferred) from None
            _NOSIGNAL_WORKS[0] = False  # a kernel before 6.18: the general path from now on
    try:
        # Common case first: everything goes out in one call, with no list rebuilt.
        state.transferred = vectored.writev_all(fd, buffers, timeout=0)
        return state.transferred
    except BlockingIOError as err:
        state.transferred = err.characters_written
    if timeout is None:
        return await _write_rest(loop, fd, buffers, state)
    try:
        async with asyncio.timeout(timeout):
            return await _write_rest(loop, fd, buffers, state)
    except TimeoutError:
        raise timeout_error("timed out before every byte was sent", state.transferred) from None


async def _write_rest(
    loop: asyncio.AbstractEventLoop, fd: int, buffers: Sequence[Buffer], state: Progress
) -> int:
    pending = _rest(buffers, state.transferred)
    while True:
        await _wait(loop, fd, write=True)
        base = state.transferred
        try:
            state.transferred = base + vectored.writev_all(fd, pending, timeout=0)
            return state.transferred
        except BlockingIOError as err:
            state.transferred = base + err.characters_written
            pending = _rest(pending, err.characters_written)
        except TransferError as err:
            err.transferred += base
            state.transferred = err.transferred
            raise


async def sock_readv_exact(
    sock: socket.socket,
    buffers: Sequence[Buffer],
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> int:
    """Fill every one of the writable *buffers* from the non-blocking *sock*, in order;
    return their total size.

    End of stream first raises :class:`vectored.IncompleteReadError` (``transferred``
    bytes were read); *timeout* and *progress* as in :func:`sock_writev_all`.
    """
    fd = _check(sock)
    loop = asyncio.get_running_loop()
    state = progress if progress is not None else Progress()
    state.transferred = 0
    try:
        state.transferred = vectored.readv_exact(fd, buffers, timeout=0)
        return state.transferred
    except BlockingIOError as err:
        state.transferred = err.characters_written
    if timeout is None:
        return await _read_rest(loop, fd, buffers, state)
    try:
        async with asyncio.timeout(timeout):
            return await _read_rest(loop, fd, buffers, state)
    except TimeoutError:
        raise timeout_error("timed out before every buffer was filled", state.transferred) from None


async def _read_rest(
    loop: asyncio.AbstractEventLoop, fd: int, buffers: Sequence[Buffer], state: Progress
) -> int:
    pending = _rest(buffers, state.transferred)
    while True:
        await _wait(loop, fd, write=False)
        base = state.transferred
        try:
            state.transferred = base + vectored.readv_exact(fd, pending, timeout=0)
            return state.transferred
        except BlockingIOError as err:
            state.transferred = base + err.characters_written
            pending = _rest(pending, err.characters_written)
        except vectored.IncompleteReadError as err:
            state.transferred = base + err.transferred
            err.transferred = state.transferred
            err.expected = base + err.expected
            raise
        except TransferError as err:
            err.transferred += base
            state.transferred = err.transferred
            raise
