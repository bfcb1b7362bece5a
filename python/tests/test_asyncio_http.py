"""The asyncio HTTP example (vectored._asyncio_http): curl, keep-alive clients, and HTTP/1.1
connection management."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from vectored._asyncio_http import BLOCK, HELLO, listen, serve

MAX_CLIENTS = 8


@contextlib.contextmanager
def running(max_clients: int, timeout: float) -> Iterator[int]:
    """The example server on a thread of its own; yields its port."""
    listener = listen()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    tasks: list[asyncio.Task[None]] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        tasks.append(loop.create_task(serve(listener, max_clients, timeout)))
        started.set()
        try:
            loop.run_until_complete(tasks[0])
        except asyncio.CancelledError:
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield listener.getsockname()[1]
    finally:
        loop.call_soon_threadsafe(tasks[0].cancel)
        thread.join(10)
        loop.close()
        listener.close()


@pytest.fixture
def port() -> Iterator[int]:
    with running(MAX_CLIENTS, 30.0) as port:
        yield port


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def read_response(sock: socket.socket, buf: bytearray) -> tuple[bytes, dict[str, str], bytes]:
    """One response: status line, header fields, body. `buf` keeps what was read past it."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(bytes(buf))
        buf += chunk
    end = buf.index(b"\r\n\r\n")
    lines = bytes(buf[:end]).decode().split("\r\n")
    del buf[: end + 4]
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(fields["content-length"])
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    body = bytes(buf[:length])
    del buf[:length]
    return lines[0].encode(), fields, body


def closed(sock: socket.socket) -> bool:
    return sock.recv(1) == b""


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(port: int) -> None:
    out = subprocess.run(["curl", "-sS", f"http://127.0.0.1:{port}/"], capture_output=True,
                         check=True, timeout=30)
    assert out.stdout == HELLO
    size = 3 * len(BLOCK) + 1000
    out = subprocess.run(["curl", "-sS", f"http://127.0.0.1:{port}/bytes/{size}"],
                         capture_output=True, check=True, timeout=30)
    assert out.stdout == (BLOCK * 4)[:size]
    # Two requests on one connection (curl reuses it when the server keeps it alive).
    out = subprocess.run(["curl", "-sS", "-w", "%{num_connects}\n",
                          f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/"],
                         capture_output=True, check=True, timeout=30)
    assert out.stdout == HELLO + b"1\n" + HELLO + b"0\n"


def test_pipelined_and_split_heads(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\nGE")
        sock.sendall(b"T /nope HTTP/1.1\r\nHo")
        sock.sendall(b"st: x\r\n\r\n")
        buf = bytearray()
        assert read_response(sock, buf)[::2] == (b"HTTP/1.1 200 OK", HELLO)
        assert read_response(sock, buf)[2] == BLOCK[:5]
        assert read_response(sock, buf)[0] == b"HTTP/1.1 404 Not Found"
        # Still open: keep-alive by default on HTTP/1.1.
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        status, fields, body = read_response_head_only(sock, buf)
        assert status == b"HTTP/1.1 200 OK" and fields["content-length"] == str(len(HELLO))


@pytest.mark.parametrize("ending", ["between requests", "inside a request body"])
def test_pipelined_responses_all_arrive_after_the_client_stops_sending(port: int,
                                                                       ending: str) -> None:
    """Six large responses queue behind a full socket while the client reads nothing; the
    client then closes its sending side (after a complete request, or inside a body it never
    finishes): every response to a complete request still arrives whole, in order, then the
    end of the stream."""
    sizes = [2_000_000 + 7 * i for i in range(6)]  # more than the sockets' buffers hold
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"".join(f"GET /bytes/{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                              for n in sizes))
        if ending == "inside a request body":
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123")
        sock.shutdown(socket.SHUT_WR)
        buf = bytearray()
        for n in sizes:
            status, _, body = read_response(sock, buf)
            assert status == b"HTTP/1.1 200 OK"
            assert body == (BLOCK * (n // len(BLOCK) + 1))[:n]
        assert not buf and closed(sock)


def read_response_head_only(sock: socket.socket, buf: bytearray) -> tuple[bytes, dict[str, str], bytes]:
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    end = buf.index(b"\r\n\r\n")
    lines = bytes(buf[:end]).decode().split("\r\n")
    del buf[: end + 4]
    return lines[0].encode(), {k.lower(): v.strip() for k, _, v in
                               (line.partition(":") for line in lines[1:])}, b""


@pytest.mark.parametrize(
    ("request_head", "stays_open"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive\r\n\r\n", True),
    ],
)
def test_connection_management(port: int, request_head: bytes, stays_open: bool) -> None:
    with connect(port) as sock:
        sock.sendall(request_head)
        buf = bytearray()
        status, fields, body = read_response(sock, buf)
        assert body == HELLO
        if stays_open:
            assert fields.get("connection", "keep-alive").lower() == "keep-alive"
            sock.sendall(request_head)
            assert read_response(sock, buf)[2] == HELLO
        else:
            assert fields["connection"] == "close"
            assert closed(sock)


@pytest.mark.parametrize(
    "bad",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"a" * 10000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\nX: " + b"a" * 10000,  # oversized and unfinished
        b"GET / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    ],
)
def test_bad_heads_get_400_and_close(port: int, bad: bytes) -> None:
    with connect(port) as sock:
        sock.sendall(bad)
        status, fields, _ = read_response(sock, bytearray())
        assert status == b"HTTP/1.1 400 Bad Request"
        assert fields["connection"] == "close"
        assert closed(sock)


def test_request_body_is_skipped(port: int) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /bytes/3 HTTP/1.1\r\n\r\n")
        buf = bytearray()
        assert read_response(sock, buf)[2] == HELLO
        assert read_response(sock, buf)[2] == BLOCK[:3]


def test_concurrent_keep_alive_clients(port: int) -> None:
    """More clients than MAX_CLIENTS, each making several requests on one connection: all
    are served (the extra ones once a slot frees)."""
    errors: list[BaseException] = []

    def client(n: int) -> None:
        try:
            with connect(port) as sock:
                buf = bytearray()
                for i in range(5):
                    size = 1000 * n + i
                    closing = i == 4
                    sock.sendall(f"GET /bytes/{size} HTTP/1.1\r\nHost: x\r\n"
                                 f"{'Connection: close' if closing else 'X: y'}\r\n\r\n".encode())
                    assert read_response(sock, buf)[2] == (BLOCK * 2)[:size]
                assert closed(sock)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(2 * MAX_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


@pytest.mark.parametrize("keep_alive", [False, True], ids=["close", "keep-alive"])
def test_ab(port: int, keep_alive: bool) -> None:
    """ApacheBench, with and without keep-alive: every response complete, none failed."""
    import re

    from test_http_clients import require

    require("ab", f"python/tests/test_asyncio_http.py::test_ab[{keep_alive}]")
    n = 1000 if keep_alive else 300
    args = ["ab", "-q", "-s", "30", *(["-k"] if keep_alive else []), "-n", str(n), "-c", "4"]
    result = subprocess.run(
        [*args, f"http://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=120
    )
    out = result.stdout
    assert result.returncode == 0, (result.stdout, result.stderr)

    def number(label: str) -> str | None:
        match = re.search(rf"^\s*{re.escape(label)}\s+(\S+)", out, re.MULTILINE)
        return match[1] if match else None

    assert number("Complete requests:") == str(n), out
    assert number("Failed requests:") == "0", out
    assert number("Non-2xx responses:") is None, out
    assert number("Document Length:") == str(len(HELLO)), out
    assert number("Keep-Alive requests:") == (str(n) if keep_alive else None), out


@pytest.mark.parametrize("stalls", ["reads nothing", "sends nothing", "stops mid-head"])
def test_a_stalled_client_loses_its_slot(stalls: str) -> None:
    """With one client slot: a client that never reads its (large, pipelined) responses, or
    sends nothing, or half a head, is disconnected after the timeout, and the next client is
    served. Without the timeout the second client would wait for ever (here: fail on its
    own 10 s socket timeout)."""
    with running(1, 0.5) as port, socket.socket() as stalled:
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        stalled.settimeout(10)
        stalled.connect(("127.0.0.1", port))
        if stalls == "reads nothing":
            stalled.sendall(b"GET /bytes/4000000 HTTP/1.1\r\nHost: x\r\n\r\n" * 8)
        elif stalls == "stops mid-head":
            stalled.sendall(b"GET / HTTP/1.1\r\nHo")
        time.sleep(0.1)  # the stalled client has the slot
        start = time.monotonic()
        with connect(port) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = read_response(sock, bytearray())
        assert (status, body) == (b"HTTP/1.1 200 OK", HELLO)
        assert time.monotonic() - start >= 0.3  # it waited for the slot
        # The stalled connection was closed: what was sent (if anything) ends, or is reset.
        try:
            while stalled.recv(1 << 20):
                pass
        except ConnectionResetError:
            pass
