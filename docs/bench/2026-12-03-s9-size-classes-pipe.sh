#!/bin/sh
# Ninth session: the size-class copy loops on a pipe, reader thread and reader process, five
# rounds alternating the builds (the pipe cells move between rounds more than between builds;
# see BENCHMARKS.md, "Ninth session").
# Reports: docs/bench/2026-12-03-s9-size-classes-pipe-{old,new}-{1..5}.json
# Summary: python3 docs/bench/no_regret_median.py --show vectored-write-all-fd old=... new=...
# Usage: sh docs/bench/2026-12-03-s9-size-classes-pipe.sh OLD_BIN NEW_BIN
set -e
D=docs/bench
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    "$bin" bench --target pipe --reader thread --reader process --workload sweep \
      --workload 10000x100B --workload 100000x16B \
      --strategy write-each --strategy bufwriter --strategy concat --strategy raw-writev \
      --strategy vectored-write-all-fd --strategy vectored-queue-fd \
      --json > $D/2026-12-03-s9-size-classes-pipe-$b-$round.json
  done
done
