#!/bin/sh
# Ninth session: `write_all_fd`'s staging copies a run of buffers of one size class (4-7,
# 8-15, 16-31, 32-63, 64-128, 129 B and up) in a loop of its own, without the size dispatch
# per buffer, against the build before it. Three rounds alternating the builds; /dev/null,
# tmpfs and a pipe (reader thread), every workload but the datagram ones.
# Reports: docs/bench/2026-12-03-s9-size-classes-{old,new}-{1,2,3}.json
# Summary: python3 docs/bench/no_regret_median.py --show vectored-write-all-fd old=... new=...
# Usage: sh docs/bench/2026-12-03-s9-size-classes.sh OLD_BIN NEW_BIN
set -e
D=docs/bench
for round in 1 2 3; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    "$bin" bench --target devnull --target tmpfs --target pipe --workload sweep \
      --workload 1000x1KiB --workload header+body --workload 16x64KiB \
      --workload 10000x100B --workload 100000x16B \
      --strategy write-each --strategy bufwriter --strategy concat --strategy raw-writev \
      --strategy vectored-write-all-fd --strategy vectored-queue-fd \
      --json > $D/2026-12-03-s9-size-classes-$b-$round.json
  done
done
