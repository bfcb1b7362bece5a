#!/bin/sh
# Fifth session, focused before/after of the socket staging line (256 B for sockets, was
# 512 B): unix, TCP and TCP_NODELAY with the reader thread, the sweep and the small-buffer
# workloads, five rounds alternating the two builds, half-second cells.
# Reports: docs/bench/2026-12-02-s5-socket-staging-{old,new}-{1..5}.json; summary:
# python3 docs/bench/no_regret_median.py --show vectored-write-all-fd old=... new=...
# Usage: sh docs/bench/2026-12-02-s5-socket-staging.sh OLD_BIN NEW_BIN
set -e
D=docs/bench
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    "$bin" bench --target unix --target tcp --target tcp-nodelay --workload sweep \
      --workload 10000x100B --workload header+body --cell-budget 0.5 \
      --strategy raw-writev --strategy concat --strategy bufwriter --strategy hybrid-256 \
      --strategy vectored-write-all --strategy vectored-write-all-fd \
      --json > $D/2026-12-02-s5-socket-staging-$b-$round.json 2>/dev/null
  done
done
