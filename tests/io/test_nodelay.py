"""TCP_NODELAY is on by default on client and server sockets, and can be turned off
(issue 16, D11). With Nagle's algorithm on, the request a client writes right after its
Finished flight waits for the server's delayed ACK (about 40 ms on Linux); the time of a
resumed handshake plus one request is printed both ways (speed is not asserted)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from tls_support import pki

from tls12.aio import open_connection, start_server
from tls12.io.sync import TLSSocket, connect
from tls12.io.sync_server import TLSServer

HOST = "127.0.0.1"


def nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.mark.parametrize("on", [True, False])
def test_blocking_client_and_server_sockets(on: bool) -> None:
    seen: list[bool] = []

    def handler(tls: TLSSocket) -> None:
        seen.append(nodelay(tls._sock))
        while data := tls.recv():
            tls.sendall(data)

    with TLSServer(pki().server_config(), handler, nodelay=on) as server:
        server.start()
        config = pki().client_config()
        with connect(HOST, server.port, config, server_name="localhost", nodelay=on) as tls:
            assert nodelay(tls._sock) is on
            tls.sendall(b"x")
            assert tls.recv() == b"x"
    assert seen == [on]


@pytest.mark.parametrize("on", [True, False])
def test_asyncio_server_sockets(on: bool) -> None:
    async def main() -> list[bool]:
        seen: list[bool] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(nodelay(writer.get_extra_info("socket")))
            writer.close()

        server = await start_server(handle, HOST, 0, pki().server_config(), nodelay=on)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await open_connection(
            HOST, port, pki().client_config(), server_name="localhost"
        )
        assert nodelay(writer.get_extra_info("socket"))  # asyncio's default on the client
        await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()
        return seen

    assert asyncio.run(main()) == [on]


def test_resumption_and_first_request_time_is_printed() -> None:
    def handler(tls: TLSSocket) -> None:
        while data := tls.recv():
            tls.sendall(data)

    with TLSServer(pki().server_config(), handler) as server:
        server.start()
        config = pki().client_config()
        with connect(HOST, server.port, config, server_name="localhost") as tls:
            tls.sendall(b"x")
            tls.recv()
            session = tls.session
        times = {}
        for on in (True, False):
            best = float("inf")
            for _ in range(5):
                started = time.monotonic()
                with connect(
                    HOST, server.port, config, server_name="localhost",
                    session=session, nodelay=on,
                ) as tls:  # fmt: skip
                    assert tls.session_reused
                    tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    assert tls.recv()
                best = min(best, time.monotonic() - started)
            times[on] = best
    print(
        f"\nresumption + first request: {times[True] * 1000:.1f} ms with TCP_NODELAY, "
        f"{times[False] * 1000:.1f} ms without"
    )
