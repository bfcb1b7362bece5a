"""Runnable examples of :mod:`vectored` (``python -m vectored EXAMPLE``).

Each example is a function that prints what it does and raises if anything is off, so the
test suite can run them all (``python/tests/test_examples.py``).
"""

from __future__ import annotations

import array
import hashlib
import mmap
import os
import re
import select
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence

import vectored
from vectored import _http1


def _reader(fd: int, delay: float = 0.0) -> Callable[[], bytes]:
    """Drains `fd` in a thread until end of file; returns a function that joins and returns
    what was read."""
    chunks: list[bytes] = []

    def run() -> None:
        while True:
            data = os.read(fd, 65536)
            if not data:
                return
            chunks.append(data)
            if delay:
                time.sleep(delay)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join() -> bytes:
        thread.join(60)
        return b"".join(chunks)

    return join


def basic() -> None:
    """Basic writes and reads: writev/readv are os.writev/os.readv, writev_all finishes."""
    with tempfile.TemporaryFile() as f:
        fd = f.fileno()
        n = vectored.writev(fd, [b"Hello, ", b"vectored ", b"world!\n"])
        print(f"writev wrote {n} bytes in one system call")
        os.lseek(fd, 0, os.SEEK_SET)
        greeting, rest = bytearray(7), bytearray(16)
        n = vectored.readv(fd, [greeting, rest])
        print(f"readv read {n} bytes: {bytes(greeting)!r} + {bytes(rest)!r}")
        assert bytes(greeting + rest) == b"Hello, vectored world!\n"

        # More buffers than one call takes (IOV_MAX): os.writev raises EINVAL, writev_all
        # splits them.
        lines = [f"line {i}\n".encode() for i in range(5000)]
        n = vectored.writev_all(f, lines)  # anything with fileno() will do
        print(f"writev_all wrote {n} bytes from {len(lines)} buffers (IOV_MAX is {vectored.IOV_MAX})")
        assert n == sum(map(len, lines))


def mixed() -> None:
    """Every buffer-protocol object works, without copying: bytes, bytearray, memoryview
    slices, array.array (counted in bytes), mmap, NumPy arrays."""
    with tempfile.TemporaryFile() as src, tempfile.TemporaryFile() as out:
        src.write(b"M" * mmap.PAGESIZE)
        src.flush()
        with mmap.mmap(src.fileno(), mmap.PAGESIZE, access=mmap.ACCESS_READ) as mm:
            payload = bytearray(b"0123456789")
            parts: list[object] = [
                b"bytes|",
                bytearray(b"bytearray|"),
                memoryview(payload)[2:5],  # a slice: no copy
                array.array("H", [1, 2, 3]),  # 6 bytes, not 3
                mm,
            ]
            try:
                import numpy as np

                parts.append(np.arange(4, dtype=np.uint32))  # 16 bytes
            except ImportError:
                print("(numpy is not installed: skipping the NumPy array)")
            expected = b"".join(bytes(memoryview(p).cast("B")) for p in parts)  # type: ignore[arg-type]
            n = vectored.writev_all(out, parts)  # type: ignore[arg-type]
        out.seek(0)
        assert n == len(expected) and out.read() == expected
        print(f"wrote {n} bytes from {len(parts)} objects of {len({type(p) for p in parts})} types")

        # Reading fills writable buffers in place, in order.
        out.seek(0)
        head, arr = bytearray(6), array.array("B", bytes(10))
        vectored.readv_exact(out, [head, arr])
        print(f"read back {bytes(head)!r} and {arr.tobytes()!r}")
        assert bytes(head) == b"bytes|"


def perf() -> None:
    """A quick performance comparison on 10000 x 100-byte buffers written to a file (see
    python/benchmarks/bench_python.py for the full, interleaved benchmark)."""
    bufs = [os.urandom(100) for _ in range(10_000)]

    def chunked(fd: int, b: Sequence[bytes]) -> None:
        for i in range(0, len(b), 1024):
            os.writev(fd, b[i : i + 1024])

    def joined(fd: int, b: Sequence[bytes]) -> None:
        os.write(fd, b"".join(b))

    strategies: dict[str, Callable[[int, Sequence[bytes]], object]] = {
        "os.writev in chunks of 1024": chunked,
        'b"".join + os.write': joined,
        "vectored.writev_all": vectored.writev_all,
    }
    with tempfile.TemporaryFile() as f:
        best = {}
        for name, write in strategies.items():
            times = []
            for _ in range(20):
                os.ftruncate(f.fileno(), 0)
                os.lseek(f.fileno(), 0, os.SEEK_SET)
                start = time.perf_counter()
                write(f.fileno(), bufs)
                times.append(time.perf_counter() - start)
            best[name] = min(times)
            assert os.fstat(f.fileno()).st_size == 1_000_000
        for name, t in best.items():
            print(f"{name:30} {t * 1e3:7.3f} ms")


def nonblocking() -> None:
    """Partial writes on a non-blocking pipe: os.writev stops short, writev_all waits in poll
    and finishes, and a timeout says exactly how much went out."""
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        big = [b"x" * 50_000] * 4  # 200 kB: more than the 64 kB a pipe holds
        n = vectored.writev(w, big)
        print(f"os-style writev on a non-blocking pipe: {n} of 200000 bytes (short write)")
        try:
            vectored.writev(w, big)
        except BlockingIOError:
            print("and then BlockingIOError, as os.writev does")
        while select.select([r], [], [], 0)[0]:  # empty the pipe again
            os.read(r, 65536)

        # writev_all waits for the reader (in poll, with the GIL released) and finishes.
        finish = _reader(r, delay=0.001)
        n = vectored.writev_all(w, big)
        os.close(w)
        w = -1
        got = finish()
        print(f"writev_all: {n} bytes, the reader got {len(got)}")
        assert n == len(got) == 200_000
    finally:
        if w >= 0:
            os.close(w)
        os.close(r)

    # Nobody reading: a timeout, with the exact count of bytes that went out.
    r, w = os.pipe()
    os.set_blocking(w, False)
    try:
        vectored.writev_all(w, big, timeout=0.1)
    except vectored.VectoredTimeoutError as exc:  # a TimeoutError that declares .transferred
        print(f"TimeoutError after {exc.transferred} bytes (errno {exc.errno})")
        assert exc.transferred == len(os.read(r, 1 << 20))
    finally:
        os.close(w)
        os.close(r)


_HTTP_BODY = b"<html><body>" + b"hello vectored! " * 4096 + b"</body></html>\n"


def serve_http(server: socket.socket, *, connections: int | None = None) -> None:
    """Serves HTTP/1.1 on the listening socket ``server``, a thread per connection; returns
    after ``connections`` connections are done (never when ``None``).

    Connection management follows RFC 9112 §9 (see :mod:`vectored._http1`): keep-alive by
    default, close after ``Connection: close`` and after HTTP/1.0 requests without
    ``Connection: keep-alive``; pipelined requests are answered in order, 400 and close for a
    malformed head. To try it with curl, ab or wrk::

        python -c 'import socket, vectored._examples as e; e.serve_http(socket.create_server(("127.0.0.1", 8080)))'
    """
    threads: list[threading.Thread] = []
    while connections is None or len(threads) < connections:
        conn, _ = server.accept()
        thread = threading.Thread(target=_http_connection, args=(conn,), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(60)


def _http_connection(conn: socket.socket) -> None:
    """Answers the requests of one connection until either side closes it."""
    # An idle client is dropped after 10 s. (A timeout makes the socket non-blocking:
    # writev_all then waits for room in poll, up to its own timeout.)
    conn.settimeout(10)
    buf = bytearray()
    number = 0
    try:
        with conn:
            while True:
                # Answer every complete request in the buffer, in order: the responses to
                # pipelined requests go out together.
                parts: list[bytes | memoryview] = []
                close = False
                while True:
                    try:
                        request = _http1.parse_request(buf)
                    except _http1.BadRequest as exc:
                        parts.append(_http1.bad_request(str(exc)))
                        close = True
                        break
                    if request is None:
                        break
                    del buf[: request.length]
                    number += 1
                    parts += _http_response(request, number)
                    if not request.keep_alive:
                        close = True  # and ignore whatever follows (RFC 9112 §9.6)
                        break
                if parts:
                    # The small head pieces are coalesced, the body is passed by reference:
                    # one sendmsg (MSG_NOSIGNAL), so no Nagle stall between head and body.
                    vectored.writev_all(conn, parts, timeout=10)
                if close:
                    _close_gracefully(conn)
                    return
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
    except socket.timeout:  # idle (an alias of TimeoutError since Python 3.10)
        return
    except OSError as exc:  # the client went away mid-response, say
        print(f"connection error: {exc!r}", file=sys.stderr)


def _http_response(request: _http1.Request, number: int) -> list[bytes | memoryview]:
    """The pieces of the response to one request: its head and (unless HEAD) its body."""
    if request.method not in ("GET", "HEAD"):
        body = f"{request.method} is not supported here; use GET\n".encode()
        headers = [("Content-Type", "text/plain"), ("Allow", "GET, HEAD")]
        return [_http1.response_head(request, "405 Method Not Allowed", headers, len(body)), body]
    headers = [("Content-Type", "text/html"), ("X-Request", str(number))]
    head = _http1.response_head(request, "200 OK", headers, len(_HTTP_BODY))
    # A response to HEAD has the headers of the GET response and no body.
    return [head] if request.method == "HEAD" else [head, memoryview(_HTTP_BODY)]


def _close_gracefully(conn: socket.socket) -> None:
    """Closes the way RFC 9112 §9.6 asks: first our sending side (the client sees the end of
    the response), then, once the client has closed too or after a short wait, the socket.
    Closing at once while the client still sends would make the kernel reset the connection,
    and a reset can destroy the response before the client has read it."""
    conn.shutdown(socket.SHUT_WR)
    conn.settimeout(0.2)
    deadline = time.monotonic() + 2
    try:
        while time.monotonic() < deadline and conn.recv(65536):
            pass
    except OSError:  # socket.timeout included
        pass


def http() -> None:
    """An HTTP/1.1 keep-alive server: heads and bodies of responses in one writev_all call.

    The responses to the requests that arrived together (pipelined), heads and bodies, go out
    in one writev_all call; connection management (keep-alive, Connection: close, HTTP/1.0)
    is in python/vectored/_http1.py.
    """
    server = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=serve_http, args=(server,), kwargs={"connections": 1})
    thread.start()
    with socket.create_connection(server.getsockname()[:2], timeout=30) as client:
        # Three pipelined requests in one write; the last one closes the connection.
        request = b"GET /%d HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
        vectored.writev_all(
            client,
            [request % (1, b""), request % (2, b""), request % (3, b"Connection: close\r\n")],
        )
        reply = bytearray()
        while chunk := client.recv(65536):
            reply += chunk
    thread.join(30)
    server.close()
    for number in (1, 2, 3):
        head, _, rest = bytes(reply).partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
        print(head.decode().splitlines()[0], f"- X-Request: {number} - {length} body bytes")
        assert f"X-Request: {number}\r\n".encode() in head and rest[:length] == _HTTP_BODY
        reply = bytearray(rest[length:])
    assert b"Connection: close" in head and not reply


def largefile() -> None:
    """A large file assembled from memoryview slices of one buffer, with positional writes
    (no copies, the file offset untouched), read back with preadv_exact."""
    block = os.urandom(1 << 20)
    view = memoryview(block)
    # 32 MiB from 1 MiB, in 4 KiB slices (8192 buffers, 8 x IOV_MAX).
    pieces = [view[i : i + 4096] for i in range(0, len(block), 4096)] * 32
    with tempfile.TemporaryFile() as f:
        start = time.perf_counter()
        n = vectored.pwritev_all(f, pieces, 0)
        elapsed = time.perf_counter() - start
        print(f"pwritev_all: {n >> 20} MiB from {len(pieces)} memoryviews in {elapsed * 1e3:.1f} ms")
        assert n == 32 << 20 and os.fstat(f.fileno()).st_size == n
        assert f.tell() == 0  # positional writes leave the offset alone
        back = [bytearray(1 << 20) for _ in range(32)]
        vectored.preadv_exact(f, back, 0)
        digest = hashlib.sha256(block * 32).hexdigest()
        assert hashlib.sha256(b"".join(back)).hexdigest() == digest
        print(f"read back and verified, sha256 {digest[:16]}...")


def errors() -> None:
    """Error handling: the OSError subclass for the errno, plus how much was transferred."""
    # A reader that went away: BrokenPipeError, never SIGPIPE.
    r, w = os.pipe()
    os.close(r)
    try:
        vectored.writev_all(w, [b"into the void"])
    except vectored.VectoredBrokenPipeError as exc:  # a BrokenPipeError with .transferred
        print(f"BrokenPipeError: {exc} (transferred={exc.transferred})")
    finally:
        os.close(w)

    # End of file before the buffers are full: IncompleteReadError (an EOFError).
    with tempfile.TemporaryFile() as f:
        f.write(b"short")
        f.flush()
        buf = bytearray(10)
        try:
            vectored.preadv_exact(f, [buf], 0)
        except vectored.IncompleteReadError as exc:
            print(f"IncompleteReadError: {exc.transferred} of {exc.expected} bytes: {bytes(buf[: exc.transferred])!r}")

    # The drop-in functions raise exactly what os raises.
    for call, args in [
        (vectored.writev, (10**6, [b"x"])),  # no such fd
        (vectored.writev, (1, [b"ok", "not bytes"])),  # checked before anything is written
        (vectored.readv, (0, [b"read-only"])),  # bytes cannot be read into
        (vectored.pwritev, (1, [b"x"], -2)),  # bad offset
    ]:
        try:
            call(*args)  # type: ignore[operator]
        except (OSError, TypeError, BufferError) as exc:
            print(f"{call.__name__}: {type(exc).__name__}: {exc}")
        else:
            raise AssertionError(f"{call} did not raise")


EXAMPLES: dict[str, Callable[[], None]] = {
    "basic": basic,
    "mixed": mixed,
    "perf": perf,
    "nonblocking": nonblocking,
    "http": http,
    "largefile": largefile,
    "errors": errors,
}
