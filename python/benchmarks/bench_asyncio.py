"""asyncio: sending responses as a list of buffers over loopback TCP, with
``vectored.asyncio.sock_writev_all`` against ``loop.sock_sendall(b"".join(...))`` and
``transport.writelines`` (as a protocol that ignores flow control uses it: the transport
buffers whatever the socket does not take, without limit) and ``StreamWriter.writelines``
followed by ``await drain()`` (the flow-controlled way: the transport's buffer is bounded by
its high-water mark, 64 KiB by default).

    python python/benchmarks/bench_asyncio.py [--reps N] [--loop asyncio|uvloop|both] [--diagnose]
        [--compare FILE] [--compare-extension SO]

``--compare FILE`` adds the ``sock_writev_all`` of another copy of ``vectored/asyncio.py``
as the strategy "compared", for before/after figures from one run::

    git show main:python/vectored/asyncio.py > /tmp/before.py
    python python/benchmarks/bench_asyncio.py --loop both --compare /tmp/before.py

``--compare-extension SO`` makes "compared" call another build of the extension
(``_vectored.abi3.so``), with this ``asyncio.py`` unless ``--compare`` names another::

    python python/benchmarks/bench_asyncio.py --compare-extension /tmp/before/_vectored.abi3.so

Every (loop, workload, strategy) has its own connection, and one reader process serves them
all, so the receiving side is the same code, in the same process, for every strategy: it
discards the bytes and answers one byte each time a connection has received a whole run. A
run sends N responses and waits for that answer. Every sending socket has ``TCP_NODELAY``
(transports set it themselves; the plain sockets get it here) and the default buffer sizes.

Strategies run interleaved: each repetition runs every strategy once in a shuffled order,
and with ``--loop both`` the two loops take turns (shuffled) within each repetition. The
report gives, per loop, the median time per run, each strategy's median relative to
vectored's, and the median of the per-repetition ratios (paired, so that load changing
during the run cancels out); above 1.00, vectored is faster. The last two columns are the
same for the sending thread's CPU time (``time.thread_time``): on a shared machine it
moves less with other processes' load than the wall time, but it leaves out time spent
waiting for the socket or the reader.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.machinery
import importlib.util
import os
import platform
import random
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import vectored
from vectored.asyncio import SocketWriter, sock_writev_all

READER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
# Connections given up front (--fixed-connections): fd and run size, in pairs.
args = sys.argv[2:]
for fd, run in zip(args[::2], args[1::2]):
    sock = socket.socket(fileno=int(fd))
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ, [int(run), 0])
# New connections: each starts with its run size (8 bytes, little-endian); size 0 = stop.
listener = socket.socket(fileno=int(sys.argv[1]))
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ, None)
buf = bytearray(1 << 20)
while True:
    for key, _ in sel.select():
        if key.data is None:
            try:
                sock, _ = listener.accept()
            except BlockingIOError:
                continue
            sock.setblocking(True)
            run = int.from_bytes(sock.recv(8, socket.MSG_WAITALL), "little")
            if not run:
                sys.exit(0)
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ, [run, 0])
            continue
        sock, state = key.fileobj, key.data
        while True:
            try:
                n = sock.recv_into(buf)
            except BlockingIOError:
                break
            if not n:
                sel.unregister(sock)
                sock.close()
                break
            state[1] += n
            while state[1] >= state[0]:
                state[1] -= state[0]
                sock.send(b"k")
"""

STRATEGIES = ("vectored", "SocketWriter", "sock_sendall(join)", "writelines", "writelines+drain")
DIAGNOSTIC = ("writev_all, no coroutine", "send(join), no coroutine")
"""With ``--diagnose``: the system call each of the first two strategies makes, called
straight from the run's loop (a coroutine only when the socket is full), to tell the cost of
the coroutines from the cost of the call and of joining."""


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


def new_loop(name: str) -> asyncio.AbstractEventLoop:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


SNDBUF = [0]
"""``--sndbuf``: the sending sockets' ``SO_SNDBUF`` (0: the kernel's default, which grows)."""


def sender(address: tuple[str, int]) -> socket.socket:
    """The sending side of a new loopback TCP connection to `address`: ``SO_SNDBUF`` as
    ``--sndbuf`` says (set before connecting), TCP_NODELAY, still blocking."""
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if SNDBUF[0]:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF[0])
    client.connect(address)
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return client


def connect() -> tuple[socket.socket, socket.socket]:
    """A loopback TCP connection: (sending side, non-blocking with TCP_NODELAY; reading side)."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = sender(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    client.setblocking(False)
    return client, server


def dial(port: int, run_bytes: int) -> socket.socket:
    """A new connection to the reader process's listener, announcing `run_bytes` per run (0:
    the reader stops): the sending side, non-blocking with TCP_NODELAY."""
    client = sender(("127.0.0.1", port))
    client.sendall(run_bytes.to_bytes(8, "little"))
    client.setblocking(False)
    return client


Writer = Callable[[socket.socket, list[bytes]], Awaitable[int]]


def load_writer(path: str, extension: str | None = None) -> Writer:
    """`sock_writev_all` from the module file at `path`, calling the extension built at
    `extension` if given."""
    spec = importlib.util.spec_from_file_location("vectored_asyncio_compared", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if extension is not None:
        loader = importlib.machinery.ExtensionFileLoader("vectored_compared._vectored", extension)
        ext_spec = importlib.util.spec_from_file_location(
            "vectored_compared._vectored", extension, loader=loader)
        if ext_spec is None:
            raise SystemExit(f"cannot load {extension}")
        ext = importlib.util.module_from_spec(ext_spec)
        loader.exec_module(ext)
        # The functions `asyncio.py` binds at import (`_readv_exact = vectored.readv_exact`),
        # from the other build; one without `_sock_writev_all` gets what `asyncio.py` called
        # before it existed.
        for name in ("writev_all", "readv_exact", "pwritev"):
            setattr(module, f"_{name}", getattr(ext, name))
        module._sock_writev_all = getattr(  # type: ignore[attr-defined]
            ext, "_sock_writev_all", lambda fd, bufs: ext.writev_all(fd, bufs, timeout=0))
    writer: Writer = module.sock_writev_all
    return writer


async def attach(strategy: str, client: socket.socket) -> Any:
    """What `strategy` sends through on the connection `client` (the socket itself, a
    transport, a stream writer...); the transports set TCP_NODELAY themselves, which is
    checked here."""
    loop = asyncio.get_running_loop()
    conn: Any
    if strategy == "writelines":
        conn = await loop.create_connection(Ack, sock=client)
        sock = conn[0].get_extra_info("socket")
    elif strategy == "writelines+drain":
        conn = await asyncio.open_connection(sock=client)
        sock = conn[1].transport.get_extra_info("socket")
    elif strategy == "SocketWriter":
        conn, sock = (client, SocketWriter(client)), client
    else:
        conn = sock = client
    if not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
        raise RuntimeError(f"{strategy}: TCP_NODELAY is off")
    return conn


async def detach(strategy: str, conn: Any) -> None:
    """Closes what `attach` made."""
    if strategy == "writelines":
        conn[0].close()
        await asyncio.sleep(0)  # connection_lost
    elif strategy == "writelines+drain":
        conn[1].close()
        await conn[1].wait_closed()
    elif strategy == "SocketWriter":
        conn[0].close()
    else:
        conn.close()


def runners(loop: asyncio.AbstractEventLoop, bufs: list[bytes], count: int,
            compared: Writer | None) -> dict[str, Callable[[Any], Awaitable[None]]]:
    """One run of each strategy on the connection it is given: `count` responses, then the
    reader's answer."""

    async def run_vectored(sock: socket.socket) -> None:
        for _ in range(count):
            await sock_writev_all(sock, bufs)
        await loop.sock_recv(sock, 1)

    async def run_socket_writer(conn: tuple[socket.socket, SocketWriter]) -> None:
        sock, writer = conn
        for _ in range(count):
            await writer.write(bufs)
        await writer.flush()
        await loop.sock_recv(sock, 1)

    async def run_compared(sock: socket.socket) -> None:
        assert compared is not None
        for _ in range(count):
            await compared(sock, bufs)
        await loop.sock_recv(sock, 1)

    async def run_join(sock: socket.socket) -> None:
        for _ in range(count):
            await loop.sock_sendall(sock, b"".join(bufs))
        await loop.sock_recv(sock, 1)

    async def run_writev_all(sock: socket.socket) -> None:
        fd = sock.fileno()
        for _ in range(count):
            try:
                vectored.writev_all(fd, bufs, timeout=0)
            except BlockingIOError as err:  # full: the rest as join + sock_sendall would
                await loop.sock_sendall(sock, b"".join(bufs)[err.characters_written:])
        await loop.sock_recv(sock, 1)

    async def run_send(sock: socket.socket) -> None:
        for _ in range(count):
            data = b"".join(bufs)
            try:
                sent = sock.send(data)
            except BlockingIOError:
                sent = 0
            if sent < len(data):
                await loop.sock_sendall(sock, data[sent:])
        await loop.sock_recv(sock, 1)

    async def run_writelines(conn: tuple[asyncio.Transport, Ack]) -> None:
        transport, proto = conn
        proto.waiter = loop.create_future()
        for _ in range(count):
            transport.writelines(bufs)
        await proto.waiter

    async def run_drain(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        reader, writer = conn
        for _ in range(count):
            writer.writelines(bufs)
            await writer.drain()
        await reader.readexactly(1)

    return {"vectored": run_vectored, "SocketWriter": run_socket_writer,
            "sock_sendall(join)": run_join,
            "writelines": run_writelines, "writelines+drain": run_drain,
            "writev_all, no coroutine": run_writev_all,
            "send(join), no coroutine": run_send, "compared": run_compared}


Row = tuple[str, str, str, float, float, float, float, float]
"""loop, workload, strategy, median wall time per run, its ratio to vectored's, the median
paired wall-time ratio, median CPU time per run, the median paired CPU-time ratio."""


def bench(reps: int, loop_names: list[str], strategies: tuple[str, ...],
          compared: Writer | None = None, fixed: bool = False) -> list[Row]:
    """Times every strategy on every loop and workload. Each timed run has a connection of
    its own that has just carried one untimed run (so its buffers have grown as a
    long-lived connection's have); with `fixed`, each (loop, workload, strategy) keeps one
    connection for the whole benchmark instead."""
    loads = workloads()
    loops = {name: new_loop(name) for name in loop_names}
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    port = listener.getsockname()[1]
    # With `fixed`: (loop, workload, strategy) -> connection, the reading sides passed to
    # the reader process up front.
    conns: dict[tuple[str, str, str], Any] = {}
    reader_args: list[str] = []
    servers = []
    if fixed:
        for loop_name, loop in loops.items():
            for workload, (bufs, count) in loads.items():
                for strategy in strategies:
                    client, server = connect()
                    servers.append(server)
                    reader_args += [str(server.fileno()), str(sum(map(len, bufs)) * count)]
                    conns[loop_name, workload, strategy] = loop.run_until_complete(
                        attach(strategy, client))
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(listener.fileno()), *reader_args],
        pass_fds=[listener.fileno(), *(s.fileno() for s in servers)])
    listener.close()
    for server in servers:
        server.close()

    rng = random.Random(1)
    rows = []
    for workload, (bufs, count) in loads.items():
        run_bytes = sum(map(len, bufs)) * count
        run = {name: runners(loop, bufs, count, compared) for name, loop in loops.items()}
        times: dict[tuple[str, str], list[float]] = {
            (name, s): [] for name in loops for s in strategies}
        cpu: dict[tuple[str, str], list[float]] = {
            (name, s): [] for name in loops for s in strategies}

        async def one_rep(loop_name: str, record: bool) -> None:
            order = list(strategies)
            rng.shuffle(order)
            for s in order:
                if fixed:
                    conn = conns[loop_name, workload, s]  # noqa: B023
                else:
                    conn = await attach(s, dial(port, run_bytes))  # noqa: B023
                    await run[loop_name][s](conn)  # noqa: B023
                start, start_cpu = time.perf_counter(), time.thread_time()
                await run[loop_name][s](conn)  # noqa: B023
                if record:
                    times[loop_name, s].append(time.perf_counter() - start)  # noqa: B023
                    cpu[loop_name, s].append(time.thread_time() - start_cpu)  # noqa: B023
                if not fixed:
                    await detach(s, conn)

        for name, loop in loops.items():  # warm-up
            loop.run_until_complete(one_rep(name, record=False))
        loop_order = list(loops)
        for _ in range(reps):
            rng.shuffle(loop_order)
            for name in loop_order:
                loops[name].run_until_complete(one_rep(name, record=True))
        for name in loops:
            base, base_cpu = times[name, "vectored"], cpu[name, "vectored"]
            median_base = statistics.median(base)
            for s in strategies:
                med = statistics.median(times[name, s])
                paired = statistics.median(t / b for t, b in zip(times[name, s], base))
                paired_cpu = statistics.median(t / b for t, b in zip(cpu[name, s], base_cpu))
                rows.append((name, workload, s, med, med / median_base, paired,
                             statistics.median(cpu[name, s]), paired_cpu))

    for (loop_name, _, strategy), conn in conns.items():
        loops[loop_name].run_until_complete(detach(strategy, conn))
    for loop in loops.values():
        loop.run_until_complete(asyncio.sleep(0.05))  # the transports' connection_lost
    for loop in loops.values():
        loop.close()
    dial(port, 0).close()  # the reader stops
    try:
        reader.wait(30)
    except subprocess.TimeoutExpired:
        reader.kill()
        reader.wait()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--loop", choices=["asyncio", "uvloop", "both"], default="asyncio")
    parser.add_argument("--diagnose", action="store_true",
                        help="also time the bare system calls, without the coroutines")
    parser.add_argument("--compare", metavar="FILE",
                        help="also time sock_writev_all from this copy of vectored/asyncio.py")
    parser.add_argument("--compare-extension", metavar="SO",
                        help="make the compared sock_writev_all call this build of the extension")
    parser.add_argument("--fixed-connections", action="store_true",
                        help="one connection per loop, workload and strategy for the whole "
                             "run (the layout of the reports before 2026-12-02's sixth "
                             "session), instead of a new one for each timed run")
    parser.add_argument("--sndbuf", type=int, default=0, metavar="BYTES",
                        help="set SO_SNDBUF of every sending socket (fixed, so the socket "
                             "fills when the reader lags; default: the kernel's, which grows)")
    args = parser.parse_args(argv)
    SNDBUF[0] = args.sndbuf
    loop_names = ["asyncio", "uvloop"] if args.loop == "both" else [args.loop]
    strategies = STRATEGIES + (DIAGNOSTIC if args.diagnose else ())
    compared = None
    if args.compare or args.compare_extension:
        compared = load_writer(args.compare or vectored.asyncio.__file__, args.compare_extension)
        strategies = (*strategies[:1], "compared", *strategies[1:])
    rows = bench(args.reps, loop_names, strategies, compared, args.fixed_connections)
    command = shlex.join(["python", "python/benchmarks/bench_asyncio.py",
                          *(sys.argv[1:] if argv is None else argv)])
    print(f"# {command}")
    print(f"# vectored {vectored.__version__}, Python {platform.python_version()}, loops "
          f"{', '.join(loop_names)}, {platform.system()} {platform.release()}, "
          f"{os.cpu_count()} CPUs; loopback TCP, median of {args.reps} interleaved runs")
    for loop_name in loop_names:
        print()
        print(f"## loop: {loop_name}")
        print()
        print("| workload | strategy | median per run | time / vectored's | paired "
              "| sender CPU per run | CPU paired |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for name, workload, s, med, ratio, paired, med_cpu, paired_cpu in rows:
            if name == loop_name:
                print(f"| {workload} | {s} | {med * 1e3:.2f} ms | {ratio:.2f}x | {paired:.2f}x "
                      f"| {med_cpu * 1e3:.2f} ms | {paired_cpu:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
