"""What the engine reports back from ``receive_data``: frozen event objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

from tls12.crypto.suites import CipherSuite
from tls12.ocsp import OcspResponse
from tls12.wire.enums import AlertDescription, AlertLevel, NamedGroup, SignatureScheme


@dataclass(frozen=True)
class Negotiated:
    """The parameters a completed handshake agreed on."""

    version: str
    cipher_suite: CipherSuite
    group: NamedGroup | None
    signature_scheme: SignatureScheme | None
    alpn_protocol: str | None
    server_name: str | None
    extended_master_secret: bool
    secure_renegotiation: bool
    resumed: bool
    session_id: bytes
    encrypt_then_mac: bool = False
    """RFC 7366 is in use (CBC suites only)."""
    peer_certificates: tuple[x509.Certificate, ...] = field(default=(), repr=False)
    offered_cipher_suites: tuple[int, ...] = field(default=(), repr=False)
    """Server side: the suite ids the client offered, in its order (for shared_ciphers)."""
    offered_session: bool = False
    """Server side: the client proposed a session to resume (a session ID or a ticket)."""
    # Record sizes (RFC 6066 §4, RFC 8449); the limits count plaintext bytes per record.
    max_fragment_length: int | None = None
    """The RFC 6066 length both sides keep to; None when not negotiated."""
    record_size_limit: int | None = None
    """The RFC 8449 limit the peer advertised (capped at 16384); None when not negotiated."""
    send_limit: int = 16384
    """The most plaintext we put in a protected record."""
    receive_limit: int = 16384
    """The most plaintext we accept in a protected record (record_overflow beyond)."""
    psk_identity: bytes | None = None
    """The PSK identity the handshake used (PSK suites only; RFC 4279)."""
    ocsp_response: OcspResponse | None = None
    """Client side: the server's stapled OCSP response, checked (RFC 6066 §8); None when
    none was stapled (and always on a resumed session: no Certificate, no staple)."""


class Event:
    """Base class for everything ``receive_data`` returns."""


@dataclass(frozen=True)
class HandshakeComplete(Event):
    negotiated: Negotiated


@dataclass(frozen=True)
class ApplicationData(Event):
    data: bytes


@dataclass(frozen=True)
class WarningAlertReceived(Event):
    """A warning alert from the peer (fatal ones are raised as errors.FatalAlertReceived)."""

    level: AlertLevel
    description: AlertDescription


@dataclass(frozen=True)
class ConnectionClosed(Event):
    """The peer sent close_notify: no more data will come."""


@dataclass(frozen=True)
class RenegotiationRefused(Event):
    """The peer asked to renegotiate; we answered with a no_renegotiation warning and the
    connection goes on with its current keys."""
