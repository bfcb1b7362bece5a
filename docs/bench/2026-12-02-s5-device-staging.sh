#!/bin/sh
# Fifth session, focused before/after of staging tiny buffers for devices (quiet machine):
# /dev/null, every workload with tiny or small buffers and the sweep, five rounds
# alternating the two builds, each round a fresh process with the default cell budget.
# Reports: docs/bench/2026-12-02-s5-device-staging-{old,new}-{1..5}.json; summary:
# python3 docs/bench/no_regret_median.py --show vectored-write-all-fd old=... new=...
# Usage: sh docs/bench/2026-12-02-s5-device-staging.sh OLD_BIN NEW_BIN
set -e
D=docs/bench
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    "$bin" bench --target devnull --workload sweep --workload 1000x1KiB \
      --workload 10000x100B --workload 100000x16B \
      --strategy raw-writev --strategy concat --strategy write-each \
      --strategy vectored-write-all --strategy vectored-write-all-fd \
      --json > $D/2026-12-02-s5-device-staging-$b-$round.json 2>/dev/null
  done
done
