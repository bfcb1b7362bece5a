#!/bin/sh
# The default run's pipe row with the reader as a process, five times per build, alternating
# (fourth session): how much that one row moves between runs of the same binary.
# Usage: sh docs/bench/2026-12-02-s4-default-pipe-process.sh OLD_BIN NEW_BIN
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    echo "round $round $b $(date -u +%FT%TZ) load $(cut -d' ' -f1 /proc/loadavg): $("$bin" bench --target pipe --reader process 2>&1 | grep -E '^  pipe ')"
  done
done
