"""A finished asyncio connection is freed by reference counting, not by the garbage collector.

The protocol holds its transport, the transport the protocol, the engine its handshake buffer
whose callback was the engine's own bound method: each was a reference cycle that kept the
whole connection (engine, keys, trace, stream objects) until a collection found it, which
under load is collector work on every handshake. With the garbage collector off, every
connection must still be gone once its handler has returned and the TCP connection closed.
The clients are Python's ``ssl``.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import weakref
from pathlib import Path

from tls_support import pki

from tls12 import aio

HOST = "127.0.0.1"
CLIENTS = 5


def ssl_round_trip(ca: Path, port: int) -> bytes:
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((HOST, port), timeout=10) as sock:
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
        tls.sendall(b"ping")
        got = tls.recv(4)
        tls.unwrap()  # close_notify both ways
        return got


def test_a_finished_connection_is_freed_without_the_garbage_collector(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    pki().ca.write(ca)

    async def main() -> list[weakref.ref[object]]:
        refs: list[weakref.ref[object]] = []

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            refs.append(weakref.ref(writer.get_extra_info("tls12")))
            refs.append(weakref.ref(writer.transport))
            try:
                while data := await reader.read(4096):
                    writer.write(data)
                    await writer.drain()
            finally:
                writer.close()
                await writer.wait_closed()

        server = await aio.start_server(handler, HOST, 0, pki().server_config())
        port = server.sockets[0].getsockname()[1]
        await asyncio.to_thread(ssl_round_trip, ca, port)  # first-use caches, imports
        gc.collect()
        refs.clear()
        gc.disable()
        try:
            for _ in range(CLIENTS):
                assert await asyncio.to_thread(ssl_round_trip, ca, port) == b"ping"
            for _ in range(50):  # the handlers' closes and connection_lost run
                await asyncio.sleep(0.02)
                if all(ref() is None for ref in refs):
                    break
            alive = [ref for ref in refs if ref() is not None]
        finally:
            gc.enable()
        server.close()
        await server.wait_closed()
        assert len(refs) == 2 * CLIENTS
        return alive

    alive = asyncio.run(main())
    assert alive == [], f"{len(alive)} engine/transport objects wait for the garbage collector"
