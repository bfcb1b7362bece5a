#!/bin/sh
# Eighth session: `write_all_fd` stages a device's list of tiny buffers (those averaging
# under 64 B; `fd::mode::DEVICE_SMALL`), against the build before it (push_slices only).
# Five rounds alternating the builds: every /dev/null cell, and the tmpfs cells (a regular
# file: code unchanged, as a control).
# Reports: docs/bench/2026-12-03-s8-device-staging-{devnull,tmpfs}-{old,new}-{1..5}.json
# Summary: python3 docs/bench/no_regret_median.py --show vectored-write-all-fd old=... new=...
# Usage: sh docs/bench/2026-12-03-s8-device-staging.sh OLD_BIN NEW_BIN
set -e
D=docs/bench
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    for t in devnull tmpfs; do
      "$bin" bench --target $t --workload sweep --workload 1000x1KiB --workload header+body \
        --workload 16x64KiB --workload 10000x100B --workload 100000x16B \
        --strategy raw-writev --strategy concat --strategy write-each \
        --strategy vectored-write-all-fd --strategy vectored-queue-fd \
        --json > $D/2026-12-03-s8-device-staging-$t-$b-$round.json 2>/dev/null
    done
  done
done
