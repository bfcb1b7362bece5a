"""The no-regret summary over several `vectored bench --full --json` reports of one build:
per cell (workload, target, regime), each ratio of the report's own summary (the best
library strategy's median over the best median of any strategy, and `vectored-write-all-fd`'s
and `vectored-queue-fd`'s over the same best) is taken in every report, and the median of
those ratios is what is counted. One grid on a shared 2-CPU machine moves a cell across a
threshold easily; the median of three does so less.

    python3 docs/bench/no_regret_median.py [--show STRATEGY] LABEL=REPORT.json[,REPORT.json...] ...

Prints, per label: cells whose median ratio is above 1.10 (library best) and above 1.15 (each
of the two fd strategies), the worst cell of each, and the cells above 1.10. With `--show
STRATEGY` (repeatable), also every cell's median ratio of that strategy to the cell's best,
one column per label.
"""

from __future__ import annotations

import json
import statistics
import sys

LIBRARY = ("vectored-write-all", "vectored-write-all-fd", "vectored-queue", "vectored-queue-fd",
           "vectored-datagrams")
FD_STRATEGIES = ("vectored-write-all-fd", "vectored-queue-fd")


def ratios(path: str, shown: tuple[str, ...] = ()) -> dict[tuple[str, str, str], dict[str, float]]:
    with open(path) as report:
        data = json.load(report)
    out: dict[tuple[str, str, str], dict[str, float]] = {}
    for cell in data["cells"]:
        medians = {r["strategy"]: r["median_ns"] for r in cell["results"]}
        library = [v for k, v in medians.items() if k in LIBRARY]
        others = [v for k, v in medians.items() if k not in LIBRARY]
        if not library or not others:
            continue
        best = min(medians.values())
        regime = cell["regime"]
        key = (cell["workload"], cell["target"], f"{regime['reader']}/busy {regime['busy']}")
        row = {"library": min(library) / best}
        for strategy in (*FD_STRATEGIES, *shown):
            if strategy in medians:
                row[strategy] = medians[strategy] / best
        out[key] = row
    return out


def main() -> None:
    args = sys.argv[1:]
    shown: list[str] = []
    while args and args[0] == "--show":
        shown.append(args[1])
        args = args[2:]
    columns: dict[str, dict[tuple[str, str, str], dict[str, float]]] = {}
    for arg in args:
        label, paths = arg.split("=", 1)
        runs = [ratios(path, tuple(shown)) for path in paths.split(",")]
        keys = set(runs[0]).intersection(*runs[1:])
        median: dict[tuple[str, str, str], dict[str, float]] = {}
        for key in keys:
            median[key] = {
                name: statistics.median(run[key][name] for run in runs)
                for name in runs[0][key]
                if all(name in run[key] for run in runs)
            }
        print(f"{label}: {len(runs)} reports, {len(keys)} cells, per-cell medians")
        for name, threshold in (("library", 1.10), *((s, 1.15) for s in FD_STRATEGIES)):
            cells = sorted(((row[name], key) for key, row in median.items() if name in row),
                           reverse=True)
            above = [(value, key) for value, key in cells if value > threshold]
            worst = f"{cells[0][0]:.2f} {cells[0][1][0]} -> {cells[0][1][1]}" if cells else "-"
            print(f"  {name:22} above {threshold:.2f}: {len(above):3d}   worst {worst}")
        for value, key in sorted(((row["library"], key) for key, row in median.items()
                                  if row["library"] > 1.10), reverse=True):
            print(f"    library {value:.2f}  {key[0]} -> {key[1]} ({key[2]})")
        columns[label] = median
    for strategy in shown:
        labels = list(columns)
        print(f"{strategy}, per-cell median ratio to the cell's best: " + "  ".join(labels))
        keys = sorted(set().union(*(set(c) for c in columns.values())),
                      key=lambda k: (k[2], k[1], k[0]))
        for key in keys:
            values = [columns[label].get(key, {}).get(strategy) for label in labels]
            cells = "  ".join(f"{v:6.2f}" if v is not None else "     -" for v in values)
            print(f"  {key[0]:>12} -> {key[1]:<12} ({key[2]})  {cells}")


if __name__ == "__main__":
    main()
