"""vectored.asyncio on the default loop and on uvloop (when installed): every byte once and
in order, exact progress after timeouts and cancellation."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

import vectored
from vectored.asyncio import Progress, sock_readv_exact, sock_writev_all

try:
    import uvloop

    HAVE_UVLOOP = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_UVLOOP = False

LOOPS = ["asyncio", "uvloop"]


def run(loop_name: str, main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    if loop_name == "uvloop":
        if not HAVE_UVLOOP:
            pytest.skip("uvloop is not installed (pip install uvloop)")
        return uvloop.run(main())
    return asyncio.run(main())


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def payload() -> list[Any]:
    """Small and large buffers of several kinds, 5 MiB in all."""
    out: list[Any] = []
    for i in range(200):
        out.append(bytes([i % 251]) * (i % 7 * 50))
        if i % 40 == 0:
            out.append(memoryview(bytearray(os.urandom(1 << 20))))
    return out


def read_all(sock: socket.socket, total: int) -> bytes:
    got = bytearray()
    while len(got) < total:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    return bytes(got)


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("shape", ["many", "few"])
def test_writev_all_sends_everything_in_order(loop_name: str, shape: str,
                                              pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bufs = payload() if shape == "many" else few()
    expected = b"".join(bytes(x) for x in bufs)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(read_all(b, len(expected))))
    reader.start()
    progress = Progress()

    async def main() -> int:
        return await sock_writev_all(a, bufs, progress=progress)

    assert run(loop_name, main) == len(expected) == progress.transferred
    reader.join(30)
    assert received == [expected]


@pytest.mark.parametrize("loop_name", LOOPS)
def test_readv_exact_fills_buffers(loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    data = os.urandom(3 << 20)
    bufs: list[Any] = [bytearray(10), bytearray(1 << 20), memoryview(bytearray((2 << 20) - 10))]
    writer = threading.Thread(target=lambda: b.sendall(data))
    writer.start()

    async def main() -> int:
        return await sock_readv_exact(a, bufs)

    assert run(loop_name, main) == len(data)
    writer.join(30)
    assert b"".join(bytes(x) for x in bufs) == data


@pytest.mark.parametrize("loop_name", LOOPS)
def test_eof_is_incomplete_read(loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def finish() -> None:
            b.sendall(b"abc")
            b.shutdown(socket.SHUT_WR)

        loop.call_later(0.05, finish)
        with pytest.raises(vectored.IncompleteReadError) as info:
            await sock_readv_exact(a, [bytearray(2), bytearray(5)])
        assert (info.value.transferred, info.value.expected) == (3, 7)

    run(loop_name, main)


def few() -> list[Any]:
    """A head and a body (the path for up to 16 buffers)."""
    return [b"HTTP/1.1 200 OK\r\n\r\n", memoryview(os.urandom(6 << 20))[1:], bytearray(b"!")]


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("how", ["timeout", "asyncio.timeout", "cancel"])
@pytest.mark.parametrize("shape", ["many", "few"])
def test_progress_is_exact_when_stopped(loop_name: str, how: str, shape: str,
                                        pair: tuple[socket.socket, socket.socket]) -> None:
    """The peer never reads: the call stops midway, and `transferred` is exactly what the
    peer can then read."""
    a, b = pair
    bufs = payload() if shape == "many" else few()
    expected = b"".join(bytes(x) for x in bufs)
    progress = Progress()

    async def main() -> None:
        if how == "timeout":
            with pytest.raises(vectored.VectoredTimeoutError) as info:
                await sock_writev_all(a, bufs, timeout=0.1, progress=progress)
            assert isinstance(info.value, TimeoutError)
            assert info.value.transferred == progress.transferred
        elif how == "asyncio.timeout":
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await sock_writev_all(a, bufs, progress=progress)
        else:
            task = asyncio.ensure_future(sock_writev_all(a, bufs, progress=progress))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    run(loop_name, main)
    assert 0 < progress.transferred < len(expected)
    a.shutdown(socket.SHUT_WR)
    assert read_all(b, len(expected)) == expected[: progress.transferred]


def test_blocking_socket_is_refused(pair: tuple[socket.socket, socket.socket]) -> None:
    _, b = pair

    async def main() -> None:
        with pytest.raises(ValueError, match="non-blocking"):
            await sock_writev_all(b, [b"x"])

    asyncio.run(main())


def test_broken_pipe_has_transferred(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.close()

    async def main() -> None:
        with pytest.raises(BrokenPipeError) as info:
            await sock_writev_all(a, [b"x" * 100])
        assert isinstance(info.value, vectored.TransferError)
        assert info.value.transferred == 0

    asyncio.run(main())


def test_progress_is_set_when_the_first_call_fails(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.close()
    progress = Progress()
    progress.transferred = 12345  # whatever a previous call left

    async def main() -> None:
        with pytest.raises(BrokenPipeError) as info:
            await sock_writev_all(a, [b"x" * 100], progress=progress)
        assert isinstance(info.value, vectored.TransferError)
        assert progress.transferred == info.value.transferred == 0
        progress.transferred = 12345
        with pytest.raises(TypeError):  # refused before anything is sent
            await sock_writev_all(a, [b"x", "not a buffer"], progress=progress)  # type: ignore[list-item]
        assert progress.transferred == 0
        progress.transferred = 12345
        with pytest.raises(BufferError):  # a read-only buffer, as os.readv says
            await sock_readv_exact(a, [b"read-only"], progress=progress)
        assert progress.transferred == 0

    asyncio.run(main())


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("how", ["done", "timeout", "cancel", "error"])
@pytest.mark.parametrize("direction", ["write", "read"])
def test_no_callback_is_left_registered(loop_name: str, how: str, direction: str,
                                        pair: tuple[socket.socket, socket.socket],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The readiness callback registered while a call waits is gone when the call ends,
    however it ends: once the fd is ready again, it is not called any more (a leftover
    one would be called on every loop iteration)."""
    a, b = pair
    bufs: list[Any] = few() if direction == "write" else [bytearray(10), bytearray(1 << 20)]
    size = sum(memoryview(x).nbytes for x in bufs)
    calls = [0]
    ready = vectored.asyncio._Pump._ready

    def counted(self: Any) -> None:
        calls[0] += 1
        ready(self)

    monkeypatch.setattr(vectored.asyncio._Pump, "_ready", counted)

    # Made here, so that it is joined before the fixture closes `b` (a reader in `recv` on a
    # closed socket fails in its thread, which pytest blames on a later test).
    drain = threading.Thread(target=lambda: read_all(b, 1 << 30), daemon=True)

    async def main() -> None:
        progress = Progress()
        timeout = 0.2 if how == "timeout" else None
        call = (sock_writev_all(a, bufs, progress=progress, timeout=timeout)
                if direction == "write"
                else sock_readv_exact(a, bufs, progress=progress, timeout=timeout))
        task = asyncio.ensure_future(call)
        await asyncio.sleep(0.05)
        assert not task.done()  # it is waiting, its callback registered
        if how == "done":
            if direction == "write":
                drain.start()
            else:
                threading.Thread(target=lambda: b.sendall(b"y" * size)).start()
            assert await task == size
        elif how == "timeout":
            with pytest.raises(vectored.VectoredTimeoutError):
                await task
        elif how == "cancel":
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            b.shutdown(socket.SHUT_RDWR)
            with pytest.raises((BrokenPipeError, ConnectionResetError, EOFError)):
                await task
        # Make the fd ready (a shut-down peer already does): writable, or readable.
        if how in ("timeout", "cancel"):
            if direction == "write":
                drain.start()
            else:
                b.sendall(b"z")
        elif how == "done" and direction == "read":
            b.sendall(b"z")
        await asyncio.sleep(0.1)
        before = calls[0]
        for _ in range(20):
            await asyncio.sleep(0)
        assert calls[0] == before
        if how in ("done", "error"):
            assert before > 0  # the count works: the callback ran when the fd was ready

    run(loop_name, main)
    b.shutdown(socket.SHUT_RDWR)
    if drain.ident is not None:  # started: the shutdown ends its `recv`
        drain.join(30)
        assert not drain.is_alive()


@pytest.mark.parametrize("loop_name", LOOPS)
def test_an_outer_deadline_is_not_the_calls_own(loop_name: str,
                                                pair: tuple[socket.socket, socket.socket]) -> None:
    """`asyncio.timeout` around a call with a longer `timeout=`: the caller's plain
    `TimeoutError` comes out (not the call's own `VectoredTimeoutError`), progress exact."""
    a, b = pair
    bufs = few()
    expected = b"".join(bytes(x) for x in bufs)
    progress = Progress()

    async def main() -> None:
        with pytest.raises(TimeoutError) as info:
            async with asyncio.timeout(0.1):
                await sock_writev_all(a, bufs, timeout=30, progress=progress)
        assert not isinstance(info.value, vectored.VectoredTimeoutError)

    run(loop_name, main)
    assert 0 < progress.transferred < len(expected)
    a.shutdown(socket.SHUT_WR)
    assert read_all(b, len(expected)) == expected[: progress.transferred]


@pytest.mark.parametrize("loop_name", LOOPS)
def test_read_timeout_keeps_what_came(loop_name: str,
                                      pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    bufs = [bytearray(2), bytearray(5)]
    b.sendall(b"abc")
    progress = Progress()

    async def main() -> None:
        with pytest.raises(vectored.VectoredTimeoutError) as info:
            await sock_readv_exact(a, bufs, timeout=0.1, progress=progress)
        assert info.value.transferred == progress.transferred == 3

    run(loop_name, main)
    assert bytes(bufs[0]) + bytes(bufs[1][:1]) == b"abc"
