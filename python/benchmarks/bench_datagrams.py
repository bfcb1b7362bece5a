"""Datagram benchmarks of `vectored` on loopback UDP (Linux) against plain socket loops.

Run with a release build of the extension (``maturin develop --release``)::

    python python/benchmarks/bench_datagrams.py [--reps N]

Send: 1024 datagrams of 64, 512, 1200 B and of mixed sizes (20-1400 B), a ``socket.send``
loop against ``vectored.send_datagrams`` (segmentation offload + ``sendmmsg``; goal >= 5x).
Receive: the same 1024 datagrams queued on the receiver, a ``socket.recv_into`` loop against
``vectored.recv_datagrams`` (``recvmmsg``) and against ``recv_datagrams`` on a socket with
``UDP_GRO`` (goal >= 3x).

Strategies run interleaved, repetition by repetition in a rotating order; the report gives
each one's median time and the median of its per-repetition ratios to the socket loop. The
receiver has a large buffer and is drained after each timed send (untimed), counting every
datagram: a lost one fails the run.
"""

from __future__ import annotations

import argparse
import platform
import random
import socket
import statistics
import sys
import time
from collections.abc import Callable

import vectored

N = 1024
UDP_GRO = 104
SO_RCVBUFFORCE = 33


def sockets(gro: bool = False) -> tuple[socket.socket, socket.socket]:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    except PermissionError:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    if gro:
        rx.setsockopt(socket.SOL_UDP, UDP_GRO, 1)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.connect(rx.getsockname())
    return tx, rx


def drain(rx: socket.socket, want: int, bufs: list[bytearray]) -> None:
    got = 0
    while got < want:
        got += len(vectored.recv_datagrams(rx, bufs, timeout=5))
    if got != want:
        raise AssertionError(f"received {got} datagrams, sent {want}")


def report(label: str, names: list[str], times: dict[str, list[float]]) -> None:
    base = times[names[0]]
    for name in names:
        ratios = [b / t for b, t in zip(base, times[name])]
        med = statistics.median(times[name])
        print(
            f"{label:<22} {name:<28} median {med * 1e6:9.1f} us  "
            f"{N / med / 1e6:6.3f} Mdgram/s  {statistics.median(ratios):6.2f}x vs {names[0]}"
        )


def bench_send(label: str, data: list[bytes], reps: int) -> None:
    tx, rx = sockets()
    bufs = [bytearray(65536) for _ in range(64)]
    send = tx.send

    def loop() -> None:
        for d in data:
            send(d)

    def batched() -> None:
        vectored.send_datagrams(tx, data)

    strategies: dict[str, Callable[[], None]] = {
        "socket.send loop": loop,
        "vectored.send_datagrams": batched,
    }
    names = list(strategies)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for k in range(len(names)):
            name = names[(rep + k) % len(names)]
            start = time.perf_counter()
            strategies[name]()
            times[name].append(time.perf_counter() - start)
            drain(rx, len(data), bufs)
    report(label, names, times)
    tx.close()
    rx.close()


def bench_recv(label: str, data: list[bytes], reps: int) -> None:
    tx, rx = sockets()
    tx_gro, rx_gro = sockets(gro=True)
    one = bytearray(65536)
    small = [bytearray(2048) for _ in range(64)]
    big = [bytearray(65536) for _ in range(64)]

    def loop() -> int:
        recv_into = rx.recv_into
        for _ in range(N):
            recv_into(one)
        return N

    def batched() -> int:
        got = 0
        while got < N:
            got += len(vectored.recv_datagrams(rx, small, timeout=5))
        return got

    def gro() -> int:
        got = 0
        while got < N:
            got += len(vectored.recv_datagrams(rx_gro, big, timeout=5))
        return got

    strategies: dict[str, tuple[socket.socket, Callable[[], int]]] = {
        "socket.recv_into loop": (tx, loop),
        "vectored.recv_datagrams": (tx, batched),
        "recv_datagrams (UDP_GRO)": (tx_gro, gro),
    }
    names = list(strategies)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        for k in range(len(names)):
            name = names[(rep + k) % len(names)]
            sender, receive = strategies[name]
            vectored.send_datagrams(sender, data)
            start = time.perf_counter()
            got = receive()
            times[name].append(time.perf_counter() - start)
            if got != N:
                raise AssertionError(f"{name}: received {got} datagrams, sent {N}")
    report(label, names, times)
    for s in (tx, rx, tx_gro, rx_gro):
        s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=31, help="interleaved repetitions")
    args = parser.parse_args()
    if sys.platform != "linux":
        sys.exit("datagram batching is Linux-only")
    print(
        f"bench_datagrams: {N} datagrams per batch, {args.reps} interleaved repetitions, "
        f"loopback UDP; Python {platform.python_version()}, kernel {platform.release()}"
    )
    rng = random.Random(42)
    workloads = [(f"{size} B", [bytes([i % 251]) * size for i in range(N)]) for size in (64, 512, 1200)]
    workloads.append(("mixed 20-1400 B", [bytes(rng.randrange(20, 1401)) for _ in range(N)]))
    for label, data in workloads:
        bench_send(f"send {label}", data, args.reps)
    for label, data in workloads:
        bench_recv(f"recv {label}", data, args.reps)


if __name__ == "__main__":
    main()
