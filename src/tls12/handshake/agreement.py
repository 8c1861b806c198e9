"""What both sides know once the master secret is fixed, and the two results built from it.

Each side makes its ``Agreement`` with ``agree``, from what its hellos settled (``HelloTerms``:
the client's ServerHelloResult, the server's ServerTerms) and what the key exchange (full
handshake) or the stored session (abbreviated) brings. ``negotiated`` and ``new_session`` are
the only places that turn it into the ``Negotiated`` the application reads and the ``Session``
it may resume later, so client and server report a handshake the same way.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tls12.crypto.suites import CipherSuite
from tls12.events import Negotiated
from tls12.handshake.record_limits import NO_LIMITS, RecordLimits
from tls12.ocsp import OcspResponse
from tls12.sessions import Session
from tls12.wire.enums import NamedGroup, SignatureScheme


class Agreement(NamedTuple):
    """The keys and parameters of one handshake, full or abbreviated (internal: a NamedTuple,
    made once per handshake for about a third of a frozen dataclass's cost; its repr leaves
    out the secrets, as the dataclass's did)."""

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
    record_limits: RecordLimits = NO_LIMITS
    """RFC 6066 / RFC 8449 record sizes (handshake/record_limits.py)."""
    psk_identity: bytes | None = None
    """The PSK identity (PSK suites), from the ClientKeyExchange or the resumed session."""
    psk_binding: bytes = b""
    """psk.key_binding of the PSK used: a resumption needs the same key (not only the same
    identity), so rotating a key ends the sessions made with the old one."""
    peer_certificates_der: tuple[bytes, ...] = ()
    """The peer_certificates' DER when the side kept the bytes it received (the client
    does): new_session stores these instead of encoding each certificate again."""

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}"
            for name, value in zip(self._fields, self, strict=True)
            if name not in _HIDDEN_FIELDS
        )
        return f"Agreement({shown})"


_HIDDEN_FIELDS = frozenset(("master", "psk_binding", "peer_certificates_der"))
"""Left out of the repr: the secrets, and the peer's certificates' DER (shown parsed)."""


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
    @property
    def record_limits(self) -> RecordLimits: ...


def agree(
    terms: HelloTerms,
    *,
    master: bytes,
    peer_certificates: tuple[x509.Certificate, ...],
    key_exchange: tuple[NamedGroup | None, SignatureScheme | None] = (None, None),
    resumed: Session | None = None,
    psk_identity: bytes | None = None,
    psk_binding: bytes = b"",
    peer_certificates_der: tuple[bytes, ...] = (),
) -> Agreement:
    """The Agreement of a full handshake (``key_exchange``: the group and the scheme that
    signed ServerKeyExchange) or of an abbreviated one (``resumed``: the session);
    ``psk_identity`` and ``psk_binding`` for PSK suites (a resumed session brings its own)."""
    group, scheme = key_exchange
    if resumed is not None:
        psk_identity, psk_binding = resumed.psk_identity, resumed.psk_binding
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
        record_limits=terms.record_limits,
        psk_identity=psk_identity,
        psk_binding=psk_binding,
        peer_certificates_der=peer_certificates_der,
    )


def negotiated(
    agreement: Agreement,
    *,
    offered_cipher_suites: tuple[int, ...] = (),
    offered_session: bool = False,
    ocsp_response: OcspResponse | None = None,
) -> Negotiated:
    """The handshake's result; the two ``offered_*`` fields are the server's view,
    ``ocsp_response`` the client's (a checked staple)."""
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
        max_fragment_length=agreement.record_limits.max_fragment_length,
        record_size_limit=agreement.record_limits.peer_record_size_limit,
        send_limit=agreement.record_limits.send_limit,
        receive_limit=agreement.record_limits.receive_limit,
        psk_identity=agreement.psk_identity,
        ocsp_response=ocsp_response,
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
        peer_certificates_der=agreement.peer_certificates_der
        or tuple(c.public_bytes(Encoding.DER) for c in agreement.peer_certificates),
        created=created,
        lifetime=lifetime,
        max_fragment_length=agreement.record_limits.max_fragment_length,
        psk_identity=agreement.psk_identity,
        psk_binding=agreement.psk_binding,
    )
