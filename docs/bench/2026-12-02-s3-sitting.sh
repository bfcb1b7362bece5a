#!/bin/sh
# The third sitting of 2026-12-02 (quiet machine): the default run and the full grid, for
# three builds interleaved: 463338a (main before issue 11), 5a9dc09 (end of the second
# session) and a1bb4fa (this session), each built with `cargo build --release -p vectored-cli`.
# Usage: sh docs/bench/2026-12-02-s3-sitting.sh OLD_BIN PREV_BIN NEW_BIN
set -e
OLD=$1 PREV=$2 NEW=$3
D=docs/bench
bin_of() { case $1 in old) echo "$OLD";; prev) echo "$PREV";; new) echo "$NEW";; esac; }
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
for m in thread process; do
  for b in old prev new; do
    out=$D/2026-12-02-s3-default-$b-$m.txt
    echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg): vectored bench --reader $m ($b binary)" > "$out"
    "$(bin_of $b)" bench --reader $m >> "$out" 2>&1
  done
done
for m in thread process; do
  for b in old prev new; do
    echo "full $m $b $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$(bin_of $b)" bench --full --reader $m --json > $D/2026-12-02-s3-full-$b-$m.json 2>/dev/null
  done
done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
