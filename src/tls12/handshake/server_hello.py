"""The server's reading of a ClientHello and the ServerHello it answers with.

``read_client_hello`` checks what applies to every handshake (version, compression,
renegotiation indication, point formats, extended master secret, SNI, ALPN).
``choose_full`` picks what only a full handshake needs (suite, certificate, group, signature
scheme, encrypt-then-MAC); ``send_full_flight`` writes figure 1's server flight.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from tls12.config import CertifiedKey, ClientAuth, ServerConfig
from tls12.crypto.suites import (
    BY_ID,
    COMPATIBLE_SUITES,
    DEFAULT_SUITES,
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
    CipherSuite,
    KeyExchange,
    suite_name,
)
from tls12.errors import DecodeError, HandshakeFailure, IllegalParameter, ProtocolVersionError
from tls12.handshake import certificate_choice, negotiate, precomputed, psk, record_limits
from tls12.handshake.certificate_status import staple_for
from tls12.handshake.context import ServerContext
from tls12.handshake.key_exchange import (
    ServerKeyAgreement,
    send_server_key_exchange,
)
from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    Certificate,
    CertificateStatus,
    ClientHello,
    ServerHello,
    ServerHelloDone,
)
from tls12.trace import Lazy
from tls12.verify import describe
from tls12.wire.enums import TLS12_VERSION, CompressionMethod, NamedGroup, SignatureScheme


class HelloFacts(NamedTuple):
    """What the ClientHello settles for any kind of handshake (internal: a NamedTuple, made
    once per handshake for about a third of a frozen dataclass's cost)."""

    client_hello: ClientHello
    server_random: bytes
    extended_master_secret: bool
    """Both sides use RFC 7627 on this connection."""
    client_offered_ems: bool
    secure_renegotiation: bool
    alpn_protocol: bytes | None
    """The protocol as it goes on the wire in our ServerHello."""
    alpn_name: str | None
    """The same, decoded once, for the trace, ``Negotiated`` and the session."""
    server_name: str | None
    wants_ticket: bool
    """The client sent session_ticket and we issue tickets."""
    sni_used: bool = False
    """The name chose among our sni_certificates: only then is server_name acknowledged."""
    record_limits: record_limits.RecordLimits = record_limits.NO_LIMITS
    session_ticket: bytes = b""
    """The ticket the client's session_ticket carried (empty: none, or a request for one)."""
    offered_etm: bool = False
    """The client sent encrypt_then_mac."""
    offered_point_formats: bool = False
    """The client sent ec_point_formats (our ServerHello then answers with its own)."""

    @property
    def client_random(self) -> bytes:
        return self.client_hello.random


def read_client_hello(config: ServerConfig, ch: ClientHello) -> HelloFacts:
    if ch.version < TLS12_VERSION:
        raise ProtocolVersionError(
            f"client offers at most version {ch.version:#06x}; only TLS 1.2 is supported"
        )
    if CompressionMethod.null not in ch.compression_methods:
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
    if sni is not None and not sni.listed:
        # RFC 6066 §3: a client's server_name carries a ServerNameList<1..2^16-1>.
        raise DecodeError("client's server_name extension is empty (it needs a ServerNameList)")
    server_name = sni.host_name if sni else None
    alpn_ext = exts.get(ext.ApplicationLayerProtocols)
    alpn = negotiate.choose_alpn(alpn_ext.protocols if alpn_ext else None, config.alpn_protocols)
    ticket = exts.get(ext.SessionTicket)
    return HelloFacts(
        client_hello=ch,
        server_random=os.urandom(32),
        extended_master_secret=ems,
        client_offered_ems=offered_ems,
        secure_renegotiation=secure_renegotiation,
        alpn_protocol=alpn,
        alpn_name=negotiate.alpn_name(alpn),
        server_name=server_name,
        wants_ticket=config.session_tickets and ticket is not None,
        sni_used=config.certificates_named(server_name) is not None,
        record_limits=record_limits.server_limits(config, ch),
        session_ticket=ticket.ticket if ticket is not None else b"",
        offered_etm=exts.has(ext.EncryptThenMac),
        offered_point_formats=formats is not None,
    )


class FullChoice(NamedTuple):
    """What the server picks for a full handshake."""

    session_id: bytes
    suite: CipherSuite
    certified: CertifiedKey | None
    """None for a PSK suite: no Certificate is sent."""
    scheme: SignatureScheme | None
    """None for RSA key transport: nothing is signed."""
    group: NamedGroup | None
    """The ECDHE or FFDHE group; None for RSA key transport."""
    encrypt_then_mac: bool


def choose_full(config: ServerConfig, facts: HelloFacts) -> FullChoice:
    ch = facts.client_hello
    exts = ch.extensions
    groups_ext = exts.get(ext.SupportedGroups)
    client_groups = groups_ext.groups if groups_ext else None
    # One set for the per-suite, per-certificate curve checks below (the list may hold 32,767).
    client_group_set = frozenset(client_groups) if client_groups is not None else None
    ec_group = negotiate.choose_group(client_groups, config.groups)
    ff_group = negotiate.choose_ffdhe(client_groups, config.ffdhe_groups)
    sig_ext = exts.get(ext.SignatureAlgorithms)
    client_schemes = sig_ext.schemes if sig_ext else None
    client_scheme_set = frozenset(client_schemes) if client_schemes is not None else None
    candidates = config.certificates_for(facts.server_name)
    picks: dict[int, tuple[CertifiedKey | None, SignatureScheme | None, NamedGroup | None]] = {}
    scheme_refusals: list[str] = []

    def usable(suite: CipherSuite) -> bool:
        if suite.uses_psk:  # config.cipher_suites holds PSK suites only when a PSK is configured
            psk_group = ec_group if suite.kx is KeyExchange.ECDHE_PSK else None
            picks[suite.id] = (None, None, psk_group)
            return psk_group is not None or suite.kx is KeyExchange.PSK
        group = {KeyExchange.ECDHE: ec_group, KeyExchange.DHE: ff_group}.get(suite.kx)
        if suite.kx is not KeyExchange.RSA and group is None:
            return False
        for certified in candidates:
            if not certificate_choice.fits(suite, certified):
                continue
            if not certificate_choice.curve_acceptable(certified, client_group_set):
                continue
            if suite.kx is KeyExchange.RSA:
                picks[suite.id] = (certified, None, None)
                return True
            try:
                scheme = certificate_choice.choose_scheme(
                    certified, client_schemes, client_scheme_set, config.signature_schemes
                )
            except HandshakeFailure as exc:
                scheme_refusals.append(str(exc))
                continue
            picks[suite.id] = (certified, scheme, group)
            return True
        return False

    suite = negotiate.choose_suite(
        ch.cipher_suites, config.cipher_suites, config.prefer_client_order, usable
    )
    if suite is None:
        if scheme_refusals:
            # Suites were in common, but the signature scheme is what failed: say so.
            raise HandshakeFailure(scheme_refusals[0])
        raise HandshakeFailure(_no_suite_reason(config, ch, ec_group))
    certified, scheme, group = picks[suite.id]
    etm = negotiate.choose_encrypt_then_mac(suite, config.encrypt_then_mac, facts.offered_etm)
    # A ticket makes server-side state unnecessary, but an ID still lets a ticket-less
    # resumption find the session when a store is configured.
    return FullChoice(os.urandom(32), suite, certified, scheme, group, etm)


def _no_suite_reason(config: ServerConfig, ch: ClientHello, ec_group: NamedGroup | None) -> str:
    """Says why, and names the option that would have allowed the client's suites."""
    offered = [BY_ID[s] for s in ch.cipher_suites if s in BY_ID]
    ours = set(config.cipher_suites)
    names = ", ".join(suite_name(s) for s in ch.cipher_suites[:8])
    if offered and not any(s in ours for s in offered):
        # Name the option only when it would help: our suites are within the default policy
        # and the client's are legacy suites that "compatible" adds.
        legacy = [s for s in offered if s in COMPATIBLE_SUITES and s not in DEFAULT_SUITES]
        if legacy and ours <= set(DEFAULT_SUITES) and len(legacy) == len(offered):
            return (
                f"the client offers only legacy suites outside the default policy ({names}); "
                "cipher_suites='compatible' would allow " + ", ".join(s.name for s in legacy[:4])
            )
        return (
            f"no cipher suite in common: the client offered {names}; this server has "
            + ", ".join(s.name for s in config.cipher_suites[:6])
        )
    if ec_group is None and any(s.kx is KeyExchange.ECDHE for s in offered):
        return f"no ECDHE group in common with the client (client offered {names})"
    return (
        f"no cipher suite in common with the client (client offered {names}); "
        "check the certificate types and signature schemes too"
    )


def server_hello_extensions(
    facts: HelloFacts,
    *,
    ems: bool,
    ticket: bool,
    etm: bool = False,
    resumed: bool = False,
    stapling: bool = False,
) -> ext.Extensions:
    """The ServerHello's extensions. server_name is acknowledged only when the name chose our
    certificate, and never on resumption (RFC 6066 §3); status_request only when a
    CertificateStatus follows (RFC 6066 §8).

    The answer depends on these flags and on values from our configuration only (the ALPN
    protocol is one of ours), never on other bytes of the peer's: each list is built and
    encoded once, in a small bounded table keyed by the flags."""
    limits = facts.record_limits
    key = (
        facts.secure_renegotiation,
        ems,
        facts.sni_used and not resumed,
        facts.offered_point_formats,
        facts.alpn_protocol,
        ticket,
        etm,
        limits.max_fragment_length,
        limits.own_record_size_limit,
        stapling,
    )
    found = _SERVER_HELLO_EXTENSIONS.get(key)
    if found is None:
        found = _server_hello_extensions(facts, ems, ticket, etm, resumed, stapling)
        found = found.kept_encoded()
        if len(_SERVER_HELLO_EXTENSIONS) >= _SERVER_HELLO_EXTENSIONS_MAX:
            _SERVER_HELLO_EXTENSIONS.clear()
        _SERVER_HELLO_EXTENSIONS[key] = found
    return found


_SERVER_HELLO_EXTENSIONS: dict[tuple[object, ...], ext.Extensions] = {}
_SERVER_HELLO_EXTENSIONS_MAX = 64


def _server_hello_extensions(
    facts: HelloFacts, ems: bool, ticket: bool, etm: bool, resumed: bool, stapling: bool
) -> ext.Extensions:
    items: list[ext.Extension] = []
    if facts.secure_renegotiation:
        items.append(ext.RenegotiationInfo(b""))
    if ems:
        items.append(ext.ExtendedMasterSecret())
    if facts.sni_used and not resumed:
        items.append(ext.ServerName(None))
    if facts.offered_point_formats:
        items.append(ext.ECPointFormats((0,)))
    if facts.alpn_protocol is not None:
        items.append(ext.ApplicationLayerProtocols((facts.alpn_protocol,)))
    if ticket:
        items.append(ext.SessionTicket(b""))
    if etm:
        items.append(ext.EncryptThenMac())
    items.extend(record_limits.server_extensions(facts.record_limits))
    if stapling:
        items.append(ext.StatusRequest(None))
    return ext.Extensions(tuple(items))


def send_full_flight(
    ctx: ServerContext, facts: HelloFacts, choice: FullChoice
) -> ServerKeyAgreement:
    """ServerHello, Certificate, [CertificateStatus], [ServerKeyExchange],
    [CertificateRequest], ServerHelloDone."""
    config = ctx.config
    staple = None
    if choice.certified is not None:  # a PSK suite has no certificate to staple for
        staple = staple_for(config, facts.client_hello, choice.certified)
    hello = ServerHello(
        random=facts.server_random,
        cipher_suite=choice.suite.id,
        session_id=choice.session_id,
        extensions=server_hello_extensions(
            facts,
            ems=facts.extended_master_secret,
            ticket=facts.wants_ticket,
            etm=choice.encrypt_then_mac,
            stapling=staple is not None,
        ),
    )
    ctx.send(
        hello,
        suite=choice.suite.name,
        alpn=facts.alpn_name,
        extended_master_secret=facts.extended_master_secret,
        encrypt_then_mac=choice.encrypt_then_mac or None,
    )
    record_limits.apply(ctx, facts.record_limits)
    if choice.certified is None:  # a PSK suite: no Certificate, no CertificateRequest
        psk_agreement = psk.send_server_key_exchange(ctx, choice.suite, choice.group)
        ctx.send_encoded(ServerHelloDone(), precomputed.SERVER_HELLO_DONE)
        ctx.flush()
        return psk_agreement
    ctx.send_encoded(
        Certificate(choice.certified.chain_der),
        precomputed.certificate_message(choice.certified),
        certificates=len(choice.certified.chain),
        subject=Lazy(describe, choice.certified.chain[0]),
    )
    if staple is not None:
        ctx.send(CertificateStatus(staple), status_type="ocsp", response_bytes=len(staple))
    agreement = send_server_key_exchange(
        ctx,
        choice.suite,
        choice.group,
        choice.certified.key,
        choice.scheme,
        facts.client_random,
        facts.server_random,
        facts.client_hello.version,
    )
    if config.client_auth is not ClientAuth.NONE:
        request, raw = precomputed.certificate_request(
            config.signature_schemes, config.client_trust, config.send_ca_names
        )
        ctx.send_encoded(request, raw, authorities=len(request.certificate_authorities))
    ctx.send_encoded(ServerHelloDone(), precomputed.SERVER_HELLO_DONE)
    ctx.flush()
    return agreement
