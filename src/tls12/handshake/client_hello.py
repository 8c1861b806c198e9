"""The client's first steps: the ClientHello, and the ServerHello that decides between the
full handshake (RFC 5246 figure 1) and the abbreviated one (figure 2).

    start()             queues ClientHello (offering a session when one is given)
    ExpectServerHello   --ServerHello, new session-->       client.ExpectServerCertificate
                        --ServerHello, echoed session ID--> client_finish.ExpectNewSessionTicket
                                                            | client_finish.ExpectChangeCipherSpec
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from tls12.config import ClientConfig
from tls12.crypto.suites import BY_ID, CipherSuite, KeyExchange
from tls12.errors import (
    HandshakeFailure,
    IllegalParameter,
    ProtocolVersionError,
    UnsupportedExtension,
)
from tls12.handshake import negotiate
from tls12.handshake.agreement import Agreement
from tls12.handshake.context import HandshakeContext
from tls12.handshake.limits import check_hello
from tls12.handshake.state import State
from tls12.messages import extensions as ext
from tls12.messages.handshake import ClientHello, HandshakeMessage, ServerHello
from tls12.sessions import Session
from tls12.wire.enums import TLS12_VERSION


@dataclass(frozen=True)
class ServerHelloResult:
    """What the client knows once ServerHello has been checked."""

    client_hello: ClientHello
    server_hello: ServerHello
    suite: CipherSuite
    extended_master_secret: bool
    secure_renegotiation: bool
    alpn_protocol: str | None
    """Decoded once, here; the ServerHello's ALPN answer is one protocol we offered."""
    server_name: str | None
    encrypt_then_mac: bool

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


def start(ctx: HandshakeContext, server_name: str | None, session: Session | None) -> State:
    """Queues the ClientHello (offering ``session`` when it can still be resumed) and returns
    the first state."""
    config: ClientConfig = ctx.config
    offer = _resumable(config, session, server_name)
    session_id = b""
    items: list[ext.Extension] = []
    if server_name and not _is_ip_literal(server_name):
        items.append(ext.ServerName(server_name.rstrip(".")))
    offers_dhe = any(s.kx is KeyExchange.DHE for s in config.suites)
    ffdhe = tuple(config.dhe_groups) if offers_dhe else ()
    items.append(ext.SupportedGroups(tuple(config.ecdhe_groups) + ffdhe))
    items.append(ext.ECPointFormats((0,)))
    items.append(ext.SignatureAlgorithms(tuple(config.schemes)))
    if config.alpn:
        items.append(ext.ApplicationLayerProtocols(tuple(config.alpn)))
    if config.extended_master_secret:
        items.append(ext.ExtendedMasterSecret())
    if config.encrypt_then_mac and any(not s.is_aead for s in config.suites):
        items.append(ext.EncryptThenMac())
    items.append(ext.RenegotiationInfo(b""))
    if offer is not None and offer.ticket:
        # RFC 5077 §3.4: with a ticket, a fresh session ID lets us see whether it was accepted.
        session_id = os.urandom(32)
        items.append(ext.SessionTicket(offer.ticket))
    else:
        if offer is not None:
            session_id = offer.session_id
        if config.session_tickets:
            items.append(ext.SessionTicket(b""))
    suites = tuple(s.id for s in config.suites)
    hello = ClientHello(
        random=os.urandom(32),
        cipher_suites=suites,
        session_id=session_id,
        extensions=ext.Extensions(tuple(items)),
    )
    ctx.send(
        hello,
        server_name=server_name,
        suites=len(suites),
        resuming=("ticket" if offer.ticket else "session id") if offer else None,
    )
    ctx.flush()
    return ExpectServerHello(ctx, hello, server_name, offer)


def _resumable(
    config: ClientConfig, session: Session | None, server_name: str | None
) -> Session | None:
    """The session if offering it makes sense now: not expired, suite still enabled, same
    server name, and the extended master secret policy still met."""
    if session is None or (not session.session_id and not session.ticket):
        return None
    if session.expired(config.clock()):
        return None
    if session.cipher_suite not in {s.id for s in config.suites}:
        return None
    if (session.server_name or None) != (server_name or None):
        return None
    if config.require_extended_master_secret and not session.extended_master_secret:
        return None
    return session


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class ExpectServerHello(State):
    expects = (ServerHello,)

    def __init__(
        self,
        ctx: HandshakeContext,
        hello: ClientHello,
        server_name: str | None,
        offer: Session | None,
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.server_name = server_name
        self.offer = offer

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ServerHello):
            return super().handle(msg, raw)
        result = self._check(msg)
        self.ctx.received(
            msg,
            raw,
            suite=result.suite.name,
            alpn=result.alpn_protocol,
            extended_master_secret=result.extended_master_secret,
            encrypt_then_mac=result.encrypt_then_mac or None,
            resumed=self._resuming(msg) or None,
        )
        if self._resuming(msg):
            return self._resume(result)
        from tls12.handshake.client import ExpectServerCertificate

        return ExpectServerCertificate(self.ctx, result)

    def _resuming(self, sh: ServerHello) -> bool:
        """The server resumes by echoing the session ID we offered (RFC 5246 §7.4.1.3)."""
        return (
            self.offer is not None
            and bool(sh.session_id)
            and (sh.session_id == self.hello.session_id)
        )

    def _resume(self, result: ServerHelloResult) -> State:
        """Abbreviated handshake: keys from the stored master secret and the new randoms."""
        from tls12.handshake.client_finish import after_keys

        session = self.offer
        if session is None:  # _resuming checked it; kept for the type checker
            raise IllegalParameter("server resumed a session we did not offer")
        if result.suite.id != session.cipher_suite:
            raise IllegalParameter(
                f"server resumed the session with {result.suite.name}, "
                "not the session's cipher suite"
            )
        if result.extended_master_secret != session.extended_master_secret:
            # RFC 7627 §5.3: the client aborts when the EMS state changes on resumption.
            raise HandshakeFailure(
                "server resumed the session with a different extended master secret state"
            )
        self.ctx.install_pending_keys(
            result.suite,
            session.master_secret,
            result.client_random,
            result.server_random,
            result.encrypt_then_mac,
        )
        agreement = Agreement(
            suite=result.suite,
            master=session.master_secret,
            session_id=result.server_hello.session_id,
            extended_master_secret=result.extended_master_secret,
            secure_renegotiation=result.secure_renegotiation,
            encrypt_then_mac=result.encrypt_then_mac,
            alpn_protocol=result.alpn_protocol,
            server_name=result.server_name,
            group=None,
            scheme=None,
            peer_certificates=session.peer_certificates,
            resumed=session,
        )
        return after_keys(self.ctx, agreement, ticket_expected=result.ticket_expected)

    def _check(self, sh: ServerHello) -> ServerHelloResult:
        config: ClientConfig = self.ctx.config
        check_hello(config, sh)
        if sh.version != TLS12_VERSION:
            raise ProtocolVersionError(
                f"server chose protocol version {sh.version:#06x}; only TLS 1.2 is supported"
            )
        if sh.cipher_suite not in self.hello.cipher_suites or sh.cipher_suite not in BY_ID:
            raise IllegalParameter(f"server chose cipher suite {sh.cipher_suite:#06x}, not offered")
        if sh.compression_method != 0:
            raise IllegalParameter("server chose a compression method we did not offer")
        offered = set(self.hello.extensions.types)
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
            if len(alpn.protocols) != 1 or alpn.protocols[0] not in config.alpn:
                raise IllegalParameter("server's ALPN answer is not one protocol that we offered")
            protocol = alpn.protocols[0]
        return ServerHelloResult(
            client_hello=self.hello,
            server_hello=sh,
            suite=BY_ID[sh.cipher_suite],
            extended_master_secret=ems,
            secure_renegotiation=ri is not None,
            alpn_protocol=negotiate.alpn_name(protocol),
            server_name=self.server_name,
            encrypt_then_mac=etm,
        )
