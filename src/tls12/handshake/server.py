"""The server side of the full handshake, one class per state (RFC 5246 §7.3, figure 1).

Transitions (message received → next state):

    ExpectClientHello        --ClientHello-->        ExpectClientCertificate (asked for one)
                                                     | ExpectClientKeyExchange
                             (sends ServerHello Certificate ServerKeyExchange
                              [CertificateRequest] ServerHelloDone)
    ExpectClientCertificate  --Certificate-->        ExpectClientKeyExchange
    ExpectClientKeyExchange  --ClientKeyExchange-->  ExpectCertificateVerify (non-empty chain)
                                                     | ExpectChangeCipherSpec
    ExpectCertificateVerify  --CertificateVerify-->  ExpectChangeCipherSpec
    ExpectChangeCipherSpec   --ChangeCipherSpec-->   ExpectFinished
    ExpectFinished           --Finished-->           ServerConnected
                             (sends ChangeCipherSpec Finished)
    ServerConnected          --ClientHello-->        ServerConnected (no_renegotiation warning)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography import x509

from tls12.config import CertifiedKey, ClientAuth, ServerConfig
from tls12.crypto import prf, signatures
from tls12.crypto.kx import EcdheKeyShare
from tls12.crypto.suites import TLS_EMPTY_RENEGOTIATION_INFO_SCSV, CipherSuite, suite_name
from tls12.errors import HandshakeFailure, IllegalParameter, ProtocolVersionError, UnexpectedMessage
from tls12.events import HandshakeComplete, Negotiated, RenegotiationRefused
from tls12.handshake import negotiate
from tls12.handshake.context import HandshakeContext
from tls12.handshake.finished import FinishedVerified, check_finished
from tls12.handshake.state import State
from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    Certificate,
    CertificateRequest,
    CertificateVerify,
    ClientHello,
    ClientKeyExchange,
    Finished,
    HandshakeMessage,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
)
from tls12.messages.key_exchange import (
    DigitallySigned,
    EcdheServerKeyExchange,
    decode_ecdh_client_public,
)
from tls12.wire.enums import (
    TLS12_VERSION,
    AlertDescription,
    ClientCertificateType,
    NamedGroup,
    SignatureScheme,
)


@dataclass(frozen=True)
class ServerAgreement:
    """What the server decided from the ClientHello."""

    client_hello: ClientHello
    server_random: bytes
    session_id: bytes
    suite: CipherSuite
    certified: CertifiedKey
    scheme: SignatureScheme
    group: NamedGroup
    extended_master_secret: bool
    secure_renegotiation: bool
    alpn_protocol: bytes | None
    server_name: str | None

    @property
    def client_random(self) -> bytes:
        return self.client_hello.random


class ExpectClientHello(State):
    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ClientHello):
            return super().handle(msg, raw)
        sni = msg.extensions.get(ext.ServerName)
        self.ctx.received(
            msg, raw, server_name=sni.host_name if sni else None, suites=len(msg.cipher_suites)
        )
        agreed = agree(self.ctx.config, msg)
        share = send_server_flight(self.ctx, agreed)
        if self.ctx.config.client_auth is not ClientAuth.NONE:
            return ExpectClientCertificate(self.ctx, agreed, share)
        return ExpectClientKeyExchange(self.ctx, agreed, share, None)


def agree(config: ServerConfig, ch: ClientHello) -> ServerAgreement:
    """Checks the ClientHello and picks every parameter of the handshake."""
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
    ems = exts.has(ext.ExtendedMasterSecret) and config.extended_master_secret
    if config.require_extended_master_secret and not ems:
        raise HandshakeFailure("client does not support the extended master secret (RFC 7627)")
    sni = exts.get(ext.ServerName)
    server_name = sni.host_name if sni else None
    alpn_ext = exts.get(ext.ApplicationLayerProtocols)
    alpn = negotiate.choose_alpn(alpn_ext.protocols if alpn_ext else None, config.alpn_protocols)
    groups_ext = exts.get(ext.SupportedGroups)
    group = negotiate.choose_group(groups_ext.groups if groups_ext else None, config.groups)
    sig_ext = exts.get(ext.SignatureAlgorithms)
    client_schemes = sig_ext.schemes if sig_ext else None
    candidates = config.certificates_for(server_name)

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
    if suite is None:
        offered = ", ".join(suite_name(s) for s in ch.cipher_suites[:12])
        reason = "no group in common" if group is None else "no cipher suite in common"
        raise HandshakeFailure(
            f"{reason} with the client (client offered {offered}); "
            "a wider cipher_suites/groups configuration may allow it"
        )
    certified, scheme = picks[suite.id]
    return ServerAgreement(
        client_hello=ch,
        server_random=os.urandom(32),
        session_id=os.urandom(32),
        suite=suite,
        certified=certified,
        scheme=scheme,
        group=group,  # type: ignore[arg-type]
        extended_master_secret=ems,
        secure_renegotiation=secure_renegotiation,
        alpn_protocol=alpn,
        server_name=server_name,
    )


def send_server_flight(ctx: HandshakeContext, agreed: ServerAgreement) -> EcdheKeyShare:
    """ServerHello, Certificate, ServerKeyExchange, [CertificateRequest], ServerHelloDone."""
    config: ServerConfig = ctx.config
    ch = agreed.client_hello
    items: list[ext.Extension] = []
    if agreed.secure_renegotiation:
        items.append(ext.RenegotiationInfo(b""))
    if agreed.extended_master_secret:
        items.append(ext.ExtendedMasterSecret())
    if agreed.server_name is not None:
        items.append(ext.ServerName(None))
    if ch.extensions.has(ext.ECPointFormats):
        items.append(ext.ECPointFormats((0,)))
    if agreed.alpn_protocol is not None:
        items.append(ext.ApplicationLayerProtocols((agreed.alpn_protocol,)))
    hello = ServerHello(
        random=agreed.server_random,
        cipher_suite=agreed.suite.id,
        session_id=agreed.session_id,
        extensions=ext.Extensions(tuple(items)),
    )
    alpn = agreed.alpn_protocol.decode(errors="replace") if agreed.alpn_protocol else None
    ctx.send(
        hello,
        suite=agreed.suite.name,
        alpn=alpn,
        extended_master_secret=agreed.extended_master_secret,
    )
    from tls12.verify import describe

    ctx.send(
        Certificate(agreed.certified.chain_der),
        certificates=len(agreed.certified.chain),
        subject=describe(agreed.certified.chain[0]),
    )
    share = EcdheKeyShare(agreed.group)
    params = EcdheServerKeyExchange.encode_params(agreed.group, share.public)
    signed = agreed.client_random + agreed.server_random + params
    signature = signatures.sign(agreed.certified.key, agreed.scheme, signed)
    ske = EcdheServerKeyExchange(
        agreed.group, share.public, DigitallySigned(agreed.scheme, signature)
    )
    ctx.send(ServerKeyExchange(ske.encode()), group=agreed.group.name, signature=agreed.scheme.name)
    if config.client_auth is not ClientAuth.NONE:
        names = tuple(config.client_trust.subjects_der) if config.send_ca_names else ()  # type: ignore[union-attr]
        request = CertificateRequest(
            certificate_types=(ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign),
            signature_algorithms=tuple(config.signature_schemes),
            certificate_authorities=names,
        )
        ctx.send(request, authorities=len(names))
    ctx.send(ServerHelloDone())
    ctx.flush()
    return share


@dataclass(frozen=True)
class ClientIdentity:
    """A client chain that was validated against client_trust."""

    certificates: tuple[x509.Certificate, ...]


class ExpectClientCertificate(State):
    def __init__(self, ctx: HandshakeContext, agreed: ServerAgreement, share: EcdheKeyShare):
        super().__init__(ctx)
        self.agreed, self.share = agreed, share

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Certificate):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, certificates=len(msg.certificate_list))
        config: ServerConfig = self.ctx.config
        if not msg.certificate_list:
            if config.client_auth is ClientAuth.REQUIRED:
                raise HandshakeFailure("the client sent no certificate, but one is required")
            return ExpectClientKeyExchange(self.ctx, self.agreed, self.share, None)
        from tls12.verify import describe, verify_client_chain

        chain = verify_client_chain(msg.certificate_list, config.client_trust)  # type: ignore[arg-type]
        self.ctx.trace.entries[-1].details["subject"] = describe(chain[0])
        identity = ClientIdentity(tuple(chain))
        return ExpectClientKeyExchange(self.ctx, self.agreed, self.share, identity)


class ExpectClientKeyExchange(State):
    def __init__(
        self,
        ctx: HandshakeContext,
        agreed: ServerAgreement,
        share: EcdheKeyShare,
        client: ClientIdentity | None,
    ) -> None:
        super().__init__(ctx)
        self.agreed, self.share, self.client = agreed, share, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ClientKeyExchange):
            return super().handle(msg, raw)
        agreed, suite = self.agreed, self.agreed.suite
        premaster = self.share.exchange(decode_ecdh_client_public(msg.body))
        self.ctx.received(msg, raw)
        if agreed.extended_master_secret:
            session_hash = self.ctx.transcript.digest(suite.prf_hash)
            master = prf.extended_master_secret(suite.prf_hash, premaster, session_hash)
        else:
            master = prf.master_secret(
                suite.prf_hash, premaster, agreed.client_random, agreed.server_random
            )
        self.ctx.install_pending_keys(suite, master, agreed.client_random, agreed.server_random)
        if self.client is not None:
            return ExpectCertificateVerify(self.ctx, agreed, master, self.client)
        return ExpectChangeCipherSpec(self.ctx, agreed, master, None)


class ExpectCertificateVerify(State):
    def __init__(
        self, ctx: HandshakeContext, agreed: ServerAgreement, master: bytes, client: ClientIdentity
    ) -> None:
        super().__init__(ctx)
        self.agreed, self.master, self.client = agreed, master, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, CertificateVerify):
            return super().handle(msg, raw)
        scheme = SignatureScheme(msg.scheme)
        if scheme not in self.ctx.config.signature_schemes:
            raise IllegalParameter(f"client signed with {scheme.name}, which we did not request")
        key = self.client.certificates[0].public_key()
        signatures.verify(key, scheme, msg.signature, self.ctx.transcript.messages())  # type: ignore[arg-type]
        self.ctx.received(msg, raw, signature=scheme.name)
        return ExpectChangeCipherSpec(self.ctx, self.agreed, self.master, self.client)


class ExpectChangeCipherSpec(State):
    def __init__(
        self,
        ctx: HandshakeContext,
        agreed: ServerAgreement,
        master: bytes,
        client: ClientIdentity | None,
    ) -> None:
        super().__init__(ctx)
        self.agreed, self.master, self.client = agreed, master, client

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, self.agreed, self.master, self.client)


class ExpectFinished(State):
    def __init__(
        self,
        ctx: HandshakeContext,
        agreed: ServerAgreement,
        master: bytes,
        client: ClientIdentity | None,
    ) -> None:
        super().__init__(ctx)
        self.agreed, self.master, self.client = agreed, master, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        agreed, ctx = self.agreed, self.ctx
        proof = check_finished(ctx, agreed.suite, self.master, msg, from_client=True)
        ctx.received(msg, raw)
        ctx.send_change_cipher_spec()
        ctx.send(Finished(ctx.finished_data(agreed.suite, self.master, from_client=False)))
        ctx.flush()
        negotiated = Negotiated(
            version="TLSv1.2",
            cipher_suite=agreed.suite,
            group=agreed.group,
            signature_scheme=agreed.scheme,
            alpn_protocol=agreed.alpn_protocol.decode() if agreed.alpn_protocol else None,
            server_name=agreed.server_name,
            extended_master_secret=agreed.extended_master_secret,
            secure_renegotiation=agreed.secure_renegotiation,
            resumed=False,
            session_id=agreed.session_id,
            peer_certificates=self.client.certificates if self.client else (),
        )
        ctx.events.append(HandshakeComplete(negotiated))
        return ServerConnected(ctx, negotiated, proof)


class ServerConnected(State):
    connected = True

    def __init__(
        self, ctx: HandshakeContext, negotiated: Negotiated, proof: FinishedVerified
    ) -> None:
        super().__init__(ctx)
        self.negotiated = negotiated
        self.proof = proof

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if isinstance(msg, ClientHello):
            # We never renegotiate: refuse with a warning and keep the current keys (RFC 5746
            # leaves the choice to the server; RFC 5246 §7.2.2 defines no_renegotiation).
            self.ctx.send_warning(AlertDescription.no_renegotiation)
            self.ctx.events.append(RenegotiationRefused())
            return self
        raise UnexpectedMessage(f"{type(msg).__name__} is not expected after the handshake")
