"""One strategy of ``python/benchmarks/bench_asyncio.py`` alone, on new connections as the
benchmark makes them (one untimed run, then one timed run per connection): for ``strace``,
``perf`` and callgrind, which would see every strategy at once in the benchmark.

    python docs/experiments/asyncio_one_strategy.py STRATEGY LOOP WORKLOAD RUNS

e.g. ``vectored uvloop "header + 64 KiB" 20``. Prints the median time per timed run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python", "benchmarks"))
import bench_asyncio as bench  # noqa: E402


def main() -> None:
    strategy, loop_name, workload, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    loop = bench.new_loop(loop_name)
    bufs, count = bench.workloads()[workload]
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    port = listener.getsockname()[1]
    reader = subprocess.Popen([sys.executable, "-c", bench.READER, str(listener.fileno())],
                              pass_fds=[listener.fileno()])
    listener.close()
    run = bench.runners(loop, bufs, count, None)[strategy]
    run_bytes = sum(map(len, bufs)) * count

    async def runs_of_it() -> list[float]:
        times = []
        for _ in range(runs):
            conn = await bench.attach(strategy, bench.dial(port, run_bytes))
            await run(conn)
            start = time.perf_counter()
            await run(conn)
            times.append(time.perf_counter() - start)
            await bench.detach(strategy, conn)
        return sorted(times)

    times = loop.run_until_complete(runs_of_it())
    print(f"{strategy}, {loop_name}, {workload}: median {times[len(times) // 2] * 1e3:.2f} ms "
          f"per run over {runs} runs")
    bench.dial(port, 0).close()
    reader.wait(30)


if __name__ == "__main__":
    main()
