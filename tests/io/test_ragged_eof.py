"""suppress_ragged_eofs for tls12.aio and the native TLSSocket: Python's ssl server closes TCP
without close_notify (SSLSocket.close() sends none, as http.server does); by default that is
a TruncationError, and with the option it reads as the end of the stream."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from peers import PythonTLSServer, python_server_context
from tls_support import pki

import tls12.aio
from tls12.errors import TruncationError
from tls12.io.sync import connect

PAGE = b"HTTP/1.0 200 OK\r\n\r\nbody without close_notify"


def rude_handler(tls: object) -> None:
    tls.recv(100)  # type: ignore[attr-defined]
    tls.sendall(PAGE)  # type: ignore[attr-defined]
    # returning closes the socket: no close_notify


def rude_server(tmp_path: Path) -> PythonTLSServer:
    paths = pki().write(tmp_path)
    ctx = python_server_context([(paths["rsa.crt"], paths["rsa.key"])])
    return PythonTLSServer(ctx, rude_handler)


@pytest.mark.parametrize("suppress", [False, True])
def test_native_socket(tmp_path: Path, suppress: bool) -> None:
    with rude_server(tmp_path) as server:
        tls = connect(
            "127.0.0.1", server.port, pki().client_config(), server_name="localhost",
            suppress_ragged_eofs=suppress,
        )
        tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
        got = b""
        if suppress:
            while chunk := tls.recv(100):
                got += chunk
            assert got == PAGE
        else:
            with pytest.raises(TruncationError):
                while chunk := tls.recv(100):
                    got += chunk
            assert got == PAGE
        tls.close()
        server.result()


@pytest.mark.parametrize("suppress", [False, True])
def test_asyncio_streams(tmp_path: Path, suppress: bool) -> None:
    async def main(port: int) -> bytes:
        reader, writer = await tls12.aio.open_connection(
            "127.0.0.1", port, pki().client_config(), server_name="localhost",
            suppress_ragged_eofs=suppress,
        )
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        data = await reader.read()
        writer.close()
        return data

    with rude_server(tmp_path) as server:
        if suppress:
            assert asyncio.run(main(server.port)) == PAGE
        else:
            with pytest.raises(TruncationError):
                asyncio.run(main(server.port))
        server.result()
