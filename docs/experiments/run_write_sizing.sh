#!/bin/sh
# Runs write_sizing.c over the losing shapes: pipe and unix socketpair, reader thread and
# process, other CPU as found (0), one spinner at nice 0 (1), one at nice 19 (-1).
# Usage: sh docs/experiments/run_write_sizing.sh > docs/experiments/results/<date>.txt
set -e
gcc -O2 -Wall -pthread -o /tmp/write_sizing "$(dirname "$0")/write_sizing.c"
echo "# $(date -u +%FT%TZ) $(uname -r) load: $(cut -d' ' -f1-3 /proc/loadavg)"
for kind in pipe unix; do
  for shape in "1024 512" "1024 2048" "1024 4096" "1024 16384" "10000 100" "1000 1024" "16 65536" "100000 16"; do
    for reader in thread process; do
      for busy in 0 1 -1; do
        echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
        /tmp/write_sizing $kind $shape $reader $busy ${REPS:-21}
      done
    done
  done
done
