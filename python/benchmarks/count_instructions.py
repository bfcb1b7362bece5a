"""Instructions per call of `os` and `vectored` functions, counted by callgrind: exact and
reproducible even on a busy shared machine, where timings of a few hundred nanoseconds are
not. Needs valgrind and a release build of the extension (``maturin develop --release``)::

    python python/benchmarks/count_instructions.py [--baseline old=OLD.so] \\
        [--ops writev,writev_all] [--shapes 1,2,256,1024] [--kinds bytes,bytearray,memoryview]

Each cell runs the interpreter twice under callgrind, making the call N times (``--calls``)
and 0 times after one untimed warm-up call; the difference divided by N is the cost of one
call, interpreter dispatch of the call included (the same for every column). Calls go to
``/dev/null`` (``/dev/zero`` for reads) with buffers of ``--size`` bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from typing import Any

OS_NAMES = {"writev_all": "writev"}


def child(argv: list[str]) -> None:
    """Runs inside callgrind: ``child LABEL SO OP COUNT KIND SIZE N``."""
    label, so, op, count, kind, size, n = argv
    mod: Any
    if label == "os":
        mod = os
    elif so == "-":
        import vectored

        mod = vectored
    else:
        import importlib.machinery
        import importlib.util

        name = "vectored_baseline._vectored"
        loader = importlib.machinery.ExtensionFileLoader(name, so)
        spec = importlib.util.spec_from_file_location(name, so, loader=loader)
        assert spec is not None
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
    reads = op in ("readv", "preadv")
    raw = [bytearray(os.urandom(int(size))) for _ in range(int(count))]
    bufs: list[Any] = raw
    if kind == "bytes" and not reads:
        bufs = [bytes(b) for b in raw]
    elif kind == "memoryview":
        bufs = [memoryview(b) for b in raw]
    fd = os.open("/dev/zero" if reads else "/dev/null", os.O_RDONLY if reads else os.O_WRONLY)
    f = getattr(mod, OS_NAMES.get(op, op) if label == "os" else op)
    args: tuple[Any, ...] = (fd, bufs, 0) if op in ("pwritev", "preadv") else (fd, bufs)
    f(*args)
    for _ in range(int(n)):
        f(*args)


def instructions(cmd: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *cmd],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if not found:
        raise RuntimeError(out.stderr[-2000:])
    return int(found.group(1))


def main() -> int:
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="append", metavar="[LABEL=]SO", default=[])
    parser.add_argument("--ops", default="writev,writev_all")
    parser.add_argument("--shapes", default="1,2,16,256,1024")
    parser.add_argument("--kinds", default="bytes,bytearray,memoryview")
    parser.add_argument("--size", type=int, default=100, help="bytes per buffer")
    parser.add_argument("--calls", type=int, default=200, help="calls counted per cell")
    args = parser.parse_args()
    columns = [("os", "-"), ("new", "-")]
    for spec in args.baseline:
        label, _, path = spec.rpartition("=")
        columns.append((label or "old", path))
    print(f"# instructions per call (callgrind), Python {sys.version.split()[0]}, "
          f"buffers of {args.size} B, {args.calls} calls per cell"
          + "".join(f"; {spec}" for spec in args.baseline))
    print()
    print("| op | buffers | kind |" + "".join(f" {label} |" for label, _ in columns)
          + "".join(f" {label}/os |" for label, _ in columns[1:]))
    print("|---|---:|---|" + "---:|" * (2 * len(columns) - 1))
    me = os.path.abspath(__file__)
    for op in args.ops.split(","):
        for count in args.shapes.split(","):
            for kind in args.kinds.split(","):
                per_call = {}
                for label, so in columns:
                    base = [sys.executable, me, "child", label, so, op, count, kind, str(args.size)]
                    n = instructions(base + [str(args.calls)])
                    zero = instructions(base + ["0"])
                    per_call[label] = (n - zero) / args.calls
                cells = "".join(f" {per_call[label]:.0f} |" for label, _ in columns)
                ratios = "".join(f" {per_call[label] / per_call['os']:.3f} |"
                                 for label, _ in columns[1:])
                print(f"| {op} | {count} | {kind} |{cells}{ratios}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
