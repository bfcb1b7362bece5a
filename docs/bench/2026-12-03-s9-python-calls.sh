#!/bin/sh
# Ninth session: the per-call benchmark against `os` on CPython 3.12 and 3.13 (the
# .venv-python3.N that scripts/test makes; extension built with `maturin develop --release`).
# Reports: docs/bench/2026-12-03-s9-python-calls-py3N.{json,txt};
# tables: scripts/py-speed-table docs/bench/2026-12-03-s9-python-calls-py3N.json
# Usage: sh docs/bench/2026-12-03-s9-python-calls.sh
set -e
D=docs/bench
for v in 3.12 3.13; do
  tag=$(echo $v | tr -d .)
  .venv-python$v/bin/python python/benchmarks/bench_python.py --calls --reps 15 --budget 0.2 \
    --json $D/2026-12-03-s9-python-calls-py$tag.json > $D/2026-12-03-s9-python-calls-py$tag.txt
done
