"""send_datagrams / recv_datagrams on real sockets (Linux): boundaries, contents, errors."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Iterator

import pytest

import vectored

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="datagram batching is Linux-only")

UDP_GRO = 104  # <netinet/udp.h>; not exported by the socket module
SO_NO_CHECK = 11  # <asm-generic/socket.h>


def payload(i: int, n: int) -> bytes:
    return bytes((i * 131 + j * 7) % 251 for j in range(n))


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """(sender connected to receiver, receiver with a large buffer)."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    rx.bind(("127.0.0.1", 0))
    # Non-blocking, so that timeouts apply (a blocking fd blocks inside recvmmsg).
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.connect(rx.getsockname())
    with rx, tx:
        yield tx, rx


def recv_all(rx: socket.socket, n: int, size: int = 65536) -> list[bytes]:
    """Receives exactly n datagrams, then checks nothing more is queued."""
    bufs = [bytearray(size) for _ in range(64)]
    got: list[bytes] = []
    while len(got) < n:
        for index, offset, nbytes, _addr, truncated in vectored.recv_datagrams(rx, bufs, timeout=10):
            assert not truncated
            got.append(bytes(bufs[index][offset : offset + nbytes]))
    assert len(got) == n
    with pytest.raises(BlockingIOError):
        vectored.recv_datagrams(rx, [bytearray(1)], timeout=0)
    return got


@pytest.mark.parametrize("sizes", [[1200] * 300, [64] * 200 + [10], [77], [0, 5, 5, 5, 3, 900, 900, 0]])
def test_boundaries_and_contents(pair: tuple[socket.socket, socket.socket], sizes: list[int]) -> None:
    tx, rx = pair
    data = [payload(i, n) for i, n in enumerate(sizes)]
    assert vectored.send_datagrams(tx, data) == sum(sizes)
    assert recv_all(rx, len(data)) == data


def test_mixed_buffer_types_and_fd_int(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    data: list[bytes | bytearray | memoryview] = [b"abc", bytearray(b"abc"), memoryview(b"xxabcxx")[2:5], b"zz"]
    assert vectored.send_datagrams(tx.fileno(), data) == 11
    assert recv_all(rx, 4) == [b"abc", b"abc", b"abc", b"zz"]


def test_gro_receive_is_split_exactly(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    rx.setsockopt(socket.SOL_UDP, UDP_GRO, 1)
    data = [payload(i, 700) for i in range(150)] + [payload(150, 33)]
    vectored.send_datagrams(tx, data)
    bufs = [bytearray(65536) for _ in range(8)]
    got: list[bytes] = []
    coalesced = False
    while len(got) < len(data):
        items = vectored.recv_datagrams(rx, bufs, timeout=10)
        indexes = [item[0] for item in items]
        coalesced |= len(set(indexes)) < len(indexes)
        got += [bytes(bufs[i][o : o + n]) for i, o, n, _a, _t in items]
    assert got == data
    assert coalesced, "no receive held several datagrams: segmentation offload unused?"


def test_refused_segmentation_falls_back(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    tx.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)  # the kernel now refuses UDP_SEGMENT
    data = [payload(i, 512) for i in range(200)]
    vectored.send_datagrams(tx, data)
    assert recv_all(rx, 200, 2048) == data


def test_address_for_unconnected_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, socket.socket(
        socket.AF_INET, socket.SOCK_DGRAM
    ) as tx:
        rx.bind(("127.0.0.1", 0))
        tx.bind(("127.0.0.1", 0))
        data = [payload(i, 100) for i in range(10)]
        assert vectored.send_datagrams(tx, data, address=rx.getsockname()) == 1000
        bufs = [bytearray(2048) for _ in range(16)]
        got: list[bytes] = []
        while len(got) < 10:
            for i, o, n, addr, _t in vectored.recv_datagrams(rx, bufs, timeout=10):
                assert addr == tx.getsockname()
                got.append(bytes(bufs[i][o : o + n]))
        assert got == data


def test_bad_address_arguments(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, _rx = pair
    with pytest.raises(ValueError, match="numeric"):
        vectored.send_datagrams(tx, [b"x"], address=("localhost", 9))
    with pytest.raises(TypeError):
        vectored.send_datagrams(tx, [b"x"], address="127.0.0.1:9")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence"):
        vectored.send_datagrams(tx, 42)  # type: ignore[arg-type]


def test_oversized_datagram_says_which(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    data = [b"a" * 100, b"b" * 100, b"c" * 70000, b"d"]
    with pytest.raises(OSError) as info:
        vectored.send_datagrams(tx, data)
    assert info.value.errno == errno.EMSGSIZE
    assert info.value.datagrams_sent == 2  # type: ignore[attr-defined]
    assert info.value.transferred == 200  # type: ignore[attr-defined]
    assert recv_all(rx, 2) == data[:2]


def test_full_socket_would_block_then_timeout() -> None:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        a.setblocking(False)
        data = [payload(i, 200) for i in range(400)]
        with pytest.raises(BlockingIOError) as info:
            vectored.send_datagrams(a, data, timeout=0)
        sent = info.value.datagrams_sent  # type: ignore[attr-defined]
        assert 0 < sent < 400
        assert info.value.transferred == sent * 200  # type: ignore[attr-defined]
        with pytest.raises(TimeoutError) as info2:
            vectored.send_datagrams(a, data[sent:], timeout=0.02)
        assert info2.value.datagrams_sent == 0  # type: ignore[attr-defined]
        bufs = [bytearray(1024) for _ in range(64)]
        got = [bytes(bufs[i][o : o + n]) for i, o, n, _a, _t in vectored.recv_datagrams(b, bufs, timeout=10)]
        assert got == data[: len(got)]


def test_connection_refused_reports_count() -> None:
    closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()
    closed.close()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        tx.connect(port)
        data = [b"x" * 10] * 3 + [b"y" * 20]
        for _ in range(100):
            try:
                vectored.send_datagrams(tx, data)
            except ConnectionRefusedError as e:
                sent = e.datagrams_sent  # type: ignore[attr-defined]
                assert 0 <= sent < 4
                assert e.transferred == sum(map(len, data[:sent]))  # type: ignore[attr-defined]
                return
        pytest.fail("ECONNREFUSED never reported")


def test_truncated_receive_is_flagged(pair: tuple[socket.socket, socket.socket]) -> None:
    tx, rx = pair
    tx.send(payload(0, 100))
    buf = bytearray(10)
    [(index, offset, nbytes, addr, truncated)] = vectored.recv_datagrams(rx, [buf], timeout=10)
    assert (index, offset, nbytes, truncated) == (0, 0, 10, True)
    assert addr == tx.getsockname()
    assert bytes(buf) == payload(0, 100)[:10]


def test_receive_needs_writable_buffers(pair: tuple[socket.socket, socket.socket]) -> None:
    _tx, rx = pair
    with pytest.raises(BufferError):
        vectored.recv_datagrams(rx, [b"read-only"], timeout=0)


def test_receive_refuses_aliased_buffers(pair: tuple[socket.socket, socket.socket]) -> None:
    """One bytearray listed twice would be two `&mut` over one region: refused, not received."""
    tx, rx = pair
    vectored.send_datagrams(tx, [b"a" * 10, b"b" * 10])
    buf = bytearray(64)
    with pytest.raises(ValueError, match="share memory"):
        vectored.recv_datagrams(rx, [buf, memoryview(buf)[8:]], timeout=10)
    # Nothing was consumed: both datagrams are still there.
    assert recv_all(rx, 2) == [b"a" * 10, b"b" * 10]


def test_receive_honours_the_socket_timeout(pair: tuple[socket.socket, socket.socket]) -> None:
    """No timeout argument: the socket's own timeout bounds the wait, as recv_into's would."""
    _tx, rx = pair
    rx.settimeout(0.05)
    with pytest.raises(TimeoutError):
        vectored.recv_datagrams(rx, [bytearray(64)])
