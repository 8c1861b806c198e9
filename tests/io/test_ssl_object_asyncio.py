"""TLS12Context.wrap_bio under asyncio: ``open_connection(ssl=ctx)``, ``start_server(ssl=ctx)``
and ``loop.start_tls`` (STARTTLS) drive tls12's SSLObject through CPython's own SSLProtocol,
against Python's ``ssl`` on the other side, both ways."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
from peers import HOST, PythonTLSServer, py_echo_handler, python_client_context
from tls_support import pki

from tls12.io.ssl_object import TLS12SSLObject
from tls12.io.sslcompat import TLS12Context

BLOB = os.urandom(1024 * 1024 + 17)


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return pki().write(tmp_path_factory.mktemp("pki"))


def ours_client(paths: dict[str, Path]) -> TLS12Context:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(paths["ca"]))
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


def test_the_context_is_an_ssl_context_whose_openssl_half_cannot_handshake() -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    assert isinstance(ctx, ssl.SSLContext)
    with pytest.raises(NotImplementedError, match="OpenSSL"):
        ctx._wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), False, "localhost")
    # Even reaching past our override, OpenSSL's context refuses every protocol version.
    raw = ssl._ssl._SSLContext._wrap_bio(ctx, ssl.MemoryBIO(), ssl.MemoryBIO(), False, "x")  # type: ignore[attr-defined]
    with pytest.raises(ssl.SSLError, match="NO_PROTOCOLS_AVAILABLE"):
        raw.do_handshake()


def test_open_connection_to_a_python_ssl_server(paths: dict[str, Path]) -> None:
    ctx = ours_client(paths)

    async def main(port: int) -> tuple[bytes, Any, Any]:
        reader, writer = await asyncio.open_connection(
            HOST, port, ssl=ctx, server_hostname="localhost"
        )
        obj = writer.get_extra_info("ssl_object")
        writer.write(BLOB)
        await writer.drain()
        echoed = await reader.readexactly(len(BLOB))
        peercert = writer.get_extra_info("peercert")
        writer.close()
        await writer.wait_closed()
        return echoed, obj, peercert

    with PythonTLSServer(python_server(paths), py_echo_handler) as server:
        echoed, obj, peercert = asyncio.run(main(server.port))
        assert server.result() == BLOB
    assert echoed == BLOB
    assert isinstance(obj, TLS12SSLObject)
    assert obj.version() == "TLSv1.2"
    assert ("DNS", "localhost") in peercert["subjectAltName"]


def test_a_refused_certificate_is_ssl_cert_verification_error(paths: dict[str, Path]) -> None:
    ctx = TLS12Context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=pki().other_ca.pem().decode())

    async def main(port: int) -> None:
        await asyncio.open_connection(HOST, port, ssl=ctx, server_hostname="localhost")

    with PythonTLSServer(python_server(paths), py_echo_handler) as server:
        with pytest.raises(ssl.SSLCertVerificationError) as caught:
            asyncio.run(main(server.port))
        assert server.next_outcome().error is not None
    assert caught.value.reason == "CERTIFICATE_VERIFY_FAILED"
    assert caught.value.verify_code == 20  # what ssl says: unable to get local issuer
    assert "not a trusted authority" in caught.value.verify_message  # our explanation


def test_start_server_with_a_python_ssl_client(paths: dict[str, Path]) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.readexactly(len(BLOB))
        writer.write(hashlib.sha256(data).digest())
        await writer.drain()
        writer.close()

    def client(port: int) -> bytes:
        ctx = python_client_context(paths["ca"])
        raw = socket.create_connection((HOST, port), timeout=15)
        with raw, ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(BLOB)
            digest = b""
            while len(digest) < 32:
                chunk = tls.recv(32)
                if not chunk:
                    break
                digest += chunk
            return digest

    async def main() -> bytes:
        server = await asyncio.start_server(echo, HOST, 0, ssl=ours_server(paths))
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await asyncio.to_thread(client, port)

    assert asyncio.run(main()) == hashlib.sha256(BLOB).digest()


def starttls_python_server(
    paths: dict[str, Path], listener: socket.socket, result: list[Any]
) -> None:
    """A plain-text line protocol upgraded by STARTTLS, with Python ssl after the upgrade."""
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(15)
        assert conn.recv(100) == b"STARTTLS\r\n"
        conn.sendall(b"GO AHEAD\r\n")
        with python_server(paths).wrap_socket(conn, server_side=True) as tls:
            data = tls.recv(100)
            tls.sendall(b"secret reply to " + data)
            result.append(tls.cipher())


def test_start_tls_client_upgrades_to_a_python_ssl_server(paths: dict[str, Path]) -> None:
    listener = socket.create_server((HOST, 0))
    result: list[Any] = []
    thread = threading.Thread(target=starttls_python_server, args=(paths, listener, result))
    thread.start()

    async def main() -> bytes:
        reader, writer = await asyncio.open_connection(HOST, listener.getsockname()[1])
        writer.write(b"STARTTLS\r\n")
        assert await reader.readline() == b"GO AHEAD\r\n"
        await writer.start_tls(ours_client(paths), server_hostname="localhost")
        assert isinstance(writer.get_extra_info("ssl_object"), TLS12SSLObject)
        writer.write(b"hello")
        reply = await reader.read(100)
        writer.close()
        return reply

    try:
        assert asyncio.run(main()) == b"secret reply to hello"
    finally:
        thread.join(15)
        listener.close()
    assert result and result[0][1] == "TLSv1.2"


def test_start_tls_server_upgrades_for_a_python_ssl_client(paths: dict[str, Path]) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await reader.readline() == b"STARTTLS\r\n"
        writer.write(b"GO AHEAD\r\n")
        await writer.drain()
        await writer.start_tls(ours_server(paths))
        data = await reader.read(100)
        writer.write(b"upgraded: " + data)
        await writer.drain()
        writer.close()

    def client(port: int) -> bytes:
        with socket.create_connection((HOST, port), timeout=15) as raw:
            raw.sendall(b"STARTTLS\r\n")
            assert raw.recv(100) == b"GO AHEAD\r\n"
            ctx = python_client_context(paths["ca"])
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"ping")
                return tls.recv(100)

    async def main() -> bytes:
        server = await asyncio.start_server(handle, HOST, 0)
        async with server:
            return await asyncio.to_thread(client, server.sockets[0].getsockname()[1])

    assert asyncio.run(main()) == b"upgraded: ping"


def test_ssl_object_contract_over_memory_bios(paths: dict[str, Path]) -> None:
    """Our SSLObject against Python's SSLObject, both over memory BIOs, bytes moved by hand:
    the calls asyncio and anyio make, and the same tls-unique on both sides (RFC 5929)."""
    server_ctx = python_server(paths)
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    ours = ours_client(paths).wrap_bio(c_in, c_out, server_hostname="localhost")
    theirs = server_ctx.wrap_bio(s_in, s_out, server_side=True)

    def move() -> None:
        s_in.write(c_out.read())
        c_in.write(s_out.read())

    for _ in range(10):
        for obj in (ours, theirs):
            with contextlib.suppress(ssl.SSLWantReadError):
                obj.do_handshake()
        move()
    assert ours.version() == theirs.version() == "TLSv1.2"
    assert ours.cipher() == theirs.cipher()
    assert ours.get_channel_binding("tls-unique") == theirs.get_channel_binding("tls-unique")
    assert len(ours.get_channel_binding("tls-unique") or b"") == 12
    with pytest.raises(ssl.SSLWantReadError):
        ours.read(10)
    assert ours.write(b"x" * 50000) == 50000
    move()
    got = b""
    while len(got) < 50000:
        got += theirs.read(65536)
    theirs.write(b"pong")
    move()
    buf = bytearray(10)
    assert ours.read(10, buf) == 4 and bytes(buf[:4]) == b"pong"
    assert ours.pending() == 0
    with pytest.raises(ssl.SSLWantReadError):
        ours.unwrap()
    move()
    theirs.unwrap()
    move()
    ours.unwrap()  # the peer's close_notify arrived: done
    assert ours.read(10) == b""


def test_ragged_eof_on_an_ssl_object_is_ssl_eof_error(paths: dict[str, Path]) -> None:
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    ours = ours_client(paths).wrap_bio(c_in, c_out, server_hostname="localhost")
    theirs = python_server(paths).wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for obj in (ours, theirs):
            with contextlib.suppress(ssl.SSLWantReadError):
                obj.do_handshake()
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    c_in.write_eof()
    with pytest.raises(ssl.SSLEOFError):
        ours.read(10)
