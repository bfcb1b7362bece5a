#!/bin/sh
# Eighth session: user-space instructions per call of `os.writev`, `vectored.writev` and
# `vectored.writev_all` to /dev/null, 1 / 2 / 16 buffers of 100 B (bytes, bytearray), counted by
# callgrind as the inclusive cost of each function's C entry over 20000 calls (the kernel's
# work is not counted). Needs valgrind and the installed extension (.venv).
# Usage: sh docs/experiments/python_calls_vs_os_callgrind.sh > docs/bench/2026-12-03-s8-python-calls-callgrind.txt
set -e
PY=${PY:-.venv/bin/python}
case $PY in /*) ;; *) PY=$PWD/$PY ;; esac
OUT=$(mktemp -d)
cat > "$OUT/calls.py" <<'PYEOF'
import os, sys, vectored
n, k, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fd = os.open("/dev/null", os.O_WRONLY)
make = {"bytes": lambda: bytes(100), "bytearray": lambda: bytearray(100)}[kind]
bufs = [make() for _ in range(k)]
for f in (os.writev, vectored.writev, vectored.writev_all):
    for _ in range(n):
        f(fd, bufs)
PYEOF
echo "# sh docs/experiments/python_calls_vs_os_callgrind.sh   (instructions per call, 20000 calls each; CPython $($PY -c 'import sys; print(sys.version.split()[0])'))"
echo "# buffers kind        os.writev  vectored.writev  vectored.writev_all"
# Annotated from outside the repository: run inside it, callgrind_annotate finds the sources
# and its per-function inclusive counts of the extension came out wrong (680,000 instead of
# 14,820,000 for `vectored.writev`).
cd "$OUT"
for k in 1 2 16; do for kind in bytes bytearray; do
  valgrind --tool=callgrind --callgrind-out-file="$OUT/out" "$PY" "$OUT/calls.py" 20000 $k $kind 2>/dev/null
  callgrind_annotate --inclusive=yes --threshold=100 "$OUT/out" 2>/dev/null | awk -v k=$k -v kind=$kind '
    # Each function summary line names its object file (in brackets); matched as plain
    # strings. A call line of the annotated source may name it too, with a smaller count:
    # the largest is the function inclusive cost.
    function top(old, line) { gsub(",", "", line); return (line + 0 > old + 0) ? line + 0 : old }
    index($0, "posixmodule.c.h:os_writev [") { os = top(os, $1) }
    index($0, "fast.rs:_vectored::fast::writev_all [") { all = top(all, $1) }
    index($0, "fast.rs:_vectored::fast::writev [") { dropin = top(dropin, $1) }
    END {
          printf "%7d %-10s %10.0f %16.0f %20.0f\n", k, kind, os / 20000, dropin / 20000, all / 20000 }'
done; done
cd / && rm -rf "$OUT"
