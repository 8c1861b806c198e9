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
from typing import NamedTuple

from cryptography import x509

from tls12.config import ClientAuth
from tls12.crypto import signatures
from tls12.crypto.suites import CipherSuite
from tls12.errors import HandshakeFailure, IllegalParameter
from tls12.events import HandshakeComplete
from tls12.handshake import negotiate, record_limits
from tls12.handshake.agreement import Agreement, agree, negotiated, new_session
from tls12.handshake.connected import Connected
from tls12.handshake.context import ServerContext
from tls12.handshake.finished import check_finished, derive_master_secret, send_finished
from tls12.handshake.key_exchange import ServerKeyAgreement
from tls12.handshake.limits import check_chain_length, check_hello
from tls12.handshake.psk import PskServerAgreement
from tls12.handshake.record_limits import RecordLimits
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
from tls12.trace import Lazy
from tls12.verify import describe, verify_client_chain
from tls12.wire.enums import SignatureScheme


@dataclass(frozen=True)
class ClientIdentity:
    """A client chain that was validated against client_trust."""

    certificates: tuple[x509.Certificate, ...]


class ServerFlight(NamedTuple):
    """What the server sent in a full handshake's first flight: the hello's facts, its
    choices, and the key agreement that turns the ClientKeyExchange into a premaster."""

    facts: HelloFacts
    choice: FullChoice
    share: ServerKeyAgreement


class ServerKeys(NamedTuple):
    """What the server knows once the master secret is fixed."""

    facts: HelloFacts
    agreement: Agreement


class ServerTerms(NamedTuple):
    """What the hellos settled, as the server reads it (agreement.HelloTerms): the facts of
    the ClientHello plus the suite, session ID and encrypt-then-MAC decision of this path."""

    facts: HelloFacts
    suite: CipherSuite
    session_id: bytes
    encrypt_then_mac: bool

    @property
    def extended_master_secret(self) -> bool:
        return self.facts.extended_master_secret

    @property
    def secure_renegotiation(self) -> bool:
        return self.facts.secure_renegotiation

    @property
    def alpn_protocol(self) -> str | None:
        return self.facts.alpn_name

    @property
    def server_name(self) -> str | None:
        return self.facts.server_name

    @property
    def record_limits(self) -> RecordLimits:
        return self.facts.record_limits


class ServerState(State):
    """A server state: its context carries the ServerConfig."""

    ctx: ServerContext

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)


class ExpectClientHello(ServerState):
    expects = (ClientHello,)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ClientHello):
            return super().handle(msg, raw)
        sni = msg.extensions.get(ext.ServerName)
        self.ctx.received(
            msg, raw, server_name=sni.host_name if sni else None, suites=len(msg.cipher_suites)
        )
        config = self.ctx.config
        check_hello(config, msg)
        facts = read_client_hello(config, msg)
        resumption = find_resumable(config, facts)
        if resumption is not None:
            return self._resume(facts, resumption)
        choice = choose_full(config, facts)
        share = send_full_flight(self.ctx, facts, choice)
        flight = ServerFlight(facts=facts, choice=choice, share=share)
        if config.client_auth is not ClientAuth.NONE and choice.certified is not None:
            return ExpectClientCertificate(self.ctx, flight=flight)
        return ExpectClientKeyExchange(self.ctx, flight=flight, client=None)

    def _resume(self, facts: HelloFacts, resumption: Resumption) -> State:
        """Figure 2: ServerHello echoing the session ID, then our CCS and Finished first."""
        ctx, session = self.ctx, resumption.session
        ch = facts.client_hello
        config = ctx.config
        etm = negotiate.choose_encrypt_then_mac(
            resumption.suite, config.encrypt_then_mac, facts.offered_etm
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
        record_limits.apply(ctx, facts.record_limits)
        ctx.install_pending_keys(
            resumption.suite, session.master_secret, facts.client_random, facts.server_random, etm
        )
        send_finished(ctx, resumption.suite, session.master_secret, from_client=False)
        client = None
        if session.peer_certificates_der:
            client = ClientIdentity(session.peer_certificates)
        agreement = agree(
            ServerTerms(facts, resumption.suite, ch.session_id, etm),
            master=session.master_secret,
            peer_certificates=client.certificates if client else (),
            resumed=session,
        )
        return ExpectChangeCipherSpec(ctx, keys=ServerKeys(facts=facts, agreement=agreement))


class ExpectClientCertificate(ServerState):
    expects = (Certificate,)

    def __init__(self, ctx: ServerContext, *, flight: ServerFlight) -> None:
        super().__init__(ctx)
        self.flight = flight

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Certificate):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, certificates=len(msg.certificate_list))
        config = self.ctx.config
        check_chain_length(config, len(msg.certificate_list), "client")
        if not msg.certificate_list:
            if config.client_auth is ClientAuth.REQUIRED:
                raise HandshakeFailure("the client sent no certificate, but one is required")
            return ExpectClientKeyExchange(self.ctx, flight=self.flight, client=None)
        trust = config.client_trust
        if trust is None:  # ServerConfig refuses client_auth without client_trust
            raise HandshakeFailure("no trust anchors are configured for client certificates")
        chain = verify_client_chain(msg.certificate_list, trust, profile=config.verify_profile)
        self.ctx.trace.entries[-1].annotate(subject=Lazy(describe, chain[0]))
        leaf_key = signatures.peer_signing_key(chain[0], "client")
        usable = set(signatures.schemes_for_key(leaf_key))
        if not usable & set(config.signature_schemes):
            raise HandshakeFailure(
                f"the client certificate's key ({signatures.key_type_name(leaf_key)})"
                " can sign with no signature scheme this server accepts"
            )
        identity = ClientIdentity(tuple(chain))
        return ExpectClientKeyExchange(self.ctx, flight=self.flight, client=identity)


class ExpectClientKeyExchange(ServerState):
    expects = (ClientKeyExchange,)

    def __init__(
        self, ctx: ServerContext, *, flight: ServerFlight, client: ClientIdentity | None
    ) -> None:
        super().__init__(ctx)
        self.flight, self.client = flight, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ClientKeyExchange):
            return super().handle(msg, raw)
        facts, choice = self.flight.facts, self.flight.choice
        suite = choice.suite
        share = self.flight.share
        premaster = share.premaster(msg.body)
        psk = share.use if isinstance(share, PskServerAgreement) else None
        self.ctx.received(msg, raw)
        master = derive_master_secret(
            self.ctx,
            suite,
            premaster,
            client_random=facts.client_random,
            server_random=facts.server_random,
            extended=facts.extended_master_secret,
        )
        self.ctx.install_pending_keys(
            suite, master, facts.client_random, facts.server_random, choice.encrypt_then_mac
        )
        agreement = agree(
            ServerTerms(facts, suite, choice.session_id, choice.encrypt_then_mac),
            master=master,
            peer_certificates=self.client.certificates if self.client else (),
            key_exchange=(choice.group, choice.scheme),
            psk_identity=psk.identity if psk else None,
            psk_binding=psk.binding if psk else b"",
        )
        keys = ServerKeys(facts=facts, agreement=agreement)
        if self.client is not None:
            return ExpectCertificateVerify(self.ctx, keys=keys, client=self.client)
        return ExpectChangeCipherSpec(self.ctx, keys=keys)


class ExpectCertificateVerify(ServerState):
    expects = (CertificateVerify,)

    def __init__(self, ctx: ServerContext, *, keys: ServerKeys, client: ClientIdentity) -> None:
        super().__init__(ctx)
        self.keys, self.client = keys, client

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, CertificateVerify):
            return super().handle(msg, raw)
        scheme = SignatureScheme(msg.scheme)
        if scheme not in self.ctx.config.signature_schemes:
            raise IllegalParameter(f"client signed with {scheme.name}, which we did not request")
        key = signatures.peer_signing_key(self.client.certificates[0], "client")
        signatures.verify(key, scheme, msg.signature, self.ctx.transcript.messages())
        self.ctx.received(msg, raw, signature=scheme.name)
        return ExpectChangeCipherSpec(self.ctx, keys=self.keys)


class ExpectChangeCipherSpec(ServerState):
    def __init__(self, ctx: ServerContext, *, keys: ServerKeys) -> None:
        super().__init__(ctx)
        self.keys = keys

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, keys=self.keys)


class ExpectFinished(ServerState):
    expects = (Finished,)

    def __init__(self, ctx: ServerContext, *, keys: ServerKeys) -> None:
        super().__init__(ctx)
        self.keys = keys

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        ctx, facts, agreement = self.ctx, self.keys.facts, self.keys.agreement
        config = ctx.config
        proof = check_finished(ctx, agreement.suite, agreement.master, msg, from_client=True)
        ctx.received(msg, raw)
        if agreement.resumed is not None:
            session = agreement.resumed
        else:
            session = new_session(
                agreement, created=config.clock(), lifetime=config.session_lifetime
            )
            if facts.wants_ticket and config.ticket_keys is not None:
                ticket = config.ticket_keys.seal(session)
                ctx.send(
                    NewSessionTicket(config.session_lifetime, ticket),
                    lifetime_hint=config.session_lifetime,
                )
            elif config.session_store is not None:
                config.session_store.put(agreement.session_id, session)
            send_finished(ctx, agreement.suite, agreement.master, from_client=False)
        ch = facts.client_hello
        result = negotiated(
            agreement,
            offered_cipher_suites=tuple(ch.cipher_suites),
            offered_session=bool(ch.session_id) or bool(facts.session_ticket),
        )
        ctx.events.append(HandshakeComplete(result))
        return ServerConnected(ctx, negotiated=result, proof=proof, session=session)


class ServerConnected(Connected):
    """A new ClientHello on an established connection asks to renegotiate."""

    renegotiation_request = ClientHello
