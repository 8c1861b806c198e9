"""The server's handshake states, one class per state (RFC 5246 §7.3, figures 1 and 2).

Transitions (message received → next state):

    ExpectClientHello        --ClientHello, resumable session-->  ExpectChangeCipherSpec
                             (sends ServerHello [NewSessionTicket] ChangeCipherSpec Finished)
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
                             (full handshake: sends [NewSessionTicket] ChangeCipherSpec Finished)
    ServerConnected          --ClientHello-->        ServerConnected (no_renegotiation warning)
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tls12.config import ClientAuth, ServerConfig
from tls12.crypto import prf, rsa_pss, signatures
from tls12.crypto.suites import CipherSuite
from tls12.errors import HandshakeFailure, IllegalParameter
from tls12.events import HandshakeComplete, Negotiated
from tls12.handshake.connected import Connected
from tls12.handshake.context import HandshakeContext
from tls12.handshake.finished import check_finished
from tls12.handshake.key_exchange import ServerKeyAgreement
from tls12.handshake.limits import check_chain_length, check_hello
from tls12.handshake.resumption import Resumption, find_resumable
from tls12.handshake.server_hello import (
    FullChoice,
    HelloFacts,
    choose_full,
    read_client_hello,
    send_full_flight,
    server_hello_extensions,
)
from tls12.handshake.state import State
from tls12.messages import extensions as ext
from tls12.messages.handshake import (
    Certificate,
    CertificateVerify,
    ClientHello,
    ClientKeyExchange,
    Finished,
    HandshakeMessage,
    NewSessionTicket,
    ServerHello,
)
from tls12.sessions import Session
from tls12.trace import Lazy
from tls12.wire.enums import SignatureScheme


@dataclass(frozen=True)
class ClientIdentity:
    """A client chain that was validated against client_trust."""

    certificates: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class ServerKeys:
    """What the server knows once the master secret is fixed."""

    facts: HelloFacts
    suite: CipherSuite
    session_id: bytes
    master: bytes
    client: ClientIdentity | None
    full: FullChoice | None
    """The full handshake's choices; None when a session is being resumed."""
    resumed: Resumption | None
    encrypt_then_mac: bool


class ExpectClientHello(State):
    expects = (ClientHello,)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ClientHello):
            return super().handle(msg, raw)
        sni = msg.extensions.get(ext.ServerName)
        self.ctx.received(
            msg, raw, server_name=sni.host_name if sni else None, suites=len(msg.cipher_suites)
        )
        config: ServerConfig = self.ctx.config
        check_hello(config, msg)
        facts = read_client_hello(config, msg)
        resumption = find_resumable(config, facts)
        if resumption is not None:
            return self._resume(facts, resumption)
        choice = choose_full(config, facts)
        share = send_full_flight(self.ctx, facts, choice)
        if config.client_auth is not ClientAuth.NONE:
            return ExpectClientCertificate(self.ctx, facts, choice, share)
        return ExpectClientKeyExchange(self.ctx, facts, choice, share, None)

    def _resume(self, facts: HelloFacts, resumption: Resumption) -> State:
        """Figure 2: ServerHello echoing the session ID, then our CCS and Finished first."""
        ctx, session = self.ctx, resumption.session
        ch = facts.client_hello
        config: ServerConfig = ctx.config
        etm = (
            not resumption.suite.is_aead
            and config.encrypt_then_mac
            and ch.extensions.has(ext.EncryptThenMac)
        )
        hello = ServerHello(
            random=facts.server_random,
            cipher_suite=resumption.suite.id,
            session_id=ch.session_id,
            extensions=server_hello_extensions(
                facts, ems=session.extended_master_secret, ticket=False, etm=etm, resumed=True
            ),
        )
        ctx.send(
            hello,
            suite=resumption.suite.name,
            resumed=True,
            resumed_by="ticket" if resumption.by_ticket else "session id",
        )
        ctx.install_pending_keys(
            resumption.suite, session.master_secret, facts.client_random, facts.server_random, etm
        )
        ctx.send_change_cipher_spec()
        ctx.send(Finished(ctx.finished_data(resumption.suite, session.master_secret, False)))
        ctx.flush()
        client = None
        if session.peer_certificates_der:
            client = ClientIdentity(session.peer_certificates)
        keys = ServerKeys(
            facts,
            resumption.suite,
            ch.session_id,
            session.master_secret,
            client,
            None,
            resumption,
            etm,
        )
        return ExpectChangeCipherSpec(ctx, keys)


class ExpectClientCertificate(State):
    expects = (Certificate,)

    def __init__(
        self,
        ctx: HandshakeContext,
        facts: HelloFacts,
        choice: FullChoice,
        share: ServerKeyAgreement,
    ) -> None:
        super().__init__(ctx)
        self.facts, self.choice, self.share = facts, choice, share

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Certificate):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, certificates=len(msg.certificate_list))
        config: ServerConfig = self.ctx.config
        check_chain_length(config, len(msg.certificate_list), "client")
        if not msg.certificate_list:
            if config.client_auth is ClientAuth.REQUIRED:
                raise HandshakeFailure("the client sent no certificate, but one is required")
            return ExpectClientKeyExchange(self.ctx, self.facts, self.choice, self.share, None)
        from tls12.verify import describe, verify_client_chain

        trust = config.client_trust
        if trust is None:  # ServerConfig refuses client_auth without client_trust
            raise HandshakeFailure("no trust anchors are configured for client certificates")
        chain = verify_client_chain(msg.certificate_list, trust, profile=config.verify_profile)
        self.ctx.trace.entries[-1].annotate(subject=Lazy(describe, chain[0]))
        leaf_key = rsa_pss.certificate_public_key(chain[0])
        usable = set(signatures.schemes_for_key(leaf_key))  # type: ignore[arg-type]
        if not usable & set(config.schemes):
            raise HandshakeFailure(
                f"the client certificate's key ({signatures.key_type_name(leaf_key)})"  # type: ignore[arg-type]
                " can sign with no signature scheme this server accepts"
            )
        identity = ClientIdentity(tuple(chain))
        return ExpectClientKeyExchange(self.ctx, self.facts, self.choice, self.share, identity)


class ExpectClientKeyExchange(State):
    expects = (ClientKeyExchange,)

    def __init__(
        self,
        ctx: HandshakeContext,
        facts: HelloFacts,
        choice: FullChoice,
        share: ServerKeyAgreement,
        client: ClientIdentity | None,
    ) -> None:
        super().__init__(ctx)
        self.facts, self.choice, self.share, self.client = facts, choice, share, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ClientKeyExchange):
            return super().handle(msg, raw)
        facts, suite = self.facts, self.choice.suite
        premaster = self.share.premaster(msg.body)
        self.ctx.received(msg, raw)
        if facts.extended_master_secret:
            session_hash = self.ctx.transcript.digest(suite.prf_hash)
            master = prf.extended_master_secret(suite.prf_hash, premaster, session_hash)
        else:
            master = prf.master_secret(
                suite.prf_hash, premaster, facts.client_random, facts.server_random
            )
        self.ctx.install_pending_keys(
            suite, master, facts.client_random, facts.server_random, self.choice.encrypt_then_mac
        )
        keys = ServerKeys(
            facts,
            suite,
            self.choice.session_id,
            master,
            self.client,
            self.choice,
            None,
            self.choice.encrypt_then_mac,
        )
        if self.client is not None:
            return ExpectCertificateVerify(self.ctx, keys, self.client)
        return ExpectChangeCipherSpec(self.ctx, keys)


class ExpectCertificateVerify(State):
    expects = (CertificateVerify,)

    def __init__(self, ctx: HandshakeContext, keys: ServerKeys, client: ClientIdentity) -> None:
        super().__init__(ctx)
        self.keys, self.client = keys, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, CertificateVerify):
            return super().handle(msg, raw)
        scheme = SignatureScheme(msg.scheme)
        if scheme not in self.ctx.config.schemes:
            raise IllegalParameter(f"client signed with {scheme.name}, which we did not request")
        key = rsa_pss.certificate_public_key(self.client.certificates[0])
        signatures.verify(key, scheme, msg.signature, self.ctx.transcript.messages())  # type: ignore[arg-type]
        self.ctx.received(msg, raw, signature=scheme.name)
        return ExpectChangeCipherSpec(self.ctx, self.keys)


class ExpectChangeCipherSpec(State):
    def __init__(self, ctx: HandshakeContext, keys: ServerKeys) -> None:
        super().__init__(ctx)
        self.keys = keys

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, self.keys)


class ExpectFinished(State):
    expects = (Finished,)

    def __init__(self, ctx: HandshakeContext, keys: ServerKeys) -> None:
        super().__init__(ctx)
        self.keys = keys

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        keys, ctx = self.keys, self.ctx
        config: ServerConfig = ctx.config
        proof = check_finished(ctx, keys.suite, keys.master, msg, from_client=True)
        ctx.received(msg, raw)
        if keys.resumed is not None:
            session = keys.resumed.session
        else:
            session = self._new_session()
            if keys.facts.wants_ticket and config.ticket_keys is not None:
                ticket = config.ticket_keys.seal(session)
                ctx.send(
                    NewSessionTicket(config.session_lifetime, ticket),
                    lifetime_hint=config.session_lifetime,
                )
            elif config.session_store is not None:
                config.session_store.put(keys.session_id, session)
            ctx.send_change_cipher_spec()
            ctx.send(Finished(ctx.finished_data(keys.suite, keys.master, from_client=False)))
            ctx.flush()
        full = keys.full
        facts = keys.facts
        negotiated = Negotiated(
            version="TLSv1.2",
            cipher_suite=keys.suite,
            group=full.group if full else None,
            signature_scheme=full.scheme if full else None,
            alpn_protocol=facts.alpn_protocol.decode() if facts.alpn_protocol else None,
            server_name=facts.server_name,
            extended_master_secret=session.extended_master_secret,
            secure_renegotiation=facts.secure_renegotiation,
            resumed=keys.resumed is not None,
            session_id=keys.session_id,
            encrypt_then_mac=keys.encrypt_then_mac,
            peer_certificates=keys.client.certificates if keys.client else (),
            offered_cipher_suites=tuple(facts.client_hello.cipher_suites),
            offered_session=bool(facts.client_hello.session_id)
            or bool(getattr(facts.client_hello.extensions.get(ext.SessionTicket), "ticket", b"")),
        )
        ctx.events.append(HandshakeComplete(negotiated))
        return ServerConnected(ctx, negotiated, proof, session)

    def _new_session(self) -> Session:
        keys, config = self.keys, self.ctx.config
        certs = keys.client.certificates if keys.client else ()
        alpn = keys.facts.alpn_protocol
        return Session(
            session_id=keys.session_id,
            cipher_suite=keys.suite.id,
            master_secret=keys.master,
            extended_master_secret=keys.facts.extended_master_secret,
            server_name=keys.facts.server_name,
            alpn_protocol=alpn.decode(errors="replace") if alpn else None,
            peer_certificates_der=tuple(c.public_bytes(Encoding.DER) for c in certs),
            created=config.clock(),
            lifetime=config.session_lifetime,
        )


class ServerConnected(Connected):
    """A new ClientHello on an established connection asks to renegotiate."""

    renegotiation_request = ClientHello
