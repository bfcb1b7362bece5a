#!/bin/sh
# Eighth session, an experiment not built into the library: `write_all_fd` staging runs of
# tiny buffers for a device. Three builds of this session's code: s8c (as committed: devices
# stage nothing), dev64 and dev128 (`fd::mode::stage_below` returning 64 / 128 for
# `FdKind::Other` instead of 0). Three rounds alternating the builds.
# Usage: sh docs/bench/2026-12-03-s8-device-line.sh S8C_BIN DEV64_BIN DEV128_BIN
# Summary: python3 docs/bench/2026-12-03-s8-device-line-summary.py
set -e
for round in 1 2 3; do
  for b in s8c dev64 dev128; do
    case $b in s8c) bin=$1;; dev64) bin=$2;; dev128) bin=$3;; esac
    "$bin" bench --target devnull --workload sweep --workload 100000x16B --workload 10000x100B \
      --workload header+body --strategy raw-writev --strategy concat \
      --strategy vectored-write-all-fd --strategy vectored-queue-fd \
      --json > docs/bench/2026-12-03-s8-device-line-$b-$round.json 2>/dev/null
  done
done
