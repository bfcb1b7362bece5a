"""Parity suite: every case runs against ``os`` and against ``vectored``, each on fresh
descriptors, and must give the same result: same return value and observed state (file
contents, buffer contents, file offset), or the same exception type and errno.

Messages are compared too when ``VECTORED_STRICT_MESSAGES=1`` (argument-parsing messages
for a wrong number of arguments or for keywords are PyO3's and are never compared).
"""

from __future__ import annotations

import array
import collections
import errno
import gc
import mmap
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import HAVE_NUMPY, Fds, bad_fd_number

import vectored

STRICT = os.environ.get("VECTORED_STRICT_MESSAGES") == "1"

pytestmark = pytest.mark.skipif(
    not hasattr(os, "preadv"), reason="os has no preadv/pwritev to compare with"
)

Case = Callable[[Any, Fds], object]


@dataclass
class Outcome:
    value: object = None
    exc_type: type[BaseException] | None = None
    errno: int | None = None
    message: str = ""


def run(case: Case, mod: ModuleType, tmp_path: Path) -> Outcome:
    fds = Fds(tmp_path)
    try:
        return Outcome(value=case(mod, fds))
    except Exception as exc:  # every exception is an outcome to compare
        return Outcome(exc_type=type(exc), errno=getattr(exc, "errno", None), message=str(exc))
    finally:
        fds.close_all()


def assert_parity(case: Case, tmp_path: Path, messages: bool = True) -> Outcome:
    (tmp_path / "os").mkdir()
    (tmp_path / "vectored").mkdir()
    expected = run(case, os, tmp_path / "os")
    actual = run(case, vectored, tmp_path / "vectored")
    assert actual.exc_type is expected.exc_type, (expected, actual)
    assert actual.errno == expected.errno, (expected, actual)
    assert actual.value == expected.value, (expected, actual)
    if STRICT and messages:
        assert actual.message == expected.message, (expected, actual)
    return expected


CASES: dict[str, Case] = {}
TYPES_ONLY: set[str] = set()


def case(func: Case) -> Case:
    CASES[func.__name__] = func
    return func


def types_only(func: Case) -> Case:
    TYPES_ONLY.add(func.__name__)
    return case(func)


def contents(fd: int) -> bytes:
    """The whole file behind `fd` (read with pread, so the offset is untouched)."""
    size = os.fstat(fd).st_size
    return os.pread(fd, size + 1, 0)


def position(fd: int) -> int:
    return os.lseek(fd, 0, os.SEEK_CUR)


def state(fd: int) -> tuple[bytes, int]:
    return contents(fd), position(fd)


# --- writev: results and bad descriptors ------------------------------------------------


@case
def writev_mixed_types(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"")
    n = mod.writev(fd, [b"ab", bytearray(b"cd"), memoryview(b"ef"), b"", array.array("B", b"g")])
    return n, state(fd)


def mixed_items(count: int) -> list[Any]:
    """`count` buffers cycling through every kind the acquisition tells apart: exact
    `bytes`, `bytearray` and `memoryview`, a `bytes` subclass and another exporter."""

    class Bytes(bytes):
        pass

    kinds: list[Callable[[bytes], Any]] = [
        bytes, bytearray, memoryview, Bytes, lambda b: array.array("B", b),
    ]
    return [kinds[i % len(kinds)](bytes([65 + i % 26]) * (i % 4)) for i in range(count)]


@case
def writev_mixed_types_tuple(mod: Any, fds: Fds) -> object:
    # A tuple's items are read without references of their own.
    fd = fds.file(b"")
    return mod.writev(fd, tuple(mixed_items(5))), state(fd)


@case
def writev_mixed_types_beyond_the_stack(mod: Any, fds: Fds) -> object:
    # More than 16 buffers: iovecs, references and views on the heap.
    fd = fds.file(b"")
    return mod.writev(fd, mixed_items(40)), state(fd)


@case
def writev_mixed_types_tuple_beyond_the_stack(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"")
    return mod.writev(fd, tuple(mixed_items(40))), state(fd)


@case
def writev_mixed_types_other_sequence(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"")
    return mod.writev(fd, collections.deque(mixed_items(40))), state(fd)


@case
def pwritev_mixed_types_tuple(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"0123456789")
    return mod.pwritev(fd, tuple(mixed_items(20)), 3), state(fd)


@case
def readv_tuple_beyond_the_stack(mod: Any, fds: Fds) -> object:
    fd = fds.file(bytes(range(256)) * 2)
    bufs = tuple(bytearray(i % 5) if i % 2 else memoryview(bytearray(i % 7)) for i in range(40))
    return mod.readv(fd, bufs), [bytes(b) for b in bufs]


@case
def readv_tuple_with_bytes(mod: Any, fds: Fds) -> object:
    # bytes is read-only: BufferError, however the sequence is held.
    fd = fds.file(b"abc")
    return mod.readv(fd, (bytearray(1), b"x"))


@case
def writev_advances_offset(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"0123456789")
    os.lseek(fd, 3, os.SEEK_SET)
    return mod.writev(fd, [b"ab", b"c"]), state(fd)


@case
def writev_empty_list(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"x")
    return mod.writev(fd, []), state(fd)


@case
def writev_empty_tuple_on_bad_fd(mod: Any, fds: Fds) -> object:
    return mod.writev(bad_fd_number(), ())


@case
def writev_bad_fd(mod: Any, fds: Fds) -> object:
    return mod.writev(bad_fd_number(), [b"x"])


@case
def writev_fd_minus_one(mod: Any, fds: Fds) -> object:
    return mod.writev(-1, [b"x"])


@case
def writev_fd_int_min(mod: Any, fds: Fds) -> object:
    return mod.writev(-(2**31), [b"x"])


@case
def writev_closed_fd(mod: Any, fds: Fds) -> object:
    fd = fds.file()
    fds.close(fd)
    return mod.writev(fd, [b"x"])


@case
def writev_read_only_fd(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abc", os.O_RDONLY)
    return mod.writev(fd, [b"x"])


@case
def writev_empty_list_on_read_only_fd(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abc", os.O_RDONLY)
    return mod.writev(fd, [])


@case
def writev_directory_fd(mod: Any, fds: Fds) -> object:
    fd = fds.keep(os.open(fds.tmp_path, os.O_RDONLY))
    return mod.writev(fd, [b"x"])


@case
def writev_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    n = mod.writev(w, [b"hello ", memoryview(b"world")])
    return n, os.read(r, 100)


@case
def writev_socket(mod: Any, fds: Fds) -> object:
    a, b = fds.socketpair()
    n = mod.writev(a.fileno(), [b"GET / ", b"HTTP/1.1\r\n\r\n"])
    return n, b.recv(100)


@case
def writev_broken_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    fds.close(r)
    return mod.writev(w, [b"x"])


@case
def writev_broken_socket(mod: Any, fds: Fds) -> object:
    a, b = fds.socketpair()
    b.close()
    return mod.writev(a.fileno(), [b"x"])


@case
def writev_nonblocking_full_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe(nonblocking=True)
    filled = 0
    try:
        while True:
            filled += os.write(w, b"\0" * 65536)
    except BlockingIOError:
        pass
    return mod.writev(w, [b"x"])


@case
def writev_nonblocking_short_write(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe(nonblocking=True)
    big = b"y" * (1 << 20)
    n = mod.writev(w, [b"head", big])
    got = bytearray()
    while len(got) < n:
        got += os.read(r, 1 << 20)
    return n, got == (b"head" + big)[:n]


# --- the sequence protocol ----------------------------------------------------------------


def gen() -> Iterator[bytes]:
    yield b"a"


class CustomSequence:
    """A sequence by protocol only: __len__ and __getitem__."""

    def __init__(self, *items: object) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> object:
        return self.items[index]


class NoLen:
    def __getitem__(self, index: int) -> object:
        return b"a"


class LenRaises(CustomSequence):
    def __len__(self) -> int:
        raise ZeroDivisionError("from __len__")


class LenLies(CustomSequence):
    def __len__(self) -> int:
        return len(self.items) + 1


class GetItemRaises(CustomSequence):
    def __getitem__(self, index: int) -> object:
        if index == 1:
            raise KeyError("from __getitem__")
        return self.items[index]


class ListSubclass(list):  # type: ignore[type-arg]
    pass


NON_SEQUENCES: dict[str, Callable[[], object]] = {
    "int": lambda: 5,
    "none": lambda: None,
    "dict": lambda: {0: b"a"},
    "set": lambda: {b"a"},
    "frozenset": lambda: frozenset([b"a"]),
    "generator": gen,
    "list_iterator": lambda: iter([b"a"]),
    "map": lambda: map(bytes, [b"a"]),
}

SEQUENCES: dict[str, Callable[[], object]] = {
    "tuple": lambda: (b"ab", b"c"),
    "deque": lambda: collections.deque([b"ab", b"c"]),
    "list_subclass": lambda: ListSubclass([b"ab", b"c"]),
    "custom": lambda: CustomSequence(b"ab", bytearray(b"c")),
    "range_of_ints": lambda: range(3),
    "no_len": NoLen,
    "len_raises": lambda: LenRaises(b"a"),
    "len_lies": lambda: LenLies(b"a", b"b"),
    "getitem_raises": lambda: GetItemRaises(b"a", b"b", b"c"),
    "bytes": lambda: b"ab",
    "bytearray": lambda: bytearray(b"ab"),
    "str": lambda: "ab",
    "empty_bytes": lambda: b"",
    "empty_str": lambda: "",
    "empty_bytearray": lambda: bytearray(),
    "memoryview_of_bytes": lambda: memoryview(b"ab"),
}

BAD_ITEMS: dict[str, Callable[[], object]] = {
    "str": lambda: "text",
    "int": lambda: 97,
    "none": lambda: None,
    "list_of_ints": lambda: [97, 98],
    "object": object,
    "float": lambda: 1.5,
    "non_contiguous_memoryview": lambda: memoryview(b"abcdef")[::2],
}

for _name, _make in NON_SEQUENCES.items():

    def _non_sequence(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file()
        return mod.writev(fd, make())

    def _non_sequence_read(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file(b"abc")
        return mod.readv(fd, make())

    def _non_sequence_pwrite(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file()
        return mod.pwritev(fd, make(), 0)

    def _non_sequence_pread(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file(b"abc")
        return mod.preadv(fd, make(), 0)

    for _func, _op in [
        (_non_sequence, "writev"),
        (_non_sequence_read, "readv"),
        (_non_sequence_pwrite, "pwritev"),
        (_non_sequence_pread, "preadv"),
    ]:
        _func.__name__ = f"{_op}_non_sequence_{_name}"
        case(_func)

for _name, _make in SEQUENCES.items():

    def _sequence(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file()
        try:
            return mod.writev(fd, make()), state(fd)
        except Exception:
            assert contents(fd) == b""
            raise

    _sequence.__name__ = f"writev_sequence_{_name}"
    case(_sequence)

for _name, _make in BAD_ITEMS.items():

    def _bad_item(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file()
        try:
            return mod.writev(fd, [b"first", make(), b"last"])
        finally:
            # All buffers are acquired before the call: nothing was written.
            assert contents(fd) == b""

    def _bad_item_read(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        fd = fds.file(b"abcdef")
        first = bytearray(2)
        try:
            return mod.readv(fd, [first, make()])
        finally:
            assert first == bytearray(2) and position(fd) == 0

    _bad_item.__name__ = f"writev_bad_item_{_name}"
    _bad_item_read.__name__ = f"readv_bad_item_{_name}"
    case(_bad_item)
    case(_bad_item_read)


@case
def writev_bad_item_on_bad_fd(mod: Any, fds: Fds) -> object:
    # Items are checked before the system call, so TypeError wins over EBADF.
    return mod.writev(bad_fd_number(), [b"a", "b"])


# --- IOV_MAX ----------------------------------------------------------------------------


@case
def writev_1024_buffers(mod: Any, fds: Fds) -> object:
    fd = fds.file()
    return mod.writev(fd, [bytes([i % 256]) for i in range(1024)]), state(fd)


@case
def writev_1025_buffers(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"keep")
    try:
        return mod.writev(fd, [b"x"] * 1025)
    finally:
        assert state(fd) == (b"keep", 0)


@case
def writev_1025_buffers_bad_fd(mod: Any, fds: Fds) -> object:
    return mod.writev(bad_fd_number(), [b"x"] * 1025)


@case
def writev_1025_buffers_read_only_fd(mod: Any, fds: Fds) -> object:
    return mod.writev(fds.file(b"", os.O_RDONLY), [b"x"] * 1025)


@case
def writev_1025_buffers_bad_item(mod: Any, fds: Fds) -> object:
    return mod.writev(fds.file(), [b"x"] * 1024 + ["y"])


@case
def readv_1025_buffers(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abc" * 1000)
    bufs = [bytearray(1) for _ in range(1025)]
    try:
        return mod.readv(fd, bufs)
    finally:
        assert all(b == bytearray(1) for b in bufs)


@case
def readv_1025_buffers_write_only_fd(mod: Any, fds: Fds) -> object:
    return mod.readv(fds.file(b"", os.O_WRONLY), [bytearray(1)] * 1025)


@case
def readv_1025_buffers_directory(mod: Any, fds: Fds) -> object:
    fd = fds.keep(os.open(fds.tmp_path, os.O_RDONLY))
    return mod.readv(fd, [bytearray(1)] * 1025)


@case
def pwritev_1025_buffers_negative_offset(mod: Any, fds: Fds) -> object:
    return mod.pwritev(fds.file(), [b"x"] * 1025, -2)


@case
def pwritev_1025_buffers_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    return mod.pwritev(w, [b"x"] * 1025, 0)


@case
def pwritev_1025_buffers_current_offset(mod: Any, fds: Fds) -> object:
    fd = fds.file()
    return mod.pwritev(fd, [b"x"] * 1025, -1), state(fd)


@case
def preadv_1025_buffers(mod: Any, fds: Fds) -> object:
    return mod.preadv(fds.file(b"abc"), [bytearray(1)] * 1025, 0)


# --- readv ------------------------------------------------------------------------------


@case
def readv_fills_in_order(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abcdefgh")
    a, b, c = bytearray(3), bytearray(2), bytearray(3)
    return mod.readv(fd, [a, memoryview(b), c]), a, b, c, position(fd)


@case
def readv_short_read(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abcde")
    bufs = [bytearray(b"...") for _ in range(3)]
    return mod.readv(fd, bufs), bufs


@case
def readv_eof(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"")
    buf = bytearray(b"untouched")
    return mod.readv(fd, [buf]), buf


@case
def readv_pipe_eof(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    fds.close(w)
    return mod.readv(r, [bytearray(4)])


@case
def readv_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    os.write(w, b"hello world")
    a, b = bytearray(5), bytearray(10)
    return mod.readv(r, [a, b]), a, b


@case
def readv_same_buffer_twice(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abcdef")
    buf = bytearray(3)
    return mod.readv(fd, [buf, buf]), buf


@case
def readv_empty_list(mod: Any, fds: Fds) -> object:
    return mod.readv(fds.file(b"abc"), [])


@case
def readv_empty_buffers(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abc")
    return mod.readv(fd, [bytearray(), bytearray(0)]), position(fd)


@case
def readv_bad_fd(mod: Any, fds: Fds) -> object:
    return mod.readv(bad_fd_number(), [bytearray(1)])


@case
def readv_empty_list_bad_fd(mod: Any, fds: Fds) -> object:
    return mod.readv(bad_fd_number(), [])


@case
def readv_write_only_fd(mod: Any, fds: Fds) -> object:
    return mod.readv(fds.file(b"abc", os.O_WRONLY), [bytearray(1)])


@case
def readv_directory(mod: Any, fds: Fds) -> object:
    fd = fds.keep(os.open(fds.tmp_path, os.O_RDONLY))
    return mod.readv(fd, [bytearray(4)])


@case
def readv_empty_list_directory(mod: Any, fds: Fds) -> object:
    fd = fds.keep(os.open(fds.tmp_path, os.O_RDONLY))
    return mod.readv(fd, [])


@case
def readv_nonblocking_empty_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    os.set_blocking(r, False)
    return mod.readv(r, [bytearray(4)])


READ_ONLY_EXPORTERS: dict[str, Callable[[], object]] = {
    "bytes": lambda: b"abc",
    "memoryview_of_bytes": lambda: memoryview(b"abc"),
    "read_only_memoryview": lambda: memoryview(bytearray(b"abc")).toreadonly(),
}

for _name, _make in READ_ONLY_EXPORTERS.items():

    def _read_only(mod: Any, fds: Fds, make: Callable[[], object] = _make) -> object:
        return mod.readv(fds.file(b"xyz"), [bytearray(1), make()])

    _read_only.__name__ = f"readv_read_only_{_name}"
    case(_read_only)


@case
def readv_read_only_mmap(mod: Any, fds: Fds) -> object:
    src = fds.file(b"m" * 4096)
    with mmap.mmap(src, 4096, access=mmap.ACCESS_READ) as mm:
        return mod.readv(fds.file(b"xyz"), [mm])


@case
def readv_non_contiguous(mod: Any, fds: Fds) -> object:
    return mod.readv(fds.file(b"xyz"), [memoryview(bytearray(6))[::2]])


# --- buffer types -------------------------------------------------------------------------


@case
def writev_array_lengths_are_bytes(mod: Any, fds: Fds) -> object:
    fd = fds.file()
    bufs = [array.array("i", [1, 2]), array.array("d", [0.5]), array.array("H", [7])]
    return mod.writev(fd, bufs), state(fd)


@case
def readv_into_arrays(mod: Any, fds: Fds) -> object:
    fd = fds.file(bytes(range(20)))
    a, d = array.array("i", [0, 0]), array.array("d", [0.0])
    return mod.readv(fd, [a, d]), a.tobytes(), d.tobytes()


@case
def writev_memoryview_slices_and_2d(mod: Any, fds: Fds) -> object:
    fd = fds.file()
    data = bytearray(b"0123456789")
    two_d = memoryview(bytearray(b"abcdef")).cast("B", (2, 3))
    n = mod.writev(fd, [memoryview(data)[2:5], memoryview(b"XYZ")[1:], two_d])
    return n, state(fd)


@case
def readv_into_memoryview_slices(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abcdef")
    data = bytearray(b"..........")
    view = memoryview(data)
    return mod.readv(fd, [view[1:3], view[7:10]]), data


@case
def writev_mmap(mod: Any, fds: Fds) -> object:
    src = fds.file(b"M" * 8192)
    fd = fds.file()
    with mmap.mmap(src, 8192, access=mmap.ACCESS_READ) as mm:
        return mod.writev(fd, [mm, memoryview(mm)[10:20]]), state(fd)


@case
def readv_into_mmap(mod: Any, fds: Fds) -> object:
    dst = fds.file(b"\0" * 4096)
    fd = fds.file(b"hello mmap")
    with mmap.mmap(dst, 4096) as mm:
        n = mod.readv(fd, [mm])
        return n, mm[:12]


if HAVE_NUMPY:
    import numpy as np

    @case
    def writev_numpy(mod: Any, fds: Fds) -> object:
        fd = fds.file()
        bufs = [np.arange(4, dtype=np.int32), np.zeros((2, 2), dtype=np.uint8), np.float64(1.5)]
        return mod.writev(fd, bufs), state(fd)

    @case
    def writev_numpy_non_contiguous(mod: Any, fds: Fds) -> object:
        return mod.writev(fds.file(), [np.arange(8, dtype=np.int16)[::2]])

    @case
    def writev_numpy_fortran(mod: Any, fds: Fds) -> object:
        return mod.writev(fds.file(), [np.asfortranarray(np.arange(6).reshape(2, 3))])

    @case
    def readv_numpy(mod: Any, fds: Fds) -> object:
        fd = fds.file(bytes(range(16)))
        a = np.zeros(2, dtype=np.int32)
        b = np.zeros(8, dtype=np.uint8)
        return mod.readv(fd, [a, b]), a.tobytes(), b.tobytes()

    @case
    def readv_numpy_read_only(mod: Any, fds: Fds) -> object:
        a = np.zeros(4, dtype=np.uint8)
        a.flags.writeable = False
        return mod.readv(fds.file(b"abcd"), [a])


# --- pwritev / preadv -----------------------------------------------------------------


@case
def pwritev_keeps_offset(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"0123456789")
    os.lseek(fd, 2, os.SEEK_SET)
    return mod.pwritev(fd, [b"ab", b"cd"], 5), state(fd)


@case
def pwritev_past_eof_makes_hole(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abc")
    return mod.pwritev(fd, [b"Z"], 6), state(fd)


@case
def pwritev_minus_one_is_current_offset(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"0123456789")
    os.lseek(fd, 4, os.SEEK_SET)
    return mod.pwritev(fd, [b"ab", b"c"], -1), state(fd)


@case
def pwritev_minus_one_on_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    return mod.pwritev(w, [b"ab", b"c"], -1), os.read(r, 10)


@case
def pwritev_offset_on_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    return mod.pwritev(w, [b"ab"], 0)


@case
def pwritev_offset_on_socket(mod: Any, fds: Fds) -> object:
    a, b = fds.socketpair()
    return mod.pwritev(a.fileno(), [b"ab"], 0)


@case
def pwritev_empty_list_on_pipe_with_offset(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    return mod.pwritev(w, [], 0)


@case
def pwritev_bad_fd(mod: Any, fds: Fds) -> object:
    return mod.pwritev(bad_fd_number(), [b"x"], 0)


@case
def pwritev_bad_fd_minus_one_offset(mod: Any, fds: Fds) -> object:
    return mod.pwritev(bad_fd_number(), [b"x"], -1)


@case
def pwritev_bad_fd_negative_offset(mod: Any, fds: Fds) -> object:
    # The kernel checks the offset before the fd.
    return mod.pwritev(bad_fd_number(), [b"x"], -2)


@case
def pwritev_fd_minus_one_negative_offset(mod: Any, fds: Fds) -> object:
    return mod.pwritev(-1, [b"x"], -5)


@case
def pwritev_read_only_fd(mod: Any, fds: Fds) -> object:
    return mod.pwritev(fds.file(b"", os.O_RDONLY), [b"x"], 0)


for _offset in [-2, -(2**63), 2**63 - 1, 2**63 - 2, 2**63, -(2**63) - 1, 2**64, 1.0, None, "0"]:

    def _pwrite_offset(mod: Any, fds: Fds, offset: object = _offset) -> object:
        fd = fds.file(b"abc")
        try:
            return mod.pwritev(fd, [b"x"], offset), state(fd)
        finally:
            assert state(fd) in [(b"abc", 0), (b"x" + b"bc", 0)]

    def _pread_offset(mod: Any, fds: Fds, offset: object = _offset) -> object:
        fd = fds.file(b"abc")
        buf = bytearray(2)
        return mod.preadv(fd, [buf], offset), buf

    _pwrite_offset.__name__ = f"pwritev_offset_{_offset!r}"
    _pread_offset.__name__ = f"preadv_offset_{_offset!r}"
    case(_pwrite_offset)
    case(_pread_offset)


@case
def pwritev_offset_overflow_not_sequence(mod: Any, fds: Fds) -> object:
    # Arguments are converted first: OverflowError, not "must be a sequence".
    return mod.pwritev(fds.file(), 5, 2**64)


@case
def pwritev_bad_fd_type_before_sequence(mod: Any, fds: Fds) -> object:
    return mod.pwritev("x", 5, 0)


@case
def preadv_keeps_offset(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"0123456789")
    a, b = bytearray(2), bytearray(3)
    return mod.preadv(fd, [a, b], 4), a, b, position(fd)


@case
def preadv_past_eof(mod: Any, fds: Fds) -> object:
    buf = bytearray(b"keep")
    return mod.preadv(fds.file(b"abc"), [buf], 100), buf


@case
def preadv_minus_one_is_current_offset(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"0123456789")
    os.lseek(fd, 6, os.SEEK_SET)
    buf = bytearray(3)
    return mod.preadv(fd, [buf], -1), buf, position(fd)


@case
def preadv_minus_one_on_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    os.write(w, b"piped")
    buf = bytearray(5)
    return mod.preadv(r, [buf], -1), buf


@case
def preadv_offset_on_pipe(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    return mod.preadv(r, [bytearray(1)], 0)


@case
def preadv_write_only_fd(mod: Any, fds: Fds) -> object:
    return mod.preadv(fds.file(b"abc", os.O_WRONLY), [bytearray(1)], 0)


@case
def preadv_directory(mod: Any, fds: Fds) -> object:
    fd = fds.keep(os.open(fds.tmp_path, os.O_RDONLY))
    return mod.preadv(fd, [bytearray(1)], 0)


# --- flags ------------------------------------------------------------------------------

for _flags in [0x40000000, -1, 0x200, 2**31, -(2**31) - 1, 1.5, None]:

    def _pwrite_flags(mod: Any, fds: Fds, flags: object = _flags) -> object:
        fd = fds.file(b"abc")
        return mod.pwritev(fd, [b"x"], 0, flags), state(fd)

    def _pwrite_flags_empty(mod: Any, fds: Fds, flags: object = _flags) -> object:
        return mod.pwritev(fds.file(), [], 0, flags)

    def _pread_flags(mod: Any, fds: Fds, flags: object = _flags) -> object:
        buf = bytearray(2)
        return mod.preadv(fds.file(b"abc"), [buf], 0, flags), buf

    _pwrite_flags.__name__ = f"pwritev_flags_{_flags!r}"
    _pwrite_flags_empty.__name__ = f"pwritev_empty_flags_{_flags!r}"
    _pread_flags.__name__ = f"preadv_flags_{_flags!r}"
    case(_pwrite_flags)
    case(_pwrite_flags_empty)
    case(_pread_flags)


if hasattr(os, "RWF_SYNC"):

    @case
    def pwritev_sync_flags(mod: Any, fds: Fds) -> object:
        # test_posix.test_pwritev_flags, which never runs in CPython, with its fixed result.
        fd = fds.file()
        os.write(fd, b"xx")
        os.lseek(fd, 0, os.SEEK_SET)
        n = mod.pwritev(fd, [b"test1", b"tt2", b"t3"], 2, mod.RWF_SYNC)
        m = mod.pwritev(fd, [b"d"], 0, mod.RWF_DSYNC | mod.RWF_HIPRI)
        return n, m, state(fd)

    @case
    def preadv_nowait_cached(mod: Any, fds: Fds) -> object:
        fd = fds.file(b"cached data")
        buf = bytearray(6)
        return mod.preadv(fd, [buf], 0, mod.RWF_NOWAIT | mod.RWF_HIPRI), buf

    @case
    def pwritev_nowait(mod: Any, fds: Fds) -> object:
        return mod.pwritev(fds.file(b"abc"), [b"x"], 0, mod.RWF_NOWAIT)


if hasattr(os, "RWF_APPEND"):

    @case
    def pwritev_append(mod: Any, fds: Fds) -> object:
        fd = fds.file(b"start")
        n = mod.pwritev(fd, [b"+a"], 0, mod.RWF_APPEND)
        offset_after = position(fd)
        m = mod.pwritev(fd, [b"+b"], -1, mod.RWF_APPEND)
        return n, m, offset_after, state(fd)


# --- argument conversion ------------------------------------------------------------------

BAD_FDS: dict[str, object] = {
    "float": 1.0,
    "str": "1",
    "none": None,
    "too_big": 2**31,
    "too_small": -(2**31) - 1,
    "huge": 2**100,
}

for _name, _fd in BAD_FDS.items():

    def _bad_fd_arg(mod: Any, fds: Fds, fd: object = _fd) -> object:
        return mod.writev(fd, [b"x"])

    def _bad_fd_arg_p(mod: Any, fds: Fds, fd: object = _fd) -> object:
        return mod.preadv(fd, [bytearray(1)], 0)

    _bad_fd_arg.__name__ = f"writev_fd_{_name}"
    _bad_fd_arg_p.__name__ = f"preadv_fd_{_name}"
    case(_bad_fd_arg)
    case(_bad_fd_arg_p)


class Index:
    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


@case
def writev_fd_index_and_bool(mod: Any, fds: Fds) -> object:
    r, w = fds.pipe()
    n = mod.writev(Index(w), [b"via __index__"])
    # bool is an int: True is fd 1 (an empty write checks it, writes nothing).
    return n, os.read(r, 100), mod.writev(True, [])


@case
def pwritev_offset_index(mod: Any, fds: Fds) -> object:
    fd = fds.file(b"abc")
    return mod.pwritev(fd, [b"Z"], Index(1), Index(0)), state(fd)


@types_only
def writev_keyword_arguments(mod: Any, fds: Fds) -> object:
    return mod.writev(fd=fds.file(), buffers=[b"x"])


@types_only
def pwritev_keyword_flags(mod: Any, fds: Fds) -> object:
    return mod.pwritev(fds.file(), [b"x"], 0, flags=0)


@types_only
def writev_too_many_arguments(mod: Any, fds: Fds) -> object:
    return mod.writev(fds.file(), [b"x"], 0)


@types_only
def writev_too_few_arguments(mod: Any, fds: Fds) -> object:
    return mod.writev(fds.file())


@types_only
def preadv_too_few_arguments(mod: Any, fds: Fds) -> object:
    return mod.preadv(fds.file(), [bytearray(1)])


@types_only
def preadv_too_many_arguments(mod: Any, fds: Fds) -> object:
    return mod.preadv(fds.file(), [bytearray(1)], 0, 0, 0)


@pytest.mark.parametrize("name", sorted(CASES))
def test_parity(name: str, tmp_path: Path) -> None:
    assert_parity(CASES[name], tmp_path, messages=name not in TYPES_ONLY)


def test_parity_cases_can_fail(tmp_path: Path) -> None:
    """The harness notices a difference (guards against a harness that compares nothing)."""

    def differs(mod: Any, fds: Fds) -> object:
        return mod.__name__

    with pytest.raises(AssertionError):
        assert_parity(differs, tmp_path)


def test_rwf_constants_match_os() -> None:
    names = [n for n in dir(os) if n.startswith("RWF_")]
    if sys.platform == "linux":
        assert names, "os has no RWF_* constants on Linux?"
    for name in names:
        assert getattr(vectored, name) == getattr(os, name), name
    if sys.platform == "linux":
        assert vectored.RWF_NOSIGNAL == 0x100
        assert vectored.RWF_ATOMIC == 0x40
        assert vectored.RWF_DONTCACHE == 0x80


@pytest.mark.parametrize("func", ["writev", "readv", "pwritev", "preadv"])
def test_signatures_match_os(func: str) -> None:
    import inspect

    ours = inspect.signature(getattr(vectored, func))
    for param in ours.parameters.values():
        assert param.kind is inspect.Parameter.POSITIONAL_ONLY, (func, param)
    try:
        theirs = inspect.signature(getattr(os, func))
    except ValueError:  # pragma: no cover - builtins without a text signature
        return
    assert [p.name for p in ours.parameters.values()] == [p.name for p in theirs.parameters.values()]
    assert [p.default for p in ours.parameters.values()] == [
        p.default for p in theirs.parameters.values()
    ]


# --- held exports and signals -------------------------------------------------------------


@pytest.mark.parametrize("mod", [os, vectored], ids=["os", "vectored"])
def test_buffers_are_held_during_the_call(mod: Any, fds: Fds) -> None:
    """While readv is blocked (GIL released), the bytearray cannot be resized."""
    r, w = fds.pipe()
    buf = bytearray(8)
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(mod.readv(r, [buf])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    resized: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            buf.extend(b"!")
            del buf[-1:]
        except BufferError as exc:
            resized = exc
            break
        time.sleep(0.001)
    os.write(w, b"12345678")
    thread.join(10)
    assert isinstance(resized, BufferError)
    assert result == [8] and buf == bytearray(b"12345678")
    buf.extend(b"!")  # released afterwards


@pytest.mark.parametrize("count", [3, 40], ids=["on-the-stack", "on-the-heap"])
@pytest.mark.parametrize("mod", [os, vectored], ids=["os", "vectored"])
def test_items_outlive_the_list_during_the_call(mod: Any, fds: Fds, count: int) -> None:
    """A blocked writev keeps writing the items of a list that dropped them meanwhile (the
    list is their only owner: `bytes` kept by a reference, exporters by their view)."""
    r, w = fds.pipe()
    os.set_blocking(w, False)
    filler = 0
    try:
        while True:
            filler += os.write(w, b"f" * 65536)
    except BlockingIOError:
        pass
    os.set_blocking(w, True)
    kinds: list[Callable[[bytes], Any]] = [bytes, bytearray, lambda b: memoryview(bytearray(b))]
    items: list[Any] = [kinds[i % 3](os.urandom(1000 + i)) for i in range(count)]
    sentinel = bytearray(b"end")  # acquired last: once it cannot be resized, all are held
    items.append(sentinel)
    expected = b"".join(bytes(item) for item in items)
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(mod.writev(w, items)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            sentinel.extend(b"!")
            del sentinel[-1:]
        except BufferError:
            break
        time.sleep(0.001)
    items.clear()
    del sentinel
    gc.collect()
    # Reuse the memory of anything freed too early, so that it would be written changed.
    junk: list[Any] = [b"J" * (1000 + i) for i in range(count)]
    junk += [bytearray(b"J" * (1000 + i)) for i in range(count)]
    data = bytearray()
    while len(data) < filler + len(expected):
        data += os.read(r, 1 << 20)
    thread.join(10)
    assert result == [len(expected)]
    assert data[filler:] == expected
    del junk


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
@pytest.mark.parametrize("mod", [os, vectored], ids=["os", "vectored"])
def test_signal_handler_exception_propagates(mod: Any, fds: Fds) -> None:
    """PEP 475: EINTR runs the handlers; an exception from one replaces the call's result."""
    r, w = fds.pipe()

    class Stop(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Stop

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Stop) as info:
            mod.readv(r, [bytearray(1)])
        assert info.value.__context__ is None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
@pytest.mark.parametrize("mod", [os, vectored], ids=["os", "vectored"])
def test_signal_handler_returning_retries(mod: Any, fds: Fds) -> None:
    r, w = fds.pipe()
    calls: list[int] = []

    def handler(signum: int, frame: object) -> None:
        calls.append(signum)
        if len(calls) == 3:
            os.write(w, b"!")

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
        buf = bytearray(1)
        assert mod.preadv(r, [buf], -1) == 1
        assert buf == b"!" and len(calls) >= 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
