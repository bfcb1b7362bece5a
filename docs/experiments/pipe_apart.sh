#!/bin/sh
# Pipes with small records, reader thread pinned to the other CPU (`--placement apart`, one
# fixed regime): BufWriter against write_all_fd with its default sizing (the pacer) and with
# fixed 8 KiB calls (no pacer), three rounds.
# BIN: a build with docs/experiments/fixed_sizing_strategy.patch applied (HACK_FIXED=BYTES
# makes the benchmark's write_all_fd use WriteSizing::Fixed(BYTES)).
# Reports: docs/bench/2026-12-03-s9-pipe-apart-{default,fixed}-{1,2,3}.json
# Usage: sh docs/experiments/pipe_apart.sh BIN
set -e
D=docs/bench
for round in 1 2 3; do
  for v in default fixed; do
    if [ $v = fixed ]; then export HACK_FIXED=8192; else unset HACK_FIXED; fi
    "$1" bench --target pipe --placement apart --workload 10000x100B --workload 100000x16B \
      --count 1024 --size 128 \
      --strategy bufwriter --strategy concat --strategy vectored-write-all-fd \
      --strategy vectored-queue-fd \
      --json > $D/2026-12-03-s9-pipe-apart-$v-$round.json
  done
done
