"""Python-level benchmarks of `vectored` against what Python programs do today.

Run with a release build of the extension (``scripts/test-python --bench`` does both)::

    python python/benchmarks/bench_python.py [--reps N] [--quick] [--dir DIR]

Every comparison runs its strategies in one process, interleaved repetition by repetition
(in a shuffled order each time), and reports the median time of each and its ratio to the
`vectored` strategy. For pipes and sockets the clock stops when a reader thread has received
every byte, not when the writer returns.

Workloads (see ``shared/reference/baselines.md`` section 6 for the numbers they follow):

1. 1000 x 1 KiB to a file: ``writev_all`` against one ``os.writev`` call (goal: <= 1.1x).
2. 10000 x 100 B and 100000 x 16 B to a file, a pipe and a socketpair: ``writev_all``
   against ``os.writev`` in 1024-buffer chunks and against ``b"".join`` + ``os.write``
   (goal: ``writev_all`` beats both; it needs the coalescing of tiny buffers).
3. 10 batches x 10000 x 100 B into a non-blocking pipe drained by a reader thread:
   ``writev_all`` against the tutorial ``robust_writev`` loop (``list.pop(0)`` bookkeeping,
   ``sleep(0.1)`` on ``BlockingIOError``; fixed only to pass at most 1024 buffers per call),
   goal >= 10x, and the same loop waiting with ``select.poll`` instead of sleeping.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import select
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import vectored

IOV_MAX = 1024

Strategy = Callable[[int, Sequence[bytes]], Any]


# --- what Python programs do today ---------------------------------------------------------


def os_writev_chunked(fd: int, bufs: Sequence[bytes]) -> int:
    """os.writev in IOV_MAX chunks (blocking fd: each call writes its chunk completely for
    files; for pipes and sockets, short writes are finished with os.write)."""
    total = 0
    for start in range(0, len(bufs), IOV_MAX):
        chunk = bufs[start : start + IOV_MAX]
        want = sum(map(len, chunk))
        n = os.writev(fd, chunk)
        if n < want:  # finish a short write the simple way
            rest = memoryview(b"".join(chunk))[n:]
            while rest:
                rest = rest[os.write(fd, rest) :]
        total += want
    return total


def join_write(fd: int, bufs: Sequence[bytes]) -> int:
    data = memoryview(b"".join(bufs))
    total = len(data)
    while data:
        data = data[os.write(fd, data) :]
    return total


def os_writev_single(fd: int, bufs: Sequence[bytes]) -> int:
    return os.writev(fd, bufs)


def robust_writev_sleep(fd: int, buffers: Sequence[bytes]) -> int:
    """The tutorial's robust_writev: pop(0) bookkeeping, sleep(0.1) on BlockingIOError.
    Fixed only to pass at most IOV_MAX buffers per call (verbatim, it fails with EINVAL)."""
    buffers = list(buffers)
    total = 0
    while buffers:
        try:
            n = os.writev(fd, buffers[:IOV_MAX])
        except BlockingIOError:
            time.sleep(0.1)
            continue
        total += n
        while n > 0:
            first = buffers[0]
            if n >= len(first):
                n -= len(first)
                buffers.pop(0)
            else:
                buffers[0] = first[n:]
                n = 0
    return total


def robust_writev_poll(fd: int, buffers: Sequence[bytes]) -> int:
    """The same loop, waiting with select.poll(POLLOUT) instead of sleeping."""
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    buffers = list(buffers)
    total = 0
    while buffers:
        try:
            n = os.writev(fd, buffers[:IOV_MAX])
        except BlockingIOError:
            poller.poll()
            continue
        total += n
        while n > 0:
            first = buffers[0]
            if n >= len(first):
                n -= len(first)
                buffers.pop(0)
            else:
                buffers[0] = first[n:]
                n = 0
    return total


def vectored_writev_all(fd: int, bufs: Sequence[bytes]) -> int:
    return vectored.writev_all(fd, bufs)


# --- targets ---------------------------------------------------------------------------


class Target:
    """Somewhere to write: `fd`, `prepare()` before each timed run (untimed), `wait(n)` until
    `n` bytes have arrived (timed)."""

    name = ""
    fd = -1

    def prepare(self) -> None:
        pass

    def wait(self, total: int) -> None:
        pass

    def close(self) -> None:
        pass


class FileTarget(Target):
    name = "file"

    def __init__(self, directory: str | None) -> None:
        handle, self.path = tempfile.mkstemp(prefix="vectored-bench-", dir=directory)
        self.fd = handle

    def prepare(self) -> None:
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)

    def close(self) -> None:
        os.close(self.fd)
        os.unlink(self.path)


class DrainedTarget(Target):
    """A pipe or socketpair whose read end a thread drains, counting bytes."""

    def __init__(self, kind: str, nonblocking: bool = False) -> None:
        self.name = kind + (" (non-blocking)" if nonblocking else "")
        self._socks: list[socket.socket] = []
        if kind == "pipe":
            self._r, self.fd = os.pipe()
        else:
            a, b = socket.socketpair()
            self._socks = [a, b]
            self.fd, self._r = a.fileno(), b.fileno()
        if nonblocking:
            os.set_blocking(self.fd, False)
        self._received = 0
        self._goal = 0
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            try:
                n = os.readv(self._r, [view])
            except OSError:
                return
            if n == 0:
                return
            with self._lock:
                self._received += n
                if self._goal and self._received >= self._goal:
                    self._done.set()

    def prepare(self) -> None:
        with self._lock:
            self._received = 0
            self._goal = 0
            self._done.clear()

    def wait(self, total: int) -> None:
        with self._lock:
            self._goal = total
            if self._received >= total:
                self._done.set()
        if not self._done.wait(120):
            raise RuntimeError(f"{self.name}: reader got {self._received} of {total} bytes")

    def close(self) -> None:
        if self._socks:
            self._socks[0].shutdown(socket.SHUT_WR)
        else:
            os.close(self.fd)
        self._thread.join(10)
        for s in self._socks:
            s.close()
        if not self._socks:
            os.close(self._r)


# --- measurement -------------------------------------------------------------------------


def measure(
    target: Target,
    strategies: Mapping[str, Strategy],
    batches: list[list[bytes]],
    reps: int,
) -> dict[str, list[float]]:
    """Runs every strategy `reps` times, interleaved; one run writes every batch in turn.
    Returns the seconds of each run per strategy."""
    total = sum(len(b) for batch in batches for b in batch)
    times: dict[str, list[float]] = {name: [] for name in strategies}
    order = list(strategies)
    rng = random.Random(42)
    for name in order:  # warm-up (page cache, allocator), untimed
        target.prepare()
        for batch in batches:
            strategies[name](target.fd, batch)
        target.wait(total)
    for _ in range(reps):
        rng.shuffle(order)
        for name in order:
            target.prepare()
            start = time.perf_counter()
            written = 0
            for batch in batches:
                written += strategies[name](target.fd, batch)
            target.wait(total)
            times[name].append(time.perf_counter() - start)
            if written != total:
                raise RuntimeError(f"{name} wrote {written} of {total} bytes")
    return times


Row = tuple[str, str, str, float, float]


def report(workload: str, target: str, times: dict[str, list[float]], base: str) -> list[Row]:
    medians = {name: statistics.median(t) for name, t in times.items()}
    rows = []
    for name, med in medians.items():
        rows.append((workload, target, name, med, med / medians[base]))
    return rows


def buffers(count: int, size: int) -> list[bytes]:
    rng = random.Random(count * 1000 + size)
    return [rng.randbytes(size) for _ in range(count)]


# --- per-call cost against os (section 4, --calls) ---------------------------------------

CALL_SHAPES = (1, 2, 16, 256, 1024)
CALL_KINDS = ("bytes", "bytearray", "memoryview")
CALL_BUF_SIZE = 100
# "cpu": the calling thread's CPU time (user + system, time.thread_time), which leaves out
# the time other processes hold the CPU on a shared machine; "wall": time.perf_counter.
CLOCK = ["cpu"]


def load_extension(path: str) -> Any:
    """Loads another build of ``vectored._vectored`` (an .so file) beside the installed one,
    for a before/after comparison in one process."""
    import importlib.machinery
    import importlib.util

    name = f"vectored_baseline_{abs(hash(path))}._vectored"
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def call_buffers(count: int, kind: str, writable: bool) -> list[Any]:
    raw = [bytearray(os.urandom(CALL_BUF_SIZE)) for _ in range(count)]
    if kind == "bytes" and not writable:
        return [bytes(b) for b in raw]
    if kind == "memoryview":
        return [memoryview(b) for b in raw]
    return raw  # bytearray (and writable "bytes": reads need writable buffers)


class CallTarget:
    """Where the calls go. `reset()` runs untimed before each batch of `batch` calls."""

    def __init__(self, name: str, directory: str | None) -> None:
        self.name = name
        self._closers: list[Callable[[], None]] = []
        self.wfd = self.rfd = -1
        if name == "/dev/null":
            self.wfd = os.open("/dev/null", os.O_WRONLY)
            self.rfd = os.open("/dev/zero", os.O_RDONLY)
            self._closers += [lambda: os.close(self.wfd), lambda: os.close(self.rfd)]
        elif name == "file":
            handle, path = tempfile.mkstemp(prefix="vectored-calls-", dir=directory)
            os.write(handle, b"\0" * (CALL_BUF_SIZE * 1024))
            self.wfd = self.rfd = handle
            self._closers += [lambda: os.close(handle), lambda: os.unlink(path)]
        elif name == "pipe":
            self.rfd, self.wfd = os.pipe()
            import fcntl

            fcntl.fcntl(self.wfd, 1031, 1 << 20)  # F_SETPIPE_SZ: room for whole batches
            self._closers += [lambda: os.close(self.rfd), lambda: os.close(self.wfd)]
        else:
            a, b = socket.socketpair()
            for s in (a, b):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            self.wfd, self.rfd = a.fileno(), b.fileno()
            self._closers += [a.close, b.close]
        self.room = 1 << 30
        if name in ("pipe", "socketpair"):
            # Half of what 100-byte writes fit before EAGAIN: batches never block.
            os.set_blocking(self.wfd, False)
            fitted = 0
            try:
                while True:
                    fitted += os.write(self.wfd, b"\0" * CALL_BUF_SIZE)
            except BlockingIOError:
                pass
            os.set_blocking(self.wfd, True)
            self.drain()
            self.room = fitted // 2

    def drain(self) -> None:
        os.set_blocking(self.rfd, False)
        try:
            while os.read(self.rfd, 1 << 20):
                pass
        except BlockingIOError:
            pass
        finally:
            os.set_blocking(self.rfd, True)

    def fill(self, nbytes: int) -> None:
        self.drain()
        data = b"\0" * nbytes
        while data:
            data = data[os.write(self.wfd, data):]

    def close(self) -> None:
        for close in self._closers:
            close()


def measure_calls(
    target: CallTarget,
    op: str,
    bufs: list[Any],
    funcs: Mapping[str, Callable[[], Any]],
    reps: int,
    budget: float,
) -> dict[str, float]:
    """Median seconds per call of each function, batches interleaved in shuffled order."""
    nbytes = len(bufs) * CALL_BUF_SIZE
    streaming = target.name in ("pipe", "socketpair")
    batch = max(1, min(2000, target.room // max(nbytes, 1))) if streaming else 2000
    if not streaming:
        # Aim at about `budget` seconds per function in total.
        start = time.perf_counter()
        for _ in range(50):
            next(iter(funcs.values()))()
        per_call = (time.perf_counter() - start) / 50
        batch = max(20, min(5000, int(budget / max(per_call, 1e-9) / reps)))

    def reset() -> None:
        if target.name == "file":
            os.lseek(target.wfd, 0, os.SEEK_SET)
        elif streaming:
            if op in ("readv", "readv_exact"):
                target.fill(nbytes * batch)
            else:
                target.drain()

    clock = time.thread_time if CLOCK[0] == "cpu" else time.perf_counter
    samples: dict[str, list[float]] = {name: [] for name in funcs}
    order = list(funcs)
    rng = random.Random(7)
    for _ in range(reps):
        rng.shuffle(order)
        for name in order:
            f = funcs[name]
            reset()
            if target.name == "file" and op in ("writev", "readv"):
                # writev/readv move the offset: seek back untimed every call is impossible,
                # so both sides pay the same lseek and it is subtracted below.
                lseek, fd = os.lseek, target.wfd
                t0 = clock()
                for _ in range(batch):
                    lseek(fd, 0, 0)
                    f()
                t1 = clock()
            else:
                t0 = clock()
                for _ in range(batch):
                    f()
                t1 = clock()
            samples[name].append((t1 - t0) / batch)
    return {name: statistics.median(s) for name, s in samples.items()}


def call_funcs(op: str, fd: int, bufs: list[Any], mods: Mapping[str, Any]) -> dict[str, Callable[[], Any]]:
    funcs: dict[str, Callable[[], Any]] = {}
    if op == "writev":
        ow = os.writev
        funcs["os"] = lambda: ow(fd, bufs)
        for label, mod in mods.items():
            f = mod.writev
            funcs[label] = lambda f=f: f(fd, bufs)  # type: ignore[misc]
    elif op == "writev_all":
        ow = os.writev
        funcs["os"] = lambda: ow(fd, bufs)
        for label, mod in mods.items():
            f = mod.writev_all
            funcs[label] = lambda f=f: f(fd, bufs)  # type: ignore[misc]
    elif op == "readv":
        orv = os.readv
        funcs["os"] = lambda: orv(fd, bufs)
        for label, mod in mods.items():
            f = mod.readv
            funcs[label] = lambda f=f: f(fd, bufs)  # type: ignore[misc]
    elif op == "pwritev":
        opw = os.pwritev
        funcs["os"] = lambda: opw(fd, bufs, 0)
        for label, mod in mods.items():
            f = mod.pwritev
            funcs[label] = lambda f=f: f(fd, bufs, 0)  # type: ignore[misc]
    elif op == "preadv":
        opr = os.preadv
        funcs["os"] = lambda: opr(fd, bufs, 0)
        for label, mod in mods.items():
            f = mod.preadv
            funcs[label] = lambda f=f: f(fd, bufs, 0)  # type: ignore[misc]
    return funcs


def baselines(specs: list[str] | None) -> dict[str, Any]:
    """The extensions named by ``--baseline [LABEL=]SO``, by label (default ``old``)."""
    mods: dict[str, Any] = {}
    for spec in specs or []:
        label, _, path = spec.rpartition("=")
        mods[label or "old"] = load_extension(path)
    return mods


def baseline_strategies(mods: Mapping[str, Any]) -> dict[str, Strategy]:
    """``LABEL.writev_all`` of each baseline build, to compare with ``vectored.writev_all``."""

    def strategy(mod: Any) -> Strategy:
        return lambda fd, bufs: mod.writev_all(fd, bufs)

    return {f"{label}.writev_all": strategy(mod) for label, mod in mods.items()}


def run_calls(args: argparse.Namespace) -> int:
    mods: dict[str, Any] = {"new": vectored, **baselines(args.baseline)}
    reps = 3 if args.quick else args.reps
    print(f"# per-call cost, vectored {vectored.__version__}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs; median of {reps} "
          f"interleaved batches; buffers of {CALL_BUF_SIZE} B; {args.clock} clock"
          + "".join(f"; {spec}" for spec in args.baseline or []))
    ops = args.ops.split(",")
    targets = args.targets.split(",")
    shapes = [int(s) for s in args.shapes.split(",")]
    kinds = args.kinds.split(",")
    header = "| op | target | buffers | kind | os ns |" + "".join(
        f" {label} ns | {label}/os |" for label in mods)
    print()
    print(header)
    print("|---|---|---:|---|---:|" + "---:|---:|" * len(mods))
    results = []
    for op in ops:
        for tname in targets:
            if op in ("pwritev", "preadv") and tname in ("pipe", "socketpair"):
                continue  # ESPIPE
            target = CallTarget(tname, args.dir)
            try:
                for count in shapes:
                    for kind in kinds:
                        writable = op in ("readv", "preadv")
                        bufs = call_buffers(count, kind, writable)
                        fd = target.rfd if writable else target.wfd
                        funcs = call_funcs(op, fd, bufs, mods)
                        med = measure_calls(target, op, bufs, funcs, reps, args.budget)
                        base = med["os"]
                        cells = "".join(f" {med[l] * 1e9:.0f} | {med[l] / base:.2f} |" for l in mods)
                        print(f"| {op} | {tname} | {count} | {kind} | {base * 1e9:.0f} |{cells}",
                              flush=True)
                        results.append({"op": op, "target": tname, "buffers": count, "kind": kind,
                                        **{f"{l}_ns": med[l] * 1e9 for l in med}})
            finally:
                target.close()
    if args.json:
        import json

        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="repetitions of each strategy")
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    parser.add_argument("--dir", default=None, help="directory for the file target")
    parser.add_argument("--calls", action="store_true",
                        help="per-call cost of the drop-ins and writev_all against os instead")
    parser.add_argument("--baseline", action="append", metavar="[LABEL=]SO",
                        help="another build's _vectored .so to compare (with --calls: column "
                        "LABEL, default 'old'; otherwise: strategy LABEL.writev_all in the "
                        "writev_all workloads); may be repeated")
    parser.add_argument("--ops", default="writev,readv,pwritev,preadv,writev_all")
    parser.add_argument("--targets", default="/dev/null,file,pipe,socketpair")
    parser.add_argument("--shapes", default=",".join(map(str, CALL_SHAPES)))
    parser.add_argument("--kinds", default=",".join(CALL_KINDS))
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="with --calls: thread CPU time (default) or wall-clock time")
    parser.add_argument("--budget", type=float, default=0.3,
                        help="with --calls: seconds per function per cell (about)")
    parser.add_argument("--json", default=None, help="with --calls: also write the cells here")
    args = parser.parse_args(argv)
    if args.calls:
        CLOCK[0] = args.clock
        return run_calls(args)
    reps = 2 if args.quick else args.reps
    old = baseline_strategies(baselines(args.baseline))

    print(f"# vectored {vectored.__version__}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs; "
          f"median of {reps} interleaved runs"
          + "".join(f"; {spec}" for spec in args.baseline or []))
    rows: list[Row] = []

    # 1. Large buffers to a file: writev_all against one os.writev call.
    target: Target = FileTarget(args.dir)
    try:
        times = measure(
            target,
            {"os.writev (one call)": os_writev_single, "vectored.writev_all": vectored_writev_all,
             **old},
            [buffers(1000, 1024)],
            reps * 4,
        )
        rows += report("1000 x 1 KiB", target.name, times, "os.writev (one call)")
    finally:
        target.close()

    # 2. Tiny buffers to a file, a pipe and a socketpair.
    small = {
        "vectored.writev_all": vectored_writev_all,
        "os.writev chunks of 1024": os_writev_chunked,
        'b"".join + os.write': join_write,
        **old,
    }
    for count, size in [(10_000, 100), (100_000, 16)]:
        batch = buffers(count, size)
        for make in (lambda: FileTarget(args.dir), lambda: DrainedTarget("pipe"),
                     lambda: DrainedTarget("socketpair")):
            target = make()
            try:
                times = measure(target, small, [batch], reps)
                rows += report(f"{count} x {size} B", target.name, times, "vectored.writev_all")
            finally:
                target.close()

    # 3. A non-blocking pipe with a reader thread: writev_all against robust_writev.
    robust = {
        "vectored.writev_all": vectored_writev_all,
        "robust_writev (sleep 0.1)": robust_writev_sleep,
        "robust_writev (poll)": robust_writev_poll,
        **old,
    }
    target = DrainedTarget("pipe", nonblocking=True)
    try:
        batches = [buffers(10_000, 100) for _ in range(10)]
        times = measure(target, robust, batches, max(3, reps // 3))
        rows += report("10 x 10000 x 100 B", target.name, times, "vectored.writev_all")
    finally:
        target.close()

    print()
    print("| workload | target | strategy | median | ratio to vectored |")
    print("|---|---|---|---:|---:|")
    for workload, tname, name, med, ratio in rows:
        print(f"| {workload} | {tname} | {name} | {med * 1e3:.3f} ms | {ratio:.2f}x |")
    print()
    print("Ratios are median / median of the row's baseline: `os.writev (one call)` for the")
    print("1000 x 1 KiB row (goal: writev_all <= 1.10x), `vectored.writev_all` elsewhere")
    print("(goal: every other strategy > 1.00x; robust_writev (sleep 0.1) >= 10x).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
