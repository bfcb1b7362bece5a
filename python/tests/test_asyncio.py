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
