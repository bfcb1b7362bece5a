"""vectored.asyncio.SocketWriter on the default loop and on uvloop (when installed): every
byte once and in order across writes, memory bounded by the high-water mark, exact progress
after timeouts, cancellation and errors, and bad input refused before anything is queued."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import vectored
from vectored.asyncio import SocketWriter

from test_asyncio import LOOPS, read_all, run


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    # Small buffers, so that the socket fills after a few writes and the writer keeps bytes.
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 << 10)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 10)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def responses(count: int) -> list[list[Any]]:
    """Writes of every kind of buffer: small and large, bytes and views of bytes (kept by
    reference), bytearrays and views of writable memory (copied when kept)."""
    out = []
    for i in range(count):
        head = f"response {i}\r\n".encode()
        body_size = (i * 7919) % (96 << 10)
        body: Any
        if i % 4 == 0:
            body = os.urandom(body_size)
        elif i % 4 == 1:
            body = bytearray(os.urandom(body_size))
        elif i % 4 == 2:
            body = memoryview(bytearray(os.urandom(body_size + 3)))[3:]
        else:
            body = memoryview(os.urandom(body_size + 5))[5:]
        out.append([head, body, bytearray(b"\r\n")] + [bytes([i % 256])] * (i % 5))
    return out


def slow_reader(sock: socket.socket, total: int, into: bytearray) -> threading.Thread:
    """A thread that reads `total` bytes in small gulps with pauses, so the writer's socket
    is full most of the time."""

    def main() -> None:
        while len(into) < total:
            chunk = sock.recv(4096)
            if not chunk:
                return
            into.extend(chunk)
            if len(into) % 7 == 0:
                time.sleep(0.0005)

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("loop_name", LOOPS)
def test_every_byte_once_in_order(loop_name: str,
                                  pair: tuple[socket.socket, socket.socket]) -> None:
    """Writes queue behind each other while the socket is full; the bytes sent are the
    buffers' contents when `write` was called, even for buffers changed afterwards."""
    a, b = pair
    writes = responses(120)
    expected = b"".join(bytes(x) for bufs in writes for x in bufs)
    got = bytearray()
    reader = slow_reader(b, len(expected), got)
    writer = SocketWriter(a, high_water=64 << 10)
    most_kept = [0]

    async def main() -> None:
        written = 0
        for bufs in writes:
            await writer.write(bufs)
            written += sum(memoryview(x).nbytes for x in bufs)
            # Exact at every step: taken by the socket, or kept.
            assert writer.transferred + writer.pending == written
            most_kept[0] = max(most_kept[0], writer.pending)
            for buf in bufs:  # the caller reuses its writable buffers at once
                if isinstance(buf, (bytearray, memoryview)) and not memoryview(buf).readonly:
                    memoryview(buf).cast("B")[:1] = b"\xff" if len(memoryview(buf)) else b""
        await writer.flush()
        assert writer.pending == 0

    run(loop_name, main)
    reader.join(30)
    assert bytes(got) == expected
    assert writer.transferred == len(expected)
    assert most_kept[0] > 0  # the socket was full at times: bytes were kept and queued


@pytest.mark.parametrize("loop_name", LOOPS)
def test_memory_is_bounded(loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    """The peer never reads: `write` returns only while at most `high_water` bytes were
    kept before it (so at most `high_water` plus one write's bytes are held), then waits."""
    a, _ = pair
    high, size = 100_000, 30_000
    writer = SocketWriter(a, high_water=high)
    returned = []

    async def main() -> None:
        async def produce() -> None:
            while True:
                await writer.write([b"h" * 100, os.urandom(size)])
                returned.append(writer.pending)
                assert writer.pending <= high + 100 + size

        task = asyncio.ensure_future(produce())
        await asyncio.sleep(0.2)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(loop_name, main)
    assert returned and returned[-1] > high  # it did fill up to the mark, then waited


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("how", ["cancel", "timeout", "asyncio.timeout"])
def test_a_write_stopped_while_it_waits_queues_nothing(
        loop_name: str, how: str, pair: tuple[socket.socket, socket.socket]) -> None:
    """A `write` stopped while it waits for room has queued none of its buffers: what the
    peer finally reads is exactly every other write, in order."""
    a, b = pair
    writer = SocketWriter(a, high_water=50_000, low_water=10_000)
    sent: list[bytes] = []

    async def main() -> None:
        while writer.pending <= 50_000:
            data = os.urandom(20_000)
            await writer.write([data])
            sent.append(data)
        kept, done = writer.pending, writer.transferred
        refused = [b"never sent"]
        if how == "cancel":
            task = asyncio.ensure_future(writer.write(refused))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        elif how == "timeout":
            with pytest.raises(vectored.VectoredTimeoutError) as info:
                await writer.write(refused, timeout=0.05)
            assert info.value.transferred == writer.transferred
        else:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await writer.write(refused)
        assert (writer.pending, writer.transferred) == (kept, done)
        last = os.urandom(1000)
        drain = threading.Thread(target=lambda: got.extend(read_all(b, total)), daemon=True)
        total = sum(map(len, sent)) + len(last)
        drain.start()
        await writer.write([last])
        sent.append(last)
        await writer.flush()
        drain.join(30)

    got = bytearray()
    run(loop_name, main)
    assert bytes(got) == b"".join(sent)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_flush_timeout_and_abort_leave_exact_progress(
        loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    data = os.urandom(1 << 20)
    writer = SocketWriter(a, high_water=2 << 20)
    dropped = [0]

    async def main() -> None:
        await writer.write([b"head", memoryview(data)])
        assert writer.pending > 0
        with pytest.raises(vectored.VectoredTimeoutError) as info:
            await writer.flush(timeout=0.05)
        assert isinstance(info.value, TimeoutError)
        assert info.value.transferred == writer.transferred
        assert writer.transferred + writer.pending == 4 + len(data)
        dropped[0] = writer.abort()
        assert writer.pending == 0

    run(loop_name, main)
    assert dropped[0] > 0
    a.shutdown(socket.SHUT_WR)
    assert read_all(b, 1 << 21) == (b"head" + data)[: writer.transferred]


@pytest.mark.parametrize("loop_name", LOOPS)
def test_an_error_is_raised_with_the_total_and_stays(
        loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    """The peer goes away while bytes are kept: the waiting `flush` raises the error (a
    `TransferError` with the writer's total), and so does every later call."""
    a, b = pair
    writer = SocketWriter(a)

    async def main() -> None:
        await writer.write([os.urandom(1 << 20)])
        assert writer.pending > 0
        asyncio.get_running_loop().call_later(0.05, b.close)
        with pytest.raises((BrokenPipeError, ConnectionResetError)) as info:
            await writer.flush()
        assert isinstance(info.value, vectored.TransferError)
        assert info.value.transferred == writer.transferred
        assert writer.pending == 0
        for call in (writer.write([b"more"]), writer.flush()):
            with pytest.raises(type(info.value)) as again:
                await call
            assert again.value.transferred == writer.transferred

    run(loop_name, main)


def test_a_failed_first_call_is_raised_and_stays(
        pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    b.close()
    writer = SocketWriter(a)

    async def main() -> None:
        with pytest.raises(BrokenPipeError) as info:
            await writer.write([b"x" * 100])
        assert isinstance(info.value, vectored.TransferError)
        assert info.value.transferred == 0
        with pytest.raises(BrokenPipeError):
            await writer.flush()

    asyncio.run(main())


@pytest.mark.parametrize("queued", [False, True])
@pytest.mark.parametrize("bad", ["text", 5, None, "non-contiguous"])
def test_bad_items_are_refused_before_anything_is_queued(
        queued: bool, bad: Any, pair: tuple[socket.socket, socket.socket]) -> None:
    """A write with an item that is not a contiguous buffer raises `TypeError` (`5` is not
    five zero bytes) and queues nothing, whether the socket is full or not."""
    a, b = pair
    if bad == "non-contiguous":
        bad = memoryview(bytearray(100))[::2]
    writer = SocketWriter(a)

    async def main() -> None:
        if queued:
            await writer.write([os.urandom(1 << 20)])
            assert writer.pending > 0
        before = (writer.pending, writer.transferred)
        with pytest.raises((TypeError, BufferError, ValueError)):
            await writer.write([b"good", bad])
        assert (writer.pending, writer.transferred) == before
        writer.abort()

    asyncio.run(main())


def test_refuses_what_it_cannot_serve() -> None:
    a, b = socket.socketpair()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setblocking(False)
    try:
        with pytest.raises(ValueError, match="non-blocking"):
            SocketWriter(a)
        a.setblocking(False)
        with pytest.raises(ValueError, match="stream"):
            SocketWriter(u)
        with pytest.raises(ValueError, match="low_water"):
            SocketWriter(a, high_water=10, low_water=11)
        with pytest.raises(ValueError, match="low_water"):
            SocketWriter(a, high_water=-1)
    finally:
        for s in (a, b, u):
            s.close()


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("ending", ["normal", "exception"])
def test_async_with_flushes_or_aborts(loop_name: str, ending: str,
                                      pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    data = os.urandom(1 << 20)
    got = bytearray()
    drain = threading.Thread(target=lambda: got.extend(read_all(b, len(data))), daemon=True)
    writer = SocketWriter(a)

    async def main() -> None:
        async with writer:
            await writer.write([data])
            assert writer.pending > 0
            if ending == "exception":
                raise KeyError("stop")
            drain.start()

    if ending == "exception":
        with pytest.raises(KeyError):
            run(loop_name, main)
        assert writer.pending == 0
        a.shutdown(socket.SHUT_WR)
        assert read_all(b, len(data)) == data[: writer.transferred]
    else:
        run(loop_name, main)
        drain.join(30)
        assert bytes(got) == data


@pytest.mark.parametrize("loop_name", LOOPS)
def test_no_callback_is_left_registered(loop_name: str,
                                        pair: tuple[socket.socket, socket.socket],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Once everything kept is sent, the readiness callback is gone: the socket stays
    writable, and it is not called any more."""
    a, b = pair
    calls = [0]
    ready = SocketWriter._ready

    def counted(self: SocketWriter) -> None:
        calls[0] += 1
        ready(self)

    monkeypatch.setattr(SocketWriter, "_ready", counted)
    data = os.urandom(1 << 20)
    writer = SocketWriter(a)

    # Joined before the test ends: `flush` returns when the bytes are in the kernel, not read,
    # and a reader still in `recv` when the fixture closes `b` fails in its thread (which
    # pytest then blames on the next test).
    drain = threading.Thread(target=lambda: read_all(b, len(data)), daemon=True)

    async def main() -> None:
        await writer.write([data])
        drain.start()
        await writer.flush()
        before = calls[0]
        assert before > 0
        for _ in range(20):
            await asyncio.sleep(0)
        assert calls[0] == before

    run(loop_name, main)
    drain.join(30)
    assert not drain.is_alive()


def test_a_writer_outlives_its_loop(pair: tuple[socket.socket, socket.socket]) -> None:
    """Used under one `asyncio.run`, then under another: the second fills the socket too."""
    a, b = pair
    writer = SocketWriter(a)
    data = os.urandom(1 << 20)
    got = bytearray()
    kept = []
    # The reader starts on each write's bytes only once the write has returned, so the socket
    # is full then whatever the scheduler does (a reader draining during the write, on a
    # loaded machine, could let 1 MiB through one non-blocking call).
    phases = [threading.Event(), threading.Event()]

    def drain() -> None:
        for go in phases:
            assert go.wait(30)
            # Exactly one write's bytes (`read_all` may read past them).
            end = len(got) + len(data)
            while len(got) < end:
                chunk = b.recv(end - len(got))
                assert chunk
                got.extend(chunk)

    async def main(go: threading.Event) -> None:
        await writer.write([data])
        kept.append(writer.pending)
        go.set()
        await writer.flush()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    asyncio.run(main(phases[0]))
    asyncio.run(main(phases[1]))
    reader.join(30)
    assert not reader.is_alive()
    assert bytes(got) == data + data
    assert all(kept)  # each time the socket was full and the callback had to finish the job


@pytest.mark.parametrize("loop_name", LOOPS)
def test_concurrent_writers_keep_call_order_and_the_bound(
        loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    """Several tasks write at once on a full socket: writes that wait for room go out in
    the order they were called (a later write never overtakes a waiting one), and at most
    `high_water` plus one write's bytes are ever kept."""
    a, b = pair
    high, size = 50_000, 40_000
    writer = SocketWriter(a, high_water=high, low_water=10_000)
    got = bytearray()
    most = [0]

    async def main() -> None:
        async def one(i: int) -> None:
            await writer.write([bytes([i]) * size])
            most[0] = max(most[0], writer.pending)

        tasks = []
        for i in range(12):
            tasks.append(asyncio.ensure_future(one(i)))
            await asyncio.sleep(0)  # each task calls write in turn, in order
        drain = threading.Thread(target=lambda: got.extend(read_all(b, 12 * size)), daemon=True)
        drain.start()
        await asyncio.gather(*tasks)
        await writer.flush()
        drain.join(30)

    run(loop_name, main)
    assert bytes(got) == b"".join(bytes([i]) * size for i in range(12))
    assert most[0] <= high + size


@pytest.mark.parametrize("loop_name", LOOPS)
def test_flush_waits_only_for_what_was_written_before_it(
        loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    """Another task keeps the writer busy (something is always kept): `flush` returns once
    the bytes written before it are in the kernel, not when nothing at all is kept."""
    a, b = pair

    def drain() -> None:
        while b.recv(8192):
            time.sleep(0.0002)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    writer = SocketWriter(a, high_water=64 << 10)

    async def main() -> None:
        stop = False

        async def produce() -> None:
            while not stop:
                await writer.write([os.urandom(8 << 10)])
                await asyncio.sleep(0)

        producer = asyncio.ensure_future(produce())
        while not writer.pending:
            await asyncio.sleep(0)
        target = writer.transferred + writer.pending
        await writer.flush(timeout=5)
        assert writer.transferred >= target
        stop = True
        await producer
        writer.abort()

    run(loop_name, main)
    a.shutdown(socket.SHUT_WR)
    reader.join(10)


async def a_write_waiting_for_room(writer: SocketWriter) -> asyncio.Future[None]:
    """Fills `writer` (high-water mark 50,000 bytes, a peer that does not read) past its
    mark, then starts a write that has to wait for room."""
    await writer.write([os.urandom(1 << 20)])
    waiting = asyncio.ensure_future(writer.write([b"later"]))
    await asyncio.sleep(0.02)
    assert not waiting.done()
    return waiting


@pytest.mark.parametrize("loop_name", LOOPS)
def test_abort_during_a_wait_then_reuse(loop_name: str,
                                        pair: tuple[socket.socket, socket.socket]) -> None:
    """Waiting calls get `ConnectionAbortedError`; then the writer sends again."""
    a, b = pair
    writer = SocketWriter(a, high_water=50_000)
    got = bytearray()

    async def main() -> None:
        waiting = await a_write_waiting_for_room(writer)
        flushing = asyncio.ensure_future(writer.flush())
        await asyncio.sleep(0)
        assert writer.abort() > 0
        for task in (waiting, flushing):
            with pytest.raises(ConnectionAbortedError) as info:
                await task
            assert isinstance(info.value, vectored.TransferError)
            assert info.value.transferred == writer.transferred
        done = writer.transferred
        drain = threading.Thread(target=lambda: got.extend(read_all(b, done + 5)), daemon=True)
        drain.start()
        await writer.write([b"again"], timeout=10)
        await writer.flush(timeout=10)
        drain.join(30)
        assert len(got) == done + 5 and got.endswith(b"again")

    run(loop_name, main)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_write_waiting_for_room_gets_the_error(loop_name: str,
                                                 pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    writer = SocketWriter(a, high_water=50_000)

    async def main() -> None:
        waiting = await a_write_waiting_for_room(writer)
        b.close()
        with pytest.raises((BrokenPipeError, ConnectionResetError)) as info:
            await waiting
        assert info.value.transferred == writer.transferred  # type: ignore[attr-defined]

    run(loop_name, main)


def test_a_writer_moves_to_a_new_loop_with_bytes_still_kept(
        pair: tuple[socket.socket, socket.socket]) -> None:
    """The first loop ends with bytes kept (a flush timed out, no abort): the next loop's
    calls move the readiness callback over and send them."""
    a, b = pair
    writer = SocketWriter(a)
    data = os.urandom(1 << 20)

    async def first() -> None:
        await writer.write([data])
        with pytest.raises(TimeoutError):
            await writer.flush(timeout=0.02)

    async def second() -> None:
        drain = threading.Thread(target=lambda: got.extend(read_all(b, len(data) + 1)),
                                 daemon=True)
        drain.start()
        await writer.write([b"!"], timeout=10)  # waits for room: the callback must be here
        await writer.flush(timeout=10)
        drain.join(30)

    got = bytearray()
    asyncio.run(first())
    assert writer.pending > 0
    asyncio.run(second())
    assert bytes(got) == data + b"!"


def test_empty_buffers_of_any_shape_are_skipped(pair: tuple[socket.socket, socket.socket]) -> None:
    """An empty 2-D buffer (which `memoryview.cast` refuses) next to data that must be kept."""
    import ctypes

    a, b = pair
    writer = SocketWriter(a)
    empty = (ctypes.c_char * 5 * 0)()
    data = os.urandom(1 << 20)
    got = bytearray()

    async def main() -> None:
        await writer.write([data, empty, b"tail", empty])
        drain = threading.Thread(target=lambda: got.extend(read_all(b, len(data) + 4)),
                                 daemon=True)
        drain.start()
        await writer.flush(timeout=10)
        drain.join(30)

    asyncio.run(main())
    assert bytes(got) == data + b"tail"


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_later_write_does_not_overtake_a_waiting_one(
        loop_name: str, pair: tuple[socket.socket, socket.socket]) -> None:
    """Write A waits for room; the peer reads until the writer keeps less than `high_water`
    but more than `low_water`; write B, called then, must still go out after A."""
    a, b = pair
    b.setblocking(False)
    high, low = 200_000, 10_000
    writer = SocketWriter(a, high_water=high, low_water=low)
    got = bytearray()

    def read_some() -> None:
        try:
            got.extend(b.recv(1 << 16))
        except BlockingIOError:
            pass

    async def main() -> None:
        while writer.pending <= high:
            await writer.write([b"F" * 20_000])
        task_a = asyncio.ensure_future(writer.write([b"A" * 1000]))
        await asyncio.sleep(0.01)
        while writer.pending > high - 30_000:
            read_some()
            await asyncio.sleep(0.002)
        assert low < writer.pending <= high and not task_a.done()
        task_b = asyncio.ensure_future(writer.write([b"B" * 1000]))
        while not (task_a.done() and task_b.done()) or writer.pending:
            read_some()
            await asyncio.sleep(0.001)
        await asyncio.gather(task_a, task_b)
        a.shutdown(socket.SHUT_WR)
        while True:
            try:
                chunk = b.recv(1 << 16)
            except BlockingIOError:
                await asyncio.sleep(0.001)
                continue
            if not chunk:
                break
            got.extend(chunk)

    run(loop_name, main)
    assert bytes(got).replace(b"F", b"") == b"A" * 1000 + b"B" * 1000
