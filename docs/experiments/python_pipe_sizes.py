"""Ad-hoc check (fourth session of 2026-12-02): up to what size one `writev` of a whole list
to a pipe read by another program beats `vectored`'s paced 8 KiB calls, which decides
`writev_all`'s `PIPE_FIRST_ATTEMPT_MAX`.

    .venv/bin/python docs/experiments/python_pipe_sizes.py [LABEL=PATH/_vectored.abi3.so ...]

For totals of 8-128 KiB in 1 KiB buffers: `writev_all` of this module and of each module
given, one `os.writev` of every buffer (what an uncapped first attempt does) and one
`os.write` per buffer, in two regimes: 200 batches back to back into `cat > /dev/null`
("streaming"), and each batch timed until a reader process has read all of it (it answers
one byte per batch on a second pipe: "until read", as `vectored bench`'s reader process
does). Medians per strategy, regime and round; strategies interleaved; three rounds; a
fresh reader per strategy and round. Output: docs/bench/python-pipe-sizes-s4-2026-12-02.txt
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

SYNC_READER = """
import os, sys
size, got = int(sys.argv[1]), 0
buf = bytearray(1 << 17)
while (n := os.readv(0, [buf])):
    got += n
    while got >= size:
        got -= size
        os.write(1, b"k")
"""


def load(path: str) -> Any:
    name = f"vectored_baseline_{abs(hash(path))}._vectored"
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def median_us(write: Callable[[int], object], size: int, until_read: bool, reps: int = 200) -> float:
    if until_read:
        reader = subprocess.Popen([sys.executable, "-c", SYNC_READER, str(size)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert reader.stdout is not None
        ack = reader.stdout.fileno()
    else:
        reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    fd = reader.stdin.fileno()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        write(fd)
        if until_read:
            os.read(ack, 1)
        times.append(time.perf_counter() - start)
    reader.stdin.close()
    reader.wait()
    return statistics.median(times) * 1e6


def write_each(fd: int, bufs: list[bytes]) -> None:
    for buf in bufs:
        os.write(fd, buf)


def main() -> None:
    modules: dict[str, Any] = {"writev_all": vectored}
    for arg in sys.argv[1:]:
        label, path = arg.split("=", 1)
        modules[f"{label}.writev_all"] = load(path)
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, Python {sys.version.split()[0]}, "
          f"{os.uname().release}, load {os.getloadavg()[0]:.2f}; 1 KiB buffers into a pipe, "
          "median us per batch in each of three rounds, then the median of the rounds")
    for kib in (8, 12, 16, 24, 32, 48, 64, 128):
        bufs = [bytes([i % 251]) * 1024 for i in range(kib)]
        strategies: dict[str, Callable[[int], object]] = {
            name: (lambda fd, m=module: m.writev_all(fd, bufs)) for name, module in modules.items()
        }
        strategies["one os.writev"] = lambda fd: os.writev(fd, bufs)
        strategies["os.write each"] = lambda fd: write_each(fd, bufs)
        for until_read in (False, True):
            rows: dict[str, list[float]] = {name: [] for name in strategies}
            for _ in range(3):
                for name, write in strategies.items():
                    rows[name].append(median_us(write, kib * 1024, until_read))
            cells = " | ".join(
                f"{name} " + " ".join(f"{v:.1f}" for v in vals) + f" ({statistics.median(vals):.1f})"
                for name, vals in rows.items()
            )
            print(f"{kib:4d} KiB {'until read' if until_read else 'streaming '}: {cells}", flush=True)


if __name__ == "__main__":
    main()
