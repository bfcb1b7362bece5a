"""The fault matrix, from Python: each injected fault either completes with exact output or
raises the OSError subclass for its errno with ``.transferred`` equal to what landed."""

from __future__ import annotations

import errno
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import vectored


def test_dev_full_is_enospc_with_nothing_transferred() -> None:
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        with pytest.raises(OSError) as info:
            vectored.writev_all(fd, [b"abc", bytearray(5000)])
    finally:
        os.close(fd)
    assert info.value.errno == errno.ENOSPC
    assert getattr(info.value, "transferred") == 0


def test_efbig_after_a_short_write_counts_exactly_what_is_on_disk(tmp_path: Path) -> None:
    # RLIMIT_FSIZE must not apply to pytest itself: a child sets it. CPython ignores
    # SIGXFSZ, so the limit surfaces as a short write, then EFBIG.
    path = tmp_path / "limited"
    child = textwrap.dedent(
        f"""
        import resource, vectored
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        with open({str(path)!r}, "wb") as f:
            try:
                vectored.writev_all(f, [bytes([i % 251]) * 1000 for i in range(100)])
            except OSError as e:
                print(e.errno, e.transferred)
            else:
                print("no error")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=True
    )
    code, transferred = out.stdout.split()
    assert int(code) == errno.EFBIG
    assert int(transferred) == 65536 == path.stat().st_size


def test_tcp_peer_reset_mid_transfer() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    received = 256 * 1024

    def reset_after_reading() -> None:
        got = 0
        while got < received:
            got += len(server.recv(min(65536, received - got)))
        # SO_LINGER 0: close sends RST, discarding what is queued.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server.close()

    thread = threading.Thread(target=reset_after_reading)
    thread.start()
    try:
        with pytest.raises((ConnectionResetError, BrokenPipeError)) as info:
            vectored.writev_all(client, [bytes(16384)] * 4096)
    finally:
        thread.join()
        client.close()
    transferred = getattr(info.value, "transferred")
    assert received <= transferred < 64 << 20


def test_eintr_storm_with_a_python_handler_keeps_the_output_exact() -> None:
    # A 50 µs timer whose Python handler runs on every EINTR (PEP 475), while 20 MiB go
    # through a slowly drained pipe.
    handled = 0

    def on_alarm(signum: int, frame: object) -> None:
        nonlocal handled
        handled += 1

    buffers = [bytes([i % 251]) * size for i, size in enumerate([0, 1, 2048, 48] * 10_000)]
    expected = b"".join(buffers)
    r, w = os.pipe()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            chunk = os.read(r, 65536)
            if not chunk:
                return
            chunks.append(chunk)
            time.sleep(0.0002)

    reader = threading.Thread(target=drain)
    reader.start()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.00005, 0.00005)
    try:
        assert vectored.writev_all(w, buffers) == len(expected)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.close(w)
        reader.join()
        os.close(r)
    assert handled > 0, "the timer never fired"
    assert b"".join(chunks) == expected
