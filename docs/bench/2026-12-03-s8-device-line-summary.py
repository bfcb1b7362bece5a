"""Per cell, `vectored-write-all-fd`'s median time over three rounds for each build of
`2026-12-03-s8-device-line.sh`, and its ratio to the better of `raw-writev` and `concat` in
the s8c build (the reference). Run from the repository root."""

from __future__ import annotations

import glob
import json
import statistics

BUILDS = ("s8c", "dev64", "dev128")
data: dict[tuple[tuple[int, int], str, str], list[int]] = {}
for build in BUILDS:
    for path in glob.glob(f"docs/bench/2026-12-03-s8-device-line-{build}-*.json"):
        with open(path) as report:
            for cell in json.load(report)["cells"]:
                key = (cell["buffers"], cell["bytes"] // max(cell["buffers"], 1))
                for result in cell["results"]:
                    data.setdefault((key, build, result["strategy"]), []).append(result["median_ns"])
print(f"{'cell (count x bytes)':>22} " + " ".join(f"{b:>8}" for b in BUILDS) + "  reference  ratios")
for key in sorted({k[0] for k in data}):
    ref = min(statistics.median(data[(key, "s8c", s)]) for s in ("raw-writev", "concat"))
    times = [statistics.median(data[(key, b, "vectored-write-all-fd")]) for b in BUILDS]
    print(f"{key[0]:>12} x {key[1]:<7} " + " ".join(f"{t:8.0f}" for t in times)
          + f"  {ref:9.0f}  " + " ".join(f"{t / ref:.2f}" for t in times))
