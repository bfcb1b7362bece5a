#!/bin/sh
# User-space instructions per response of each asyncio strategy (callgrind counts only the
# sending process; the kernel's copy is not counted): the difference between 6 and 2 runs of
# docs/experiments/asyncio_one_strategy.py, divided by the 4 x 2 x 200 responses between them
# (each run is one untimed and one timed run of 200 responses of header + 64 KiB).
#   sh docs/experiments/asyncio_per_response_instructions.sh [LOOP]   (from the repository root)
set -eu
loop=${1:-uvloop}
py=${PYTHON:-.venv/bin/python}
out=$(mktemp -d)
for s in vectored SocketWriter writelines sock_sendall\(join\); do
    for r in 2 6; do
        valgrind --tool=callgrind --callgrind-out-file="$out/cg.$r" \
            "$py" docs/experiments/asyncio_one_strategy.py "$s" "$loop" "header + 64 KiB" "$r" \
            >/dev/null 2>"$out/err.$r"
    done
    a=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/err.2")
    b=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/err.6")
    echo "$loop $s: $(( (b - a) / 1600 )) instructions per response"
done
rm -rf "$out"
