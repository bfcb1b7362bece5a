#!/bin/sh
# Two more full grids per build and reader mode after the fourth sitting (quiet machine),
# the builds alternating: with the sitting's own, three grids each, for per-cell medians
# (docs/bench/no_regret_median.py). Reports: docs/bench/2026-12-02-s4-full-{old,new}-{thread,process}-r{2,3}.json
# Usage: sh docs/bench/2026-12-02-s4-more-grids.sh OLD_BIN NEW_BIN
set -e
D=docs/bench
for r in 2 3; do
  for m in thread process; do
    for b in old new; do
      case $b in old) bin=$1;; new) bin=$2;; esac
      echo "full $m $b r$r $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
      "$bin" bench --full --reader $m --json > $D/2026-12-02-s4-full-$b-$m-r$r.json 2>/dev/null
    done
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
