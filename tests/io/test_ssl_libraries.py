"""Libraries that take an ``ssl.SSLContext`` run unchanged with TLS12Context, client and server
side, each against Python's ``ssl`` (OpenSSL) on the other end: aiohttp, httpx.AsyncClient,
websockets (asyncio client and server, sync server)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import websockets.asyncio.client
import websockets.asyncio.server
import websockets.sync.client
import websockets.sync.server
from aiohttp import web
from peers import HOST, python_client_context
from requests.adapters import HTTPAdapter
from tls_support import pki

from tls12.io.ssl_object import TLS12SSLObject
from tls12.io.ssl_socket import TLS12Socket
from tls12.io.sslcompat import TLS12Context


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


def ours_client(paths: dict[str, Path], alpn: list[str] | None = None) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(paths["ca"]))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def ours_server(paths: dict[str, Path]) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(paths["rsa.crt"]), str(paths["rsa.key"]))
    return ctx


def python_server(paths: dict[str, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(paths["rsa.crt"]), str(paths["rsa.key"]))
    return ctx


class Page(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = f"{self.path} via {self.request.version()}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def python_https(paths: dict[str, Path]) -> Iterator[int]:
    """http.server behind Python's ssl: the peer of our clients."""
    httpd = http.server.ThreadingHTTPServer((HOST, 0), Page)
    httpd.socket = python_server(paths).wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


# --- aiohttp ----------------------------------------------------------------------------------


def test_aiohttp_client_with_a_python_ssl_server(paths: dict[str, Path]) -> None:
    async def main(port: int) -> tuple[int, str, Any]:
        async with aiohttp.ClientSession() as session:
            url = f"https://localhost:{port}/aio"
            async with session.get(url, ssl=ours_client(paths)) as response:
                obj = response.connection.transport.get_extra_info("ssl_object")  # type: ignore[union-attr]
                text = await response.text()
                return response.status, text, obj

    with python_https(paths) as port:
        status, text, obj = asyncio.run(main(port))
    assert (status, text) == (200, "/aio via TLSv1.2")
    assert isinstance(obj, TLS12SSLObject)


def test_aiohttp_server_with_a_python_ssl_client(paths: dict[str, Path]) -> None:
    async def hello(request: web.Request) -> web.Response:
        obj = request.transport.get_extra_info("ssl_object")  # type: ignore[union-attr]
        return web.Response(text=f"{type(obj).__name__} {obj.version()} {obj.cipher()[0]}")

    def fetch(port: int) -> tuple[int, str]:
        ctx = python_client_context(paths["ca"])
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=15)
        conn.request("GET", "/")
        response = conn.getresponse()
        result = response.status, response.read().decode()
        conn.close()
        return result

    async def main() -> tuple[int, str]:
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0, ssl_context=ours_server(paths))
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            return await asyncio.to_thread(fetch, port)
        finally:
            await runner.cleanup()

    status, text = asyncio.run(main())
    assert status == 200
    assert text.startswith("TLS12SSLObject TLSv1.2 ECDHE-RSA-")


# --- httpx ------------------------------------------------------------------------------------


def test_httpx_async_client_with_a_python_ssl_server(paths: dict[str, Path]) -> None:
    async def main(port: int) -> tuple[int, str]:
        async with httpx.AsyncClient(verify=ours_client(paths)) as client:
            first = await client.get(f"https://localhost:{port}/one")
            second = await client.get(f"https://localhost:{port}/two")  # same connection
            assert first.status_code == 200
            return second.status_code, first.text + " | " + second.text

    with python_https(paths) as port:
        status, text = asyncio.run(main(port))
    assert (status, text) == (200, "/one via TLSv1.2 | /two via TLSv1.2")


def test_httpx_sync_client_with_a_python_ssl_server(paths: dict[str, Path]) -> None:
    with python_https(paths) as port, httpx.Client(verify=ours_client(paths)) as client:
        assert client.get(f"https://localhost:{port}/sync").text == "/sync via TLSv1.2"


# --- websockets -------------------------------------------------------------------------------


async def _echo(ws: Any) -> None:
    async for message in ws:
        await ws.send(message)


def test_websockets_asyncio_client_with_a_python_ssl_server(paths: dict[str, Path]) -> None:
    async def main() -> tuple[str, Any]:
        async with websockets.asyncio.server.serve(
            _echo, HOST, 0, ssl=python_server(paths)
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            uri = f"wss://localhost:{port}/"
            async with websockets.asyncio.client.connect(uri, ssl=ours_client(paths)) as ws:
                await ws.send("x" * 100_000)
                reply = await ws.recv()
                return str(reply), ws.transport.get_extra_info("ssl_object")

    reply, obj = asyncio.run(main())
    assert reply == "x" * 100_000
    assert isinstance(obj, TLS12SSLObject)


def test_websockets_asyncio_server_with_a_python_ssl_client(paths: dict[str, Path]) -> None:
    def client(port: int) -> str:
        ctx = python_client_context(paths["ca"])
        with websockets.sync.client.connect(f"wss://localhost:{port}/", ssl=ctx) as ws:
            ws.send("hello over tls12")
            return str(ws.recv(timeout=15))

    async def main() -> str:
        async with websockets.asyncio.server.serve(
            _echo, HOST, 0, ssl=ours_server(paths)
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            return await asyncio.to_thread(client, port)

    assert asyncio.run(main()) == "hello over tls12"


def test_websockets_sync_server_with_a_python_ssl_client(paths: dict[str, Path]) -> None:
    """The sync server reads in one thread and writes from the handler's (issue 16 D5)."""
    seen: list[type] = []

    def echo(ws: Any) -> None:
        seen.append(type(ws.socket))
        for message in ws:
            ws.send(message)

    with websockets.sync.server.serve(echo, HOST, 0, ssl=ours_server(paths)) as server:
        port = server.socket.getsockname()[1]
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            ctx = python_client_context(paths["ca"])
            with websockets.sync.client.connect(f"wss://localhost:{port}/", ssl=ctx) as ws:
                for size in (10, 70_000, 1_000_000):
                    ws.send(b"b" * size)
                    assert ws.recv(timeout=15) == b"b" * size
        finally:
            server.shutdown()
            thread.join(5)
    assert seen == [TLS12Socket]


def test_a_plain_socket_peer_is_not_needed_for_isinstance_checks() -> None:
    """aiohttp, loop.start_tls and websockets check isinstance(ctx, ssl.SSLContext)."""
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    assert isinstance(ctx, ssl.SSLContext)
    with socket.socket() as s, pytest.raises(NotImplementedError):
        ctx._wrap_socket(s, False, "localhost")


def test_requests_with_a_tls12_context_through_its_adapter(paths: dict[str, Path]) -> None:
    """requests takes a context through an HTTPAdapter's pool manager (urllib3 underneath)."""
    class TLS12Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = ours_client(paths)
            super().init_poolmanager(*args, **kwargs)

    with python_https(paths) as port, requests.Session() as session:
        session.mount("https://", TLS12Adapter())
        response = session.get(f"https://localhost:{port}/requests", timeout=15)
    assert (response.status_code, response.text) == (200, "/requests via TLSv1.2")
