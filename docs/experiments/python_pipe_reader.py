"""Ad-hoc check (third session of 2026-12-02): `writev_all` of 1000 x 1 KiB into a pipe
read by another program (`cat > /dev/null`), against one `os.write` per buffer and against
`b"".join` + `os.write`, and against the `writev_all` of other builds of the module.

    .venv/bin/python docs/experiments/python_pipe_reader.py [LABEL=PATH/_vectored.abi3.so ...]

Medians of 200 batches per strategy and round, three rounds, strategies interleaved in each
round; each strategy gets a fresh `cat`. Output: docs/bench/python-pipe-s3-2026-12-02.txt
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import vectored

BUFS = [bytes([i % 251]) * 1024 for i in range(1000)]


def load(path: str) -> Any:
    name = f"vectored_baseline_{abs(hash(path))}._vectored"
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def write_each(fd: int) -> None:
    for buf in BUFS:
        os.write(fd, buf)


def join_write(fd: int) -> None:
    view = memoryview(b"".join(BUFS))
    while view:
        view = view[os.write(fd, view) :]


def median_us(write: Callable[[int], object], reps: int = 200) -> float:
    reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    fd = reader.stdin.fileno()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        write(fd)
        times.append(time.perf_counter() - start)
    reader.stdin.close()
    reader.wait()
    return statistics.median(times) * 1e6


def main() -> None:
    strategies: dict[str, Callable[[int], object]] = {
        "vectored.writev_all": lambda fd: vectored.writev_all(fd, BUFS),
    }
    for arg in sys.argv[1:]:
        label, path = arg.split("=", 1)
        module = load(path)
        strategies[f"{label}.writev_all"] = lambda fd, m=module: m.writev_all(fd, BUFS)
    strategies["os.write per buffer"] = write_each
    strategies['b"".join + os.write'] = join_write
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, Python {sys.version.split()[0]}, "
          f"{os.uname().release}; 1000 x 1 KiB into a pipe read by `cat`, median us per batch")
    for round_ in range(3):
        cells = [f"{name} {median_us(write):.0f}" for name, write in strategies.items()]
        print(f"round {round_ + 1}: " + " | ".join(cells))


if __name__ == "__main__":
    main()
