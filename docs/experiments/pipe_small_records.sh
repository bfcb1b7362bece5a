#!/bin/sh
# Eighth session: `write_all_fd` against `BufWriter` on a pipe with small records (the cells
# where the library stays above 1.10 with a reader thread). Three variants of the library's
# strategy, from one build of `main` with docs/experiments/fixed_sizing_strategy.patch applied
# (environment variables choose the options; the patch is not part of the product):
#   auto     the default options (the pacer: 8 KiB or 128 KiB calls, with experiments)
#   fixed8k  HACK_FIXED=8192: `WriteSizing::Fixed(8192)`, no pacer (BufWriter's call size)
#   nocoal   HACK_NOCOALESCE=1: no staging (1024 iovecs per call, paced)
# Five rounds, reader thread and process.
# Usage: git apply docs/experiments/fixed_sizing_strategy.patch && cargo build --release -p vectored-cli
#        sh docs/experiments/pipe_small_records.sh target/release/vectored
# Summary: python3 docs/experiments/pipe_small_records_summary.py
BIN=${1:?usage: pipe_small_records.sh BIN}
for round in 1 2 3 4 5; do for m in thread process; do for v in auto fixed8k nocoal; do
  case $v in auto) env="";; fixed8k) env="HACK_FIXED=8192";; nocoal) env="HACK_NOCOALESCE=1";; esac
  env $env "$BIN" bench --target pipe --reader $m --workload 10000x100B --count 1024 --size 128 \
    --strategy bufwriter --strategy vectored-write-all-fd --strategy raw-writev \
    --json > docs/bench/2026-12-03-s8-pipe-records-$m-$v-$round.json 2>/dev/null
done; done; done
