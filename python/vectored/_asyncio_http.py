"""An asyncio HTTP/1.1 server that sends each response (head and body) through a
:class:`vectored.asyncio.SocketWriter`: no join, no copy of the body, and the responses to
pipelined requests sent together while the socket is full.

Run it and ask it with curl::

    python -m vectored._asyncio_http --port 8080 &
    curl -v http://127.0.0.1:8080/            # "hello, world\\n"
    curl -s http://127.0.0.1:8080/bytes/1048576 | wc -c

Connection management follows RFC 9112: HTTP/1.1 connections stay open unless the request
says ``Connection: close``; HTTP/1.0 ones close unless it says ``Connection: keep-alive``;
pipelined requests are answered in order; a head split over several reads is reassembled;
a malformed head, or one over :data:`MAX_HEAD` bytes, gets ``400 Bad Request`` and the
connection is closed. Request bodies (``Content-Length``) are read and discarded;
``Transfer-Encoding`` in a request is answered with ``501`` and a close. At most
*max_clients* connections are served at once; further ones wait to be accepted. A client
that sends nothing for *timeout* seconds (idle between requests, or in the middle of one),
or that reads nothing of its responses for as long (a write or the final flush waiting for
room), is disconnected, so that it cannot hold a slot for ever.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys

from vectored.asyncio import SocketWriter

MAX_HEAD = 8192
"""Largest request head (request line and header fields) accepted, in bytes."""

MAX_BODY = 1 << 20
"""Largest request body read and discarded; larger ones get 413 and a close."""

TIMEOUT = 30.0
"""Default of the longest wait, in seconds, for a client's next bytes or for room in its
socket, after which the connection is closed."""

HELLO = b"hello, world\n"
BLOCK = bytes(range(256)) * 256  # 64 KiB, the source of /bytes/N bodies


class BadRequest(Exception):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Method, target, version and lower-cased header fields of a request head (without
    its final CRLF CRLF)."""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest("400 Bad Request") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest("400 Bad Request")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or " " in name:
            raise BadRequest("400 Bad Request")
        key = name.lower()
        value = value.strip()
        if key in fields:
            if key in ("content-length", "host"):
                raise BadRequest("400 Bad Request")
            fields[key] += ", " + value
        else:
            fields[key] = value
    return parts[0], parts[1], parts[2], fields


def keep_alive(version: str, fields: dict[str, str]) -> bool:
    tokens = {t.strip().lower() for t in fields.get("connection", "").split(",")}
    if "close" in tokens:
        return False
    return version == "HTTP/1.1" or "keep-alive" in tokens


def response(method: str, target: str, version: str, alive: bool) -> list[bytes | memoryview]:
    """The head and body buffers of the response to one request."""
    status = "200 OK"
    body: list[bytes | memoryview] = [HELLO]
    if target.startswith("/bytes/") and target[7:].isdigit():
        size = min(int(target[7:]), 1 << 30)
        whole, rest = divmod(size, len(BLOCK))
        body = [BLOCK] * whole + ([memoryview(BLOCK)[:rest]] if rest else [])
    elif target != "/":
        status, body = "404 Not Found", [b"not found\n"]
    if method not in ("GET", "HEAD"):
        status, body = "405 Method Not Allowed", [b"method not allowed\n"]
    length = sum(len(b) for b in body)
    head = [f"{version} {status}", f"Content-Length: {length}", "Content-Type: text/plain"]
    if not alive:
        head.append("Connection: close")
    elif version == "HTTP/1.0":
        head.append("Connection: keep-alive")
    out: list[bytes | memoryview] = [("\r\n".join(head) + "\r\n\r\n").encode()]
    if method != "HEAD":
        out += body
    return out


async def serve_connection(sock: socket.socket, timeout: float = TIMEOUT) -> None:
    """Serves the requests of one connection, then closes *sock*; waits of more than
    *timeout* seconds (for request bytes, or for room to send) close it early."""
    loop = asyncio.get_running_loop()

    async def recv() -> bytes:
        # TimeoutError is an OSError: the connection is closed like one whose client left.
        return await asyncio.wait_for(loop.sock_recv(sock, 65536), timeout)

    # Responses to pipelined requests queue behind each other while the socket is full and go
    # out together; the queue is bounded, so a client that reads slowly holds the reading of
    # its next requests back, not the server's memory.
    writer = SocketWriter(sock)
    buf = bytearray()
    try:
        try:
            while True:
                end = buf.find(b"\r\n\r\n")
                while end < 0:
                    if len(buf) > MAX_HEAD:
                        raise BadRequest("400 Bad Request")
                    chunk = await recv()
                    if not chunk:
                        break  # the client closed between requests (or mid-head)
                    buf += chunk
                    end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                if end > MAX_HEAD:
                    raise BadRequest("400 Bad Request")
                method, target, version, fields = parse_head(bytes(buf[:end]))
                del buf[: end + 4]
                if "transfer-encoding" in fields:
                    raise BadRequest("501 Not Implemented")
                length_field = fields.get("content-length", "0")
                if not length_field.isdigit():
                    raise BadRequest("400 Bad Request")
                length = int(length_field)
                if length > MAX_BODY:
                    raise BadRequest("413 Content Too Large")
                while len(buf) < length:
                    chunk = await recv()
                    if not chunk:
                        await writer.flush(timeout=timeout)  # the answers to the requests before
                        return
                    buf += chunk
                del buf[:length]
                alive = keep_alive(version, fields)
                await writer.write(response(method, target, version, alive), timeout=timeout)
                if not alive:
                    break
            await writer.flush(timeout=timeout)  # what the client may read after its last request
        except BadRequest as bad:
            body = bad.status.encode() + b"\n"
            head = (f"HTTP/1.1 {bad.status}\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n").encode()
            try:
                await writer.write([head, body], timeout=timeout)
                await writer.flush(timeout=timeout)
            except OSError:
                pass
    except OSError:  # the client went away (reset, EPIPE...) or timed out (TimeoutError)
        pass
    finally:
        writer.abort()  # nothing kept, no callback left on the fd before it is closed
        sock.close()


async def serve(listener: socket.socket, max_clients: int = 64,
                timeout: float = TIMEOUT) -> None:
    """Accepts and serves connections on the non-blocking *listener* until cancelled, at
    most *max_clients* at once, each closed after *timeout* seconds without progress."""

    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(max_clients)
    tasks: set[asyncio.Task[None]] = set()

    async def run(conn: socket.socket) -> None:
        try:
            await serve_connection(conn, timeout)
        finally:
            slots.release()

    try:
        while True:
            await slots.acquire()
            conn, _ = await loop.sock_accept(listener)
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = asyncio.ensure_future(run(conn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in list(tasks):
            task.cancel()


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    listener.setblocking(False)
    return listener


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--max-clients", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=TIMEOUT,
                        help="seconds without progress (request bytes, or room to send) "
                             "after which a connection is closed")
    args = parser.parse_args(argv)
    listener = listen(args.host, args.port)
    print(f"serving on http://{args.host}:{listener.getsockname()[1]}/", flush=True)
    try:
        asyncio.run(serve(listener, args.max_clients, args.timeout))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
