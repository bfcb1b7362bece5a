"""Summary of docs/experiments/pipe_small_records.sh: per reader mode, variant and cell, the
median over rounds of `vectored-write-all-fd`'s time over `BufWriter`'s in the same run,
and each round's (ratio, µs, µs, reader sleeps per batch for each)."""

from __future__ import annotations

import glob
import json
import statistics

for mode in ("thread", "process"):
    for variant in ("auto", "fixed8k", "nocoal"):
        rows: dict[int, list[tuple[float, int, int, float, float]]] = {}
        for path in sorted(glob.glob(f"docs/bench/2026-12-03-s8-pipe-records-{mode}-{variant}-*.json")):
            with open(path) as report:
                for cell in json.load(report)["cells"]:
                    res = {r["strategy"]: r for r in cell["results"]}
                    lib, buf = res["vectored-write-all-fd"], res["bufwriter"]
                    rows.setdefault(cell["buffers"], []).append((
                        lib["median_ns"] / buf["median_ns"], lib["median_ns"] // 1000,
                        buf["median_ns"] // 1000, lib["switches"]["reader_voluntary"] or 0.0,
                        buf["switches"]["reader_voluntary"] or 0.0))
        for count, runs in sorted(rows.items()):
            cell = "10000 x 100 B" if count == 10000 else "1024 x 128 B"
            median = statistics.median(r[0] for r in runs)
            detail = " ".join(f"({r[0]:.2f} {r[1]}/{r[2]} us, sleeps {r[3]:.1f}/{r[4]:.1f})" for r in runs)
            print(f"{mode:7} {variant:7} {cell:13} median {median:.2f}  {detail}")
