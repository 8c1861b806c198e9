"""The client's full handshake, one class per state (RFC 5246 §7.3, figure 1).

Transitions (message received → next state):

    ExpectServerCertificate  --Certificate-->         ExpectServerKeyExchange
                                                      | ExpectServerHelloDone (RSA key transport)
    ExpectServerKeyExchange  --ServerKeyExchange-->   ExpectServerHelloDone
    ExpectServerHelloDone    --CertificateRequest-->  ExpectServerHelloDone (once)
    ExpectServerHelloDone    --ServerHelloDone-->     client_finish.ExpectNewSessionTicket
                                                      | client_finish.ExpectChangeCipherSpec
                             (sends [Certificate] ClientKeyExchange [CertificateVerify]
                              ChangeCipherSpec Finished)

The ClientHello and ServerHello are in client_hello.py; the last steps in client_finish.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tls12.config import ClientConfig
from tls12.crypto.suites import Auth, KeyExchange
from tls12.errors import DecodeError, UnsupportedCertificate
from tls12.handshake.agreement import Agreement
from tls12.handshake.client_finish import after_keys
from tls12.handshake.client_hello import ServerHelloResult
from tls12.handshake.context import HandshakeContext
from tls12.handshake.finished import derive_master_secret, send_finished
from tls12.handshake.key_exchange import (
    VerifiedKeyExchange,
    client_key_exchange,
    read_server_key_exchange,
)
from tls12.handshake.limits import check_chain_length, check_request
from tls12.handshake.state import State
from tls12.messages.handshake import (
    Certificate,
    CertificateRequest,
    ClientKeyExchange,
    HandshakeMessage,
    ServerHelloDone,
    ServerKeyExchange,
)
from tls12.trace import Lazy


@dataclass(frozen=True)
class ServerIdentity:
    """The server's chain and public key; built only after the chain was checked (or the
    caller explicitly turned checking off)."""

    certificates: tuple[x509.Certificate, ...]
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    verified: bool


class ExpectServerCertificate(State):
    expects = (Certificate,)

    def __init__(self, ctx: HandshakeContext, hello: ServerHelloResult) -> None:
        super().__init__(ctx)
        self.hello = hello

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Certificate):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, certificates=len(msg.certificate_list))
        check_chain_length(self.ctx.config, len(msg.certificate_list), "server")
        identity = _check_server_chain(self.ctx.config, msg, self.hello)
        if self.ctx.trace.entries:
            from tls12.verify import describe

            self.ctx.trace.entries[-1].annotate(subject=Lazy(describe, identity.certificates[0]))
        if self.hello.suite.kx is KeyExchange.RSA:
            return ExpectServerHelloDone(self.ctx, self.hello, identity, None, None)
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
        name = hello.server_name if config.check_hostname else None
        certs = tuple(
            verify_server_chain(
                msg.certificate_list, name, config.trust_store, profile=config.verify_profile
            )
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
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise UnsupportedCertificate("the server certificate's key is neither RSA nor ECDSA")
    return ServerIdentity(certs, key, verified)


class ExpectServerKeyExchange(State):
    expects = (ServerKeyExchange,)

    def __init__(
        self, ctx: HandshakeContext, hello: ServerHelloResult, identity: ServerIdentity
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.identity = identity

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ServerKeyExchange):
            return super().handle(msg, raw)
        config: ClientConfig = self.ctx.config
        kx = read_server_key_exchange(
            self.hello.suite,
            msg.body,
            offered_groups=self.hello.client_hello_groups,
            offered_schemes=config.schemes,
            server_key=self.identity.public_key,
            client_random=self.hello.client_random,
            server_random=self.hello.server_random,
        )
        group = kx.group.name if kx.group else f"custom {kx.dh_p.bit_length()}-bit DH"
        self.ctx.received(msg, raw, group=group, signature=kx.scheme.name)
        return ExpectServerHelloDone(self.ctx, self.hello, self.identity, kx, None)


class ExpectServerHelloDone(State):
    expects = (CertificateRequest, ServerHelloDone)

    def __init__(
        self,
        ctx: HandshakeContext,
        hello: ServerHelloResult,
        identity: ServerIdentity,
        kx: VerifiedKeyExchange | None,
        request: CertificateRequest | None,
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.identity = identity
        self.kx = kx
        self.request = request

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if isinstance(msg, CertificateRequest) and self.request is None:
            check_request(self.ctx.config, msg)
            self.ctx.received(msg, raw, authorities=len(msg.certificate_authorities))
            return ExpectServerHelloDone(self.ctx, self.hello, self.identity, self.kx, msg)
        if not isinstance(msg, ServerHelloDone):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw)
        hello = self.hello
        agreement = Agreement(
            suite=hello.suite,
            master=self._send_client_flight(),
            session_id=hello.server_hello.session_id,
            extended_master_secret=hello.extended_master_secret,
            secure_renegotiation=hello.secure_renegotiation,
            encrypt_then_mac=hello.encrypt_then_mac,
            alpn_protocol=hello.alpn_protocol,
            server_name=hello.server_name,
            group=self.kx.group if self.kx else None,
            scheme=self.kx.scheme if self.kx else None,
            peer_certificates=self.identity.certificates,
            resumed=None,
        )
        return after_keys(self.ctx, agreement, ticket_expected=hello.ticket_expected)

    def _send_client_flight(self) -> bytes:
        ctx, hello = self.ctx, self.hello
        suite = hello.suite
        if self.request is not None:
            from tls12.handshake.client_auth import send_client_certificate

            signer = send_client_certificate(ctx, self.request)
        else:
            signer = None
        body, premaster = client_key_exchange(
            suite, self.kx, self.identity.public_key, hello.client_hello.version
        )
        ctx.send(ClientKeyExchange(body))
        master = derive_master_secret(
            ctx,
            suite,
            premaster,
            client_random=hello.client_random,
            server_random=hello.server_random,
            extended=hello.extended_master_secret,
        )
        if signer is not None:
            signer()
        ctx.install_pending_keys(
            suite, master, hello.client_random, hello.server_random, hello.encrypt_then_mac
        )
        send_finished(ctx, suite, master, from_client=True)
        return master
