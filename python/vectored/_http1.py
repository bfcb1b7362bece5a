"""Just enough HTTP/1.1 for the example servers, without any I/O ("sans-IO").

The server owns the socket and a ``bytearray`` of received bytes; this module says what is
in the buffer and what the response head must say::

    buf = bytearray()
    while True:
        try:
            request = parse_request(buf)
        except BadRequest as exc:
            ...  # send bad_request(str(exc)) and close
        if request is None:
            ...  # incomplete: read more into buf (b"" means the client closed)
        else:
            del buf[: request.length]
            ...  # send response_head(request, ...) and the body
            if not request.keep_alive:
                ...  # close (gracefully)

Connection management follows RFC 9112 §9: a request is answered and the connection kept
alive unless it says ``Connection: close``, or is HTTP/1.0 without ``Connection: keep-alive``.
Request bodies with ``Content-Length`` are part of the request (``length`` covers them);
``Transfer-Encoding`` bodies are not supported (``BadRequest``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEAD = 8 * 1024
"""The longest request head accepted; RFC 9112 leaves the limit to the server."""

MAX_BODY = 64 * 1024
"""The longest request body accepted."""

# A method or header name (RFC 9110 §5.6.2 token) and a request target (visible ASCII).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class BadRequest(ValueError):
    """The request head is malformed or too large: answer 400 and close the connection."""


@dataclass(frozen=True)
class Request:
    """One parsed request."""

    method: str
    target: str
    http10: bool
    """An HTTP/1.0 request (the response must then say ``Connection: keep-alive`` to keep
    the connection)."""
    keep_alive: bool
    """Whether the connection stays open after the response."""
    headers: list[tuple[str, str]]
    body: bytes
    length: int
    """How many bytes of the buffer the request took, head and body."""


def parse_request(buf: bytes | bytearray | memoryview) -> Request | None:
    """Parses the request at the start of ``buf``.

    Returns ``None`` while the request is incomplete, raises :class:`BadRequest` when it is
    malformed or too large. Leaves ``buf`` alone: the caller removes ``length`` bytes.
    """
    data = bytes(buf[: MAX_HEAD + 2])  # a head (plus a CRLF) is never longer
    # Empty lines before a request line are ignored (RFC 9112 §2.2).
    start = len(data) - len(data.lstrip(b"\r\n"))
    # The head is the lines up to the first empty one. Lines end in CRLF; a bare LF is
    # accepted too (§2.2).
    lines: list[bytes] = []
    at = start
    while True:
        eol = data.find(b"\n", at)
        if eol < 0:
            if len(buf) > MAX_HEAD:
                raise BadRequest("request head too large")
            return None
        line = data[at:eol].removesuffix(b"\r")
        at = eol + 1
        if not line:
            break
        lines.append(line)
    head_length = at
    if head_length > MAX_HEAD:
        raise BadRequest("request head too large")

    # The request line: method SP target SP version.
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise BadRequest("malformed request line")
    method, target, version = parts
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise BadRequest("unsupported HTTP version")
    http10 = version == b"HTTP/1.0"

    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        value = value.strip(b" \t")
        # No whitespace before the colon, no continuation lines (§5.1, §5.2).
        if not colon or not _TOKEN.fullmatch(name) or _CONTROL.search(value):
            raise BadRequest("malformed header line")
        headers.append((name.decode("ascii").lower(), value.decode("latin-1")))

    def values(name: str) -> list[str]:
        return [v for n, v in headers if n == name]

    options = {o.strip().lower() for v in values("connection") for o in v.split(",")}
    # Every HTTP/1.1 request names exactly one host (§3.2).
    if not http10 and len(values("host")) != 1:
        raise BadRequest("an HTTP/1.1 request needs exactly one Host header")
    if values("transfer-encoding"):
        raise BadRequest("Transfer-Encoding request bodies are not supported here")
    lengths = set(values("content-length"))
    if len(lengths) > 1:
        raise BadRequest("conflicting Content-Length headers")
    body_length = 0
    if lengths:
        (text,) = lengths
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_BODY:
            raise BadRequest("bad or too large Content-Length")
        body_length = int(text)
    length = head_length + body_length
    if len(buf) < length:
        return None  # the body is still on its way
    return Request(
        method=method.decode("ascii"),
        target=target.decode("ascii"),
        http10=http10,
        # HTTP/1.1 is persistent unless closed; HTTP/1.0 only when asked (§9.3).
        keep_alive="close" not in options and (not http10 or "keep-alive" in options),
        headers=headers,
        body=bytes(buf[head_length:length]),
        length=length,
    )


def connection_header(request: Request) -> bytes:
    """The ``Connection`` header line a response to ``request`` needs (maybe none)."""
    if not request.keep_alive:
        return b"Connection: close\r\n"
    if request.http10:
        return b"Connection: keep-alive\r\n"
    return b""  # persistent is the HTTP/1.1 default


def response_head(
    request: Request, status: str, headers: list[tuple[str, str]], content_length: int
) -> bytes:
    """The status line and header block of a response to ``request``, ending in the empty
    line: ``status`` is e.g. ``"200 OK"``; ``Content-Length`` and ``Connection`` are added."""
    lines = [b"HTTP/1.1 %s\r\n" % status.encode("ascii")]
    lines += [b"%s: %s\r\n" % (n.encode("ascii"), v.encode("latin-1")) for n, v in headers]
    lines += [b"Content-Length: %d\r\n" % content_length, connection_header(request), b"\r\n"]
    return b"".join(lines)


def bad_request(reason: str) -> bytes:
    """A complete ``400 Bad Request`` response that closes the connection."""
    body = reason.encode("ascii", "replace") + b"\n"
    return (
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
    )
