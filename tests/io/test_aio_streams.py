"""tls12.aio: asyncio streams over the engine, against itself and against misbehaving peers.

Every test runs its own event loop (``asyncio.run``) on 127.0.0.1 with OS-chosen ports.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import time

import pytest
from tls_support import pki

from tls12 import aio
from tls12.connection import ServerConnection
from tls12.errors import BadRecordMac, FatalAlertReceived, TLSError, TruncationError, UnknownCA
from tls12.events import ApplicationData, HandshakeComplete
from tls12.io.aio import TLSTransport
from tls12.pki import make_ca
from tls12.verify import TrustStore

HOST = "127.0.0.1"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()


def port_of(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


async def echo_client(port: int, payload: bytes) -> bytes:
    reader, writer = await aio.open_connection(
        HOST, port, pki().client_config(), server_name="localhost", handshake_timeout=20
    )
    writer.write(payload)
    await writer.drain()
    got = await reader.readexactly(len(payload))
    writer.close()
    await writer.wait_closed()
    assert await reader.read() == b"", "the stream ends after close"
    return got


def test_200_concurrent_clients_every_byte_echoed_nothing_left_open():
    async def main() -> None:
        done: list[int] = []

        async def counting_echo(reader, writer):
            await echo(reader, writer)
            done.append(1)

        server = await aio.start_server(counting_echo, HOST, 0, pki().server_config())
        port = port_of(server)
        await echo_client(port, b"warm-up")  # lazily opened files (random, ...) opened now
        await asyncio.sleep(0.05)
        done.clear()
        gc.collect()
        fds_before = open_fds()
        tasks_before = asyncio.all_tasks()

        payloads = [os.urandom(1000 + 37 * i) + f"client {i}".encode() for i in range(200)]
        results = await asyncio.gather(*(echo_client(port, p) for p in payloads))
        assert results == payloads

        # every server-side connection finished its handler and closed
        deadline = time.monotonic() + 10
        while len(done) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert len(done) == 200
        await asyncio.sleep(0.05)
        gc.collect()
        assert open_fds() == fds_before, "sockets left open"
        assert asyncio.all_tasks() == tasks_before, "tasks left running"
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_silent_client_is_dropped_after_the_handshake_timeout():
    async def main() -> None:
        errors: list[tuple[BaseException, TLSTransport]] = []
        server = await aio.start_server(
            echo,
            HOST,
            0,
            pki().server_config(),
            handshake_timeout=0.3,
            on_handshake_error=lambda exc, t: errors.append((exc, t)),
        )
        port = port_of(server)
        fds_before = open_fds()
        started = time.monotonic()
        # one says nothing at all, one stalls in the middle of its ClientHello
        silent_r, silent_w = await asyncio.open_connection(HOST, port)
        partial_r, partial_w = await asyncio.open_connection(HOST, port)
        partial_w.write(b"\x16\x03\x01\x00\xff\x01\x00")
        assert await asyncio.wait_for(silent_r.read(), 5) == b""
        assert await asyncio.wait_for(partial_r.read(), 5) == b""
        elapsed = time.monotonic() - started
        assert 0.25 <= elapsed < 3, elapsed
        assert len(errors) == 2
        for exc, transport in errors:
            assert isinstance(exc, TimeoutError)
            assert "within 0.3 s" in str(exc)
            assert transport.get_extra_info("peername")[0] == HOST
        for w in (silent_w, partial_w):
            w.close()
            await w.wait_closed()
        # a well-behaved client is still served
        assert await echo_client(port, b"still here") == b"still here"
        await asyncio.sleep(0.05)
        assert open_fds() == fds_before
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_client_handshake_timeout_against_a_silent_server():
    async def main() -> None:
        held: list[asyncio.StreamWriter] = []

        async def mute(reader, writer):  # a plain TCP server that never answers
            held.append(writer)

        server = await asyncio.start_server(mute, HOST, 0)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="did not complete within 0.2 s"):
            await aio.open_connection(
                HOST, port_of(server), pki().client_config(), handshake_timeout=0.2
            )
        assert time.monotonic() - started < 3
        for w in held:
            w.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_extra_info_describes_the_connection():
    async def main() -> None:
        seen = {}

        async def handler(reader, writer):
            seen["server_cipher"] = writer.get_extra_info("cipher")
            seen["server_peercert"] = writer.get_extra_info("peercert")
            seen["client_cert"] = writer.get_extra_info("peer_certificates")
            await echo(reader, writer)

        from tls12.config import ClientAuth

        p = pki()
        server_config = p.server_config(
            client_auth=ClientAuth.REQUIRED, client_trust=p.trust, alpn_protocols=["h2", "x"]
        )
        server = await aio.start_server(handler, HOST, 0, server_config)
        client_config = p.client_config(
            client_certificates=[p.certified(p.client_ecdsa)], alpn_protocols=["x"]
        )
        reader, writer = await aio.open_connection(
            HOST, port_of(server), client_config, server_name="localhost"
        )
        n = writer.get_extra_info("negotiated")
        assert n.version == "TLSv1.2" and n.alpn_protocol == "x" and not n.resumed
        assert writer.get_extra_info("tls12").handshake_complete
        suite = n.cipher_suite
        assert writer.get_extra_info("cipher") == (suite.name, "TLSv1.2", suite.key_len * 8)
        cert = writer.get_extra_info("peercert")
        subject = ((("commonName", "localhost"),), (("organizationName", "tls12 test PKI"),))
        assert cert["subject"] == subject
        assert cert["subjectAltName"] == (("DNS", "localhost"), ("IP Address", "127.0.0.1"))
        leaf = n.peer_certificates[0]
        from cryptography.hazmat.primitives.serialization import Encoding

        assert writer.get_extra_info("peercert_binary") == leaf.public_bytes(Encoding.DER)
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.2"
        assert ssl_object.selected_alpn_protocol() == "x"
        assert ssl_object.cipher()[0].startswith("ECDHE-")
        assert ssl_object.getpeercert() == cert
        assert writer.get_extra_info("server_hostname") == "localhost"
        assert writer.get_extra_info("peername") == (HOST, port_of(server))
        assert writer.get_extra_info("session") is not None
        assert writer.get_extra_info("no such thing", "dflt") == "dflt"
        writer.write(b"x")
        assert await reader.readexactly(1) == b"x"
        assert seen["server_cipher"] == writer.get_extra_info("cipher")
        assert seen["server_peercert"]["subjectAltName"] == (("DNS", "client.example"),)
        assert seen["client_cert"][0].subject == p.client_ecdsa.chain[0].subject

        # the session resumes through open_connection(session=...)
        session = writer.get_extra_info("session")
        writer.close()
        await writer.wait_closed()
        reader, writer = await aio.open_connection(
            HOST, port_of(server), client_config, server_name="localhost", session=session
        )
        assert writer.get_extra_info("negotiated").resumed
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_handshake_failure_raises_the_tls_error_on_both_sides():
    async def main() -> None:
        errors: list[BaseException] = []
        server = await aio.start_server(
            echo, HOST, 0, pki().server_config(), on_handshake_error=lambda e, t: errors.append(e)
        )
        stranger = TrustStore.from_certificates([make_ca("a stranger").cert])
        with pytest.raises(UnknownCA):
            await aio.open_connection(
                HOST, port_of(server), pki().client_config(trust=stranger), server_name="localhost"
            )
        deadline = time.monotonic() + 5
        while not errors and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        # our client sent its alert before closing: the server read unknown_ca
        assert len(errors) == 1 and isinstance(errors[0], FatalAlertReceived), errors
        assert errors[0].description.name == "unknown_ca"
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_engine_error_after_the_handshake_is_raised_to_the_reader_after_the_alert():
    """A hand-driven server corrupts one record: the client's reader raises BadRecordMac and
    the bad_record_mac alert reaches the server before the connection closes."""

    async def main() -> None:
        outcome: dict[str, object] = {}
        finished = asyncio.Event()

        async def corrupting_server(reader, writer):
            engine = ServerConnection(pki().server_config())
            try:
                events = []
                while not engine.handshake_complete:
                    events += engine.receive_data(await reader.read(65536))
                    writer.write(engine.data_to_send())
                assert any(isinstance(e, HandshakeComplete) for e in events)
                while not any(isinstance(e, ApplicationData) for e in events):
                    events += engine.receive_data(await reader.read(65536))
                engine.send(b"this record will be damaged")
                record = bytearray(engine.data_to_send())
                record[-1] ^= 0x01  # flip a bit of the AEAD tag
                writer.write(bytes(record))
                await writer.drain()
                rest = b""
                while chunk := await reader.read(65536):
                    rest += chunk
                outcome["eof"] = True
                try:
                    engine.receive_data(rest)
                except TLSError as exc:
                    outcome["alert"] = exc
            finally:
                writer.close()
                finished.set()

        server = await asyncio.start_server(corrupting_server, HOST, 0)
        reader, writer = await aio.open_connection(
            HOST, port_of(server), pki().client_config(), server_name="localhost"
        )
        writer.write(b"ping")  # the server damages its answer
        with pytest.raises(BadRecordMac):
            await reader.read(100)
        with pytest.raises(BadRecordMac):
            await writer.drain()
        await asyncio.wait_for(finished.wait(), 5)
        assert outcome.get("eof"), "the client closed the connection"
        alert = outcome.get("alert")
        assert isinstance(alert, FatalAlertReceived) and alert.description.name == "bad_record_mac"
        assert writer.transport.is_closing()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_eof_without_close_notify_is_a_truncation_error():
    async def main() -> None:
        async def rude(reader, writer):
            writer.write(b"partial")
            await writer.drain()
            writer.transport._tls._raw.close()  # TCP close, no close_notify

        server = await aio.start_server(rude, HOST, 0, pki().server_config())
        reader, writer = await aio.open_connection(
            HOST, port_of(server), pki().client_config(), server_name="localhost"
        )
        assert await reader.readexactly(7) == b"partial"
        with pytest.raises(TruncationError):
            await reader.read()
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_flow_control_pauses_the_writer_and_the_reader():
    """A client that does not read: its TCP reading is paused once the StreamReader holds
    2*limit bytes, and the server's drain() waits instead of buffering without bound."""
    total = 16 * 1024 * 1024
    chunk = os.urandom(64 * 1024)

    async def main() -> None:
        progress = {"sent": 0, "max_buffer": 0}
        sent_all = asyncio.Event()

        async def firehose(reader, writer):
            while progress["sent"] < total:
                writer.write(chunk)
                progress["max_buffer"] = max(
                    progress["max_buffer"], writer.transport.get_write_buffer_size()
                )
                await writer.drain()
                progress["sent"] += len(chunk)
            sent_all.set()
            await reader.read()  # until the client's close_notify
            writer.close()

        server = await aio.start_server(firehose, HOST, 0, pki().server_config())
        reader, writer = await aio.open_connection(
            HOST, port_of(server), pki().client_config(), server_name="localhost", limit=65536
        )
        await asyncio.sleep(0.5)
        assert not writer.transport.is_reading(), "the client paused reading"
        assert not sent_all.is_set(), "the server's drain() waited for the slow reader"
        assert progress["sent"] < total
        assert len(reader._buffer) <= 4 * 65536 + 16384  # bounded by the limit, not by total
        high = writer.transport.get_write_buffer_limits()[1]
        assert progress["max_buffer"] <= high + 2 * len(chunk) + 4096
        digest = hashlib.sha256()
        received = 0
        while received < total:
            data = await reader.read(1 << 20)
            assert data
            digest.update(data)
            received += len(data)
        assert digest.hexdigest() == hashlib.sha256(chunk * (total // len(chunk))).hexdigest()
        assert writer.transport.is_reading()
        await asyncio.wait_for(sent_all.wait(), 5)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_writes_after_close_are_dropped_and_write_eof_is_refused():
    async def main() -> None:
        server = await aio.start_server(echo, HOST, 0, pki().server_config())
        reader, writer = await aio.open_connection(
            HOST, port_of(server), pki().client_config(), server_name="localhost"
        )
        assert not writer.can_write_eof()
        with pytest.raises(NotImplementedError):
            writer.write_eof()
        with pytest.raises(TypeError):
            writer.write("text")  # type: ignore[arg-type]
        writer.close()
        writer.write(b"ignored")
        await writer.wait_closed()
        assert writer.transport.is_closing()
        assert await reader.read() == b""
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_tls12_aio_is_the_io_module():
    import tls12.aio
    import tls12.io.aio_client
    import tls12.io.aio_server

    assert tls12.aio.open_connection is tls12.io.aio_client.open_connection
    assert tls12.aio.start_server is tls12.io.aio_server.start_server
