#!/bin/sh
# The fourth session's focused before/after (quiet machine): the cells its core changes aim
# at (one call that takes everything, to /dev/null: header+body and 16 x 64 KiB; header+body
# to a unix socket), five rounds alternating the two builds, each round a fresh process with
# the default cell budget. The JSON reports go to docs/bench/2026-12-02-s4-focused-*.json.
# Usage: sh docs/bench/2026-12-02-s4-focused.sh OLD_BIN NEW_BIN
set -e
OLD=$1 NEW=$2
D=docs/bench
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$OLD;; new) bin=$NEW;; esac
    "$bin" bench --workload header+body --workload 16x64KiB --target devnull --target unix \
      --strategy raw-writev --strategy bufwriter --strategy vectored-write-all \
      --strategy vectored-write-all-fd --strategy vectored-queue-fd \
      --json > $D/2026-12-02-s4-focused-$b-$round.json 2>/dev/null
  done
done
