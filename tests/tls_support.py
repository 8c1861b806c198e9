"""Shared helpers for the tests: a throwaway PKI (made once per process) and an in-memory
client/server pair driven without sockets."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from tls12.config import CertifiedKey, ClientConfig, ServerConfig
from tls12.connection import ClientConnection, Connection, ServerConnection
from tls12.events import Event
from tls12.pki import CertificateAuthority, Identity, make_ca
from tls12.verify import TrustStore


@dataclass
class TestPKI:
    ca: CertificateAuthority
    rsa: Identity
    ecdsa: Identity
    client_rsa: Identity
    client_ecdsa: Identity
    other_ca: CertificateAuthority
    expired: Identity
    wrong_name: Identity

    @property
    def trust(self) -> TrustStore:
        return TrustStore.from_certificates([self.ca.cert])

    def certified(self, identity: Identity) -> CertifiedKey:
        return CertifiedKey(tuple(identity.chain), identity.key)

    def server_config(self, **kw: object) -> ServerConfig:
        kw.setdefault("certificates", [self.certified(self.rsa), self.certified(self.ecdsa)])
        return ServerConfig(**kw)  # type: ignore[arg-type]

    def client_config(self, **kw: object) -> ClientConfig:
        kw.setdefault("trust", self.trust)
        return ClientConfig(**kw)  # type: ignore[arg-type]

    def write(self, directory: Path) -> dict[str, Path]:
        """Writes every identity as PEM files for the command-line peers."""
        paths = {"ca": self.ca.write(directory / "ca.pem")}
        for stem in ("rsa", "ecdsa", "client_rsa", "client_ecdsa", "expired", "wrong_name"):
            cert, key = getattr(self, stem).write(directory, stem)
            paths[f"{stem}.crt"], paths[f"{stem}.key"] = cert, key
        return paths


@functools.cache
def pki() -> TestPKI:
    import datetime as dt

    ca = make_ca("tls12 test CA")
    now = dt.datetime.now(dt.UTC)
    names = ["localhost", "127.0.0.1"]
    return TestPKI(
        ca=ca,
        rsa=ca.issue(names, key_type="rsa"),
        ecdsa=ca.issue(names, key_type="ecdsa"),
        client_rsa=ca.issue(
            ["client.example"], key_type="rsa", client_auth=True, server_auth=False
        ),
        client_ecdsa=ca.issue(
            ["client.example"], key_type="ecdsa", client_auth=True, server_auth=False
        ),
        other_ca=make_ca("some other CA"),
        expired=ca.issue(
            names,
            key_type="ecdsa",
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
        ),
        wrong_name=ca.issue(["elsewhere.example"], key_type="ecdsa"),
    )


def drive(
    client: Connection, server: Connection, rounds: int = 20
) -> tuple[list[Event], list[Event]]:
    """Moves bytes between two engines until neither has anything to send.
    Returns (events seen by the client, events seen by the server)."""
    client_events: list[Event] = []
    server_events: list[Event] = []
    for _ in range(rounds):
        moved = False
        data = client.data_to_send()
        if data:
            moved = True
            server_events += server.receive_data(data)
        data = server.data_to_send()
        if data:
            moved = True
            client_events += client.receive_data(data)
        if not moved:
            break
    return client_events, server_events


def handshake_pair(
    client_config: ClientConfig | None = None,
    server_config: ServerConfig | None = None,
    server_name: str | None = "localhost",
) -> tuple[ClientConnection, ServerConnection]:
    """A client and server that have completed the handshake in memory."""
    p = pki()
    client = ClientConnection(client_config or p.client_config(), server_name)
    server = ServerConnection(server_config or p.server_config())
    client.start()
    drive(client, server)
    return client, server
