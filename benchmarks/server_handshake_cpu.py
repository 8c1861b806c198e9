#!/usr/bin/env python3
"""A server's CPU per handshake over loopback TCP, split into user and system time.

The socket rows' server CPU (``python -m benchmarks --only full --only resume``) includes
everything the server process does per connection: accept, the socket layer, the engine,
the kernel's TCP work. This runs one server peer in this process (``benchmarks/peers``, the
same adapter the benchmark uses: a timed socket, one connection at a time) against one client
in another process (Python ``ssl`` unless ``--client tls12``), so both servers answer the
same ClientHello, and prints
the server's user and system CPU per handshake, tls12 and ssl alternating, with the engine's
share (``--calls``: Python calls per handshake, cProfile, which load does not move).

    python benchmarks/server_handshake_cpu.py [--workload resume-ticket] [-n 400] [--rounds 2]
        [--calls] [--client ssl|tls12]
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks import peers  # noqa: E402
from benchmarks.material import Material, make_material  # noqa: E402
from benchmarks.peers.base import tune  # noqa: E402
from benchmarks.workloads import SOCKET_WORKLOADS, Workload  # noqa: E402

IO_TIMEOUT = 30.0  # as benchmarks/server.py sets it
WARM_UP = 30


def _client(impl: str, workload: Workload, material: Material, port: int, n: int) -> None:
    client = peers.get(impl).client(workload, material)
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            client.connect(tune(sock)).close()


def _serve_one(server: peers.base.ServerPeer, listener: socket.socket) -> None:
    sock, _ = listener.accept()
    with sock:
        sock.settimeout(IO_TIMEOUT)
        channel = server.accept(tune(sock))
        channel.recv_into(memoryview(bytearray(1)))  # the client's close_notify: b"" (0)
        channel.close()


def measure(
    impl: str, client: str, workload: Workload, material: Material, n: int, calls: bool
) -> str:
    server = peers.get(impl).server(workload, material)
    with socket.create_server(("127.0.0.1", 0), backlog=128) as listener:
        port = listener.getsockname()[1]
        child = multiprocessing.Process(
            target=_client, args=(client, workload, material, port, n + WARM_UP)
        )
        child.start()
        for _ in range(WARM_UP):
            _serve_one(server, listener)
        profile = cProfile.Profile() if calls else None
        before = os.times()
        if profile:
            profile.enable()
        for _ in range(n):
            _serve_one(server, listener)
        if profile:
            profile.disable()
        after = os.times()
        child.join()
    user = (after.user - before.user) * 1000 / n
    system = (after.system - before.system) * 1000 / n
    line = f"{impl:6} {workload.name:14} user {user:6.3f}  sys {system:6.3f}  ms/handshake"
    if profile:
        line += f"  ({pstats.Stats(profile).total_calls / n:.0f} Python calls/handshake)"
    return line


def main() -> None:
    names = [w.name for w in SOCKET_WORKLOADS if w.kind != "bulk"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=names, default="resume-ticket")
    parser.add_argument("-n", type=int, default=400, help="handshakes per round and server")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--calls", action="store_true", help="count Python calls (slower)")
    parser.add_argument(
        "--client", choices=("ssl", "tls12"), default="ssl", help="the client for both servers"
    )
    args = parser.parse_args()
    workload = {w.name: w for w in SOCKET_WORKLOADS}[args.workload]
    with tempfile.TemporaryDirectory() as directory:
        material, _ = make_material(directory)
        print(f"load average (1 min) at start {os.getloadavg()[0]:.2f}")
        for _ in range(args.rounds):
            for impl in ("tls12", "ssl"):
                line = measure(impl, args.client, workload, material, args.n, args.calls)
                print(line, flush=True)
        print(f"load average (1 min) at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
