"""Vectored socket I/O for asyncio: write a list of buffers, or fill one, on a non-blocking
socket, waiting for readiness with the event loop (``loop.add_writer``/``add_reader``).

Works on any loop that implements ``add_reader``/``add_writer`` (the default selector loop
and uvloop on Unix). No thread pool, no copy of large buffers (runs of buffers under 512
bytes are gathered into few system calls, as :func:`vectored.writev_all` does), nothing
buffered beyond the call (but for :class:`SocketWriter`'s queue, which is bounded).

How a call runs: first one ``writev_all``/``readv_exact`` with ``timeout=0``, before the
event loop is even looked up; when the socket takes (or has) everything at once, as it
mostly does, that is the whole call: one system call, no future, no callback. Otherwise a
readiness callback is registered once and stays registered until the call ends, as
``loop.sock_sendall`` does: each time the socket is ready, the callback moves as much as
it takes with one system call (``pwritev2`` of the remaining buffers when there are at
most 16, else ``writev_all``), and the coroutine is woken only at the end.

Many responses on one connection
--------------------------------

A call of :func:`sock_writev_all` returns when its bytes are in the kernel, so while the
socket is full every call waits for room by itself. :class:`SocketWriter` queues writes
behind each other instead (bounded by a high-water mark) and sends the queue, from several
writes together, up to 16 kept items per system call.

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
import collections
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

__all__ = ["Progress", "SocketWriter", "sock_readv_exact", "sock_writev_all"]


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


async def _until(future: asyncio.Future[None], timeout: float | None, what: str,
                 transferred: Callable[[], int]) -> None:
    """Awaits `future`, at most `timeout` seconds from now: past that deadline (the call's
    own, not an outer `asyncio.timeout`'s), :class:`vectored.VectoredTimeoutError` saying
    what had not happened and the bytes `transferred()` then."""
    if timeout is None:
        await future
        return
    try:
        async with asyncio.timeout(timeout) as deadline:
            await future
    except TimeoutError:
        if deadline.expired():
            raise timeout_error(f"timed out before {what}", transferred()) from None
        raise


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
            await _until(self.future, timeout, what, lambda: state.transferred)
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


_SMALL = 512
"""Kept buffers under this size are joined with their neighbours under it into one ``bytes``
(one copy, when they are queued) rather than kept as one item each: a queue of 100-byte
pieces would otherwise go out 16 iovecs of 100 bytes at a time."""


def _kept(buffers: Sequence[Buffer], skip: int) -> tuple[list[bytes | memoryview], int]:
    """What a :class:`SocketWriter` keeps of *buffers* after their first `skip` bytes went
    out, and its size: ``bytes`` (and views of ``bytes``) by reference, anything else copied,
    since the caller may change it once ``write`` returns; runs of small pieces joined.
    Raises ``TypeError`` for an item that is not a contiguous buffer, before anything is
    kept."""
    kept: list[bytes | memoryview] = []
    run: list[bytes | memoryview] = []  # consecutive small pieces, joined when the run ends
    size = 0
    for buf in buffers:
        piece: bytes | memoryview
        view = None if type(buf) is bytes else memoryview(buf)
        n = len(buf) if view is None else view.nbytes  # type: ignore[arg-type]
        if skip >= n:  # sent already, or empty (an empty view may refuse the cast below)
            skip -= n
            continue
        if view is None:
            piece = memoryview(buf)[skip:] if skip else buf  # type: ignore[assignment]
            shared = True
        else:
            piece = view.cast("B")[skip:] if skip else view.cast("B")
            shared = piece.readonly and type(piece.obj) is bytes
        n -= skip
        skip = 0
        size += n
        if n < _SMALL:
            run.append(piece)
            continue
        if run:
            kept.append(_joined(run))
            run = []
        kept.append(piece if shared else bytes(piece))
    if run:
        kept.append(_joined(run))
    return kept, size


def _joined(run: list[bytes | memoryview]) -> bytes | memoryview:
    """A run of small kept pieces as one item: a lone ``bytes`` as it is, else joined."""
    return run[0] if len(run) == 1 and type(run[0]) is bytes else b"".join(run)


class SocketWriter:
    """Vectored writes to a non-blocking stream socket with bounded buffering, for a
    connection that sends many responses: what ``transport.writelines`` with flow control
    would be, without joining the buffers.

    ``await writer.write(buffers)`` sends at once what the socket takes (one system call,
    small buffers coalesced, as :func:`sock_writev_all`'s first attempt) and keeps the rest;
    while something is kept, later writes are only queued behind it, and a readiness callback
    sends the queue, from several writes together, up to 16 kept items per system call,
    until the socket is full again.
    ``write`` waits only when more than *high_water* bytes are kept, until at most
    *low_water* are (a quarter of *high_water* unless given), then queues its buffers: the
    memory held is at most *high_water* plus one write's buffers, whatever the caller does.
    Several tasks may write at once: writes that wait for room are served in call order, one
    at a time, and a later write waits behind them even when there is room, so the bytes go
    out in the order the writes were called. ``await writer.flush()`` waits until every
    byte of the writes that have returned is in the kernel (not for writes made after it).

    Kept buffers: ``bytes`` (and read-only views of ``bytes``) by reference; anything else
    (``bytearray``, a view of writable memory) is copied when it has to be kept, since its
    owner may change it once ``write`` has returned, and runs of pieces under 512 bytes are
    joined into one ``bytes``. What a ``write`` that did not wait hands the socket at once
    is never copied (a write that waits copies its writable buffers before the wait).

    Progress: :attr:`transferred` counts the bytes the socket took, :attr:`pending` the bytes
    kept; both are exact whenever the caller runs, so after a cancellation or a timeout too.
    A ``write`` cancelled while it waits for room has queued nothing. When a system call
    fails (the peer reset the connection, ``EPIPE``...), the kept bytes are dropped and that
    error, a :class:`vectored.TransferError` whose ``transferred`` is the writer's total, is
    raised by the waiting calls and by every later ``write`` and ``flush``. ``SIGPIPE`` is
    never raised. The writer does not own the socket: closing it stays the caller's job
    (:meth:`abort` first, if bytes may still be kept). ::

        async with vectored.asyncio.SocketWriter(sock) as writer:
            for head, body in responses:
                await writer.write([head, body])
        # leaving the block flushed everything (or, on an exception, dropped what was kept)
    """

    __slots__ = ("_epoch", "_error", "_fd", "_flushes", "_high", "_loop", "_low", "_pending",
                 "_pending_bytes", "_registered", "_room", "_sock", "_transferred")

    def __init__(self, sock: socket.socket, *, high_water: int = 256 * 1024,
                 low_water: int | None = None) -> None:
        if sock.gettimeout() != 0:
            raise ValueError("the socket must be non-blocking")
        if sock.type != socket.SOCK_STREAM:
            raise ValueError("the socket must be a stream socket")
        if low_water is None:
            low_water = high_water // 4
        if not 0 <= low_water <= high_water:
            raise ValueError(f"need 0 <= low_water <= high_water, got {low_water} and {high_water}")
        self._sock = sock  # keeps the fd open while the writer may use it
        self._fd = sock.fileno()
        self._high = high_water
        self._low = low_water
        self._pending: list[bytes | memoryview] = []
        self._pending_bytes = 0
        self._transferred = 0
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._registered = False
        # Writes waiting for room, in call order; the first is woken once at most `low_water`
        # bytes are kept, and wakes the next after it has queued its buffers.
        self._room: collections.deque[asyncio.Future[None]] = collections.deque()
        # Flushes waiting: (`transferred` they wait for, future).
        self._flushes: list[tuple[int, asyncio.Future[None]]] = []
        # Counts aborts and failures, so that a wait woken just before one sees it.
        self._epoch = 0

    @property
    def transferred(self) -> int:
        """Bytes the socket has taken so far: the first `transferred` bytes of every write's
        buffers, in order."""
        return self._transferred

    @property
    def pending(self) -> int:
        """Bytes written but not yet taken by the socket (kept by the writer)."""
        return self._pending_bytes

    def __repr__(self) -> str:
        return (f"SocketWriter(fd={self._fd}, transferred={self._transferred}, "
                f"pending={self._pending_bytes})")

    async def write(self, buffers: Sequence[Buffer], *, timeout: float | None = None) -> None:
        """Send *buffers* after everything written before, keeping what the socket does not
        take now; wait first (at most *timeout* seconds, :class:`vectored.VectoredTimeoutError`)
        only while more than *high_water* bytes are kept or earlier writes wait for room."""
        if self._error is not None:
            raise self._failure()
        if self._pending_bytes > self._high or self._room:
            # Checked (and copied where needed) before the wait: bad input fails at once.
            kept, size = _kept(buffers, 0)
            await self._wait_for_room(timeout)
            buffers = kept
        elif self._pending:
            kept, size = _kept(buffers, 0)
        if self._pending:
            self._pending += kept
            self._pending_bytes += size
            self._ensure_registered()
            self._pass_room()
            return
        try:
            self._transferred += _sock_writev_all(self._fd, buffers)
            self._pass_room()
            return
        except BlockingIOError as err:
            sent = err.characters_written
        except TransferError as err:
            self._transferred += err.transferred
            err.transferred = self._transferred
            self._fail(err)
            raise
        self._transferred += sent
        try:
            self._pending, self._pending_bytes = _kept(buffers, sent)
        except Exception as exc:  # the extension took an item this cannot keep: cut short
            self._fail(with_transferred(OSError(errno.EINVAL, f"cannot keep a buffer: {exc}"),
                                        self._transferred))
            raise self._failure() from exc
        if self._pending:
            self._ensure_registered()
        self._pass_room()

    async def flush(self, *, timeout: float | None = None) -> None:
        """Wait until the socket has taken every byte of the writes that have returned (at
        most *timeout* seconds: :class:`vectored.VectoredTimeoutError`, with the bytes still
        kept)."""
        target = self._transferred + self._pending_bytes
        if self._transferred < target:
            self._ensure_registered()
            future = asyncio.get_running_loop().create_future()
            entry = (target, future)
            self._flushes.append(entry)
            try:
                await _until(future, timeout, "every byte was sent", lambda: self._transferred)
            finally:
                if entry in self._flushes:
                    self._flushes.remove(entry)
        if self._error is not None:
            raise self._failure()

    def abort(self) -> int:
        """Drop the kept bytes and stop sending; return how many were dropped. Waiting calls
        raise ``ConnectionAbortedError``; the writer can be used again afterwards."""
        dropped = self._pending_bytes
        self._pending, self._pending_bytes = [], 0
        self._unregister()
        self._wake_all(self._aborted)
        return dropped

    async def __aenter__(self) -> SocketWriter:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            await self.flush()
        else:
            self.abort()

    def _failure(self) -> BaseException:
        """The stored error, as a new exception of its class carrying the writer's total
        (``transferred``)."""
        err = self._error
        assert err is not None
        try:
            new = type(err)(*err.args)
        except Exception:  # a class whose constructor wants other arguments
            new = err
        # Declared by TransferError, the usual class; set on any other too.
        setattr(new, "transferred", self._transferred)  # noqa: B010
        return new

    def _aborted(self) -> TransferError:
        """What a call stopped by :meth:`abort` raises."""
        return with_transferred(
            ConnectionAbortedError(errno.ECONNABORTED, "the writer was aborted"),
            self._transferred)

    def _fail(self, err: BaseException) -> None:
        """Stop for good after `err`: drop what is kept, wake every waiting call with it."""
        self._error = err
        self._pending, self._pending_bytes = [], 0
        self._unregister()
        self._wake_all(self._failure)

    def _wake_all(self, error: Callable[[], BaseException]) -> None:
        """Fails every waiting call with a new `error()`, also one woken but not yet run."""
        self._epoch += 1
        futures = [*self._room, *(future for _, future in self._flushes)]
        self._room, self._flushes = collections.deque(), []
        for future in futures:
            if not future.done():
                future.set_exception(error())

    def _pass_room(self) -> None:
        """Wakes the first write waiting for room, if there is room (at most `low_water`
        kept) and it was not woken already."""
        if self._room and self._pending_bytes <= self._low:
            first = self._room[0]
            if not first.done():
                first.set_result(None)

    def _ensure_registered(self) -> None:
        """The readiness callback on the running loop (moved there from a loop used before:
        a writer may outlive a loop, `asyncio.run` twice)."""
        loop = asyncio.get_running_loop()
        if self._registered:
            if self._loop is loop:
                return
            try:
                assert self._loop is not None
                self._loop.remove_writer(self._fd)
            except Exception:  # that loop is closed, and its selector with it
                pass
        loop.add_writer(self._fd, self._ready)
        self._loop, self._registered = loop, True

    def _sent(self, n: int) -> None:
        """The socket took the first `n` kept bytes."""
        self._transferred += n
        self._pending_bytes -= n
        pending = self._pending
        i = 0
        while n:
            size = len(pending[i])
            if n < size:
                pending[i] = memoryview(pending[i])[n:]
                break
            n -= size
            i += 1
        del pending[:i]

    def _unregister(self) -> None:
        if self._registered:
            self._registered = False
            assert self._loop is not None
            self._loop.remove_writer(self._fd)

    def _ready(self) -> None:
        """The socket has room: send from the front of the queue until it takes no more,
        at most 16 kept items per system call (the extension's cheapest path; the socket
        takes little more than its free space in any case)."""
        pending = self._pending
        try:
            while pending:
                batch = pending[:_FEW] if len(pending) > _FEW else pending
                try:
                    sent = _sock_writev_all(self._fd, batch)
                except BlockingIOError as err:
                    self._sent(err.characters_written)
                    break
                self._sent(sent)
        except BaseException as exc:  # an OSError (with `transferred`), or anything else
            self._transferred += getattr(exc, "transferred", 0)
            if isinstance(exc, Exception):
                self._fail(exc)
                return
            # KeyboardInterrupt from a signal handler: the writer stops, the interrupt goes on.
            self._fail(with_transferred(ConnectionAbortedError(
                errno.ECONNABORTED, f"interrupted by {type(exc).__name__}"), self._transferred))
            raise
        if not pending:
            self._unregister()
        if self._flushes:
            done = self._transferred
            for target, future in self._flushes:
                if target <= done and not future.done():
                    future.set_result(None)
        self._pass_room()

    async def _wait_for_room(self, timeout: float | None) -> None:
        """Until this write's turn comes (earlier waiting writes first) and at most
        `low_water` bytes are kept; raises if the writer is aborted or fails meanwhile."""
        if self._pending:
            self._ensure_registered()
        future = asyncio.get_running_loop().create_future()
        self._room.append(future)
        epoch = self._epoch
        self._pass_room()
        woken = False
        try:
            await _until(future, timeout, "there was room", lambda: self._transferred)
            woken = True
        finally:
            try:
                self._room.remove(future)
            except ValueError:
                pass
            if not woken:
                self._pass_room()  # the turn this write had, or would have had, goes on
        if self._epoch != epoch:  # aborted or failed after this write was woken
            if self._error is not None:
                raise self._failure()
            raise self._aborted()
