#!/usr/bin/env python3
"""Bulk data through asyncio streams: tls12's asyncio server beside an asyncio + ``ssl`` one.

``python -m benchmarks.aio_bulk [--mib 64] [--rounds 3] [--before SRC]`` from the root of a
checkout. Each server (``tls12.io.aio_server.start_server`` / ``asyncio.start_server(ssl=)``,
TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256) runs in a process of its own; one Python ``ssl``
client in another process, on 127.0.0.1. Two directions per connection:

- **s2c**: the handler writes ``--mib`` MiB in 64 KiB ``writer.write`` calls, each followed
  by ``await writer.drain()``; the client reads it all;
- **c2s**: the client sends ``--mib`` MiB; the handler reads with ``reader.read(65536)``.

Printed per direction: MB/s (the client's wall time) and the server's CPU per MiB
(``time.process_time`` of the server process), medians over rounds, the servers alternating.
``--before SRC`` adds tls12 served from another tree's ``src`` (an A/B in one run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.material import SERVER_NAME, Material, make_material  # noqa: E402
from benchmarks.scaling import HOST, SUITES, Child, _client_context, _commands  # noqa: E402

CHUNK = 1 << 16
MODULE = "benchmarks.aio_bulk"


async def _handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        command, size = (await reader.readline()).split()
        left = int(size)
        if command == b"down":
            chunk = bytes(CHUNK)
            while left > 0:
                writer.write(chunk if left >= CHUNK else chunk[:left])
                await writer.drain()
                left -= CHUNK
        else:
            while left > 0 and (data := await reader.read(CHUNK)):
                left -= len(data)
            writer.write(b"ok\n")
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


def serve(impl: str, material_dir: str) -> None:
    import threading

    material = Material(material_dir)
    iana, openssl_name = SUITES["ecdsa"]

    async def main() -> None:
        if impl == "tls12":
            from tls12.config import CertifiedKey, ServerConfig
            from tls12.io.aio_server import start_server

            config = ServerConfig(
                certificates=[
                    CertifiedKey.from_files(material.cert("ecdsa"), material.key("ecdsa"))
                ],
                cipher_suites=[iana],
            )
            server = await start_server(_handler, HOST, 0, config)
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(openssl_name)
            ctx.load_cert_chain(material.cert("ecdsa"), material.key("ecdsa"))
            server = await asyncio.start_server(_handler, HOST, 0, ssl=ctx)
        print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
        threading.Thread(target=_commands, args=(False,), daemon=True).start()
        await asyncio.Event().wait()

    asyncio.run(main())


def transfer(port: int, material_dir: str, direction: str, size: int) -> float:
    """One connection moving ``size`` bytes ``direction`` ("down": s2c, "up": c2s); seconds."""
    ctx = _client_context(material_dir, "ecdsa")
    with socket.create_connection((HOST, port), timeout=60) as sock:
        tls = ctx.wrap_socket(sock, server_hostname=SERVER_NAME)
        t0 = time.perf_counter()
        tls.sendall(f"{direction} {size}\n".encode())
        if direction == "down":
            left = size
            while left > 0:
                got = tls.recv(CHUNK)
                if not got:
                    raise ConnectionError("server closed early")
                left -= len(got)
        else:
            chunk = bytes(CHUNK)
            for offset in range(0, size, CHUNK):
                tls.sendall(chunk[: min(CHUNK, size - offset)])
            if tls.recv(3) != b"ok\n":
                raise ConnectionError("no acknowledgement")
        elapsed = time.perf_counter() - t0
        tls.unwrap()
        return elapsed


def measure(impl: str, material: str, size: int, src: str | None) -> dict[str, Any]:
    served = "tls12" if impl == "tls12-before" else impl
    server = Child("--serve", served, "--material", material, src=src, module=MODULE)
    try:
        port = int(server.ask()["port"])
        transfer(port, material, "down", 1 << 20)  # warm-up
        out: dict[str, Any] = {"impl": impl}
        for direction, name in (("down", "s2c"), ("up", "c2s")):
            before = server.ask("stats")
            seconds = transfer(port, material, direction, size)
            after = server.ask("stats")
            out[name] = {
                "mb_per_s": size / seconds / 1e6,
                "cpu_ms_per_mib": (after["cpu"] - before["cpu"]) / (size / (1 << 20)) * 1e3,
            }
        return out
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mib", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--before", metavar="SRC")
    p.add_argument("--serve", choices=("tls12", "ssl"), help=argparse.SUPPRESS)
    p.add_argument("--material", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve(args.serve, args.material)
        return 0
    impls = ["tls12", "ssl"] + (["tls12-before"] if args.before else [])
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="tls12-aio-bulk-") as material:
        make_material(material)
        for r in range(args.rounds):
            for impl in impls if r % 2 == 0 else impls[::-1]:
                src = args.before if impl == "tls12-before" else None
                rows.append(measure(impl, material, args.mib << 20, src))
    print(f"bulk through asyncio streams, {args.mib} MiB per direction, {args.rounds} rounds")
    print(f"{'impl':13} {'dir':4} {'MB/s':>8} {'server ms/MiB':>14}  rounds (MB/s)")
    for impl in impls:
        for d in ("s2c", "c2s"):
            mine = [row[d] for row in rows if row["impl"] == impl]
            rate = statistics.median(x["mb_per_s"] for x in mine)
            cpu = statistics.median(x["cpu_ms_per_mib"] for x in mine)
            each = " ".join(f"{x['mb_per_s']:.0f}" for x in mine)
            print(f"{impl:13} {d:4} {rate:8.0f} {cpu:14.2f}  {each}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
