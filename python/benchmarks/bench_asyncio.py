"""asyncio: sending responses as a list of buffers over loopback TCP, with
``vectored.asyncio.sock_writev_all`` against ``loop.sock_sendall(b"".join(...))`` and
``transport.writelines``.

    python python/benchmarks/bench_asyncio.py [--reps N] [--loop asyncio|uvloop]

Each strategy has its own connection to its own reader process, which discards the bytes and
answers one byte each time it has received a whole run; a run sends N responses and waits for
that answer. Strategies run interleaved (shuffled order each repetition); the report gives the
median time per run and each strategy's time relative to vectored (above 1.00: vectored is
faster).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import vectored
from vectored.asyncio import sock_writev_all

READER = r"""
import socket, sys
sock = socket.socket(fileno=int(sys.argv[1]))
run = int(sys.argv[2])
buf = bytearray(1 << 20)
got = 0
while True:
    n = sock.recv_into(buf)
    if not n:
        break
    got += n
    while got >= run:
        got -= run
        sock.sendall(b"k")
"""


class Ack(asyncio.Protocol):
    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


def workloads() -> dict[str, tuple[list[bytes], int]]:
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 000000\r\n\r\n")
    return {
        "header + 64 KiB": ([head, os.urandom(64 << 10)], 200),
        "header + 1 MiB": ([head, os.urandom(1 << 20)], 20),
        "100 x 100 B": ([os.urandom(100) for _ in range(100)], 1000),
    }


async def bench(reps: int) -> list[tuple[str, str, float, float]]:
    loop = asyncio.get_running_loop()
    rows = []
    for name, (bufs, count) in workloads().items():
        total = sum(map(len, bufs)) * count
        conns: dict[str, Any] = {}
        procs = []
        for strategy in ("vectored", "sock_sendall(join)", "writelines"):
            listener = socket.create_server(("127.0.0.1", 0))
            client = socket.create_connection(listener.getsockname())
            server, _ = listener.accept()
            listener.close()
            procs.append(subprocess.Popen([sys.executable, "-c", READER, str(server.fileno()),
                                           str(total)], pass_fds=[server.fileno()]))
            server.close()
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.setblocking(False)
            if strategy == "writelines":
                transport, proto = await loop.create_connection(Ack, sock=client)
                conns[strategy] = (transport, proto)
            else:
                conns[strategy] = client

        async def run_vectored() -> None:
            sock = conns["vectored"]
            for _ in range(count):
                await sock_writev_all(sock, bufs)
            await loop.sock_recv(sock, 1)

        async def run_join() -> None:
            sock = conns["sock_sendall(join)"]
            for _ in range(count):
                await loop.sock_sendall(sock, b"".join(bufs))
            await loop.sock_recv(sock, 1)

        async def run_writelines() -> None:
            transport, proto = conns["writelines"]
            proto.waiter = loop.create_future()
            for _ in range(count):
                transport.writelines(bufs)
            await proto.waiter

        strategies: dict[str, Callable[[], Awaitable[None]]] = {
            "vectored": run_vectored,
            "sock_sendall(join)": run_join,
            "writelines": run_writelines,
        }
        times: dict[str, list[float]] = {s: [] for s in strategies}
        order = list(strategies)
        rng = random.Random(1)
        for name_ in order:  # warm-up
            await strategies[name_]()
        for _ in range(reps):
            rng.shuffle(order)
            for s in order:
                start = time.perf_counter()
                await strategies[s]()
                times[s].append(time.perf_counter() - start)
        medians = {s: statistics.median(t) for s, t in times.items()}
        for s, med in medians.items():
            rows.append((name, s, med, med / medians["vectored"]))
        for s, conn in conns.items():
            if s == "writelines":
                conn[0].close()
            else:
                conn.close()
        for proc in procs:  # the transport closes on the loop: keep it running meanwhile
            for _ in range(300):
                if proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                proc.kill()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args(argv)
    if args.loop == "uvloop":
        import uvloop

        rows = uvloop.run(bench(args.reps))
    else:
        rows = asyncio.run(bench(args.reps))
    print(f"# vectored {vectored.__version__}, Python {platform.python_version()}, loop "
          f"{args.loop}, {platform.system()} {platform.release()}, {os.cpu_count()} CPUs; "
          f"loopback TCP, median of {args.reps} interleaved runs")
    print()
    print("| workload | strategy | median per run | time / vectored's |")
    print("|---|---|---:|---:|")
    for workload, s, med, ratio in rows:
        print(f"| {workload} | {s} | {med * 1e3:.2f} ms | {ratio:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
