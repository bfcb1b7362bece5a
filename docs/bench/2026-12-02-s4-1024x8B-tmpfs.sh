#!/bin/sh
# 1024 x 8 B to a tmpfs file, five rounds alternating two builds (fourth session): the cell
# whose per-cell median over three grids moved most between eec98d6 and dc9dc0c.
# Usage: sh docs/bench/2026-12-02-s4-1024x8B-tmpfs.sh OLD_BIN NEW_BIN
for round in 1 2 3 4 5; do
  for b in old new; do
    case $b in old) bin=$1;; new) bin=$2;; esac
    echo "round $round $b: $("$bin" bench --count 1024 --size 8 --target tmpfs --strategy vectored-write-all-fd --strategy concat --strategy vectored-queue-fd 2>&1 | grep -E '^  (vectored-[a-z-]+|concat) +[0-9]' | awk '{printf "%s %s %s | ", $1, $2, $3}')"
  done
done
