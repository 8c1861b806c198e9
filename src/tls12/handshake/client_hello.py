"""The client's hellos: building the ClientHello, and checking the ServerHello against it.

No state lives here: ``client.py`` holds the client's states in the order of RFC 5246
figure 1, and calls these pure functions from ``start`` and ``ExpectServerHello``.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from typing import NamedTuple

from tls12.config import ClientConfig
from tls12.crypto.suites import BY_ID, CipherSuite, KeyExchange
from tls12.errors import (
    HandshakeFailure,
    IllegalParameter,
    ProtocolVersionError,
    UnsupportedExtension,
)
from tls12.handshake import negotiate, record_limits
from tls12.handshake.certificate_status import status_request
from tls12.handshake.limits import check_hello
from tls12.handshake.precomputed import PerObject
from tls12.handshake.psk import key_binding
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, ServerHello
from tls12.sessions import Session
from tls12.wire.enums import TLS12_VERSION, CompressionMethod, ECPointFormat


class ServerHelloResult(NamedTuple):
    """What the client knows once ServerHello has been checked (internal, one per handshake:
    a NamedTuple is made in a third of a frozen dataclass's time)."""

    client_hello: ClientHello
    server_hello: ServerHello
    suite: CipherSuite
    extended_master_secret: bool
    secure_renegotiation: bool
    alpn_protocol: str | None
    """Decoded once, here; the ServerHello's ALPN answer is one protocol we offered."""
    server_name: str | None
    encrypt_then_mac: bool
    record_limits: record_limits.RecordLimits = record_limits.NO_LIMITS

    @property
    def ticket_expected(self) -> bool:
        """The server will send NewSessionTicket before its ChangeCipherSpec (RFC 5077 §3.3)."""
        return self.server_hello.extensions.has(ext.SessionTicket)

    @property
    def client_hello_groups(self) -> tuple[int, ...]:
        groups = self.client_hello.extensions.get(ext.SupportedGroups)
        return groups.groups if groups else ()

    @property
    def client_random(self) -> bytes:
        return self.client_hello.random

    @property
    def server_random(self) -> bytes:
        return self.server_hello.random

    @property
    def session_id(self) -> bytes:
        return self.server_hello.session_id


def build_client_hello(
    config: ClientConfig, server_name: str | None, offer: Session | None
) -> ClientHello:
    """The ClientHello (RFC 5246 §7.4.1.2) with the extensions ``config`` enables, offering
    ``offer`` (from ``resumable_offer``) by ticket or by session ID."""
    session_id = b""
    items: list[ext.Extension] = []
    if server_name and not _is_ip_literal(server_name):
        items.append(ext.ServerName(server_name.rstrip(".")))
    items += _CONFIGURED_EXTENSIONS.get(config)
    if offer is not None and offer.ticket:
        # RFC 5077 §3.4: with a ticket, a fresh session ID lets us see whether it was accepted.
        session_id = os.urandom(32)
        items.append(ext.SessionTicket(offer.ticket))
    else:
        if offer is not None:
            session_id = offer.session_id
        if config.session_tickets:
            items.append(ext.SessionTicket(b""))
    suites = _SUITE_IDS.get(config)
    return ClientHello(
        random=os.urandom(32),
        cipher_suites=suites,
        session_id=session_id,
        extensions=ext.Extensions(tuple(items)),
    )


def _configured_extensions(config: ClientConfig) -> tuple[ext.Extension, ...]:
    """The extensions that come from the configuration alone, in their wire order: the same
    on every connection with ``config`` (a frozen ClientConfig), so built once per config."""
    items: list[ext.Extension] = []
    items += status_request(config)
    offers_dhe = any(s.kx is KeyExchange.DHE for s in config.cipher_suites)
    ffdhe = tuple(config.ffdhe_groups) if offers_dhe else ()
    items.append(ext.SupportedGroups(tuple(config.groups) + ffdhe))
    items.append(ext.ECPointFormats((ECPointFormat.uncompressed,)))
    items.append(ext.SignatureAlgorithms(tuple(config.signature_schemes)))
    if config.alpn_protocols:
        items.append(ext.ApplicationLayerProtocols(tuple(config.alpn_protocols)))
    if config.extended_master_secret:
        items.append(ext.ExtendedMasterSecret())
    if config.encrypt_then_mac and any(not s.is_aead for s in config.cipher_suites):
        items.append(ext.EncryptThenMac())
    items.extend(record_limits.client_extensions(config))
    items.append(ext.RenegotiationInfo(b""))
    return tuple(items)


_CONFIGURED_EXTENSIONS: PerObject[ClientConfig, tuple[ext.Extension, ...]] = PerObject(
    _configured_extensions
)
_SUITE_IDS: PerObject[ClientConfig, tuple[int, ...]] = PerObject(
    lambda config: tuple(s.id for s in config.cipher_suites)
)


def resumable_offer(
    config: ClientConfig, session: Session | None, server_name: str | None
) -> Session | None:
    """The session if offering it makes sense now: not expired, suite still enabled, same
    server name, and the extended master secret policy still met."""
    if session is None or (not session.session_id and not session.ticket):
        return None
    if session.expired(config.clock()):
        return None
    if session.cipher_suite not in _SUITE_IDS.get(config):  # the ids kept per config
        return None
    if (session.server_name or None) != (server_name or None):
        return None
    if config.require_extended_master_secret and not session.extended_master_secret:
        return None
    if not record_limits.session_offerable(config, session):
        return None
    # A PSK session made with another identity or key than the ones configured now is not
    # offered (a psk_callback is asked only during a handshake: its sessions are offered, and
    # the server resumes only with the same key).
    if (
        session.psk_identity is not None
        and config.psk is not None
        and (
            session.psk_identity != config.psk_identity
            or not hmac.compare_digest(key_binding(config.psk), session.psk_binding)
        )
    ):
        return None
    return session


def _is_ip_literal(name: str) -> bool:
    if ":" not in name and not name[-1:].isdigit():
        return False  # an IPv6 literal has a colon, an IPv4 one ends in a digit
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def check_server_hello(
    config: ClientConfig, hello: ClientHello, sh: ServerHello, server_name: str | None
) -> ServerHelloResult:
    """Checks the ServerHello against what we offered (RFC 5246 §7.4.1.3, RFC 5746 §3.4,
    RFC 7627 §5.2, RFC 7366 §3, RFC 7301 §3.2)."""
    check_hello(config, sh)
    if sh.version != TLS12_VERSION:
        raise ProtocolVersionError(
            f"server chose protocol version {sh.version:#06x}; only TLS 1.2 is supported"
        )
    if sh.cipher_suite not in hello.cipher_suites or sh.cipher_suite not in BY_ID:
        raise IllegalParameter(f"server chose cipher suite {sh.cipher_suite:#06x}, not offered")
    if sh.compression_method != CompressionMethod.null:
        raise IllegalParameter("server chose a compression method we did not offer")
    offered = set(hello.extensions.types)
    for et in sh.extensions.types:
        if et not in offered:
            raise UnsupportedExtension(f"server sent extension {et:#x} that we did not offer")
    ri = sh.extensions.get(ext.RenegotiationInfo)
    if ri is not None and ri.renegotiated_connection:
        raise HandshakeFailure("server's renegotiation_info is not empty on a new connection")
    if ri is None and not config.allow_legacy_renegotiation_peer:
        raise HandshakeFailure(
            "server does not support secure renegotiation (RFC 5746); "
            "set allow_legacy_renegotiation_peer=True to connect anyway"
        )
    ems = sh.extensions.has(ext.ExtendedMasterSecret)
    if config.require_extended_master_secret and not ems:
        raise HandshakeFailure("server does not support the extended master secret (RFC 7627)")
    etm = sh.extensions.has(ext.EncryptThenMac)
    if etm and BY_ID[sh.cipher_suite].is_aead:
        raise IllegalParameter("server chose encrypt_then_mac with an AEAD suite (RFC 7366)")
    alpn = sh.extensions.get(ext.ApplicationLayerProtocols)
    protocol = None
    if alpn is not None:
        if len(alpn.protocols) != 1 or alpn.protocols[0] not in config.alpn_protocols:
            raise IllegalParameter("server's ALPN answer is not one protocol that we offered")
        protocol = alpn.protocols[0]
    return ServerHelloResult(
        client_hello=hello,
        server_hello=sh,
        suite=BY_ID[sh.cipher_suite],
        extended_master_secret=ems,
        secure_renegotiation=ri is not None,
        alpn_protocol=negotiate.alpn_name(protocol),
        server_name=server_name,
        encrypt_then_mac=etm,
        record_limits=record_limits.check_server_answer(config, sh),
    )


def check_resumed(result: ServerHelloResult, session: Session) -> None:
    """The server resumed ``session``: it must keep the session's suite (RFC 5246 §7.4.1.3) and
    its extended master secret state (RFC 7627 §5.3: the client aborts when that changes)."""
    if result.suite.id != session.cipher_suite:
        raise IllegalParameter(
            f"server resumed the session with {result.suite.name}, not the session's cipher suite"
        )
    if result.extended_master_secret != session.extended_master_secret:
        raise HandshakeFailure(
            "server resumed the session with a different extended master secret state"
        )
    record_limits.check_resumed(result.record_limits, session)
