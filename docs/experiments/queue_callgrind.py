"""Instructions per batch of the library's queue strategies, counted by callgrind: the
inclusive instruction count of the strategy's `write_batch` (pushing the batch's buffers and
flushing them to /dev/null, system call included) divided by its calls. Deterministic, so a
few instructions per chunk show where timings of a few microseconds cannot.

    python3 docs/experiments/queue_callgrind.py BIN [BIN ...]

Needs valgrind (callgrind) and release builds of the `vectored` CLI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

CELLS = {
    "1024 x 8 B": ["--count", "1024", "--size", "8"],
    "1024 x 16 B": ["--count", "1024", "--size", "16"],
    "1024 x 256 B": ["--count", "1024", "--size", "256"],
    "1024 x 1 KiB": ["--count", "1024", "--size", "1024"],
    "1024 x 16 KiB": ["--count", "1024", "--size", "16384"],
    "10000 x 100 B": ["--workload", "10000x100B"],
    "header+body": ["--workload", "header+body"],
}
# (Strategies that count their own calls, such as `raw-writev` and `vectored-queue`, fail the benchmark's check under
# valgrind, whose own system calls the kernel counts too.)
STRATEGIES = ["vectored-write-all-fd", "vectored-queue-fd"]
CALLED = re.compile(r"^\s*([\d,]+) \([^)]*\)\s+=> .*::write_batch \(([\d,]+)x\)")


def per_batch(binary: str, cell: list[str], strategy: str, target: str = "devnull") -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
                        "bench", "--target", target, *cell, "--strategy", strategy,
                        "--reps", "200"], check=True, capture_output=True)
        report = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], check=True,
                                capture_output=True, text=True).stdout
    for line in report.splitlines():
        match = CALLED.match(line)
        if match:
            return int(match[1].replace(",", "")) / int(match[2].replace(",", ""))
    raise SystemExit(f"no write_batch call in the profile of {binary} {strategy} on {target}")


def main() -> None:
    binaries = sys.argv[1:]
    print("# instructions per batch (callgrind, inclusive write_batch / calls), /dev/null")
    print(f"{'cell':14} {'strategy':22} " + " ".join(f"{os.path.basename(b):>14}" for b in binaries))
    for name, cell in CELLS.items():
        for strategy in STRATEGIES:
            counts = [per_batch(b, cell, strategy) for b in binaries]
            print(f"{name:14} {strategy:22} " + " ".join(f"{c:14.0f}" for c in counts))


if __name__ == "__main__":
    main()
