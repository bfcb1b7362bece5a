"""Ranges over runs of the paired ratio to `sock_writev_all` ("paired" column) in reports of
`python/benchmarks/bench_asyncio.py`, per interpreter, loop, workload and strategy.

    python3 docs/bench/asyncio_paired_ranges.py LABEL=REPORT.txt[,REPORT.txt...] ...
"""

from __future__ import annotations

import collections
import re
import sys

WORKLOADS = ["header + 64 KiB", "header + 1 MiB", "100 x 100 B"]
STRATEGIES = ["SocketWriter", "sock_sendall(join)", "writelines", "writelines+drain"]


def main() -> None:
    rows: dict[tuple[str, str, str, str], list[float]] = collections.defaultdict(list)
    labels = []
    for arg in sys.argv[1:]:
        label, paths = arg.split("=", 1)
        labels.append(label)
        for path in paths.split(","):
            loop = None
            with open(path) as report:
                for line in report:
                    heading = re.match(r"## loop: (\w+)", line)
                    if heading:
                        loop = heading[1]
                    cells = [cell.strip() for cell in line.split("|")]
                    if loop and len(cells) > 7 and cells[2] in STRATEGIES:
                        rows[(label, loop, cells[1], cells[2])].append(float(cells[5].rstrip("x")))
    for loop in ("asyncio", "uvloop"):
        print(f"## {loop} loop: paired ratio to sock_writev_all, range over runs (above 1: sock_writev_all faster)")
        print(f"{'workload':16} {'strategy':20} " + "  ".join(f"{label:>11}" for label in labels))
        for workload in WORKLOADS:
            for strategy in STRATEGIES:
                ranges = []
                for label in labels:
                    values = rows[(label, loop, workload, strategy)]
                    ranges.append(f"{min(values):.2f}-{max(values):.2f}" if values else "-")
                print(f"{workload:16} {strategy:20} " + "  ".join(f"{r:>11}" for r in ranges))


if __name__ == "__main__":
    main()
