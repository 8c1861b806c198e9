"""Shared by the record size tests: configs, and two engines run in memory with every record
noted as (content type, plaintext length, protected).

A GCM suite adds exactly 24 bytes to a protected record (8 explicit nonce, 16 tag), so the
plaintext a protected record held is its length minus 24; cleartext records are read as is.
"""

from __future__ import annotations

import dataclasses

from engine_helpers import split_records
from tls_support import pki

from tls12.config import ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.events import ApplicationData
from tls12.sessions import Session
from tls12.wire.enums import ContentType

GCM_OVERHEAD = 24
SUITE = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"


def client_config(**kw: object) -> ClientConfig:
    return pki().client_config(cipher_suites=[SUITE], **kw)


def server_config(**kw: object) -> ServerConfig:
    return pki().server_config(**kw)


@dataclasses.dataclass
class Wire:
    """Every record each side sent, as (content type, plaintext length, protected)."""

    client: list[tuple[int, int, bool]] = dataclasses.field(default_factory=list)
    server: list[tuple[int, int, bool]] = dataclasses.field(default_factory=list)


def _note(sink: list[tuple[int, int, bool]], data: bytes) -> None:
    protected = any(t == ContentType.change_cipher_spec for t, _n, _p in sink)
    for ctype, body in split_records(data):
        sink.append((ctype, len(body) - GCM_OVERHEAD if protected else len(body), protected))
        if ctype == ContentType.change_cipher_spec:
            protected = True


def run(
    client: ClientConnection, server: ServerConnection, wire: Wire, rounds: int = 20
) -> list[bytes]:
    """Moves bytes between the two until both are quiet; notes every record; returns the
    application data each side received, client first."""
    got = [b"", b""]
    for _ in range(rounds):
        moved = False
        if data := client.data_to_send():
            moved = True
            _note(wire.client, data)
            got[1] += b"".join(
                e.data for e in server.receive_data(data) if isinstance(e, ApplicationData)
            )
        if data := server.data_to_send():
            moved = True
            _note(wire.server, data)
            got[0] += b"".join(
                e.data for e in client.receive_data(data) if isinstance(e, ApplicationData)
            )
        if not moved:
            break
    return got


def connect(
    ccfg: ClientConfig, scfg: ServerConfig, session: Session | None = None
) -> tuple[ClientConnection, ServerConnection, Wire]:
    client = ClientConnection(ccfg, "localhost", session=session)
    server = ServerConnection(scfg)
    client.start()
    wire = Wire()
    run(client, server, wire)
    assert client.handshake_complete and server.handshake_complete
    return client, server, wire


def exchange(client: Connection, server: Connection, wire: Wire, size: int) -> None:
    """``size`` bytes each way, checked on arrival."""
    payload = bytes(range(256)) * (size // 256 + 1)
    client.send(payload[:size])
    server.send(payload[:size][::-1])
    got = run(client, server, wire)  # type: ignore[arg-type]
    assert got == [payload[:size][::-1], payload[:size]]


def largest(records: list[tuple[int, int, bool]], protected: bool | None = None) -> int:
    return max(n for _t, n, p in records if protected is None or p == protected)

