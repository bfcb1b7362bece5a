#!/bin/sh
# Eighth session: `WriteQueue::push_slices` (a list pushed with the bookkeeping in registers),
# used by the benchmark's queue strategies, against main before it (48d79fc, chunks pushed one by one). Five rounds
# alternating the two builds, each round a fresh process with the default cell budget:
# every /dev/null workload the queue pays per chunk for, then the socket cells and the
# small-record socket cells (the same cells as the seventh session's script).
# Reports: docs/bench/2026-12-03-s8-push-slices-SUFFIX-{devnull,sockets}-{old,new}-{1..5}.json;
# summary: python3 docs/bench/no_regret_median.py --show vectored-queue-fd --show vectored-queue old=... new=...
# Usage: sh docs/bench/2026-12-03-s8-push-slices.sh OLD_BIN NEW_BIN SUFFIX
set -e
D=docs/bench
S=$3
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    "$bin" bench --target devnull --workload sweep --workload 1000x1KiB --workload header+body \
      --workload 16x64KiB --workload 10000x100B --workload 100000x16B \
      --strategy raw-writev --strategy concat --strategy write-each \
      --strategy vectored-write-all-fd --strategy vectored-queue --strategy vectored-queue-fd \
      --json > $D/2026-12-03-s8-push-slices-$S-devnull-$b-$round.json 2>/dev/null
    "$bin" bench --target unix --target tcp --workload sweep --workload 10000x100B \
      --workload 100000x16B \
      --strategy raw-writev --strategy concat --strategy bufwriter \
      --strategy vectored-write-all-fd --strategy vectored-queue --strategy vectored-queue-fd \
      --json > $D/2026-12-03-s8-push-slices-$S-sockets-$b-$round.json 2>/dev/null
  done
done
