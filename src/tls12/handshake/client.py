"""The client side of the full handshake, one class per state (RFC 5246 §7.3, figure 1).

Transitions (message received → next state):

    ExpectServerHello        --ServerHello-->         ExpectServerCertificate
    ExpectServerCertificate  --Certificate-->         ExpectServerKeyExchange
    ExpectServerKeyExchange  --ServerKeyExchange-->   ExpectServerHelloDone
    ExpectServerHelloDone    --CertificateRequest-->  ExpectServerHelloDone (once)
    ExpectServerHelloDone    --ServerHelloDone-->     ExpectChangeCipherSpec
                             (sends [Certificate] ClientKeyExchange [CertificateVerify]
                              ChangeCipherSpec Finished)
    ExpectChangeCipherSpec   --ChangeCipherSpec-->    ExpectFinished
    ExpectFinished           --Finished-->            ClientConnected
    ClientConnected          --HelloRequest-->        ClientConnected (no_renegotiation warning)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tls12.config import ClientConfig
from tls12.crypto import prf, signatures
from tls12.crypto.kx import EcdheKeyShare
from tls12.crypto.suites import BY_ID, Auth, CipherSuite
from tls12.errors import (
    DecodeError,
    HandshakeFailure,
    IllegalParameter,
    ProtocolVersionError,
    UnsupportedCertificate,
    UnsupportedExtension,
)
from tls12.events import HandshakeComplete, Negotiated, RenegotiationRefused
from tls12.handshake.context import HandshakeContext
from tls12.handshake.finished import FinishedVerified, check_finished
from tls12.handshake.state import State
from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    Certificate,
    CertificateRequest,
    ClientHello,
    ClientKeyExchange,
    Finished,
    HandshakeMessage,
    HelloRequest,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
)
from tls12.messages.key_exchange import EcdheServerKeyExchange, encode_ecdh_client_public
from tls12.wire.enums import TLS12_VERSION, AlertDescription, NamedGroup, SignatureScheme


@dataclass(frozen=True)
class ServerHelloResult:
    """What the client knows once ServerHello has been checked."""

    client_hello: ClientHello
    server_hello: ServerHello
    suite: CipherSuite
    extended_master_secret: bool
    secure_renegotiation: bool
    alpn_protocol: bytes | None
    server_name: str | None

    @property
    def client_random(self) -> bytes:
        return self.client_hello.random

    @property
    def server_random(self) -> bytes:
        return self.server_hello.random


@dataclass(frozen=True)
class ServerIdentity:
    """The server's chain and public key; built only after the chain was checked (or the
    caller explicitly turned checking off)."""

    certificates: tuple[x509.Certificate, ...]
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    verified: bool


@dataclass(frozen=True)
class VerifiedKeyExchange:
    """The server's ECDHE share, whose signature by the certificate key has been verified."""

    group: NamedGroup
    public: bytes
    scheme: SignatureScheme


def start(ctx: HandshakeContext, server_name: str | None) -> State:
    """Queues the ClientHello and returns the first state."""
    config: ClientConfig = ctx.config
    items: list[ext.Extension] = []
    if server_name and not _is_ip_literal(server_name):
        items.append(ext.ServerName(server_name.rstrip(".")))
    items.append(ext.SupportedGroups(tuple(config.groups)))
    items.append(ext.ECPointFormats((0,)))
    items.append(ext.SignatureAlgorithms(tuple(config.signature_schemes)))
    if config.alpn_protocols:
        items.append(ext.ApplicationLayerProtocols(tuple(config.alpn_protocols)))
    if config.extended_master_secret:
        items.append(ext.ExtendedMasterSecret())
    items.append(ext.RenegotiationInfo(b""))
    suites = tuple(s.id for s in config.cipher_suites)
    hello = ClientHello(
        random=os.urandom(32),
        cipher_suites=suites,
        session_id=b"",
        extensions=ext.Extensions(tuple(items)),
    )
    ctx.send(hello, server_name=server_name, suites=len(suites))
    ctx.flush()
    return ExpectServerHello(ctx, hello, server_name)


def _is_ip_literal(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class ExpectServerHello(State):
    def __init__(self, ctx: HandshakeContext, hello: ClientHello, server_name: str | None) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.server_name = server_name

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ServerHello):
            return super().handle(msg, raw)
        result = self._check(msg)
        self.ctx.received(
            msg,
            raw,
            suite=result.suite.name,
            alpn=result.alpn_protocol.decode() if result.alpn_protocol else None,
            extended_master_secret=result.extended_master_secret,
        )
        return ExpectServerCertificate(self.ctx, result)

    def _check(self, sh: ServerHello) -> ServerHelloResult:
        config: ClientConfig = self.ctx.config
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
        alpn = sh.extensions.get(ext.ApplicationLayerProtocols)
        protocol = None
        if alpn is not None:
            if len(alpn.protocols) != 1 or alpn.protocols[0] not in config.alpn_protocols:
                raise IllegalParameter("server's ALPN answer is not one protocol that we offered")
            protocol = alpn.protocols[0]
        return ServerHelloResult(
            client_hello=self.hello,
            server_hello=sh,
            suite=BY_ID[sh.cipher_suite],
            extended_master_secret=ems,
            secure_renegotiation=ri is not None,
            alpn_protocol=protocol,
            server_name=self.server_name,
        )


class ExpectServerCertificate(State):
    def __init__(self, ctx: HandshakeContext, hello: ServerHelloResult) -> None:
        super().__init__(ctx)
        self.hello = hello

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Certificate):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, certificates=len(msg.certificate_list))
        identity = _check_server_chain(self.ctx.config, msg, self.hello)
        if self.ctx.trace.entries:
            from tls12.verify import describe

            self.ctx.trace.entries[-1].details["subject"] = describe(identity.certificates[0])
        return ExpectServerKeyExchange(self.ctx, self.hello, identity)


def _check_server_chain(
    config: ClientConfig, msg: Certificate, hello: ServerHelloResult
) -> ServerIdentity:
    from tls12.verify import parse_chain, verify_server_chain

    if not msg.certificate_list:
        raise DecodeError("server sent an empty certificate list")
    if config.insecure_skip_verify:
        certs = tuple(parse_chain(msg.certificate_list))
        verified = False
    else:
        certs = tuple(
            verify_server_chain(msg.certificate_list, hello.server_name, config.trust_store)
        )
        verified = True
    key = certs[0].public_key()
    want = hello.suite.auth
    if want is Auth.RSA and not isinstance(key, rsa.RSAPublicKey):
        raise UnsupportedCertificate("the suite needs an RSA certificate; the server sent another")
    if want is Auth.ECDSA and not isinstance(key, ec.EllipticCurvePublicKey):
        raise UnsupportedCertificate(
            "the suite needs an ECDSA certificate; the server sent another"
        )
    return ServerIdentity(certs, key, verified)


class ExpectServerKeyExchange(State):
    def __init__(
        self, ctx: HandshakeContext, hello: ServerHelloResult, identity: ServerIdentity
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.identity = identity

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ServerKeyExchange):
            return super().handle(msg, raw)
        ske = EcdheServerKeyExchange.decode(msg.body)
        config: ClientConfig = self.ctx.config
        if ske.group not in config.groups:
            raise IllegalParameter(f"server chose group {NamedGroup(ske.group).name}, not offered")
        scheme = SignatureScheme(ske.signed.scheme)
        if scheme not in config.signature_schemes:
            raise IllegalParameter(f"server signed with {scheme.name}, which we did not offer")
        signed = self.hello.client_random + self.hello.server_random + ske.params()
        signatures.verify(self.identity.public_key, scheme, ske.signed.signature, signed)
        self.ctx.received(msg, raw, group=NamedGroup(ske.group).name, signature=scheme.name)
        kx = VerifiedKeyExchange(NamedGroup(ske.group), ske.public, scheme)
        return ExpectServerHelloDone(self.ctx, self.hello, self.identity, kx, None)


class ExpectServerHelloDone(State):
    def __init__(
        self,
        ctx: HandshakeContext,
        hello: ServerHelloResult,
        identity: ServerIdentity,
        kx: VerifiedKeyExchange,
        request: CertificateRequest | None,
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.identity = identity
        self.kx = kx
        self.request = request

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if isinstance(msg, CertificateRequest) and self.request is None:
            self.ctx.received(msg, raw, authorities=len(msg.certificate_authorities))
            return ExpectServerHelloDone(self.ctx, self.hello, self.identity, self.kx, msg)
        if not isinstance(msg, ServerHelloDone):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw)
        master = self._send_client_flight()
        return ExpectChangeCipherSpec(self.ctx, self.hello, self.identity, self.kx, master)

    def _send_client_flight(self) -> bytes:
        ctx, hello = self.ctx, self.hello
        suite = hello.suite
        if self.request is not None:
            from tls12.handshake.client_auth import send_client_certificate

            signer = send_client_certificate(ctx, self.request)
        else:
            signer = None
        share = EcdheKeyShare(self.kx.group)
        premaster = share.exchange(self.kx.public)
        ctx.send(ClientKeyExchange(encode_ecdh_client_public(share.public)))
        if hello.extended_master_secret:
            session_hash = ctx.transcript.digest(suite.prf_hash)
            master = prf.extended_master_secret(suite.prf_hash, premaster, session_hash)
        else:
            master = prf.master_secret(
                suite.prf_hash, premaster, hello.client_random, hello.server_random
            )
        if signer is not None:
            signer()
        ctx.install_pending_keys(suite, master, hello.client_random, hello.server_random)
        ctx.send_change_cipher_spec()
        ctx.send(Finished(ctx.finished_data(suite, master, from_client=True)))
        ctx.flush()
        return master


class ExpectChangeCipherSpec(State):
    def __init__(
        self,
        ctx: HandshakeContext,
        hello: ServerHelloResult,
        identity: ServerIdentity,
        kx: VerifiedKeyExchange,
        master: bytes,
    ) -> None:
        super().__init__(ctx)
        self.hello, self.identity, self.kx, self.master = hello, identity, kx, master

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, self.hello, self.identity, self.kx, self.master)


class ExpectFinished(State):
    def __init__(
        self,
        ctx: HandshakeContext,
        hello: ServerHelloResult,
        identity: ServerIdentity,
        kx: VerifiedKeyExchange,
        master: bytes,
    ) -> None:
        super().__init__(ctx)
        self.hello, self.identity, self.kx, self.master = hello, identity, kx, master

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        proof = check_finished(self.ctx, self.hello.suite, self.master, msg, from_client=False)
        self.ctx.received(msg, raw)
        negotiated = Negotiated(
            version="TLSv1.2",
            cipher_suite=self.hello.suite,
            group=self.kx.group,
            signature_scheme=self.kx.scheme,
            alpn_protocol=self.hello.alpn_protocol.decode() if self.hello.alpn_protocol else None,
            server_name=self.hello.server_name,
            extended_master_secret=self.hello.extended_master_secret,
            secure_renegotiation=self.hello.secure_renegotiation,
            resumed=False,
            session_id=self.hello.server_hello.session_id,
            peer_certificates=self.identity.certificates,
        )
        self.ctx.events.append(HandshakeComplete(negotiated))
        return ClientConnected(self.ctx, negotiated, proof)


class ClientConnected(State):
    connected = True

    def __init__(
        self, ctx: HandshakeContext, negotiated: Negotiated, proof: FinishedVerified
    ) -> None:
        super().__init__(ctx)
        self.negotiated = negotiated
        self.proof = proof

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if isinstance(msg, HelloRequest):
            # RFC 5246 §7.4.1.1: a client that does not want to renegotiate may answer with a
            # no_renegotiation warning; the connection goes on with the current keys.
            self.ctx.send_warning(AlertDescription.no_renegotiation)
            self.ctx.events.append(RenegotiationRefused())
            return self
        return super().handle(msg, raw)
