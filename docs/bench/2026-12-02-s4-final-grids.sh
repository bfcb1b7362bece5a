#!/bin/sh
# Three full grids per reader mode of a fourth-session build (dc9dc0c, then 852fd5d: the
# label is the second argument), compared with the three grids of eec98d6 from
# the sitting and docs/bench/2026-12-02-s4-more-grids.sh (not interleaved with these: the
# same quiet machine, within the hour). Reports: docs/bench/2026-12-02-s4-full-LABEL-{thread,process}-r{1,2,3}.json
# Usage: sh docs/bench/2026-12-02-s4-final-grids.sh BIN [LABEL]   (LABEL: final, the default, was dc9dc0c; 852fd5d)
set -e
D=docs/bench
L=${2:-final}
for r in 1 2 3; do
  for m in thread process; do
    echo "full $m $L r$r $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$1" bench --full --reader $m --json > $D/2026-12-02-s4-full-$L-$m-r$r.json 2>/dev/null
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
