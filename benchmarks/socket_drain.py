#!/usr/bin/env python3
"""The receiving TLSSocket's own CPU per MiB, with the data already in the kernel.

A connected pair over loopback TCP in this process (handshake in a thread), through the
benchmark's peers (tls12 and ssl alternating, the same calls): the client ``sendall``s 2 MiB
in 16 KiB writes into large socket buffers (untimed), then the server's ``recv_into`` (a
64 KiB buffer) drains them, and only that is timed (CPU time). No waiting, no second
process: the per-record cost of the read path, steadier than a two-process run on a shared
machine.

    python benchmarks/socket_drain.py [--suite aes|chacha] [--rounds 20] [--untimed]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks import peers  # noqa: E402
from benchmarks.material import Material, make_material  # noqa: E402
from benchmarks.workloads import CHUNK, MIB, SOCKET_WORKLOADS, Workload  # noqa: E402

FILL = 2 * MIB


def drain(
    name: str, workload: Workload, material: Material, rounds: int, timed: bool, calls: bool
) -> float:
    """The median receiver CPU ms/MiB over ``rounds`` fills (with ``calls``: the Python
    calls per 16 KiB record received instead, from cProfile: a count, not a time)."""
    listener = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 * MIB)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * MIB)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if timed:
            s.settimeout(30.0)
    peer = peers.get(name)
    result: list[object] = []
    server_peer = peer.server(workload, material)
    t = threading.Thread(target=lambda: result.append(server_peer.accept(b)))
    t.start()
    client = peer.client(workload, material).connect(a)
    t.join()
    server = result[0]
    payload = os.urandom(CHUNK)
    buf = memoryview(bytearray(65536))
    per_mib = []
    for _ in range(rounds):
        for _ in range(FILL // CHUNK):
            client.sendall(payload)
        profile = cProfile.Profile() if calls else None
        start = time.process_time()
        if profile is not None:
            profile.enable()
        left = FILL
        while left:
            left -= server.recv_into(buf)  # type: ignore[attr-defined]
        if profile is not None:
            profile.disable()
            stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
            per_mib.append(sum(v[1] for v in stats.values()) / (FILL / CHUNK))
            continue
        per_mib.append((time.process_time() - start) / (FILL / MIB) * 1e3)
    a.close()
    b.close()
    per_mib.sort()
    return per_mib[len(per_mib) // 2]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--suite", default="aes", choices=["aes", "chacha"])
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--untimed", action="store_true", help="blocking sockets (no timeout)")
    p.add_argument("--impl", action="append", help="tls12 or ssl (default both)")
    p.add_argument("--calls", action="store_true", help="Python calls per record, not CPU")
    args = p.parse_args()
    name = "bulk-aes128gcm-c2s" if args.suite == "aes" else "bulk-chacha20-c2s"
    workload = next(w for w in SOCKET_WORKLOADS if w.name == name)
    impls = args.impl or ["tls12", "ssl"]
    with tempfile.TemporaryDirectory() as d:
        material, _ = make_material(d)
        got: dict[str, list[float]] = {i: [] for i in impls}
        for _ in range(args.repeat):
            for impl in impls:
                got[impl].append(
                    drain(impl, workload, material, args.rounds, not args.untimed, args.calls)
                )
        for impl, values in got.items():
            print(
                f"{name} {impl:5} "
                + ("calls per record" if args.calls else "receiver CPU ms/MiB (medians)")
                + ": "
                + " ".join(f"{v:.3f}" for v in values)
            )
        if len(impls) == 2:
            ratios = [x / y for x, y in zip(got[impls[0]], got[impls[1]], strict=True)]
            print(f"{impls[0]}/{impls[1]}: " + " ".join(f"{r:.2f}x" for r in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
