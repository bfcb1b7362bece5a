"""Property tests: whatever the buffers (mixed exporters, empty ones, more than IOV_MAX) and
whatever the target (file, pipe or socketpair with a slow reader), what arrives is exactly
the concatenation."""

from __future__ import annotations

import array
import os
import random
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import Fds, start_reader

import vectored

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def as_bytes(buf: Any) -> bytes:
    return bytes(memoryview(buf).cast("B"))


def make_buffer(rng: random.Random, big: bool) -> Any:
    """One bytes-like object of a random exporter type and size (often empty or tiny)."""
    size = rng.choice([0, 1, 2, 7, 16, 100, 511, 512, 513, 1024, 4000])
    if big and rng.random() < 0.05:
        size = rng.randrange(10_000, 300_000)
    data = rng.randbytes(size)
    kind = rng.randrange(7)
    if kind == 0:
        return data
    if kind == 1:
        return bytearray(data)
    if kind == 2:
        return memoryview(data)
    if kind == 3:  # a slice of a larger buffer
        padded = memoryview(b"<<" + data + b">>")
        return padded[2 : 2 + size]
    if kind == 4:
        return array.array("B", data)
    if kind == 5:
        return array.array("i", data[: size - size % 4])
    return memoryview(bytearray(data))


@st.composite
def buffer_lists(draw: st.DrawFn, max_count: int = 3000, big: bool = True) -> list[Any]:
    count = draw(st.one_of(st.integers(0, 20), st.integers(0, max_count)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    return [make_buffer(rng, big) for _ in range(count)]


def write_target(kind: str, fds: Fds) -> tuple[Any, Callable[[], bytes]]:
    """(fd-like to write to, function returning everything written once writing is done)."""
    if kind == "file":
        fd = fds.file()
        return fd, lambda: Path(f"/proc/self/fd/{fd}").read_bytes()
    if kind in ("pipe", "nonblocking_pipe"):
        r, w = fds.pipe(nonblocking=kind == "nonblocking_pipe")
        finish = start_reader(r, delay=0.0005, chunk=16384)

        def done() -> bytes:
            fds.close(w)
            return finish()

        return w, done
    a, b = fds.socketpair()
    finish = start_reader(b.fileno(), delay=0.0005, chunk=16384)

    def done_socket() -> bytes:
        a.close()
        return finish()

    return a, done_socket


@SETTINGS
@given(bufs=buffer_lists(), kind=st.sampled_from(["file", "pipe", "nonblocking_pipe", "socket"]))
def test_writev_all_writes_the_concatenation(tmp_path: Path, bufs: list[Any], kind: str) -> None:
    fds = Fds(tmp_path)
    try:
        target, written = write_target(kind, fds)
        expected = b"".join(as_bytes(b) for b in bufs)
        assert vectored.writev_all(target, bufs) == len(expected)
        assert written() == expected
    finally:
        fds.close_all()


@SETTINGS
@given(bufs=buffer_lists(), offset=st.integers(0, 10_000))
def test_pwritev_all_then_preadv_exact(tmp_path: Path, bufs: list[Any], offset: int) -> None:
    fds = Fds(tmp_path)
    try:
        fd = fds.file(b"\xee" * 100)
        expected = b"".join(as_bytes(b) for b in bufs)
        assert vectored.pwritev_all(fd, bufs, offset) == len(expected)
        back = [bytearray(len(as_bytes(b))) for b in bufs]
        assert vectored.preadv_exact(fd, back, offset) == len(expected)
        assert b"".join(back) == expected
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0
    finally:
        fds.close_all()


@SETTINGS
@given(
    sizes=st.lists(st.integers(0, 3000), max_size=1500),
    pieces=st.lists(st.integers(1, 5000), min_size=1, max_size=20),
    seed=st.integers(0, 2**32),
)
def test_readv_exact_fills_in_order(
    tmp_path: Path, sizes: list[int], pieces: list[int], seed: int
) -> None:
    """A writer thread sends the data in arbitrary pieces; readv_exact reassembles it."""
    fds = Fds(tmp_path)
    try:
        r, w = fds.pipe()
        data = random.Random(seed).randbytes(sum(sizes))

        def writer() -> None:
            pos, i = 0, 0
            while pos < len(data):
                step = pieces[i % len(pieces)]
                os.write(w, data[pos : pos + step])
                pos, i = pos + step, i + 1

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        bufs = [bytearray(n) for n in sizes]
        assert vectored.readv_exact(r, bufs) == len(data)
        thread.join(30)
        assert b"".join(bufs) == data
    finally:
        fds.close_all()


@SETTINGS
@given(bufs=buffer_lists(max_count=1024, big=False))
def test_writev_matches_os_writev(tmp_path: Path, bufs: list[Any]) -> None:
    fds = Fds(tmp_path)
    try:
        ours, theirs = fds.file(), fds.file()
        assert vectored.writev(ours, bufs) == os.writev(theirs, bufs)
        assert os.pread(ours, 1 << 24, 0) == os.pread(theirs, 1 << 24, 0)
    finally:
        fds.close_all()


@SETTINGS
@given(sizes=st.lists(st.integers(0, 600), max_size=1024), data=st.binary(max_size=20_000))
def test_readv_matches_os_readv(tmp_path: Path, sizes: list[int], data: bytes) -> None:
    fds = Fds(tmp_path)
    try:
        fd = fds.file(data)
        ours = [bytearray(b"?" * n) for n in sizes]
        theirs = [bytearray(b"?" * n) for n in sizes]
        assert vectored.preadv(fd, ours, 3) == os.preadv(fd, theirs, 3)
        assert ours == theirs
    finally:
        fds.close_all()
