"""Vectored socket I/O for asyncio: write a list of buffers, or fill one, on a non-blocking
socket, waiting for readiness with the event loop (``loop.add_writer``/``add_reader``).

Works on any loop that implements ``add_reader``/``add_writer`` (the default selector loop
and uvloop on Unix). No thread pool, no copy of large buffers (runs of buffers under 512
bytes are gathered into few system calls, as :func:`vectored.writev_all` does), nothing
buffered beyond the call.

How a call runs: first one ``writev_all``/``readv_exact`` with ``timeout=0``, before the
event loop is even looked up; when the socket takes (or has) everything at once, as it
mostly does, that is the whole call: one system call, no future, no callback. Otherwise a
readiness callback is registered once and stays registered until the call ends, as
``loop.sock_sendall`` does: each time the socket is ready, the callback moves as much as
it takes with one system call (``pwritev2`` of the remaining buffers when there are at
most 16, else ``writev_all``), and the coroutine is woken only at the end.

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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typing_extensions is not a runtime dependency
    from typing_extensions import Buffer

import vectored
from vectored import _vectored
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


def _nbytes(buf: Buffer) -> int:
    kind = type(buf)
    # len() counts bytes for these two; other exporters need a view to tell.
    return len(buf) if kind is bytes or kind is bytearray else memoryview(buf).nbytes  # type: ignore[arg-type]


def _rest(buffers: Sequence[Buffer], skip: int) -> list[Buffer]:
    """The buffers after the first `skip` bytes of their concatenation (no copies)."""
    out: list[Buffer] = []
    it = iter(buffers)
    for buf in it:
        size = _nbytes(buf)
        if skip >= size:
            skip -= size
            continue
        out.append(memoryview(buf).cast("B")[skip:] if skip else buf)
        break
    out.extend(it)
    return out


_FEW = 16
"""Lists up to this long go out with ``pwritev`` (``RWF_NOSIGNAL``) as they are while the
call waits: its short count needs no exception, and there is nothing to coalesce."""
_RWF_NOSIGNAL: int = getattr(vectored, "RWF_NOSIGNAL", 0)
_NOSIGNAL_WORKS = [sys.platform == "linux"]

# `writev_all(fd, buffers, timeout=0)` for a stream socket: no test of what the fd is, and
# a first attempt staged into one buffer is one `send` (cheaper for the kernel than a
# one-iovec `pwritev2`).
_sock_writev_all = _vectored._sock_writev_all
_readv_exact = vectored.readv_exact
_pwritev = vectored.pwritev


def _first_call(
    call: Callable[..., int],
    fd: int,
    buffers: Sequence[Buffer],
    progress: Progress | None,
    failures: type[BaseException] | tuple[type[BaseException], ...],
) -> tuple[int, bool]:
    """The first attempt of a call, before the event loop is looked up: one `call` with
    ``timeout=0``. Returns the bytes moved and whether that was all of them; a failure
    (one of `failures`, which carry ``transferred``) is raised with *progress* set."""
    if progress is not None:
        progress.transferred = 0
    try:
        moved = call(fd, buffers, timeout=0)
    except BlockingIOError as err:
        return err.characters_written, False
    except failures as err:
        if progress is not None:
            progress.transferred = err.transferred  # type: ignore[attr-defined]
        raise
    if progress is not None:
        progress.transferred = moved
    return moved, True


class _Pump:
    """Runs `step` from the loop's readiness callback for `fd` until it says it is done.

    The callback stays registered (``add_writer``/``add_reader``) from the first wait to
    the end, as ``loop.sock_sendall`` does, so each readiness is one system call in the
    callback: no task step, no re-registration (two ``epoll_ctl`` on the default loop) per
    wait. `step` returns whether everything was transferred, updating the caller's
    :class:`Progress` after every system call; it runs only while :attr:`future` is not
    done, so nothing is transferred after a cancellation."""

    __slots__ = ("_fd", "_loop", "_registered", "_step", "_write", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int, write: bool,
                 step: Callable[[], bool]) -> None:
        self._loop = loop
        self._fd = fd
        self._write = write
        self._step = step
        self.future: asyncio.Future[None] = loop.create_future()
        if write:
            loop.add_writer(fd, self._ready)
        else:
            loop.add_reader(fd, self._ready)
        self._registered = True

    def _ready(self) -> None:
        future = self.future
        if future.done():  # cancelled: the waiting coroutine unregisters us
            return
        try:
            if not self._step():
                return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # handed to the waiting coroutine
            self._stop()
            future.set_exception(exc)
            return
        self._stop()
        future.set_result(None)

    def _stop(self) -> None:
        if self._registered:
            self._registered = False
            if self._write:
                self._loop.remove_writer(self._fd)
            else:
                self._loop.remove_reader(self._fd)

    async def wait(self, timeout: float | None, what: str, state: Progress) -> None:
        """Until the steps are done, the deadline passes (`timeout` from now) or the
        caller is cancelled; the callback is unregistered when this returns or raises."""
        try:
            if timeout is None:
                await self.future
                return
            async with asyncio.timeout(timeout) as deadline:
                await self.future
        except TimeoutError:
            if timeout is not None and deadline.expired():
                raise timeout_error(f"timed out before {what}", state.transferred) from None
            raise
        finally:
            self._stop()


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
    *progress*, if given, says at any time how many bytes were sent (see the module docs:
    this is how a cancelled caller knows). ``SIGPIPE`` is never raised
    (``BrokenPipeError``).
    """
    timeout_of_sock = sock.timeout  # 0.0 when non-blocking; `!= 0` would cost a float compare
    if timeout_of_sock is None or timeout_of_sock:
        raise ValueError("the socket must be non-blocking")
    fd = sock.fileno()
    # The common case first, before the loop is looked up: one call that the socket takes
    # whole (one system call; small buffers coalesced). `_first_call`, inlined for the
    # write side, whose call takes no `timeout` (`_sock_writev_all` never waits).
    if progress is not None:
        progress.transferred = 0
    try:
        sent = _sock_writev_all(fd, buffers)
    except BlockingIOError as err:
        sent = err.characters_written
    except TransferError as err:
        if progress is not None:
            progress.transferred = err.transferred
        raise
    else:
        if progress is not None:
            progress.transferred = sent
        return sent
    return await _write_rest(fd, buffers, sent, timeout, progress)


async def _write_rest(
    fd: int,
    buffers: Sequence[Buffer],
    sent: int,
    timeout: float | None,
    progress: Progress | None,
) -> int:
    """`sock_writev_all` once the socket has taken `sent` bytes and no more for now."""
    loop = asyncio.get_running_loop()
    state = progress if progress is not None else Progress()
    state.transferred = sent
    pending = _rest(buffers, sent)
    left = sum(_nbytes(b) for b in pending) if len(pending) <= _FEW else -1

    def step() -> bool:
        nonlocal pending, left
        base = state.transferred
        if left >= 0 and _NOSIGNAL_WORKS[0]:
            # A few buffers (a head and a body): one pwritev2(RWF_NOSIGNAL), whose short
            # count needs no exception, and nothing to coalesce.
            try:
                n = _pwritev(fd, pending, -1, _RWF_NOSIGNAL)
            except BlockingIOError:
                return False
            except OSError as err:
                if err.errno != errno.EOPNOTSUPP:
                    raise with_transferred(err, base) from None
                _NOSIGNAL_WORKS[0] = False  # a kernel before 6.18: writev_all from now on
                return False
            state.transferred = base + n
            left -= n
            if left <= 0:
                return True
            pending = _rest(pending, n)
            return False
        try:
            state.transferred = base + _sock_writev_all(fd, pending)
            return True
        except BlockingIOError as err:
            state.transferred = base + err.characters_written
            pending = _rest(pending, err.characters_written)
            return False
        except TransferError as err:
            err.transferred += base
            state.transferred = err.transferred
            raise

    await _Pump(loop, fd, True, step).wait(timeout, "every byte was sent", state)
    return state.transferred


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
    if sock.gettimeout() != 0:
        raise ValueError("the socket must be non-blocking")
    fd = sock.fileno()
    got, done = _first_call(
        _readv_exact, fd, buffers, progress, (vectored.IncompleteReadError, TransferError)
    )
    if done:
        return got
    return await _read_rest(fd, buffers, got, timeout, progress)


async def _read_rest(
    fd: int,
    buffers: Sequence[Buffer],
    got: int,
    timeout: float | None,
    progress: Progress | None,
) -> int:
    """`sock_readv_exact` once `got` bytes were read and no more are there for now."""
    loop = asyncio.get_running_loop()
    state = progress if progress is not None else Progress()
    state.transferred = got
    pending = _rest(buffers, got)

    def step() -> bool:
        nonlocal pending
        base = state.transferred
        try:
            state.transferred = base + _readv_exact(fd, pending, timeout=0)
            return True
        except BlockingIOError as err:
            state.transferred = base + err.characters_written
            pending = _rest(pending, err.characters_written)
            return False
        except vectored.IncompleteReadError as err:
            state.transferred = base + err.transferred
            err.transferred = state.transferred
            err.expected = base + err.expected
            raise
        except TransferError as err:
            err.transferred += base
            state.transferred = err.transferred
            raise

    await _Pump(loop, fd, False, step).wait(timeout, "every buffer was filled", state)
    return state.transferred
