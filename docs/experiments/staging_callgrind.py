"""Instructions per batch of `vectored-write-all-fd` (its staging pass included), counted by
callgrind on several targets: the inclusive instruction count of the strategy's
`write_batch` divided by its calls. Deterministic, so a few instructions per buffer show
where timings of a few microseconds cannot.

    python3 docs/experiments/staging_callgrind.py BIN [BIN ...]

Needs valgrind (callgrind) and release builds of the `vectored` CLI.
"""

from __future__ import annotations

import os
import sys

# The callgrind run and its parse are the queue script's (this directory is on the path when
# the script is run by its path).
from queue_callgrind import per_batch

CELLS = {
    "1024 x 8 B": ["--count", "1024", "--size", "8"],
    "1024 x 16 B": ["--count", "1024", "--size", "16"],
    "1024 x 32 B": ["--count", "1024", "--size", "32"],
    "1024 x 64 B": ["--count", "1024", "--size", "64"],
    "1024 x 128 B": ["--count", "1024", "--size", "128"],
    "1024 x 256 B": ["--count", "1024", "--size", "256"],
    "1024 x 4 KiB": ["--count", "1024", "--size", "4096"],
    "10000 x 100 B": ["--workload", "10000x100B"],
    "100000 x 16 B": ["--workload", "100000x16B"],
    "header+body": ["--workload", "header+body"],
}
TARGETS = ["devnull", "tmpfs", "pipe"]
STRATEGY = "vectored-write-all-fd"


def main() -> None:
    binaries = sys.argv[1:]
    print(f"# {STRATEGY}: instructions per batch (callgrind, inclusive write_batch / calls)")
    print(f"{'target':8} {'cell':14} " + " ".join(f"{os.path.basename(b):>14}" for b in binaries))
    for target in TARGETS:
        for name, cell in CELLS.items():
            counts = [per_batch(b, cell, STRATEGY, target) for b in binaries]
            print(f"{target:8} {name:14} " + " ".join(f"{c:14.0f}" for c in counts), flush=True)


if __name__ == "__main__":
    main()
