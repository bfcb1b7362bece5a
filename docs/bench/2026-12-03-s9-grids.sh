#!/bin/sh
# Ninth session (the fifth, seventh and eighth sessions' script): three full grids per build and reader
# mode, the builds alternating in
# every round, for per-cell medians (docs/bench/no_regret_median.py). OLD is `main` at the
# start of the session (07780a4), NEW the session's final core (size-class staging, FdWriter::new inlined: dade975).
# Reports: docs/bench/2026-12-03-s9-full[SUFFIX]-{old,new}-{thread,process}-r{1,2,3}.json
# Usage: sh docs/bench/2026-12-03-s9-grids.sh OLD_BIN NEW_BIN [SUFFIX]
set -e
D=docs/bench
S=${3:-}
for r in 1 2 3; do
  for m in thread process; do
    for b in old new; do
      case $b in old) bin=$1;; new) bin=$2;; esac
      echo "full $m $b r$r $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
      "$bin" bench --full --reader $m --json > $D/2026-12-03-s9-full$S-$b-$m-r$r.json
    done
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
