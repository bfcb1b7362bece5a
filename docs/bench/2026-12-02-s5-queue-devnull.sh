#!/bin/sh
# Fifth session, focused before/after of the queue on /dev/null (quiet machine): every
# workload the queue pays per chunk for, five rounds alternating the two builds, each round
# a fresh process with the default cell budget. Reports: docs/bench/2026-12-02-s5-queue-devnull[SUFFIX]-{old,new}-{1..5}.json;
# summary: python3 docs/bench/no_regret_median.py --show vectored-queue-fd --show vectored-queue old=... new=...
# Usage: sh docs/bench/2026-12-02-s5-queue-devnull.sh OLD_BIN NEW_BIN [SUFFIX]
set -e
D=docs/bench
S=${3:-}
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    "$bin" bench --target devnull --workload sweep --workload 1000x1KiB --workload header+body \
      --workload 16x64KiB --workload 10000x100B --workload 100000x16B \
      --strategy raw-writev --strategy concat --strategy write-each \
      --strategy vectored-write-all-fd --strategy vectored-queue --strategy vectored-queue-fd \
      --json > $D/2026-12-02-s5-queue-devnull$S-$b-$round.json 2>/dev/null
  done
done
