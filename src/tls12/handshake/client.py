"""The client's handshake, one class per state in the order of RFC 5246 figure 1 (the
abbreviated handshake of figure 2 leaves it at ExpectServerHello and rejoins at
ExpectNewSessionTicket). The hellos themselves are built and checked in client_hello.py; the
answer to a CertificateRequest is chosen in client_auth.py.

Transitions (message received → next state):

    start()                  queues ClientHello (offering a session when one is given)
    ExpectServerHello        --ServerHello-->          ExpectServerCertificate (new session)
                                                      | ExpectPskServerKeyExchange (PSK suite)
                                                      | ExpectNewSessionTicket (echoed session ID)
                                                      | ExpectChangeCipherSpec (echoed session ID)
    ExpectServerCertificate  --Certificate-->         ExpectServerKeyExchange
                                                      | ExpectServerHelloDone (RSA key transport)
                                                      | ExpectCertificateStatus (status echoed)
    ExpectCertificateStatus  --CertificateStatus-->   ExpectServerKeyExchange
                                                      | ExpectServerHelloDone (RSA key transport)
                             (RFC 6066 §8: the server may leave it out; the next message then
                              goes to the state that follows)
    ExpectServerKeyExchange  --ServerKeyExchange-->   ExpectServerHelloDone
    ExpectPskServerKeyExchange --ServerKeyExchange--> ExpectServerHelloDone (PSK suites:
                             no Certificate, no CertificateRequest)
    ExpectPskServerKeyExchange --ServerHelloDone-->   ExpectServerHelloDone, which handles it
                             (plain PSK without a hint: no ServerKeyExchange, RFC 4279 §2)
    ExpectServerHelloDone    --CertificateRequest-->  ExpectServerHelloDone (once)
    ExpectServerHelloDone    --ServerHelloDone-->     ExpectNewSessionTicket
                                                      | ExpectChangeCipherSpec
                             (sends [Certificate] ClientKeyExchange [CertificateVerify]
                              ChangeCipherSpec Finished)
    ExpectNewSessionTicket   --NewSessionTicket-->    ExpectChangeCipherSpec
    ExpectChangeCipherSpec   --ChangeCipherSpec-->    ExpectFinished
    ExpectFinished           --Finished-->            ClientConnected
                             (abbreviated: sends ChangeCipherSpec Finished)
    ClientConnected          --HelloRequest-->        ClientConnected (no_renegotiation warning)
"""

from __future__ import annotations

from tls12.crypto.suites import DEFAULT_SUITES, KeyExchange
from tls12.errors import IllegalParameter
from tls12.events import HandshakeComplete
from tls12.handshake import psk, record_limits
from tls12.handshake.agreement import Agreement, agree, negotiated, new_session
from tls12.handshake.certificate_status import (
    check_no_staple,
    check_staple,
    requests_status,
    server_will_staple,
)
from tls12.handshake.client_auth import send_client_certificate
from tls12.handshake.client_hello import (
    ServerHelloResult,
    build_client_hello,
    check_resumed,
    check_server_hello,
    resumable_offer,
)
from tls12.handshake.connected import Connected
from tls12.handshake.context import ClientContext
from tls12.handshake.finished import (
    check_finished,
    derive_master_secret,
    send_finished,
)
from tls12.handshake.key_exchange import (
    VerifiedKeyExchange,
    client_key_exchange,
    read_server_key_exchange,
)
from tls12.handshake.limits import check_chain_length, check_request
from tls12.handshake.psk import PskServerParams, PskUse, shown
from tls12.handshake.server_chain import ServerIdentity, check_server_chain
from tls12.handshake.state import State
from tls12.messages.handshake import (
    Certificate,
    CertificateRequest,
    CertificateStatus,
    ClientHello,
    ClientKeyExchange,
    Finished,
    HandshakeMessage,
    HelloRequest,
    NewSessionTicket,
    ServerHello,
    ServerHelloDone,
    ServerKeyExchange,
)
from tls12.sessions import DEFAULT_LIFETIME, Session
from tls12.trace import Lazy
from tls12.verify import describe
from tls12.wire.enums import AlertDescription, HandshakeType


class ClientState(State):
    """A client state before the handshake completes: a HelloRequest is ignored while a
    handshake is under way (RFC 5246 §7.4.1.1), and never enters the transcript. Its context
    carries the ClientConfig."""

    ctx: ClientContext

    def __init__(self, ctx: ClientContext) -> None:
        super().__init__(ctx)

    def ignores(self, msg_type: int) -> bool:
        return msg_type == HandshakeType.hello_request


def start(ctx: ClientContext, server_name: str | None, session: Session | None) -> State:
    """Queues the ClientHello (offering ``session`` when it can still be resumed) and returns
    the first state."""
    offer = resumable_offer(ctx.config, session, server_name)
    hello = build_client_hello(ctx.config, server_name, offer)
    ctx.send(
        hello,
        server_name=server_name,
        suites=len(hello.cipher_suites),
        resuming=("ticket" if offer.ticket else "session id") if offer else None,
        **record_limits.offered(ctx.config),
        status_request=requests_status(ctx.config) or None,
    )
    ctx.flush()
    return ExpectServerHello(ctx, hello=hello, server_name=server_name, offer=offer)


class ExpectServerHello(ClientState):
    expects = (ServerHello,)

    def __init__(
        self,
        ctx: ClientContext,
        *,
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
        result = check_server_hello(self.ctx.config, self.hello, msg, self.server_name)
        self.ctx.received(
            msg,
            raw,
            suite=result.suite.name,
            alpn=result.alpn_protocol,
            extended_master_secret=result.extended_master_secret,
            encrypt_then_mac=result.encrypt_then_mac or None,
            resumed=self._resuming(msg) or None,
        )
        record_limits.apply(self.ctx, result.record_limits)
        if self._resuming(msg):
            return self._resume(result)
        if result.suite.uses_psk:
            return ExpectPskServerKeyExchange(self.ctx, hello=result)
        return ExpectServerCertificate(self.ctx, hello=result)

    def refusal_hint(self, description: AlertDescription) -> str | None:
        """A server that refuses our first flight with handshake_failure, when we offered only
        the default policy, may be a legacy server: name the option that offers more."""
        if description != AlertDescription.handshake_failure:
            return None
        if set(self.ctx.config.cipher_suites) != set(DEFAULT_SUITES):
            return None
        return (
            "we offered only forward-secret AEAD suites (the default policy); a legacy server "
            "may need cipher_suites='compatible'"
        )

    def _resuming(self, sh: ServerHello) -> bool:
        """The server resumes by echoing the session ID we offered (RFC 5246 §7.4.1.3)."""
        return (
            self.offer is not None
            and bool(sh.session_id)
            and (sh.session_id == self.hello.session_id)
        )

    def _resume(self, result: ServerHelloResult) -> State:
        """Abbreviated handshake: keys from the stored master secret and the new randoms."""
        session = self.offer
        if session is None:  # _resuming checked it; kept for the type checker
            raise IllegalParameter("server resumed a session we did not offer")
        check_resumed(result, session)
        self.ctx.install_pending_keys(
            result.suite,
            session.master_secret,
            result.client_random,
            result.server_random,
            result.encrypt_then_mac,
        )
        agreement = agree(
            result,
            master=session.master_secret,
            peer_certificates=session.peer_certificates,
            resumed=session,
        )
        return after_keys(self.ctx, agreement, ticket_expected=result.ticket_expected)


class ExpectServerCertificate(ClientState):
    expects = (Certificate,)

    def __init__(self, ctx: ClientContext, *, hello: ServerHelloResult) -> None:
        super().__init__(ctx)
        self.hello = hello

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Certificate):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, certificates=len(msg.certificate_list))
        check_chain_length(self.ctx.config, len(msg.certificate_list), "server")
        identity = check_server_chain(self.ctx.config, msg, self.hello)
        if self.ctx.trace.entries:
            self.ctx.trace.entries[-1].annotate(subject=Lazy(describe, identity.certificates[0]))
        if server_will_staple(self.hello.server_hello):
            return ExpectCertificateStatus(self.ctx, hello=self.hello, identity=identity)
        check_no_staple(self.ctx.config, identity.certificates)
        return _after_certificate(self.ctx, self.hello, identity)


def _after_certificate(
    ctx: ClientContext, hello: ServerHelloResult, identity: ServerIdentity
) -> State:
    """What follows the server's Certificate (and its CertificateStatus, if any)."""
    if hello.suite.kx is KeyExchange.RSA:
        return ExpectServerHelloDone(ctx, hello=hello, identity=identity, kx=None, request=None)
    return ExpectServerKeyExchange(ctx, hello=hello, identity=identity)


class _AfterServerCertificate(ClientState):
    """A state after the server's Certificate: it knows the hellos and the server's key."""

    def __init__(
        self, ctx: ClientContext, *, hello: ServerHelloResult, identity: ServerIdentity
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.identity = identity


class ExpectCertificateStatus(_AfterServerCertificate):
    """The server echoed status_request: its stapled OCSP response may come now (RFC 6066
    §8), checked in certificate_status.py. The server may also leave it out: any message
    the following state accepts is handed to that state, once a missing staple is found
    acceptable."""

    expects = (CertificateStatus,)

    def accepts(self, msg_type: int) -> bool:
        return super().accepts(msg_type) or self._following().accepts(msg_type)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, CertificateStatus):
            check_no_staple(self.ctx.config, self.identity.certificates)
            return self._following().handle(msg, raw)
        self.ctx.received(msg, raw, status_type="ocsp")
        result = check_staple(self.ctx.config, self.identity.certificates, msg)
        self.ctx.ocsp_response = result
        if self.ctx.trace.entries:
            self.ctx.trace.entries[-1].annotate(cert_status=result.cert_status.value)
        return _after_certificate(self.ctx, self.hello, self.identity)

    def _following(self) -> State:
        return _after_certificate(self.ctx, self.hello, self.identity)


class ExpectServerKeyExchange(_AfterServerCertificate):
    expects = (ServerKeyExchange,)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, ServerKeyExchange):
            return super().handle(msg, raw)
        config = self.ctx.config
        kx = read_server_key_exchange(
            self.hello.suite,
            msg.body,
            offered_groups=self.hello.client_hello_groups,
            offered_schemes=config.signature_schemes,
            server_key=self.identity.public_key,
            client_random=self.hello.client_random,
            server_random=self.hello.server_random,
        )
        group = kx.group.name if kx.group else f"custom {kx.dh_p.bit_length()}-bit DH"
        self.ctx.received(msg, raw, group=group, signature=kx.scheme.name)
        return ExpectServerHelloDone(
            self.ctx, hello=self.hello, identity=self.identity, kx=kx, request=None
        )


class ExpectPskServerKeyExchange(ClientState):
    """A PSK suite: no Certificate. ECDHE_PSK always sends ServerKeyExchange; plain PSK only
    with an identity hint (RFC 4279 §2), so ServerHelloDone may come at once."""

    expects = (ServerKeyExchange, ServerHelloDone)

    def __init__(self, ctx: ClientContext, *, hello: ServerHelloResult) -> None:
        super().__init__(ctx)
        self.hello = hello

    def accepts(self, msg_type: int) -> bool:
        if msg_type == ServerHelloDone.msg_type and self.hello.suite.kx is not KeyExchange.PSK:
            return False
        return super().accepts(msg_type)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        hello = self.hello
        if isinstance(msg, ServerHelloDone) and hello.suite.kx is KeyExchange.PSK:
            no_hint = PskServerParams(hint=None)
            done = ExpectServerHelloDone(
                self.ctx, hello=hello, identity=None, kx=no_hint, request=None
            )
            return done.handle(msg, raw)
        if not isinstance(msg, ServerKeyExchange):
            return super().handle(msg, raw)
        params = psk.read_server_key_exchange(hello.suite, msg.body, hello.client_hello_groups)
        group = params.group.name if params.group else None
        self.ctx.received(msg, raw, group=group, hint=shown(params.hint) if params.hint else None)
        return ExpectServerHelloDone(self.ctx, hello=hello, identity=None, kx=params, request=None)


class ExpectServerHelloDone(ClientState):
    expects = (CertificateRequest, ServerHelloDone)

    def __init__(
        self,
        ctx: ClientContext,
        *,
        hello: ServerHelloResult,
        identity: ServerIdentity | None,
        kx: VerifiedKeyExchange | PskServerParams | None,
        request: CertificateRequest | None,
    ) -> None:
        super().__init__(ctx)
        self.hello = hello
        self.identity = identity
        """None only for a PSK suite (kx is then its PskServerParams)."""
        self.kx = kx
        self.request = request

    def accepts(self, msg_type: int) -> bool:
        if msg_type == CertificateRequest.msg_type and self.identity is None:
            return False  # a PSK suite: the server sends no CertificateRequest
        return super().accepts(msg_type)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if isinstance(msg, CertificateRequest) and self.request is None and self.identity:
            check_request(self.ctx.config, msg)
            self.ctx.received(msg, raw, authorities=len(msg.certificate_authorities))
            return ExpectServerHelloDone(
                self.ctx, hello=self.hello, identity=self.identity, kx=self.kx, request=msg
            )
        if not isinstance(msg, ServerHelloDone):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw)
        hello, kx = self.hello, self.kx
        master, psk_use = self._send_client_flight()
        agreement = agree(
            hello,
            master=master,
            peer_certificates=self.identity.certificates if self.identity else (),
            key_exchange=(
                kx.group if kx else None,
                kx.scheme if isinstance(kx, VerifiedKeyExchange) else None,
            ),
            psk_identity=psk_use.identity if psk_use else None,
            psk_binding=psk_use.binding if psk_use else b"",
            peer_certificates_der=self.identity.certificates_der if self.identity else (),
        )
        return after_keys(self.ctx, agreement, ticket_expected=hello.ticket_expected)

    def _send_client_flight(self) -> tuple[bytes, PskUse | None]:
        """Sends our flight; returns the master secret and the PSK used (PSK suites)."""
        ctx, hello = self.ctx, self.hello
        suite = hello.suite
        if self.request is not None:
            signer = send_client_certificate(ctx, self.request)
        else:
            signer = None
        psk_use = None
        if isinstance(self.kx, PskServerParams):
            body, premaster, psk_use = psk.client_key_exchange(ctx.config, suite, self.kx)
        elif self.identity is not None:
            body, premaster = client_key_exchange(
                suite, self.kx, self.identity.public_key, hello.client_hello.version
            )
        else:
            raise IllegalParameter(f"{suite.name} needs the server's certificate")
        shown_identity = shown(psk_use.identity) if psk_use else None
        ctx.send(ClientKeyExchange(body), psk_identity=shown_identity)
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
        return master, psk_use


def after_keys(ctx: ClientContext, agreement: Agreement, *, ticket_expected: bool) -> State:
    """The state that follows once keys are installed: a ticket first if the server said so
    (RFC 5077 §3.3: its ServerHello carried an empty session_ticket)."""
    if ticket_expected:
        return ExpectNewSessionTicket(ctx, agreement=agreement)
    return ExpectChangeCipherSpec(ctx, agreement=agreement, ticket=None)


class ExpectNewSessionTicket(ClientState):
    expects = (NewSessionTicket,)

    def __init__(self, ctx: ClientContext, *, agreement: Agreement) -> None:
        super().__init__(ctx)
        self.agreement = agreement

    def refusal_hint(self, description: AlertDescription) -> str | None:
        agreement = self.agreement
        return psk.refusal_hint(agreement.suite, description, agreement.psk_identity)

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, NewSessionTicket):
            return super().handle(msg, raw)
        self.ctx.received(msg, raw, lifetime_hint=msg.lifetime_hint, size=len(msg.ticket))
        return ExpectChangeCipherSpec(self.ctx, agreement=self.agreement, ticket=msg)


class ExpectChangeCipherSpec(ClientState):
    def __init__(
        self, ctx: ClientContext, *, agreement: Agreement, ticket: NewSessionTicket | None
    ) -> None:
        super().__init__(ctx)
        self.agreement, self.ticket = agreement, ticket

    def refusal_hint(self, description: AlertDescription) -> str | None:
        agreement = self.agreement
        return psk.refusal_hint(agreement.suite, description, agreement.psk_identity)

    def handle_change_cipher_spec(self) -> State:
        self.ctx.note_change_cipher_spec_received()
        return ExpectFinished(self.ctx, agreement=self.agreement, ticket=self.ticket)


class ExpectFinished(ClientState):
    expects = (Finished,)

    def __init__(
        self, ctx: ClientContext, *, agreement: Agreement, ticket: NewSessionTicket | None
    ) -> None:
        super().__init__(ctx)
        self.agreement, self.ticket = agreement, ticket

    def handle(self, msg: HandshakeMessage, raw: bytes) -> State:
        if not isinstance(msg, Finished):
            return super().handle(msg, raw)
        agreement, ctx = self.agreement, self.ctx
        suite = agreement.suite
        proof = check_finished(ctx, suite, agreement.master, msg, from_client=False)
        ctx.received(msg, raw)
        if agreement.resumed is not None:
            send_finished(ctx, suite, agreement.master, from_client=True)
        result = negotiated(agreement, ocsp_response=ctx.ocsp_response)
        ctx.events.append(HandshakeComplete(result))
        return ClientConnected(ctx, negotiated=result, proof=proof, session=self._session())

    def _session(self) -> Session:
        """The session to resume later: the old one (with any new ticket) or a new one."""
        agreement = self.agreement
        if agreement.resumed is not None:
            session = agreement.resumed
        else:
            session = new_session(
                agreement, created=self.ctx.config.clock(), lifetime=DEFAULT_LIFETIME
            )
        if self.ticket is not None:
            session = session.with_ticket(self.ticket.ticket, self.ticket.lifetime_hint)
        return session


class ClientConnected(Connected):
    """A server's HelloRequest asks us to renegotiate (RFC 5246 §7.4.1.1)."""

    renegotiation_request = HelloRequest
