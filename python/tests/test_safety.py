"""Bad input never crashes: lying lengths, sequences that change under the call, aliased
writable buffers, tiny timeouts, sockets' own timeouts.

Cases that could kill the interpreter (an abort on a failed allocation, a use after free)
run in a child process, so a crash fails the test instead of ending the pytest run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from support import Fds

import vectored

ALL = ("writev", "readv", "pwritev", "preadv", "writev_all", "readv_exact", "pwritev_all",
       "preadv_exact")


def run_child(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a fresh interpreter; the test fails if it dies of a signal."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode >= 0, f"child killed by signal {-proc.returncode}:\n{proc.stderr}"
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_lying_len_is_memory_error_like_os() -> None:
    proc = run_child(
        """
        import os, vectored

        class Liar(list):
            def __len__(self):
                return 10**13

        fd = os.open("/dev/null", os.O_RDWR)
        for kind in (bytes, bytearray):
            seq = Liar([kind(b"x")])
            calls = {
                "os.writev": lambda: os.writev(fd, seq),
                "writev": lambda: vectored.writev(fd, seq),
                "readv": lambda: vectored.readv(fd, seq),
                "pwritev": lambda: vectored.pwritev(fd, seq, 0),
                "preadv": lambda: vectored.preadv(fd, seq, 0),
                "writev_all": lambda: vectored.writev_all(fd, seq),
                "readv_exact": lambda: vectored.readv_exact(fd, seq),
                "pwritev_all": lambda: vectored.pwritev_all(fd, seq, 0),
                "preadv_exact": lambda: vectored.preadv_exact(fd, seq, 0),
            }
            for name, call in calls.items():
                try:
                    call()
                except MemoryError:
                    print(name, "MemoryError")
                except BaseException as e:
                    print(name, type(e).__name__)
        """
    )
    lines = proc.stdout.split("\n")
    # os.writev allocates its arrays first: MemoryError. So do the drop-ins and readers;
    # the writers of bytes may hit MemoryError on their first reservation too.
    assert all(line.endswith("MemoryError") for line in lines if line), proc.stdout


@pytest.mark.parametrize("name", ["readv", "readv_exact", "preadv", "preadv_exact"])
def test_aliased_writable_buffers_match_os(fds: Fds, name: str) -> None:
    data = bytes(range(256)) * 4
    buf = bytearray(8)
    other = bytearray(8)
    view = memoryview(buf)
    layout: list[Any] = [buf, other, buf, view[2:6], buf]

    def fresh() -> int:
        return fds.file(data, os.O_RDONLY)

    expect_bufs = (bytearray(8), bytearray(8))
    expect_layout: list[Any] = [expect_bufs[0], expect_bufs[1], expect_bufs[0],
                     memoryview(expect_bufs[0])[2:6], expect_bufs[0]]
    if name.startswith("p"):
        expected = os.preadv(fresh(), expect_layout, 3)
        got = getattr(vectored, name)(fresh(), layout, 3)
    else:
        expected = os.readv(fresh(), expect_layout)
        got = getattr(vectored, name)(fresh(), layout)
    assert got == expected == 36
    assert (buf, other) == expect_bufs


def test_aliased_read_exact_short_reports_progress(fds: Fds) -> None:
    buf = bytearray(4)
    fd = fds.file(b"abcdef", os.O_RDONLY)
    with pytest.raises(vectored.IncompleteReadError) as info:
        vectored.readv_exact(fd, [buf, buf])
    assert info.value.transferred == 6
    assert buf == bytearray(b"efcd")  # "abcd" then "ef" over its start, as the kernel would


def test_sub_nanosecond_timeout_is_a_timeout(fds: Fds) -> None:
    r, w = fds.pipe(nonblocking=True)
    with pytest.raises(vectored.VectoredTimeoutError) as info:
        vectored.writev_all(w, [b"x" * (4 << 20)], timeout=1e-12)
    assert 0 < info.value.transferred < 4 << 20
    r2, w2 = fds.pipe()
    os.set_blocking(r2, False)
    with pytest.raises(TimeoutError):
        vectored.readv_exact(r2, [bytearray(1)], timeout=1e-10)


def test_socket_timeout_applies_when_no_timeout_given(fds: Fds) -> None:
    a, b = fds.socketpair()
    a.settimeout(0.2)
    start = time.monotonic()
    with pytest.raises(vectored.VectoredTimeoutError) as info:
        vectored.writev_all(a, [b"x" * (8 << 20)])
    assert time.monotonic() - start < 10
    assert 0 < info.value.transferred < 8 << 20
    b.settimeout(0.1)
    with pytest.raises(vectored.TransferError) as info2:
        vectored.readv_exact(b, [bytearray(16 << 20)])  # more than `a` managed to send
    assert isinstance(info2.value, TimeoutError)
    assert info2.value.transferred > 0


def test_socket_timeout_zero_is_blocking_io_error(fds: Fds) -> None:
    a, _b = fds.socketpair()
    a.setblocking(False)
    with pytest.raises(vectored.VectoredBlockingIOError) as info:
        vectored.writev_all(a, [b"x" * (8 << 20)])
    assert info.value.characters_written == info.value.transferred > 0


def test_explicit_timeout_overrides_the_socket(fds: Fds) -> None:
    a, _b = fds.socketpair()
    a.settimeout(100)
    with pytest.raises(TimeoutError):
        vectored.writev_all(a, [b"x" * (8 << 20)], timeout=0.05)


ADVERSARIAL = r'''
import os, sys, vectored
from hypothesis import given, settings, strategies as st, HealthCheck

fd_w = os.open("/dev/null", os.O_WRONLY)
fd_r = os.open("/dev/zero", os.O_RDONLY)
names = sys.argv[1].split(",")

def make_items(kinds):
    out = []
    for k, n in kinds:
        backing = bytearray(b"y" * n)
        out.append({"bytes": bytes(backing), "bytearray": backing,
                    "memoryview": memoryview(backing), "str": "s" * n, "none": None,
                    "released": memoryview(bytearray(n))}[k])
    return out

class Evil:
    def __init__(self, items, claimed, at, action):
        self.items, self.claimed, self.at, self.action = items, claimed, at, action
    def __len__(self):
        return self.claimed
    def __getitem__(self, i):
        if i == self.at:
            try:
                if self.action == "clear":
                    self.items.clear()
                elif self.action == "append":
                    self.items.extend([b"z"] * 50)
                elif self.action == "release":
                    for it in self.items:
                        if isinstance(it, memoryview):
                            it.release()
                elif self.action == "resize":
                    for it in self.items:
                        if isinstance(it, bytearray):
                            it.extend(b"q" * 100000)
                elif self.action == "raise":
                    raise KeyError("boom")
            except BufferError:
                pass
        return self.items[i]

kinds = st.sampled_from(["bytes", "bytearray", "memoryview", "str", "none", "released"])
item_specs = st.lists(st.tuples(kinds, st.integers(0, 3000)), max_size=40)
claims = st.one_of(st.integers(0, 60), st.sampled_from([2**31, 2**40, 10**13, 2**62]))

@settings(max_examples=int(sys.argv[2]), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(item_specs, claims, st.integers(-1, 45),
       st.sampled_from(["none", "clear", "append", "release", "resize", "raise"]),
       st.sampled_from(names), st.booleans())
def check(specs, claimed, at, action, name, exact_list):
    items = make_items(specs)
    for it in items:
        if isinstance(it, memoryview) and it.nbytes == 0:
            it.release()
    seq = Evil(items, claimed, at, action)
    if exact_list and claimed < 100 and action == "none":
        seq = list(items)
    f = getattr(vectored, name)
    writing = "write" in name
    fd = fd_w if writing else fd_r
    args = (fd, seq, 0) if name.startswith("p") else (fd, seq)
    try:
        f(*args)
    except Exception:
        pass  # any exception is fine; a crash is not

check()
print("ok")
'''


@pytest.mark.parametrize("names", [",".join(ALL[:4]), ",".join(ALL[4:])])
def test_adversarial_sequences_never_crash(names: str) -> None:
    proc = subprocess.run([sys.executable, "-c", ADVERSARIAL, names, "300"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode >= 0, f"crashed with signal {-proc.returncode}:\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr[-3000:]


@pytest.mark.parametrize("name", ["writev", "pwritev"])
def test_no_clamping_near_2_gib(name: str) -> None:
    """3 GiB in three iovecs to /dev/null (which never reads them, so the untouched calloc'd
    pages cost no memory): the kernel's own short count, exactly as os returns it."""
    big = bytes(1 << 30)
    fd = os.open("/dev/null", os.O_WRONLY)
    try:
        args: tuple[Any, ...] = (fd, [big, big, big]) + ((0,) if name == "pwritev" else ())
        expected = getattr(os, name)(*args)
        assert getattr(vectored, name)(*args) == expected
        assert expected < 3 << 30  # the kernel's MAX_RW_COUNT, not a buffer boundary
    finally:
        os.close(fd)
