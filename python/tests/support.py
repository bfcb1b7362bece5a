"""Helpers shared by the tests: descriptors that close themselves, a certainly-bad fd,
reader threads."""

from __future__ import annotations

import os
import resource
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def bad_fd_number() -> int:
    """A descriptor number that cannot be open: above RLIMIT_NOFILE.

    (A closed fd's number would be recycled by the next open() or pipe(), and a read from a
    recycled pipe could block forever.)
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limits = [lim for lim in (soft, hard) if lim != resource.RLIM_INFINITY]
    return min(max(limits, default=1 << 20), (1 << 30)) + 1


class Fds:
    """Opens descriptors and closes whatever is still open at the end of the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self._open: list[int] = []
        self._objects: list[socket.socket] = []
        self._counter = 0

    def keep(self, fd: int) -> int:
        self._open.append(fd)
        return fd

    def path(self, content: bytes | None = None) -> Path:
        self._counter += 1
        path = self.tmp_path / f"file{self._counter}"
        if content is not None:
            path.write_bytes(content)
        return path

    def file(self, content: bytes = b"", flags: int = os.O_RDWR) -> int:
        return self.keep(os.open(self.path(content), flags | os.O_CREAT, 0o600))

    def pipe(self, nonblocking: bool = False) -> tuple[int, int]:
        r, w = os.pipe()
        self.keep(r)
        self.keep(w)
        if nonblocking:
            os.set_blocking(w, False)
        return r, w

    def socketpair(self) -> tuple[socket.socket, socket.socket]:
        a, b = socket.socketpair()
        self._objects += [a, b]
        return a, b

    def close(self, fd: int) -> None:
        os.close(fd)
        self._open.remove(fd)

    def close_all(self) -> None:
        for fd in self._open:
            try:
                os.close(fd)
            except OSError:
                pass
        for sock in self._objects:
            sock.close()


def start_reader(fd: int, delay: float = 0.0, chunk: int = 65536) -> Callable[[], bytes]:
    """Starts a thread that reads `fd` to end of file (sleeping `delay` between reads, to be
    a slow reader) and returns a function that joins it and returns what it read."""
    got = bytearray()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            while True:
                data = os.read(fd, chunk)
                if not data:
                    return
                got.extend(data)
                if delay:
                    time.sleep(delay)
        except BaseException as exc:  # reported by finish()
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def finish() -> bytes:
        thread.join(timeout=60)
        assert not thread.is_alive(), "reader thread did not finish"
        if errors:
            raise errors[0]
        return bytes(got)

    return finish


try:
    import numpy as np  # noqa: F401

    HAVE_NUMPY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_NUMPY = False

requires_numpy = pytest.mark.skipif(not HAVE_NUMPY, reason="numpy is not installed")
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="Linux-specific behaviour")
