#!/usr/bin/env python3
"""Profile one side of tls12 doing one job, to see where the time goes.

Scenarios (the profiled side is the one named; its peer's work is not profiled):

    server-full       server side of full ECDHE-RSA handshakes (RSA-2048), in memory
    server-full-ecdsa server side of full ECDHE-ECDSA handshakes (P-256), in memory
    server-resume     server side of ticket resumptions, in memory
    server-resume-id  server side of session-ID resumptions, in memory
    client-full       client side of full ECDHE-RSA handshakes, in memory
    bulk-recv         the engine receiving AES-128-GCM records (64 KiB feeds of 16 KiB records)
    bulk-send         the engine sending AES-128-GCM records (16 KiB writes)
    socket-recv       TLSSocket.recv_into over a socketpair (the peer is a forked process)
    socket-send       TLSSocket.sendall over a socketpair (the peer is a forked process)

    python benchmarks/profile_engine.py server-full             # cProfile, top functions
    py-spy record -r 1000 -f raw -o out.txt -- \\
        python benchmarks/profile_engine.py server-full --no-cprofile
    python benchmarks/pyspy_summary.py out.txt                  # self / inclusive shares

Every profiled call goes through ``measured()``, so a sampling profile can be cut down to
the profiled side by keeping the stacks that pass through it.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script from anywhere: the checkout root (for ``benchmarks``) and src/ (for tls12).
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from benchmarks.engine import RECV_SIZE  # noqa: E402
from benchmarks.material import SERVER_NAME, make_material  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    CHUNK,
    ECDHE_ECDSA_AES128,
    ECDHE_RSA_AES128,
    MIB,
    Suite,
)
from tls12.config import CertifiedKey, ClientConfig, ServerConfig  # noqa: E402
from tls12.connection import ClientConnection, ServerConnection  # noqa: E402
from tls12.io.sync import wrap_client, wrap_server  # noqa: E402
from tls12.verify import TrustStore  # noqa: E402

PROFILER: cProfile.Profile | None = None


def measured(fn: Callable[..., Any], *args: Any) -> Any:
    """Runs ``fn`` under the profiler (when there is one); the marker for sampled stacks."""
    if PROFILER is None:
        return fn(*args)
    PROFILER.enable()
    try:
        return fn(*args)
    finally:
        PROFILER.disable()


class Setup:
    def __init__(self, suite: Suite, tickets: bool = True) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="tls12-profile-")
        material, _ = make_material(self._dir.name)
        key = suite.key
        self.server_config = ServerConfig(
            certificates=[CertifiedKey.from_files(material.cert(key), material.key(key))],
            cipher_suites=[suite.iana],
            session_tickets=tickets,
        )
        self.client_config = ClientConfig(
            trust=TrustStore.from_pem_file(material.cafile),
            cipher_suites=[suite.iana],
            session_tickets=tickets,
        )

    def pair(
        self, session: Any = None, profile_server: bool = True, profile_client: bool = False
    ) -> tuple[ClientConnection, ServerConnection]:
        def side(profiled: bool) -> Callable[..., Any]:
            return measured if profiled else (lambda fn, *a: fn(*a))

        on_server, on_client = side(profile_server), side(profile_client)
        client = ClientConnection(self.client_config, SERVER_NAME, session)
        on_client(client.start)
        data = on_client(client.data_to_send)
        server = on_server(ServerConnection, self.server_config)
        while data:
            on_server(server.receive_data, data)
            back = on_server(server.data_to_send)
            if not back:
                break
            on_client(client.receive_data, back)
            data = on_client(client.data_to_send)
        if not (client.handshake_complete and server.handshake_complete):
            raise RuntimeError("handshake did not complete")
        return client, server


def handshakes(suite: Suite, resume: str | None, client_side: bool) -> Callable[[], int]:
    setup = Setup(suite, tickets=resume != "id")
    session = None
    if resume:
        session = setup.pair(profile_server=False)[0].session

    def step() -> int:
        client, _ = setup.pair(session, profile_server=not client_side, profile_client=client_side)
        if resume and not client.negotiated.resumed:
            raise RuntimeError("not resumed")
        return 1

    return step


def bulk(direction: str) -> Callable[[], int]:
    setup = Setup(ECDHE_ECDSA_AES128)
    client, server = setup.pair(profile_server=False)
    payload = os.urandom(CHUNK)

    def send_mib() -> list[bytes]:
        wires = []
        for _ in range(MIB // CHUNK):
            client.send(payload)
            wires.append(client.data_to_send())
        return wires

    def receive(pieces: list[bytes]) -> None:
        for piece in pieces:
            server.receive_data(piece)

    def step() -> int:
        if direction == "send":
            wires = measured(send_mib)
        else:
            wires = send_mib()
        wire = b"".join(wires)
        pieces = [wire[i : i + RECV_SIZE] for i in range(0, len(wire), RECV_SIZE)]
        if direction == "recv":
            measured(receive, pieces)
        else:
            receive(pieces)
        return 1

    return step


def socket_bulk(direction: str, seconds: float) -> Callable[[], int]:
    """TLSSocket in this process, its peer in a forked child, over a socketpair."""
    setup = Setup(ECDHE_ECDSA_AES128)
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the peer: the opposite direction, until the profiled side stops
        ours.close()
        try:
            tls = wrap_client(theirs, setup.client_config, SERVER_NAME)
            payload = os.urandom(CHUNK)
            buf = memoryview(bytearray(65536))
            deadline = time.monotonic() + seconds + 30
            while time.monotonic() < deadline:
                if direction == "recv":
                    tls.sendall(payload)
                elif not tls.recv_into(buf):
                    break
        except Exception:
            pass
        os._exit(0)
    theirs.close()
    tls = wrap_server(ours, setup.server_config)
    buf = memoryview(bytearray(65536))
    payload = os.urandom(CHUNK)

    def recv_mib() -> None:
        left = MIB
        while left > 0:
            left -= tls.recv_into(buf)

    def send_mib() -> None:
        for _ in range(MIB // CHUNK):
            tls.sendall(payload)

    def step() -> int:
        measured(recv_mib if direction == "recv" else send_mib)
        return 1

    return step


def scenario(name: str, seconds: float) -> tuple[Callable[[], int], str]:
    if name == "server-full":
        return handshakes(ECDHE_RSA_AES128, None, False), "handshake"
    if name == "server-full-ecdsa":
        return handshakes(ECDHE_ECDSA_AES128, None, False), "handshake"
    if name == "server-resume":
        return handshakes(ECDHE_RSA_AES128, "ticket", False), "handshake"
    if name == "server-resume-id":
        return handshakes(ECDHE_RSA_AES128, "id", False), "handshake"
    if name == "client-full":
        return handshakes(ECDHE_RSA_AES128, None, True), "handshake"
    if name in ("bulk-recv", "bulk-send"):
        return bulk(name.removeprefix("bulk-")), "MiB"
    if name in ("socket-recv", "socket-send"):
        return socket_bulk(name.removeprefix("socket-"), seconds), "MiB"
    raise SystemExit(f"unknown scenario {name!r}")


def report(profile: cProfile.Profile, count: int, unit: str, top: int) -> None:
    stats = pstats.Stats(profile)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    calls = sum(v[1] for v in raw.values())
    print(f"profiled time {total:.3f} s over {count} {unit}s: {total / count * 1e6:.1f} us each")
    print(f"calls per {unit}: {calls / count:.1f} (Python and C, the profiled side only)")
    print("(cProfile adds a cost per Python call: small functions look dearer than they are)\n")
    for key, title in ((2, "self time"), (3, "inclusive time")):
        print(f"top {top} by {title}:")
        print(f"{'self%':>6} {'incl%':>6} {'calls/op':>9}  function")
        rows = sorted(raw.items(), key=lambda kv: kv[1][key], reverse=True)[:top]
        for (filename, line, func), (_cc, nc, tt, ct, _callers) in rows:
            where = _short(filename)
            label = f"{func} ({where}:{line})" if line else func
            print(f"{tt / total:6.1%} {ct / total:6.1%} {nc / count:9.1f}  {label}")
        print()


def _short(filename: str) -> str:
    for marker in ("/src/tls12/", "/site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main() -> int:
    global PROFILER
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to run (default 5)")
    parser.add_argument("--max-ops", type=int, default=100000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-cprofile", action="store_true", help="for py-spy: no cProfile")
    args = parser.parse_args()
    step, unit = scenario(args.scenario, args.seconds)
    step()  # warm-up, unprofiled
    if not args.no_cprofile:
        PROFILER = cProfile.Profile()
    count = 0
    start = time.perf_counter()
    while count < args.max_ops and time.perf_counter() - start < args.seconds:
        count += step()
    elapsed = time.perf_counter() - start
    print(f"{args.scenario}: {count} {unit}s in {elapsed:.2f} s (wall, profiler included)")
    if PROFILER is not None:
        report(PROFILER, count, unit, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
