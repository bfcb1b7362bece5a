"""The same strategy (``vectored.asyncio.sock_writev_all``, header + 64 KiB x 200 per run) on
five "slots", interleaved as ``python/benchmarks/bench_asyncio.py`` interleaves its
strategies: how far apart are the slots' medians when nothing differs but the connection?

    python docs/experiments/asyncio_connection_bias.py [asyncio|uvloop] [fixed|fresh] [REPS]

``fixed``: each slot keeps one loopback connection for the whole run (the benchmark's layout
before the sixth session of 2026-12-02). ``fresh``: each timed run gets a new connection that
has just carried one untimed run (its layout since). Prints each slot's median time per run
and the median of its per-repetition ratio to slot 0's.
"""

from __future__ import annotations

import asyncio
import os
import random
import shlex
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python", "benchmarks"))
import bench_asyncio as bench  # noqa: E402

from vectored.asyncio import sock_writev_all  # noqa: E402

SLOTS = 5


def main() -> None:
    loop_name = sys.argv[1] if len(sys.argv) > 1 else "asyncio"
    mode = sys.argv[2] if len(sys.argv) > 2 else "fixed"
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 61
    loop = bench.new_loop(loop_name)
    bufs, count = bench.workloads()["header + 64 KiB"]
    run_bytes = sum(map(len, bufs)) * count
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    port = listener.getsockname()[1]
    fixed: list[socket.socket] = []
    servers: list[socket.socket] = []
    args: list[str] = []
    if mode == "fixed":
        for _ in range(SLOTS):
            client, server = bench.connect()
            fixed.append(client)
            servers.append(server)
            args += [str(server.fileno()), str(run_bytes)]
    reader = subprocess.Popen([sys.executable, "-c", bench.READER, str(listener.fileno()), *args],
                              pass_fds=[listener.fileno(), *(s.fileno() for s in servers)])
    listener.close()
    for server in servers:
        server.close()
    times: list[list[float]] = [[] for _ in range(SLOTS)]
    rng = random.Random(1)

    async def run(sock: socket.socket) -> None:
        for _ in range(count):
            await sock_writev_all(sock, bufs)
        await loop.sock_recv(sock, 1)

    async def rep(record: bool) -> None:
        order = list(range(SLOTS))
        rng.shuffle(order)
        for slot in order:
            if mode == "fixed":
                sock = fixed[slot]
            else:
                sock = bench.dial(port, run_bytes)
                await run(sock)
            start = time.perf_counter()
            await run(sock)
            if record:
                times[slot].append(time.perf_counter() - start)
            if mode != "fixed":
                sock.close()

    loop.run_until_complete(rep(False))
    for _ in range(reps):
        loop.run_until_complete(rep(True))
    print("#", shlex.join(["python", *sys.argv]))
    for slot, t in enumerate(times):
        paired = statistics.median(x / y for x, y in zip(t, times[0]))
        print(f"{loop_name} {mode} slot {slot}: median {statistics.median(t) * 1e3:.2f} ms, "
              f"paired / slot 0 {paired:.2f}")
    for sock in fixed:
        sock.close()
    bench.dial(port, 0).close()
    reader.wait(30)


if __name__ == "__main__":
    main()
