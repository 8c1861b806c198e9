"""What both sides know once the master secret is fixed, and the two results built from it.

Each side makes its ``Agreement`` with ``agree``, from what its hellos settled (``HelloTerms``:
the client's ServerHelloResult, the server's ServerTerms) and what the key exchange (full
handshake) or the stored session (abbreviated) brings. ``negotiated`` and ``new_session`` are
the only places that turn it into the ``Negotiated`` the application reads and the ``Session``
it may resume later, so client and server report a handshake the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tls12.crypto.suites import CipherSuite
from tls12.events import Negotiated
from tls12.sessions import Session
from tls12.wire.enums import NamedGroup, SignatureScheme


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """The keys and parameters of one handshake, full or abbreviated."""

    suite: CipherSuite
    master: bytes
    session_id: bytes
    extended_master_secret: bool
    secure_renegotiation: bool
    encrypt_then_mac: bool
    alpn_protocol: str | None
    server_name: str | None
    group: NamedGroup | None
    """The ECDHE or FFDHE group; None for RSA key transport and on resumption."""
    scheme: SignatureScheme | None
    """The scheme that signed ServerKeyExchange; None when nothing was signed."""
    peer_certificates: tuple[x509.Certificate, ...]
    resumed: Session | None
    """The session being resumed (abbreviated handshake), else None."""


class HelloTerms(Protocol):
    """What the two hellos settled, as each side's hello result reads it."""

    @property
    def suite(self) -> CipherSuite: ...
    @property
    def session_id(self) -> bytes: ...
    @property
    def extended_master_secret(self) -> bool: ...
    @property
    def secure_renegotiation(self) -> bool: ...
    @property
    def encrypt_then_mac(self) -> bool: ...
    @property
    def alpn_protocol(self) -> str | None: ...
    @property
    def server_name(self) -> str | None: ...


def agree(
    terms: HelloTerms,
    *,
    master: bytes,
    peer_certificates: tuple[x509.Certificate, ...],
    key_exchange: tuple[NamedGroup | None, SignatureScheme | None] = (None, None),
    resumed: Session | None = None,
) -> Agreement:
    """The Agreement of a full handshake (``key_exchange``: the group and the scheme that
    signed ServerKeyExchange) or of an abbreviated one (``resumed``: the session)."""
    group, scheme = key_exchange
    return Agreement(
        suite=terms.suite,
        master=master,
        session_id=terms.session_id,
        extended_master_secret=terms.extended_master_secret,
        secure_renegotiation=terms.secure_renegotiation,
        encrypt_then_mac=terms.encrypt_then_mac,
        alpn_protocol=terms.alpn_protocol,
        server_name=terms.server_name,
        group=group,
        scheme=scheme,
        peer_certificates=peer_certificates,
        resumed=resumed,
    )


def negotiated(
    agreement: Agreement,
    *,
    offered_cipher_suites: tuple[int, ...] = (),
    offered_session: bool = False,
) -> Negotiated:
    """The handshake's result; the two ``offered_*`` fields are the server's view."""
    return Negotiated(
        version="TLSv1.2",
        cipher_suite=agreement.suite,
        group=agreement.group,
        signature_scheme=agreement.scheme,
        alpn_protocol=agreement.alpn_protocol,
        server_name=agreement.server_name,
        extended_master_secret=agreement.extended_master_secret,
        secure_renegotiation=agreement.secure_renegotiation,
        resumed=agreement.resumed is not None,
        session_id=agreement.session_id,
        encrypt_then_mac=agreement.encrypt_then_mac,
        peer_certificates=agreement.peer_certificates,
        offered_cipher_suites=offered_cipher_suites,
        offered_session=offered_session,
    )


def new_session(agreement: Agreement, *, created: float, lifetime: int) -> Session:
    """The session a full handshake established (RFC 5246 §7.4.1.2 session state)."""
    return Session(
        session_id=agreement.session_id,
        cipher_suite=agreement.suite.id,
        master_secret=agreement.master,
        extended_master_secret=agreement.extended_master_secret,
        server_name=agreement.server_name,
        alpn_protocol=agreement.alpn_protocol,
        peer_certificates_der=tuple(
            c.public_bytes(Encoding.DER) for c in agreement.peer_certificates
        ),
        created=created,
        lifetime=lifetime,
    )
