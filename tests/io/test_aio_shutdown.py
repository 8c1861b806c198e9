"""tls12.io.aio: how long a closing connection may hold the server, against Python's ``ssl``.

``close()`` sends close_notify and waits at most ``shutdown_timeout`` for the peer's; then TCP
is closed, and if what is left to write cannot be written (the peer does not read) the
connection is aborted after another ``shutdown_timeout``. When nothing is left to write the
TCP transport closes at once and no timer is kept for it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from pathlib import Path

from tls_support import pki

from tls12.connection import ServerConnection
from tls12.io.aio import TLSProtocol

HOST = "127.0.0.1"
SHUTDOWN = 0.3
BULK = 8 << 20
"""More than the kernel's socket buffers and the transport's high-water mark hold."""


def ssl_client(tmp_path: Path, port: int, read: bool, done: threading.Event) -> None:
    """Python ssl: handshake, then read everything and answer the close_notify (``read``), or
    never read until ``done``."""
    ca = tmp_path / "ca.pem"
    pki().ca.write(ca)
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(b"go")
            if read:
                while tls.recv(65536):  # b"" once the server's close_notify arrived
                    pass
                tls.unwrap()  # our close_notify in answer
            else:
                done.wait(15)


async def serve_once(tmp_path: Path, read: bool) -> tuple[float, TLSProtocol]:
    """One connection that gets BULK bytes and then close(); seconds from close() until
    the server's side of the connection is gone."""
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[float] = loop.create_future()
    protocols: list[TLSProtocol] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(2)
        writer.write(b"x" * BULK)  # no drain: the client may never read it
        started = time.monotonic()
        writer.close()
        await writer.wait_closed()
        closed.set_result(time.monotonic() - started)

    def factory() -> TLSProtocol:
        reader = asyncio.StreamReader(loop=loop)
        app = asyncio.StreamReaderProtocol(reader, handler, loop=loop)
        protocol = TLSProtocol(
            ServerConnection(pki().server_config()), app, loop=loop, shutdown_timeout=SHUTDOWN
        )
        protocols.append(protocol)
        return protocol

    server = await loop.create_server(factory, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    done = threading.Event()
    client = threading.Thread(target=ssl_client, args=(tmp_path, port, read, done))
    client.start()
    try:
        elapsed = await asyncio.wait_for(closed, 20)
    finally:
        done.set()
        await asyncio.to_thread(client.join, 20)
        server.close()
        await server.wait_closed()
    return elapsed, protocols[0]


def test_a_peer_that_never_reads_is_aborted_after_two_shutdown_timeouts(tmp_path: Path) -> None:
    elapsed, protocol = asyncio.run(serve_once(tmp_path, read=False))
    # SHUTDOWN waiting for a close_notify that cannot come, then SHUTDOWN for the write
    # buffer to drain before the abort
    assert 2 * SHUTDOWN - 0.05 <= elapsed < 2 * SHUTDOWN + 2.0, elapsed
    assert protocol._timer is None


def test_a_peer_that_reads_and_answers_close_notify_closes_without_waiting(
    tmp_path: Path,
) -> None:
    elapsed, protocol = asyncio.run(serve_once(tmp_path, read=True))
    # the client reads the 8 MiB and the close_notify and sends its own
    assert elapsed < 10, elapsed
    assert protocol._timer is None
