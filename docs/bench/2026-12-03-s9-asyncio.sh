#!/bin/sh
# Ninth session: the asyncio benchmark on each CPython here (3.11 in .venv, 3.12 and 3.13 in
# the .venv-python3.N that scripts/test makes), three runs each, interpreters alternating;
# the extension built with `maturin develop --release` (one abi3 build, shared).
# Reports: docs/bench/2026-12-03-s9-asyncio-py3N-r{1,2,3}.txt
# Usage: sh docs/bench/2026-12-03-s9-asyncio.sh
set -e
D=docs/bench
for round in 1 2 3; do
  for v in 3.11 3.12 3.13; do
    case $v in 3.11) py=.venv/bin/python;; *) py=.venv-python$v/bin/python;; esac
    tag=$(echo $v | tr -d .)
    "$py" python/benchmarks/bench_asyncio.py --reps 61 --loop both > $D/2026-12-03-s9-asyncio-py$tag-r$round.txt
  done
done
