#!/bin/sh
# The fourth sitting of 2026-12-02 (quiet machine): the default run and the full grid, for
# two builds interleaved: eec98d6 (main at the start of the fourth session) and 6d8d4ea (this
# session's core changes), each built with `cargo build --release -p vectored-cli`.
# Usage: sh docs/bench/2026-12-02-s4-sitting.sh OLD_BIN NEW_BIN
set -e
OLD=$1 NEW=$2
D=docs/bench
bin_of() { case $1 in old) echo "$OLD";; new) echo "$NEW";; esac; }
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
for m in thread process; do
  for b in old new; do
    out=$D/2026-12-02-s4-default-$b-$m.txt
    echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): vectored bench --reader $m ($b binary)" > "$out"
    "$(bin_of $b)" bench --reader $m >> "$out" 2>&1
  done
done
for m in thread process; do
  for b in old new; do
    echo "full $m $b $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$(bin_of $b)" bench --full --reader $m --json > $D/2026-12-02-s4-full-$b-$m.json 2>/dev/null
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
