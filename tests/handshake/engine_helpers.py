"""Helpers shared by the engine tests: record parsing, the alert a failing side queued, and a
client/server pair stopped at each step of the full handshake with the next flight in hand."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest
from tls_support import pki

from tls12 import errors
from tls12.config import ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.events import ApplicationData, Event
from tls12.messages.alert import Alert
from tls12.wire.enums import AlertDescription, AlertLevel, ContentType

_HEADER = struct.Struct(">BHH")


def split_records(wire: bytes) -> list[tuple[int, bytes]]:
    """(content type, fragment) of every record in ``wire``, which must hold whole records."""
    out = []
    pos = 0
    while pos < len(wire):
        ctype, _version, length = _HEADER.unpack_from(wire, pos)
        body = wire[pos + 5 : pos + 5 + length]
        assert len(body) == length, "wire ends inside a record"
        out.append((ctype, body))
        pos += 5 + length
    return out


def record(ctype: int, body: bytes, version: int = 0x0303) -> bytes:
    return _HEADER.pack(ctype, version, len(body)) + body


def join_records(records: list[tuple[int, bytes]]) -> bytes:
    return b"".join(record(t, b) for t, b in records)


def split_handshake(payload: bytes) -> list[bytes]:
    """The whole handshake messages (header included) in a plaintext handshake payload."""
    out = []
    pos = 0
    while pos < len(payload):
        length = int.from_bytes(payload[pos + 1 : pos + 4], "big")
        out.append(payload[pos : pos + 4 + length])
        pos += 4 + length
    return out


def queued_alert(failing: Connection, peer: Connection | None = None) -> AlertDescription:
    """The fatal alert ``failing`` queued as the last record of its output.

    A plaintext alert is decoded directly; an encrypted one is fed to ``peer``, which must
    raise errors.FatalAlertReceived carrying it.
    """
    wire = failing.data_to_send()
    recs = split_records(wire)
    assert recs, "the failing side queued nothing"
    ctype, body = recs[-1]
    assert ctype == ContentType.alert, f"last record is of type {ctype}, not an alert"
    if len(body) == 2:
        alert = Alert.decode(body)
        assert alert.level == AlertLevel.fatal
        return alert.description
    assert peer is not None, "the alert is encrypted: a peer is needed to read it"
    with pytest.raises(errors.FatalAlertReceived) as info:
        peer.receive_data(wire)
    return info.value.description


def peer_sees(peer: Connection, wire: bytes) -> AlertDescription:
    """Feeds a failing side's output to its peer, which must raise errors.FatalAlertReceived."""
    with pytest.raises(errors.FatalAlertReceived) as info:
        peer.receive_data(wire)
    return info.value.description


def app_data(events: list[Event]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, ApplicationData))


@dataclass
class Stage:
    """A pair stopped after ``step`` deliveries; ``to_client``/``to_server`` are the real bytes
    the other side queued and that were not delivered yet."""

    client: ClientConnection
    server: ServerConnection
    to_client: bytes
    to_server: bytes


STAGES = ("start", "after_client_hello", "after_server_flight", "after_client_flight", "connected")


def stage(
    name: str,
    client_config: ClientConfig | None = None,
    server_config: ServerConfig | None = None,
    server_name: str | None = "localhost",
) -> Stage:
    """start: the ClientHello is pending for the server.
    after_client_hello: the server read it; its flight is pending for the client.
    after_server_flight: the client read it; its flight is pending for the server.
    after_client_flight: the server read it; ChangeCipherSpec + Finished pending for the client.
    connected: both finished; one application data record pending each way."""
    p = pki()
    client = ClientConnection(client_config or p.client_config(), server_name)
    server = ServerConnection(server_config or p.server_config())
    client.start()
    to_server, to_client = client.data_to_send(), b""
    for step in STAGES[1:]:
        if STAGES.index(step) > STAGES.index(name):
            break
        if to_server:
            server.receive_data(to_server)
            to_client, to_server = server.data_to_send(), b""
        else:
            client.receive_data(to_client)
            to_server, to_client = client.data_to_send(), b""
    if name == "connected":
        assert client.handshake_complete and server.handshake_complete
        client.send(b"client says hi")
        server.send(b"server says hi")
        to_server, to_client = client.data_to_send(), server.data_to_send()
    return Stage(client, server, to_client, to_server)
