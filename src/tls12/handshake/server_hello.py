"""The server's reading of a ClientHello and the ServerHello it answers with.

``read_client_hello`` checks what applies to every handshake (version, compression,
renegotiation indication, point formats, extended master secret, SNI, ALPN).
``choose_full`` picks what only a full handshake needs (suite, certificate, group, signature
scheme); ``send_full_flight`` writes figure 1's server flight.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tls12.config import CertifiedKey, ClientAuth, ServerConfig
from tls12.crypto import signatures
from tls12.crypto.kx import EcdheKeyShare
from tls12.crypto.suites import TLS_EMPTY_RENEGOTIATION_INFO_SCSV, CipherSuite, suite_name
from tls12.errors import HandshakeFailure, IllegalParameter, ProtocolVersionError
from tls12.handshake import negotiate
from tls12.handshake.context import HandshakeContext
from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    Certificate,
    CertificateRequest,
    ClientHello,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
)
from tls12.messages.key_exchange import DigitallySigned, EcdheServerKeyExchange
from tls12.wire.enums import TLS12_VERSION, ClientCertificateType, NamedGroup, SignatureScheme


@dataclass(frozen=True)
class HelloFacts:
    """What the ClientHello settles for any kind of handshake."""

    client_hello: ClientHello
    server_random: bytes
    extended_master_secret: bool
    """Both sides use RFC 7627 on this connection."""
    client_offered_ems: bool
    secure_renegotiation: bool
    alpn_protocol: bytes | None
    server_name: str | None
    wants_ticket: bool
    """The client sent session_ticket and we issue tickets."""

    @property
    def client_random(self) -> bytes:
        return self.client_hello.random


def read_client_hello(config: ServerConfig, ch: ClientHello) -> HelloFacts:
    if ch.version < TLS12_VERSION:
        raise ProtocolVersionError(
            f"client offers at most version {ch.version:#06x}; only TLS 1.2 is supported"
        )
    if 0 not in ch.compression_methods:
        raise IllegalParameter("client does not offer the null compression method")
    exts = ch.extensions
    ri = exts.get(ext.RenegotiationInfo)
    if ri is not None and ri.renegotiated_connection:
        raise HandshakeFailure("client's renegotiation_info is not empty on a new connection")
    secure_renegotiation = ri is not None or TLS_EMPTY_RENEGOTIATION_INFO_SCSV in ch.cipher_suites
    formats = exts.get(ext.ECPointFormats)
    if formats is not None and 0 not in formats.formats:
        raise IllegalParameter("client's ec_point_formats does not include uncompressed")
    offered_ems = exts.has(ext.ExtendedMasterSecret)
    ems = offered_ems and config.extended_master_secret
    if config.require_extended_master_secret and not ems:
        raise HandshakeFailure("client does not support the extended master secret (RFC 7627)")
    sni = exts.get(ext.ServerName)
    alpn_ext = exts.get(ext.ApplicationLayerProtocols)
    alpn = negotiate.choose_alpn(alpn_ext.protocols if alpn_ext else None, config.alpn_protocols)
    return HelloFacts(
        client_hello=ch,
        server_random=os.urandom(32),
        extended_master_secret=ems,
        client_offered_ems=offered_ems,
        secure_renegotiation=secure_renegotiation,
        alpn_protocol=alpn,
        server_name=sni.host_name if sni else None,
        wants_ticket=config.session_tickets and exts.has(ext.SessionTicket),
    )


@dataclass(frozen=True)
class FullChoice:
    """What the server picks for a full handshake."""

    session_id: bytes
    suite: CipherSuite
    certified: CertifiedKey
    scheme: SignatureScheme
    group: NamedGroup


def choose_full(config: ServerConfig, facts: HelloFacts) -> FullChoice:
    ch = facts.client_hello
    exts = ch.extensions
    groups_ext = exts.get(ext.SupportedGroups)
    group = negotiate.choose_group(groups_ext.groups if groups_ext else None, config.groups)
    sig_ext = exts.get(ext.SignatureAlgorithms)
    client_schemes = sig_ext.schemes if sig_ext else None
    candidates = config.certificates_for(facts.server_name)
    picks: dict[int, tuple[CertifiedKey, SignatureScheme]] = {}

    def usable(suite: CipherSuite) -> bool:
        if group is None:
            return False
        for certified in candidates:
            if certified.auth is not suite.auth:
                continue
            try:
                scheme = signatures.choose_scheme(
                    certified.key, client_schemes, config.signature_schemes
                )
            except HandshakeFailure:
                continue
            picks[suite.id] = (certified, scheme)
            return True
        return False

    suite = negotiate.choose_suite(
        ch.cipher_suites, config.cipher_suites, config.prefer_client_order, usable
    )
    if suite is None or group is None:
        offered = ", ".join(suite_name(s) for s in ch.cipher_suites[:12])
        reason = "no group in common" if group is None else "no cipher suite in common"
        raise HandshakeFailure(
            f"{reason} with the client (client offered {offered}); "
            "a wider cipher_suites/groups configuration may allow it"
        )
    certified, scheme = picks[suite.id]
    # A ticket makes server-side state unnecessary, but an ID still lets a ticket-less
    # resumption find the session when a store is configured.
    return FullChoice(os.urandom(32), suite, certified, scheme, group)


def server_hello_extensions(facts: HelloFacts, *, ems: bool, ticket: bool) -> ext.Extensions:
    ch = facts.client_hello
    items: list[ext.Extension] = []
    if facts.secure_renegotiation:
        items.append(ext.RenegotiationInfo(b""))
    if ems:
        items.append(ext.ExtendedMasterSecret())
    if facts.server_name is not None:
        items.append(ext.ServerName(None))
    if ch.extensions.has(ext.ECPointFormats):
        items.append(ext.ECPointFormats((0,)))
    if facts.alpn_protocol is not None:
        items.append(ext.ApplicationLayerProtocols((facts.alpn_protocol,)))
    if ticket:
        items.append(ext.SessionTicket(b""))
    return ext.Extensions(tuple(items))


def send_full_flight(ctx: HandshakeContext, facts: HelloFacts, choice: FullChoice) -> EcdheKeyShare:
    """ServerHello, Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone."""
    config: ServerConfig = ctx.config
    hello = ServerHello(
        random=facts.server_random,
        cipher_suite=choice.suite.id,
        session_id=choice.session_id,
        extensions=server_hello_extensions(
            facts, ems=facts.extended_master_secret, ticket=facts.wants_ticket
        ),
    )
    alpn = facts.alpn_protocol.decode(errors="replace") if facts.alpn_protocol else None
    ctx.send(
        hello,
        suite=choice.suite.name,
        alpn=alpn,
        extended_master_secret=facts.extended_master_secret,
    )
    from tls12.verify import describe

    ctx.send(
        Certificate(choice.certified.chain_der),
        certificates=len(choice.certified.chain),
        subject=describe(choice.certified.chain[0]),
    )
    share = EcdheKeyShare(choice.group)
    params = EcdheServerKeyExchange.encode_params(choice.group, share.public)
    signature = signatures.sign(
        choice.certified.key, choice.scheme, facts.client_random + facts.server_random + params
    )
    ske = EcdheServerKeyExchange(
        choice.group, share.public, DigitallySigned(choice.scheme, signature)
    )
    ctx.send(ServerKeyExchange(ske.encode()), group=choice.group.name, signature=choice.scheme.name)
    if config.client_auth is not ClientAuth.NONE:
        trust = config.client_trust
        names = tuple(trust.subjects_der) if (config.send_ca_names and trust) else ()
        request = CertificateRequest(
            certificate_types=(ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign),
            signature_algorithms=tuple(config.signature_schemes),
            certificate_authorities=names,
        )
        ctx.send(request, authorities=len(names))
    ctx.send(ServerHelloDone())
    ctx.flush()
    return share
