"""The Python HTTP example server (``vectored._examples.serve_http``) against real clients on
loopback: curl, ApacheBench (``ab``, with and without ``-k``), and raw sockets for pipelined
requests, request heads in pieces, ``Connection: close``, HTTP/1.0 with and without
keep-alive, request bodies and malformed heads (400, then the server closes). Also the
sans-IO parser (``vectored._http1``) on its own.

Every client run is bounded in requests and time. ``ab`` comes from the Debian package
apache2-utils (``scripts/install-http-clients``); when it is missing the test says so (a
pytest skip, a line in ``$VECTORED_SKIP_LOG`` if set) and fails when ``CI=true``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vectored import _http1
from vectored._examples import _HTTP_BODY

SERVER_CODE = """
import socket, vectored._examples as examples
server = socket.create_server(("127.0.0.1", 0))
print("listening on %s:%d" % server.getsockname()[:2], flush=True)
examples.serve_http(server)
"""
CLIENT_TIMEOUT = 120


class Server:
    def __init__(self, addr: tuple[str, int]) -> None:
        self.addr = addr

    def url(self, path: str) -> str:
        return f"http://{self.addr[0]}:{self.addr[1]}{path}"

    def connect(self) -> Conn:
        return Conn(socket.create_connection(self.addr, timeout=10))


class Conn:
    """A raw client connection."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.reader = sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self, head_only: bool = False) -> tuple[str, dict[str, str], bytes]:
        """Reads one response: status line, headers (lower-case names), body."""
        lines: list[str] = []
        while True:
            line = self.reader.readline()
            assert line, f"connection closed mid-head after {lines}"
            if line == b"\r\n":
                break
            assert line.endswith(b"\r\n"), line
            lines.append(line[:-2].decode("latin-1"))
        status, *fields = lines
        headers = {}
        for field in fields:
            name, _, value = field.partition(": ")
            headers[name.lower()] = value
        length = int(headers["content-length"])
        body = b"" if head_only else self.reader.read(length)
        assert len(body) == (0 if head_only else length), "short body"
        return status, headers, body

    def assert_closed(self) -> None:
        """The server closed the connection: end of file, nothing more."""
        try:
            rest = self.reader.read()
        except socket.timeout:
            pytest.fail("the server left the connection open")
        assert rest == b"", rest


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    stderr_path = tmp_path / "server-stderr.txt"
    with open(stderr_path, "wb") as stderr, subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE], stdout=subprocess.PIPE, stderr=stderr
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline().decode()
            match = re.fullmatch(r"listening on ([\d.]+):(\d+)\n", first)
            assert match, (first, stderr_path.read_text())
            yield Server((match[1], int(match[2])))
            assert proc.poll() is None, f"the server died:\n{stderr_path.read_text()}"
        finally:
            proc.kill()
    # No connection thread may have crashed.
    assert "Traceback" not in stderr_path.read_text(), stderr_path.read_text()


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode()


def check_ok(
    response: tuple[str, dict[str, str], bytes],
    number: int,
    connection: Optional[str] = None,
    head_only: bool = False,
) -> None:
    status, headers, body = response
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-length"] == str(len(_HTTP_BODY))
    assert headers.get("x-request") == str(number)
    assert headers.get("connection") == connection
    assert body == (b"" if head_only else _HTTP_BODY)


# --- raw sockets --------------------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(server: Server) -> None:
    conn = server.connect()
    try:
        conn.send(get("/1") + b"HEAD /2 HTTP/1.1\r\nHost: test\r\n\r\n" + get("/3"))
        check_ok(conn.response(), 1)
        check_ok(conn.response(head_only=True), 2, head_only=True)
        check_ok(conn.response(), 3)
        conn.send(get("/4"))  # still open
        check_ok(conn.response(), 4)
    finally:
        conn.close()


def test_split_request_heads(server: Server) -> None:
    conn = server.connect()
    try:
        for piece in [b"GE", b"T /sp", b"lit HTTP/1.1\r", b"\nHost: te", b"st\r\n", b"\r", b"\n"]:
            conn.send(piece)
            time.sleep(0.03)
        check_ok(conn.response(), 1)
        conn.send(get("/a") + b"GET /b HT")
        time.sleep(0.03)
        conn.send(b"TP/1.1\r\nHost: test\r\n\r\n")
        check_ok(conn.response(), 2)
        check_ok(conn.response(), 3)
    finally:
        conn.close()


def test_connection_close(server: Server) -> None:
    conn = server.connect()
    try:
        conn.send(get("/c", "Connection: close\r\n") + get("/ignored"))
        check_ok(conn.response(), 1, connection="close")
        conn.assert_closed()
    finally:
        conn.close()


def test_http10_closes(server: Server) -> None:
    conn = server.connect()
    try:
        conn.send(b"GET /old HTTP/1.0\r\n\r\n")
        check_ok(conn.response(), 1, connection="close")
        conn.assert_closed()
    finally:
        conn.close()


def test_http10_keep_alive(server: Server) -> None:
    conn = server.connect()
    try:
        for number in (1, 2):
            conn.send(b"GET /k HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            check_ok(conn.response(), number, connection="keep-alive")
        conn.send(b"GET /last HTTP/1.0\r\n\r\n")
        check_ok(conn.response(), 3, connection="close")
        conn.assert_closed()
    finally:
        conn.close()


def test_request_body_is_consumed(server: Server) -> None:
    conn = server.connect()
    try:
        conn.send(b"POST /form HTTP/1.1\r\nHost: test\r\nContent-Length: 11\r\n\r\nhello")
        time.sleep(0.03)
        conn.send(b" world" + get("/after"))
        status, headers, _ = conn.response()
        assert status == "HTTP/1.1 405 Method Not Allowed" and headers["allow"] == "GET, HEAD"
        check_ok(conn.response(), 2)
    finally:
        conn.close()


BAD_HEADS = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: test\r\n\r\n",
    b"GET /  HTTP/1.1\r\nHost: test\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",  # no Host
    b"GET / HTTP/1.1\r\nHost: test\r\nNo colon here\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost : test\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: test\r\n folded\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: test\r\nContent-Length: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"\x00\x01\x02binary\xff\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 20_000,  # never finished: too large
]


@pytest.mark.parametrize("head", BAD_HEADS, ids=range(len(BAD_HEADS)))
def test_bad_head_gets_400_and_close(server: Server, head: bytes) -> None:
    conn = server.connect()
    try:
        conn.send(head)
        status, headers, _ = conn.response()
        assert status == "HTTP/1.1 400 Bad Request"
        assert headers["connection"] == "close"
        conn.assert_closed()
    finally:
        conn.close()


def test_bad_head_after_a_good_one(server: Server) -> None:
    conn = server.connect()
    try:
        conn.send(get("/ok") + b"BAD\r\n\r\n")
        check_ok(conn.response(), 1)
        assert conn.response()[0] == "HTTP/1.1 400 Bad Request"
        conn.assert_closed()
    finally:
        conn.close()


# --- real clients -------------------------------------------------------------------------


def require(tool: str, test: str) -> None:
    """Skips (loudly; a failure when CI=true) unless ``tool`` is installed."""
    if shutil.which(tool):
        return
    package = "apache2-utils" if tool == "ab" else tool
    reason = f"`{tool}` is not installed (scripts/install-http-clients, or apt-get install {package})"
    print(f"\n!!! SKIPPED {test}: {reason}\n", file=sys.stderr)
    log = os.environ.get("VECTORED_SKIP_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"{test}: {reason}\n")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true, so this skip is a failure")
    pytest.skip(reason)


def run_client(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def test_curl(server: Server) -> None:
    require("curl", "python/tests/test_http_clients.py::test_curl")
    write_out = "%{http_code} %{size_download} %{num_connects}\n"
    for version, connects in [("--http1.1", ["1", "0"]), ("--http1.0", ["1", "1"])]:
        out = run_client(
            "curl", "-sS", version, "--max-time", "30", "-w", write_out,
            "-o", "/dev/null", "-o", "/dev/null", server.url("/x"), server.url("/y"),
        )  # fmt: skip
        assert out.splitlines() == [f"200 {len(_HTTP_BODY)} {c}" for c in connects], (version, out)
    body = subprocess.run(
        ["curl", "-sS", "--max-time", "30", server.url("/")], capture_output=True, timeout=CLIENT_TIMEOUT
    )
    assert body.returncode == 0 and body.stdout == _HTTP_BODY


def number(output: str, label: str) -> Optional[str]:
    match = re.search(rf"^\s*{re.escape(label)}\s+(\S+)", output, re.MULTILINE)
    return match[1] if match else None


@pytest.mark.parametrize("keep_alive", [False, True], ids=["close", "keep-alive"])
def test_ab(server: Server, keep_alive: bool) -> None:
    require("ab", f"python/tests/test_http_clients.py::test_ab[{keep_alive}]")
    n = 1000 if keep_alive else 300
    args = ["-k"] if keep_alive else []
    out = run_client("ab", "-q", "-s", "30", *args, "-n", str(n), "-c", "4", server.url("/"))
    assert number(out, "Complete requests:") == str(n), out
    assert number(out, "Failed requests:") == "0", out
    assert number(out, "Non-2xx responses:") is None, out  # printed only when not zero
    assert number(out, "Document Length:") == str(len(_HTTP_BODY)), out
    assert number(out, "Keep-Alive requests:") == (str(n) if keep_alive else None), out
    print(f"ab {' '.join(args)} -n {n} -c 4: {number(out, 'Requests per second:')} requests/s")


# --- the sans-IO parser -------------------------------------------------------------------


def test_parse_request_waits_for_the_whole_request() -> None:
    raw = b"\r\nPOST /p?q HTTP/1.0\r\nConnection: keep-alive, Upgrade\r\nContent-Length: 3\r\n\r\nabcGET"
    end = raw.index(b"abc") + 3
    for cut in range(end):
        assert _http1.parse_request(raw[:cut]) is None, cut
    request = _http1.parse_request(raw)
    assert request is not None
    assert (request.method, request.target, request.http10) == ("POST", "/p?q", True)
    assert request.keep_alive and request.body == b"abc" and request.length == end
    head = _http1.response_head(request, "200 OK", [("X-A", "b")], 5)
    assert head == (
        b"HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("raw", "keep_alive", "connection"),
    [
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", True, b""),
        (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n", False, b"Connection: close\r\n"),
        (b"GET / HTTP/1.0\r\n\r\n", False, b"Connection: close\r\n"),
        (b"GET / HTTP/1.0\nConnection: keep-alive\n\n", True, b"Connection: keep-alive\r\n"),
    ],
)
def test_connection_management(raw: bytes, keep_alive: bool, connection: bytes) -> None:
    request = _http1.parse_request(raw)
    assert request is not None and request.keep_alive == keep_alive
    assert _http1.connection_header(request) == connection


@pytest.mark.parametrize("head", BAD_HEADS, ids=range(len(BAD_HEADS)))
def test_parse_request_rejects(head: bytes) -> None:
    with pytest.raises(_http1.BadRequest):
        _http1.parse_request(head)


@given(st.binary(max_size=300))
def test_parse_request_never_fails_otherwise(data: bytes) -> None:
    """Any bytes: incomplete, a request, or BadRequest; never another exception."""
    try:
        request = _http1.parse_request(data)
    except _http1.BadRequest:
        return
    assert request is None or 0 < request.length <= len(data)


@given(st.lists(st.integers(min_value=0, max_value=200), max_size=6))
def test_parse_request_does_not_depend_on_how_the_bytes_arrive(cuts: list[int]) -> None:
    """Pipelined requests fed in arbitrary pieces parse to the same requests."""
    stream = get("/1") + b"POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody" + get("/3")
    buf = bytearray()
    targets: list[tuple[str, str, bytes]] = []
    # Feed the stream piece by piece, taking out every complete request as it appears.
    fed = 0
    for end in [*sorted(c for c in cuts if c <= len(stream)), len(stream)]:
        buf += stream[fed:end]
        fed = max(fed, end)
        while (request := _http1.parse_request(buf)) is not None:
            targets.append((request.method, request.target, request.body))
            del buf[: request.length]
    assert targets == [("GET", "/1", b""), ("POST", "/2", b"body"), ("GET", "/3", b"")]
    assert not buf
