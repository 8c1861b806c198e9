#!/usr/bin/env python3
"""CPU per MiB of each side of a bulk transfer over loopback TCP, tls12 and ssl alternating.

The rate of the socket rows (``python -m benchmarks --only bulk``) is bounded by the busier
of the two processes, and on a shared machine the wall clock is noisy; the CPU time each
side spends per MiB is steadier and says which side bounds the rate. Both implementations
run through the same benchmark peers (``benchmarks/peers``: ``sendall`` of 16 KiB writes,
``recv_into`` a 64 KiB buffer), in rounds that alternate tls12 and ssl.

    python benchmarks/socket_cpu.py [--mib 64] [--rounds 3] [--suite aes|chacha] [--dir c2s|s2c]
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks import peers  # noqa: E402
from benchmarks.material import make_material  # noqa: E402
from benchmarks.peers.base import recv_exact, tune  # noqa: E402
from benchmarks.workloads import CHUNK, MIB, SOCKET_WORKLOADS  # noqa: E402

IO_TIMEOUT = 30.0  # as benchmarks/client.py and server.py set it: a timed socket


def _cpu() -> float:
    return time.process_time()


def _send(channel: object, payload: bytes, n: int) -> None:
    for _ in range(n // len(payload)):
        channel.sendall(payload)  # type: ignore[attr-defined]


def _recv(channel: object, n: int) -> None:
    buffer = memoryview(bytearray(65536))
    left = n
    while left:
        got = channel.recv_into(buffer[: min(left, 65536)])  # type: ignore[attr-defined]
        if not got:
            raise EOFError
        left -= got


def one(name: str, workload: object, material: object, n: int) -> tuple[float, float, float]:
    """(wall s, client CPU s, server CPU s) to move n bytes in the workload's direction."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            listener_sock, _ = listener.accept()
            listener_sock.settimeout(IO_TIMEOUT)
            channel = peers.get(name).server(workload, material).accept(tune(listener_sock))
            go = memoryview(bytearray(1))
            recv_exact(channel, go)
            start = _cpu()
            if workload.direction == "c2s":  # type: ignore[attr-defined]
                _recv(channel, n)
                channel.sendall(b"k")
            else:
                _send(channel, os.urandom(CHUNK), n)
            os.write(w, repr(_cpu() - start).encode())
            channel.close()
        finally:
            os._exit(0)
    os.close(w)
    listener.close()
    sock = tune(socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT))
    channel = peers.get(name).client(workload, material).connect(sock)
    payload = os.urandom(CHUNK)
    t0, c0 = time.perf_counter(), _cpu()
    channel.sendall(b"g")
    if workload.direction == "c2s":  # type: ignore[attr-defined]
        _send(channel, payload, n)
        recv_exact(channel, memoryview(bytearray(1)))
    else:
        _recv(channel, n)
    wall, ccpu = time.perf_counter() - t0, _cpu() - c0
    server_cpu = float(os.read(r, 100).decode())
    os.close(r)
    channel.close()
    sock.close()
    os.waitpid(pid, 0)
    return wall, ccpu, server_cpu


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", action="append", help="workload name prefix (bulk-...)")
    p.add_argument("--impl", action="append", help="tls12 or ssl (default both)")
    args = p.parse_args()
    bulk = [w for w in SOCKET_WORKLOADS if w.kind == "bulk"]
    if args.only:
        bulk = [w for w in bulk if any(w.name.startswith(o) for o in args.only)]
    n = args.mib * MIB
    with tempfile.TemporaryDirectory() as d:
        material, _ = make_material(d)
        print(f"{'row':20} {'impl':6} {'MB/s':>7} {'cli ms/MiB':>10} {'srv ms/MiB':>10}")
        for w in bulk:
            impls = args.impl or ["tls12", "ssl"]
            rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in impls}
            for _ in range(args.rounds):
                for name in impls:
                    rows[name].append(one(name, w, material, n))
            for name, got in rows.items():
                for wall, c, s in got:
                    print(
                        f"{w.name:20} {name:6} {n / wall / 1e6:7.0f} {c / args.mib * 1e3:10.3f}"
                        f" {s / args.mib * 1e3:10.3f}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
