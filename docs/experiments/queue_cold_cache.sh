#!/bin/sh
# Eighth session: why `vectored-queue-fd` is further behind the list-handing strategies in the
# 1024 x 8 / 16 KiB -> /dev/null cells than with 1 KiB chunks, with the same instructions per
# batch. The same cell run with and without `concat` in the rotation: `concat` copies the
# whole batch (8-16 MB) every repetition, which evicts the caches, so the next strategy finds
# its own memory cold. The queue touches more of it (the caller's 1024 buffer headers read,
# 1024 entries written, then read by the kernel) than a strategy that hands the kernel a
# list built once (the entries only).
# Usage: sh docs/experiments/queue_cold_cache.sh BIN > docs/bench/2026-12-03-s8-queue-cold-cache.txt
BIN=${1:?usage: queue_cold_cache.sh BIN}
echo "# sh docs/experiments/queue_cold_cache.sh $BIN   ($(date -u +%H:%M) UTC)"
echo "# per run: median ns per batch (ratio to the cell's best)"
for round in 1 2 3 4 5; do
  for size in 1024 16384; do
    for extra in "" "--strategy concat"; do
      "$BIN" bench --target devnull --count 1024 --size $size --strategy raw-writev \
        --strategy vectored-write-all-fd --strategy vectored-queue-fd $extra --json 2>/dev/null |
        python3 -c "
import json, sys
cell = json.load(sys.stdin)['cells'][0]
res = {r['strategy']: r for r in cell['results']}
line = '  '.join(f\"{s} {res[s]['median_ns']} ({res[s]['ratio_to_best']:.2f})\" for s in ('raw-writev', 'vectored-write-all-fd', 'vectored-queue-fd'))
print(f'round $round  1024 x $size B  {\"with concat\" if \"$extra\" else \"without\":12} {line}')"
    done
  done
done
